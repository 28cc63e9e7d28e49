# Quickstart: one DWS cluster snapshot, one CSS index snapshot, and a DWS
# snapshot someone made outside Terraform, adopted with an import block.
#
# Credentials, region and (for the emulator) endpoints come from the HW_*
# environment variables; see the README. scripts/demo runs this directory
# against the local hwsnap-emulator.

terraform {
  required_version = ">= 1.11"

  required_providers {
    # The default: one provider per service. A resource type's prefix names
    # its provider, so dws_snapshot uses "dws" and css_index_snapshot uses
    # "css" without any `provider =` argument.
    dws = { source = "hwsnap/dws" }
    css = { source = "hwsnap/css" }
  }
}

provider "dws" {}
provider "css" {}

resource "dws_snapshot" "nightly" {
  cluster_id  = var.dws_cluster_id
  name        = "nightly"
  description = "Nightly snapshot managed by Terraform"
}

resource "css_index_snapshot" "logs" {
  cluster_id  = var.css_cluster_id
  name        = "logs-nightly"
  description = "Log indices, managed by Terraform"
  indices     = "logs-*"
}

# Adopt a snapshot that already exists. The resource block below must match
# the snapshot as it is (cluster, name, description), or Terraform plans to
# replace it.
import {
  to = dws_snapshot.adopted
  id = var.existing_dws_snapshot_id
}

resource "dws_snapshot" "adopted" {
  cluster_id = var.dws_cluster_id
  name       = var.existing_dws_snapshot_name
}
