//! [`apply_faults`]: the outermost middleware on cloud paths. It applies the
//! fault rules (`/_emulator/faults`), records each request in the request
//! log, and adds an `X-Request-Id` header. Dropping a connection needs the
//! server's help: the socket server puts a [`ConnectionDrop`] in each request's
//! extensions and closes the connection when it is notified; the response
//! future then never completes, so no HTTP answer is written.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tokio::sync::Notify;

use crate::error::request_id;
use crate::state::{AppState, FaultKind, LogEntry};

/// Header set on the stand-in answer when a drop fault fires without a
/// socket (in-process `oneshot` tests only).
pub const DROPPED_HEADER: &str = "x-emulator-dropped";

/// Per-connection signal: notify it to close the connection unanswered.
#[derive(Clone, Debug, Default)]
pub struct ConnectionDrop(pub Arc<Notify>);

/// The service a cloud path belongs to, for the request log.
pub fn service_of(path: &str) -> &'static str {
    if path.starts_with("/v3/") {
        "iam"
    } else if path.contains("/index_snapshot") {
        "css"
    } else {
        "dws"
    }
}

/// Whether `path` is a control path (never faulted, never logged, never signed).
pub fn is_control(path: &str) -> bool {
    path == "/_emulator" || path.starts_with("/_emulator/")
}

/// Applies faults, logs, and tags the response with a request id.
pub async fn apply_faults(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if is_control(&path) {
        return next.run(req).await;
    }
    let method = req.method().as_str().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    let dropper = req.extensions().get::<ConnectionDrop>().cloned();
    let fault = state.lock().fire_fault(&method, &path);
    let fault_kind = fault.as_ref().map(|f| f.kind);
    let record = |status: u16, fault: Option<FaultKind>| {
        state.lock().log_request(LogEntry {
            seq: 0,
            method: method.clone(),
            path: path.clone(),
            query: query.clone(),
            status,
            service: service_of(&path),
            fault,
        });
    };

    let mut response = match fault {
        None => next.run(req).await,
        Some(fault) => match fault.kind {
            FaultKind::Throttle => {
                let mut r = (
                    StatusCode::TOO_MANY_REQUESTS,
                    axum::Json(json!({
                        "error_code": "APIGW.0308",
                        "error_msg": "The throttling threshold has been reached",
                        "request_id": request_id(),
                    })),
                )
                    .into_response();
                if let Some(secs) = fault.retry_after {
                    r.headers_mut()
                        .insert(http::header::RETRY_AFTER, HeaderValue::from(secs));
                }
                r
            }
            FaultKind::Html500 => (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(http::header::CONTENT_TYPE, "text/html")],
                "<html><head><title>500 Internal Server Error</title></head>\
                 <body><center><h1>500 Internal Server Error</h1></center></body></html>",
            )
                .into_response(),
            FaultKind::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(json!({
                    "error_code": "APIGW.0202",
                    "error_msg": "The API is unavailable",
                    "request_id": request_id(),
                })),
            )
                .into_response(),
            FaultKind::Garbage => (
                StatusCode::OK,
                [(http::header::CONTENT_TYPE, "application/json")],
                fault
                    .body
                    .unwrap_or_else(|| "{\"snapshot\": <<garbage".to_owned()),
            )
                .into_response(),
            FaultKind::Latency => {
                tokio::time::sleep(Duration::from_millis(fault.latency_ms)).await;
                next.run(req).await
            }
            FaultKind::DropBefore => {
                record(0, Some(fault.kind));
                return drop_connection(dropper, None).await;
            }
            FaultKind::DropAfter => {
                let performed = next.run(req).await;
                record(performed.status().as_u16(), Some(fault.kind));
                return drop_connection(dropper, Some(performed)).await;
            }
        },
    };
    record(response.status().as_u16(), fault_kind);
    if let Ok(v) = HeaderValue::from_str(&request_id()) {
        response.headers_mut().insert("x-request-id", v);
    }
    response
}

/// Closes the connection unanswered; without a socket, answers 502 with
/// [`DROPPED_HEADER`] so in-process tests can see what happened.
async fn drop_connection(dropper: Option<ConnectionDrop>, performed: Option<Response>) -> Response {
    match dropper {
        Some(ConnectionDrop(notify)) => {
            notify.notify_one();
            std::future::pending::<Response>().await
        }
        None => {
            let status = performed.map(|r| r.status().as_u16()).unwrap_or(0);
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::BAD_GATEWAY;
            r.headers_mut()
                .insert(DROPPED_HEADER, HeaderValue::from(status));
            r
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_and_control_paths() {
        assert_eq!(service_of("/v3/projects"), "iam");
        assert_eq!(service_of("/v1.0/p/clusters/c/index_snapshots"), "css");
        assert_eq!(service_of("/v1.0/p/clusters/c/index_snapshot/x"), "css");
        assert_eq!(service_of("/v1.0/p/clusters/c/snapshots"), "dws");
        assert!(is_control("/_emulator/state"));
        assert!(!is_control("/_emulatorx"));
    }
}
