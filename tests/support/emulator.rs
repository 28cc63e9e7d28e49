//! An in-process `hwsnap-emulator` for one test: its own tokio runtime, its
//! own port, its own state; stopped when the value is dropped.

use serde_json::{Value, json};

use hwsnap_testkit::http;

/// How to start an [`Emulator`].
#[derive(Clone, Debug)]
pub struct EmulatorOptions {
    /// Seconds a new snapshot stays "creating" (0 = at once; fractions allowed).
    pub create_seconds: f64,
    /// How many DWS clusters exist at start.
    pub dws_clusters: usize,
    /// How many CSS clusters exist at start.
    pub css_clusters: usize,
}

impl Default for EmulatorOptions {
    /// Instant snapshot creation, one cluster of each kind.
    fn default() -> Self {
        EmulatorOptions {
            create_seconds: 0.0,
            dws_clusters: 1,
            css_clusters: 1,
        }
    }
}

impl EmulatorOptions {
    pub fn create_seconds(mut self, seconds: f64) -> Self {
        self.create_seconds = seconds;
        self
    }

    pub fn clusters(mut self, dws: usize, css: usize) -> Self {
        self.dws_clusters = dws;
        self.css_clusters = css;
        self
    }
}

/// A running emulator. Every method talks to it over HTTP, like the provider.
pub struct Emulator {
    // Field order matters: `running` is shut down on `runtime` in `drop`.
    running: Option<hwsnap_emulator::Running>,
    runtime: tokio::runtime::Runtime,
    base_url: String,
    access_key: String,
    secret_key: String,
    project_id: String,
    region: String,
}

