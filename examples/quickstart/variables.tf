variable "dws_cluster_id" {
  description = "The ID of the GaussDB(DWS) cluster to snapshot."
  type        = string
}

variable "css_cluster_id" {
  description = "The ID of the Cloud Search Service cluster to snapshot."
  type        = string
}

variable "existing_dws_snapshot_id" {
  description = "The ID of a DWS snapshot made outside Terraform, to adopt."
  type        = string
}

variable "existing_dws_snapshot_name" {
  description = "The name of that snapshot (it must match, or Terraform replaces it)."
  type        = string
  default     = "made-by-hand"
}
