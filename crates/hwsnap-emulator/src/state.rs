//! [`AppState`]: the one [`Emulator`] struct behind a mutex that every handler
//! shares — clusters, snapshots, settings, the request log, fault rules,
//! forced outcomes and per-AK authentication failures. Clusters and snapshots
//! are written to the state file after every change, through a temporary
//! file created exclusively (never through a planted symlink), then renamed.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::config::Config;
use crate::fault::{FaultError, FaultKind, FaultSpec, Faults, FiredFault};
use crate::model::{
    Cluster, Restore, RestoreStatus, Service, Snapshot, SnapshotStatus, SnapshotType,
};

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

/// How the per-cluster DWS list reads `offset`. The SDK 3.1.219 and the
/// current API pages say "page number minus 1" (the default); an older API
/// page said "the sequence number of the record the query starts from".
/// Settable (`POST /_emulator/settings {"dws_offset"}`) so a client can be
/// checked against either reading.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OffsetMode {
    /// `offset` is a page index: skip `offset * limit` snapshots.
    #[default]
    Page,
    /// `offset` counts snapshots to skip.
    Item,
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
    /// Status answered; for a connection closed or left hanging, the status
    /// the operation produced (`drop_after`, `hang_after`) or 0 when it was
    /// not performed (`drop_before`, `hang_before`).
    pub status: u16,
    /// `dws`, `css` or `iam`.
    pub service: &'static str,
    /// The cloud operation, e.g. `css.list_snapshots` (see
    /// [`crate::edge::operation_of`]); null for a path no route serves.
    pub operation: Option<&'static str>,
    /// The route template, e.g. `/v1.0/{project_id}/clusters/{cluster_id}/index_snapshots`.
    pub route: Option<String>,
    /// The cluster id in the path, when there is one.
    pub cluster_id: Option<String>,
    /// The fault kind applied, if any.
    pub fault: Option<FaultKind>,
}

/// Which log entries `GET /_emulator/requests` answers; every given field
/// must match.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestFilter {
    /// e.g. `css.list_snapshots`.
    pub operation: Option<String>,
    /// Cluster id in the path.
    pub cluster_id: Option<String>,
    /// HTTP method, any case.
    pub method: Option<String>,
    /// `dws`, `css` or `iam`.
    pub service: Option<String>,
}

impl RequestFilter {
    fn matches(&self, e: &LogEntry) -> bool {
        self.operation
            .as_deref()
            .is_none_or(|o| e.operation == Some(o))
            && self
                .cluster_id
                .as_deref()
                .is_none_or(|c| e.cluster_id.as_deref() == Some(c))
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(&e.method))
            && self.service.as_deref().is_none_or(|s| s == e.service)
    }
}

