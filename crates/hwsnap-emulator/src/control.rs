//! The unsigned control API under `/_emulator/` used by tests: inspect state
//! and the request log, add/remove clusters, create (out of band, manual or
//! automatic), delete or force snapshots, force snapshot and restore
//! outcomes, change settings, install faults, reset.
//!
//! Every request that changes something must declare its body JSON
//! ([`require_json`]): a web page can make a browser send a "simple"
//! cross-origin POST (`text/plain`, form types, or no body at all) without
//! asking first, but not one with `Content-Type: application/json`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::auth::parse_query;
use crate::error::ApiError;
use crate::fault::FaultSpec;
use crate::model::{
    Cluster, RestoreStatus, Service, Snapshot, SnapshotStatus, SnapshotType, validate_css_create,
    validate_dws_create,
};
use crate::state::{AppState, LogEntry, OffsetMode, RequestFilter, now_ms};
use crate::wire::{CssBackupWire, DwsSnapshotWire};

/// How long an out-of-band snapshot took, at most (it finished by "now").
const OUT_OF_BAND_MS: i64 = 60_000;

/// Refuses a control request whose body is not declared
/// `application/json` (parameters such as `; charset=utf-8` allowed) with
/// 415. Required on every method but GET, HEAD and DELETE, even without a
/// body (`POST /_emulator/reset` changes state too); GET, HEAD and DELETE
/// need it only when they carry a body. Browsers never send a cross-origin
/// DELETE without a preflight, which the emulator does not answer, and a GET
/// changes nothing.
pub async fn require_json(req: Request, next: Next) -> Result<Response, ApiError> {
    let headers = req.headers();
    let has_body = headers.contains_key(http::header::TRANSFER_ENCODING)
        || headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() != "0");
    let exempt = matches!(*req.method(), Method::GET | Method::HEAD | Method::DELETE);
    if exempt && !has_body {
        return Ok(next.run(req).await);
    }
    let json = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(ApiError::ControlMediaType(format!(
            "{} {} needs Content-Type: application/json",
            req.method(),
            req.uri().path()
        )));
    }
    Ok(next.run(req).await)
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::ControlInvalid(format!("invalid body: {e}")))
}

/// `{"id","name"}` of a cluster.
#[derive(Debug, Serialize)]
pub struct ClusterView {
    /// Cluster id.
    pub id: String,
    /// Cluster name.
    pub name: String,
}

/// `GET /_emulator/state` answer.
#[derive(Debug, Serialize)]
pub struct StateView {
    /// Project id.
    pub project_id: String,
    /// Region.
    pub region: String,
    /// DWS clusters.
    pub dws_clusters: Vec<ClusterView>,
    /// CSS clusters.
    pub css_clusters: Vec<ClusterView>,
    /// DWS snapshots, wire format.
    pub dws_snapshots: Vec<DwsSnapshotWire>,
    /// CSS snapshots, wire format (with `clusterId`).
    pub css_snapshots: Vec<CssBackupWire>,
    /// The last restore of each CSS snapshot restored so far: what was
    /// asked for, which the list's `restoreStatus` does not show.
    pub css_restores: Vec<RestoreView>,
}

/// The last restore of one CSS snapshot, as `GET /_emulator/state` shows it.
#[derive(Debug, Serialize)]
pub struct RestoreView {
    /// The snapshot restored.
    pub snapshot_id: String,
    /// The cluster it belongs to.
    pub cluster_id: String,
    /// The cluster restored into.
    pub target_cluster: String,
    /// Indices asked for (empty means all).
    pub indices: String,
    pub rename_pattern: Option<String>,
    pub rename_replacement: Option<String>,
    pub replace_exist_indices: bool,
    /// `restoring`, `success` or `failed`, now.
    pub status: &'static str,
}

/// `GET /_emulator/state`
pub async fn get_state(State(state): State<AppState>) -> Json<StateView> {
    let e = state.lock();
    let now = now_ms();
    let clusters = |service| {
        e.clusters
            .iter()
            .filter(|c| c.service == service)
            .map(|c| ClusterView {
                id: c.id.clone(),
                name: c.name.clone(),
            })
            .collect()
    };
    let mut dws_snapshots = Vec::new();
    let mut css_snapshots = Vec::new();
    let mut css_restores = Vec::new();
    for s in &e.snapshots {
        let Some(cluster) = e.cluster(s.service, &s.cluster_id) else {
            continue;
        };
        match s.service {
            Service::Dws => dws_snapshots.push(DwsSnapshotWire::new(s, &cluster.name, now)),
            Service::Css => css_snapshots.push(CssBackupWire::new(s, cluster, now)),
        }
        if let Some(r) = &s.restore {
            css_restores.push(RestoreView {
                snapshot_id: s.id.clone(),
                cluster_id: s.cluster_id.clone(),
                target_cluster: r.target_cluster.clone(),
                indices: r.indices.clone(),
                rename_pattern: r.rename_pattern.clone(),
                rename_replacement: r.rename_replacement.clone(),
                replace_exist_indices: r.replace_exist_indices,
                status: r.status(now).as_str(),
            });
        }
    }
    Json(StateView {
        project_id: e.project_id.clone(),
        region: e.region.clone(),
        dws_clusters: clusters(Service::Dws),
        css_clusters: clusters(Service::Css),
        dws_snapshots,
        css_snapshots,
        css_restores,
    })
}

