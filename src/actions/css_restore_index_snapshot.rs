//! # css_restore_index_snapshot
//!
//! Restores a CSS index snapshot into its own cluster or another one
//! (`POST …/index_snapshot/{id}/restore`) and waits until the snapshot's
//! `restoreStatus` reports success or failure. The status is read from the
//! source cluster's list, each time one started after the check began, so
//! neither a list from before the restore nor an earlier restore's outcome
//! is taken as this one's. A restore whose answer was lost is never sent
//! again (the client checks the list instead).
//!
//! Plan checks that the snapshot exists on its cluster and can be restored
//! (one list call) and, when it is another cluster, that the target exists
//! (one more).

use std::time::Duration;

use hwsnap_cloud::{Client, CssSnapshot as Cloud, CssStatus, Fresh, RestoreCssSnapshot};
use hwsnap_framework::Action;
use hwsnap_framework::action::{
    InvokeRequest, InvokeResponse, PlanRequest, PlanResponse, ProgressSink,
};
use hwsnap_framework::cty::{AttributePath, Value};
use hwsnap_framework::prelude::*;
use tokio::sync::mpsc;

use super::{
    Event, PositiveDuration, Reporter, both_or_neither, check_cluster, ended, seconds, timeout_of,
    wait_failure,
};
use crate::resources::css_index_snapshot::{CLUSTER_EXAMPLE, INDICES_LENGTH, indices_list};
use crate::resources::{CssRestore, Ctx, cloud_diagnostic, cluster_id_pattern, scope, wait_ready};

/// The rule of `rename_pattern` and `rename_replacement`.
fn rename_rule() -> Pattern {
    Pattern::new(
        r#"^[^A-Z\s"\\<|>/?,]+$"#,
        "contain no spaces, no uppercase letters and none of \" \\ < | > / ? ,",
    )
}

model! {
    /// Restores a Cloud Search Service index snapshot into its own cluster or another one and
    /// waits until the restore reports success or failure, reporting its progress. Indices of
    /// the same name in the target cluster make the restore fail unless
    /// `replace_existing_indices` is set or `rename_pattern` gives them new names. Nothing is
    /// kept in Terraform state.
    pub struct Config {
        /// The ID of the CSS cluster the snapshot belongs to.
        cluster_id: String = required().validate(cluster_id_pattern(CLUSTER_EXAMPLE)),
        /// The ID of the index snapshot to restore; it must be `COMPLETED`.
        snapshot_id: String = required().validate(Pattern::new(
            r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
            "be a snapshot ID (a UUID such as 6c3b1e34-1fbb-4b4e-9ae9-20d2cfc0e2fd)",
        )),
        /// The ID of the CSS cluster to restore into. Default: the snapshot's own cluster.
        target_cluster_id: Option<String> = optional()
            .validate(cluster_id_pattern(CLUSTER_EXAMPLE)),
        /// The indices to restore, comma-separated; `*` matches any characters. Unset means
        /// every index in the snapshot.
        indices: Option<String> = optional()
            .validate(Length::between(1, INDICES_LENGTH))
            .validate(indices_list()),
        /// A regular expression matching the names of the indices to rename, such as
        /// `index_(.+)`. Set together with `rename_replacement`.
        rename_pattern: Option<String> = optional()
            .validate(Length::between(1, 1024))
            .validate(rename_rule()),
        /// The new names of the indices `rename_pattern` matches, such as `restored_index_$1`.
        /// Set together with `rename_pattern`.
        rename_replacement: Option<String> = optional()
            .validate(Length::between(1, 1024))
            .validate(rename_rule()),
        /// Overwrite indices of the same name in the target cluster. Default: `false`.
        replace_existing_indices: Option<bool> = optional(),
        /// How long to wait for the restore, as a Go duration. Default: `30m`.
        timeout: Option<String> = optional().validate(PositiveDuration),
    }
}

/// The `css_restore_index_snapshot` action type.
pub struct CssRestoreIndexSnapshot;

#[async_trait]
impl Action<Client> for CssRestoreIndexSnapshot {
    type Config = Config;
    const TYPE_NAME: &'static str = "css_restore_index_snapshot";

    fn timeout(&self, config: &Config) -> Option<Duration> {
        Some(timeout_of(config.timeout.as_deref()))
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        both_or_neither(config, "rename_pattern", "rename_replacement", diags);
    }

    async fn plan(&self, ctx: &Ctx<'_>, req: PlanRequest<Config>, resp: &mut PlanResponse) {
        let c = req.config;
        let (css, scope) = (ctx.data.css(), &scope(ctx));
        let diags = &mut resp.diagnostics;
        let fresh = Fresh::Within(Duration::ZERO);
        let listed = css.list_snapshots(&c.cluster_id, fresh, scope).await;
        let what = format!("CSS cluster {}", c.cluster_id);
        let Some(listed) = check_cluster(&what, "cluster_id", listed, diags) else {
            return;
        };
        if let Some(d) = unrestorable(listed.iter().find(|s| s.id == c.snapshot_id), &c) {
            diags.push(d);
        }
        if let Some(target) = c.target_cluster_id.filter(|t| *t != c.cluster_id) {
            let checked = css.list_snapshots(&target, fresh, scope).await;
            let what = format!("CSS cluster {target}");
            check_cluster(&what, "target_cluster_id", checked, diags);
        }
    }

