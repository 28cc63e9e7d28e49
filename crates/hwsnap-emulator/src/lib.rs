//! hwsnap-emulator: a local stand-in for Huawei Cloud's DWS, CSS and IAM
//! endpoints. Main types: [`Config`], [`AppState`] (all state in one struct
//! behind a mutex), [`app`] (the axum [`Router`], usable without a socket),
//! [`spawn`] / [`Running`] (serve on a socket), [`ApiError`] (rendered as the
//! cloud's error JSON at the edge).
//!
//! The one design decision: the emulator is an independent reading of the API
//! docs. Its wire structs ([`wire`]) are its own and it shares only the
//! signing code ([`hwsnap_sign`]) with the client; Huawei's official SDK
//! referees the two (`tests/sdk/`).
//!
//! # Routes
//!
//! Cloud routes (signed with `SDK-HMAC-SHA256`; the project id must be the
//! configured one):
//! - `GET    /v3/projects?name={region}` — IAM project lookup
//! - `POST   /v1.0/{project_id}/snapshots` — DWS create → 200 `{"snapshot":{"id"}}`
//! - `GET    /v1.0/{project_id}/snapshots` — DWS list all → `{"snapshots","count"}`
//! - `GET    /v1.0/{project_id}/snapshots/{snapshot_id}` — DWS show
//! - `DELETE /v1.0/{project_id}/snapshots/{snapshot_id}` — DWS delete → 200 `{}`
//! - `GET    /v1.0/{project_id}/clusters/{cluster_id}/snapshots` — DWS per cluster
//!   (`limit`, `offset` = page number minus 1, `sort_key`, `sort_dir`) →
//!   `{"snapshots","project_id","cluster_id","count"}`
//! - `POST   /v1.0/{project_id}/clusters/{cluster_id}/index_snapshot` — CSS create → 201 `{"backup":{"id","name"}}`
//! - `GET    /v1.0/{project_id}/clusters/{cluster_id}/index_snapshots` — CSS list → `{"backups"}`
//! - `DELETE /v1.0/{project_id}/clusters/{cluster_id}/index_snapshot/{snapshot_id}` — CSS delete → 200, empty body
//! - `POST   /v1.0/{project_id}/clusters/{cluster_id}/index_snapshot/{snapshot_id}/restore` —
//!   CSS restore `{"target_cluster",…}` → 201, empty body; progress in the list's `restoreStatus`
//!
//! Control routes (unsigned, never logged or faulted; a POST must say
//! `Content-Type: application/json`, see [`control::require_json`]):
//! - `GET /_emulator/state`, `GET|DELETE /_emulator/requests` (filters
//!   `operation`, `cluster_id`, `method`, `service`)
//! - `POST /_emulator/clusters`, `DELETE /_emulator/clusters/{id}`,
//!   `POST /_emulator/clusters/{id}/outcomes`, `POST /_emulator/clusters/{id}/restore_outcomes`
//! - `POST /_emulator/snapshots` `{"service","cluster_id","name","description"?,"indices"?,"type"?,"started_ms"?}` —
//!   a snapshot made outside Terraform (or by the snapshot policy, `type`
//!   `AUTO`/`AUTOMATED`), already `AVAILABLE` / `COMPLETED`
//! - `DELETE /_emulator/snapshots/{id}`, `POST /_emulator/snapshots/{id}/status`
//! - `POST /_emulator/settings`, `POST|DELETE /_emulator/faults` ([`fault`]), `POST /_emulator/reset`
//!
//! Behaviour choices: a CSS snapshot created with empty `indices` lists
//! `"indices":"*"`; deleting a snapshot that is still CREATING/BUILDING (or
//! being restored) is refused as busy (`DWS.7023` / `CSS.0011`); the DWS
//! per-cluster list is newest first unless sorted otherwise.

