//! The list routes as the cloud serves them: DWS per-cluster paging (page
//! number minus 1), sort keys and the validation of bad paging values; the
//! project list; automatic snapshots made through the control API; the CSS
//! list's fields.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{create_dws, css_uri};
use crate::state::now_ms;
use crate::testutil::{CSS, DWS, PID, control, router, send, signed};

fn names(b: &Value) -> Vec<String> {
    b["snapshots"]
        .as_array()
        .unwrap_or_else(|| panic!("no snapshots in {b}"))
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn list(app: &axum::Router, query: &str) -> (StatusCode, Value) {
    let uri = format!("/v1.0/{PID}/clusters/{DWS}/snapshots{query}");
    send(app, signed("GET", &uri, None)).await
}

async fn automatic(
    app: &axum::Router,
    service: &str,
    cluster: &str,
    name: &str,
    kind: &str,
    started_ms: i64,
) -> Value {
    let body = json!({"service": service, "cluster_id": cluster, "name": name,
        "type": kind, "started_ms": started_ms});
    let (s, b) = send(app, control("POST", "/_emulator/snapshots", Some(&body))).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b
}

#[tokio::test]
async fn dws_cluster_list_pages_by_page_number_and_sorts() {
    let (app, _) = router(0.0);
    for name in ["bbbb", "aaaa", "cccc", "eeee", "dddd"] {
        create_dws(&app, name).await;
    }
    // Default: newest first (started desc; same-millisecond ties keep
    // creation order, reversed).
    let (s, b) = list(&app, "").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(names(&b), ["dddd", "eeee", "cccc", "aaaa", "bbbb"]);
    assert_eq!(
        (
            b["count"].as_u64(),
            b["cluster_id"].as_str(),
            b["project_id"].as_str()
        ),
        (Some(5), Some(DWS), Some(PID))
    );

    // offset is the page number minus 1.
    let mut pages = Vec::new();
    for offset in 0..4 {
        let (s, b) = list(
            &app,
            &format!("?sort_key=name&sort_dir=asc&limit=2&offset={offset}"),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(b["count"], 5, "count is the total, not the page");
        pages.push(names(&b));
    }
    assert_eq!(
        pages,
        [
            vec!["aaaa", "bbbb"],
            vec!["cccc", "dddd"],
            vec!["eeee"],
            vec![]
        ]
    );
    // Upper-case direction, the API page's key names.
    let (_, b) = list(&app, "?sort_key=name&sort_dir=DESC&limit=3").await;
    assert_eq!(names(&b), ["eeee", "dddd", "cccc"]);
    let (_, b) = list(&app, "?sort_key=startTime&sort_dir=asc").await;
    assert_eq!(names(&b), ["bbbb", "aaaa", "cccc", "eeee", "dddd"]);
    let (_, by_started) = list(&app, "?sort_key=started&sort_dir=asc").await;
    assert_eq!(names(&by_started), names(&b));
    // No limit: everything is page 0, any later page is empty.
    let (_, b) = list(&app, "?offset=1").await;
    assert_eq!((names(&b).len(), b["count"].as_u64()), (0, Some(5)));

    // The older reading (offset counts snapshots) on request.
    let (s, b) = send(
        &app,
        control(
            "POST",
            "/_emulator/settings",
            Some(&json!({"dws_offset": "item"})),
        ),
    )
    .await;
    assert_eq!(
        (s, b["dws_offset"].as_str()),
        (StatusCode::OK, Some("item"))
    );
    let (_, b) = list(&app, "?sort_key=name&sort_dir=asc&limit=2&offset=1").await;
    assert_eq!(names(&b), ["bbbb", "cccc"]);
}

#[tokio::test]
async fn dws_cluster_list_refuses_bad_paging_values() {
    let (app, _) = router(0.0);
    create_dws(&app, "only").await;
    for query in [
        "?limit=0",
        "?limit=-1",
        "?limit=zero",
        "?limit=1.5",
        "?limit=2147483648",
        "?offset=-1",
        "?offset=x",
        "?sort_dir=up",
        "?sort_key=bogus",
    ] {
        let (s, b) = list(&app, query).await;
        assert_eq!(
            (s, b["error_code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("DWS.0001")),
            "{query}: {b}"
        );
        assert!(b["error_msg"].is_string());
    }
    let (s, b) = list(&app, "?limit=2147483647&offset=2147483647").await;
    assert_eq!(
        (s, names(&b).len()),
        (StatusCode::OK, 0),
        "huge pages are fine, just empty"
    );
    let (s, b) = send(
        &app,
        signed("GET", &format!("/v1.0/{PID}/clusters/nope/snapshots"), None),
    )
    .await;
    assert_eq!(
        (s, b["error_code"].as_str()),
        (StatusCode::NOT_FOUND, Some("DWS.0047"))
    );
    let (s, _) = send(
        &app,
        control(
            "POST",
            "/_emulator/settings",
            Some(&json!({"dws_offset": "rows"})),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = send(
        &app,
        control(
            "POST",
            "/_emulator/settings",
            Some(&json!({"create_secs": 1})),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "a typo is refused");
}

#[tokio::test]
async fn automatic_dws_snapshots_list_with_their_type_and_start_time() {
    let (app, _) = router(0.0);
    let now = now_ms();
    let day = 86_400_000;
    let old = automatic(&app, "dws", DWS, "auto-old", "AUTO", now - 3 * day).await;
    assert_eq!(old["type"], "AUTO");
    assert_eq!(old["status"], "AVAILABLE");
    assert_eq!(old["bak_keep_day"], 7);
    assert_eq!(old["started"], crate::wire::iso_z(now - 3 * day));
    assert_eq!(old["finished"], crate::wire::iso_z(now - 3 * day + 60_000));
    automatic(&app, "dws", DWS, "auto-mid", "automated", now - 2 * day).await;
    create_dws(&app, "manual-new").await;
    let (_, b) = list(&app, "").await;
    assert_eq!(names(&b), ["manual-new", "auto-mid", "auto-old"]);
    let types: Vec<_> = b["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["type"].clone())
        .collect();
    assert_eq!(types, [json!("MANUAL"), json!("AUTOMATED"), json!("AUTO")]);
    let (_, b) = list(&app, "?sort_key=finished&sort_dir=asc").await;
    assert_eq!(names(&b), ["auto-old", "auto-mid", "manual-new"]);

    // The project list has every DWS snapshot, in creation order.
    let (s, b) = send(&app, signed("GET", &format!("/v1.0/{PID}/snapshots"), None)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["count"], 3);
    assert_eq!(names(&b), ["auto-old", "auto-mid", "manual-new"]);
    assert!(
        b.get("project_id").is_none(),
        "the project list is {{snapshots, count}}: {b}"
    );

    // A start in the future, or a type that does not exist, is refused.
    for body in [
        json!({"service": "dws", "cluster_id": DWS, "name": "later", "started_ms": now + day}),
        json!({"service": "dws", "cluster_id": DWS, "name": "weekly", "type": "WEEKLY"}),
        json!({"service": "dws", "cluster_id": DWS, "name": "typo", "start_ms": 1}),
    ] {
        let (s, b) = send(&app, control("POST", "/_emulator/snapshots", Some(&body))).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body} -> {b}");
    }
}

#[tokio::test]
async fn css_list_carries_every_sdk_field_for_manual_and_automatic_snapshots() {
    let (app, _) = router(0.0);
    let started = now_ms() - 3_600_000;
    automatic(&app, "css", CSS, "snapshot-auto", "auto", started).await;
    let (s, _) = send(
        &app,
        signed(
            "POST",
            &css_uri("index_snapshot"),
            Some(&json!({"name": "by-hand", "indices": "logs-*"})),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, b) = send(&app, signed("GET", &css_uri("index_snapshots"), None)).await;
    assert_eq!(s, StatusCode::OK);
    let backups = b["backups"].as_array().unwrap();
    assert_eq!(backups.len(), 2);
    for field in [
        "id",
        "name",
        "description",
        "created",
        "updated",
        "datastore",
        "clusterId",
        "clusterName",
        "status",
        "backupType",
        "backupMethod",
        "indices",
        "totalShards",
        "failedShards",
        "restoreStatus",
        "startTime",
        "endTime",
        "bucketName",
        "version",
    ] {
        for item in backups {
            assert!(item.get(field).is_some(), "{field} missing in {item}");
        }
    }
    let (auto, manual) = (&backups[0], &backups[1]);
    assert_eq!(
        (auto["backupType"].as_str(), auto["backupMethod"].as_str()),
        (Some("0"), Some("auto"))
    );
    assert_eq!(
        (
            manual["backupType"].as_str(),
            manual["backupMethod"].as_str()
        ),
        (Some("1"), Some("manual"))
    );
    assert_eq!(auto["startTime"], started);
    assert_eq!(auto["endTime"], started + 60_000);
    assert_eq!(auto["backupFrequency"], "DAY");
    assert_eq!(auto["backupKeepDay"], 7);
    assert!(manual.get("backupFrequency").is_none());
    assert_eq!(manual["restoreStatus"], "none");
    assert_eq!(manual["clusterId"], CSS);
    assert_eq!(
        manual["datastore"],
        json!({"type": "elasticsearch", "version": "7.10.2"})
    );
    assert!(manual["endTime"].as_i64().unwrap() >= manual["startTime"].as_i64().unwrap());
}
