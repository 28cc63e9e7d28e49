output "dws_snapshot_id" {
  description = "The ID of the nightly DWS snapshot."
  value       = dws_snapshot.nightly.id
}

output "dws_snapshot_status" {
  description = "Its status (AVAILABLE once created)."
  value       = dws_snapshot.nightly.status
}

output "css_snapshot_id" {
  description = "The ID of the CSS index snapshot."
  value       = css_index_snapshot.logs.id
}

output "css_snapshot_status" {
  description = "Its status (COMPLETED once created)."
  value       = css_index_snapshot.logs.status
}

output "adopted_snapshot_id" {
  description = "The ID of the adopted DWS snapshot."
  value       = dws_snapshot.adopted.id
}
