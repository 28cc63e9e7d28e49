//! # dws_snapshot
//!
//! A manual snapshot of a GaussDB(DWS) cluster
//! (`POST /v1.0/{project_id}/snapshots`). Every argument forces a new
//! snapshot: the cloud cannot change one in place. Create waits until the
//! snapshot is `AVAILABLE`; delete waits until it is gone.
//!
//! Import ID: the snapshot ID. Identity: `{ id }`. Moves: from the official
//! provider's `huaweicloud_dws_snapshot`, and from `dws_snapshot` of
//! `hwsnap/hwsnap` (see [`super::moved`]).

use hwsnap_cloud::{Client, CreateDwsSnapshot, DwsSnapshot as Cloud};
use hwsnap_framework::prelude::*;

use super::moved::{self, OfficialDwsSnapshot};
use super::{Ctx, NewSnapshot, TIMEOUTS, cluster_id_pattern, create_and_wait, delete_and_wait};
use super::{found, scope};

pub(crate) const KIND: &str = "DWS snapshot";

/// The cloud's rules for a DWS snapshot's name and description, shared
/// with the `dws_create_snapshot` action.
pub(crate) const NAME_LENGTH: (usize, usize) = (4, 64);
pub(crate) const DESCRIPTION_LENGTH: usize = 256;
pub(crate) const DESCRIPTION_FORBIDDEN: &str = "!<>'=&\"";

/// What a name (or the start of one) may contain.
pub(crate) fn name_chars() -> Pattern {
    Pattern::new(
        r"^[A-Za-z][A-Za-z0-9_-]*$",
        "start with a letter and contain only letters, digits, - and _",
    )
}

snapshot_model! {
    /// A manual snapshot of a GaussDB(DWS) cluster. Creating one waits until the snapshot is
    /// `AVAILABLE`; destroying one deletes it and waits until it is gone. Any change of an
    /// argument replaces the snapshot.
    pub struct Model {
        /// The ID of the DWS cluster to snapshot.
        cluster_id: String = required()
            .validate(cluster_id_pattern("44b277eb-39be-4921-be31-3d61b43651d7"))
            .plan(RequiresReplace),
        /// The snapshot's name, unique per cluster (case-insensitively).
        name: String = required()
            .validate(Length::between(NAME_LENGTH.0, NAME_LENGTH.1))
            .validate(name_chars())
            .plan(RequiresReplace),
        /// A description of the snapshot.
        description: Option<String> = optional()
            .validate(Length::at_most(DESCRIPTION_LENGTH))
            .validate(ForbiddenChars(DESCRIPTION_FORBIDDEN))
            .plan(RequiresReplace),
        /// The snapshot ID.
        id: Option<String> = computed().plan(UseStateForUnknown).identity(),
        /// The snapshot's status: `CREATING`, `AVAILABLE`, `UNAVAILABLE`, `FROZEN` or `POLICE_FROZEN`.
        status: Option<String> = computed(),
        /// `MANUAL` for manual snapshots (those this resource makes), `AUTOMATED` for those the
        /// cluster's snapshot policy made.
        r#type: Option<String> = computed(),
        /// The snapshot's size in GB.
        size: Option<Number> = computed(),
    }
}

/// The `dws_snapshot` resource type.
pub struct DwsSnapshot;

#[async_trait]
impl Resource<Client> for DwsSnapshot {
    type Model = Model;
    const TYPE_NAME: &'static str = "dws_snapshot";
    const TIMEOUTS: &'static [Timeout] = TIMEOUTS;

    async fn create(
        &self,
        ctx: &Ctx<'_>,
        req: CreateRequest<Model>,
        resp: &mut CreateResponse<Model>,
    ) {
        let (p, request) = (&req.planned, req.planned.to_cloud());
        let (dws, scope) = (ctx.data.dws(), &scope(ctx));
        let new = NewSnapshot::new(KIND, &p.name, &p.cluster_id);
        let ready = create_and_wait(
            ctx,
            (&mut resp.state.id, &mut resp.diagnostics),
            new,
            || dws.create_snapshot(&request, scope),
            // A show is always fresh: nothing to demand of it.
            |id, _| async move { dws.show_snapshot(&id, scope).await },
        );
        if let Some(s) = ready.await {
            resp.state = Model::from_cloud(&s, &p.cluster_id);
        }
    }

    async fn read(&self, ctx: &Ctx<'_>, req: ReadRequest<Model>, resp: &mut ReadResponse<Model>) {
        let Some(id) = req.state.id.filter(|id| !id.is_empty()) else {
            return resp.gone("The DWS snapshot");
        };
        moved::check_region(ctx, resp, &format!("{KIND} {id}"));
        // Right after an import only the ID is known; later refreshes share
        // the cluster's list.
        let (dws, scope, cluster_id) = (ctx.data.dws(), &scope(ctx), &req.state.cluster_id);
        let result = if cluster_id.is_empty() {
            dws.show_snapshot(&id, scope).await
        } else {
            dws.find_snapshot(cluster_id, &id, scope).await
        };
        if let Some(s) = found(resp, &format!("{KIND} {id}"), result) {
            resp.state = Model::from_cloud(&s, &req.state.cluster_id);
        }
    }

