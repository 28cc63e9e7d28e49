variable "dws_cluster_id" {
  description = "The ID of the GaussDB(DWS) cluster to snapshot."
  type        = string
}

# Run it on demand:
#   terraform apply -invoke=action.dws_create_snapshot.before_upgrade
# It returns once the snapshot is AVAILABLE; the last progress line names it
# and its ID. Nothing is kept in state.
action "dws_create_snapshot" "before_upgrade" {
  config {
    cluster_id  = var.dws_cluster_id
    name_prefix = "pre-upgrade-" # the name becomes pre-upgrade-20261202T013512Z
    description = "Taken before the version upgrade"

    # Then delete the oldest manual "pre-upgrade-…" snapshots of the cluster
    # until 3 remain (this one included). Nothing else is ever deleted.
    keep_last = 3

    # How long to wait (default 30m).
    timeout = "45m"
  }
}
