variable "css_cluster_id" {
  description = "The ID of the Cloud Search Service cluster to snapshot."
  type        = string
}

# A manual index snapshot of some indices. Changing any argument replaces it.
resource "css_index_snapshot" "example" {
  cluster_id  = var.css_cluster_id
  name        = "orders-2026"
  description = "Order indices of 2026"
  indices     = "orders-2026*,customers"

  # Optional: how long create and delete may wait (defaults 30m and 10m).
  timeouts {
    create = "1h"
  }
}

# Without indices, every index is included; the state then holds what the
# cloud reports ("*").
resource "css_index_snapshot" "everything" {
  cluster_id = var.css_cluster_id
  name       = "all-indices"

  # The cluster takes one snapshot at a time; the provider queues creates on
  # the same cluster, so no depends_on is needed.
}

output "snapshot" {
  value = {
    id           = css_index_snapshot.example.id
    status       = css_index_snapshot.example.status
    total_shards = css_index_snapshot.example.total_shards
    bucket_name  = css_index_snapshot.example.bucket_name
  }
}
