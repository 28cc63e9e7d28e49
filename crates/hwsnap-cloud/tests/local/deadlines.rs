//! The scope's deadline is a hard limit (issue 10 §1, client side): against
//! a cloud that accepts connections and never answers, or that keeps
//! refusing, every call returns at the deadline (to the millisecond, in
//! paused time), with an error saying what it saw last.

use std::time::Duration;

use hwsnap_cloud::{CreateDwsSnapshot, Error, LastSeen, RetryTiming};
use tokio::time::Instant;

use crate::stub::{Act, Stub, answer, config, json, open_scope, scope_for};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const CLUSTER: &str = "44b277eb-39be-4921-be31-3d61b43651d7";

fn create_request() -> CreateDwsSnapshot {
    CreateDwsSnapshot {
        name: "nightly".to_owned(),
        cluster_id: CLUSTER.to_owned(),
        description: None,
    }
}

/// Asserts the call took the whole deadline and not more than a little slack.
fn took_the_deadline(elapsed: Duration, deadline: u64) {
    let deadline = Duration::from_secs(deadline);
    assert!(elapsed >= deadline, "returned early: {elapsed:?}");
    assert!(
        elapsed <= deadline + Duration::from_millis(100),
        "{elapsed:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_hanging_read_ends_at_the_deadline() -> TestResult {
    let stub = Stub::serve(|_, _| Act::Hang).await;
    let client = hwsnap_cloud::Client::new(config(&stub.base))?;
    let started = Instant::now();
    let err = client
        .dws()
        .show_snapshot("5e1c", &scope_for(10))
        .await
        .err();
    took_the_deadline(started.elapsed(), 10);
    let Some(Error::DeadlineExceeded {
        ref last,
        attempts,
        waited,
        may_have_created,
        ..
    }) = err
    else {
        panic!("{err:?}");
    };
    assert_eq!(
        **last,
        LastSeen::NoAnswer {
            waited: Duration::from_secs(10)
        }
    );
    assert_eq!((attempts, may_have_created), (1, false));
    assert_eq!(waited, Duration::from_secs(10));
    let text = err.map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(
        text,
        "read DWS snapshot 5e1c did not finish before the deadline: no answer from the cloud for 10 s; 1 request over 10 s"
    );
    assert_eq!(stub.seen().len(), 1);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_hanging_create_ends_at_the_deadline_and_says_the_snapshot_may_exist() -> TestResult {
    let stub = Stub::serve(|_, _| Act::Hang).await;
    let client = hwsnap_cloud::Client::new(config(&stub.base))?;
    let started = Instant::now();
    let err = client
        .dws()
        .create_snapshot(&create_request(), &scope_for(10))
        .await
        .err();
    took_the_deadline(started.elapsed(), 10);
    assert!(
        matches!(
            err,
            Some(Error::DeadlineExceeded {
                may_have_created: true,
                attempts: 1,
                ..
            })
        ),
        "{err:?}"
    );
    let text = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        text.starts_with(&format!(
            "create DWS snapshot \"nightly\" on cluster {CLUSTER} did not finish before the deadline: no answer from the cloud for 10 s"
        )),
        "{text}"
    );
    assert!(
        text.ends_with(
            "the snapshot may exist in the cloud: the next apply finds it by name and adopts it"
        ),
        "{text}"
    );
    // No time was left to look the name up: one request, the create.
    let seen = stub.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].method, "POST");
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_hanging_delete_ends_at_the_deadline() -> TestResult {
    let stub = Stub::serve(|_, _| Act::Hang).await;
    let client = hwsnap_cloud::Client::new(config(&stub.base))?;
    let started = Instant::now();
    let err = client
        .css()
        .delete_snapshot(CLUSTER, "b-1", &scope_for(10))
        .await
        .err();
    took_the_deadline(started.elapsed(), 10);
    let text = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        text.starts_with(&format!("delete CSS snapshot b-1 on cluster {CLUSTER} did not finish before the deadline: no answer from the cloud for 10 s")),
        "{text}"
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn request_timeouts_shorter_than_the_deadline_are_retried_within_it() -> TestResult {
    let stub = Stub::serve(|_, _| Act::Hang).await;
    let mut config = config(&stub.base);
    config.request_timeout = Duration::from_secs(3);
    config.max_retries = 10;
    let client = hwsnap_cloud::Client::new(config)?;
    let started = Instant::now();
    let err = client.dws().list_snapshots(&scope_for(10)).await.err();
    took_the_deadline(started.elapsed(), 10);
    // 3 s + 3 s + 3 s, then the last one cut to the second that was left.
    let requests = stub.seen().len();
    assert_eq!(requests, 4);
    let Some(Error::DeadlineExceeded {
        ref last, attempts, ..
    }) = err
    else {
        panic!("{err:?}");
    };
    assert_eq!(attempts as usize, requests);
    assert!(
        matches!(**last, LastSeen::NoAnswer { waited } if waited == Duration::from_secs(10)),
        "{last:?}"
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn without_a_deadline_a_hang_is_bounded_by_the_request_timeout() -> TestResult {
    let stub = Stub::serve(|_, _| Act::Hang).await;
    let mut config = config(&stub.base);
    config.request_timeout = Duration::from_secs(5);
    config.max_retries = 1;
    let client = hwsnap_cloud::Client::new(config)?;
    let started = Instant::now();
    let err = client.dws().list_snapshots(&open_scope()).await.err();
    assert!(matches!(err, Some(Error::Timeout { .. })), "{err:?}");
    // Two attempts of 5 s and a backoff of at most 5 ms between them.
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_secs(10) && elapsed <= Duration::from_millis(10_100),
        "{elapsed:?}"
    );
    assert_eq!(stub.seen().len(), 2);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_busy_cluster_is_retried_until_the_deadline() -> TestResult {
    let stub = Stub::serve(|_, _| {
        json(
            403,
            r#"{"error_code":"DWS.7023","error_msg":"The cluster is being backed up"}"#,
        )
    })
    .await;
    let mut config = config(&stub.base);
    config.retry = RetryTiming {
        base: Duration::from_secs(1),
        max: Duration::from_secs(4),
        max_retry_after: Duration::from_secs(60),
    };
    config.max_retries = 2;
    let client = hwsnap_cloud::Client::new(config)?;
    let started = Instant::now();
    let err = client
        .dws()
        .delete_snapshot("5e1c", &scope_for(30))
        .await
        .err();
    let elapsed = started.elapsed();
    assert!(elapsed <= Duration::from_secs(30), "{elapsed:?}");
    // Far more than max_retries + 1: busy lasts until the deadline.
    let requests = stub.seen().len();
    assert!(requests > 5, "{requests}");
    let text = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        text.starts_with(
            "delete DWS snapshot 5e1c did not finish before the deadline: the cloud's last answer was HTTP 403, DWS.7023: The cluster is being backed up;"
        ),
        "{text}"
    );
    assert!(
        text.contains(&format!("; {requests} requests over ")),
        "{text}"
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_beyond_the_deadline_is_not_waited_for() -> TestResult {
    let stub = Stub::serve(|_, _| {
        Act::Reply(answer(
            429,
            &[("Retry-After", "30")],
            r#"{"error_code":"APIGW.0308","error_msg":"throttled"}"#,
        ))
    })
    .await;
    let mut config = config(&stub.base);
    config.retry.max_retry_after = Duration::from_secs(60);
    let client = hwsnap_cloud::Client::new(config)?;
    let started = Instant::now();
    let err = client.dws().list_snapshots(&scope_for(10)).await.err();
    assert!(started.elapsed() < Duration::from_millis(50));
    assert_eq!(stub.seen().len(), 1);
    let text = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        text.contains("the cloud's last answer was HTTP 429, APIGW.0308: throttled"),
        "{text}"
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn cancelling_during_a_hang_is_prompt() -> TestResult {
    let stub = Stub::serve(|_, _| Act::Hang).await;
    let client = hwsnap_cloud::Client::new(config(&stub.base))?;
    let scope = scope_for(600);
    let trigger = scope.cancel().clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        trigger.cancel();
    });
    let started = Instant::now();
    let err = client
        .dws()
        .create_snapshot(&create_request(), &scope)
        .await
        .err();
    assert_eq!(err, Some(Error::Cancelled));
    assert!(started.elapsed() <= Duration::from_millis(1_100));
    Ok(())
}
