terraform {
  required_providers {
    dws = { source = "hwsnap/dws" }
  }
}

provider "dws" {}
