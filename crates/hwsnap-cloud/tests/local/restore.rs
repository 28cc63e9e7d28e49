//! CSS restore against a stub (the emulator does not serve it yet): the
//! SDK 3.1.219 body and path, busy refusals retried, and a lost answer never
//! followed by a second restore.

use hwsnap_cloud::{Error, RestoreCssSnapshot};
use serde_json::{Value, json};

use crate::stub::{Act, Stub, json as reply, open_scope};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const SOURCE: &str = "5b1e0c8d-8a3f-4d2c-9b7e-0c1d2e3f4a5b";
const TARGET: &str = "6c2f1d9e-9b4a-4e3d-8c8f-1d2e3f4a5b6c";
const SNAPSHOT: &str = "b7d0e6a1-0000-4000-8000-000000000001";

fn restore_path() -> String {
    format!("/v1.0/p/clusters/{SOURCE}/index_snapshot/{SNAPSHOT}/restore")
}

fn request() -> RestoreCssSnapshot {
    RestoreCssSnapshot {
        cluster_id: SOURCE.to_owned(),
        snapshot_id: SNAPSHOT.to_owned(),
        target_cluster: TARGET.to_owned(),
        indices: Some("logs-*".to_owned()),
        rename_pattern: Some("logs-(.+)".to_owned()),
        rename_replacement: Some("restored-logs-$1".to_owned()),
        replace_exist_indices: Some(false),
    }
}

fn list_with(restore_status: &str) -> String {
    json!({"backups": [{"id": SNAPSHOT, "name": "snap-1", "status": "COMPLETED", "restoreStatus": restore_status}]})
        .to_string()
}

#[tokio::test]
async fn restore_sends_the_sdk_body_to_the_restore_path() -> TestResult {
    let stub = Stub::serve(|_, _| reply(201, "{}")).await;
    let client = hwsnap_cloud::Client::new(crate::stub::config(&stub.base))?;
    client
        .css()
        .restore_snapshot(&request(), &open_scope())
        .await?;
    let seen = stub.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].path, restore_path());
    assert_eq!(
        seen[0].header("content-type"),
        Some("application/json;charset=UTF-8")
    );
    let body: Value = serde_json::from_slice(&seen[0].body)?;
    assert_eq!(
        body,
        json!({
            "target_cluster": TARGET,
            "indices": "logs-*",
            "rename_pattern": "logs-(.+)",
            "rename_replacement": "restored-logs-$1",
            "replace_exist_indices": false
        })
    );
    Ok(())
}

#[tokio::test]
async fn a_busy_refusal_is_retried() -> TestResult {
    let stub = Stub::serve(|_, index| {
        if index == 0 {
            reply(
                409,
                r#"{"errCode":"CSS.0011","externalMessage":"Another operation is running"}"#,
            )
        } else {
            reply(201, "{}")
        }
    })
    .await;
    let client = hwsnap_cloud::Client::new(crate::stub::config(&stub.base))?;
    client
        .css()
        .restore_snapshot(&request(), &open_scope())
        .await?;
    assert_eq!(stub.seen().len(), 2);
    Ok(())
}

#[tokio::test]
async fn a_lost_answer_is_confirmed_by_a_list_showing_the_restore() -> TestResult {
    let stub = Stub::serve(|seen, _| {
        if seen.method == "POST" {
            Act::Close
        } else {
            reply(200, &list_with("restoring"))
        }
    })
    .await;
    let client = hwsnap_cloud::Client::new(crate::stub::config(&stub.base))?;
    client
        .css()
        .restore_snapshot(&request(), &open_scope())
        .await?;
    let methods: Vec<String> = stub.seen().into_iter().map(|s| s.method).collect();
    assert_eq!(methods, ["POST", "GET"]);
    Ok(())
}

#[tokio::test]
async fn a_lost_answer_not_seen_in_the_list_is_not_sent_again() -> TestResult {
    let stub = Stub::serve(|seen, _| {
        if seen.method == "POST" {
            Act::Close
        } else {
            reply(200, &list_with("success"))
        }
    })
    .await;
    let client = hwsnap_cloud::Client::new(crate::stub::config(&stub.base))?;
    let err = client
        .css()
        .restore_snapshot(&request(), &open_scope())
        .await
        .err();
    assert!(matches!(err, Some(Error::OutcomeUnknown { .. })), "{err:?}");
    let text = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        text.starts_with(&format!(
            "restore CSS snapshot {SNAPSHOT} of cluster {SOURCE} into cluster {TARGET}: the outcome is unknown ("
        )),
        "{text}"
    );
    assert!(
        text.ends_with(&format!(
            "it was not sent again, since repeating it could run it twice: check the restoreStatus of CSS snapshot {SNAPSHOT} before trying again"
        )),
        "{text}"
    );
    let posts = stub.seen().iter().filter(|s| s.method == "POST").count();
    assert_eq!(posts, 1);
    Ok(())
}
