terraform {
  # Actions need Terraform 1.14 or later.
  required_version = ">= 1.14"
  required_providers {
    dws = { source = "hwsnap/dws" }
  }
}

provider "dws" {}