    async fn invoke(
        &self,
        ctx: &Ctx<'_>,
        req: InvokeRequest<Config>,
        progress: &ProgressSink,
        resp: &mut InvokeResponse,
    ) {
        let c = req.config;
        let (css, scope) = (ctx.data.css(), &scope(ctx));
        let request = RestoreCssSnapshot {
            target_cluster: c.target_cluster_id.unwrap_or_else(|| c.cluster_id.clone()),
            cluster_id: c.cluster_id,
            snapshot_id: c.snapshot_id,
            indices: c.indices,
            rename_pattern: c.rename_pattern,
            rename_replacement: c.rename_replacement,
            replace_exist_indices: c.replace_existing_indices,
        };
        let (cluster_id, id) = (request.cluster_id.as_str(), request.snapshot_id.as_str());
        let into = format!("into cluster {}", request.target_cluster);
        let what = format!("css restore of snapshot {id} {into}");
        let mut reporter = Reporter::new(progress, what, None, "starting", "SUCCESS");
        reporter.say("starting").await;
        if let Err(e) = css.restore_snapshot(&request, scope).await {
            let summary = format!("Failed to restore CSS index snapshot {id} {into}");
            return resp.diagnostics.push(cloud_diagnostic(&summary, &e));
        }
        reporter.say("started, waiting until SUCCESS").await;

        let (tx, rx) = mpsc::unbounded_channel();
        let show = |fresh| async move {
            let s = css
                .find_snapshot_fresh(cluster_id, id, fresh, scope)
                .await?;
            Ok(CssRestore(s))
        };
        let pending = |status: &str| {
            let _ = tx.send(Event::Pending(status.to_owned()));
        };
        let outcome = reporter.watch(rx, wait_ready(ctx, show, pending)).await;
        let waited = seconds(reporter.elapsed());
        match outcome {
            Ok(_) => reporter.say(&format!("SUCCESS after {waited}")).await,
            Err(error) => {
                let text = format!("{} after {waited}", ended(&error, reporter.status()));
                reporter.say(&text).await;
                let what = format!("the restore of CSS index snapshot {id} {into}");
                let kept = format!(
                    "The snapshot itself is unchanged; cluster {} may hold partly restored indices.",
                    request.target_cluster
                );
                let d = wait_failure(ctx, &reporter, &what, error, &kept);
                resp.diagnostics.push(d);
            }
        }
    }
}

/// Why a snapshot found (or not) at plan time cannot be restored.
fn unrestorable(found: Option<&Cloud>, c: &Config) -> Option<Diagnostic> {
    let path = AttributePath::attr("snapshot_id");
    let (id, cluster) = (&c.snapshot_id, &c.cluster_id);
    match found {
        None => Some(
            Diagnostic::error(
                "CSS index snapshot not found",
                format!("Cluster {cluster} has no index snapshot {id}. Nothing was restored."),
            )
            .at(path),
        ),
        Some(s) if matches!(s.status, CssStatus::Failed | CssStatus::PartFailed) => Some(
            Diagnostic::error(
                "CSS index snapshot cannot be restored",
                format!(
                    "CSS index snapshot {} ({id}) is {}: only a COMPLETED snapshot can be restored.",
                    s.name,
                    s.status.as_str()
                ),
            )
            .at(path),
        ),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config {
            cluster_id: CLUSTER_EXAMPLE.into(),
            snapshot_id: "6c3b1e34-1fbb-4b4e-9ae9-20d2cfc0e2fd".into(),
            target_cluster_id: None,
            indices: None,
            rename_pattern: None,
            rename_replacement: None,
            replace_existing_indices: None,
            timeout: None,
        }
    }

    #[test]
    fn plan_refuses_missing_and_failed_snapshots() {
        let s = crate::resources::css_index_snapshot::tests::snapshot();
        assert!(unrestorable(Some(&s), &config()).is_none());
        let building = Cloud {
            status: CssStatus::Building,
            ..s.clone()
        };
        assert!(
            unrestorable(Some(&building), &config()).is_none(),
            "may be done by the time it runs"
        );
        let failed = Cloud {
            status: CssStatus::PartFailed,
            ..s
        };
        let d = unrestorable(Some(&failed), &config()).unwrap();
        assert!(d.detail.contains("PART_FAILED"), "{}", d.detail);
        let d = unrestorable(None, &config()).unwrap();
        assert_eq!(d.summary, "CSS index snapshot not found");
        assert_eq!(d.path, Some(AttributePath::attr("snapshot_id")));
    }

    #[test]
    fn renaming_needs_both_halves() {
        let mut v = Value::Object(Default::default());
        v.set_attr("rename_pattern", Value::string("index_(.+)"));
        v.set_attr("rename_replacement", Value::Null);
        let mut d = Diagnostics::new();
        CssRestoreIndexSnapshot.validate(&v, &mut d);
        let d: Vec<_> = d.iter().collect();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].summary, "rename_pattern needs rename_replacement");
        assert_eq!(d[0].path, Some(AttributePath::attr("rename_replacement")));
    }
}
