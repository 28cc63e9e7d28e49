variable "css_cluster_id" {
  description = "The ID of the Cloud Search Service cluster whose snapshots to find."
  type        = string
}

# The cluster's completed automatic snapshots, newest first.
data "css_index_snapshots" "automatic" {
  cluster_id    = var.css_cluster_id
  backup_method = "auto"
  status        = "COMPLETED"
}

output "latest_automatic" {
  value = try(data.css_index_snapshots.automatic.snapshots[0], null)
}

output "automatic_snapshot_ids" {
  value = data.css_index_snapshots.automatic.ids
}