/// `GET /_emulator/requests[?operation=&cluster_id=&method=&service=]`: the
/// log entries matching every given filter, in order.
pub async fn list_requests(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<LogEntry>>, ApiError> {
    let mut filter = RequestFilter::default();
    for (k, v) in parse_query(raw.as_deref().unwrap_or("")) {
        let slot = match k.as_str() {
            "operation" => &mut filter.operation,
            "cluster_id" => &mut filter.cluster_id,
            "method" => &mut filter.method,
            "service" => &mut filter.service,
            _ => {
                return Err(ApiError::ControlInvalid(format!(
                    "unknown filter {k:?} (operation, cluster_id, method, service)"
                )));
            }
        };
        *slot = Some(v);
    }
    Ok(Json(state.lock().requests_matching(&filter)))
}

/// `DELETE /_emulator/requests`
pub async fn delete_requests(State(state): State<AppState>) -> Json<Value> {
    state.lock().clear_requests();
    Json(json!({}))
}

#[derive(Debug, Deserialize)]
struct NewCluster {
    service: Service,
    id: Option<String>,
    name: Option<String>,
}

/// `POST /_emulator/clusters` `{"service","id"?,"name"?}` → the cluster.
pub async fn create_cluster(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Json<Cluster>, ApiError> {
    let req: NewCluster = parse(&body)?;
    Ok(Json(state.lock().add_cluster(
        req.service,
        req.id,
        req.name,
    )))
}

/// `DELETE /_emulator/clusters/{id}` (its snapshots go too).
pub async fn delete_cluster(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    if state.lock().remove_cluster(&id) {
        Ok(Json(json!({})))
    } else {
        Err(ApiError::ControlNotFound(format!("no cluster {id}")))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSnapshot {
    service: Service,
    cluster_id: String,
    name: String,
    description: Option<String>,
    indices: Option<String>,
    /// `MANUAL` (default), `AUTO` or `AUTOMATED`, any case.
    #[serde(rename = "type", default)]
    kind: SnapshotType,
    /// When it started (epoch ms, not in the future); default now.
    started_ms: Option<i64>,
}

/// A snapshot in its service's wire format.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum SnapshotView {
    /// A DWS snapshot.
    Dws(DwsSnapshotWire),
    /// A CSS index snapshot (with `clusterId`).
    Css(CssBackupWire),
}

/// `POST /_emulator/snapshots` `{"service","cluster_id","name","description"?,"indices"?,"type"?,"started_ms"?}`
/// → the snapshot, wire format. Made out of band ("someone else made it",
/// or with `type` `AUTO`/`AUTOMATED` the cluster's snapshot policy):
/// already finished (`AVAILABLE` / `COMPLETED`), at `started_ms` (default
/// now) and finished a minute later or now, whichever is earlier; not
/// logged, no busy check and no outcome consumed; the service's name rules
/// still apply.
pub async fn create_snapshot(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Json<SnapshotView>, ApiError> {
    let req: NewSnapshot = parse(&body)?;
    let mut e = state.lock();
    let Some(cluster) = e.cluster(req.service, &req.cluster_id).cloned() else {
        return Err(ApiError::ControlNotFound(format!(
            "no {} cluster {}",
            service_name(req.service),
            req.cluster_id
        )));
    };
    let description = req.description.unwrap_or_default();
    let indices = req.indices.unwrap_or_default();
    let existing = e.snapshot_names(&cluster.id);
    let checked = match req.service {
        Service::Dws => validate_dws_create(&req.name, &description, existing),
        Service::Css => validate_css_create(&req.name, &description, &indices, existing),
    };
    checked.map_err(|v| ApiError::ControlInvalid(v.to_string()))?;
    let now = now_ms();
    let started_ms = req.started_ms.unwrap_or(now);
    if started_ms > now {
        return Err(ApiError::ControlInvalid(
            "started_ms must not be in the future".into(),
        ));
    }
    let snapshot = e.push_snapshot(Snapshot {
        id: uuid::Uuid::new_v4().to_string(),
        name: req.name,
        description,
        cluster_id: cluster.id.clone(),
        service: req.service,
        indices,
        started_ms,
        ready_ms: started_ms.saturating_add(OUT_OF_BAND_MS).min(now),
        outcome: req.service.done_status(),
        forced: None,
        kind: req.kind,
        restore: None,
    });
    tracing::info!(id = %snapshot.id, cluster = %cluster.id, "snapshot created out of band");
    Ok(Json(match req.service {
        Service::Dws => SnapshotView::Dws(DwsSnapshotWire::new(&snapshot, &cluster.name, now)),
        Service::Css => SnapshotView::Css(CssBackupWire::new(&snapshot, &cluster, now)),
    }))
}

fn service_name(service: Service) -> &'static str {
    match service {
        Service::Dws => "DWS",
        Service::Css => "CSS",
    }
}

/// `DELETE /_emulator/snapshots/{id}` (out of band).
pub async fn delete_snapshot(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    if state.lock().remove_snapshot(&id) {
        Ok(Json(json!({})))
    } else {
        Err(ApiError::ControlNotFound(format!("no snapshot {id}")))
    }
}

#[derive(Debug, Deserialize)]
struct ForcedStatus {
    status: SnapshotStatus,
}

/// `POST /_emulator/snapshots/{id}/status` `{"status"}`.
pub async fn update_snapshot_status(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let req: ForcedStatus = parse(&body)?;
    if state.lock().force_status(&id, req.status) {
        Ok(Json(json!({})))
    } else {
        Err(ApiError::ControlNotFound(format!("no snapshot {id}")))
    }
}

#[derive(Debug, Deserialize)]
struct Outcome {
    status: SnapshotStatus,
    count: Option<u32>,
}

/// `POST /_emulator/clusters/{id}/outcomes` `{"status","count"}`.
pub async fn create_outcome(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let req: Outcome = parse(&body)?;
    let mut e = state.lock();
    if !e.clusters.iter().any(|c| c.id == id) {
        return Err(ApiError::ControlNotFound(format!("no cluster {id}")));
    }
    e.set_outcome(&id, req.status, req.count.unwrap_or(1));
    Ok(Json(json!({})))
}

#[derive(Debug, Deserialize)]
struct RestoreOutcome {
    status: RestoreStatus,
    count: Option<u32>,
}

/// `POST /_emulator/clusters/{id}/restore_outcomes` `{"status","count"?}`:
/// the next `count` (default 1) restores of that CSS cluster's snapshots end
/// in `status` (`failed` or `success`).
pub async fn create_restore_outcome(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let req: RestoreOutcome = parse(&body)?;
    if !matches!(req.status, RestoreStatus::Failed | RestoreStatus::Success) {
        return Err(ApiError::ControlInvalid(
            "a restore ends in failed or success".into(),
        ));
    }
    let mut e = state.lock();
    if e.cluster(Service::Css, &id).is_none() {
        return Err(ApiError::ControlNotFound(format!("no CSS cluster {id}")));
    }
    e.set_restore_outcome(&id, req.status, req.count.unwrap_or(1));
    Ok(Json(json!({})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    create_seconds: Option<f64>,
    dws_offset: Option<OffsetMode>,
}

/// `POST /_emulator/settings` `{"create_seconds"?,"dws_offset"?}` → every setting.
pub async fn update_settings(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let req: Settings = parse(&body)?;
    let mut e = state.lock();
    if let Some(s) = req.create_seconds {
        if !s.is_finite() || s < 0.0 {
            return Err(ApiError::ControlInvalid(
                "create_seconds must be a non-negative number".into(),
            ));
        }
        e.create_seconds = s;
    }
    if let Some(mode) = req.dws_offset {
        e.dws_offset = mode;
    }
    Ok(Json(
        json!({ "create_seconds": e.create_seconds, "dws_offset": e.dws_offset }),
    ))
}

/// `POST /_emulator/faults` → `{"id"}`.
pub async fn create_fault(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let spec: FaultSpec = parse(&body)?;
    let id = state
        .lock()
        .add_fault(spec)
        .map_err(|e| ApiError::ControlInvalid(e.to_string()))?;
    Ok(Json(json!({ "id": id })))
}

/// `DELETE /_emulator/faults`
pub async fn delete_faults(State(state): State<AppState>) -> Json<Value> {
    state.lock().clear_faults();
    Json(json!({}))
}

/// `POST /_emulator/reset`
pub async fn reset_state(State(state): State<AppState>) -> Json<Value> {
    state.lock().reset();
    Json(json!({}))
}
