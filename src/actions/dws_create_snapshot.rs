//! # dws_create_snapshot
//!
//! Takes a manual snapshot of a GaussDB(DWS) cluster on demand
//! (`terraform apply -invoke=action.dws_create_snapshot.NAME`) or on
//! another resource's lifecycle event (`action_trigger`), and waits until
//! it is `AVAILABLE`. With `name_prefix` the name gets the invocation's UTC
//! time, and `keep_last` then deletes the oldest manual snapshots with that
//! prefix. Nothing goes into Terraform state: the snapshot lives in the
//! cloud only.
//!
//! Plan checks that the cluster exists (one list call, one item).

use std::time::Duration;

use hwsnap_cloud::{
    Client, CreateDwsSnapshot, Created, Dws, DwsSnapshot as Cloud, DwsSnapshotType, DwsStatus,
    Error as CloudError, Fresh, ListDwsSnapshots, Scope,
};
use hwsnap_framework::Action;
use hwsnap_framework::action::{
    InvokeRequest, InvokeResponse, PlanRequest, PlanResponse, ProgressSink,
};
use hwsnap_framework::cty::Value;
use hwsnap_framework::prelude::*;

use super::{
    Listed, Naming, PositiveDuration, STAMP_LENGTH, SnapshotTarget, check_cluster, check_naming,
    create_snapshot, timeout_of,
};
use crate::resources::dws_snapshot::{
    DESCRIPTION_FORBIDDEN, DESCRIPTION_LENGTH, KIND, NAME_LENGTH, name_chars,
};
use crate::resources::{Ctx, cluster_id_pattern, scope};

model! {
    /// Takes a manual snapshot of a GaussDB(DWS) cluster and waits until it is `AVAILABLE`,
    /// reporting its progress. Give the exact `name`, or a `name_prefix` to which the
    /// invocation's UTC time is appended (`pre-upgrade-20261202T013512Z`); with a prefix,
    /// `keep_last` then deletes the oldest manual snapshots of the cluster whose names start
    /// with it. The snapshot is not kept in Terraform state.
    pub struct Config {
        /// The ID of the DWS cluster to snapshot.
        cluster_id: String = required()
            .validate(cluster_id_pattern("44b277eb-39be-4921-be31-3d61b43651d7")),
        /// The snapshot's exact name, unique per cluster (case-insensitively). Conflicts with
        /// `name_prefix`.
        name: Option<String> = optional()
            .validate(Length::between(NAME_LENGTH.0, NAME_LENGTH.1))
            .validate(name_chars()),
        /// The start of the snapshot's name: the invocation's UTC time (`20261202T013512Z`,
        /// 16 characters) is appended, so each invocation makes a new snapshot. Conflicts with
        /// `name`.
        name_prefix: Option<String> = optional()
            .validate(Length::between(1, NAME_LENGTH.1 - STAMP_LENGTH))
            .validate(name_chars()),
        /// A description of the snapshot.
        description: Option<String> = optional()
            .validate(Length::at_most(DESCRIPTION_LENGTH))
            .validate(ForbiddenChars(DESCRIPTION_FORBIDDEN)),
        /// Only with `name_prefix`: once the new snapshot is `AVAILABLE`, delete the oldest
        /// manual snapshots of the cluster whose names start with `name_prefix` until this many
        /// remain (the new one included). Automatic snapshots and snapshots with other names
        /// are never deleted.
        keep_last: Option<i64> = optional().validate(IntRange::at_least(1)),
        /// How long to wait for the snapshot (and the deletions of `keep_last`), as a Go
        /// duration. Default: `30m`.
        timeout: Option<String> = optional().validate(PositiveDuration),
    }
}

/// The `dws_create_snapshot` action type.
pub struct DwsCreateSnapshot;

#[async_trait]
impl Action<Client> for DwsCreateSnapshot {
    type Config = Config;
    const TYPE_NAME: &'static str = "dws_create_snapshot";

