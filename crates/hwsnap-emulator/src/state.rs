//! [`AppState`]: the one [`Emulator`] struct behind a mutex that every handler
//! shares — clusters, snapshots, settings, the request log, fault rules,
//! forced outcomes and per-AK authentication failures. Clusters and snapshots
//! are written to the state file (atomically) after every change.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use rand::Rng;
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::config::Config;
use crate::model::{Cluster, Service, Snapshot, SnapshotStatus};

/// Consecutive failures that lock an AK.
pub const LOCK_AFTER_FAILURES: u32 = 5;
/// How long a locked AK stays locked.
pub const LOCK_MS: i64 = 5 * 60 * 1000;

/// Milliseconds since the epoch, now.
pub fn now_ms() -> i64 {
    i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000)
        .unwrap_or(i64::MAX)
}

/// Shared handle on the emulator's state; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Mutex<Emulator>>,
}

impl AppState {
    /// Builds the state from a configuration, loading the state file when it exists.
    pub fn new(config: &Config) -> Result<Self, Error> {
        Ok(AppState {
            inner: Arc::new(Mutex::new(Emulator::new(config)?)),
        })
    }

    /// Locks the state. A poisoned lock is recovered: the state stays usable.
    pub fn lock(&self) -> MutexGuard<'_, Emulator> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppState")
    }
}

/// What a fault rule does to a matching request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// 429 with `Retry-After`.
    Throttle,
    /// 500 with an HTML body.
    Html500,
    /// 503 gateway JSON.
    Unavailable,
    /// Close the connection without answering or acting.
    DropBefore,
    /// Act, then close the connection without answering.
    DropAfter,
    /// Wait `latency_ms`, then answer normally.
    Latency,
    /// 200 with a raw, unparsable body.
    Garbage,
}

/// A fault rule as posted to `/_emulator/faults`.
#[derive(Debug, Clone, Deserialize)]
pub struct FaultSpec {
    /// Regex matched against the request path.
    pub path: String,
    /// Only this method, when given.
    pub method: Option<String>,
    /// What to do.
    pub kind: FaultKind,
    /// Probability of applying to a matching request (default 1).
    pub fraction: Option<f64>,
    /// The rule expires after this many hits.
    pub count: Option<u32>,
    /// Throttle: `Retry-After` seconds.
    pub retry_after: Option<u64>,
    /// Latency: delay in ms.
    pub latency_ms: Option<u64>,
    /// Garbage: the raw 200 body.
    pub body: Option<String>,
}

/// An installed fault rule.
#[derive(Debug, Clone)]
pub struct FaultRule {
    /// Id returned to the caller.
    pub id: String,
    path: Regex,
    spec: FaultSpec,
    remaining: Option<u32>,
}

/// A fault that fired on one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiredFault {
    /// Its kind.
    pub kind: FaultKind,
    /// Throttle: `Retry-After` seconds.
    pub retry_after: Option<u64>,
    /// Latency: ms.
    pub latency_ms: u64,
    /// Garbage: body.
    pub body: Option<String>,
}

/// One entry of the request log (`GET /_emulator/requests`).
#[derive(Debug, Clone, Serialize)]
pub struct LogEntry {
    /// 1-based sequence number.
    pub seq: u64,
    /// HTTP method.
    pub method: String,
    /// Path as received.
    pub path: String,
    /// Raw query string (empty when none).
    pub query: String,
    /// Status answered; for dropped connections, the status the operation
    /// produced (`drop_after`) or 0 (`drop_before`).
    pub status: u16,
    /// `dws`, `css` or `iam`.
    pub service: &'static str,
    /// The fault kind applied, if any.
    pub fault: Option<FaultKind>,
}

#[derive(Debug, Default, Clone)]
struct AkState {
    failures: u32,
    locked_until_ms: i64,
}

/// The persisted part of the state, as read back.
#[derive(Debug, Default, Deserialize)]
struct Persisted {
    clusters: Vec<Cluster>,
    snapshots: Vec<Snapshot>,
}

/// The same, as written: borrowed, so a save copies nothing.
#[derive(Serialize)]
struct PersistedRef<'a> {
    clusters: &'a [Cluster],
    snapshots: &'a [Snapshot],
}