    async fn delete(&self, ctx: &Ctx<'_>, req: DeleteRequest<Model>, resp: &mut DeleteResponse) {
        let Some(id) = req.prior.id.filter(|id| !id.is_empty()) else {
            return;
        };
        let (dws, scope) = (ctx.data.dws(), &scope(ctx));
        let what = format!("{KIND} {id}");
        let delete = || dws.delete_snapshot(&id, scope);
        let show = |_| dws.show_snapshot(&id, scope);
        delete_and_wait(ctx, &what, &mut resp.diagnostics, delete, show).await;
    }

    fn import(&self) -> Option<Import> {
        let id = uuid("id").shown_as("snapshot_id");
        Some(import::passthrough(id))
    }

    fn moves(&self) -> Vec<MoveSource<Model>> {
        moved::sources(moved::DWS, "huaweicloud_dws_snapshot", Model::from_official)
    }
}

impl Model {
    /// What the cloud needs to make this snapshot.
    fn to_cloud(&self) -> CreateDwsSnapshot {
        CreateDwsSnapshot {
            name: self.name.clone(),
            cluster_id: self.cluster_id.clone(),
            description: self.description.clone(),
        }
    }

    /// An official `huaweicloud_dws_snapshot`: what identifies and
    /// configures it; the next read fills in the rest.
    fn from_official(req: MoveRequest<OfficialDwsSnapshot>, resp: &mut MoveResponse<Model>) {
        let s = req.source;
        resp.state.id = Some(s.id);
        resp.state.cluster_id = s.cluster_id.unwrap_or_default();
        resp.state.name = s.name.unwrap_or_default();
        resp.state.description = moved::text(s.description);
        moved::keep_region(s.region, &mut resp.private);
    }

    /// Everything the cloud reports; the cluster ID stays when it says none.
    /// Also what the list resource and data source report of each snapshot.
    pub(crate) fn from_cloud(s: &Cloud, cluster_id: &str) -> Self {
        let text = |t: &Option<String>| t.clone().filter(|t| !t.is_empty());
        Self {
            cluster_id: text(&s.cluster_id).unwrap_or_else(|| cluster_id.to_owned()),
            name: s.name.clone(),
            description: text(&s.description),
            id: Some(s.id.clone()),
            status: Some(s.status.as_str().to_owned()),
            r#type: s.snapshot_type.as_ref().map(|t| t.as_str().to_owned()),
            size: s.size.and_then(Number::from_f64),
            started_at: s.started,
            finished_at: s.finished,
            cluster_name: text(&s.cluster_name),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use hwsnap_cloud::{DwsSnapshotType, DwsStatus};
    use hwsnap_framework::Model as _;
    use hwsnap_framework::cty::Value;

    pub(crate) fn snapshot() -> Cloud {
        Cloud {
            id: "2a4d0f86-67cd-408a-8b66-017454fb7793".into(),
            name: "nightly".into(),
            description: Some(String::new()),
            status: DwsStatus::Available,
            snapshot_type: Some(DwsSnapshotType::Manual),
            size: Some(0.5),
            started: time::OffsetDateTime::from_unix_timestamp(1_764_072_000).ok(),
            finished: None,
            updated: None,
            cluster_id: Some("44b277eb-39be-4921-be31-3d61b43651d7".into()),
            cluster_name: Some("dws-1".into()),
            progress: None,
            datastore: None,
        }
    }

    #[test]
    fn state_holds_what_the_cloud_reports() {
        let state = Model::from_cloud(&snapshot(), "other").to_value();
        assert_eq!(state.get_attr("description"), Some(&Value::Null));
        assert_eq!(
            state.get_attr("started_at"),
            Some(&Value::string("2025-11-25T12:00:00Z"))
        );
        assert_eq!(state.get_attr("type"), Some(&Value::string("MANUAL")));
        assert_eq!(
            state.get_attr("size"),
            Some(&Value::Number("0.5".parse().unwrap()))
        );
        assert_eq!(
            state.get_attr("cluster_id"),
            Some(&Value::string("44b277eb-39be-4921-be31-3d61b43651d7"))
        );
        let no_cluster = Cloud {
            cluster_id: None,
            ..snapshot()
        };
        let kept = Model::from_cloud(&no_cluster, "44b277eb");
        assert_eq!(kept.cluster_id, "44b277eb", "kept when the cloud says none");
    }
}
