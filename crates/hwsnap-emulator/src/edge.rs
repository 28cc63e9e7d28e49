//! [`apply_faults`]: the outermost middleware on cloud paths. It applies the
//! fault rules (`/_emulator/faults`, see [`crate::fault`]), records each
//! request in the request log with its [`operation_of`], and adds an
//! `X-Request-Id` header.
//!
//! Dropping a connection needs the server's help: the socket server puts a
//! [`ConnectionDrop`] in each request's extensions and closes the connection
//! when it is notified; the response future then never completes, so no HTTP
//! answer is written. Hanging needs no help: the response future simply never
//! completes, and the connection stays open until the client gives up (or
//! the emulator shuts down). Generated and dripped bodies are streams, so a
//! huge body never sits in the emulator's memory.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tokio::sync::Notify;

use crate::auth::MAX_BODY;
use crate::error::request_id;
use crate::fault::{FaultAction, FaultKind};
use crate::state::{AppState, LogEntry};

/// Header set on the stand-in answer when a drop fault fires without a
/// socket (in-process `oneshot` tests only).
pub const DROPPED_HEADER: &str = "x-emulator-dropped";

/// Largest real answer a `drip` fault holds while dripping it.
const MAX_DRIP_BODY: usize = 16 << 20;

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

/// The cloud operation a route serves, named `service.call` after the
/// official SDK's method (`show_snapshot` for DWS `list_snapshot_details`),
/// so tests can count requests per operation. `route` is the matched route
/// template; `None` for a combination no route serves.
pub fn operation_of(method: &Method, route: &str) -> Option<&'static str> {
    let tail = route.strip_prefix("/v1.0/{project_id}");
    Some(match (method.as_str(), tail) {
        ("GET", None) if route == "/v3/projects" => "iam.list_projects",
        ("POST", Some("/snapshots")) => "dws.create_snapshot",
        ("GET", Some("/snapshots")) => "dws.list_snapshots",
        ("GET", Some("/snapshots/{snapshot_id}")) => "dws.show_snapshot",
        ("DELETE", Some("/snapshots/{snapshot_id}")) => "dws.delete_snapshot",
        ("GET", Some("/clusters/{cluster_id}/snapshots")) => "dws.list_cluster_snapshots",
        ("POST", Some("/clusters/{cluster_id}/index_snapshot")) => "css.create_snapshot",
        ("GET", Some("/clusters/{cluster_id}/index_snapshots")) => "css.list_snapshots",
        ("DELETE", Some("/clusters/{cluster_id}/index_snapshot/{snapshot_id}")) => {
            "css.delete_snapshot"
        }
        ("POST", Some("/clusters/{cluster_id}/index_snapshot/{snapshot_id}/restore")) => {
            "css.restore_snapshot"
        }
        _ => return None,
    })
}

