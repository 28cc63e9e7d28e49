//! CSS index snapshot handlers: create, list, delete, restore. There is no
//! show: a client reads by listing (a restore's progress too, in the
//! snapshot's `restoreStatus`). Errors render as CSS error JSON at the edge.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use crate::error::ApiError;
use crate::model::{
    Cluster, RuleViolation, Service, SnapshotStatus, validate_css_create, validate_css_restore,
};
use crate::state::{AppState, Emulator, RestoreRequest, now_ms};
use crate::wire::{
    CssBackupRef, CssBackupWire, CssCreateRequest, CssCreateResponse, CssListResponse,
    CssRestoreRequest,
};

fn css_cluster(e: &Emulator, cluster_id: &str) -> Result<Cluster, ApiError> {
    e.cluster(Service::Css, cluster_id)
        .cloned()
        .ok_or(ApiError::CssNotFound)
}

/// `POST /v1.0/{project_id}/clusters/{cluster_id}/index_snapshot` → 201.
pub async fn create_css_snapshot(
    State(state): State<AppState>,
    Path((_project_id, cluster_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<(StatusCode, Json<CssCreateResponse>), ApiError> {
    let mut e = state.lock();
    let cluster = css_cluster(&e, &cluster_id)?;
    let request: CssCreateRequest = serde_json::from_slice(&body)
        .map_err(|err| ApiError::CssInvalid(format!("malformed JSON body: {err}")))?;
    let name = request
        .name
        .ok_or(ApiError::css_rule(RuleViolation::Missing("name")))?;
    let description = request.description.unwrap_or_default();
    let indices = request.indices.unwrap_or_default();
    let existing = e.snapshot_names(&cluster.id);
    validate_css_create(&name, &description, &indices, existing).map_err(ApiError::css_rule)?;
    let now = now_ms();
    if e.cluster_busy(&cluster.id, now) {
        return Err(ApiError::CssBusy);
    }
    let s = e.insert_snapshot(Service::Css, &cluster.id, name, description, indices, now);
    tracing::info!(id = %s.id, cluster = %cluster.id, "CSS snapshot created");
    Ok((
        StatusCode::CREATED,
        Json(CssCreateResponse {
            backup: CssBackupRef {
                id: s.id,
                name: s.name,
            },
        }),
    ))
}

/// `GET /v1.0/{project_id}/clusters/{cluster_id}/index_snapshots`
pub async fn list_css_snapshots(
    State(state): State<AppState>,
    Path((_project_id, cluster_id)): Path<(String, String)>,
) -> Result<Json<CssListResponse>, ApiError> {
    let e = state.lock();
    let cluster = css_cluster(&e, &cluster_id)?;
    let now = now_ms();
    let backups = e
        .snapshots
        .iter()
        .filter(|s| s.service == Service::Css && s.cluster_id == cluster.id)
        .map(|s| CssBackupWire::new(s, &cluster, now))
        .collect();
    Ok(Json(CssListResponse { backups }))
}

/// `DELETE /v1.0/{project_id}/clusters/{cluster_id}/index_snapshot/{snapshot_id}`:
/// 200 with an empty body; a snapshot still BUILDING cannot be deleted (busy).
pub async fn delete_css_snapshot(
    State(state): State<AppState>,
    Path((_project_id, cluster_id, snapshot_id)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let mut e = state.lock();
    let cluster = css_cluster(&e, &cluster_id)?;
    let s = e
        .snapshots
        .iter()
        .find(|s| s.service == Service::Css && s.cluster_id == cluster.id && s.id == snapshot_id)
        .ok_or(ApiError::CssNotFound)?;
    let now = now_ms();
    if s.status(now).in_progress() || s.restoring(now) {
        return Err(ApiError::CssBusy);
    }
    e.remove_snapshot(&snapshot_id);
    tracing::info!(id = %snapshot_id, "CSS snapshot deleted");
    Ok(StatusCode::OK)
}

/// `POST /v1.0/{project_id}/clusters/{cluster_id}/index_snapshot/{snapshot_id}/restore`
/// `{"target_cluster","indices"?,"rename_pattern"?,"rename_replacement"?,"replace_exist_indices"?}`
/// (camelCase accepted too) → 201 with an empty body. Refused: an unknown
/// source cluster, snapshot or target cluster (`CSS.0015`, 403); a missing
/// `target_cluster`, malformed rules, or a snapshot that is not COMPLETED
/// (`CSS.0001`, 400); a snapshot still BUILDING, one already being
/// restored, or a target cluster busy with a snapshot or another restore
/// (`CSS.0011`, 409). The snapshot's `restoreStatus` then reads `restoring`
/// for the create time, then `success` (or a forced outcome).
pub async fn restore_css_snapshot(
    State(state): State<AppState>,
    Path((_project_id, cluster_id, snapshot_id)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let mut e = state.lock();
    let cluster = css_cluster(&e, &cluster_id)?;
    let request: CssRestoreRequest = serde_json::from_slice(&body)
        .map_err(|err| ApiError::CssInvalid(format!("malformed JSON body: {err}")))?;
    let target = request
        .target_cluster
        .filter(|t| !t.is_empty())
        .ok_or(ApiError::css_rule(RuleViolation::Missing("target_cluster")))?;
    let indices = request.indices.unwrap_or_default();
    validate_css_restore(
        &indices,
        request.rename_pattern.as_deref(),
        request.rename_replacement.as_deref(),
    )
    .map_err(ApiError::css_rule)?;
    let now = now_ms();
    let snapshot = e
        .snapshots
        .iter()
        .find(|s| s.service == Service::Css && s.cluster_id == cluster.id && s.id == snapshot_id)
        .ok_or(ApiError::CssNotFound)?;
    let (status, restoring) = (snapshot.status(now), snapshot.restoring(now));
    let target = css_cluster(&e, &target)?.id;
    match status {
        SnapshotStatus::Completed => {}
        s if s.in_progress() => return Err(ApiError::CssBusy),
        s => {
            return Err(ApiError::CssInvalid(format!(
                "the snapshot is {}, only a COMPLETED snapshot can be restored",
                s.as_str()
            )));
        }
    }
    if restoring || e.cluster_busy(&target, now) {
        return Err(ApiError::CssBusy);
    }
    e.start_restore(
        &snapshot_id,
        RestoreRequest {
            target_cluster: target.clone(),
            indices,
            rename_pattern: request.rename_pattern,
            rename_replacement: request.rename_replacement,
            replace_exist_indices: request.replace_exist_indices.unwrap_or(false),
        },
        now,
    );
    tracing::info!(id = %snapshot_id, source = %cluster.id, target = %target, "CSS restore started");
    Ok(StatusCode::CREATED)
}
