//! Cloud Search Service index snapshots: [`Css`] with one async fn per call,
//! and the typed [`CssSnapshot`] answer. CSS has no show-by-id call: a read
//! is a list of the cluster's snapshots and a search for the id.

use crate::scope::Scope;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::client::Client;
use crate::endpoint::Service;
use crate::error::{Error, OpKind, Operation};
use crate::retry::{Created, Existing};
use crate::transport::{Call, encode};
use crate::wire;

/// What to create.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CreateCssSnapshot {
    pub name: String,
    pub description: Option<String>,
    /// Comma-separated index patterns; `None` means all indices.
    pub indices: Option<String>,
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

impl CssStatus {
    /// True once the snapshot will not change by itself any more.
    pub fn is_final(&self) -> bool {
        !matches!(self, CssStatus::Building)
    }
}

fn de_status<'de, D: serde::Deserializer<'de>>(d: D) -> Result<CssStatus, D::Error> {
    Ok(wire::opt_string(d)?
        .map(|s| CssStatus::parse(&s))
        .unwrap_or_default())
}

/// A CSS index snapshot as the cloud reports it (camelCase on the wire).
/// Unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Deserialize)]
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
    /// `manual` or `auto`.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub backup_method: Option<String>,
    /// `"0"` automatic, `"1"` manual.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub backup_type: Option<String>,
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub indices: Option<String>,
    #[serde(default, deserialize_with = "wire::opt_u64")]
    pub total_shards: Option<u64>,
    #[serde(default, deserialize_with = "wire::opt_u64")]
    pub failed_shards: Option<u64>,
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub bucket_name: Option<String>,
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub restore_status: Option<String>,
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

/// CSS calls, borrowed from a [`Client`]: `client.css().find_snapshot(…)`.
#[derive(Clone, Copy)]
pub struct Css<'a> {
    pub(crate) client: &'a Client,
}

impl Css<'_> {
    /// Creates an index snapshot. Never blindly repeated: a create that may
    /// have worked is resolved by looking the exact name up on the cluster,
    /// and an existing snapshot of that name with the same description is
    /// adopted (`Created { adopted: true }`). Does not take
    /// [`Client::lock_cluster`]; callers hold it.
    pub async fn create_snapshot(
        &self,
        cluster_id: &str,
        req: &CreateCssSnapshot,
        scope: &Scope,
    ) -> Result<Created, Error> {
        let project = self.client.project_id(scope).await?;
        let op = Operation::new(
            OpKind::Create,
            format!("create CSS snapshot {:?} on cluster {cluster_id}", req.name),
            format!("CSS cluster {cluster_id}"),
        );
        let body = encode(
            &op,
            &CreateBody {
                name: &req.name,
                description: req.description.as_deref(),
                indices: req.indices.as_deref().filter(|s| !s.is_empty()),
            },
        )?;
        let call = Call {
            op: &op,
            method: Method::POST,
            service: Service::Css,
            segments: vec!["v1.0", &project, "clusters", cluster_id, "index_snapshot"],
            query: Vec::new(),
            body: Some(body),
        };
        self.client
            .transport()
            .create(
                &call,
                scope,
                req.description.as_deref(),
                |created: CreatedEnvelope| created.backup.id,
                || async {
                    let all = self.list_snapshots(cluster_id, scope).await?;
                    Ok(all
                        .into_iter()
                        .find(|s| s.name == req.name)
                        .map(|s| Existing {
                            id: s.id,
                            description: s.description,
                        }))
                },
            )
            .await
    }

    /// Lists a cluster's index snapshots; a missing cluster is
    /// [`Error::NotFound`].
    pub async fn list_snapshots(
        &self,
        cluster_id: &str,
        scope: &Scope,
    ) -> Result<Vec<CssSnapshot>, Error> {
        let project = self.client.project_id(scope).await?;
        let op = Operation::new(
            OpKind::List,
            format!("list CSS snapshots of cluster {cluster_id}"),
            format!("CSS cluster {cluster_id}"),
        );
        let call = Call {
            op: &op,
            method: Method::GET,
            service: Service::Css,
            segments: vec!["v1.0", &project, "clusters", cluster_id, "index_snapshots"],
            query: Vec::new(),
            body: None,
        };
        let envelope: ListEnvelope = self.client.transport().execute_json(&call, scope).await?;
        Ok(envelope.backups.unwrap_or_default())
    }

    /// Finds one snapshot by id; not in the list, or the cluster gone, is
    /// [`Error::NotFound`].
    pub async fn find_snapshot(
        &self,
        cluster_id: &str,
        id: &str,
        scope: &Scope,
    ) -> Result<CssSnapshot, Error> {
        let all = match self.list_snapshots(cluster_id, scope).await {
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
        all.into_iter()
            .find(|s| s.id == id)
            .ok_or_else(|| Error::NotFound {
                what: format!("CSS snapshot {id} on cluster {cluster_id}"),
                code: None,
                request_id: None,
            })
    }

    /// Deletes a snapshot; a missing one (or cluster) is [`Error::NotFound`].
    pub async fn delete_snapshot(
        &self,
        cluster_id: &str,
        id: &str,
        scope: &Scope,
    ) -> Result<(), Error> {
        let project = self.client.project_id(scope).await?;
        let op = Operation::new(
            OpKind::Delete,
            format!("delete CSS snapshot {id} on cluster {cluster_id}"),
            format!("CSS snapshot {id} on cluster {cluster_id}"),
        );
        let call = Call {
            op: &op,
            method: Method::DELETE,
            service: Service::Css,
            segments: vec![
                "v1.0",
                &project,
                "clusters",
                cluster_id,
                "index_snapshot",
                id,
            ],
            query: Vec::new(),
            body: None,
        };
        self.client.transport().execute(&call, scope).await?;
        Ok(())
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
        assert_eq!(s.backup_method.as_deref(), Some("manual"));
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
        assert!(!CssStatus::Building.is_final());
    }
}
