//! The emulator's own reading of the wire format (serde structs), written from
//! the API reference, independent of the client crate: DWS ([`DwsSnapshotWire`]),
//! CSS ([`CssBackupWire`], [`CssRestoreRequest`]) and IAM ([`IamProject`]) bodies. Requests ignore
//! unknown fields and take every field as optional so the handlers, not serde,
//! decide which error a missing field gets.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::FormatItem;
use time::macros::format_description;

use crate::model::{Cluster, Snapshot};

const ISO_Z: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
const ISO_PLAIN: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");

/// The Elasticsearch version CSS clusters report.
const CSS_VERSION: &str = "7.10.2";
/// Days the emulated snapshot policy keeps an automatic snapshot.
const AUTO_KEEP_DAYS: i64 = 7;

fn datetime(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// `2026-11-25T12:00:00Z` (DWS style).
pub fn iso_z(ms: i64) -> String {
    datetime(ms).format(ISO_Z).unwrap_or_default()
}

/// `2026-11-25T12:00:00` (CSS style, no zone).
pub fn iso_plain(ms: i64) -> String {
    datetime(ms).format(ISO_PLAIN).unwrap_or_default()
}

/// `POST /v1.0/{project_id}/snapshots` body.
#[derive(Debug, Deserialize)]
pub struct DwsCreateRequest {
    /// The snapshot to make.
    pub snapshot: Option<DwsCreateSnapshot>,
}

/// The `snapshot` object of a DWS create.
#[derive(Debug, Deserialize)]
pub struct DwsCreateSnapshot {
    /// Snapshot name.
    pub name: Option<String>,
    /// Cluster to snapshot.
    pub cluster_id: Option<String>,
    /// Optional description.
    pub description: Option<String>,
}

/// DWS create answer: `{"snapshot":{"id"}}`.
#[derive(Debug, Serialize)]
pub struct DwsCreateResponse {
    /// The new snapshot.
    pub snapshot: DwsSnapshotId,
}

/// `{"id"}`.
#[derive(Debug, Serialize)]
pub struct DwsSnapshotId {
    /// Snapshot id.
    pub id: String,
}

/// The `datastore` object.
#[derive(Debug, Clone, Serialize)]
pub struct Datastore {
    /// Engine type.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Engine version.
    pub version: &'static str,
}

/// A DWS snapshot as shown and listed.
#[derive(Debug, Clone, Serialize)]
pub struct DwsSnapshotWire {
    /// Snapshot id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Start time, `2026-11-25T12:00:00Z`.
    pub started: String,
    /// End time, null while creating.
    pub finished: Option<String>,
    /// Size in GB.
    pub size: f64,
    /// `CREATING`, `AVAILABLE`, …
    pub status: &'static str,
    /// `MANUAL`, `AUTO` or `AUTOMATED`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Owning cluster.
    pub cluster_id: String,
    /// Owning cluster's name.
    pub cluster_name: String,
    /// Last update time.
    pub updated: String,
    /// Percentage string, e.g. `100%`.
    pub progress: String,
    /// Engine.
    pub datastore: Datastore,
    /// Backup device.
    pub backup_device: &'static str,
    /// `cluster` (the only level the emulator makes).
    pub backup_level: &'static str,
    /// Automatic only: when the policy's window starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bak_expected_start_time: Option<String>,
    /// Automatic only: days an automatic snapshot is kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bak_keep_day: Option<i64>,
    /// Automatic only: the policy's period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bak_period: Option<&'static str>,
}

impl DwsSnapshotWire {
    /// Renders `snap` (of `cluster`) at `now_ms`.
    pub fn new(snap: &Snapshot, cluster_name: &str, now_ms: i64) -> Self {
        let automatic = snap.kind.is_automatic();
        let status = snap.status(now_ms);
        let finished = snap.finished_ms(now_ms);
        DwsSnapshotWire {
            id: snap.id.clone(),
            name: snap.name.clone(),
            description: snap.description.clone(),
            started: iso_z(snap.started_ms),
            finished: finished.map(iso_z),
            size: if finished.is_some() { 0.25 } else { 0.0 },
            status: status.as_str(),
            kind: snap.kind.dws_str(),
            cluster_id: snap.cluster_id.clone(),
            cluster_name: cluster_name.to_owned(),
            updated: iso_z(finished.unwrap_or(snap.started_ms)),
            progress: format!("{}%", snap.progress(now_ms)),
            datastore: Datastore {
                kind: "dws",
                version: "8.1.3",
            },
            backup_device: "OBS",
            backup_level: "cluster",
            bak_expected_start_time: automatic.then(|| iso_z(snap.started_ms)),
            bak_keep_day: automatic.then_some(AUTO_KEEP_DAYS),
            bak_period: automatic.then_some("1d"),
        }
    }
}

/// `{"snapshot":{…}}` (DWS show).
#[derive(Debug, Serialize)]
pub struct DwsShowResponse {
    /// The snapshot.
    pub snapshot: DwsSnapshotWire,
}

/// `{"snapshots":[…],"count":N}` (DWS list all).
#[derive(Debug, Serialize)]
pub struct DwsListResponse {
    /// Snapshots.
    pub snapshots: Vec<DwsSnapshotWire>,
    /// Total count.
    pub count: usize,
}

/// DWS list of one cluster's snapshots.
#[derive(Debug, Serialize)]
pub struct DwsClusterListResponse {
    /// One page of snapshots.
    pub snapshots: Vec<DwsSnapshotWire>,
    /// Project id.
    pub project_id: String,
    /// Cluster id.
    pub cluster_id: String,
    /// Total count before paging.
    pub count: usize,
}

/// Query of the per-cluster DWS list, as raw text (the handler decides which
/// values are invalid).
#[derive(Debug, Default, Deserialize)]
pub struct DwsListQuery {
    /// Page size, > 0.
    pub limit: Option<String>,
    /// Page number minus 1 (or items to skip, see [`crate::state::OffsetMode`]).
    pub offset: Option<String>,
    /// `started` (or `startTime`), `finished`, `name`, `size`, `status`, `clusterName`.
    pub sort_key: Option<String>,
    /// `asc` or `desc` in any case (default `desc`).
    pub sort_dir: Option<String>,
}

/// CSS create body.
#[derive(Debug, Deserialize)]
pub struct CssCreateRequest {
    /// Snapshot name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Comma-separated index patterns; empty means all.
    pub indices: Option<String>,
}

/// CSS create answer: `{"backup":{"id","name"}}`.
#[derive(Debug, Serialize)]
pub struct CssCreateResponse {
    /// The new backup.
    pub backup: CssBackupRef,
}

/// `{"id","name"}`.
#[derive(Debug, Serialize)]
pub struct CssBackupRef {
    /// Snapshot id.
    pub id: String,
    /// Snapshot name.
    pub name: String,
}

/// A CSS snapshot as listed (camelCase).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CssBackupWire {
    /// Snapshot id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Creation time, `2026-11-25T12:00:00`.
    pub created: String,
    /// Update time.
    pub updated: String,
    /// Engine.
    pub datastore: Datastore,
    /// Owning cluster.
    pub cluster_id: String,
    /// Owning cluster's name.
    pub cluster_name: String,
    /// `BUILDING`, `COMPLETED`, `FAILED`, `PART_FAILED`.
    pub status: &'static str,
    /// `"0"` automatic, `"1"` manual.
    pub backup_type: &'static str,
    /// `auto` or `manual`.
    pub backup_method: &'static str,
    /// Automatic only: how often the policy runs (`DAY`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup_frequency: Option<&'static str>,
    /// Automatic only: the policy's daily start time (older API pages).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup_period: Option<&'static str>,
    /// Automatic only: days an automatic snapshot is kept (older API pages).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup_keep_day: Option<i64>,
    /// Automatic only: when the snapshot was due (older API pages).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup_expected_start_time: Option<String>,
    /// Indices covered; `*` when all.
    pub indices: String,
    /// Shard total.
    pub total_shards: i64,
    /// Failed shards.
    pub failed_shards: i64,
    /// `none`, `restoring`, `success` or `failed`.
    pub restore_status: &'static str,
    /// Start, epoch ms.
    pub start_time: i64,
    /// End, epoch ms, null while building.
    pub end_time: Option<i64>,
    /// OBS bucket.
    pub bucket_name: String,
    /// Engine version the snapshot was taken with.
    pub version: &'static str,
}

