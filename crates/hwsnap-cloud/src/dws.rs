//! GaussDB(DWS) cluster snapshots: [`Dws`] with one async fn per call, and
//! the typed [`DwsSnapshot`] answer.

use std::collections::HashSet;

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

/// Page size used when listing one cluster's snapshots.
const PAGE_SIZE: usize = 100;
/// Safety stop for pagination against a server that ignores `offset`.
const MAX_PAGES: usize = 1000;

/// What to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateDwsSnapshot {
    pub name: String,
    pub cluster_id: String,
    pub description: Option<String>,
}

wire::wire_words! {
    /// A DWS snapshot's status.
    pub enum DwsStatus {
        Creating => "CREATING",
        Available => "AVAILABLE",
        Unavailable => "UNAVAILABLE",
        Frozen => "FROZEN",
        PoliceFrozen => "POLICE_FROZEN",
    }
}

impl DwsStatus {
    /// True once the snapshot will not change by itself any more.
    pub fn is_final(&self) -> bool {
        !matches!(self, DwsStatus::Creating)
    }
}

wire::wire_words! {
    /// `MANUAL` or `AUTOMATED` (`AUTO` is read as automated).
    pub enum DwsSnapshotType {
        Manual => "MANUAL",
        Automated => "AUTOMATED" | "AUTO",
    }
}

fn de_status<'de, D: serde::Deserializer<'de>>(d: D) -> Result<DwsStatus, D::Error> {
    Ok(wire::opt_string(d)?
        .map(|s| DwsStatus::parse(&s))
        .unwrap_or_default())
}

fn de_type<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<DwsSnapshotType>, D::Error> {
    Ok(wire::opt_string(d)?.map(|s| DwsSnapshotType::parse(&s)))
}

/// The engine a snapshot belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct Datastore {
    #[serde(default, rename = "type", deserialize_with = "wire::opt_string")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub version: Option<String>,
}

/// A DWS snapshot as the cloud reports it. Unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DwsSnapshot {
    #[serde(deserialize_with = "wire::string")]
    pub id: String,
    #[serde(default, deserialize_with = "wire::string")]
    pub name: String,
    #[serde(default, deserialize_with = "wire::opt_string_keep_empty")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "de_status")]
    pub status: DwsStatus,
    #[serde(default, rename = "type", deserialize_with = "de_type")]
    pub snapshot_type: Option<DwsSnapshotType>,
    /// Size in GB.
    #[serde(default, deserialize_with = "wire::opt_f64")]
    pub size: Option<f64>,
    #[serde(default, deserialize_with = "wire::opt_time")]
    pub started: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "wire::opt_time")]
    pub finished: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "wire::opt_time")]
    pub updated: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub cluster_id: Option<String>,
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub cluster_name: Option<String>,
    /// Progress as sent (e.g. `"50%"`).
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub progress: Option<String>,
    #[serde(default)]
    pub datastore: Option<Datastore>,
}

#[derive(Deserialize)]
struct SnapshotEnvelope {
    snapshot: DwsSnapshot,
}

#[derive(Deserialize)]
struct ListEnvelope {
    #[serde(default)]
    snapshots: Option<Vec<DwsSnapshot>>,
    #[serde(default, deserialize_with = "wire::opt_u64")]
    count: Option<u64>,
}

#[derive(Deserialize)]
struct CreatedEnvelope {
    snapshot: CreatedId,
}

#[derive(Deserialize)]
struct CreatedId {
    #[serde(deserialize_with = "wire::id")]
    id: String,
}

#[derive(Serialize)]
struct CreateBody<'a> {
    snapshot: CreateSnapshotBody<'a>,
}

#[derive(Serialize)]
struct CreateSnapshotBody<'a> {
    name: &'a str,
    cluster_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
}

/// DWS calls, borrowed from a [`Client`]: `client.dws().show_snapshot(…)`.
#[derive(Clone, Copy)]
pub struct Dws<'a> {
    pub(crate) client: &'a Client,
}

