//! Cloud Search Service index snapshots: [`Css`] with one async fn per call,
//! the typed [`CssSnapshot`] answer, and [`RestoreCssSnapshot`].
//!
//! CSS has no show-by-id call and its list has no paging or filters: a read
//! is a list of the cluster's snapshots and a search for the id. So lists go
//! through one cache per cluster shared by every clone of the [`Client`]
//! (see [`Fresh`]): concurrent callers join one request, a read reuses a
//! list up to [`crate::Config::list_reuse`] old, a wait can demand a
//! list started after its last look ([`Css::find_snapshot_fresh`]), and this
//! client's own create, delete and restore on a cluster make every earlier
//! list of it unusable — a stale list never proves a snapshot gone or ready.
//!
//! Wire fields (camelCase) as the SDK models them (huaweicloudsdkcss v1,
//! `ListSnapshotsResponse.backups`, items `ListSnapshotBackupsResp`): `id`,
//! `name`, `description`, `created`, `updated`, `datastore{type,version}`,
//! `clusterId`, `clusterName`, `status`, `backupType` (`"0"` automatic,
//! `"1"` manual), `backupMethod`, `backupExpectedStartTime`,
//! `backupKeepDay`, `backupPeriod`, `indices`, `totalShards`,
//! `failedShards`, `version`, `restoreStatus`, `startTime`/`endTime` (epoch
//! ms), `bucketName`. The restore body is `RestoreSnapshotReq` of SDK
//! 3.1.219, in snake_case: `target_cluster`, `indices`, `rename_pattern`,
//! `rename_replacement`, `replace_exist_indices`.

use std::sync::Arc;

use reqwest::Method;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio::time::Instant;

use crate::cache::Fresh;
use crate::client::Client;
use crate::endpoint::Service;
use crate::error::{Error, OpKind, Operation};
use crate::retry::{Created, Existing};
use crate::scope::Scope;
use crate::transport::Call;
use crate::wire::{self, Datastore};

/// What to create.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CreateCssSnapshot {
    pub name: String,
    pub description: Option<String>,
    /// Comma-separated index patterns; `None` means all indices.
    pub indices: Option<String>,
}

/// A restore of an index snapshot into a cluster (the source cluster or
/// another one).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RestoreCssSnapshot {
    /// The cluster the snapshot belongs to.
    pub cluster_id: String,
    pub snapshot_id: String,
    /// The cluster to restore into (`target_cluster`; the source cluster's
    /// ID restores in place).
    pub target_cluster: String,
    /// Comma-separated index patterns to restore; `None` restores all.
    pub indices: Option<String>,
    /// A regex of the index names to rename; needs `rename_replacement`.
    pub rename_pattern: Option<String>,
    /// The new names, e.g. `restored_$1`; needs `rename_pattern`.
    pub rename_replacement: Option<String>,
    /// Overwrite indices of the same name in the target.
    pub replace_exist_indices: Option<bool>,
}

wire::wire_words! {
    /// A CSS snapshot's status.
    pub enum CssStatus {
        Building => "BUILDING",
        Completed => "COMPLETED",
        Failed => "FAILED",
        PartFailed => "PART_FAILED",
    }
}

wire::wire_words! {
    /// Where the last restore of a snapshot stands (`restoreStatus`; the
    /// SDK leaves the words open: read case-insensitively, others kept).
    pub enum CssRestoreStatus {
        None => "NONE",
        Restoring => "RESTORING",
        Success => "SUCCESS",
        Failed => "FAILED",
    }
}

wire::wire_words! {
    /// `backupType`: how the snapshot came to be.
    pub enum CssBackupType {
        Automatic => "0",
        Manual => "1",
    }
}

/// `backupMethod`: `manual` or `auto`, as sent (lower case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CssBackupMethod {
    Manual,
    Auto,
    /// Anything else, as sent.
    Other(String),
}