    fn timeout(&self, config: &Config) -> Option<Duration> {
        Some(timeout_of(config.timeout.as_deref()))
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        check_naming(config, diags);
    }

    async fn plan(&self, ctx: &Ctx<'_>, req: PlanRequest<Config>, resp: &mut PlanResponse) {
        let cluster_id = req.config.cluster_id;
        let first = ListDwsSnapshots {
            page_size: 1,
            ..ListDwsSnapshots::cluster(cluster_id.as_str())
        };
        let checked = ctx.data.dws().cluster_pages(first).next(&scope(ctx)).await;
        let what = format!("DWS cluster {cluster_id}");
        check_cluster(&what, "cluster_id", checked, &mut resp.diagnostics);
    }

    async fn invoke(
        &self,
        ctx: &Ctx<'_>,
        req: InvokeRequest<Config>,
        progress: &ProgressSink,
        resp: &mut InvokeResponse,
    ) {
        let c = req.config;
        let naming = Naming::of(c.name, c.name_prefix, c.keep_last);
        let target = DwsCluster {
            dws: ctx.data.dws(),
            cluster_id: c.cluster_id,
            description: c.description,
        };
        create_snapshot(ctx, &target, naming, progress, &mut resp.diagnostics).await;
    }
}

/// One DWS cluster's snapshots.
struct DwsCluster<'a> {
    dws: Dws<'a>,
    cluster_id: String,
    description: Option<String>,
}

#[async_trait]
impl SnapshotTarget for DwsCluster<'_> {
    type Snapshot = Cloud;
    const KIND: &'static str = KIND;
    const LABEL: &'static str = "dws snapshot";
    const READY: &'static str = "AVAILABLE";
    const LOWERCASE: bool = false;
    const RESOURCE: &'static str = "dws_snapshot";

    fn cluster_id(&self) -> &str {
        &self.cluster_id
    }

    async fn create(&self, name: &str, scope: &Scope) -> Result<Created, CloudError> {
        let request = CreateDwsSnapshot {
            name: name.to_owned(),
            cluster_id: self.cluster_id.clone(),
            description: self.description.clone(),
        };
        self.dws.create_snapshot(&request, scope).await
    }

    async fn show(&self, id: &str, _: Fresh, scope: &Scope) -> Result<Cloud, CloudError> {
        // A show by ID is always fresh.
        self.dws.show_snapshot(id, scope).await
    }

    async fn manual_snapshots(&self, scope: &Scope) -> Result<Vec<Listed>, CloudError> {
        let all = self
            .dws
            .list_cluster_snapshots(&self.cluster_id, scope)
            .await?;
        Ok(all.into_iter().filter_map(listed).collect())
    }

    async fn delete(&self, id: &str, scope: &Scope) -> Result<(), CloudError> {
        self.dws.delete_snapshot(id, scope).await
    }
}

/// A manual snapshot as `keep_last` sees it; `None` for any other.
fn listed(s: Cloud) -> Option<Listed> {
    (s.snapshot_type == Some(DwsSnapshotType::Manual)).then_some(Listed {
        busy: matches!(s.status, DwsStatus::Creating | DwsStatus::Restoring),
        id: s.id,
        name: s.name,
        started: s.started,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_manual_snapshots_are_candidates() {
        let s = crate::resources::dws_snapshot::tests::snapshot();
        assert!(listed(s.clone()).is_some());
        let auto = Cloud {
            snapshot_type: Some(DwsSnapshotType::Automated),
            ..s.clone()
        };
        assert!(listed(auto).is_none());
        let untyped = Cloud {
            snapshot_type: None,
            ..s.clone()
        };
        assert!(listed(untyped).is_none(), "unknown type: never deleted");
        let creating = Cloud {
            status: DwsStatus::Creating,
            ..s
        };
        assert!(listed(creating).is_some_and(|l| l.busy));
    }
}
