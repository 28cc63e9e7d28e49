//! # css_index_snapshot
//!
//! A manual index snapshot of a Cloud Search Service cluster
//! (`POST /v1.0/{project_id}/clusters/{cluster_id}/index_snapshot`). Every
//! argument forces a new snapshot. Create waits until the snapshot is
//! `COMPLETED`; delete waits until it is gone. CSS has no show-by-ID call,
//! so reads look the snapshot up in its cluster's list.
//!
//! Import ID: `<cluster_id>/<snapshot_id>`. Identity: `{ cluster_id, id }`.
//! Moves: from the official provider's `huaweicloud_css_snapshot` (its
//! `index` is `indices` here), and from `css_index_snapshot` of
//! `hwsnap/hwsnap` (see [`super::moved`]).

use hwsnap_cloud::{Client, CreateCssSnapshot, CssSnapshot as Cloud};
use hwsnap_framework::prelude::*;

use super::moved::{self, OfficialCssSnapshot};
use super::{Ctx, NewSnapshot, TIMEOUTS, cluster_id_pattern, create_and_wait, delete_and_wait};
use super::{found, scope};

pub(crate) const KIND: &str = "CSS index snapshot";
pub(crate) const CLUSTER_EXAMPLE: &str = "4f3deec3-efa8-4598-bf91-560aad1377a3";

/// The cloud's rules for a CSS snapshot's name, description and indices,
/// shared with the CSS actions.
pub(crate) const NAME_LENGTH: (usize, usize) = (4, 64);
pub(crate) const DESCRIPTION_LENGTH: usize = 256;
pub(crate) const DESCRIPTION_FORBIDDEN: &str = "<>!=&\"'";
pub(crate) const INDICES_LENGTH: usize = 1024;

/// What a name (or the start of one) may contain.
pub(crate) fn name_chars() -> Pattern {
    Pattern::new(
        r"^[a-z][a-z0-9_-]*$",
        "start with a lowercase letter and contain only lowercase letters, digits, - and _",
    )
}

/// A comma-separated list of index names or patterns.
pub(crate) fn indices_list() -> Pattern {
    Pattern::new(
        r#"^[^A-Z\s"\\<|>/?,]+(,[^A-Z\s"\\<|>/?,]+)*$"#,
        "be a comma-separated list of lowercase index names or patterns, with no spaces and no \
         empty entries; dots, - and * are allowed, the characters \" \\ < | > / ? are not",
    )
}

snapshot_model! {
    /// A manual index snapshot of a Cloud Search Service cluster, stored in the cluster's
    /// snapshot bucket (which must be configured). Creating one waits until it is `COMPLETED`;
    /// destroying one deletes it and waits until it is gone. Any change of an argument replaces
    /// the snapshot.
    pub struct Model {
        /// The ID of the CSS cluster.
        cluster_id: String = required()
            .validate(cluster_id_pattern(CLUSTER_EXAMPLE))
            .plan(RequiresReplace)
            .identity(),
        /// The snapshot's name, unique per cluster.
        name: String = required()
            .validate(Length::between(NAME_LENGTH.0, NAME_LENGTH.1))
            .validate(name_chars())
            .plan(RequiresReplace),
        /// A description of the snapshot.
        description: Option<String> = optional()
            .validate(Length::at_most(DESCRIPTION_LENGTH))
            .validate(ForbiddenChars(DESCRIPTION_FORBIDDEN))
            .plan(RequiresReplace),
        /// The indices to snapshot, comma-separated; `*` matches any characters (`logs-2026*`).
        /// Unset means all indices, and the state then holds what the cloud reports.
        indices: Option<String> = optional_computed()
            .validate(Length::between(1, INDICES_LENGTH))
            .validate(indices_list())
            .plan(RequiresReplace),
        /// The snapshot ID.
        id: Option<String> = computed().plan(UseStateForUnknown).identity(),
        /// The snapshot's status: `BUILDING`, `COMPLETED`, `FAILED` or `PART_FAILED`.
        status: Option<String> = computed(),
        /// `manual` for manual snapshots (those this resource makes), `auto` for those the
        /// cluster's snapshot policy made.
        backup_method: Option<String> = computed(),
        /// How many shards the snapshot holds.
        total_shards: Option<u64> = computed(),
        /// How many shards failed.
        failed_shards: Option<u64> = computed(),
        /// The OBS bucket holding the snapshot.
        bucket_name: Option<String> = computed(),
    }
}

/// The `css_index_snapshot` resource type.
pub struct CssIndexSnapshot;