/// All of the emulator's state.
pub struct Emulator {
    /// Configured project id.
    pub project_id: String,
    /// Configured region (the IAM project name).
    pub region: String,
    credentials: Vec<(String, String)>,
    /// Seconds a new snapshot stays CREATING/BUILDING.
    pub create_seconds: f64,
    /// All clusters.
    pub clusters: Vec<Cluster>,
    /// All snapshots, in creation order.
    pub snapshots: Vec<Snapshot>,
    outcomes: HashMap<String, (SnapshotStatus, u32)>,
    log: Vec<LogEntry>,
    next_seq: u64,
    faults: Vec<FaultRule>,
    next_fault: u64,
    aks: HashMap<String, AkState>,
    state_file: Option<PathBuf>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secret keys are deliberately left out.
        f.debug_struct("Emulator")
            .field("project_id", &self.project_id)
            .field("region", &self.region)
            .field("clusters", &self.clusters)
            .field("snapshots", &self.snapshots.len())
            .finish_non_exhaustive()
    }
}

fn cluster_name(service: Service, id: &str, n: usize) -> String {
    let prefix = match service {
        Service::Dws => "dws",
        Service::Css => "css",
    };
    let short = id.split('-').next().unwrap_or(id);
    format!("{prefix}-cluster-{n}-{short}")
}

impl Emulator {
    fn new(config: &Config) -> Result<Self, Error> {
        let mut emulator = Emulator {
            project_id: config.project_id.clone(),
            region: config.region.clone(),
            credentials: config.credentials.clone(),
            create_seconds: config.create_seconds.max(0.0),
            clusters: Vec::new(),
            snapshots: Vec::new(),
            outcomes: HashMap::new(),
            log: Vec::new(),
            next_seq: 1,
            faults: Vec::new(),
            next_fault: 1,
            aks: HashMap::new(),
            state_file: config.state_file.clone(),
        };
        if let Some(path) = &config.state_file
            && path.exists()
        {
            let persisted = load(path)?;
            emulator.clusters = persisted.clusters;
            emulator.snapshots = persisted.snapshots;
        }
        for (service, ids) in [
            (Service::Dws, &config.dws_clusters),
            (Service::Css, &config.css_clusters),
        ] {
            for id in ids {
                if !emulator.clusters.iter().any(|c| c.id == *id) {
                    let n = emulator
                        .clusters
                        .iter()
                        .filter(|c| c.service == service)
                        .count()
                        + 1;
                    emulator.clusters.push(Cluster {
                        id: id.clone(),
                        name: cluster_name(service, id, n),
                        service,
                    });
                }
            }
        }
        emulator.save()?;
        Ok(emulator)
    }