/// The segment after `/clusters/` in a cloud path, if any.
pub fn cluster_of(path: &str) -> Option<&str> {
    let mut segments = path.split('/');
    segments.find(|s| *s == "clusters")?;
    segments.next().filter(|s| !s.is_empty())
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
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let entry = LogEntry {
        seq: 0,
        method: method.as_str().to_owned(),
        query: req.uri().query().unwrap_or("").to_owned(),
        status: 0,
        service: service_of(&path),
        operation: route.as_deref().and_then(|r| operation_of(&method, r)),
        cluster_id: cluster_of(&path).map(str::to_owned),
        route,
        path,
        fault: None,
    };
    let dropper = req.extensions().get::<ConnectionDrop>().cloned();
    let fault = state.lock().fire_fault(entry.method.as_str(), &entry.path);
    let record = |status: u16, fault: Option<FaultKind>| {
        state.lock().log_request(LogEntry {
            status,
            fault,
            ..entry.clone()
        });
    };

    let Some(fault) = fault else {
        let response = next.run(req).await;
        record(response.status().as_u16(), None);
        return tagged(response);
    };
    let kind = Some(fault.kind);
    let response = match fault.action {
        FaultAction::Throttle { retry_after } => {
            let mut r = (
                StatusCode::TOO_MANY_REQUESTS,
                axum::Json(json!({
                    "error_code": "APIGW.0308",
                    "error_msg": "The throttling threshold has been reached",
                    "request_id": request_id(),
                })),
            )
                .into_response();
            if let Some(v) = retry_after {
                r.headers_mut().insert(http::header::RETRY_AFTER, v);
            }
            r
        }
        FaultAction::Html500 => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(http::header::CONTENT_TYPE, "text/html")],
            "<html><head><title>500 Internal Server Error</title></head>\
             <body><center><h1>500 Internal Server Error</h1></center></body></html>",
        )
            .into_response(),
        FaultAction::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({
                "error_code": "APIGW.0202",
                "error_msg": "The API is unavailable",
                "request_id": request_id(),
            })),
        )
            .into_response(),
        FaultAction::Garbage { body } => (
            StatusCode::OK,
            [(http::header::CONTENT_TYPE, "application/json")],
            body.unwrap_or_else(|| "{\"snapshot\": <<garbage".to_owned()),
        )
            .into_response(),
        FaultAction::Latency { ms } => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            next.run(req).await
        }
        FaultAction::DropBefore => {
            record(0, kind);
            return drop_connection(dropper, None).await;
        }
        FaultAction::DropAfter => {
            let performed = next.run(req).await;
            record(performed.status().as_u16(), kind);
            return drop_connection(dropper, Some(performed)).await;
        }
        FaultAction::HangBefore => {
            // Read the whole request, as a server that accepted it would.
            let _ = axum::body::to_bytes(req.into_body(), MAX_BODY).await;
            record(0, kind);
            tracing::info!("fault injection: hanging without acting");
            return std::future::pending().await;
        }
        FaultAction::HangAfter => {
            let performed = next.run(req).await;
            record(performed.status().as_u16(), kind);
            tracing::info!("fault injection: acted, now hanging without an answer");
            return std::future::pending().await;
        }
        FaultAction::Redirect { status, location } => {
            let mut r = (
                status,
                [(http::header::CONTENT_TYPE, "text/html")],
                "<html><body>Moved</body></html>",
            )
                .into_response();
            r.headers_mut().insert(http::header::LOCATION, location);
            r
        }
        FaultAction::ExtraHeader { headers } => {
            let mut r = next.run(req).await;
            for (name, value) in headers {
                r.headers_mut().insert(name, value);
            }
            r
        }
        FaultAction::HugeBody {
            status,
            bytes,
            content_length,
        } => {
            let mut r = Response::new(generated_body(bytes));
            *r.status_mut() = status;
            let headers = r.headers_mut();
            headers.insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            if content_length {
                headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from(bytes));
            }
            r
        }
        FaultAction::Drip { bytes_per_second } => {
            let performed = next.run(req).await;
            let (mut parts, body) = performed.into_parts();
            let body = axum::body::to_bytes(body, MAX_DRIP_BODY)
                .await
                .unwrap_or_default();
            parts
                .headers
                .insert(http::header::CONTENT_LENGTH, HeaderValue::from(body.len()));
            Response::from_parts(parts, dripped_body(body, bytes_per_second))
        }
    };
    record(response.status().as_u16(), kind);
    tagged(response)
}

fn tagged(mut response: Response) -> Response {
    if let Ok(v) = HeaderValue::from_str(&request_id()) {
        response.headers_mut().insert("x-request-id", v);
    }
    response
}

/// A filler chunk the generated bodies are sliced from (no allocation per chunk).
static FILLER: [u8; 64 * 1024] = [b'x'; 64 * 1024];
const HUGE_PREFIX: &[u8] = b"{\"error_code\":\"APIGW.0000\",\"error_msg\":\"";
const HUGE_SUFFIX: &[u8] = b"\"}";

