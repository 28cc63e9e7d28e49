# A DWS snapshot before every release: changing var.release updates the
# terraform_data resource, and Terraform runs the action first. The apply
# goes on only once the snapshot is AVAILABLE.

terraform {
  # Actions need Terraform 1.14 or later.
  required_version = ">= 1.14"
  required_providers {
    dws = { source = "hwsnap/dws" }
  }
}

variable "dws_cluster_id" {
  description = "The ID of the GaussDB(DWS) cluster to snapshot."
  type        = string
}

variable "release" {
  description = "The application version being deployed."
  type        = string
}

action "dws_create_snapshot" "before_release" {
  config {
    cluster_id  = var.dws_cluster_id
    name_prefix = "before-release-"
    keep_last   = 5
  }
}

resource "terraform_data" "release" {
  input = var.release

  lifecycle {
    action_trigger {
      # before_create, after_create, before_update and after_update exist
      # (Terraform 1.15); a snapshot before a release needs only this one.
      events  = [before_update]
      actions = [action.dws_create_snapshot.before_release]
    }
  }
}