    /// Writes clusters and snapshots to the state file, if any (write a
    /// sibling temp file, then rename).
    pub fn save(&self) -> Result<(), Error> {
        let Some(path) = &self.state_file else {
            return Ok(());
        };
        let persisted = PersistedRef {
            clusters: &self.clusters,
            snapshots: &self.snapshots,
        };
        let bytes = serde_json::to_vec_pretty(&persisted).map_err(|e| Error::StateFormat {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let mut tmp = path.clone().into_os_string();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let io = |source| Error::StateFile {
            path: path.clone(),
            source,
        };
        std::fs::write(&tmp, bytes).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// Saves, logging (not failing) on error: the HTTP answer already reflects the change.
    pub fn save_or_log(&self) {
        if let Err(e) = self.save() {
            tracing::error!(error = %e, "could not save the state file");
        }
    }

    /// The secret key of `access_key`, if it is known.
    pub fn secret_for(&self, access_key: &str) -> Option<String> {
        self.credentials
            .iter()
            .find(|(ak, _)| ak == access_key)
            .map(|(_, sk)| sk.clone())
    }

    /// Whether `access_key` is locked at `now`.
    pub fn is_locked(&self, access_key: &str, now: i64) -> bool {
        self.aks
            .get(access_key)
            .is_some_and(|s| s.locked_until_ms > now)
    }

    /// Records an authentication failure; the fifth in a row locks the AK.
    pub fn auth_failed(&mut self, access_key: &str, now: i64) {
        let s = self.aks.entry(access_key.to_owned()).or_default();
        s.failures += 1;
        if s.failures >= LOCK_AFTER_FAILURES {
            s.failures = 0;
            s.locked_until_ms = now + LOCK_MS;
            tracing::warn!(
                access_key,
                "access key locked for 5 minutes after repeated signature failures"
            );
        }
    }

    /// Records a successful authentication (resets the failure streak).
    pub fn auth_succeeded(&mut self, access_key: &str) {
        if let Some(s) = self.aks.get_mut(access_key) {
            s.failures = 0;
        }
    }

    /// A cluster of `service` by id.
    pub fn cluster(&self, service: Service, id: &str) -> Option<&Cluster> {
        self.clusters
            .iter()
            .find(|c| c.service == service && c.id == id)
    }

    /// Adds a cluster (control API).
    pub fn add_cluster(
        &mut self,
        service: Service,
        id: Option<String>,
        name: Option<String>,
    ) -> Cluster {
        let id = id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let n = self
            .clusters
            .iter()
            .filter(|c| c.service == service)
            .count()
            + 1;
        let name = name.unwrap_or_else(|| cluster_name(service, &id, n));
        self.clusters.retain(|c| c.id != id);
        let cluster = Cluster { id, name, service };
        self.clusters.push(cluster.clone());
        self.save_or_log();
        cluster
    }

    /// Removes a cluster and its snapshots; false when unknown.
    pub fn remove_cluster(&mut self, id: &str) -> bool {
        let before = self.clusters.len();
        self.clusters.retain(|c| c.id != id);
        if self.clusters.len() == before {
            return false;
        }
        self.snapshots.retain(|s| s.cluster_id != id);
        self.outcomes.remove(id);
        self.save_or_log();
        true
    }

    /// Whether a snapshot of `cluster_id` is in progress at `now`.
    pub fn cluster_busy(&self, cluster_id: &str, now: i64) -> bool {
        self.snapshots
            .iter()
            .any(|s| s.cluster_id == cluster_id && s.status(now).in_progress())
    }

    /// Records a new snapshot (rules already checked) and saves.
    pub fn insert_snapshot(
        &mut self,
        service: Service,
        cluster_id: &str,
        name: String,
        description: String,
        indices: String,
        now: i64,
    ) -> Snapshot {
        let outcome = match self.outcomes.get_mut(cluster_id) {
            Some((status, n)) if *n > 0 => {
                *n -= 1;
                *status
            }
            _ => service.done_status(),
        };
        // create_seconds is clamped to >= 0 and realistic values fit easily in i64 ms.
        #[allow(clippy::cast_possible_truncation)]
        let duration_ms = (self.create_seconds * 1000.0).round() as i64;
        self.push_snapshot(Snapshot {
            id: uuid::Uuid::new_v4().to_string(),
            name,
            description,
            cluster_id: cluster_id.to_owned(),
            service,
            indices,
            started_ms: now,
            ready_ms: now + duration_ms.max(0),
            outcome,
            forced: None,
        })
    }

    /// Stores `snapshot` as it is (no create time, no forced outcome) and
    /// saves the state file.
    pub fn push_snapshot(&mut self, snapshot: Snapshot) -> Snapshot {
        self.snapshots.push(snapshot.clone());
        self.save_or_log();
        snapshot
    }

    /// The names of `cluster_id`'s snapshots, for the create rules.
    pub fn snapshot_names<'a>(&'a self, cluster_id: &'a str) -> impl Iterator<Item = &'a str> {
        self.snapshots
            .iter()
            .filter(move |s| s.cluster_id == cluster_id)
            .map(|s| s.name.as_str())
    }

    /// Deletes a snapshot by id (any service); false when unknown.
    pub fn remove_snapshot(&mut self, id: &str) -> bool {
        let before = self.snapshots.len();
        self.snapshots.retain(|s| s.id != id);
        let removed = self.snapshots.len() != before;
        if removed {
            self.save_or_log();
        }
        removed
    }

    /// Forces a snapshot's status; false when unknown.
    pub fn force_status(&mut self, id: &str, status: SnapshotStatus) -> bool {
        let Some(s) = self.snapshots.iter_mut().find(|s| s.id == id) else {
            return false;
        };
        s.forced = Some(status);
        self.save_or_log();
        true
    }

    /// The next `count` snapshots of the cluster end in `status`.
    pub fn set_outcome(&mut self, cluster_id: &str, status: SnapshotStatus, count: u32) {
        self.outcomes.insert(cluster_id.to_owned(), (status, count));
    }

    /// Installs a fault rule; returns its id.
    pub fn add_fault(&mut self, spec: FaultSpec) -> Result<String, regex::Error> {
        let path = Regex::new(&spec.path)?;
        let id = format!("fault-{}", self.next_fault);
        self.next_fault += 1;
        let remaining = spec.count;
        self.faults.push(FaultRule {
            id: id.clone(),
            path,
            spec,
            remaining,
        });
        Ok(id)
    }

    /// Removes every fault rule.
    pub fn clear_faults(&mut self) {
        self.faults.clear();
    }

    /// The fault (if any) that fires for this request; counts down and expires rules.
    ///
    /// One roll in `[0, 1)` is shared by the matching rules, taken in order:
    /// each rule owns the next `fraction` of the range, so several rules on
    /// the same path fire with their own fractions (which add up) instead of
    /// the first matching rule shadowing the rest.
    pub fn fire_fault(&mut self, method: &str, path: &str) -> Option<FiredFault> {
        let roll = rand::rng().random::<f64>();
        self.fire_fault_with_roll(method, path, roll)
    }

    fn fire_fault_with_roll(&mut self, method: &str, path: &str, roll: f64) -> Option<FiredFault> {
        let mut covered = 0.0;
        let index = self.faults.iter().position(|r| {
            let matches = r.path.is_match(path)
                && r.spec
                    .method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(method));
            if !matches {
                return false;
            }
            covered += r.spec.fraction.unwrap_or(1.0).clamp(0.0, 1.0);
            roll < covered
        })?;
        let rule = &mut self.faults[index];
        let fired = FiredFault {
            kind: rule.spec.kind,
            retry_after: rule.spec.retry_after,
            latency_ms: rule.spec.latency_ms.unwrap_or(1000),
            body: rule.spec.body.clone(),
        };
        if let Some(n) = rule.remaining.as_mut() {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.faults.remove(index);
            }
        }
        Some(fired)
    }

    /// Appends to the request log.
    pub fn log_request(&mut self, mut entry: LogEntry) {
        entry.seq = self.next_seq;
        self.next_seq += 1;
        self.log.push(entry);
    }

    /// The request log.
    pub fn requests(&self) -> &[LogEntry] {
        &self.log
    }

    /// Clears the request log.
    pub fn clear_requests(&mut self) {
        self.log.clear();
    }

    /// Clears snapshots, log, faults, outcomes and AK lockouts; clusters stay.
    pub fn reset(&mut self) {
        self.snapshots.clear();
        self.log.clear();
        self.faults.clear();
        self.outcomes.clear();
        self.aks.clear();
        self.save_or_log();
    }
}

fn load(path: &Path) -> Result<Persisted, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::StateFile {
        path: path.to_owned(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|e| Error::StateFormat {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config {
            create_seconds: 0.0,
            ..Config::default()
        }
    }

    #[test]
    fn state_file_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let cfg = Config {
            state_file: Some(path.clone()),
            ..config()
        };
        let dws = cfg.dws_clusters[0].clone();
        let id = {
            let state = AppState::new(&cfg).unwrap();
            let mut e = state.lock();
            let extra = e.add_cluster(
                Service::Css,
                Some("extra".into()),
                Some("extra-name".into()),
            );
            assert_eq!(extra.name, "extra-name");
            e.insert_snapshot(
                Service::Dws,
                &dws,
                "snap1".into(),
                "d".into(),
                String::new(),
                5,
            )
            .id
        };
        assert!(path.exists());
        assert!(!dir.path().join("state.json.tmp").exists());
        let again = AppState::new(&cfg).unwrap();
        let e = again.lock();
        assert_eq!(e.snapshots.len(), 1);
        assert_eq!(e.snapshots[0].id, id);
        assert_eq!(e.snapshots[0].name, "snap1");
        assert!(
            e.clusters
                .iter()
                .any(|c| c.id == "extra" && c.name == "extra-name")
        );
        assert_eq!(e.clusters.len(), 3);
    }

    #[test]
    fn corrupt_state_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        std::fs::write(&path, b"not json").unwrap();
        let err = AppState::new(&Config {
            state_file: Some(path),
            ..config()
        })
        .err()
        .unwrap();
        assert!(matches!(err, Error::StateFormat { .. }));
    }

