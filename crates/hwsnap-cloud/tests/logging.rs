//! Log secrecy, in its own test binary because it installs the process-wide
//! `tracing` subscriber (per-thread subscribers miss events when other tests
//! run in parallel and share callsite caches).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hwsnap_cloud::{CancellationToken, Client, Config, Endpoints, RetryTiming, Scope};

const AK: &str = "HPUAEXAMPLEAK0000001";
const SK: &str = "exampleSecretKey0123456789abcdefghijklmn";
const TOKEN: &str = "TOKEN-SHOULD-NOT-LEAK";

/// Captures log output written through `tracing_subscriber::fmt`.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut inner) = self.0.lock() {
            inner.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn debug_logs_carry_no_secrets() -> Result<(), Box<dyn std::error::Error>> {
    let captured = Captured::default();
    let sink = captured.clone();
    tracing_subscriber::fmt()
        .with_env_filter("hwsnap_cloud=trace")
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .try_init()
        .map_err(|e| e.to_string())?;

    let emulator = hwsnap_emulator::spawn(hwsnap_emulator::Config::default()).await?;
    let base = emulator.base_url.clone();
    let mut config = Config::new(
        "ap-southeast-1",
        hwsnap_sign::Credentials::new(AK, SK).with_security_token(TOKEN),
    );
    config.endpoints = Endpoints {
        dws: Some(base.clone()),
        css: Some(base.clone()),
        iam: Some(base.clone()),
    };
    config.retry = RetryTiming::fast();
    config.request_timeout = Duration::from_secs(10);
    let client = Client::new(config)?;
    let control = reqwest::Client::new();
    control
        .post(format!("{}/_emulator/faults", base.trim_end_matches('/')))
        .json(&serde_json::json!({"path": "/v3/projects", "kind": "html500", "count": 1}))
        .send()
        .await?
        .error_for_status()?;

    let outcome = client
        .dws()
        .list_snapshots(&Scope::new(CancellationToken::new()))
        .await;
    emulator.shutdown().await;

    let logs = captured
        .0
        .lock()
        .map(|v| String::from_utf8_lossy(&v).into_owned())
        .unwrap_or_default();
    assert!(logs.contains("cloud request"), "{logs}");
    assert!(logs.contains("/v3/projects"), "{logs}");
    assert!(logs.contains("status=500"), "{logs}");
    assert!(logs.contains("retrying"), "{logs}");
    // Attempts count from 1: the first request failed, the second follows.
    assert!(logs.contains("failed_attempt=1 next_attempt=2"), "{logs}");
    assert!(!logs.contains("attempt=0"), "{logs}");
    for secret in [SK, TOKEN, "SDK-HMAC-SHA256", "Signature="] {
        assert!(!logs.contains(secret), "{secret} leaked: {logs}");
    }
    let shown = format!(
        "{outcome:?} {}",
        outcome
            .as_ref()
            .err()
            .map(ToString::to_string)
            .unwrap_or_default()
    );
    assert!(!shown.contains(SK) && !shown.contains(TOKEN), "{shown}");
    Ok(())
}
