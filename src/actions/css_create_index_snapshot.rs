//! # css_create_index_snapshot
//!
//! Takes a manual index snapshot of a Cloud Search Service cluster on
//! demand or on another resource's lifecycle event, and waits until it is
//! `COMPLETED`. Like `dws_create_snapshot`, plus `indices`; names are lower
//! case, and so is the generated timestamp (`20261202t013512z`). CSS has no
//! show call: each check reads the cluster's list, one started after the
//! check began, so a stale list is never taken as the answer.
//!
//! Plan checks that the cluster exists (one list call).

use std::time::Duration;

use hwsnap_cloud::{
    Client, CreateCssSnapshot, Created, Css, CssBackupMethod, CssBackupType, CssRestoreStatus,
    CssSnapshot as Cloud, CssStatus, Error as CloudError, Fresh, Scope,
};
use hwsnap_framework::Action;
use hwsnap_framework::action::{
    InvokeRequest, InvokeResponse, PlanRequest, PlanResponse, ProgressSink,
};
use hwsnap_framework::cty::Value;
use hwsnap_framework::prelude::*;
use tokio::time::Instant;

use super::{
    Listed, Naming, PositiveDuration, STAMP_LENGTH, SnapshotTarget, check_cluster, check_naming,
    create_snapshot, timeout_of,
};
use crate::resources::css_index_snapshot::{
    CLUSTER_EXAMPLE, DESCRIPTION_FORBIDDEN, DESCRIPTION_LENGTH, INDICES_LENGTH, KIND, NAME_LENGTH,
    indices_list, name_chars,
};
use crate::resources::{Ctx, cluster_id_pattern, scope};

model! {
    /// Takes a manual index snapshot of a Cloud Search Service cluster and waits until it is
    /// `COMPLETED`, reporting its progress. Give the exact `name`, or a `name_prefix` to which
    /// the invocation's UTC time is appended (`pre-upgrade-20261202t013512z`); with a prefix,
    /// `keep_last` then deletes the oldest manual snapshots of the cluster whose names start
    /// with it. The cluster's snapshot bucket must be configured. The snapshot is not kept in
    /// Terraform state.
    pub struct Config {
        /// The ID of the CSS cluster.
        cluster_id: String = required().validate(cluster_id_pattern(CLUSTER_EXAMPLE)),
        /// The snapshot's exact name, unique per cluster. Conflicts with `name_prefix`.
        name: Option<String> = optional()
            .validate(Length::between(NAME_LENGTH.0, NAME_LENGTH.1))
            .validate(name_chars()),
        /// The start of the snapshot's name: the invocation's UTC time (`20261202t013512z`,
        /// 16 characters) is appended, so each invocation makes a new snapshot. Conflicts with
        /// `name`.
        name_prefix: Option<String> = optional()
            .validate(Length::between(1, NAME_LENGTH.1 - STAMP_LENGTH))
            .validate(name_chars()),
        /// A description of the snapshot.
        description: Option<String> = optional()
            .validate(Length::at_most(DESCRIPTION_LENGTH))
            .validate(ForbiddenChars(DESCRIPTION_FORBIDDEN)),
        /// The indices to snapshot, comma-separated; `*` matches any characters (`logs-2026*`).
        /// Unset means all indices.
        indices: Option<String> = optional()
            .validate(Length::between(1, INDICES_LENGTH))
            .validate(indices_list()),
        /// Only with `name_prefix`: once the new snapshot is `COMPLETED`, delete the oldest
        /// manual snapshots of the cluster whose names start with `name_prefix` until this many
        /// remain (the new one included). Automatic snapshots and snapshots with other names
        /// are never deleted.
        keep_last: Option<i64> = optional().validate(IntRange::at_least(1)),
        /// How long to wait for the snapshot (and the deletions of `keep_last`), as a Go
        /// duration. Default: `30m`.
        timeout: Option<String> = optional().validate(PositiveDuration),
    }
}

/// The `css_create_index_snapshot` action type.
pub struct CssCreateIndexSnapshot;

