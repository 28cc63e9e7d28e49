//! CSS restore: the request rules and error codes, `restoreStatus` on the
//! create-time clock, the forced failure hook, and what a running restore
//! blocks.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::css_uri;
use crate::testutil::{CSS, PID, control, router, send, signed};

async fn create_css(app: &axum::Router, name: &str) -> String {
    let (s, b) = send(
        app,
        signed(
            "POST",
            &css_uri("index_snapshot"),
            Some(&json!({"name": name})),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["backup"]["id"].as_str().unwrap().to_owned()
}

async fn restore(app: &axum::Router, cluster: &str, id: &str, body: &Value) -> (StatusCode, Value) {
    let uri = format!("/v1.0/{PID}/clusters/{cluster}/index_snapshot/{id}/restore");
    send(app, signed("POST", &uri, Some(body))).await
}

async fn restore_status(app: &axum::Router, id: &str) -> String {
    let (_, b) = send(app, signed("GET", &css_uri("index_snapshots"), None)).await;
    b["backups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .map(|s| s["restoreStatus"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| panic!("{id} not listed in {b}"))
}

async fn add_css_cluster(app: &axum::Router) -> String {
    let (_, c) = send(
        app,
        control(
            "POST",
            "/_emulator/clusters",
            Some(&json!({"service": "css"})),
        ),
    )
    .await;
    c["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn restore_moves_through_restoring_to_success_on_the_create_clock() {
    let (app, _) = router(0.0);
    let target = add_css_cluster(&app).await;
    let id = create_css(&app, "to-restore").await;
    assert_eq!(restore_status(&app, &id).await, "none");
    send(
        &app,
        control(
            "POST",
            "/_emulator/settings",
            Some(&json!({"create_seconds": 0.4})),
        ),
    )
    .await;
    let body = json!({"target_cluster": target, "indices": "logs-*",
        "rename_pattern": "logs-(.+)", "rename_replacement": "restored-$1",
        "replace_exist_indices": true});
    let (s, b) = restore(&app, CSS, &id, &body).await;
    assert_eq!(
        (s, b),
        (StatusCode::CREATED, Value::Null),
        "201 with an empty body"
    );
    assert_eq!(restore_status(&app, &id).await, "restoring");
    let (_, state) = send(&app, control("GET", "/_emulator/state", None)).await;
    assert_eq!(
        state["css_restores"],
        json!([{"snapshot_id": id, "cluster_id": CSS, "target_cluster": target,
            "indices": "logs-*", "rename_pattern": "logs-(.+)",
            "rename_replacement": "restored-$1", "replace_exist_indices": true,
            "status": "restoring"}]),
        "the state shows what the restore asked for"
    );

    // While it runs: the snapshot cannot be deleted or restored again, and
    // the target cluster is busy.
    let (s, b) = send(
        &app,
        signed("DELETE", &css_uri(&format!("index_snapshot/{id}")), None),
    )
    .await;
    assert_eq!(
        (s, b["errCode"].as_str()),
        (StatusCode::CONFLICT, Some("CSS.0011"))
    );
    let (s, b) = restore(&app, CSS, &id, &json!({"target_cluster": CSS})).await;
    assert_eq!(
        (s, b["errCode"].as_str()),
        (StatusCode::CONFLICT, Some("CSS.0011"))
    );
    let other = format!("/v1.0/{PID}/clusters/{target}/index_snapshot");
    let (s, b) = send(
        &app,
        signed("POST", &other, Some(&json!({"name": "on-target"}))),
    )
    .await;
    assert_eq!(
        (s, b["errCode"].as_str()),
        (StatusCode::CONFLICT, Some("CSS.0011"))
    );

    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(restore_status(&app, &id).await, "success");
    let (_, state) = send(&app, control("GET", "/_emulator/state", None)).await;
    assert_eq!(state["css_snapshots"][0]["restoreStatus"], "success");
    assert_eq!(state["css_restores"][0]["status"], "success");
    let (s, _) = send(
        &app,
        signed("DELETE", &css_uri(&format!("index_snapshot/{id}")), None),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn a_forced_restore_failure_shows_in_the_list_once() {
    let (app, _) = router(0.0);
    let id = create_css(&app, "fails-once").await;
    let (s, _) = send(
        &app,
        control(
            "POST",
            &format!("/_emulator/clusters/{CSS}/restore_outcomes"),
            Some(&json!({"status": "failed"})),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    // camelCase, as older SDKs sent it.
    let (s, _) = restore(&app, CSS, &id, &json!({"targetCluster": CSS})).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(restore_status(&app, &id).await, "failed");
    let (s, _) = restore(&app, CSS, &id, &json!({"target_cluster": CSS})).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(restore_status(&app, &id).await, "success");

    for (uri, body, status) in [
        (
            format!("/_emulator/clusters/{CSS}/restore_outcomes"),
            json!({"status": "restoring"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("/_emulator/clusters/{CSS}/restore_outcomes"),
            json!({"status": "FAILED"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/_emulator/clusters/nope/restore_outcomes".to_owned(),
            json!({"status": "failed"}),
            StatusCode::NOT_FOUND,
        ),
    ] {
        let (s, b) = send(&app, control("POST", &uri, Some(&body))).await;
        assert_eq!(s, status, "{uri} {body} -> {b}");
    }
}

#[tokio::test]
async fn restore_refusals_use_the_cloud_codes() {
    let (app, state) = router(0.0);
    let id = create_css(&app, "source").await;
    let missing = "00000000-0000-4000-8000-000000000000";
    for (cluster, snapshot, body, status, code) in [
        (
            CSS,
            id.as_str(),
            json!({}),
            StatusCode::BAD_REQUEST,
            "CSS.0001",
        ),
        (
            CSS,
            id.as_str(),
            json!({"target_cluster": ""}),
            StatusCode::BAD_REQUEST,
            "CSS.0001",
        ),
        (
            CSS,
            id.as_str(),
            json!({"target_cluster": missing}),
            StatusCode::FORBIDDEN,
            "CSS.0015",
        ),
        (
            CSS,
            missing,
            json!({"target_cluster": CSS}),
            StatusCode::FORBIDDEN,
            "CSS.0015",
        ),
        (
            missing,
            id.as_str(),
            json!({"target_cluster": CSS}),
            StatusCode::FORBIDDEN,
            "CSS.0015",
        ),
        (
            CSS,
            id.as_str(),
            json!({"target_cluster": CSS, "indices": "Upper"}),
            StatusCode::BAD_REQUEST,
            "CSS.0001",
        ),
        (
            CSS,
            id.as_str(),
            json!({"target_cluster": CSS, "rename_pattern": "a b", "rename_replacement": "x"}),
            StatusCode::BAD_REQUEST,
            "CSS.0001",
        ),
        (
            CSS,
            id.as_str(),
            json!({"target_cluster": CSS, "replace_exist_indices": "yes"}),
            StatusCode::BAD_REQUEST,
            "CSS.0001",
        ),
    ] {
        let (s, b) = restore(&app, cluster, snapshot, &body).await;
        assert_eq!(
            (s, b["errCode"].as_str()),
            (status, Some(code)),
            "{cluster}/{snapshot} {body} -> {b}"
        );
        assert!(b["externalMessage"].is_string());
    }
    // Only a COMPLETED snapshot restores.
    for (forced, status, code) in [
        ("FAILED", StatusCode::BAD_REQUEST, "CSS.0001"),
        ("PART_FAILED", StatusCode::BAD_REQUEST, "CSS.0001"),
        ("BUILDING", StatusCode::CONFLICT, "CSS.0011"),
    ] {
        send(
            &app,
            control(
                "POST",
                &format!("/_emulator/snapshots/{id}/status"),
                Some(&json!({"status": forced})),
            ),
        )
        .await;
        let (s, b) = restore(&app, CSS, &id, &json!({"target_cluster": CSS})).await;
        assert_eq!(
            (s, b["errCode"].as_str()),
            (status, Some(code)),
            "{forced}: {b}"
        );
    }
    assert!(
        state.lock().snapshots[0].restore.is_none(),
        "no refused restore was recorded"
    );
}