impl CssBackupWire {
    /// Renders `snap` at `now_ms`.
    pub fn new(snap: &Snapshot, cluster: &Cluster, now_ms: i64) -> Self {
        let finished = snap.finished_ms(now_ms);
        let automatic = snap.kind.is_automatic();
        CssBackupWire {
            id: snap.id.clone(),
            name: snap.name.clone(),
            description: snap.description.clone(),
            created: iso_plain(snap.started_ms),
            updated: iso_plain(finished.unwrap_or(snap.started_ms)),
            datastore: Datastore {
                kind: "elasticsearch",
                version: CSS_VERSION,
            },
            cluster_id: snap.cluster_id.clone(),
            cluster_name: cluster.name.clone(),
            status: snap.status(now_ms).as_str(),
            backup_type: if automatic { "0" } else { "1" },
            backup_method: if automatic { "auto" } else { "manual" },
            backup_frequency: automatic.then_some("DAY"),
            backup_period: automatic.then_some("00:00 GMT+08:00"),
            backup_keep_day: automatic.then_some(AUTO_KEEP_DAYS),
            backup_expected_start_time: automatic.then(|| iso_plain(snap.started_ms)),
            indices: snap.reported_indices().to_owned(),
            total_shards: snap.total_shards(),
            failed_shards: snap.failed_shards(now_ms),
            restore_status: snap.restore_status(now_ms).as_str(),
            start_time: snap.started_ms,
            end_time: finished,
            bucket_name: format!(
                "css-backup-{}",
                cluster.id.split('-').next().unwrap_or("bucket")
            ),
            version: CSS_VERSION,
        }
    }
}

