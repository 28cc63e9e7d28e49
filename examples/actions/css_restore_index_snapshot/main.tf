variable "css_cluster_id" {
  description = "The ID of the CSS cluster the snapshot belongs to."
  type        = string
}

variable "css_snapshot_id" {
  description = "The ID of the index snapshot to restore."
  type        = string
}

variable "staging_cluster_id" {
  description = "The ID of the CSS cluster to restore into."
  type        = string
}

# terraform apply -invoke=action.css_restore_index_snapshot.into_staging
# It returns once the restore reports success, or fails with an error when
# it reports failure.
action "css_restore_index_snapshot" "into_staging" {
  config {
    cluster_id        = var.css_cluster_id
    snapshot_id       = var.css_snapshot_id
    target_cluster_id = var.staging_cluster_id # default: the snapshot's own cluster

    indices            = "logs-*"
    rename_pattern     = "logs-(.+)"
    rename_replacement = "restored-logs-$1"
  }
}
