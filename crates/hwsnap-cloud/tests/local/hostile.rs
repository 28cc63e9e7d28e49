//! A hostile or broken endpoint (issue 18, the cloud client): redirects are
//! not followed and the token stays home, header values never panic, bodies
//! are read up to a cap, slow bodies are bounded, and the cloud's text is
//! cleaned before it reaches an error.

use std::time::Duration;

use hwsnap_cloud::{CreateDwsSnapshot, Error, MAX_ANSWER_BYTES, RetryTiming};
use tokio::time::Instant;

use crate::stub::{Act, Stub, TOKEN, answer, config, json, open_scope, scope_for};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const CLUSTER: &str = "44b277eb-39be-4921-be31-3d61b43651d7";

fn create_request() -> CreateDwsSnapshot {
    CreateDwsSnapshot {
        name: "nightly".to_owned(),
        cluster_id: CLUSTER.to_owned(),
        description: Some("d".to_owned()),
    }
}

#[tokio::test]
async fn redirects_are_refused_and_the_thief_sees_nothing() -> TestResult {
    let thief = Stub::serve(|_, _| json(200, r#"{"snapshots":[],"count":0}"#)).await;
    for status in [301u16, 302, 303, 307, 308] {
        let location = format!(
            "{}/steal?from=hwsnap",
            thief.base.replace("127.0.0.1", "localhost")
        );
        let stub = Stub::serve(move |_, _| {
            Act::Reply(answer(status, &[("Location", location.as_str())], ""))
        })
        .await;
        let mut config = config(&stub.base);
        config.endpoint_origins.dws = Some("endpoints.dws / HW_DWS_ENDPOINT".to_owned());
        let client = hwsnap_cloud::Client::new(config)?;
        let read = client.dws().list_snapshots(&open_scope()).await.err();
        let create = client
            .dws()
            .create_snapshot(&create_request(), &open_scope())
            .await
            .err();
        for err in [read, create] {
            assert!(
                matches!(err, Some(Error::Redirect { status: s, ref location, .. }) if s == status && location.as_deref() == Some("localhost")),
                "{status}: {err:?}"
            );
            let text = err.map(|e| e.to_string()).unwrap_or_default();
            assert!(
                text.contains(&format!(
                    "the endpoint answered HTTP {status}, a redirect to localhost; redirects are never followed: check the endpoint settings (endpoints.dws / HW_DWS_ENDPOINT)"
                )),
                "{text}"
            );
            assert!(!text.contains(TOKEN) && !text.contains("steal"), "{text}");
        }
        // Not retried: one read, and one create (a redirect is no answer to
        // look a name up after, and not a refusal).
        assert_eq!(stub.seen().len(), 2, "{status}");
    }
    assert!(thief.seen().is_empty(), "{:?}", thief.seen());
    Ok(())
}

#[tokio::test]
async fn the_stub_does_receive_the_token_so_the_thief_test_means_something() -> TestResult {
    let stub = Stub::serve(|_, _| json(200, r#"{"snapshots":[],"count":0}"#)).await;
    let client = hwsnap_cloud::Client::new(config(&stub.base))?;
    client.dws().list_snapshots(&open_scope()).await?;
    let seen = stub.seen();
    assert_eq!(seen[0].header("x-security-token"), Some(TOKEN));
    assert!(seen[0].header("authorization").is_some());
    Ok(())
}

/// `Retry-After` values a hostile or broken endpoint may send.
const RETRY_AFTER: &[&str] = &[
    "NaN",
    "inf",
    "-inf",
    "-1",
    "1e20",
    "1E308",
    "18446744073709551616",
    "99999999999999999999999999999999999999",
    "18446744073709551615.999999999",
    "Fri, 31 Dec 9999 23:59:59 GMT",
    "Sun, 06 Nov 1994 08:49:37 GMT",
    "Sunday, 06-Nov-94 08:49:37 GMT",
    "garbage",
    "",
    "0x7fffffff",
    "1.5.5",
    "  7  ",
];

#[tokio::test(start_paused = true)]
async fn hostile_retry_after_values_never_panic_and_waits_are_clamped() -> TestResult {
    for value in RETRY_AFTER {
        let header = value.to_string();
        // A throttled create, then the create, both carrying the header.
        let stub = Stub::serve(move |_, index| {
            let headers = [("Retry-After", header.as_str())];
            Act::Reply(if index == 0 {
                answer(
                    429,
                    &headers,
                    r#"{"error_code":"APIGW.0308","error_msg":"slow down"}"#,
                )
            } else {
                answer(
                    200,
                    &headers,
                    r#"{"snapshot":{"id":"5e1c0000-0000-4000-8000-000000000001"}}"#,
                )
            })
        })
        .await;
        let mut config = config(&stub.base);
        config.retry = RetryTiming {
            base: Duration::from_millis(1),
            max: Duration::from_millis(2),
            max_retry_after: Duration::from_secs(2),
        };
        let client = hwsnap_cloud::Client::new(config)?;
        let started = Instant::now();
        let created = client
            .dws()
            .create_snapshot(&create_request(), &open_scope())
            .await;
        let elapsed = started.elapsed();
        assert_eq!(
            created.map(|c| (c.id, c.adopted)),
            Ok(("5e1c0000-0000-4000-8000-000000000001".to_owned(), false)),
            "Retry-After: {value:?}"
        );
        assert!(
            elapsed <= Duration::from_millis(2_050),
            "Retry-After: {value:?} waited {elapsed:?}"
        );
        assert_eq!(stub.seen().len(), 2, "Retry-After: {value:?}");
    }
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_huge_content_length_is_refused_before_reading() -> TestResult {
    // The head promises 17 MiB, then nothing comes: only a refusal based on
    // the header can return at once.
    let stub = Stub::serve(|_, _| Act::Drip {
        head: format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            MAX_ANSWER_BYTES + 1024 * 1024
        )
        .into_bytes(),
        body: vec![b' '; 10],
        every: Duration::from_secs(3600),
    })
    .await;
    let client = hwsnap_cloud::Client::new(config(&stub.base))?;
    let started = Instant::now();
    let err = client.dws().list_snapshots(&open_scope()).await.err();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(
        matches!(err, Some(Error::TooLarge { length: Some(n), .. }) if n == MAX_ANSWER_BYTES + 1024 * 1024),
        "{err:?}"
    );
    let text = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        text.contains(
            "the answer is larger than the 16 MiB this client reads (it announced 17825792 bytes)"
        ),
        "{text}"
    );
    Ok(())
}

#[tokio::test]
async fn an_endless_body_is_cut_off_at_the_cap() -> TestResult {
    let chunk = {
        let data = vec![b'['; 1024 * 1024];
        let mut c = format!("{:x}\r\n", data.len()).into_bytes();
        c.extend_from_slice(&data);
        c.extend_from_slice(b"\r\n");
        c
    };
    let stub = Stub::serve(move |_, _| Act::Stream {
        head: b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            .to_vec(),
        chunk: chunk.clone(),
        limit: 300 * 1024 * 1024,
    })
    .await;
    let client = hwsnap_cloud::Client::new(config(&stub.base))?;
    let err = client.dws().list_snapshots(&open_scope()).await.err();
    assert!(
        matches!(err, Some(Error::TooLarge { length: None, .. })),
        "{err:?}"
    );
    let text = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(text.contains("it was cut off while reading"), "{text}");
    // Read no further than the cap (plus what the kernel buffered).
    let sent = stub.written();
    assert!(sent < 64 * 1024 * 1024, "{sent}");
    Ok(())
}

#[tokio::test]
async fn a_huge_error_answer_is_read_only_at_its_head() -> TestResult {
    let stub = Stub::serve(|_, _| {
        let mut head = format!(
            "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n",
            300u64 * 1024 * 1024
        )
        .into_bytes();
        head.extend_from_slice(b"<html><head><title>upstream on fire</title></head><body>");
        Act::Stream {
            head,
            chunk: vec![b'x'; 1024 * 1024],
            limit: 300 * 1024 * 1024,
        }
    })
    .await;
    let mut config = config(&stub.base);
    config.max_retries = 0;
    let client = hwsnap_cloud::Client::new(config)?;
    let err = client.dws().list_snapshots(&open_scope()).await.err();
    assert!(
        matches!(err, Some(Error::Api { status: 502, ref message, .. }) if message == "upstream on fire"),
        "{err:?}"
    );
    let sent = stub.written();
    assert!(sent < 32 * 1024 * 1024, "{sent}");
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_dripped_body_is_bounded_by_the_deadline() -> TestResult {
    let body = r#"{"snapshots":[],"count":0}"#.as_bytes().to_vec();
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    let stub = Stub::serve(move |_, _| Act::Drip {
        head: head.clone(),
        body: body.clone(),
        every: Duration::from_secs(1),
    })
    .await;
    let client = hwsnap_cloud::Client::new(config(&stub.base))?;
    let started = Instant::now();
    let err = client.dws().list_snapshots(&scope_for(10)).await.err();
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_secs(10) && elapsed <= Duration::from_millis(10_100),
        "{elapsed:?}"
    );
    assert!(
        matches!(err, Some(Error::DeadlineExceeded { .. })),
        "{err:?}"
    );
    // 1 byte a second: about 10 bytes made it before the deadline.
    assert!(stub.written() <= 11, "{}", stub.written());
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_dripped_body_is_bounded_by_the_request_timeout_without_a_deadline() -> TestResult {
    let stub = Stub::serve(|_, _| Act::Drip {
        head: b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n".to_vec(),
        body: vec![b' '; 100],
        every: Duration::from_secs(1),
    })
    .await;
    let mut config = config(&stub.base);
    config.request_timeout = Duration::from_secs(5);
    config.max_retries = 0;
    let client = hwsnap_cloud::Client::new(config)?;
    let started = Instant::now();
    let err = client.dws().list_snapshots(&open_scope()).await.err();
    assert!(matches!(err, Some(Error::Timeout { .. })), "{err:?}");
    assert!(started.elapsed() <= Duration::from_millis(5_100));
    Ok(())
}

#[tokio::test]
async fn the_clouds_text_is_cut_and_cleaned_before_it_reaches_an_error() -> TestResult {
    // 20 000 characters fit the 64 KiB read of an error answer and are read
    // as JSON; 100 000 do not, and only an excerpt of the head is shown.
    for size in [20_000, 100_000] {
        let evil_message = format!(
            "bad name\\n\\u001b[2J\\u001b[31mERROR: your password is wrong, type it here:\\r{}",
            "A".repeat(size)
        );
        let body = format!(r#"{{"error_code":"DWS.0002\n","error_msg":"{evil_message}"}}"#);
        let request_id = "r".repeat(20_000);
        let stub = Stub::serve(move |_, _| {
            Act::Reply(answer(400, &[("X-Request-Id", request_id.as_str())], &body))
        })
        .await;
        let client = hwsnap_cloud::Client::new(config(&stub.base))?;
        let err = client
            .dws()
            .create_snapshot(&create_request(), &open_scope())
            .await
            .err();
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(!text.chars().any(char::is_control), "{size}: {text:?}");
        assert!(text.len() < 1_500, "{size}: {}", text.len());
        if size == 20_000 {
            assert!(
                text.contains("(HTTP 400, DWS.0002: bad name [2J [31mERROR: your password is wrong, type it here: AAAA"),
                "{text}"
            );
        }
    }
    Ok(())
}
