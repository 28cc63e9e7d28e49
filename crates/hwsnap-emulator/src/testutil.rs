//! Test fixtures: an emulator state, signed requests, and a oneshot helper.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use hwsnap_sign::Credentials;
use serde_json::Value;
use time::OffsetDateTime;
use tower::ServiceExt;

use crate::auth::parse_query;
use crate::config::{DEFAULT_ACCESS_KEY, DEFAULT_PROJECT_ID, DEFAULT_SECRET_KEY};
use crate::{AppState, Config, app};

pub const PID: &str = DEFAULT_PROJECT_ID;
pub const DWS: &str = crate::config::DEFAULT_DWS_CLUSTER;
pub const CSS: &str = crate::config::DEFAULT_CSS_CLUSTER;

pub fn creds() -> Credentials {
    Credentials::new(DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY)
}

pub fn router(create_seconds: f64) -> (Router, AppState) {
    let state = AppState::new(&Config {
        create_seconds,
        ..Config::default()
    })
    .unwrap();
    (app(state.clone()), state)
}

/// A request signed like a client would, at `at`.
pub fn signed_with(
    creds: &Credentials,
    at: OffsetDateTime,
    method: &str,
    uri: &str,
    body: Option<&Value>,
) -> Request<Body> {
    let body = body
        .map(|b| serde_json::to_vec(b).unwrap())
        .unwrap_or_default();
    signed_raw(creds, at, method, uri, body)
}

/// A request with raw body bytes, signed like a client would, at `at`.
pub fn signed_raw(
    creds: &Credentials,
    at: OffsetDateTime,
    method: &str,
    uri: &str,
    body: Vec<u8>,
) -> Request<Body> {
    let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
    let query = parse_query(query);
    let mut headers = Vec::new();
    if !body.is_empty() {
        headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
    }
    let host = "emulator.test:8080";
    let req = hwsnap_sign::Request {
        method,
        host,
        path,
        query: &query,
        headers: &headers,
        body: &body,
    };
    let added = hwsnap_sign::sign(&req, creds, at);
    let mut builder = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", host);
    for (n, v) in headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .chain(added.iter().map(|(n, v)| (*n, v.as_str())))
    {
        builder = builder.header(n, v);
    }
    builder.body(Body::from(body)).unwrap()
}

pub fn signed(method: &str, uri: &str, body: Option<&Value>) -> Request<Body> {
    signed_with(&creds(), OffsetDateTime::now_utc(), method, uri, body)
}

pub fn control(method: &str, uri: &str, body: Option<&Value>) -> Request<Body> {
    let body = body
        .map(|b| serde_json::to_vec(b).unwrap())
        .unwrap_or_default();
    Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap()
}

/// Sends and returns status and JSON body (`Null` when empty, `String` when not JSON).
pub async fn send(app: &Router, req: Request<Body>) -> (StatusCode, Value) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    if bytes.is_empty() {
        return (status, Value::Null);
    }
    let value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, value)
}
