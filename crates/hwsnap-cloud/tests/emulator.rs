//! The client against the real emulator, started in-process on port 0: every
//! operation's happy path, IAM project resolution and the credential check,
//! each retry path through fault injection, no retry on bad credentials and
//! the locked key, the lost-response create, DWS paging and the shared CSS
//! list.

mod tls;

use std::time::{Duration, Instant};

use hwsnap_cloud::{
    CancellationToken, Client, Config, CreateCssSnapshot, CreateDwsSnapshot, CssStatus, DwsSortKey,
    DwsStatus, Endpoints, Error, Fresh, ListDwsSnapshots, RetryTiming, Scope, SortDir,
};
use serde_json::{Value, json};

const AK: &str = "HPUAEXAMPLEAK0000001";
const SK: &str = "exampleSecretKey0123456789abcdefghijklmn";
const PROJECT: &str = "0123456789abcdef0123456789abcdef";

type TestResult = Result<(), Box<dyn std::error::Error>>;

struct Env {
    emulator: hwsnap_emulator::Running,
    control: reqwest::Client,
    dws_cluster: String,
    css_cluster: String,
}

async fn start() -> Result<Env, Box<dyn std::error::Error>> {
    let emulator = hwsnap_emulator::spawn(hwsnap_emulator::Config {
        create_seconds: 0.0,
        ..hwsnap_emulator::Config::default()
    })
    .await?;
    let dws_cluster = emulator
        .dws_clusters
        .first()
        .cloned()
        .ok_or("no DWS cluster")?;
    let css_cluster = emulator
        .css_clusters
        .first()
        .cloned()
        .ok_or("no CSS cluster")?;
    Ok(Env {
        emulator,
        control: reqwest::Client::new(),
        dws_cluster,
        css_cluster,
    })
}

impl Env {
    fn config(&self, ak: &str, sk: &str) -> Config {
        let base = self.emulator.base_url.clone();
        let mut config = Config::new("ap-southeast-1", hwsnap_sign::Credentials::new(ak, sk));
        config.endpoints = Endpoints {
            dws: Some(base.clone()),
            css: Some(base.clone()),
            iam: Some(base),
        };
        config.max_retries = 4;
        config.retry = RetryTiming::fast();
        config.request_timeout = Duration::from_secs(10);
        config
    }

    fn client(&self) -> Result<Client, Error> {
        Client::new(self.config(AK, SK))
    }