impl CssBackupMethod {
    /// Reads the wire text (case-insensitive).
    pub fn parse(s: &str) -> Self {
        let s = s.trim();
        if s.eq_ignore_ascii_case("manual") {
            CssBackupMethod::Manual
        } else if s.eq_ignore_ascii_case("auto") {
            CssBackupMethod::Auto
        } else {
            CssBackupMethod::Other(s.to_owned())
        }
    }

    /// The wire text.
    pub fn as_str(&self) -> &str {
        match self {
            CssBackupMethod::Manual => "manual",
            CssBackupMethod::Auto => "auto",
            CssBackupMethod::Other(s) => s,
        }
    }
}

fn de_status<'de, D: serde::Deserializer<'de>>(d: D) -> Result<CssStatus, D::Error> {
    Ok(wire::opt_string(d)?
        .map(|s| CssStatus::parse(&s))
        .unwrap_or_default())
}

fn de_restore<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<CssRestoreStatus>, D::Error> {
    Ok(wire::opt_string(d)?.map(|s| CssRestoreStatus::parse(&s)))
}

fn de_backup_type<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<CssBackupType>, D::Error> {
    Ok(wire::opt_string(d)?.map(|s| CssBackupType::parse(&s)))
}

fn de_backup_method<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<CssBackupMethod>, D::Error> {
    Ok(wire::opt_string(d)?.map(|s| CssBackupMethod::parse(&s)))
}

/// A CSS index snapshot as the cloud lists it (camelCase on the wire; see
/// the module doc for the SDK's field names). Unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CssSnapshot {
    #[serde(deserialize_with = "wire::string")]
    pub id: String,
    #[serde(default, deserialize_with = "wire::string")]
    pub name: String,
    #[serde(default, deserialize_with = "wire::opt_string_keep_empty")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "de_status")]
    pub status: CssStatus,
    #[serde(default, deserialize_with = "de_backup_method")]
    pub backup_method: Option<CssBackupMethod>,
    #[serde(default, deserialize_with = "de_backup_type")]
    pub backup_type: Option<CssBackupType>,
    /// Automatic snapshots: when the policy starts them, as sent.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub backup_expected_start_time: Option<String>,
    /// Automatic snapshots: days kept.
    #[serde(default, deserialize_with = "wire::opt_u64")]
    pub backup_keep_day: Option<u64>,
    /// Automatic snapshots: the daily time, as sent.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub backup_period: Option<String>,
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub indices: Option<String>,
    #[serde(default, deserialize_with = "wire::opt_u64")]
    pub total_shards: Option<u64>,
    #[serde(default, deserialize_with = "wire::opt_u64")]
    pub failed_shards: Option<u64>,
    /// The snapshot's version, as sent.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub version: Option<String>,
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub bucket_name: Option<String>,
    #[serde(default, deserialize_with = "de_restore")]
    pub restore_status: Option<CssRestoreStatus>,
    /// From epoch milliseconds.
    #[serde(default, deserialize_with = "wire::opt_epoch_ms")]
    pub start_time: Option<OffsetDateTime>,
    /// From epoch milliseconds; `None` while building.
    #[serde(default, deserialize_with = "wire::opt_epoch_ms")]
    pub end_time: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "wire::opt_time")]
    pub created: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "wire::opt_time")]
    pub updated: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub cluster_id: Option<String>,
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub cluster_name: Option<String>,
    #[serde(default)]
    pub datastore: Option<Datastore>,
}

#[derive(Deserialize)]
struct ListEnvelope {
    #[serde(default)]
    backups: Option<Vec<CssSnapshot>>,
}

#[derive(Deserialize)]
struct CreatedEnvelope {
    backup: CreatedId,
}

#[derive(Deserialize)]
struct CreatedId {
    #[serde(deserialize_with = "wire::id")]
    id: String,
}

#[derive(Serialize)]
struct CreateBody<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    indices: Option<&'a str>,
}

#[derive(Serialize)]
struct RestoreBody<'a> {
    target_cluster: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    indices: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rename_pattern: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rename_replacement: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    replace_exist_indices: Option<bool>,
}