/// `POST …/index_snapshot/{snapshot_id}/restore` body. SDK 3.1.219 sends
/// snake_case; older SDKs and providers sent camelCase, accepted too.
#[derive(Debug, Deserialize)]
pub struct CssRestoreRequest {
    /// Cluster to restore into.
    #[serde(alias = "targetCluster")]
    pub target_cluster: Option<String>,
    /// Comma-separated index patterns; empty means all.
    pub indices: Option<String>,
    /// Regex of the indices to rename.
    #[serde(alias = "renamePattern")]
    pub rename_pattern: Option<String>,
    /// Replacement of the renamed indices, e.g. `restored_$1`.
    #[serde(alias = "renameReplacement")]
    pub rename_replacement: Option<String>,
    /// Replace indices that exist in the target.
    #[serde(alias = "replaceExistIndices")]
    pub replace_exist_indices: Option<bool>,
}

/// `{"backups":[…]}`.
#[derive(Debug, Serialize)]
pub struct CssListResponse {
    /// Snapshots of the cluster.
    pub backups: Vec<CssBackupWire>,
}

/// `GET /v3/projects` query.
#[derive(Debug, Default, Deserialize)]
pub struct IamProjectsQuery {
    /// Project (region) name filter.
    pub name: Option<String>,
}

/// `{"projects":[…],"links":{…}}`.
#[derive(Debug, Serialize)]
pub struct IamProjectsResponse {
    /// Matching projects.
    pub projects: Vec<IamProject>,
    /// Paging links.
    pub links: IamLinks,
}

/// One IAM project.
#[derive(Debug, Serialize)]
pub struct IamProject {
    /// Project id.
    pub id: String,
    /// Project name (the region).
    pub name: String,
    /// Account id.
    pub domain_id: String,
    /// Always true.
    pub enabled: bool,
    /// Empty.
    pub description: String,
    /// Always false.
    pub is_domain: bool,
    /// The domain id.
    pub parent_id: String,
    /// `{"self"}`.
    pub links: IamLinks,
}

/// `{"self","previous","next"}`.
#[derive(Debug, Serialize)]
pub struct IamLinks {
    /// Link to this object or page.
    #[serde(rename = "self")]
    pub self_link: String,
    /// Previous page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    /// Next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Service, SnapshotStatus, SnapshotType};

