//! Route tests for [`crate::app`] with `tower::ServiceExt::oneshot`: every
//! cloud route and rule, gateway authentication, the control API and faults;
//! listing, restore and the newer faults and control checks in submodules.

mod control;
mod faults;
mod listing;
mod restore;

use axum::http::StatusCode;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::testutil::{
    CSS, DWS, PID, control, creds, router, send, signed, signed_raw, signed_with,
};

pub(crate) fn dws_create(name: &str, cluster: &str) -> Value {
    json!({"snapshot": {"name": name, "cluster_id": cluster, "description": "desc"}})
}

pub(crate) async fn create_dws(app: &axum::Router, name: &str) -> String {
    let (s, b) = send(
        app,
        signed(
            "POST",
            &format!("/v1.0/{PID}/snapshots"),
            Some(&dws_create(name, DWS)),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["snapshot"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn iam_lists_the_project_by_region_name() {
    let (app, _) = router(0.0);
    let (s, b) = send(
        &app,
        signed("GET", "/v3/projects?name=ap-southeast-1", None),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let p = &b["projects"][0];
    assert_eq!(p["id"], PID);
    assert_eq!(p["name"], "ap-southeast-1");
    assert_eq!(p["enabled"], true);
    assert_eq!(p["is_domain"], false);
    assert!(p["domain_id"].is_string() && p["parent_id"].is_string());
    assert!(p["links"]["self"].as_str().unwrap().ends_with(PID));
    assert!(b["links"]["self"].is_string());
    let (s, b) = send(&app, signed("GET", "/v3/projects?name=eu-west-101", None)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["projects"], json!([]));
}

#[tokio::test]
async fn dws_lifecycle_create_show_list_delete() {
    let (app, _) = router(0.0);
    let id = create_dws(&app, "Snapshot-1").await;

    let (s, b) = send(
        &app,
        signed("GET", &format!("/v1.0/{PID}/snapshots/{id}"), None),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let snap = &b["snapshot"];
    assert_eq!(snap["id"], id.as_str());
    assert_eq!(snap["name"], "Snapshot-1");
    assert_eq!(snap["description"], "desc");
    assert_eq!(snap["status"], "AVAILABLE");
    assert_eq!(snap["type"], "MANUAL");
    assert_eq!(snap["cluster_id"], DWS);
    assert!(snap["cluster_name"].as_str().unwrap().starts_with("dws-"));
    assert!(snap["started"].as_str().unwrap().ends_with('Z'));
    assert!(snap["finished"].as_str().unwrap().ends_with('Z'));
    assert!(snap["size"].as_f64().unwrap() > 0.0);
    assert_eq!(snap["progress"], "100%");
    assert_eq!(snap["datastore"]["type"], "dws");

    let (s, b) = send(&app, signed("GET", &format!("/v1.0/{PID}/snapshots"), None)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["count"], 1);
    assert_eq!(b["snapshots"][0]["id"], id.as_str());

    let (s, b) = send(
        &app,
        signed(
            "GET",
            &format!("/v1.0/{PID}/clusters/{DWS}/snapshots"),
            None,
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["count"], 1);
    assert_eq!(b["cluster_id"], DWS);
    assert_eq!(b["project_id"], PID);

    let (s, b) = send(
        &app,
        signed("DELETE", &format!("/v1.0/{PID}/snapshots/{id}"), None),
    )
    .await;
    assert_eq!((s, b), (StatusCode::OK, json!({})));
    let (s, b) = send(
        &app,
        signed("GET", &format!("/v1.0/{PID}/snapshots/{id}"), None),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(b["error_code"], "DWS.5149");
    let (s, b) = send(
        &app,
        signed("DELETE", &format!("/v1.0/{PID}/snapshots/{id}"), None),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(b["error_code"], "DWS.0001");
}

#[tokio::test]
async fn dws_create_rules() {
    let (app, _) = router(0.0);
    let uri = format!("/v1.0/{PID}/snapshots");
    for (body, code, status) in [
        (dws_create("abc", DWS), "DWS.0001", StatusCode::BAD_REQUEST),
        (dws_create("1abc", DWS), "DWS.0001", StatusCode::BAD_REQUEST),
        (
            dws_create("ab cd", DWS),
            "DWS.0001",
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"snapshot": {"name": "good", "cluster_id": DWS, "description": "a<b"}}),
            "DWS.0001",
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"snapshot": {"cluster_id": DWS}}),
            "DWS.0001",
            StatusCode::BAD_REQUEST,
        ),
        (json!({"other": 1}), "DWS.0001", StatusCode::BAD_REQUEST),
        (
            dws_create("good", "00000000-0000-0000-0000-000000000000"),
            "DWS.0047",
            StatusCode::NOT_FOUND,
        ),
    ] {
        let (s, b) = send(&app, signed("POST", &uri, Some(&body))).await;
        assert_eq!(
            (s, b["error_code"].as_str()),
            (status, Some(code)),
            "{body} -> {b}"
        );
        assert!(b["error_msg"].is_string());
    }
    create_dws(&app, "Unique").await;
    let (s, b) = send(&app, signed("POST", &uri, Some(&dws_create("uNIQUE", DWS)))).await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "names are unique case-insensitively: {b}"
    );
    // Unknown fields are ignored.
    let body = json!({"snapshot": {"name": "extra-fields", "cluster_id": DWS, "surprise": true}, "more": 1});
    let (s, _) = send(&app, signed("POST", &uri, Some(&body))).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn malformed_json_is_an_error_in_each_service_format() {
    let (app, _) = router(0.0);
    let broken = b"{\"snapshot\": ".to_vec();
    let dws = signed_raw(
        &creds(),
        OffsetDateTime::now_utc(),
        "POST",
        &format!("/v1.0/{PID}/snapshots"),
        broken.clone(),
    );
    let (s, b) = send(&app, dws).await;
    assert_eq!(
        (s, b["error_code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("DWS.0001")),
        "{b}"
    );
    let css = signed_raw(
        &creds(),
        OffsetDateTime::now_utc(),
        "POST",
        &css_uri("index_snapshot"),
        broken,
    );
    let (s, b) = send(&app, css).await;
    assert_eq!(
        (s, b["errCode"].as_str()),
        (StatusCode::BAD_REQUEST, Some("CSS.0001")),
        "{b}"
    );
}

#[tokio::test]
async fn dws_one_snapshot_at_a_time_and_no_delete_while_creating() {
    let (app, _) = router(30.0);
    let id = create_dws(&app, "first").await;
    let (s, b) = send(
        &app,
        signed("GET", &format!("/v1.0/{PID}/snapshots/{id}"), None),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["snapshot"]["status"], "CREATING");
    assert!(b["snapshot"]["finished"].is_null());
    let (s, b) = send(
        &app,
        signed(
            "POST",
            &format!("/v1.0/{PID}/snapshots"),
            Some(&dws_create("second", DWS)),
        ),
    )
    .await;
    assert_eq!(
        (s, b["error_code"].as_str()),
        (StatusCode::FORBIDDEN, Some("DWS.7023"))
    );
    let (s, b) = send(
        &app,
        signed("DELETE", &format!("/v1.0/{PID}/snapshots/{id}"), None),
    )
    .await;
    assert_eq!(
        (s, b["error_code"].as_str()),
        (StatusCode::FORBIDDEN, Some("DWS.7023"))
    );
}

pub(crate) fn css_uri(suffix: &str) -> String {
    format!("/v1.0/{PID}/clusters/{CSS}/{suffix}")
}

#[tokio::test]
async fn css_lifecycle_create_list_delete() {
    let (app, _) = router(0.0);
    let body = json!({"name": "snapshot_001", "indices": "myindex1,myindex2", "description": ""});
    let (s, b) = send(
        &app,
        signed("POST", &css_uri("index_snapshot"), Some(&body)),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["backup"]["name"], "snapshot_001");
    let id = b["backup"]["id"].as_str().unwrap().to_owned();
    let (s, b) = send(
        &app,
        signed(
            "POST",
            &css_uri("index_snapshot"),
            Some(&json!({"name": "all-indices"})),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");

    let (s, b) = send(&app, signed("GET", &css_uri("index_snapshots"), None)).await;
    assert_eq!(s, StatusCode::OK);
    let backups = b["backups"].as_array().unwrap();
    assert_eq!(backups.len(), 2);
    let first = &backups[0];
    assert_eq!(first["id"], id.as_str());
    assert_eq!(first["status"], "COMPLETED");
    assert_eq!(first["clusterId"], CSS);
    assert_eq!(first["indices"], "myindex1,myindex2");
    assert_eq!(first["backupMethod"], "manual");
    assert_eq!(first["backupType"], "1");
    assert_eq!(first["totalShards"], 10);
    assert_eq!(first["failedShards"], 0);
    assert!(first["startTime"].is_i64() && first["endTime"].is_i64());
    assert!(
        first["bucketName"].is_string()
            && first["created"].is_string()
            && first["clusterName"].is_string()
    );
    assert_eq!(backups[1]["indices"], "*");

    let (s, b) = send(
        &app,
        signed("DELETE", &css_uri(&format!("index_snapshot/{id}")), None),
    )
    .await;
    assert_eq!((s, b), (StatusCode::OK, Value::Null));
    let (s, b) = send(
        &app,
        signed("DELETE", &css_uri(&format!("index_snapshot/{id}")), None),
    )
    .await;
    assert_eq!(
        (s, b["errCode"].as_str()),
        (StatusCode::FORBIDDEN, Some("CSS.0015"))
    );
}

#[tokio::test]
async fn css_create_rules_and_busy() {
    let (app, _) = router(30.0);
    for body in [
        json!({"name": "Upper"}),
        json!({"name": "abc"}),
        json!({"name": "good", "description": "x=y"}),
        json!({"name": "good", "indices": "a b"}),
        json!({"name": "good", "indices": "Index"}),
        json!({"name": "good", "indices": "a|b"}),
        json!({"description": "no name"}),
    ] {
        let (s, b) = send(
            &app,
            signed("POST", &css_uri("index_snapshot"), Some(&body)),
        )
        .await;
        assert_eq!(
            (s, b["errCode"].as_str()),
            (StatusCode::BAD_REQUEST, Some("CSS.0001")),
            "{body}"
        );
        assert!(b["externalMessage"].is_string());
    }
    let (s, _) = send(
        &app,
        signed(
            "POST",
            &css_uri("index_snapshot"),
            Some(&json!({"name": "good"})),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, b) = send(
        &app,
        signed(
            "POST",
            &css_uri("index_snapshot"),
            Some(&json!({"name": "other"})),
        ),
    )
    .await;
    assert_eq!(
        (s, b["errCode"].as_str()),
        (StatusCode::CONFLICT, Some("CSS.0011"))
    );
    let (_, b) = send(&app, signed("GET", &css_uri("index_snapshots"), None)).await;
    assert_eq!(b["backups"][0]["status"], "BUILDING");
    let (s, b) = send(
        &app,
        signed(
            "POST",
            &css_uri("index_snapshot"),
            Some(&json!({"name": "good"})),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "duplicate name: {b}");
    let missing = format!("/v1.0/{PID}/clusters/nope/index_snapshots");
    let (s, b) = send(&app, signed("GET", &missing, None)).await;
    assert_eq!(
        (s, b["errCode"].as_str()),
        (StatusCode::FORBIDDEN, Some("CSS.0015"))
    );
}

#[tokio::test]
async fn wrong_project_is_refused() {
    let (app, _) = router(0.0);
    let (s, b) = send(
        &app,
        signed(
            "GET",
            "/v1.0/ffffffffffffffffffffffffffffffff/snapshots",
            None,
        ),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(b["error_code"], "APIGW.0302");
}

#[tokio::test]
async fn gateway_authentication() {
    let (app, _) = router(0.0);
    let uri = format!("/v1.0/{PID}/snapshots");
    let unsigned = control("GET", &uri, None);
    let (s, b) = send(&app, unsigned).await;
    assert_eq!(
        (s, b["error_code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("APIGW.0301"))
    );
    assert!(b["request_id"].is_string());

    let stale = OffsetDateTime::now_utc() - Duration::minutes(16);
    let (s, b) = send(&app, signed_with(&creds(), stale, "GET", &uri, None)).await;
    assert_eq!(
        (s, b["error_code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("APIGW.0303"))
    );

    let unknown = hwsnap_sign::Credentials::new("UNKNOWNAK", "x");
    let (s, _) = send(
        &app,
        signed_with(&unknown, OffsetDateTime::now_utc(), "GET", &uri, None),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // Tampered body: sign one body, send another.
    let mut req = signed("POST", &uri, Some(&dws_create("good", DWS)));
    *req.body_mut() = axum::body::Body::from(serde_json::to_vec(&dws_create("evil", DWS)).unwrap());
    let (s, _) = send(&app, req).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // Security token accepted when signed.
    let temp = creds().with_security_token("token/with+chars");
    let (s, _) = send(
        &app,
        signed_with(&temp, OffsetDateTime::now_utc(), "GET", &uri, None),
    )
    .await;
    assert_eq!(s, StatusCode::OK);

    // Query strings are part of the signature.
    let q = format!("/v1.0/{PID}/clusters/{DWS}/snapshots?sort_key=started&limit=5");
    let mut req = signed("GET", &q, None);
    *req.uri_mut() = format!("/v1.0/{PID}/clusters/{DWS}/snapshots?sort_key=started&limit=6")
        .parse()
        .unwrap();
    let (s, _) = send(&app, req).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn five_bad_signatures_lock_the_access_key() {
    let (app, _) = router(0.0);
    let uri = format!("/v1.0/{PID}/snapshots");
    let wrong = hwsnap_sign::Credentials::new(crate::config::DEFAULT_ACCESS_KEY, "wrong-secret");
    for _ in 0..5 {
        let (s, _) = send(
            &app,
            signed_with(&wrong, OffsetDateTime::now_utc(), "GET", &uri, None),
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, b) = send(&app, signed("GET", &uri, None)).await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "locked even with a correct signature"
    );
    assert!(b["error_msg"].as_str().unwrap().contains("locked"));
    send(&app, control("POST", "/_emulator/reset", None)).await;
    let (s, _) = send(&app, signed("GET", &uri, None)).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn unknown_route_is_a_gateway_404() {
    let (app, _) = router(0.0);
    let (s, b) = send(&app, signed("GET", "/v2/nothing", None)).await;
    assert_eq!(
        (s, b["error_code"].as_str()),
        (StatusCode::NOT_FOUND, Some("APIGW.0101"))
    );
}

#[tokio::test]
async fn control_state_clusters_and_out_of_band_changes() {
    let (app, _) = router(0.0);
    let (s, b) = send(&app, control("GET", "/_emulator/state", None)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["project_id"], PID);
    assert_eq!(b["region"], "ap-southeast-1");
    assert_eq!(b["dws_clusters"][0]["id"], DWS);
    assert_eq!(b["css_clusters"][0]["id"], CSS);

    let (s, c) = send(
        &app,
        control(
            "POST",
            "/_emulator/clusters",
            Some(&json!({"service": "dws", "name": "extra"})),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let cid = c["id"].as_str().unwrap().to_owned();
    assert_eq!(c["name"], "extra");
    let body = dws_create("on-extra", &cid);
    let (s, b) = send(
        &app,
        signed("POST", &format!("/v1.0/{PID}/snapshots"), Some(&body)),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let sid = b["snapshot"]["id"].as_str().unwrap().to_owned();

    send(
        &app,
        control(
            "POST",
            &format!("/_emulator/snapshots/{sid}/status"),
            Some(&json!({"status": "FAILED"})),
        ),
    )
    .await;
    let (_, b) = send(&app, control("GET", "/_emulator/state", None)).await;
    assert_eq!(b["dws_snapshots"][0]["status"], "FAILED");

    let (s, _) = send(
        &app,
        control("DELETE", &format!("/_emulator/snapshots/{sid}"), None),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = send(
        &app,
        control("DELETE", &format!("/_emulator/snapshots/{sid}"), None),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let (s, _) = send(
        &app,
        control("DELETE", &format!("/_emulator/clusters/{cid}"), None),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = send(
        &app,
        signed("POST", &format!("/v1.0/{PID}/snapshots"), Some(&body)),
    )
    .await;
    assert_eq!(
        (s, b["error_code"].as_str()),
        (StatusCode::NOT_FOUND, Some("DWS.0047"))
    );

    let (s, b) = send(
        &app,
        control(
            "POST",
            "/_emulator/clusters",
            Some(&json!({"service": "nope"})),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(b["error"].is_string());
}

#[tokio::test]
async fn control_creates_finished_snapshots_out_of_band() {
    // A long create time: out-of-band snapshots are finished regardless.
    let (app, _) = router(60.0);
    let body =
        json!({"service": "dws", "cluster_id": DWS, "name": "Made-By-Hand", "description": "old"});
    let (s, dws) = send(&app, control("POST", "/_emulator/snapshots", Some(&body))).await;
    assert_eq!(s, StatusCode::OK, "{dws}");
    assert_eq!(dws["status"], "AVAILABLE");
    assert_eq!(dws["cluster_id"], DWS);
    let id = dws["id"].as_str().unwrap().to_owned();
    let (s, b) = send(
        &app,
        signed("GET", &format!("/v1.0/{PID}/snapshots/{id}"), None),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["snapshot"]["name"], "Made-By-Hand");
    assert_eq!(b["snapshot"]["description"], "old");
    assert_eq!(b["snapshot"]["status"], "AVAILABLE");

    let body = json!({"service": "css", "cluster_id": CSS, "name": "by-hand", "indices": "logs-*"});
    let (s, css) = send(&app, control("POST", "/_emulator/snapshots", Some(&body))).await;
    assert_eq!(s, StatusCode::OK, "{css}");
    assert_eq!(css["status"], "COMPLETED");
    assert_eq!(css["indices"], "logs-*");
    let (_, b) = send(
        &app,
        signed(
            "GET",
            &format!("/v1.0/{PID}/clusters/{CSS}/index_snapshots"),
            None,
        ),
    )
    .await;
    assert_eq!(b["backups"][0]["id"], css["id"]);
    assert_eq!(b["backups"][0]["status"], "COMPLETED");

    // The cluster is not busy: a normal create is accepted at once.
    let (s, b) = send(
        &app,
        signed(
            "POST",
            &format!("/v1.0/{PID}/snapshots"),
            Some(&dws_create("after-hand", DWS)),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");

    // The service's rules apply; an unknown cluster (or one of the other
    // service) is a 404.
    for (body, status) in [
        (
            json!({"service": "dws", "cluster_id": DWS, "name": "made-by-hand"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"service": "css", "cluster_id": CSS, "name": "Upper"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"service": "css", "cluster_id": DWS, "name": "abcd"}),
            StatusCode::NOT_FOUND,
        ),
        (
            json!({"service": "dws", "name": "abcd"}),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let (s, b) = send(&app, control("POST", "/_emulator/snapshots", Some(&body))).await;
        assert_eq!(s, status, "{body} -> {b}");
        assert!(b["error"].is_string(), "{b}");
    }
    let (_, b) = send(&app, control("GET", "/_emulator/state", None)).await;
    assert_eq!(b["dws_snapshots"].as_array().unwrap().len(), 2);
    assert_eq!(b["css_snapshots"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn control_outcomes_and_settings() {
    let (app, _) = router(0.0);
    let (s, _) = send(
        &app,
        control(
            "POST",
            &format!("/_emulator/clusters/{CSS}/outcomes"),
            Some(&json!({"status": "PART_FAILED", "count": 1})),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    send(
        &app,
        signed(
            "POST",
            &css_uri("index_snapshot"),
            Some(&json!({"name": "first"})),
        ),
    )
    .await;
    send(
        &app,
        signed(
            "POST",
            &css_uri("index_snapshot"),
            Some(&json!({"name": "second"})),
        ),
    )
    .await;
    let (_, b) = send(&app, signed("GET", &css_uri("index_snapshots"), None)).await;
    assert_eq!(b["backups"][0]["status"], "PART_FAILED");
    assert_eq!(b["backups"][0]["failedShards"], 1);
    assert_eq!(b["backups"][1]["status"], "COMPLETED");

    let (s, b) = send(
        &app,
        control(
            "POST",
            "/_emulator/settings",
            Some(&json!({"create_seconds": 60})),
        ),
    )
    .await;
    assert_eq!(
        (s, b["create_seconds"].as_f64()),
        (StatusCode::OK, Some(60.0))
    );
    let id = create_dws(&app, "slow").await;
    let (_, b) = send(
        &app,
        signed("GET", &format!("/v1.0/{PID}/snapshots/{id}"), None),
    )
    .await;
    assert_eq!(b["snapshot"]["status"], "CREATING");
    let (s, _) = send(
        &app,
        control(
            "POST",
            "/_emulator/settings",
            Some(&json!({"create_seconds": -1})),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn request_log_records_cloud_calls_only() {
    let (app, _) = router(0.0);
    send(
        &app,
        signed("GET", "/v3/projects?name=ap-southeast-1", None),
    )
    .await;
    send(&app, signed("GET", &css_uri("index_snapshots"), None)).await;
    send(&app, control("GET", "/_emulator/state", None)).await;
    let (_, b) = send(&app, control("GET", "/_emulator/requests", None)).await;
    let log = b.as_array().unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0]["seq"], 1);
    assert_eq!(log[0]["method"], "GET");
    assert_eq!(log[0]["path"], "/v3/projects");
    assert_eq!(log[0]["query"], "name=ap-southeast-1");
    assert_eq!(log[0]["status"], 200);
    assert_eq!(log[0]["service"], "iam");
    assert_eq!(log[0]["fault"], Value::Null);
    assert_eq!(log[1]["service"], "css");
    send(&app, control("DELETE", "/_emulator/requests", None)).await;
    let (_, b) = send(&app, control("GET", "/_emulator/requests", None)).await;
    assert_eq!(b, json!([]));
}

#[tokio::test]
async fn faults_throttle_html_garbage_unavailable_latency() {
    let (app, _) = router(0.0);
    let uri = format!("/v1.0/{PID}/snapshots");
    let add = |kind: &str, extra: Value| {
        let mut spec = json!({"path": "/snapshots$", "kind": kind, "count": 1});
        if let (Some(o), Some(e)) = (spec.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        control("POST", "/_emulator/faults", Some(&spec))
    };
    let (s, b) = send(&app, add("throttle", json!({"retry_after": 7}))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(b["id"].is_string());
    let resp = tower::ServiceExt::oneshot(app.clone(), signed("GET", &uri, None))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(resp.headers()["retry-after"], "7");

    send(&app, add("html500", json!({}))).await;
    let (s, b) = send(&app, signed("GET", &uri, None)).await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(b.as_str().unwrap().contains("<html>"));

    send(&app, add("garbage", json!({"body": "not json at all"}))).await;
    let (s, b) = send(&app, signed("GET", &uri, None)).await;
    assert_eq!((s, b), (StatusCode::OK, json!("not json at all")));

    send(&app, add("unavailable", json!({}))).await;
    let (s, _) = send(&app, signed("GET", &uri, None)).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);

    send(&app, add("latency", json!({"latency_ms": 150}))).await;
    let start = std::time::Instant::now();
    let (s, _) = send(&app, signed("GET", &uri, None)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(start.elapsed() >= std::time::Duration::from_millis(150));

    // Faults never apply to control paths.
    send(
        &app,
        control(
            "POST",
            "/_emulator/faults",
            Some(&json!({"path": ".*", "kind": "html500"})),
        ),
    )
    .await;
    let (s, _) = send(&app, control("GET", "/_emulator/state", None)).await;
    assert_eq!(s, StatusCode::OK);
    send(&app, control("DELETE", "/_emulator/faults", None)).await;
    let (s, _) = send(&app, signed("GET", &uri, None)).await;
    assert_eq!(s, StatusCode::OK);

    let (_, b) = send(&app, control("GET", "/_emulator/requests", None)).await;
    let kinds: Vec<&str> = b
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["fault"].as_str())
        .collect();
    assert_eq!(
        kinds,
        ["throttle", "html500", "garbage", "unavailable", "latency"]
    );
}

#[tokio::test]
async fn drop_after_performs_the_operation_and_drop_before_does_not() {
    let (app, state) = router(0.0);
    let uri = format!("/v1.0/{PID}/snapshots");
    send(&app, control("POST", "/_emulator/faults", Some(&json!({"path": "/snapshots$", "method": "POST", "kind": "drop_before", "count": 1})))).await;
    let resp = tower::ServiceExt::oneshot(
        app.clone(),
        signed("POST", &uri, Some(&dws_create("dropped", DWS))),
    )
    .await
    .unwrap();
    assert_eq!(resp.headers()[crate::edge::DROPPED_HEADER], "0");
    assert!(state.lock().snapshots.is_empty());

    send(
        &app,
        control(
            "POST",
            "/_emulator/faults",
            Some(
                &json!({"path": "/snapshots$", "method": "POST", "kind": "drop_after", "count": 1}),
            ),
        ),
    )
    .await;
    let resp = tower::ServiceExt::oneshot(
        app.clone(),
        signed("POST", &uri, Some(&dws_create("kept", DWS))),
    )
    .await
    .unwrap();
    assert_eq!(resp.headers()[crate::edge::DROPPED_HEADER], "200");
    assert_eq!(state.lock().snapshots.len(), 1);
    assert_eq!(state.lock().snapshots[0].name, "kept");

    let (_, b) = send(&app, control("GET", "/_emulator/requests", None)).await;
    assert_eq!(b[0]["fault"], "drop_before");
    assert_eq!(b[0]["status"], 0);
    assert_eq!(b[1]["fault"], "drop_after");
    assert_eq!(b[1]["status"], 200);
}
