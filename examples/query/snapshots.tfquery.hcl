# Find existing snapshots to adopt:
#
#   terraform query                                   # print what matches
#   terraform query -generate-config-out=adopted.tf   # write import + resource blocks
#   terraform apply                                   # import them; nothing is created

variable "dws_cluster_id" {
  description = "The ID of the GaussDB(DWS) cluster whose snapshots to find."
  type        = string
}

variable "css_cluster_id" {
  description = "The ID of the Cloud Search Service cluster whose snapshots to find."
  type        = string
}

# The DWS cluster's finished manual snapshots named nightly-…, newest first.
list "dws_snapshot" "nightly" {
  provider = dws
  limit    = 50

  config {
    cluster_id = var.dws_cluster_id
    name_regex = "^nightly-"
    status     = "AVAILABLE"
    type       = "MANUAL"
  }
}

# The snapshots the CSS cluster's snapshot policy made.
list "css_index_snapshot" "automatic" {
  provider         = css
  include_resource = true

  config {
    cluster_id    = var.css_cluster_id
    backup_method = "auto"
  }
}