#[async_trait]
impl Action<Client> for CssCreateIndexSnapshot {
    type Config = Config;
    const TYPE_NAME: &'static str = "css_create_index_snapshot";

    fn timeout(&self, config: &Config) -> Option<Duration> {
        Some(timeout_of(config.timeout.as_deref()))
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        check_naming(config, diags);
    }

    async fn plan(&self, ctx: &Ctx<'_>, req: PlanRequest<Config>, resp: &mut PlanResponse) {
        let cluster_id = req.config.cluster_id;
        let checked = ctx
            .data
            .css()
            .list_snapshots(&cluster_id, Fresh::Within(Duration::ZERO), &scope(ctx))
            .await;
        let what = format!("CSS cluster {cluster_id}");
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
        let target = CssCluster {
            css: ctx.data.css(),
            cluster_id: c.cluster_id,
            description: c.description,
            indices: c.indices,
        };
        create_snapshot(ctx, &target, naming, progress, &mut resp.diagnostics).await;
    }
}

/// One CSS cluster's index snapshots.
struct CssCluster<'a> {
    css: Css<'a>,
    cluster_id: String,
    description: Option<String>,
    indices: Option<String>,
}

#[async_trait]
impl SnapshotTarget for CssCluster<'_> {
    type Snapshot = Cloud;
    const KIND: &'static str = KIND;
    const LABEL: &'static str = "css index snapshot";
    const READY: &'static str = "COMPLETED";
    const LOWERCASE: bool = true;
    const RESOURCE: &'static str = "css_index_snapshot";

    fn cluster_id(&self) -> &str {
        &self.cluster_id
    }

    async fn create(&self, name: &str, scope: &Scope) -> Result<Created, CloudError> {
        let request = CreateCssSnapshot {
            name: name.to_owned(),
            description: self.description.clone(),
            indices: self.indices.clone(),
        };
        self.css
            .create_snapshot(&self.cluster_id, &request, scope)
            .await
    }

    async fn show(&self, id: &str, fresh: Fresh, scope: &Scope) -> Result<Cloud, CloudError> {
        self.css
            .find_snapshot_fresh(&self.cluster_id, id, fresh, scope)
            .await
    }

    async fn manual_snapshots(&self, scope: &Scope) -> Result<Vec<Listed>, CloudError> {
        let fresh = Fresh::Since(Instant::now());
        let all = self
            .css
            .list_snapshots(&self.cluster_id, fresh, scope)
            .await?;
        Ok(all.iter().filter_map(listed).collect())
    }

    async fn delete(&self, id: &str, scope: &Scope) -> Result<(), CloudError> {
        self.css.delete_snapshot(&self.cluster_id, id, scope).await
    }
}

/// A manual snapshot as `keep_last` sees it; `None` for any other (an
/// automatic one, or one the cloud does not say is manual).
fn listed(s: &Cloud) -> Option<Listed> {
    let automatic = s.backup_type == Some(CssBackupType::Automatic)
        || s.backup_method == Some(CssBackupMethod::Auto);
    let manual = s.backup_type == Some(CssBackupType::Manual)
        || s.backup_method == Some(CssBackupMethod::Manual);
    (manual && !automatic).then(|| Listed {
        id: s.id.clone(),
        name: s.name.clone(),
        started: s.start_time,
        busy: s.status == CssStatus::Building
            || s.restore_status == Some(CssRestoreStatus::Restoring),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_manual_snapshots_are_candidates() {
        let s = crate::resources::css_index_snapshot::tests::snapshot();
        assert!(listed(&s).is_some_and(|l| !l.busy));
        let auto = Cloud {
            backup_type: Some(CssBackupType::Automatic),
            backup_method: Some(CssBackupMethod::Auto),
            ..s.clone()
        };
        assert!(listed(&auto).is_none());
        let unsaid = Cloud {
            backup_type: None,
            backup_method: None,
            ..s.clone()
        };
        assert!(listed(&unsaid).is_none(), "unknown kind: never deleted");
        let restoring = Cloud {
            restore_status: Some(CssRestoreStatus::Restoring),
            ..s
        };
        assert!(listed(&restoring).is_some_and(|l| l.busy));
    }
}