/// Exactly `total` bytes, streamed: an error JSON whose message is filler
/// (when `total` has room for the JSON around it), else filler alone.
fn generated_body(total: u64) -> Body {
    let framed = total >= (HUGE_PREFIX.len() + HUGE_SUFFIX.len()) as u64;
    let filler = if framed {
        total - (HUGE_PREFIX.len() + HUGE_SUFFIX.len()) as u64
    } else {
        total
    };
    let head = framed.then(|| Bytes::from_static(HUGE_PREFIX));
    let tail = framed.then(|| Bytes::from_static(HUGE_SUFFIX));
    let middle = futures::stream::unfold(filler, |left| async move {
        if left == 0 {
            return None;
        }
        let n = usize::try_from(left).map_or(FILLER.len(), |l| l.min(FILLER.len()));
        Some((Bytes::from_static(&FILLER[..n]), left - n as u64))
    });
    let stream = futures::StreamExt::chain(
        futures::StreamExt::chain(futures::stream::iter(head), middle),
        futures::stream::iter(tail),
    );
    Body::from_stream(futures::StreamExt::map(stream, Ok::<_, std::io::Error>))
}

/// `body` sent at about `bytes_per_second`: slow rates send one byte every
/// `1/rate` seconds, faster ones a tenth of the rate every 100 ms.
fn dripped_body(body: Bytes, bytes_per_second: u32) -> Body {
    let rate = u64::from(bytes_per_second.max(1));
    let (chunk, every) = if rate >= 10 {
        (rate / 10, Duration::from_millis(100))
    } else {
        (1, Duration::from_millis(1000 / rate))
    };
    let chunk = usize::try_from(chunk).unwrap_or(usize::MAX);
    let stream = futures::stream::unfold(body, move |mut rest| async move {
        if rest.is_empty() {
            return None;
        }
        tokio::time::sleep(every).await;
        let piece = rest.split_to(chunk.min(rest.len()));
        Some((Ok::<_, std::io::Error>(piece), rest))
    });
    Body::from_stream(stream)
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
        assert_eq!(
            cluster_of("/v1.0/p/clusters/c-1/index_snapshots"),
            Some("c-1")
        );
        assert_eq!(cluster_of("/v1.0/p/snapshots/x"), None);
        assert_eq!(cluster_of("/v1.0/p/clusters/"), None);
        assert_eq!(
            operation_of(
                &Method::POST,
                "/v1.0/{project_id}/clusters/{cluster_id}/index_snapshot/{snapshot_id}/restore"
            ),
            Some("css.restore_snapshot")
        );
        assert_eq!(
            operation_of(&Method::PUT, "/v1.0/{project_id}/snapshots"),
            None
        );
    }

    async fn collect(body: Body) -> (Vec<u8>, usize) {
        let mut stream = body.into_data_stream();
        let (mut out, mut frames) = (Vec::new(), 0);
        while let Some(chunk) = futures::StreamExt::next(&mut stream).await {
            frames += 1;
            out.extend_from_slice(&chunk.unwrap());
        }
        (out, frames)
    }

    #[tokio::test]
    async fn generated_bodies_have_the_exact_size_and_come_in_chunks() {
        let (b, frames) = collect(generated_body(200_000)).await;
        assert_eq!(b.len(), 200_000);
        assert!(b.starts_with(HUGE_PREFIX) && b.ends_with(HUGE_SUFFIX));
        assert!(frames >= 4, "streamed in chunks, got {frames}");
        assert_eq!(collect(generated_body(5)).await.0, b"xxxxx");
        assert!(collect(generated_body(0)).await.0.is_empty());
    }

    #[tokio::test]
    async fn drip_spreads_the_body_over_time() {
        // Slow rates: one byte every 1/rate s.
        let start = std::time::Instant::now();
        let (b, frames) = collect(dripped_body(Bytes::from_static(b"ab"), 4)).await;
        assert_eq!((b.as_slice(), frames), (&b"ab"[..], 2));
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(500) && took < Duration::from_secs(3),
            "{took:?}"
        );
        // Faster rates: rate/10 bytes every 100 ms.
        let start = std::time::Instant::now();
        let (b, frames) = collect(dripped_body(Bytes::from(vec![b'z'; 100]), 200)).await;
        assert_eq!((b.len(), frames), (100, 5));
        assert!(start.elapsed() >= Duration::from_millis(500));
    }
}