impl Emulator {
    /// Start an emulator on 127.0.0.1:0 (panics when it cannot).
    pub fn start(opts: EmulatorOptions) -> Emulator {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("hwsnap-emulator")
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("cannot build the emulator's tokio runtime: {e}"));
        let mut config = hwsnap_emulator::Config {
            create_seconds: opts.create_seconds,
            ..hwsnap_emulator::Config::default()
        };
        // The default config seeds one cluster of each kind; keep at most
        // what was asked for, and add the rest through the control API.
        config.dws_clusters.truncate(opts.dws_clusters);
        config.css_clusters.truncate(opts.css_clusters);
        let (access_key, secret_key) = config
            .credentials
            .first()
            .cloned()
            .unwrap_or_else(|| panic!("the emulator's default config has no credentials"));
        let project_id = config.project_id.clone();
        let region = config.region.clone();
        let (seeded_dws, seeded_css) = (config.dws_clusters.len(), config.css_clusters.len());
        let running = runtime
            .block_on(hwsnap_emulator::spawn(config))
            .unwrap_or_else(|e| panic!("cannot start the emulator: {e}"));
        let emu = Emulator {
            base_url: running.base_url.trim_end_matches('/').to_owned(),
            running: Some(running),
            runtime,
            access_key,
            secret_key,
            project_id,
            region,
        };
        for _ in seeded_dws..opts.dws_clusters {
            emu.add_cluster("dws");
        }
        for _ in seeded_css..opts.css_clusters {
            emu.add_cluster("css");
        }
        emu
    }

    /// `http://127.0.0.1:PORT`: the DWS, CSS and IAM endpoint alike.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    pub fn secret_key(&self) -> &str {
        &self.secret_key
    }

    pub fn project_id(&self) -> &str {
        &self.project_id
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// Provider environment: `HW_*` credentials, region, project and endpoints.
    pub fn provider_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("HW_ACCESS_KEY", self.access_key.clone()),
            ("HW_SECRET_KEY", self.secret_key.clone()),
            ("HW_REGION_NAME", self.region.clone()),
            ("HW_PROJECT_ID", self.project_id.clone()),
            ("HW_DWS_ENDPOINT", self.base_url.clone()),
            ("HW_CSS_ENDPOINT", self.base_url.clone()),
            ("HW_IAM_ENDPOINT", self.base_url.clone()),
        ]
    }

    /// Call the control API (`path` under `/_emulator/`, e.g. `"faults"`, or
    /// an absolute path); panics on a transport error or a non-2xx status.
    /// Returns the JSON answer (`null` for an empty body).
    pub fn control(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        control_at(&self.base_url, method, path, body)
    }

    /// `GET /_emulator/state`.
    pub fn state(&self) -> Value {
        self.control("GET", "state", None)
    }

    /// `GET /_emulator/requests`: the signed API calls seen so far.
    pub fn requests(&self) -> Vec<Value> {
        match self.control("GET", "requests", None) {
            Value::Array(items) => items,
            other => panic!("/_emulator/requests answered a non-array: {other}"),
        }
    }

    /// `DELETE /_emulator/requests`.
    pub fn clear_requests(&self) {
        self.control("DELETE", "requests", None);
    }

    fn cluster_ids(&self, key: &str) -> Vec<String> {
        let state = self.state();
        state[key]
            .as_array()
            .unwrap_or_else(|| panic!("emulator state has no {key} array: {state}"))
            .iter()
            .map(|c| {
                c["id"]
                    .as_str()
                    .unwrap_or_else(|| panic!("cluster without id in {state}"))
                    .to_owned()
            })
            .collect()
    }

    /// Ids of the DWS clusters that exist now.
    pub fn dws_clusters(&self) -> Vec<String> {
        self.cluster_ids("dws_clusters")
    }

    /// Ids of the CSS clusters that exist now.
    pub fn css_clusters(&self) -> Vec<String> {
        self.cluster_ids("css_clusters")
    }

    /// Add a cluster (`service` is `"dws"` or `"css"`); returns its id.
    pub fn add_cluster(&self, service: &str) -> String {
        let cluster = self.control("POST", "clusters", Some(json!({ "service": service })));
        cluster["id"]
            .as_str()
            .unwrap_or_else(|| panic!("POST /_emulator/clusters answered no id: {cluster}"))
            .to_owned()
    }

    /// Snapshots in the emulator's state (`"dws_snapshots"`/`"css_snapshots"`).
    pub fn snapshots(&self, key: &str) -> Vec<Value> {
        match self.state()[key].take() {
            Value::Array(items) => items,
            other => panic!("emulator state has no {key} array: {other}"),
        }
    }

    /// `POST /_emulator/faults`; returns the rule id.
    pub fn add_fault(&self, rule: Value) -> Value {
        self.control("POST", "faults", Some(rule))["id"].take()
    }

    /// `POST /_emulator/reset`.
    pub fn reset(&self) {
        self.control("POST", "reset", None);
    }

    /// `POST /_emulator/snapshots` with `body` (`{"service","cluster_id",
    /// "name","description"?,"indices"?,"type"?,"started_ms"?}`): a snapshot
    /// made outside Terraform, already finished; answers it in wire format.
    pub fn add_snapshot_with(&self, body: Value) -> Value {
        self.control("POST", "snapshots", Some(body))
    }

    /// A manual snapshot made outside Terraform (`service` is `"dws"` or
    /// `"css"`), already `AVAILABLE`/`COMPLETED`; returns its id.
    pub fn add_snapshot(&self, service: &str, cluster_id: &str, name: &str) -> String {
        let made = self.add_snapshot_with(
            json!({ "service": service, "cluster_id": cluster_id, "name": name }),
        );
        snapshot_id(&made)
    }

    /// An automatic snapshot (DWS `type` `AUTO`, CSS `backupType` `"0"` /
    /// `backupMethod` `"auto"`), started at `started_ms` (epoch ms; now when
    /// `None`) and finished a minute later; returns its id.
    pub fn add_automatic_snapshot(
        &self,
        service: &str,
        cluster_id: &str,
        name: &str,
        started_ms: Option<i64>,
    ) -> String {
        let mut body =
            json!({ "service": service, "cluster_id": cluster_id, "name": name, "type": "AUTO" });
        if let Some(ms) = started_ms {
            body["started_ms"] = json!(ms);
        }
        snapshot_id(&self.add_snapshot_with(body))
    }

    /// `POST /_emulator/clusters/{id}/restore_outcomes`: the next `count`
    /// restores of this CSS cluster's snapshots end in `status` (`"failed"`
    /// or `"success"`).
    pub fn set_restore_outcome(&self, cluster_id: &str, status: &str, count: u32) {
        self.control(
            "POST",
            &format!("clusters/{cluster_id}/restore_outcomes"),
            Some(json!({ "status": status, "count": count })),
        );
    }

    /// `POST /_emulator/settings` (`{"create_seconds"?, "dws_offset"?}`);
    /// returns every setting.
    pub fn settings(&self, settings: Value) -> Value {
        self.control("POST", "settings", Some(settings))
    }

    /// The logged cloud requests of one operation (e.g.
    /// `"css.list_snapshots"`, `"dws.list_cluster_snapshots"`), on one
    /// cluster when `cluster_id` is given.
    pub fn requests_for(&self, operation: &str, cluster_id: Option<&str>) -> Vec<Value> {
        let safe = |s: &str| {
            s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        };
        assert!(
            safe(operation) && cluster_id.is_none_or(safe),
            "operation and cluster id must be plain names: {operation:?} {cluster_id:?}"
        );
        let mut path = format!("requests?operation={operation}");
        if let Some(cluster) = cluster_id {
            path.push_str(&format!("&cluster_id={cluster}"));
        }
        match self.control("GET", &path, None) {
            Value::Array(items) => items,
            other => panic!("/_emulator/{path} answered a non-array: {other}"),
        }
    }

    /// How many cloud requests of `operation` (on `cluster_id`, if given)
    /// were logged since the last reset or clear.
    pub fn request_count(&self, operation: &str, cluster_id: Option<&str>) -> usize {
        self.requests_for(operation, cluster_id).len()
    }
}

/// The `id` of a snapshot in wire format.
fn snapshot_id(made: &Value) -> String {
    made["id"]
        .as_str()
        .unwrap_or_else(|| panic!("POST /_emulator/snapshots answered no id: {made}"))
        .to_owned()
}

/// [`Emulator::control`] for an emulator at `base_url` that this process did
/// not start (e.g. one run as a separate process).
pub fn control_at(base_url: &str, method: &str, path: &str, body: Option<Value>) -> Value {
    let path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/_emulator/{path}")
    };
    let resp = http::request(base_url, method, &path, body.as_ref())
        .unwrap_or_else(|e| panic!("emulator control call failed: {e}"));
    let text = String::from_utf8_lossy(&resp.body);
    assert!(
        (200..300).contains(&resp.status),
        "emulator control call {method} {path} answered {}: {text}",
        resp.status
    );
    if text.trim().is_empty() {
        return Value::Null;
    }
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{method} {path} answered non-JSON ({e}): {text}"))
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            self.runtime.block_on(running.shutdown());
        }
    }
}

impl std::fmt::Debug for Emulator {
    // The secret key stays out of Debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.base_url)
            .field("access_key", &self.access_key)
            .field("project_id", &self.project_id)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}