#[async_trait]
impl Resource<Client> for CssIndexSnapshot {
    type Model = Model;
    const TYPE_NAME: &'static str = "css_index_snapshot";
    const TIMEOUTS: &'static [Timeout] = TIMEOUTS;

    async fn create(
        &self,
        ctx: &Ctx<'_>,
        req: CreateRequest<Model>,
        resp: &mut CreateResponse<Model>,
    ) {
        let (p, request) = (&req.planned, req.planned.to_cloud());
        let (css, scope, cluster_id) = (ctx.data.css(), &scope(ctx), p.cluster_id.as_str());
        let new = NewSnapshot::new(KIND, &p.name, cluster_id);
        let ready = create_and_wait(
            ctx,
            (&mut resp.state.id, &mut resp.diagnostics),
            new,
            || css.create_snapshot(cluster_id, &request, scope),
            |id, fresh| async move { css.find_snapshot_fresh(cluster_id, &id, fresh, scope).await },
        );
        if let Some(s) = ready.await {
            resp.state = Model::from_cloud(&s, cluster_id, p.indices.clone());
        }
    }

    async fn read(&self, ctx: &Ctx<'_>, req: ReadRequest<Model>, resp: &mut ReadResponse<Model>) {
        let (cluster_id, id) = (req.state.cluster_id, req.state.id.unwrap_or_default());
        if cluster_id.is_empty() || id.is_empty() {
            return resp.gone("The CSS index snapshot");
        }
        moved::check_region(ctx, resp, &format!("{KIND} {id}"));
        let result = ctx
            .data
            .css()
            .find_snapshot(&cluster_id, &id, &scope(ctx))
            .await;
        // Right after an import nothing but the IDs is known yet.
        if req.state.name.is_empty()
            && let Err(e) = &result
            && e.is_cluster_not_found()
        {
            return resp.diagnostics.push(missing_cluster(&cluster_id, e));
        }
        if let Some(s) = found(resp, &format!("{KIND} {id}"), result) {
            resp.state = Model::from_cloud(&s, &cluster_id, req.state.indices);
        }
    }

    async fn delete(&self, ctx: &Ctx<'_>, req: DeleteRequest<Model>, resp: &mut DeleteResponse) {
        let (cluster_id, id) = (req.prior.cluster_id, req.prior.id.unwrap_or_default());
        if cluster_id.is_empty() || id.is_empty() {
            return;
        }
        let (css, scope) = (ctx.data.css(), &scope(ctx));
        let what = format!("{KIND} {id}");
        let delete = || css.delete_snapshot(&cluster_id, &id, scope);
        let show = |fresh| css.find_snapshot_fresh(&cluster_id, &id, fresh, scope);
        delete_and_wait(ctx, &what, &mut resp.diagnostics, delete, show).await;
    }

    fn import(&self) -> Option<Import> {
        let cluster = uuid("cluster_id").example(CLUSTER_EXAMPLE);
        let id = uuid("id")
            .shown_as("snapshot_id")
            .example("6c3b1e34-1fbb-4b4e-9ae9-20d2cfc0e2fd");
        Some(import::split([cluster, id], '/'))
    }

    fn moves(&self) -> Vec<MoveSource<Model>> {
        moved::sources(moved::CSS, "huaweicloud_css_snapshot", Model::from_official)
    }

    /// `indices` is left out when it is `*`, the cloud's choice when unset.
    fn generate_config(&self, config: &mut Model) {
        if config.indices.as_deref() == Some("*") {
            config.indices = None;
        }
    }
}

/// An import naming a cluster the cloud does not know: an error of its own,
/// not "gone" (which Terraform reports as "Cannot import non-existent remote
/// object").
fn missing_cluster(cluster_id: &str, err: &hwsnap_cloud::Error) -> Diagnostic {
    Diagnostic::error(
        format!("CSS cluster {cluster_id} was not found"),
        format!(
            "The import names CSS cluster {cluster_id}, which the cloud does not know ({err}). \
             Check the cluster ID (the part before the /) and that region and project_id are where \
             the cluster is."
        ),
    )
    .at(hwsnap_framework::cty::AttributePath::attr("cluster_id"))
}

impl Model {
    /// What the cloud needs to make this snapshot.
    fn to_cloud(&self) -> CreateCssSnapshot {
        CreateCssSnapshot {
            name: self.name.clone(),
            description: self.description.clone(),
            indices: self.indices.clone(),
        }
    }

    /// An official `huaweicloud_css_snapshot`: what identifies and
    /// configures it, `index` as `indices`; the next read fills in the rest.
    fn from_official(req: MoveRequest<OfficialCssSnapshot>, resp: &mut MoveResponse<Model>) {
        let s = req.source;
        resp.state.id = Some(s.id);
        resp.state.cluster_id = s.cluster_id;
        resp.state.name = s.name.unwrap_or_default();
        resp.state.description = moved::text(s.description);
        resp.state.indices = moved::text(s.index);
        moved::keep_region(s.region, &mut resp.private);
    }

