//! GaussDB(DWS) cluster snapshots: [`Dws`] with one async fn per call, the
//! typed [`DwsSnapshot`] answer, and [`DwsPages`] for reading one cluster's
//! snapshots page by page.
//!
//! Listing: `GET /v1.0/{project_id}/clusters/{cluster_id}/snapshots` takes
//! `limit`, `offset` (the page number minus 1, as SDK 3.1.219 and the API
//! pages define it), `sort_key` and `sort_dir`, as in the
//! SDK's `ListClusterSnapshotsRequest` (huaweicloudsdkdws v2), and answers
//! `{snapshots, count, project_id, cluster_id}`. Its items
//! (`ClusterSnapshots` in the SDK) carry every field [`DwsSnapshot`] reads —
//! `id`, `name`, `description`, `status`, `type`, `size`, `started`,
//! `finished`, `updated`, `cluster_id`, `cluster_name`, `progress`,
//! `datastore` — so a list page is as good as a show per snapshot. The
//! project list `GET /v1.0/{project_id}/snapshots` takes no parameters and
//! answers `{snapshots, count}`.
//!
//! Reads of snapshots whose cluster is known ([`Dws::find_snapshot`]) share
//! one list of that cluster per process, like CSS reads do (see
//! [`Fresh`]): refreshing many snapshots of one cluster costs its
//! pages, not a show each. A list only ever proves that a snapshot exists;
//! one missing from it is shown by ID before it counts as gone, and this
//! client's own creates and deletes make earlier lists unusable.

use std::collections::HashSet;
use std::sync::Arc;

use reqwest::Method;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::cache::Fresh;
use crate::client::Client;
use crate::endpoint::Service;
use crate::error::{Error, OpKind, Operation};
use crate::retry::{Created, Existing};
use crate::scope::Scope;
use crate::transport::Call;
use crate::wire;
pub use crate::wire::Datastore;

/// Page size [`Dws::list_cluster_snapshots`] uses.
pub const DEFAULT_PAGE_SIZE: u32 = 100;
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
        Restoring => "RESTORING",
    }
}

wire::wire_words! {
    /// `MANUAL` or `AUTOMATED` (the SDK says `AUTO`; both are read as automated).
    pub enum DwsSnapshotType {
        Manual => "MANUAL",
        Automated => "AUTOMATED" | "AUTO",
    }
}

/// What a cluster's snapshot list is sorted by (`sort_key`): a field of the
/// snapshot. The SDK types `sort_key` as a free string; these are the
/// fields the list can sort on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DwsSortKey {
    Started,
    Finished,
    Name,
    Size,
    Status,
}

impl DwsSortKey {
    /// The wire word.
    pub fn as_str(self) -> &'static str {
        match self {
            DwsSortKey::Started => "started",
            DwsSortKey::Finished => "finished",
            DwsSortKey::Name => "name",
            DwsSortKey::Size => "size",
            DwsSortKey::Status => "status",
        }
    }
}

/// Sort direction (`sort_dir`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortDir {
    Asc,
    Desc,
}

impl SortDir {
    /// The wire word.
    pub fn as_str(self) -> &'static str {
        match self {
            SortDir::Asc => "asc",
            SortDir::Desc => "desc",
        }
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

/// A DWS snapshot as the cloud reports it, from a show or a list item.
/// Unknown fields are ignored.
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

/// How to read one cluster's snapshots page by page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListDwsSnapshots {
    pub cluster_id: String,
    /// Items per page (`limit`), at least 1.
    pub page_size: u32,
    /// `sort_key` and `sort_dir`; `None` leaves the cloud's order.
    pub sort: Option<(DwsSortKey, SortDir)>,
}

impl ListDwsSnapshots {
    /// Every snapshot of `cluster_id`, [`DEFAULT_PAGE_SIZE`] a page, in the
    /// cloud's order.
    pub fn cluster(cluster_id: impl Into<String>) -> Self {
        ListDwsSnapshots {
            cluster_id: cluster_id.into(),
            page_size: DEFAULT_PAGE_SIZE,
            sort: None,
        }
    }
}

/// One page of a cluster's snapshots.
#[derive(Debug, Clone, PartialEq)]
pub struct DwsPage {
    /// The page's snapshots not already seen on an earlier page.
    pub snapshots: Vec<DwsSnapshot>,
    /// The cluster's total (`count`), when the cloud says.
    pub total: Option<u64>,
}

