//! The control API's own rules: `Content-Type: application/json` on every
//! request that changes something, and a request log that names each cloud
//! operation so tests can count calls per route and per cluster.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};

use super::{css_uri, dws_create};
use crate::testutil::{CSS, DWS, PID, control, router, send, signed};

fn raw(method: &str, uri: &str, content_type: Option<&str>, body: &str) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(ct) = content_type {
        b = b.header("content-type", ct);
    }
    if !body.is_empty() {
        b = b.header("content-length", body.len());
    }
    b.body(Body::from(body.to_owned())).unwrap()
}

#[tokio::test]
async fn control_requests_that_change_state_must_be_json() {
    let (app, state) = router(0.0);
    let snapshot = json!({"service": "dws", "cluster_id": DWS, "name": "made-by-hand"}).to_string();
    for (method, uri, ct, body) in [
        ("POST", "/_emulator/snapshots", None, snapshot.as_str()),
        (
            "POST",
            "/_emulator/snapshots",
            Some("text/plain"),
            snapshot.as_str(),
        ),
        (
            "POST",
            "/_emulator/snapshots",
            Some("application/x-www-form-urlencoded"),
            snapshot.as_str(),
        ),
        (
            "POST",
            "/_emulator/snapshots",
            Some("application/jsonp"),
            snapshot.as_str(),
        ),
        ("POST", "/_emulator/reset", None, ""),
        ("POST", "/_emulator/reset", Some("text/plain"), ""),
        ("DELETE", "/_emulator/requests", Some("text/plain"), "{}"),
        ("GET", "/_emulator/state", None, "{}"),
    ] {
        let (s, b) = send(&app, raw(method, uri, ct, body)).await;
        assert_eq!(
            s,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{method} {uri} {ct:?} -> {b}"
        );
        assert!(
            b["error"].as_str().unwrap().contains("application/json"),
            "{b}"
        );
    }
    assert!(
        state.lock().snapshots.is_empty(),
        "nothing refused was acted on"
    );

    for (method, uri, ct, body) in [
        (
            "POST",
            "/_emulator/snapshots",
            Some("application/json; charset=utf-8"),
            snapshot.as_str(),
        ),
        ("POST", "/_emulator/reset", Some("Application/JSON"), ""),
        ("GET", "/_emulator/state", None, ""),
        ("GET", "/_emulator/requests", None, ""),
        ("DELETE", "/_emulator/requests", None, ""),
        ("DELETE", "/_emulator/faults", None, ""),
    ] {
        let (s, b) = send(&app, raw(method, uri, ct, body)).await;
        assert_eq!(s, StatusCode::OK, "{method} {uri} {ct:?} -> {b}");
    }
    // Cloud routes are not affected: the gateway checks signatures instead.
    let (s, _) = send(&app, signed("GET", &format!("/v1.0/{PID}/snapshots"), None)).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn every_cloud_route_is_logged_with_its_operation_and_cluster() {
    let (app, _) = router(0.0);
    let dws_id = {
        let (_, b) = send(
            &app,
            signed(
                "POST",
                &format!("/v1.0/{PID}/snapshots"),
                Some(&dws_create("logged", DWS)),
            ),
        )
        .await;
        b["snapshot"]["id"].as_str().unwrap().to_owned()
    };
    let (_, b) = send(
        &app,
        signed(
            "POST",
            &css_uri("index_snapshot"),
            Some(&json!({"name": "logged"})),
        ),
    )
    .await;
    let css_id = b["backup"]["id"].as_str().unwrap().to_owned();
    let calls: Vec<(&str, String, Option<Value>)> = vec![
        ("GET", "/v3/projects?name=ap-southeast-1".into(), None),
        ("GET", format!("/v1.0/{PID}/snapshots"), None),
        ("GET", format!("/v1.0/{PID}/snapshots/{dws_id}"), None),
        (
            "GET",
            format!("/v1.0/{PID}/clusters/{DWS}/snapshots?limit=5"),
            None,
        ),
        ("DELETE", format!("/v1.0/{PID}/snapshots/{dws_id}"), None),
        ("GET", css_uri("index_snapshots"), None),
        (
            "POST",
            css_uri(&format!("index_snapshot/{css_id}/restore")),
            Some(json!({"target_cluster": CSS})),
        ),
        ("GET", css_uri("index_snapshots"), None),
        ("DELETE", css_uri(&format!("index_snapshot/{css_id}")), None),
        ("GET", "/v2/nothing".into(), None),
    ];
    for (method, uri, body) in &calls {
        send(&app, signed(method, uri, body.as_ref())).await;
    }
    let (_, log) = send(&app, control("GET", "/_emulator/requests", None)).await;
    let ops: Vec<Value> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["operation"].clone())
        .collect();
    assert_eq!(
        ops,
        [
            json!("dws.create_snapshot"),
            json!("css.create_snapshot"),
            json!("iam.list_projects"),
            json!("dws.list_snapshots"),
            json!("dws.show_snapshot"),
            json!("dws.list_cluster_snapshots"),
            json!("dws.delete_snapshot"),
            json!("css.list_snapshots"),
            json!("css.restore_snapshot"),
            json!("css.list_snapshots"),
            json!("css.delete_snapshot"),
            Value::Null,
        ]
    );
    let entries = log.as_array().unwrap();
    assert_eq!(
        entries[1]["route"],
        "/v1.0/{project_id}/clusters/{cluster_id}/index_snapshot"
    );
    assert_eq!(entries[1]["cluster_id"], CSS);
    assert_eq!(entries[5]["cluster_id"], DWS);
    assert_eq!(entries[5]["query"], "limit=5");
    assert!(entries[3]["cluster_id"].is_null());
    assert!(entries[11]["route"].is_null());

    // Filters: count one operation on one cluster.
    let count = |q: &str| {
        let app = app.clone();
        let q = q.to_owned();
        async move {
            let (s, b) = send(
                &app,
                control("GET", &format!("/_emulator/requests?{q}"), None),
            )
            .await;
            assert_eq!(s, StatusCode::OK, "{q}: {b}");
            b.as_array().unwrap().len()
        }
    };
    assert_eq!(
        count(&format!("operation=css.list_snapshots&cluster_id={CSS}")).await,
        2
    );
    assert_eq!(
        count(&format!("operation=css.list_snapshots&cluster_id={DWS}")).await,
        0
    );
    assert_eq!(count("service=dws&method=delete").await, 1);
    assert_eq!(count(&format!("cluster_id={CSS}")).await, 5);
    let (s, b) = send(&app, control("GET", "/_emulator/requests?op=x", None)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
}
