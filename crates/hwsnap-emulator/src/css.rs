//! CSS index snapshot handlers: create, list, delete. There is no show: a
//! client reads by listing. Errors render as CSS error JSON at the edge.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use crate::error::ApiError;
use crate::model::{Cluster, RuleViolation, Service, validate_css_create};
use crate::state::{AppState, Emulator, now_ms};
use crate::wire::{
    CssBackupRef, CssBackupWire, CssCreateRequest, CssCreateResponse, CssListResponse,
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
    if s.status(now_ms()).in_progress() {
        return Err(ApiError::CssBusy);
    }
    e.remove_snapshot(&snapshot_id);
    tracing::info!(id = %snapshot_id, "CSS snapshot deleted");
    Ok(StatusCode::OK)
}