/// A cluster's snapshots, one page per [`DwsPages::next`]: a caller that
/// has enough simply stops calling, and no further page is requested.
#[derive(Debug)]
pub struct DwsPages<'a> {
    dws: Dws<'a>,
    query: ListDwsSnapshots,
    /// Items received so far, to compare with the cloud's `count`.
    received: u64,
    seen: HashSet<String>,
    pages: usize,
    done: bool,
}

impl DwsPages<'_> {
    /// The next page, or `None` after the last one. A missing cluster is
    /// [`Error::NotFound`]. Snapshots repeated across pages (the list moved
    /// while being read) are returned once.
    pub async fn next(&mut self, scope: &Scope) -> Result<Option<DwsPage>, Error> {
        if self.done || self.pages >= MAX_PAGES {
            return Ok(None);
        }
        let cluster_id = self.query.cluster_id.as_str();
        let page_size = self.query.page_size.max(1);
        let mut call = Call::project(
            Service::Dws,
            Method::GET,
            Operation::new(
                OpKind::List,
                format!("list DWS snapshots of cluster {cluster_id}"),
                format!("DWS cluster {cluster_id}"),
            ),
            &["clusters", cluster_id, "snapshots"],
        )
        .query("limit", page_size)
        .query("offset", self.pages);
        if let Some((key, dir)) = self.query.sort {
            call = call
                .query("sort_key", key.as_str())
                .query("sort_dir", dir.as_str());
        }
        let page: ListEnvelope = self.dws.client.send_json(&call, scope).await?;
        self.pages += 1;
        let items = page.snapshots.unwrap_or_default();
        let received = items.len() as u64;
        self.received += received;
        let snapshots: Vec<DwsSnapshot> = items
            .into_iter()
            .filter(|s| self.seen.insert(s.id.clone()))
            .collect();
        let total_reached = page.count.is_some_and(|count| self.received >= count);
        self.done = received < u64::from(page_size) || snapshots.is_empty() || total_reached;
        Ok(Some(DwsPage {
            snapshots,
            total: page.count,
        }))
    }
}

/// DWS calls, borrowed from a [`Client`]: `client.dws().show_snapshot(…)`.
#[derive(Clone, Copy)]
pub struct Dws<'a> {
    pub(crate) client: &'a Client,
}

impl std::fmt::Debug for Dws<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Dws")
    }
}