pub mod auth;
pub mod config;
pub mod control;
pub mod css;
pub mod dws;
pub mod edge;
pub mod error;
pub mod fault;
pub mod iam;
pub mod model;
mod server;
pub mod state;
pub mod wire;

use std::path::PathBuf;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};

pub use config::Config;
pub use error::ApiError;
pub use server::{Running, spawn};
pub use state::AppState;

/// Errors starting the emulator.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A non-loopback listen address without `allow_remote`.
    #[error(
        "refusing to listen on {addr}: the emulator accepts its control API unauthenticated; \
         listen on a loopback address (127.0.0.1, ::1) or pass --allow-remote"
    )]
    Remote {
        /// Address asked for.
        addr: std::net::SocketAddr,
    },
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// Address asked for.
        addr: std::net::SocketAddr,
        /// Cause.
        source: std::io::Error,
    },
    /// The state file could not be read or written.
    #[error("state file {path}: {source}")]
    StateFile {
        /// The file.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The state file is not valid emulator state.
    #[error("state file {path} is not valid: {message}")]
    StateFormat {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

async fn fallback_no_route() -> ApiError {
    ApiError::NoRoute
}

/// The whole emulator as a router: cloud routes behind [`auth::authenticate`],
/// control routes, all behind [`edge::apply_faults`].
pub fn app(state: AppState) -> Router {
    let cloud = Router::new()
        .route("/v3/projects", get(iam::list_projects))
        .route(
            "/v1.0/{project_id}/snapshots",
            post(dws::create_dws_snapshot).get(dws::list_dws_snapshots),
        )
        .route(
            "/v1.0/{project_id}/snapshots/{snapshot_id}",
            get(dws::show_dws_snapshot).delete(dws::delete_dws_snapshot),
        )
        .route(
            "/v1.0/{project_id}/clusters/{cluster_id}/snapshots",
            get(dws::list_dws_cluster_snapshots),
        )
        .route(
            "/v1.0/{project_id}/clusters/{cluster_id}/index_snapshot",
            post(css::create_css_snapshot),
        )
        .route(
            "/v1.0/{project_id}/clusters/{cluster_id}/index_snapshots",
            get(css::list_css_snapshots),
        )
        .route(
            "/v1.0/{project_id}/clusters/{cluster_id}/index_snapshot/{snapshot_id}",
            axum::routing::delete(css::delete_css_snapshot),
        )
        .route(
            "/v1.0/{project_id}/clusters/{cluster_id}/index_snapshot/{snapshot_id}/restore",
            post(css::restore_css_snapshot),
        )
        .route_layer(from_fn_with_state(state.clone(), auth::authenticate));
    let control = Router::new()
        .route("/_emulator/state", get(control::get_state))
        .route(
            "/_emulator/requests",
            get(control::list_requests).delete(control::delete_requests),
        )
        .route("/_emulator/clusters", post(control::create_cluster))
        .route(
            "/_emulator/clusters/{id}",
            axum::routing::delete(control::delete_cluster),
        )
        .route(
            "/_emulator/clusters/{id}/outcomes",
            post(control::create_outcome),
        )
        .route(
            "/_emulator/clusters/{id}/restore_outcomes",
            post(control::create_restore_outcome),
        )
        .route("/_emulator/snapshots", post(control::create_snapshot))
        .route(
            "/_emulator/snapshots/{id}",
            axum::routing::delete(control::delete_snapshot),
        )
        .route(
            "/_emulator/snapshots/{id}/status",
            post(control::update_snapshot_status),
        )
        .route("/_emulator/settings", post(control::update_settings))
        .route(
            "/_emulator/faults",
            post(control::create_fault).delete(control::delete_faults),
        )
        .route("/_emulator/reset", post(control::reset_state))
        .route_layer(axum::middleware::from_fn(control::require_json));
    cloud
        .merge(control)
        .fallback(fallback_no_route)
        .layer(from_fn_with_state(state.clone(), edge::apply_faults))
        .with_state(state)
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod testutil;
