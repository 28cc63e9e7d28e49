//! DWS snapshot handlers: create, show, list all, list one cluster's, delete.
//! Each checks the project id, then applies the service's rules; errors are
//! [`ApiError`] variants rendered as DWS error JSON at the edge.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};

use crate::auth::parse_query;
use crate::error::ApiError;
use crate::model::{RuleViolation, Service, Snapshot, validate_dws_create};
use crate::state::{AppState, Emulator, OffsetMode, now_ms};
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

/// `GET /v1.0/{project_id}/snapshots` (no query parameters): every DWS
/// snapshot of the project, manual and automatic, in creation order.
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

/// Parses a paging number as the cloud's Java backend would: an integer
/// from `min` to `i32::MAX`, else `DWS.0001`.
fn parse_number(value: Option<&str>, field: &str, min: i32) -> Result<Option<usize>, ApiError> {
    value
        .map(|v| {
            v.trim()
                .parse::<i32>()
                .ok()
                .filter(|n| *n >= min)
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| {
                    ApiError::DwsInvalid(format!(
                        "{field} must be an integer from {min} to {}, got {v:?}",
                        i32::MAX
                    ))
                })
        })
        .transpose()
}

/// A sort key of the per-cluster list. The SDK leaves the keys open; the
/// API pages name `name`, `clusterName` and `startTime`, and the snapshot's
/// own field names are accepted too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortKey {
    Started,
    Finished,
    Name,
    Size,
    Status,
    ClusterName,
}

impl SortKey {
    fn parse(key: &str) -> Result<SortKey, ApiError> {
        Ok(match key {
            "started" | "startTime" | "start_time" => SortKey::Started,
            "finished" | "endTime" | "end_time" => SortKey::Finished,
            "name" => SortKey::Name,
            "size" => SortKey::Size,
            "status" => SortKey::Status,
            "clusterName" | "cluster_name" => SortKey::ClusterName,
            _ => {
                return Err(ApiError::DwsInvalid(format!(
                    "unsupported sort_key {key:?} (name, clusterName, startTime, started, finished, size, status)"
                )));
            }
        })
    }
}

/// `GET /v1.0/{project_id}/clusters/{cluster_id}/snapshots` with `limit`
/// (page size, > 0; no limit when absent), `offset` (page number minus 1,
/// default 0; see [`OffsetMode`]), `sort_key` (`startTime`/`started` by
/// default, `finished`, `name`, `size`, `status`, `clusterName`) and
/// `sort_dir` (`asc` or `desc` in any case, default `desc`: newest first).
/// Ties keep creation order (reversed for `desc`). `count` is the cluster's
/// total, before paging. Bad paging values are `DWS.0001`.
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
    let limit = parse_number(query.limit.as_deref(), "limit", 1)?;
    let offset = parse_number(query.offset.as_deref(), "offset", 0)?.unwrap_or(0);
    let descending = match query
        .sort_dir
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("desc") => true,
        Some("asc") => false,
        Some(other) => {
            return Err(ApiError::DwsInvalid(format!(
                "sort_dir must be asc or desc, got {other:?}"
            )));
        }
    };
    let key = SortKey::parse(query.sort_key.as_deref().unwrap_or("started"))?;
    let now = now_ms();
    let mut rows: Vec<(&Snapshot, DwsSnapshotWire)> = e
        .snapshots
        .iter()
        .filter(|s| s.service == Service::Dws && s.cluster_id == cluster_id)
        .map(|s| (s, render(&e, s, now)))
        .collect();
    // A stable sort on the model's millisecond times (the wire's are whole
    // seconds), so ties keep creation order.
    match key {
        SortKey::Started => rows.sort_by_key(|(s, _)| s.started_ms),
        SortKey::Finished => rows.sort_by_key(|(s, _)| s.finished_ms(now)),
        SortKey::Name => rows.sort_by(|a, b| a.1.name.cmp(&b.1.name)),
        SortKey::Size => rows.sort_by(|a, b| a.1.size.total_cmp(&b.1.size)),
        SortKey::Status => rows.sort_by(|a, b| a.1.status.cmp(b.1.status)),
        SortKey::ClusterName => rows.sort_by(|a, b| a.1.cluster_name.cmp(&b.1.cluster_name)),
    }
    if descending {
        rows.reverse();
    }
    let count = rows.len();
    let skip = match (e.dws_offset, limit) {
        (OffsetMode::Item, _) => offset,
        (OffsetMode::Page, Some(limit)) => offset.saturating_mul(limit),
        // No limit: everything is page 0.
        (OffsetMode::Page, None) if offset == 0 => 0,
        (OffsetMode::Page, None) => usize::MAX,
    };
    let page: Vec<_> = rows
        .into_iter()
        .skip(skip)
        .take(limit.unwrap_or(usize::MAX))
        .map(|(_, wire)| wire)
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