    #[test]
    fn time_formats() {
        assert_eq!(iso_z(1_795_608_000_000), "2026-11-25T12:00:00Z");
        assert_eq!(iso_plain(1_795_608_000_000), "2026-11-25T12:00:00");
    }

    #[test]
    fn css_wire_is_camel_case() {
        let cluster = Cluster {
            id: "ea244205-d641".into(),
            name: "css-1".into(),
            service: Service::Css,
        };
        let snap = Snapshot {
            id: "s".into(),
            name: "snap".into(),
            description: String::new(),
            cluster_id: cluster.id.clone(),
            service: Service::Css,
            indices: String::new(),
            started_ms: 1_000,
            ready_ms: 2_000,
            outcome: SnapshotStatus::Completed,
            forced: None,
            kind: SnapshotType::Manual,
            restore: None,
        };
        let v = serde_json::to_value(CssBackupWire::new(&snap, &cluster, 5_000)).unwrap();
        assert_eq!(v["clusterId"], "ea244205-d641");
        assert_eq!(v["backupType"], "1");
        assert_eq!(v["status"], "COMPLETED");
        assert_eq!(v["startTime"], 1_000);
        assert_eq!(v["endTime"], 2_000);
        assert_eq!(v["bucketName"], "css-backup-ea244205");
        assert_eq!(v["indices"], "*");
        assert_eq!(v["restoreStatus"], "none");
        assert_eq!(v["backupMethod"], "manual");
        assert!(
            v.get("backupFrequency").is_none(),
            "manual: no policy fields"
        );
        let building = serde_json::to_value(CssBackupWire::new(&snap, &cluster, 1_500)).unwrap();
        assert_eq!(building["status"], "BUILDING");
        assert!(building["endTime"].is_null());
        let auto = Snapshot {
            kind: SnapshotType::Auto,
            ..snap
        };
        let v = serde_json::to_value(CssBackupWire::new(&auto, &cluster, 5_000)).unwrap();
        assert_eq!(
            (v["backupType"].as_str(), v["backupMethod"].as_str()),
            (Some("0"), Some("auto"))
        );
        assert_eq!(v["backupFrequency"], "DAY");
        assert_eq!(v["backupKeepDay"], 7);
    }

    #[test]
    fn dws_wire_spells_the_type() {
        let snap = Snapshot {
            id: "s".into(),
            name: "nightly".into(),
            description: String::new(),
            cluster_id: "c".into(),
            service: Service::Dws,
            indices: String::new(),
            started_ms: 1_795_608_000_000,
            ready_ms: 1_795_608_060_000,
            outcome: SnapshotStatus::Available,
            forced: None,
            kind: SnapshotType::Automated,
            restore: None,
        };
        let v =
            serde_json::to_value(DwsSnapshotWire::new(&snap, "dws-1", 1_795_608_100_000)).unwrap();
        assert_eq!(v["type"], "AUTOMATED");
        assert_eq!(v["bak_expected_start_time"], "2026-11-25T12:00:00Z");
        assert_eq!(v["bak_keep_day"], 7);
        let manual = Snapshot {
            kind: SnapshotType::Manual,
            ..snap
        };
        let v = serde_json::to_value(DwsSnapshotWire::new(&manual, "dws-1", 0)).unwrap();
        assert_eq!(v["type"], "MANUAL");
        assert!(v.get("bak_keep_day").is_none());
    }

    #[test]
    fn restore_body_takes_snake_and_camel_case() {
        let snake: CssRestoreRequest = serde_json::from_str(
            r#"{"target_cluster":"t","rename_pattern":"p","rename_replacement":"r","replace_exist_indices":true}"#,
        )
        .unwrap();
        let camel: CssRestoreRequest = serde_json::from_str(
            r#"{"targetCluster":"t","renamePattern":"p","renameReplacement":"r","indices":"a"}"#,
        )
        .unwrap();
        assert_eq!(snake.target_cluster.as_deref(), Some("t"));
        assert_eq!(snake.replace_exist_indices, Some(true));
        assert_eq!(camel.target_cluster.as_deref(), Some("t"));
        assert_eq!(camel.rename_replacement.as_deref(), Some("r"));
        assert_eq!(camel.indices.as_deref(), Some("a"));
    }
}