/// What a restore request asks for (rules already checked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreRequest {
    /// Cluster to restore into.
    pub target_cluster: String,
    /// Indices (empty means all).
    pub indices: String,
    /// `rename_pattern`.
    pub rename_pattern: Option<String>,
    /// `rename_replacement`.
    pub rename_replacement: Option<String>,
    /// `replace_exist_indices`.
    pub replace_exist_indices: bool,
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
    /// Seconds a new snapshot (or restore) stays CREATING/BUILDING (restoring).
    pub create_seconds: f64,
    /// How the per-cluster DWS list reads `offset`.
    pub dws_offset: OffsetMode,
    /// All clusters.
    pub clusters: Vec<Cluster>,
    /// All snapshots, in creation order.
    pub snapshots: Vec<Snapshot>,
    outcomes: HashMap<String, (SnapshotStatus, u32)>,
    restore_outcomes: HashMap<String, (RestoreStatus, u32)>,
    log: Vec<LogEntry>,
    next_seq: u64,
    faults: Faults,
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
            dws_offset: OffsetMode::default(),
            clusters: Vec::new(),
            snapshots: Vec::new(),
            outcomes: HashMap::new(),
            restore_outcomes: HashMap::new(),
            log: Vec::new(),
            next_seq: 1,
            faults: Faults::default(),
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

    /// Writes clusters and snapshots to the state file, if any, through
    /// [`write_replacing`].
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
        write_replacing(path, &bytes, temp_names(path)).map_err(|source| Error::StateFile {
            path: path.clone(),
            source,
        })
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

    /// Whether a snapshot of `cluster_id`, or a restore into it, is in
    /// progress at `now`.
    pub fn cluster_busy(&self, cluster_id: &str, now: i64) -> bool {
        self.snapshots.iter().any(|s| {
            (s.cluster_id == cluster_id && s.status(now).in_progress())
                || s.restore.as_ref().is_some_and(|r| {
                    r.target_cluster == cluster_id && r.status(now) == RestoreStatus::Restoring
                })
        })
    }

    /// Milliseconds a create or restore accepted now takes.
    fn duration_ms(&self) -> i64 {
        // create_seconds is clamped to >= 0 and realistic values fit easily in i64 ms.
        #[allow(clippy::cast_possible_truncation)]
        let ms = (self.create_seconds * 1000.0).round() as i64;
        ms.max(0)
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
        let duration_ms = self.duration_ms();
        self.push_snapshot(Snapshot {
            id: uuid::Uuid::new_v4().to_string(),
            name,
            description,
            cluster_id: cluster_id.to_owned(),
            service,
            indices,
            started_ms: now,
            ready_ms: now + duration_ms,
            outcome,
            forced: None,
            kind: SnapshotType::Manual,
            restore: None,
        })
    }

    /// Starts a restore of snapshot `id` (rules already checked): it reports
    /// `restoring` for the create time, then the cluster's forced restore
    /// outcome if one is pending (see [`Emulator::set_restore_outcome`]),
    /// else `success`. False when the snapshot is unknown.
    pub fn start_restore(&mut self, id: &str, request: RestoreRequest, now: i64) -> bool {
        let duration_ms = self.duration_ms();
        let Some(index) = self.snapshots.iter().position(|s| s.id == id) else {
            return false;
        };
        let outcome = match self
            .restore_outcomes
            .get_mut(&self.snapshots[index].cluster_id)
        {
            Some((status, n)) if *n > 0 => {
                *n -= 1;
                *status
            }
            _ => RestoreStatus::Success,
        };
        self.snapshots[index].restore = Some(Restore {
            target_cluster: request.target_cluster,
            indices: request.indices,
            rename_pattern: request.rename_pattern,
            rename_replacement: request.rename_replacement,
            replace_exist_indices: request.replace_exist_indices,
            started_ms: now,
            ready_ms: now + duration_ms,
            outcome,
        });
        self.save_or_log();
        true
    }

    /// The next `count` restores of snapshots of `cluster_id` end in `status`.
    pub fn set_restore_outcome(&mut self, cluster_id: &str, status: RestoreStatus, count: u32) {
        self.restore_outcomes
            .insert(cluster_id.to_owned(), (status, count));
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
    pub fn add_fault(&mut self, spec: FaultSpec) -> Result<String, FaultError> {
        self.faults.add(spec)
    }

    /// Removes every fault rule.
    pub fn clear_faults(&mut self) {
        self.faults.clear();
    }

    /// The fault (if any) that fires for this request (see [`Faults::fire`]).
    pub fn fire_fault(&mut self, method: &str, path: &str) -> Option<FiredFault> {
        self.faults.fire(method, path)
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

    /// The log entries `filter` matches, in order.
    pub fn requests_matching(&self, filter: &RequestFilter) -> Vec<LogEntry> {
        self.log
            .iter()
            .filter(|e| filter.matches(e))
            .cloned()
            .collect()
    }

    /// Clears the request log.
    pub fn clear_requests(&mut self) {
        self.log.clear();
    }

    /// Clears snapshots, log, faults, outcomes (of snapshots and restores)
    /// and AK lockouts; clusters and settings stay.
    pub fn reset(&mut self) {
        self.snapshots.clear();
        self.log.clear();
        self.faults.clear();
        self.outcomes.clear();
        self.restore_outcomes.clear();
        self.aks.clear();
        self.save_or_log();
    }
}

/// Candidate names for the temporary file beside `path`:
/// `.NAME.<random>.tmp` in the same directory (so the rename stays on one
/// file system), never a name an attacker could guess in advance.
fn temp_names(path: &Path) -> impl Iterator<Item = PathBuf> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state".to_owned());
    (0..16).map(move |_| dir.join(format!(".{name}.{:016x}.tmp", rand::random::<u64>())))
}