    fn url(&self, path: &str) -> String {
        format!(
            "{}/_emulator/{path}",
            self.emulator.base_url.trim_end_matches('/')
        )
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value, Box<dyn std::error::Error>> {
        let r = self.control.post(self.url(path)).json(&body).send().await?;
        let status = r.status();
        let text = r.text().await?;
        if !status.is_success() {
            return Err(format!("control POST {path}: {status} {text}").into());
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn fault(&self, rule: Value) -> TestResult {
        self.post("faults", rule).await.map(|_| ())
    }

    async fn requests(&self) -> Result<Vec<Value>, Box<dyn std::error::Error>> {
        let v: Value = self
            .control
            .get(self.url("requests"))
            .send()
            .await?
            .json()
            .await?;
        Ok(v.as_array().cloned().unwrap_or_default())
    }

    async fn clear_requests(&self) -> TestResult {
        self.control.delete(self.url("requests")).send().await?;
        Ok(())
    }

    async fn state(&self) -> Result<Value, Box<dyn std::error::Error>> {
        Ok(self
            .control
            .get(self.url("state"))
            .send()
            .await?
            .json()
            .await?)
    }

    async fn dws_snapshot_count(&self) -> Result<usize, Box<dyn std::error::Error>> {
        Ok(self.state().await?["dws_snapshots"]
            .as_array()
            .map_or(0, Vec::len))
    }

    async fn css_snapshot_count(&self) -> Result<usize, Box<dyn std::error::Error>> {
        Ok(self.state().await?["css_snapshots"]
            .as_array()
            .map_or(0, Vec::len))
    }
}

fn dws_req(env: &Env, name: &str, description: Option<&str>) -> CreateDwsSnapshot {
    CreateDwsSnapshot {
        name: name.to_owned(),
        cluster_id: env.dws_cluster.clone(),
        description: description.map(str::to_owned),
    }
}

fn faults_of(requests: &[Value]) -> Vec<Option<String>> {
    requests
        .iter()
        .map(|r| r["fault"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn iam_resolves_project_once() -> TestResult {
    let env = start().await?;
    let client = env.client()?;
    let scope = Scope::new(CancellationToken::new());
    assert_eq!(client.project_id(&scope).await?, PROJECT);
    assert_eq!(client.clone().project_id(&scope).await?, PROJECT);
    client.dws().list_snapshots(&scope).await?;
    let log = env.requests().await?;
    let iam: Vec<_> = log.iter().filter(|r| r["service"] == "iam").collect();
    assert_eq!(iam.len(), 1, "{log:?}");
    assert_eq!(iam[0]["path"], "/v3/projects");
    assert_eq!(iam[0]["status"], 200);
    Ok(())
}

#[tokio::test]
async fn wrong_region_is_a_config_error() -> TestResult {
    let env = start().await?;
    let mut config = env.config(AK, SK);
    config.region = "xx-nowhere-1".to_owned();
    let client = Client::new(config)?;
    let err = client
        .project_id(&Scope::new(CancellationToken::new()))
        .await
        .err();
    assert!(
        matches!(err, Some(Error::Config { ref field, .. }) if field == "region"),
        "{err:?}"
    );
    Ok(())
}

#[tokio::test]
async fn dws_happy_path() -> TestResult {
    let env = start().await?;
    let client = env.client()?;
    let scope = Scope::new(CancellationToken::new());
    let _guard = client.lock_cluster(&env.dws_cluster).await;
    let created = client
        .dws()
        .create_snapshot(&dws_req(&env, "nightly-1", Some("first")), &scope)
        .await?;
    assert!(!created.adopted);

    let shown = client.dws().show_snapshot(&created.id, &scope).await?;
    assert_eq!(shown.id, created.id);
    assert_eq!(shown.name, "nightly-1");
    assert_eq!(shown.description.as_deref(), Some("first"));
    assert_eq!(shown.cluster_id.as_deref(), Some(env.dws_cluster.as_str()));
    assert!(
        matches!(shown.status, DwsStatus::Available | DwsStatus::Creating),
        "{:?}",
        shown.status
    );
    assert!(shown.started.is_some());

    let all = client.dws().list_snapshots(&scope).await?;
    assert!(all.iter().any(|s| s.id == created.id));
    let mine = client
        .dws()
        .list_cluster_snapshots(&env.dws_cluster, &scope)
        .await?;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].id, created.id);

    client.dws().delete_snapshot(&created.id, &scope).await?;
    let gone = client.dws().show_snapshot(&created.id, &scope).await.err();
    assert!(gone.as_ref().is_some_and(Error::is_not_found), "{gone:?}");
    let again = client
        .dws()
        .delete_snapshot(&created.id, &scope)
        .await
        .err();
    assert!(again.as_ref().is_some_and(Error::is_not_found), "{again:?}");
    assert_eq!(env.dws_snapshot_count().await?, 0);
    Ok(())
}

#[tokio::test]
async fn dws_missing_things_are_not_found() -> TestResult {
    let env = start().await?;
    let client = env.client()?;
    let scope = Scope::new(CancellationToken::new());
    let err = client
        .dws()
        .show_snapshot("7d3bc8f4-0000-4000-8000-000000000000", &scope)
        .await
        .err();
    assert!(err.as_ref().is_some_and(Error::is_not_found), "{err:?}");
    let err = client
        .dws()
        .list_cluster_snapshots("7d3bc8f4-0000-4000-8000-000000000001", &scope)
        .await
        .err();
    assert!(err.as_ref().is_some_and(Error::is_not_found), "{err:?}");
    Ok(())
}

#[tokio::test]
async fn dws_cluster_listing_follows_pagination() -> TestResult {
    let env = start().await?;
    let client = env.client()?;
    let scope = Scope::new(CancellationToken::new());
    for i in 0..103 {
        client
            .dws()
            .create_snapshot(&dws_req(&env, &format!("snap-{i:03}"), None), &scope)
            .await?;
    }
    env.clear_requests().await?;
    let listed = client
        .dws()
        .list_cluster_snapshots(&env.dws_cluster, &scope)
        .await?;
    assert_eq!(listed.len(), 103);
    let ids: std::collections::HashSet<_> = listed.iter().map(|s| s.id.clone()).collect();
    assert_eq!(ids.len(), 103);
    let pages = env.requests().await?;
    assert_eq!(pages.len(), 2, "{pages:?}");
    Ok(())
}

#[tokio::test]
async fn css_happy_path() -> TestResult {
    let env = start().await?;
    let client = env.client()?;
    let scope = Scope::new(CancellationToken::new());
    let req = CreateCssSnapshot {
        name: "css-snap-1".to_owned(),
        description: Some("logs".to_owned()),
        indices: Some("logs-*".to_owned()),
    };
    let created = client
        .css()
        .create_snapshot(&env.css_cluster, &req, &scope)
        .await?;
    assert!(!created.adopted);
    let listed = client
        .css()
        .list_snapshots(&env.css_cluster, Fresh::Within(Duration::ZERO), &scope)
        .await?;
    assert_eq!(listed.len(), 1);
    let found = client
        .css()
        .find_snapshot(&env.css_cluster, &created.id, &scope)
        .await?;
    assert_eq!(found.name, "css-snap-1");
    assert_eq!(found.indices.as_deref(), Some("logs-*"));
    assert_eq!(found.description.as_deref(), Some("logs"));
    assert!(
        matches!(found.status, CssStatus::Completed | CssStatus::Building),
        "{:?}",
        found.status
    );
    assert!(found.start_time.is_some());

    client
        .css()
        .delete_snapshot(&env.css_cluster, &created.id, &scope)
        .await?;
    let gone = client
        .css()
        .find_snapshot(&env.css_cluster, &created.id, &scope)
        .await
        .err();
    assert!(gone.as_ref().is_some_and(Error::is_not_found), "{gone:?}");
    let again = client
        .css()
        .delete_snapshot(&env.css_cluster, &created.id, &scope)
        .await
        .err();
    assert!(again.as_ref().is_some_and(Error::is_not_found), "{again:?}");
    let missing_cluster = client
        .css()
        .find_snapshot("5b1e0c8d-0000-4000-8000-000000000000", &created.id, &scope)
        .await
        .err();
    assert!(
        missing_cluster.as_ref().is_some_and(Error::is_not_found),
        "{missing_cluster:?}"
    );
    Ok(())
}

#[tokio::test]
async fn wrong_credentials_are_never_retried() -> TestResult {
    let env = start().await?;
    let mut config = env.config(AK, "not-the-secret-key-at-all");
    config.project_id = Some(PROJECT.to_owned());
    let client = Client::new(config)?;
    let err = client
        .dws()
        .list_snapshots(&Scope::new(CancellationToken::new()))
        .await
        .err();
    assert!(
        matches!(err, Some(Error::Auth { status: 401, .. })),
        "{err:?}"
    );
    let text = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(text.contains("check access_key and secret_key"), "{text}");
    assert!(!text.contains("not-the-secret-key-at-all"), "{text}");
    assert_eq!(env.requests().await?.len(), 1);
    Ok(())
}

#[tokio::test]
async fn throttle_honours_retry_after() -> TestResult {
    let env = start().await?;
    let client = env.client()?;
    let scope = Scope::new(CancellationToken::new());
    client.project_id(&scope).await?;
    env.fault(json!({"path": "/snapshots$", "method": "GET", "kind": "throttle", "count": 1, "retry_after": 1}))
        .await?;
    env.clear_requests().await?;
    let started = Instant::now();
    client.dws().list_snapshots(&scope).await?;
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    let log = env.requests().await?;
    assert_eq!(
        faults_of(&log),
        vec![Some("throttle".to_owned()), None],
        "{log:?}"
    );
    Ok(())
}

#[tokio::test]
async fn throttling_that_never_ends_gives_throttled() -> TestResult {
    let env = start().await?;
    let mut config = env.config(AK, SK);
    config.project_id = Some(PROJECT.to_owned());
    config.max_retries = 2;
    let client = Client::new(config)?;
    env.fault(json!({"path": "snapshots", "kind": "throttle"}))
        .await?;
    let err = client
        .dws()
        .list_snapshots(&Scope::new(CancellationToken::new()))
        .await
        .err();
    assert!(matches!(err, Some(Error::Throttled { .. })), "{err:?}");
    assert!(
        err.as_ref()
            .is_some_and(|e| e.to_string().contains("request id ")),
        "{err:?}"
    );
    assert_eq!(env.requests().await?.len(), 3);
    Ok(())
}

#[tokio::test]
async fn html_500_is_retried() -> TestResult {
    let env = start().await?;
    let client = env.client()?;
    let scope = Scope::new(CancellationToken::new());
    client.project_id(&scope).await?;
    env.fault(json!({"path": "index_snapshots$", "kind": "html500", "count": 2}))
        .await?;
    env.clear_requests().await?;
    let listed = client
        .css()
        .list_snapshots(&env.css_cluster, Fresh::Within(Duration::ZERO), &scope)
        .await?;
    assert!(listed.is_empty());
    let log = env.requests().await?;
    assert_eq!(
        faults_of(&log),
        vec![Some("html500".to_owned()), Some("html500".to_owned()), None]
    );
    Ok(())
}

#[tokio::test]
async fn html_500_error_reads_well_when_retries_run_out() -> TestResult {
    let env = start().await?;
    let mut config = env.config(AK, SK);
    config.project_id = Some(PROJECT.to_owned());
    config.max_retries = 1;
    let client = Client::new(config)?;
    env.fault(json!({"path": "snapshots", "kind": "html500"}))
        .await?;
    let err = client
        .dws()
        .list_snapshots(&Scope::new(CancellationToken::new()))
        .await
        .err();
    assert!(
        matches!(err, Some(Error::Api { status: 500, .. })),
        "{err:?}"
    );
    let text = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        text.starts_with("list DWS snapshots failed (HTTP 500, 500 Internal Server Error"),
        "{text}"
    );
    Ok(())
}

#[tokio::test]
async fn unavailable_is_retried() -> TestResult {
    let env = start().await?;
    let client = env.client()?;
    let scope = Scope::new(CancellationToken::new());
    env.fault(json!({"path": "/v3/projects", "kind": "unavailable", "count": 1}))
        .await?;
    assert_eq!(client.project_id(&scope).await?, PROJECT);
    let log = env.requests().await?;
    assert_eq!(faults_of(&log), vec![Some("unavailable".to_owned()), None]);
    Ok(())
}

#[tokio::test]
async fn dropped_connection_before_read_is_retried() -> TestResult {
    let env = start().await?;
    let client = env.client()?;
    let scope = Scope::new(CancellationToken::new());
    let created = client
        .dws()
        .create_snapshot(&dws_req(&env, "snap-a", None), &scope)
        .await?;
    env.fault(json!({"path": "/snapshots/", "method": "GET", "kind": "drop_before", "count": 1}))
        .await?;
    let shown = client.dws().show_snapshot(&created.id, &scope).await?;
    assert_eq!(shown.id, created.id);
    Ok(())
}

#[tokio::test]
async fn dropped_create_before_it_happened_is_created_once() -> TestResult {
    let env = start().await?;
    let client = env.client()?;
    let scope = Scope::new(CancellationToken::new());
    client.project_id(&scope).await?;
    env.fault(json!({"path": "/snapshots$", "method": "POST", "kind": "drop_before", "count": 1}))
        .await?;
    env.clear_requests().await?;
    let created = client
        .dws()
        .create_snapshot(&dws_req(&env, "snap-b", Some("d")), &scope)
        .await?;
    assert!(!created.adopted);
    assert_eq!(env.dws_snapshot_count().await?, 1);
    let log = env.requests().await?;
    let methods: Vec<_> = log
        .iter()
        .map(|r| r["method"].as_str().unwrap_or(""))
        .collect();
    // create (dropped), name lookup, create again.
    assert_eq!(methods, vec!["POST", "GET", "POST"], "{log:?}");
    Ok(())
}

#[tokio::test]
async fn lost_create_response_adopts_the_snapshot() -> TestResult {
    let env = start().await?;
    let client = env.client()?;
    let scope = Scope::new(CancellationToken::new());
    client.project_id(&scope).await?;
    env.fault(json!({"path": "/snapshots$", "method": "POST", "kind": "drop_after", "count": 1}))
        .await?;
    let created = client
        .dws()
        .create_snapshot(&dws_req(&env, "Lost-Answer", Some("kept")), &scope)
        .await?;
    assert!(created.adopted);
    let state = env.state().await?;
    let snapshots = state["dws_snapshots"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(snapshots.len(), 1, "{state}");
    assert_eq!(snapshots[0]["id"].as_str(), Some(created.id.as_str()));
    Ok(())
}

#[tokio::test]
async fn lost_css_create_response_adopts_the_snapshot() -> TestResult {
    let env = start().await?;
    let client = env.client()?;
    let scope = Scope::new(CancellationToken::new());
    client.project_id(&scope).await?;
    env.fault(
        json!({"path": "index_snapshot$", "method": "POST", "kind": "drop_after", "count": 1}),
    )
    .await?;
    let req = CreateCssSnapshot {
        name: "css-lost".to_owned(),
        description: None,
        indices: None,
    };
    let created = client
        .css()
        .create_snapshot(&env.css_cluster, &req, &scope)
        .await?;
    assert!(created.adopted);
    assert_eq!(env.css_snapshot_count().await?, 1);
    let found = client
        .css()
        .find_snapshot(&env.css_cluster, &created.id, &scope)
        .await?;
    assert_eq!(found.name, "css-lost");
    Ok(())
}

#[tokio::test]
async fn create_rerun_adopts_same_description_and_refuses_another() -> TestResult {
    let env = start().await?;
    let client = env.client()?;
    let scope = Scope::new(CancellationToken::new());
    let first = client
        .dws()
        .create_snapshot(&dws_req(&env, "rerun-1", Some("same")), &scope)
        .await?;
    // Names are unique per cluster case-insensitively.
    let again = client
        .dws()
        .create_snapshot(&dws_req(&env, "RERUN-1", Some("same")), &scope)
        .await?;
    assert_eq!(again.id, first.id);
    assert!(again.adopted);
    let other = client
        .dws()
        .create_snapshot(&dws_req(&env, "rerun-1", Some("different")), &scope)
        .await
        .err();
    assert!(
        matches!(other, Some(Error::AlreadyExists { ref existing_id, .. }) if *existing_id == first.id),
        "{other:?}"
    );
    assert_eq!(env.dws_snapshot_count().await?, 1);

    let css_req = CreateCssSnapshot {
        name: "rerun-css".to_owned(),
        description: Some("x".to_owned()),
        indices: None,
    };
    let a = client
        .css()
        .create_snapshot(&env.css_cluster, &css_req, &scope)
        .await?;
    let b = client
        .css()
        .create_snapshot(&env.css_cluster, &css_req, &scope)
        .await?;
    assert_eq!((b.id.as_str(), b.adopted), (a.id.as_str(), true));
    Ok(())
}

#[tokio::test]
async fn garbage_answer_is_a_decode_error() -> TestResult {
    let env = start().await?;
    let client = env.client()?;
    let scope = Scope::new(CancellationToken::new());
    client.project_id(&scope).await?;
    env.fault(json!({"path": "/snapshots$", "method": "GET", "kind": "garbage", "count": 1}))
        .await?;
    let err = client.dws().list_snapshots(&scope).await.err();
    assert!(matches!(err, Some(Error::Decode { .. })), "{err:?}");
    assert!(
        err.map(|e| e.to_string())
            .unwrap_or_default()
            .starts_with("list DWS snapshots failed")
    );
    Ok(())
}

#[tokio::test]
async fn cancellation_is_prompt() -> TestResult {
    let env = start().await?;
    let client = env.client()?;
    let scope = Scope::new(CancellationToken::new());
    client.project_id(&scope).await?;
    env.fault(json!({"path": "snapshots", "kind": "latency", "latency_ms": 5000}))
        .await?;
    let trigger = scope.cancel().clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        trigger.cancel();
    });
    let started = Instant::now();
    let err = client.dws().list_snapshots(&scope).await.err();
    assert_eq!(err, Some(Error::Cancelled));
    assert!(started.elapsed() < Duration::from_secs(2));
    Ok(())
}

#[tokio::test]
async fn busy_cluster_is_retried_until_free() -> TestResult {
    let env = start().await?;
    let client = env.client()?;
    let scope = Scope::new(CancellationToken::new());
    env.post("settings", json!({"create_seconds": 0.3})).await?;
    let first = client
        .dws()
        .create_snapshot(&dws_req(&env, "busy-1", None), &scope)
        .await?;
    // Deleting a snapshot still being created is refused as busy, then works.
    let mut config = env.config(AK, SK);
    config.retry = RetryTiming {
        base: Duration::from_millis(100),
        max: Duration::from_millis(200),
        max_retry_after: Duration::from_secs(1),
    };
    config.max_retries = 10;
    let patient = Client::new(config)?;
    patient.dws().delete_snapshot(&first.id, &scope).await?;
    assert_eq!(env.dws_snapshot_count().await?, 0);
    Ok(())
}

#[tokio::test]
async fn throttled_create_is_retried_without_lookup() -> TestResult {
    let env = start().await?;
    let client = env.client()?;
    let scope = Scope::new(CancellationToken::new());
    client.project_id(&scope).await?;
    env.fault(json!({"path": "index_snapshot$", "method": "POST", "kind": "throttle", "count": 2}))
        .await?;
    env.clear_requests().await?;
    let req = CreateCssSnapshot {
        name: "throttled-create".to_owned(),
        description: None,
        indices: None,
    };
    let created = client
        .css()
        .create_snapshot(&env.css_cluster, &req, &scope)
        .await?;
    assert!(!created.adopted);
    let log = env.requests().await?;
    let methods: Vec<_> = log
        .iter()
        .map(|r| r["method"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(methods, vec!["POST", "POST", "POST"], "{log:?}");
    assert_eq!(env.css_snapshot_count().await?, 1);
    Ok(())
}

#[tokio::test]
async fn busy_cluster_create_is_retried() -> TestResult {
    let env = start().await?;
    let scope = Scope::new(CancellationToken::new());
    env.post("settings", json!({"create_seconds": 0.3})).await?;
    let mut config = env.config(AK, SK);
    config.retry = RetryTiming {
        base: Duration::from_millis(100),
        max: Duration::from_millis(200),
        max_retry_after: Duration::from_secs(1),
    };
    config.max_retries = 10;
    let client = Client::new(config)?;
    client
        .dws()
        .create_snapshot(&dws_req(&env, "first-one", None), &scope)
        .await?;
    // The cluster is still busy with the first snapshot.
    let second = client
        .dws()
        .create_snapshot(&dws_req(&env, "second-one", None), &scope)
        .await?;
    assert!(!second.adopted);
    let log = env.requests().await?;
    assert!(
        log.iter()
            .any(|r| r["method"] == "POST" && r["status"] == 403),
        "expected a busy refusal first: {log:?}"
    );
    assert_eq!(env.dws_snapshot_count().await?, 2);
    Ok(())
}

#[tokio::test]
async fn check_credentials_is_one_call_and_fills_the_project() -> TestResult {
    let env = start().await?;
    let client = env.client()?;
    let scope = Scope::new(CancellationToken::new());
    client.check_credentials(&scope).await?;
    let log = env.requests().await?;
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["path"], "/v3/projects");
    // The project id came with it: no second lookup.
    assert_eq!(client.project_id(&scope).await?, PROJECT);
    client.dws().list_snapshots(&scope).await?;
    let iam = env
        .requests()
        .await?
        .iter()
        .filter(|r| r["service"] == "iam")
        .count();
    assert_eq!(iam, 1);
    Ok(())
}

#[tokio::test]
async fn check_credentials_refuses_a_wrong_key_then_says_when_it_is_locked() -> TestResult {
    let env = start().await?;
    let mut config = env.config(AK, "not-the-secret-key-at-all");
    config.project_id = Some(PROJECT.to_owned());
    let wrong = Client::new(config)?;
    let scope = Scope::new(CancellationToken::new());
    for _ in 0..5 {
        let err = wrong.check_credentials(&scope).await.err();
        assert!(
            matches!(err, Some(Error::Auth { status: 401, .. })),
            "{err:?}"
        );
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("the signature was refused"), "{text}");
        assert!(text.contains("check access_key and secret_key"), "{text}");
    }
    // Five refusals in a row lock the key, even for the right secret.
    for client in [wrong, env.client()?] {
        let err = client.check_credentials(&scope).await.err();
        assert!(
            matches!(err, Some(Error::KeyLocked { status: 401, .. })),
            "{err:?}"
        );
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            text.contains(
                "the API gateway has locked this access key after repeated signature failures"
            ),
            "{text}"
        );
        assert!(
            text.contains("the lock lifts after about 5 minutes"),
            "{text}"
        );
        assert!(!text.contains("not-the-secret-key-at-all") && !text.contains(SK));
    }
    // Never retried: one request per check.
    assert_eq!(env.requests().await?.len(), 7);
    Ok(())
}

#[tokio::test]
async fn a_configured_project_is_kept_by_check_credentials() -> TestResult {
    let env = start().await?;
    let mut config = env.config(AK, SK);
    config.project_id = Some("configured-project".to_owned());
    let client = Client::new(config)?;
    let scope = Scope::new(CancellationToken::new());
    client.check_credentials(&scope).await?;
    assert_eq!(client.project_id(&scope).await?, "configured-project");
    Ok(())
}

async fn dws_snapshots_made_outside(env: &Env, names: &[String]) -> TestResult {
    for name in names {
        env.post(
            "snapshots",
            json!({"service": "dws", "cluster_id": env.dws_cluster, "name": name}),
        )
        .await?;
    }
    Ok(())
}

#[tokio::test]
async fn dws_pages_stop_when_the_caller_has_enough() -> TestResult {
    let env = start().await?;
    let names: Vec<String> = (0..25).map(|i| format!("snap-{:02}", 24 - i)).collect();
    dws_snapshots_made_outside(&env, &names).await?;
    let client = env.client()?;
    let scope = Scope::new(CancellationToken::new());
    client.project_id(&scope).await?;
    env.clear_requests().await?;
    let mut pages = client.dws().cluster_pages(ListDwsSnapshots {
        cluster_id: env.dws_cluster.clone(),
        page_size: 10,
        sort: Some((DwsSortKey::Name, SortDir::Asc)),
    });
    let first = pages.next(&scope).await?.ok_or("no first page")?;
    let got: Vec<&str> = first.snapshots.iter().map(|s| s.name.as_str()).collect();
    let want: Vec<String> = (0..10).map(|i| format!("snap-{i:02}")).collect();
    assert_eq!(got, want);
    assert_eq!(first.total, Some(25));
    // The caller has enough and stops: one request was made.
    drop(pages);
    let log = env.requests().await?;
    assert_eq!(log.len(), 1, "{log:?}");
    let query = log[0]["query"].as_str().unwrap_or_default();
    for part in ["limit=10", "offset=0", "sort_key=name", "sort_dir=asc"] {
        assert!(query.contains(part), "{query}");
    }
    // Reading on gives the rest, 25 in all, then nothing.
    let mut pages = client.dws().cluster_pages(ListDwsSnapshots {
        cluster_id: env.dws_cluster.clone(),
        page_size: 10,
        sort: Some((DwsSortKey::Name, SortDir::Desc)),
    });
    let mut all = Vec::new();
    while let Some(page) = pages.next(&scope).await? {
        all.extend(page.snapshots.into_iter().map(|s| s.name));
    }
    let mut sorted = names.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(all, sorted);
    assert!(pages.next(&scope).await?.is_none());
    Ok(())
}

#[tokio::test]
async fn dws_list_items_carry_what_show_returns() -> TestResult {
    let env = start().await?;
    let client = env.client()?;
    let scope = Scope::new(CancellationToken::new());
    let created = client
        .dws()
        .create_snapshot(&dws_req(&env, "compare-1", Some("same fields")), &scope)
        .await?;
    let shown = client.dws().show_snapshot(&created.id, &scope).await?;
    let listed = client
        .dws()
        .list_cluster_snapshots(&env.dws_cluster, &scope)
        .await?;
    let item = listed
        .into_iter()
        .find(|s| s.id == created.id)
        .ok_or("not listed")?;
    assert_eq!(item, shown);
    Ok(())
}

/// Runs `read(id)` for every id at once, each in its own task, and returns
/// the answers in the order of `ids`. Callers pass clones of one client,
/// which share its list caches.
async fn read_concurrently<T, F, Fut>(
    ids: &[String],
    read: F,
) -> Result<Vec<T>, Box<dyn std::error::Error>>
where
    T: Send + 'static,
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<T, Error>> + Send + 'static,
{
    let tasks: Vec<_> = ids
        .iter()
        .map(|id| tokio::spawn(read(id.clone())))
        .collect();
    let mut found = Vec::with_capacity(tasks.len());
    for task in tasks {
        found.push(task.await??);
    }
    Ok(found)
}

#[tokio::test]
async fn dws_reads_of_one_cluster_share_one_list_and_only_a_show_says_gone() -> TestResult {
    let env = start().await?;
    let mut ids = Vec::new();
    for i in 0..30 {
        let made = env
            .post(
                "snapshots",
                json!({"service": "dws", "cluster_id": env.dws_cluster, "name": format!("snap-{i:02}")}),
            )
            .await?;
        ids.push(made["id"].as_str().ok_or("no id")?.to_owned());
    }
    let client = env.client()?;
    let scope = Scope::new(CancellationToken::new());
    env.clear_requests().await?;
    // Thirty concurrent reads: one list (one page), no show.
    let found = read_concurrently(&ids, |id| {
        let (client, cluster, scope) = (client.clone(), env.dws_cluster.clone(), scope.clone());
        async move { client.dws().find_snapshot(&cluster, &id, &scope).await }
    })
    .await?;
    for (s, id) in found.iter().zip(&ids) {
        assert_eq!(&s.id, id);
    }
    // The DWS requests (the first also looks the project up in IAM).
    let operations = |requests: Vec<Value>| -> Vec<String> {
        requests
            .iter()
            .map(|r| r["operation"].as_str().unwrap_or_default().to_owned())
            .filter(|op| op.starts_with("dws."))
            .collect()
    };
    assert_eq!(
        operations(env.requests().await?),
        ["dws.list_cluster_snapshots"]
    );
    // A snapshot the list does not hold is shown by ID: found elsewhere, or
    // gone only on the show's word.
    env.clear_requests().await?;
    let missing = "2a4d0f86-1c2b-4d5e-8f90-a1b2c3d4e5f6";
    let gone = client
        .dws()
        .find_snapshot(&env.dws_cluster, missing, &scope)
        .await
        .err();
    assert!(gone.as_ref().is_some_and(Error::is_not_found), "{gone:?}");
    assert_eq!(operations(env.requests().await?), ["dws.show_snapshot"]);
    // This client's own delete makes the older list unusable.
    client.dws().delete_snapshot(&ids[0], &scope).await?;
    env.clear_requests().await?;
    let after = client
        .dws()
        .find_snapshot(&env.dws_cluster, &ids[0], &scope)
        .await;
    let listed_again = operations(env.requests().await?);
    assert_eq!(
        listed_again[0], "dws.list_cluster_snapshots",
        "{listed_again:?}"
    );
    // The emulator deletes at once or after a while: either way the answer
    // comes from after the delete.
    match after {
        Ok(s) => assert_ne!(s.status, hwsnap_cloud::DwsStatus::Available, "{s:?}"),
        Err(e) => assert!(e.is_not_found(), "{e}"),
    }
    Ok(())
}

#[tokio::test]
async fn css_reads_of_one_cluster_share_one_list() -> TestResult {
    let env = start().await?;
    for i in 0..30 {
        env.post(
            "snapshots",
            json!({"service": "css", "cluster_id": env.css_cluster, "name": format!("snap-{i:02}")}),
        )
        .await?;
    }
    let client = env.client()?;
    let scope = Scope::new(CancellationToken::new());
    let ids: Vec<String> = client
        .css()
        .list_snapshots(&env.css_cluster, Fresh::Within(Duration::ZERO), &scope)
        .await?
        .iter()
        .map(|s| s.id.clone())
        .collect();
    assert_eq!(ids.len(), 30);
    env.clear_requests().await?;
    // Thirty concurrent reads (clones of the client share the cache).
    let read = |id: String| {
        let (client, cluster, scope) = (client.clone(), env.css_cluster.clone(), scope.clone());
        async move { client.css().find_snapshot(&cluster, &id, &scope).await }
    };
    let found = read_concurrently(&ids, read).await?;
    for (s, id) in found.iter().zip(&ids) {
        assert_eq!(&s.id, id);
    }
    let lists = env.requests().await?.len();
    assert_eq!(lists, 0, "the list made just before is fresh enough");
    // Past the reuse window, one new list serves them all.
    tokio::time::sleep(hwsnap_cloud::DEFAULT_LIST_REUSE + Duration::from_millis(100)).await;
    read_concurrently(&ids, read).await?;
    assert_eq!(env.requests().await?.len(), 1);
    Ok(())
}

#[tokio::test]
async fn own_css_create_and_delete_make_older_lists_unusable() -> TestResult {
    let env = start().await?;
    let client = env.client()?;
    let scope = Scope::new(CancellationToken::new());
    let long = Fresh::Within(Duration::from_secs(3600));
    let before = client
        .css()
        .list_snapshots(&env.css_cluster, long, &scope)
        .await?;
    assert!(before.is_empty());
    let req = CreateCssSnapshot {
        name: "fresh-after-create".to_owned(),
        description: None,
        indices: None,
    };
    let created = client
        .css()
        .create_snapshot(&env.css_cluster, &req, &scope)
        .await?;
    // Even a caller content with an hour-old list gets one from after the create.
    let found = client
        .css()
        .find_snapshot_fresh(&env.css_cluster, &created.id, long, &scope)
        .await?;
    assert_eq!(found.name, "fresh-after-create");
    client
        .css()
        .delete_snapshot(&env.css_cluster, &created.id, &scope)
        .await?;
    let gone = client
        .css()
        .find_snapshot_fresh(&env.css_cluster, &created.id, long, &scope)
        .await
        .err();
    assert!(gone.as_ref().is_some_and(Error::is_not_found), "{gone:?}");
    // A wait demanding a list from after its last look always gets a new one.
    env.clear_requests().await?;
    let look = tokio::time::Instant::now();
    client
        .css()
        .list_snapshots(&env.css_cluster, Fresh::Since(look), &scope)
        .await?;
    assert_eq!(env.requests().await?.len(), 1);
    Ok(())
}
