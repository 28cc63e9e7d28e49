# One provider for both services: the "hwsnap/hwsnap" binary serves
# dws_snapshot and css_index_snapshot alike. Terraform picks a resource's
# provider from the type name's prefix ("dws", "css"), so with a single
# provider named "hwsnap" every resource AND every import block must say
# `provider = hwsnap`; otherwise Terraform looks for a provider "hashicorp/dws".

terraform {
  required_version = ">= 1.11"

  required_providers {
    hwsnap = { source = "hwsnap/hwsnap" }
  }
}

provider "hwsnap" {}

variable "dws_cluster_id" {
  description = "The ID of the GaussDB(DWS) cluster to snapshot."
  type        = string
}

variable "css_cluster_id" {
  description = "The ID of the Cloud Search Service cluster to snapshot."
  type        = string
}

variable "existing_css_snapshot_id" {
  description = "The ID of a CSS snapshot made outside Terraform, to adopt."
  type        = string
}

resource "dws_snapshot" "nightly" {
  provider = hwsnap

  cluster_id = var.dws_cluster_id
  name       = "nightly"
}

resource "css_index_snapshot" "logs" {
  provider = hwsnap

  cluster_id = var.css_cluster_id
  name       = "logs-nightly"
  indices    = "logs-*"
}

import {
  provider = hwsnap
  to       = css_index_snapshot.adopted
  id       = "${var.css_cluster_id}/${var.existing_css_snapshot_id}"
}

resource "css_index_snapshot" "adopted" {
  provider = hwsnap

  cluster_id = var.css_cluster_id
  name       = "made-by-hand"
}