impl Dws<'_> {
    /// Creates a snapshot. Never blindly repeated: a create that may have
    /// worked is resolved by looking the name up on the cluster (names are
    /// compared case-insensitively), and an existing snapshot of that name
    /// with the same description is adopted (`Created { adopted: true }`).
    /// Does not take [`Client::lock_cluster`]; callers hold it.
    pub async fn create_snapshot(
        &self,
        req: &CreateDwsSnapshot,
        scope: &Scope,
    ) -> Result<Created, Error> {
        let project = self.client.project_id(scope).await?;
        let op = Operation::new(
            OpKind::Create,
            format!(
                "create DWS snapshot {:?} on cluster {}",
                req.name, req.cluster_id
            ),
            format!("DWS cluster {}", req.cluster_id),
        );
        let body = encode(
            &op,
            &CreateBody {
                snapshot: CreateSnapshotBody {
                    name: &req.name,
                    cluster_id: &req.cluster_id,
                    description: req.description.as_deref(),
                },
            },
        )?;
        let call = Call {
            op: &op,
            method: Method::POST,
            service: Service::Dws,
            segments: vec!["v1.0", &project, "snapshots"],
            query: Vec::new(),
            body: Some(body),
        };
        self.client
            .transport()
            .create(
                &call,
                scope,
                req.description.as_deref(),
                |created: CreatedEnvelope| created.snapshot.id,
                || async {
                    let all = self.list_cluster_snapshots(&req.cluster_id, scope).await?;
                    Ok(all
                        .into_iter()
                        .find(|s| s.name.eq_ignore_ascii_case(&req.name))
                        .map(|s| Existing {
                            id: s.id,
                            description: s.description,
                        }))
                },
            )
            .await
    }

    /// Shows one snapshot; a missing one is [`Error::NotFound`].
    pub async fn show_snapshot(&self, id: &str, scope: &Scope) -> Result<DwsSnapshot, Error> {
        let project = self.client.project_id(scope).await?;
        let op = Operation::new(
            OpKind::Read,
            format!("read DWS snapshot {id}"),
            format!("DWS snapshot {id}"),
        );
        let call = Call {
            op: &op,
            method: Method::GET,
            service: Service::Dws,
            segments: vec!["v1.0", &project, "snapshots", id],
            query: Vec::new(),
            body: None,
        };
        let envelope: SnapshotEnvelope = self.client.transport().execute_json(&call, scope).await?;
        Ok(envelope.snapshot)
    }

    /// Lists every snapshot in the project.
    pub async fn list_snapshots(&self, scope: &Scope) -> Result<Vec<DwsSnapshot>, Error> {
        let project = self.client.project_id(scope).await?;
        let op = Operation::new(
            OpKind::List,
            "list DWS snapshots".to_owned(),
            "DWS snapshots".to_owned(),
        );
        let call = Call {
            op: &op,
            method: Method::GET,
            service: Service::Dws,
            segments: vec!["v1.0", &project, "snapshots"],
            query: Vec::new(),
            body: None,
        };
        let envelope: ListEnvelope = self.client.transport().execute_json(&call, scope).await?;
        Ok(envelope.snapshots.unwrap_or_default())
    }

    /// Lists one cluster's snapshots, following `limit`/`offset` pagination.
    /// A missing cluster is [`Error::NotFound`].
    pub async fn list_cluster_snapshots(
        &self,
        cluster_id: &str,
        scope: &Scope,
    ) -> Result<Vec<DwsSnapshot>, Error> {
        let project = self.client.project_id(scope).await?;
        let op = Operation::new(
            OpKind::List,
            format!("list DWS snapshots of cluster {cluster_id}"),
            format!("DWS cluster {cluster_id}"),
        );
        let mut out: Vec<DwsSnapshot> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        for _ in 0..MAX_PAGES {
            let call = Call {
                op: &op,
                method: Method::GET,
                service: Service::Dws,
                segments: vec!["v1.0", &project, "clusters", cluster_id, "snapshots"],
                query: vec![
                    ("limit".to_owned(), PAGE_SIZE.to_string()),
                    ("offset".to_owned(), out.len().to_string()),
                ],
                body: None,
            };
            let page: ListEnvelope = self.client.transport().execute_json(&call, scope).await?;
            let items = page.snapshots.unwrap_or_default();
            let received = items.len();
            let before = out.len();
            for item in items {
                if seen.insert(item.id.clone()) {
                    out.push(item);
                }
            }
            let total_reached = page.count.is_some_and(|count| out.len() as u64 >= count);
            if received < PAGE_SIZE || out.len() == before || total_reached {
                break;
            }
        }
        Ok(out)
    }

    /// Deletes a snapshot; a missing one is [`Error::NotFound`] (unless an
    /// earlier attempt of this call may have deleted it).
    pub async fn delete_snapshot(&self, id: &str, scope: &Scope) -> Result<(), Error> {
        let project = self.client.project_id(scope).await?;
        let op = Operation::new(
            OpKind::Delete,
            format!("delete DWS snapshot {id}"),
            format!("DWS snapshot {id}"),
        );
        let call = Call {
            op: &op,
            method: Method::DELETE,
            service: Service::Dws,
            segments: vec!["v1.0", &project, "snapshots", id],
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
    fn snapshot_decodes_leniently() -> Result<(), serde_json::Error> {
        let s: DwsSnapshot = serde_json::from_str(
            r#"{"id":"s-1","name":"nightly","description":"","started":"2026-01-02T15:04:05",
                "finished":"2026-01-02T15:14:05.5Z","size":"12.5","status":"AVAILABLE","type":"MANUAL",
                "cluster_id":"c-1","cluster_name":"dws-a","progress":null,"datastore":{"type":"dws","version":"8.1"},
                "brand_new_field":{"x":1}}"#,
        )?;
        assert_eq!(s.id, "s-1");
        assert_eq!(s.description.as_deref(), Some(""));
        assert_eq!(s.status, DwsStatus::Available);
        assert_eq!(s.snapshot_type, Some(DwsSnapshotType::Manual));
        assert_eq!(s.size, Some(12.5));
        assert_eq!(s.started, Some(datetime!(2026-01-02 15:04:05 UTC)));
        assert_eq!(s.finished, Some(datetime!(2026-01-02 15:14:05.5 UTC)));
        assert_eq!(s.cluster_id.as_deref(), Some("c-1"));
        assert_eq!(s.progress, None);
        assert_eq!(s.datastore.and_then(|d| d.version).as_deref(), Some("8.1"));
        Ok(())
    }

    #[test]
    fn minimal_snapshot_decodes() -> Result<(), serde_json::Error> {
        let s: DwsSnapshot = serde_json::from_str(
            r#"{"id":"s-2","status":"police_frozen","type":"AUTO","size":3}"#,
        )?;
        assert_eq!(s.status, DwsStatus::PoliceFrozen);
        assert_eq!(s.snapshot_type, Some(DwsSnapshotType::Automated));
        assert_eq!(s.size, Some(3.0));
        assert_eq!(s.name, "");
        assert_eq!(s.description, None);
        Ok(())
    }

    #[test]
    fn statuses_round_trip() {
        for status in [
            DwsStatus::Creating,
            DwsStatus::Available,
            DwsStatus::Unavailable,
            DwsStatus::Frozen,
            DwsStatus::PoliceFrozen,
            DwsStatus::Other("RESTORING".to_owned()),
        ] {
            assert_eq!(DwsStatus::parse(status.as_str()), status);
        }
        assert!(!DwsStatus::Creating.is_final());
        assert!(DwsStatus::Unavailable.is_final());
    }

    #[test]
    fn create_body_shape() -> Result<(), serde_json::Error> {
        let body = serde_json::to_string(&CreateBody {
            snapshot: CreateSnapshotBody {
                name: "n1",
                cluster_id: "c",
                description: None,
            },
        })?;
        assert_eq!(body, r#"{"snapshot":{"name":"n1","cluster_id":"c"}}"#);
        Ok(())
    }
}
