//! Clear errors for the mistakes a new user makes (issue 10 §3, client
//! side): an endpoint that cannot be reached names the setting that produced
//! it and how many attempts were made over how long.

use std::time::Duration;

use hwsnap_cloud::{Client, Error, RetryTiming};

use crate::stub::{config, open_scope};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(9)
}

#[tokio::test]
async fn a_refused_connection_names_the_setting_and_the_attempts() -> TestResult {
    let base = format!("http://127.0.0.1:{}", closed_port());
    let mut config = config(&base);
    config.endpoint_origins.dws = Some("endpoints.dws / HW_DWS_ENDPOINT".to_owned());
    config.max_retries = 2;
    config.retry = RetryTiming {
        base: Duration::from_millis(20),
        max: Duration::from_millis(40),
        max_retry_after: Duration::from_secs(1),
    };
    let client = Client::new(config)?;
    let err = client.dws().list_snapshots(&open_scope()).await.err();
    let Some(Error::Unreachable {
        attempts,
        ref origin,
        ref endpoint,
        ..
    }) = err
    else {
        panic!("{err:?}");
    };
    assert_eq!(attempts, 3);
    assert_eq!(origin, "endpoints.dws / HW_DWS_ENDPOINT");
    assert_eq!(*endpoint, base);
    let text = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        text.starts_with(&format!(
            "list DWS snapshots failed: could not connect to {base} ("
        )),
        "{text}"
    );
    assert!(
        text.contains(") in 3 attempts over 0.")
            && text.ends_with(
                " s: the URL comes from endpoints.dws / HW_DWS_ENDPOINT; check it, the network and any proxy"
            ),
        "{text}"
    );
    Ok(())
}

#[tokio::test]
async fn a_name_that_does_not_resolve_is_unreachable_too() -> TestResult {
    let mut config = config("http://hwsnap-test.invalid");
    config.max_retries = 1;
    let client = Client::new(config)?;
    let err = client
        .css()
        .delete_snapshot("c", "s", &crate::stub::scope_for(30))
        .await
        .err();
    assert!(
        matches!(err, Some(Error::Unreachable { attempts: 2, ref endpoint, ref origin, .. })
            if endpoint == "http://hwsnap-test.invalid" && origin == "endpoints.css"),
        "{err:?}"
    );
    Ok(())
}

#[tokio::test]
async fn the_default_endpoint_says_where_it_came_from() -> TestResult {
    // A region and cloud whose default endpoint cannot resolve.
    let mut config = config("http://unused.invalid");
    config.endpoints.iam = None;
    config.cloud = "hwsnap-test.invalid".to_owned();
    config.project_id = None;
    config.max_retries = 0;
    let client = Client::new(config)?;
    let err = client.check_credentials(&open_scope()).await.err();
    let text = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        text.starts_with(
            "look up the IAM project of region ap-southeast-1 failed: could not connect to https://iam.ap-southeast-1.hwsnap-test.invalid ("
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "the URL comes from region \"ap-southeast-1\" and cloud \"hwsnap-test.invalid\" (the default endpoint; set endpoints.iam to use another)"
        ),
        "{text}"
    );
    Ok(())
}
