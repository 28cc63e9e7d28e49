terraform {
  required_providers {
    css = { source = "hwsnap/css" }
  }
}

provider "css" {}