/// Replaces `path` with `bytes`: writes a temporary file created with
/// `create_new` (`O_CREAT|O_EXCL`: it fails when anything, a symlink
/// included, already has the name, and never follows one), mode 0600 on
/// unix, syncs it, then renames it over `path` (a rename replaces a symlink
/// at `path` itself rather than writing through it). Names already taken are
/// skipped; the temporary file is removed when anything fails.
pub fn write_replacing(
    path: &Path,
    bytes: &[u8],
    candidates: impl IntoIterator<Item = PathBuf>,
) -> io::Result<()> {
    for tmp in candidates {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = match options.open(&tmp) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        };
        let written = file
            .write_all(bytes)
            .and_then(|()| file.sync_all())
            .and_then(|()| std::fs::rename(&tmp, path));
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        return written;
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "no free name for the temporary state file",
    ))
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
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n != "state.json")
            .collect();
        assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
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

    #[cfg(unix)]
    #[test]
    fn state_file_is_never_written_through_a_planted_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"precious").unwrap();
        // An attacker who guessed the first temporary name planted a symlink there.
        let planted = dir.path().join(".state.json.planted.tmp");
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        let second = dir.path().join(".state.json.second.tmp");
        write_replacing(&path, b"{}", [planted.clone(), second.clone()]).unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        assert_eq!(std::fs::read(&path).unwrap(), b"{}");
        assert!(!second.exists(), "the temporary file was renamed away");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // Only taken names: an error, and the victim still untouched.
        let err = write_replacing(&path, b"[]", [planted]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        // A symlink at the state file itself is replaced, not written through.
        std::fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        write_replacing(&path, b"{}", temp_names(&path)).unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        assert!(!std::fs::symlink_metadata(&path).unwrap().is_symlink());
        // The random names differ and stay in the state file's directory.
        let names: Vec<_> = temp_names(&path).take(2).collect();
        assert_ne!(names[0], names[1]);
        assert!(names.iter().all(|n| n.parent() == Some(dir.path())));
    }

    #[test]
    fn restores_report_restoring_then_the_forced_outcome_once() {
        let state = AppState::new(&Config {
            create_seconds: 10.0,
            ..config()
        })
        .unwrap();
        let mut e = state.lock();
        let css = e
            .clusters
            .iter()
            .find(|c| c.service == Service::Css)
            .unwrap()
            .id
            .clone();
        let a = e.insert_snapshot(
            Service::Css,
            &css,
            "a".into(),
            String::new(),
            String::new(),
            0,
        );
        let req = RestoreRequest {
            target_cluster: css.clone(),
            indices: String::new(),
            rename_pattern: None,
            rename_replacement: None,
            replace_exist_indices: false,
        };
        e.set_restore_outcome(&css, RestoreStatus::Failed, 1);
        assert!(e.start_restore(&a.id, req.clone(), 20_000));
        let s = e.snapshots[0].clone();
        assert_eq!(s.restore_status(25_000), RestoreStatus::Restoring);
        assert!(
            e.cluster_busy(&css, 25_000),
            "the target is busy while restoring"
        );
        assert_eq!(s.restore_status(30_000), RestoreStatus::Failed);
        assert!(!e.cluster_busy(&css, 30_000));
        assert!(e.start_restore(&a.id, req.clone(), 40_000));
        assert_eq!(
            e.snapshots[0].restore_status(50_000),
            RestoreStatus::Success,
            "the forced outcome was used up"
        );
        assert!(!e.start_restore("nope", req, 0));
    }

    #[test]
    fn request_filters_match_every_given_field() {
        let state = AppState::new(&config()).unwrap();
        let mut e = state.lock();
        for (method, op, cluster) in [
            ("GET", Some("css.list_snapshots"), Some("c1")),
            ("GET", Some("css.list_snapshots"), Some("c2")),
            ("POST", Some("css.create_snapshot"), Some("c1")),
            ("GET", None, None),
        ] {
            e.log_request(LogEntry {
                seq: 0,
                method: method.into(),
                path: "/p".into(),
                query: String::new(),
                status: 200,
                service: "css",
                operation: op,
                route: None,
                cluster_id: cluster.map(str::to_owned),
                fault: None,
            });
        }
        let count = |f: RequestFilter| e.requests_matching(&f).len();
        assert_eq!(count(RequestFilter::default()), 4);
        assert_eq!(
            count(RequestFilter {
                operation: Some("css.list_snapshots".into()),
                ..RequestFilter::default()
            }),
            2
        );
        assert_eq!(
            count(RequestFilter {
                operation: Some("css.list_snapshots".into()),
                cluster_id: Some("c1".into()),
                ..RequestFilter::default()
            }),
            1
        );
        assert_eq!(
            count(RequestFilter {
                method: Some("post".into()),
                ..RequestFilter::default()
            }),
            1
        );
        assert_eq!(
            e.requests_matching(&RequestFilter::default())
                .iter()
                .map(|e| e.seq)
                .collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
    }
}
