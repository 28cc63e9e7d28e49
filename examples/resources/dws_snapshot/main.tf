variable "dws_cluster_id" {
  description = "The ID of the GaussDB(DWS) cluster to snapshot."
  type        = string
}

# A manual snapshot. Changing any argument replaces it.
resource "dws_snapshot" "example" {
  cluster_id  = var.dws_cluster_id
  name        = "before-upgrade"
  description = "Taken before the version upgrade"

  # Optional: how long create and delete may wait (defaults 30m and 10m).
  timeouts {
    create = "45m"
    delete = "15m"
  }
}

output "snapshot" {
  value = {
    id          = dws_snapshot.example.id
    status      = dws_snapshot.example.status
    size_gb     = dws_snapshot.example.size
    finished_at = dws_snapshot.example.finished_at
  }
}