    /// Everything the cloud reports. `indices` comes from the cloud only
    /// when the state has none yet (unset in configuration, or imported).
    /// Also what the list resource and data source report of each snapshot
    /// (with no `indices` of their own).
    pub(crate) fn from_cloud(s: &Cloud, cluster_id: &str, indices: Option<String>) -> Self {
        let text = |t: &Option<String>| t.clone().filter(|t| !t.is_empty());
        Self {
            cluster_id: cluster_id.to_owned(),
            name: s.name.clone(),
            description: text(&s.description),
            indices: indices
                .filter(|i| !i.is_empty())
                .or_else(|| text(&s.indices)),
            id: Some(s.id.clone()),
            status: Some(s.status.as_str().to_owned()),
            backup_method: s.backup_method.as_ref().map(|m| m.as_str().to_owned()),
            total_shards: s.total_shards,
            failed_shards: s.failed_shards,
            bucket_name: text(&s.bucket_name),
            started_at: s.start_time,
            finished_at: s.end_time,
            cluster_name: text(&s.cluster_name),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use hwsnap_cloud::CssStatus;
    use hwsnap_framework::Model as _;
    use hwsnap_framework::cty::Value;

    pub(crate) fn snapshot() -> Cloud {
        Cloud {
            id: "6c3b1e34-1fbb-4b4e-9ae9-20d2cfc0e2fd".into(),
            name: "nightly".into(),
            description: None,
            status: CssStatus::Completed,
            backup_method: Some(hwsnap_cloud::CssBackupMethod::Manual),
            backup_type: Some(hwsnap_cloud::CssBackupType::Manual),
            indices: Some("index-a,index-b".into()),
            total_shards: Some(6),
            failed_shards: Some(0),
            bucket_name: Some("css-backups".into()),
            restore_status: None,
            start_time: time::OffsetDateTime::from_unix_timestamp(1_764_072_000).ok(),
            end_time: time::OffsetDateTime::from_unix_timestamp(1_764_072_003).ok(),
            created: None,
            updated: None,
            cluster_id: None,
            cluster_name: Some("css-1".into()),
            ..Cloud::default()
        }
    }

    #[test]
    fn every_computed_attribute_is_written() {
        let state = Model::from_cloud(&snapshot(), CLUSTER_EXAMPLE, None).to_value();
        for (name, v) in state.as_object().unwrap() {
            if name != "description" {
                assert!(!v.is_null(), "{name} not written");
            }
        }
        assert_eq!(
            state.get_attr("finished_at"),
            Some(&Value::string("2025-11-25T12:00:03Z"))
        );
        assert_eq!(
            state.get_attr("indices"),
            Some(&Value::string("index-a,index-b"))
        );
    }

    #[test]
    fn the_indices_rule_says_dots_are_allowed_and_means_it() {
        let schema = hwsnap_framework::resource::schema::<Client, CssIndexSnapshot>();
        let indices = schema.block.find_attribute("indices").expect("indices");
        let check = |v: &str| {
            indices
                .validators
                .iter()
                .all(|r| r.validate(&Value::string(v)).is_ok())
        };
        for good in ["logs.2026.*", "a.b,c-d,e*", ".hidden"] {
            assert!(check(good), "{good}");
        }
        for bad in ["a/b", "a?", "a b", "A"] {
            assert!(!check(bad), "{bad}");
        }
        let rule: Vec<String> = indices.validators.iter().map(|r| r.description()).collect();
        let rule = rule.join(" ");
        assert!(rule.contains("dots, - and * are allowed"), "{rule}");
        assert!(
            rule.ends_with("are not"),
            "no full stop right after a forbidden ?: {rule}"
        );
    }

    #[test]
    fn configured_indices_are_kept() {
        let s = Model::from_cloud(&snapshot(), "c", Some("index-*".into()));
        assert_eq!(s.indices.as_deref(), Some("index-*"));
    }

    #[test]
    fn generated_config_leaves_out_the_default_indices() {
        let mut all = Model::from_cloud(&snapshot(), "c", Some("*".into()));
        CssIndexSnapshot.generate_config(&mut all);
        assert_eq!(all.indices, None);
        let mut some = Model::from_cloud(&snapshot(), "c", None);
        CssIndexSnapshot.generate_config(&mut some);
        assert_eq!(some.indices.as_deref(), Some("index-a,index-b"));
    }
}
