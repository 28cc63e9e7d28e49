//! DWS snapshot handlers: create, show, list all, list one cluster's, delete.
//! Each checks the project id, then applies the service's rules; errors are
//! [`ApiError`] variants rendered as DWS error JSON at the edge.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};

use crate::auth::parse_query;
use crate::error::ApiError;
use crate::model::{RuleViolation, Service, Snapshot, validate_dws_create};
use crate::state::{AppState, Emulator, now_ms};
use crate::wire::{
    DwsClusterListResponse, DwsCreateRequest, DwsCreateResponse, DwsListQuery, DwsListResponse,
    DwsShowResponse, DwsSnapshotId, DwsSnapshotWire,
};

fn render(e: &Emulator, s: &Snapshot, now: i64) -> DwsSnapshotWire {
    let name = e
        .cluster(Service::Dws, &s.cluster_id)
        .map(|c| c.name.as_str())
        .unwrap_or_default();
    DwsSnapshotWire::new(s, name, now)
}

/// `POST /v1.0/{project_id}/snapshots`
pub async fn create_dws_snapshot(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Json<DwsCreateResponse>, ApiError> {
    let mut e = state.lock();
    let request: DwsCreateRequest = serde_json::from_slice(&body)
        .map_err(|err| ApiError::DwsInvalid(format!("malformed JSON body: {err}")))?;
    let snapshot = request
        .snapshot
        .ok_or(ApiError::dws_rule(RuleViolation::Missing("snapshot")))?;
    let name = snapshot
        .name
        .ok_or(ApiError::dws_rule(RuleViolation::Missing("name")))?;
    let cluster_id = snapshot
        .cluster_id
        .ok_or(ApiError::dws_rule(RuleViolation::Missing("cluster_id")))?;
    let description = snapshot.description.unwrap_or_default();
    if e.cluster(Service::Dws, &cluster_id).is_none() {
        return Err(ApiError::DwsClusterNotFound);
    }
    let existing = e.snapshot_names(&cluster_id);
    validate_dws_create(&name, &description, existing).map_err(ApiError::dws_rule)?;
    let now = now_ms();
    if e.cluster_busy(&cluster_id, now) {
        return Err(ApiError::DwsBusy);
    }
    let s = e.insert_snapshot(
        Service::Dws,
        &cluster_id,
        name,
        description,
        String::new(),
        now,
    );
    tracing::info!(id = %s.id, cluster = %cluster_id, "DWS snapshot created");
    Ok(Json(DwsCreateResponse {
        snapshot: DwsSnapshotId { id: s.id },
    }))
}

/// `GET /v1.0/{project_id}/snapshots/{snapshot_id}`
pub async fn show_dws_snapshot(
    State(state): State<AppState>,
    Path((_project_id, snapshot_id)): Path<(String, String)>,
) -> Result<Json<DwsShowResponse>, ApiError> {
    let e = state.lock();
    let s = e
        .snapshots
        .iter()
        .find(|s| s.service == Service::Dws && s.id == snapshot_id)
        .ok_or(ApiError::DwsSnapshotNotFound)?;
    Ok(Json(DwsShowResponse {
        snapshot: render(&e, s, now_ms()),
    }))
}

/// `GET /v1.0/{project_id}/snapshots`
pub async fn list_dws_snapshots(
    State(state): State<AppState>,
) -> Result<Json<DwsListResponse>, ApiError> {
    let e = state.lock();
    let now = now_ms();
    let snapshots: Vec<_> = e
        .snapshots
        .iter()
        .filter(|s| s.service == Service::Dws)
        .map(|s| render(&e, s, now))
        .collect();
    Ok(Json(DwsListResponse {
        count: snapshots.len(),
        snapshots,
    }))
}

fn parse_number(
    value: Option<&String>,
    field: &str,
    min: usize,
) -> Result<Option<usize>, ApiError> {
    value
        .map(|v| {
            v.parse::<usize>()
                .ok()
                .filter(|n| *n >= min)
                .ok_or_else(|| ApiError::DwsInvalid(format!("{field} must be an integer >= {min}")))
        })
        .transpose()
}

/// `GET /v1.0/{project_id}/clusters/{cluster_id}/snapshots` with `limit`,
/// `offset` (items to skip), `sort_key` (`started` by default, `finished`,
/// `name`, `size`, `status`) and `sort_dir` (`desc` by default).
pub async fn list_dws_cluster_snapshots(
    State(state): State<AppState>,
    Path((project_id, cluster_id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Json<DwsClusterListResponse>, ApiError> {
    let pairs = parse_query(raw.as_deref().unwrap_or(""));
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let query = DwsListQuery {
        limit: get("limit"),
        offset: get("offset"),
        sort_key: get("sort_key"),
        sort_dir: get("sort_dir"),
    };
    let e = state.lock();
    if e.cluster(Service::Dws, &cluster_id).is_none() {
        return Err(ApiError::DwsClusterNotFound);
    }
    let limit = parse_number(query.limit.as_ref(), "limit", 1)?;
    let offset = parse_number(query.offset.as_ref(), "offset", 0)?.unwrap_or(0);
    let descending = match query
        .sort_dir
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("desc") => true,
        Some("asc") => false,
        Some(_) => return Err(ApiError::DwsInvalid("sort_dir must be asc or desc".into())),
    };
    let now = now_ms();
    let mut rows: Vec<DwsSnapshotWire> = e
        .snapshots
        .iter()
        .filter(|s| s.service == Service::Dws && s.cluster_id == cluster_id)
        .map(|s| render(&e, s, now))
        .collect();
    let key = query.sort_key.as_deref().unwrap_or("started");
    match key {
        "started" => rows.sort_by(|a, b| a.started.cmp(&b.started)),
        "finished" => rows.sort_by(|a, b| a.finished.cmp(&b.finished)),
        "name" => rows.sort_by(|a, b| a.name.cmp(&b.name)),
        "size" => rows.sort_by(|a, b| a.size.total_cmp(&b.size)),
        "status" => rows.sort_by(|a, b| a.status.cmp(b.status)),
        _ => return Err(ApiError::DwsInvalid(format!("unsupported sort_key {key}"))),
    }
    if descending {
        rows.reverse();
    }
    let count = rows.len();
    let page: Vec<_> = rows
        .into_iter()
        .skip(offset)
        .take(limit.unwrap_or(usize::MAX))
        .collect();
    Ok(Json(DwsClusterListResponse {
        snapshots: page,
        project_id,
        cluster_id,
        count,
    }))
}

/// `DELETE /v1.0/{project_id}/snapshots/{snapshot_id}`: 200 `{}`; a snapshot
/// still CREATING cannot be deleted (busy).
pub async fn delete_dws_snapshot(
    State(state): State<AppState>,
    Path((_project_id, snapshot_id)): Path<(String, String)>,
) -> Result<Json<serde_json::Map<String, serde_json::Value>>, ApiError> {
    let mut e = state.lock();
    let s = e
        .snapshots
        .iter()
        .find(|s| s.service == Service::Dws && s.id == snapshot_id)
        .ok_or(ApiError::DwsSnapshotGone)?;
    if s.status(now_ms()).in_progress() {
        return Err(ApiError::DwsBusy);
    }
    e.remove_snapshot(&snapshot_id);
    tracing::info!(id = %snapshot_id, "DWS snapshot deleted");
    Ok(Json(serde_json::Map::new()))
}
