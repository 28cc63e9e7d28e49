//! The unsigned control API under `/_emulator/` used by tests: inspect state
//! and the request log, add/remove clusters, create (out of band), delete or
//! force snapshots, force outcomes, change settings, install faults, reset.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::model::{
    Cluster, Service, Snapshot, SnapshotStatus, validate_css_create, validate_dws_create,
};
use crate::state::{AppState, FaultSpec, LogEntry, now_ms};
use crate::wire::{CssBackupWire, DwsSnapshotWire};

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
    for s in &e.snapshots {
        let Some(cluster) = e.cluster(s.service, &s.cluster_id) else {
            continue;
        };
        match s.service {
            Service::Dws => dws_snapshots.push(DwsSnapshotWire::new(s, &cluster.name, now)),
            Service::Css => css_snapshots.push(CssBackupWire::new(s, cluster, now)),
        }
    }
    Json(StateView {
        project_id: e.project_id.clone(),
        region: e.region.clone(),
        dws_clusters: clusters(Service::Dws),
        css_clusters: clusters(Service::Css),
        dws_snapshots,
        css_snapshots,
    })
}

/// `GET /_emulator/requests`
pub async fn list_requests(State(state): State<AppState>) -> Json<Vec<LogEntry>> {
    Json(state.lock().requests().to_vec())
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
struct NewSnapshot {
    service: Service,
    cluster_id: String,
    name: String,
    description: Option<String>,
    indices: Option<String>,
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

/// `POST /_emulator/snapshots` `{"service","cluster_id","name","description"?,"indices"?}`
/// → the snapshot, wire format. Made out of band ("someone else made it"):
/// already finished (`AVAILABLE` / `COMPLETED`), not logged, no busy check
/// and no outcome consumed; the service's name rules still apply.
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
    let snapshot = e.push_snapshot(Snapshot {
        id: uuid::Uuid::new_v4().to_string(),
        name: req.name,
        description,
        cluster_id: cluster.id.clone(),
        service: req.service,
        indices,
        started_ms: now,
        ready_ms: now,
        outcome: req.service.done_status(),
        forced: None,
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
struct Settings {
    create_seconds: Option<f64>,
}

/// `POST /_emulator/settings` `{"create_seconds"}`.
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
    Ok(Json(json!({ "create_seconds": e.create_seconds })))
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
        .map_err(|e| ApiError::ControlInvalid(format!("invalid path regex: {e}")))?;
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