    #[test]
    fn five_failures_lock_for_five_minutes() {
        let state = AppState::new(&config()).unwrap();
        let mut e = state.lock();
        for _ in 0..4 {
            e.auth_failed("AK", 0);
        }
        assert!(!e.is_locked("AK", 0));
        e.auth_succeeded("AK");
        for _ in 0..4 {
            e.auth_failed("AK", 0);
        }
        assert!(!e.is_locked("AK", 0), "a success resets the streak");
        e.auth_failed("AK", 0);
        assert!(e.is_locked("AK", 0));
        assert!(e.is_locked("AK", LOCK_MS - 1));
        assert!(!e.is_locked("AK", LOCK_MS));
        e.reset();
        assert!(!e.is_locked("AK", 0));
    }

    #[test]
    fn outcomes_apply_to_the_next_n_snapshots() {
        let state = AppState::new(&config()).unwrap();
        let mut e = state.lock();
        let c = e.clusters[0].id.clone();
        e.set_outcome(&c, SnapshotStatus::Unavailable, 1);
        let a = e.insert_snapshot(
            Service::Dws,
            &c,
            "a".into(),
            String::new(),
            String::new(),
            0,
        );
        let b = e.insert_snapshot(
            Service::Dws,
            &c,
            "b".into(),
            String::new(),
            String::new(),
            0,
        );
        assert_eq!(a.status(0), SnapshotStatus::Unavailable);
        assert_eq!(b.status(0), SnapshotStatus::Available);
    }