impl<'a> Dws<'a> {
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
        let call = Call::project(
            Service::Dws,
            Method::POST,
            Operation::new(
                OpKind::Create,
                format!(
                    "create DWS snapshot {:?} on cluster {}",
                    req.name, req.cluster_id
                ),
                format!("DWS cluster {}", req.cluster_id),
            ),
            &["snapshots"],
        )
        .json(&CreateBody {
            snapshot: CreateSnapshotBody {
                name: &req.name,
                cluster_id: &req.cluster_id,
                description: req.description.as_deref(),
            },
        })?;
        let lookup = || async {
            let all = self.list_cluster_snapshots(&req.cluster_id, scope).await?;
            Ok(all
                .into_iter()
                .find(|s| s.name.eq_ignore_ascii_case(&req.name))
                .map(|s| Existing {
                    id: s.id,
                    description: s.description,
                }))
        };
        let id_of = |created: CreatedEnvelope| created.snapshot.id;
        let out = self
            .client
            .send_create(&call, scope, req.description.as_deref(), id_of, lookup)
            .await;
        self.client.dws_lists().invalidate(&req.cluster_id);
        out
    }

    /// Shows one snapshot; a missing one is [`Error::NotFound`].
    pub async fn show_snapshot(&self, id: &str, scope: &Scope) -> Result<DwsSnapshot, Error> {
        let call = Call::project(
            Service::Dws,
            Method::GET,
            Operation::new(
                OpKind::Read,
                format!("read DWS snapshot {id}"),
                format!("DWS snapshot {id}"),
            ),
            &["snapshots", id],
        );
        let envelope: SnapshotEnvelope = self.client.send_json(&call, scope).await?;
        Ok(envelope.snapshot)
    }

    /// Finds one snapshot of `cluster_id` in the cluster's shared list (at
    /// most [`crate::Config::list_reuse`] old, every page read), for reads:
    /// a refresh of many snapshots of one cluster costs one list. One the
    /// list does not hold, or whose cluster the list cannot find, is shown
    /// by ID ([`Dws::show_snapshot`]), so only the show can say
    /// [`Error::NotFound`].
    pub async fn find_snapshot(
        &self,
        cluster_id: &str,
        id: &str,
        scope: &Scope,
    ) -> Result<DwsSnapshot, Error> {
        let fresh = Fresh::Within(self.client.list_reuse());
        match self.cluster_snapshots(cluster_id, fresh, scope).await {
            Ok(all) => {
                if let Some(s) = all.iter().find(|s| s.id == id) {
                    return Ok(s.clone());
                }
            }
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
        self.show_snapshot(id, scope).await
    }

    /// Every snapshot of one cluster (every page), from the shared list when
    /// one is `fresh` enough, else listed now. A missing cluster is
    /// [`Error::NotFound`].
    pub async fn cluster_snapshots(
        &self,
        cluster_id: &str,
        fresh: Fresh,
        scope: &Scope,
    ) -> Result<Arc<[DwsSnapshot]>, Error> {
        let operation = format!("list DWS snapshots of cluster {cluster_id}");
        let fetch = || self.list_cluster_snapshots(cluster_id, scope);
        self.client
            .dws_lists()
            .get(cluster_id, fresh, scope, &operation, fetch)
            .await
    }

    /// Lists every snapshot in the project (one call; the project list has
    /// no paging).
    pub async fn list_snapshots(&self, scope: &Scope) -> Result<Vec<DwsSnapshot>, Error> {
        let call = Call::project(
            Service::Dws,
            Method::GET,
            Operation::new(
                OpKind::List,
                "list DWS snapshots".to_owned(),
                "DWS snapshots".to_owned(),
            ),
            &["snapshots"],
        );
        let envelope: ListEnvelope = self.client.send_json(&call, scope).await?;
        Ok(envelope.snapshots.unwrap_or_default())
    }

    /// One cluster's snapshots page by page; see [`DwsPages`].
    pub fn cluster_pages(&self, query: ListDwsSnapshots) -> DwsPages<'a> {
        DwsPages {
            dws: *self,
            query,
            received: 0,
            seen: HashSet::new(),
            pages: 0,
            done: false,
        }
    }

    /// Every snapshot of one cluster, reading every page. A missing cluster
    /// is [`Error::NotFound`].
    pub async fn list_cluster_snapshots(
        &self,
        cluster_id: &str,
        scope: &Scope,
    ) -> Result<Vec<DwsSnapshot>, Error> {
        let mut pages = self.cluster_pages(ListDwsSnapshots::cluster(cluster_id));
        let mut out = Vec::new();
        while let Some(page) = pages.next(scope).await? {
            out.extend(page.snapshots);
        }
        Ok(out)
    }

    /// Deletes a snapshot; a missing one is [`Error::NotFound`] (unless an
    /// earlier attempt of this call may have deleted it). A busy cluster
    /// (the snapshot is still being made) is retried until the scope's
    /// deadline. Earlier shared lists (of any cluster: the ID does not say
    /// which) are no longer used afterwards.
    pub async fn delete_snapshot(&self, id: &str, scope: &Scope) -> Result<(), Error> {
        let call = Call::project(
            Service::Dws,
            Method::DELETE,
            Operation::new(
                OpKind::Delete,
                format!("delete DWS snapshot {id}"),
                format!("DWS snapshot {id}"),
            ),
            &["snapshots", id],
        );
        let out = self.client.send(&call, scope).await.map(|_| ());
        self.client.dws_lists().invalidate_all();
        out
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
            DwsStatus::Restoring,
            DwsStatus::Other("DELETING".to_owned()),
        ] {
            assert_eq!(DwsStatus::parse(status.as_str()), status);
        }
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

    #[test]
    fn cluster_list_item_carries_every_field_the_resource_reads() -> Result<(), serde_json::Error> {
        // A `ClusterSnapshots` item as the SDK models it, with its extra fields.
        let page: ListEnvelope = serde_json::from_str(
            r#"{"snapshots":[{"id":"s-1","name":"n","description":"d","started":"2026-01-02T15:04:05Z",
                "finished":"2026-01-02T15:05:05Z","size":1.5,"status":"AVAILABLE","cluster_id":"c-1",
                "datastore":{"type":"dws","version":"9.1"},"cluster_name":"dws-a","updated":"2026-01-02T15:05:05Z",
                "type":"AUTO","bak_keep_day":7,"backup_device":"OBS","progress":"100%"}],
                "project_id":"p","cluster_id":"c-1","count":1}"#,
        )?;
        assert_eq!(page.count, Some(1));
        let s = page.snapshots.unwrap_or_default().remove(0);
        assert_eq!(s.snapshot_type, Some(DwsSnapshotType::Automated));
        assert_eq!(s.cluster_id.as_deref(), Some("c-1"));
        assert_eq!(s.cluster_name.as_deref(), Some("dws-a"));
        assert_eq!(s.size, Some(1.5));
        assert!(s.started.is_some() && s.finished.is_some() && s.updated.is_some());
        Ok(())
    }
}