/// CSS calls, borrowed from a [`Client`]: `client.css().find_snapshot(…)`.
#[derive(Clone, Copy)]
pub struct Css<'a> {
    pub(crate) client: &'a Client,
}

impl Css<'_> {
    /// Creates an index snapshot. Never blindly repeated: a create that may
    /// have worked is resolved by looking the exact name up on the cluster
    /// (in a list started after the failure), and an existing snapshot of
    /// that name with the same description is adopted (`Created { adopted:
    /// true }`). Does not take [`Client::lock_cluster`]; callers hold it.
    /// Whatever the outcome, earlier lists of the cluster are no longer
    /// used.
    pub async fn create_snapshot(
        &self,
        cluster_id: &str,
        req: &CreateCssSnapshot,
        scope: &Scope,
    ) -> Result<Created, Error> {
        let call = Call::project(
            Service::Css,
            Method::POST,
            Operation::new(
                OpKind::Create,
                format!("create CSS snapshot {:?} on cluster {cluster_id}", req.name),
                format!("CSS cluster {cluster_id}"),
            ),
            &["clusters", cluster_id, "index_snapshot"],
        )
        .json(&CreateBody {
            name: &req.name,
            description: req.description.as_deref(),
            indices: req.indices.as_deref().filter(|s| !s.is_empty()),
        })?;
        let lookup = || async {
            let all = self
                .list_snapshots(cluster_id, Fresh::Since(Instant::now()), scope)
                .await?;
            Ok(all.iter().find(|s| s.name == req.name).map(|s| Existing {
                id: s.id.clone(),
                description: s.description.clone(),
            }))
        };
        let id_of = |created: CreatedEnvelope| created.backup.id;
        let out = self
            .client
            .send_create(&call, scope, req.description.as_deref(), id_of, lookup)
            .await;
        self.client.css_lists().invalidate(cluster_id);
        out
    }

    /// A cluster's index snapshots, from the shared list when one is
    /// `fresh` enough (see the module doc), else listed now. A missing
    /// cluster is [`Error::NotFound`].
    pub async fn list_snapshots(
        &self,
        cluster_id: &str,
        fresh: Fresh,
        scope: &Scope,
    ) -> Result<Arc<[CssSnapshot]>, Error> {
        let call = Call::project(
            Service::Css,
            Method::GET,
            Operation::new(
                OpKind::List,
                format!("list CSS snapshots of cluster {cluster_id}"),
                format!("CSS cluster {cluster_id}"),
            ),
            &["clusters", cluster_id, "index_snapshots"],
        );
        let fetch = || async {
            let envelope: ListEnvelope = self.client.send_json(&call, scope).await?;
            Ok(envelope.backups.unwrap_or_default())
        };
        self.client
            .css_lists()
            .get(cluster_id, fresh, scope, &call.op.description, fetch)
            .await
    }

    /// Finds one snapshot by id in a list at most
    /// [`crate::Config::list_reuse`] old; not in the list, or the
    /// cluster gone, is [`Error::NotFound`]. For reads: a refresh of many
    /// snapshots of one cluster costs one list.
    pub async fn find_snapshot(
        &self,
        cluster_id: &str,
        id: &str,
        scope: &Scope,
    ) -> Result<CssSnapshot, Error> {
        let fresh = Fresh::Within(self.client.list_reuse());
        self.find_snapshot_fresh(cluster_id, id, fresh, scope).await
    }

    /// [`Css::find_snapshot`] in a list as `fresh` as the caller demands; a
    /// wait passes `Fresh::Since(its last look)`, so a list from before it
    /// is never taken as proof.
    pub async fn find_snapshot_fresh(
        &self,
        cluster_id: &str,
        id: &str,
        fresh: Fresh,
        scope: &Scope,
    ) -> Result<CssSnapshot, Error> {
        let all = match self.list_snapshots(cluster_id, fresh, scope).await {
            Err(Error::NotFound {
                what,
                code,
                request_id,
            }) => {
                return Err(Error::NotFound {
                    what: format!("CSS snapshot {id} ({what} was not found)"),
                    code,
                    request_id,
                });
            }
            other => other?,
        };
        all.iter()
            .find(|s| s.id == id)
            .cloned()
            .ok_or_else(|| Error::NotFound {
                what: format!("CSS snapshot {id} on cluster {cluster_id}"),
                code: None,
                request_id: None,
            })
    }

    /// Deletes a snapshot; a missing one (or cluster) is [`Error::NotFound`].
    /// A busy cluster is retried until the scope's deadline. Earlier lists
    /// of the cluster are no longer used afterwards.
    pub async fn delete_snapshot(
        &self,
        cluster_id: &str,
        id: &str,
        scope: &Scope,
    ) -> Result<(), Error> {
        let call = Call::project(
            Service::Css,
            Method::DELETE,
            Operation::new(
                OpKind::Delete,
                format!("delete CSS snapshot {id} on cluster {cluster_id}"),
                format!("CSS snapshot {id} on cluster {cluster_id}"),
            ),
            &["clusters", cluster_id, "index_snapshot", id],
        );
        let out = self.client.send(&call, scope).await.map(|_| ());
        self.client.css_lists().invalidate(cluster_id);
        out
    }

    /// Starts restoring a snapshot (`POST …/index_snapshot/{id}/restore`);
    /// progress shows in the snapshot's `restoreStatus` in later lists.
    ///
    /// Never blindly repeated: a refusal that certainly did nothing (busy,
    /// throttled, no connection) is retried; after a lost answer, timeout or
    /// 5xx the restore is not sent again — if a list started after the
    /// failure shows the snapshot restoring, the restore counts as started,
    /// otherwise the call fails with [`Error::OutcomeUnknown`]. Earlier lists
    /// of the source cluster are no longer used afterwards.
    pub async fn restore_snapshot(
        &self,
        req: &RestoreCssSnapshot,
        scope: &Scope,
    ) -> Result<(), Error> {
        let (cluster_id, id) = (req.cluster_id.as_str(), req.snapshot_id.as_str());
        let call = Call::project(
            Service::Css,
            Method::POST,
            Operation::new(
                OpKind::Action,
                format!(
                    "restore CSS snapshot {id} of cluster {cluster_id} into cluster {}",
                    req.target_cluster
                ),
                format!("CSS snapshot {id} on cluster {cluster_id}"),
            ),
            &["clusters", cluster_id, "index_snapshot", id, "restore"],
        )
        .json(&RestoreBody {
            target_cluster: &req.target_cluster,
            indices: req.indices.as_deref().filter(|s| !s.is_empty()),
            rename_pattern: req.rename_pattern.as_deref(),
            rename_replacement: req.rename_replacement.as_deref(),
            replace_exist_indices: req.replace_exist_indices,
        })?;
        let confirm = || async {
            let s = self
                .find_snapshot_fresh(cluster_id, id, Fresh::Since(Instant::now()), scope)
                .await?;
            Ok(s.restore_status == Some(CssRestoreStatus::Restoring))
        };
        let check = format!("the restoreStatus of CSS snapshot {id}");
        let out = self.client.send_once(&call, scope, &check, confirm).await;
        self.client.css_lists().invalidate(cluster_id);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn list_item_decodes_leniently() -> Result<(), serde_json::Error> {
        let s: CssSnapshot = serde_json::from_str(
            r#"{"id":"b-1","name":"snap-1","description":null,"created":"2026-01-02T15:04:05",
                "datastore":{"type":"elasticsearch","version":"7.10.2"},"clusterId":"c-1",
                "clusterName":"es-a","status":"COMPLETED","backupType":"1","backupMethod":"manual",
                "indices":"logs-*","totalShards":"5","failedShards":0,"startTime":1767366245000,
                "endTime":"1767366305000","bucketName":"bkt","restoreStatus":"none","extra":[1,2]}"#,
        )?;
        assert_eq!(s.id, "b-1");
        assert_eq!(s.description, None);
        assert_eq!(s.status, CssStatus::Completed);
        assert_eq!(s.total_shards, Some(5));
        assert_eq!(s.failed_shards, Some(0));
        assert_eq!(s.start_time, Some(datetime!(2026-01-02 15:04:05 UTC)));
        assert_eq!(s.end_time, Some(datetime!(2026-01-02 15:05:05 UTC)));
        assert_eq!(s.created, Some(datetime!(2026-01-02 15:04:05 UTC)));
        assert_eq!(s.cluster_id.as_deref(), Some("c-1"));
        assert_eq!(s.backup_method, Some(CssBackupMethod::Manual));
        assert_eq!(s.backup_type, Some(CssBackupType::Manual));
        assert_eq!(s.restore_status, Some(CssRestoreStatus::None));
        assert_eq!(s.bucket_name.as_deref(), Some("bkt"));
        assert_eq!(
            s.datastore.and_then(|d| d.version).as_deref(),
            Some("7.10.2")
        );
        Ok(())
    }

    #[test]
    fn building_snapshot_has_no_end_time() -> Result<(), serde_json::Error> {
        let s: CssSnapshot = serde_json::from_str(
            r#"{"id":"b-2","status":"PART_FAILED","startTime":1767366245000,"endTime":0}"#,
        )?;
        assert_eq!(s.status, CssStatus::PartFailed);
        assert_eq!(s.end_time, None);
        Ok(())
    }

    #[test]
    fn create_body_omits_empty_fields() -> Result<(), serde_json::Error> {
        let body = serde_json::to_string(&CreateBody {
            name: "snap-1",
            description: Some("d"),
            indices: None,
        })?;
        assert_eq!(body, r#"{"name":"snap-1","description":"d"}"#);
        Ok(())
    }

    #[test]
    fn statuses_round_trip() {
        for status in [
            CssStatus::Building,
            CssStatus::Completed,
            CssStatus::Failed,
            CssStatus::PartFailed,
            CssStatus::Other("WEIRD".to_owned()),
        ] {
            assert_eq!(CssStatus::parse(status.as_str()), status);
        }
    }

    #[test]
    fn automatic_snapshot_fields_decode() -> Result<(), serde_json::Error> {
        let s: CssSnapshot = serde_json::from_str(
            r#"{"id":"b-3","name":"snapshot-auto","status":"COMPLETED","backupType":"0","backupMethod":"auto",
                "backupExpectedStartTime":"00:00 GMT+08:00","backupKeepDay":7,"backupPeriod":"00:00 GMT+08:00",
                "version":"7.10.2","restoreStatus":"restoring"}"#,
        )?;
        assert_eq!(s.backup_type, Some(CssBackupType::Automatic));
        assert_eq!(s.backup_method, Some(CssBackupMethod::Auto));
        assert_eq!(s.backup_keep_day, Some(7));
        assert_eq!(s.backup_period.as_deref(), Some("00:00 GMT+08:00"));
        assert_eq!(s.restore_status, Some(CssRestoreStatus::Restoring));
        assert_eq!(CssBackupMethod::parse("Weekly").as_str(), "Weekly");
        Ok(())
    }

    #[test]
    fn restore_body_is_snake_case_and_omits_unset_fields() -> Result<(), serde_json::Error> {
        let full = serde_json::to_string(&RestoreBody {
            target_cluster: "t-1",
            indices: Some("logs-*"),
            rename_pattern: Some("logs-(.+)"),
            rename_replacement: Some("restored-$1"),
            replace_exist_indices: Some(true),
        })?;
        assert_eq!(
            full,
            r#"{"target_cluster":"t-1","indices":"logs-*","rename_pattern":"logs-(.+)","rename_replacement":"restored-$1","replace_exist_indices":true}"#
        );
        let bare = serde_json::to_string(&RestoreBody {
            target_cluster: "t-1",
            indices: None,
            rename_pattern: None,
            rename_replacement: None,
            replace_exist_indices: None,
        })?;
        assert_eq!(bare, r#"{"target_cluster":"t-1"}"#);
        Ok(())
    }
}