    #[test]
    fn faults_match_count_down_and_expire() {
        let state = AppState::new(&config()).unwrap();
        let mut e = state.lock();
        let spec = FaultSpec {
            path: "/snapshots$".into(),
            method: Some("post".into()),
            kind: FaultKind::Throttle,
            fraction: None,
            count: Some(2),
            retry_after: Some(3),
            latency_ms: None,
            body: None,
        };
        e.add_fault(spec.clone()).unwrap();
        assert_eq!(e.fire_fault("GET", "/v1.0/p/snapshots"), None);
        assert_eq!(e.fire_fault("POST", "/v1.0/p/snapshots/x"), None);
        assert_eq!(
            e.fire_fault("POST", "/v1.0/p/snapshots").map(|f| f.kind),
            Some(FaultKind::Throttle)
        );
        assert_eq!(
            e.fire_fault("POST", "/v1.0/p/snapshots")
                .map(|f| f.retry_after),
            Some(Some(3))
        );
        assert_eq!(e.fire_fault("POST", "/v1.0/p/snapshots"), None);
        e.add_fault(FaultSpec {
            fraction: Some(0.0),
            count: None,
            ..spec.clone()
        })
        .unwrap();
        assert_eq!(e.fire_fault("POST", "/v1.0/p/snapshots"), None);
        assert!(
            e.add_fault(FaultSpec {
                path: "(".into(),
                ..spec
            })
            .is_err()
        );
    }

    #[test]
    fn fractions_of_rules_on_one_path_add_up() {
        let state = AppState::new(&config()).unwrap();
        let mut e = state.lock();
        let rule = |kind, fraction| FaultSpec {
            path: ".*".into(),
            method: None,
            kind,
            fraction: Some(fraction),
            count: None,
            retry_after: None,
            latency_ms: None,
            body: None,
        };
        e.add_fault(rule(FaultKind::Throttle, 0.1)).unwrap();
        e.add_fault(rule(FaultKind::Html500, 0.1)).unwrap();
        let kind =
            |e: &mut Emulator, roll| e.fire_fault_with_roll("GET", "/x", roll).map(|f| f.kind);
        assert_eq!(kind(&mut e, 0.05), Some(FaultKind::Throttle));
        // The second rule is not shadowed by the first one's miss.
        assert_eq!(kind(&mut e, 0.15), Some(FaultKind::Html500));
        assert_eq!(kind(&mut e, 0.25), None);
        // Statistically: about 20% of requests fault, half of each kind.
        let fired: Vec<_> = (0..4000)
            .filter_map(|_| e.fire_fault("GET", "/x"))
            .collect();
        assert!((600..1000).contains(&fired.len()), "{}", fired.len());
        let throttled = fired
            .iter()
            .filter(|f| f.kind == FaultKind::Throttle)
            .count();
        assert!((250..550).contains(&throttled), "{throttled}");
    }
}
