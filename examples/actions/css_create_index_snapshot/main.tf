variable "css_cluster_id" {
  description = "The ID of the Cloud Search Service cluster."
  type        = string
}

# terraform apply -invoke=action.css_create_index_snapshot.logs
action "css_create_index_snapshot" "logs" {
  config {
    cluster_id  = var.css_cluster_id
    name_prefix = "logs-" # lower case: logs-20261202t013512z
    indices     = "logs-*,audit"
    keep_last   = 7
  }
}
