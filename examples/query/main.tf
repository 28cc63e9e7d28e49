terraform {
  required_providers {
    dws = { source = "hwsnap/dws" }
    css = { source = "hwsnap/css" }
  }
}

# `terraform query` (Terraform 1.14 and later) reads the list blocks in
# snapshots.tfquery.hcl; the provider blocks and variables here serve both
# it and the configuration it generates.
provider "dws" {}
provider "css" {}
