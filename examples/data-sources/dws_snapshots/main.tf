variable "dws_cluster_id" {
  description = "The ID of the GaussDB(DWS) cluster whose snapshots to find."
  type        = string
}

# The cluster's finished snapshots named nightly-…, newest first.
data "dws_snapshots" "nightly" {
  cluster_id = var.dws_cluster_id
  name_regex = "^nightly-"
  status     = "AVAILABLE"
}

# Every automatic snapshot of the project (no cluster_id: the project's list).
data "dws_snapshots" "automatic" {
  type = "AUTO"
}

output "latest_nightly" {
  value = try(data.dws_snapshots.nightly.snapshots[0].id, null)
}

output "automatic_snapshot_ids" {
  value = data.dws_snapshots.automatic.ids
}
