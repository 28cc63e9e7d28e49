# A snapshot before every change of a DWS cluster managed by the official
# huaweicloud provider, e.g. before number_of_node grows. Shown, not tested
# here: it needs the huaweicloud provider and a real cluster.
#
# Terraform 1.15: an action that runs before a resource's update cannot read
# that resource (action.…config → huaweicloud_dws_cluster.warehouse.id →
# the action again is a cycle). Pass the cluster ID in by variable (or a
# data source) instead, e.g. from `terraform output` of the first apply.

terraform {
  required_version = ">= 1.14"
  required_providers {
    huaweicloud = { source = "huaweicloud/huaweicloud" }
    dws         = { source = "hwsnap/dws" }
  }
}

variable "dws_cluster_id" {
  description = "The ID of the cluster below, once it exists (not huaweicloud_dws_cluster.warehouse.id: see above)."
  type        = string
}

variable "vpc_id" {
  type = string
}

variable "network_id" {
  type = string
}

variable "security_group_id" {
  type = string
}

variable "availability_zone" {
  type = string
}

variable "admin_password" {
  type      = string
  sensitive = true
}

variable "nodes" {
  description = "How many nodes the cluster has; changing it takes a snapshot first."
  type        = number
  default     = 3
}

action "dws_create_snapshot" "before_change" {
  config {
    cluster_id  = var.dws_cluster_id
    name_prefix = "before-change-"
    keep_last   = 3
    timeout     = "2h"
  }
}

resource "huaweicloud_dws_cluster" "warehouse" {
  name              = "warehouse"
  node_type         = "dws.m3.xlarge"
  number_of_node    = var.nodes
  vpc_id            = var.vpc_id
  network_id        = var.network_id
  security_group_id = var.security_group_id
  availability_zone = var.availability_zone
  user_name         = "dbadmin"
  user_pwd          = var.admin_password

  lifecycle {
    action_trigger {
      events  = [before_update]
      actions = [action.dws_create_snapshot.before_change]
    }
  }
}

output "dws_cluster_id" {
  description = "Feed this into var.dws_cluster_id for the next applies."
  value       = huaweicloud_dws_cluster.warehouse.id
}
