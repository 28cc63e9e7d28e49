//! The fault kinds for hostile-endpoint tests, in process: redirect, extra
//! header on the real answer, huge body, drip; and rules refused at install
//! time. (Hanging needs a socket: see `server.rs`.)

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::dws_create;
use crate::testutil::{DWS, PID, control, router, send, signed};

async fn add(app: &axum::Router, rule: Value) -> (StatusCode, Value) {
    send(app, control("POST", "/_emulator/faults", Some(&rule))).await
}

fn create_uri() -> String {
    format!("/v1.0/{PID}/snapshots")
}

#[tokio::test]
async fn redirect_answers_3xx_without_acting() {
    let (app, state) = router(0.0);
    let rule = json!({"path": "/snapshots$", "method": "POST", "kind": "redirect",
        "status": 307, "location": "http://127.0.0.1:9/thief", "count": 1});
    assert_eq!(add(&app, rule).await.0, StatusCode::OK);
    let resp = app
        .clone()
        .oneshot(signed(
            "POST",
            &create_uri(),
            Some(&dws_create("redirected", DWS)),
        ))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(resp.headers()["location"], "http://127.0.0.1:9/thief");
    assert!(state.lock().snapshots.is_empty(), "a redirect does not act");
    let (_, log) = send(&app, control("GET", "/_emulator/requests", None)).await;
    assert_eq!(
        (log[0]["status"].as_u64(), log[0]["fault"].as_str()),
        (Some(307), Some("redirect"))
    );
}

#[tokio::test]
async fn extra_header_rides_on_the_real_answer() {
    let (app, state) = router(0.0);
    let rule = json!({"path": "/snapshots$", "method": "POST", "kind": "extra_header",
        "headers": {"Retry-After": "1e20", "X-Other": "y"}, "count": 1});
    assert_eq!(add(&app, rule).await.0, StatusCode::OK);
    let resp = app
        .clone()
        .oneshot(signed(
            "POST",
            &create_uri(),
            Some(&dws_create("with-header", DWS)),
        ))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "the real, successful answer");
    assert_eq!(resp.headers()["retry-after"], "1e20");
    assert_eq!(resp.headers()["x-other"], "y");
    let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
        .await
        .unwrap();
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        v["snapshot"]["id"],
        state.lock().snapshots[0].id.as_str(),
        "the create happened"
    );
}

#[tokio::test]
async fn huge_body_is_generated_with_or_without_content_length() {
    let (app, state) = router(0.0);
    let size: u64 = 3 * 1024 * 1024 + 7;
    for content_length in [true, false] {
        let rule = json!({"path": "/snapshots$", "kind": "huge_body", "bytes": size,
            "content_length": content_length, "count": 1});
        assert_eq!(add(&app, rule).await.0, StatusCode::OK);
        let resp = app
            .clone()
            .oneshot(signed(
                "POST",
                &create_uri(),
                Some(&dws_create("never-made", DWS)),
            ))
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            resp.headers()
                .get("content-length")
                .map(|v| v.to_str().unwrap().to_owned()),
            content_length.then(|| size.to_string())
        );
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        assert_eq!(body.len() as u64, size);
        assert!(body.starts_with(b"{\"error_code\""));
    }
    assert!(
        state.lock().snapshots.is_empty(),
        "a huge body does not act"
    );
    let rule = json!({"path": ".", "kind": "huge_body", "bytes": 10, "status": 200, "count": 1});
    add(&app, rule).await;
    let (s, b) = send(&app, signed("GET", &create_uri(), None)).await;
    assert_eq!((s, b), (StatusCode::OK, json!("xxxxxxxxxx")));
}

#[tokio::test]
async fn drip_acts_then_sends_the_real_body_slowly() {
    let (app, state) = router(0.0);
    let rule = json!({"path": "/snapshots$", "method": "POST", "kind": "drip",
        "bytes_per_second": 100, "count": 1});
    assert_eq!(add(&app, rule).await.0, StatusCode::OK);
    let start = Instant::now();
    let resp = app
        .clone()
        .oneshot(signed(
            "POST",
            &create_uri(),
            Some(&dws_create("dripped", DWS)),
        ))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        state.lock().snapshots.len(),
        1,
        "acted before the body started"
    );
    let length: usize = resp.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
        .await
        .unwrap();
    assert_eq!(body.len(), length);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["snapshot"]["id"], state.lock().snapshots[0].id.as_str());
    // ~50 bytes at 100 B/s: about half a second, not instant.
    let expected = Duration::from_millis(length as u64 * 1000 / 100);
    assert!(
        start.elapsed() + Duration::from_millis(150) >= expected,
        "{:?} for {length} bytes",
        start.elapsed()
    );
}

#[tokio::test]
async fn malformed_rules_are_refused_at_install_time() {
    let (app, _) = router(0.0);
    for rule in [
        json!({"path": ".", "kind": "redirect"}),
        json!({"path": ".", "kind": "redirect", "location": "x", "status": 404}),
        json!({"path": ".", "kind": "huge_body"}),
        json!({"path": ".", "kind": "drip"}),
        json!({"path": ".", "kind": "extra_header"}),
        json!({"path": ".", "kind": "extra_header", "headers": {"x": "a\u{7f}"}}),
        json!({"path": ".", "kind": "hang"}),
        json!({"path": "(", "kind": "hang_before"}),
        json!({"path": ".", "kind": "throttle", "retry_afterr": 1}),
    ] {
        let (s, b) = add(&app, rule.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{rule} -> {b}");
        assert!(b["error"].is_string());
    }
    // Nothing was installed.
    let (s, _) = send(&app, signed("GET", &create_uri(), None)).await;
    assert_eq!(s, StatusCode::OK);
}
