//! The schema twin of `dws_snapshot`, a contender in the bench
//! (`scripts/bench`): what a provider with `dws_snapshot`'s schema costs
//! Terraform and this framework when it does no real work. Bench-only: no
//! dependency of the provider crate, and its binary,
//! `terraform-provider-twin` (source `hwsnap/twin`), is no release binary.
//!
//! Main types: [`Twin`] (the provider block: the hwsnap provider's own
//! schema and validation, configured without any request) and
//! [`TwinSnapshot`] (`twin_snapshot`: `dws_snapshot`'s model, schema
//! version, timeouts, identity, import and moves, taken from
//! [`hwsnap::resources::DwsSnapshot`], not copied).
//!
//! The one design decision: it calls no cloud. A create fills the computed
//! attributes locally the way a finished `dws_snapshot` create does (a new
//! UUID, `AVAILABLE`, `MANUAL`, the emulator's size of a finished
//! snapshot); a read keeps the state, a delete forgets it. So the bench's
//! hwsnap / twin ratio is the cost of real work (API calls, waiting) and
//! twin / Go `null` what the schema costs Terraform plus the framework's
//! overhead.

use hwsnap::resources::{DwsSnapshot, DwsSnapshotModel};
use hwsnap::{HwsnapProvider, Serves};
use hwsnap_cloud::Client;
use hwsnap_framework::cty::Value;
use hwsnap_framework::prelude::*;
use hwsnap_framework::{Provider, Registry, Schema};

/// The address Terraform knows the twin by.
pub const ADDRESS: &str = "registry.terraform.io/hwsnap/twin";

/// The size a finished snapshot has in the emulator, in GB.
const FINISHED_SIZE_GB: f64 = 0.25;

/// The twin provider: `dws_snapshot`'s provider block, no client.
pub struct Twin;

/// The provider whose block the twin copies.
fn hwsnap() -> HwsnapProvider {
    HwsnapProvider::new(Serves::Dws)
}

#[async_trait]
impl Provider for Twin {
    type Data = ();

    fn schema(&self) -> Schema {
        hwsnap().schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        hwsnap().validate(config, diags);
    }

    /// No client and no credential check: the twin makes no request.
    async fn configure(&self, _config: &Value, _diags: &mut Diagnostics) -> Option<()> {
        Some(())
    }

    fn register(&self, types: &mut Registry<()>) {
        types.resource(TwinSnapshot);
    }
}

/// `twin_snapshot`: `dws_snapshot`'s schema, no API calls.
pub struct TwinSnapshot;

#[async_trait]
impl Resource<()> for TwinSnapshot {
    type Model = DwsSnapshotModel;
    const TYPE_NAME: &'static str = "twin_snapshot";
    const VERSION: i64 = <DwsSnapshot as Resource<Client>>::VERSION;
    const TIMEOUTS: &'static [Timeout] = <DwsSnapshot as Resource<Client>>::TIMEOUTS;

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        Resource::<Client>::validate(&DwsSnapshot, config, diags);
    }

    async fn create(
        &self,
        _: &Ctx<'_, ()>,
        _: CreateRequest<DwsSnapshotModel>,
        resp: &mut CreateResponse<DwsSnapshotModel>,
    ) {
        let s = &mut resp.state;
        let now = OffsetDateTime::now_utc();
        let now = now.replace_nanosecond(0).unwrap_or(now);
        s.id = Some(uuid::Uuid::new_v4().to_string());
        s.status = Some("AVAILABLE".into());
        s.r#type = Some("MANUAL".into());
        s.size = Number::from_f64(FINISHED_SIZE_GB);
        (s.started_at, s.finished_at) = (Some(now), Some(now));
        s.cluster_name = Some(format!("twin-{}", prefix(&s.cluster_id)));
    }

    async fn read(
        &self,
        _: &Ctx<'_, ()>,
        _: ReadRequest<DwsSnapshotModel>,
        _: &mut ReadResponse<DwsSnapshotModel>,
    ) {
    }

    async fn delete(
        &self,
        _: &Ctx<'_, ()>,
        _: DeleteRequest<DwsSnapshotModel>,
        _: &mut DeleteResponse,
    ) {
    }

    fn import(&self) -> Option<Import> {
        Resource::<Client>::import(&DwsSnapshot)
    }

    fn moves(&self) -> Vec<MoveSource<DwsSnapshotModel>> {
        Resource::<Client>::moves(&DwsSnapshot)
    }
}

/// The first eight characters of a cluster ID (all of a shorter one).
fn prefix(cluster_id: &str) -> &str {
    cluster_id.get(..8).unwrap_or(cluster_id)
}

#[cfg(test)]
mod tests {
    use hwsnap_cty::msgpack;
    use hwsnap_framework::Server;
    use hwsnap_plugin::proto::tfplugin6 as pb;
    use pb::provider_server::Provider as _;
    use tonic::Request;

    use super::*;

    fn twin() -> Server<Twin> {
        Server::new(Twin)
    }

    async fn schemas<P: Provider>(s: &Server<P>) -> pb::get_provider_schema::Response {
        let r = s
            .get_provider_schema(Request::new(Default::default()))
            .await;
        r.expect("GetProviderSchema").into_inner()
    }

    async fn identities<P: Provider>(s: &Server<P>) -> pb::get_resource_identity_schemas::Response {
        let r = s.get_resource_identity_schemas(Request::new(Default::default()));
        r.await.expect("GetResourceIdentitySchemas").into_inner()
    }

    /// What Terraform is told about `twin_snapshot` is, byte for byte, what
    /// it is told about `dws_snapshot`: attributes, descriptions, modes,
    /// timeouts block, version, identity and the provider block.
    #[tokio::test]
    async fn the_schema_is_dws_snapshots() {
        let real = Server::new(hwsnap());
        let (ours, theirs) = (schemas(&twin()).await, schemas(&real).await);
        assert_eq!(ours.resource_schemas.len(), 1);
        let twin_schema = &ours.resource_schemas["twin_snapshot"];
        assert_eq!(twin_schema, &theirs.resource_schemas["dws_snapshot"]);
        assert!(twin_schema.version >= 0);
        let block = twin_schema.block.as_ref().expect("a block");
        assert!(
            block.attributes.len() >= 10,
            "{} attributes",
            block.attributes.len()
        );
        assert_eq!(block.block_types.len(), 1, "the timeouts block");
        assert_eq!(ours.provider, theirs.provider);

        let (ours, theirs) = (identities(&twin()).await, identities(&real).await);
        let twin_identity = &ours.identity_schemas["twin_snapshot"];
        assert_eq!(twin_identity, &theirs.identity_schemas["dws_snapshot"]);
        assert_eq!(twin_identity.identity_attributes.len(), 1);
    }

    fn object(attrs: &[(&str, &str)]) -> Value {
        Value::Object(
            attrs
                .iter()
                .map(|(k, v)| (k.to_string(), Value::string(*v)))
                .collect(),
        )
    }

    /// A configuration of `twin_snapshot`: the schema's object, every
    /// attribute null but the two required ones.
    fn config(s: &Server<Twin>) -> (Value, hwsnap_framework::cty::Type) {
        let schema = s.resource_schema("twin_snapshot").expect("served");
        let ty = schema.value_type();
        let mut v = schema.block.null_object();
        let Value::Object(attrs) = &mut v else {
            panic!("not an object: {v:?}");
        };
        let set = object(&[
            ("cluster_id", "44b277eb-39be-4921-be31-3d61b43651d7"),
            ("name", "nightly"),
        ]);
        let Value::Object(set) = set else {
            unreachable!()
        };
        attrs.extend(set);
        (v, ty)
    }

    fn dynamic(v: &Value, ty: &hwsnap_framework::cty::Type) -> Option<pb::DynamicValue> {
        Some(pb::DynamicValue {
            msgpack: msgpack::encode(v, ty).expect("encode"),
            json: Vec::new(),
        })
    }

    /// Plan and apply of a create through the server as Terraform makes
    /// them: no error, a wholly known state with a UUID ID, and the
    /// configured arguments kept; no provider data needed beyond `()`.
    #[tokio::test]
    async fn create_fills_every_computed_attribute_without_a_cloud() {
        let s = twin();
        let configured = s
            .configure_provider(Request::new(pb::configure_provider::Request {
                config: dynamic(
                    &s.provider_schema().block.null_object(),
                    &s.provider_schema().value_type(),
                ),
                ..Default::default()
            }))
            .await
            .expect("ConfigureProvider")
            .into_inner();
        assert!(
            configured.diagnostics.is_empty(),
            "{:?}",
            configured.diagnostics
        );

        let (cfg, ty) = config(&s);
        let prior = Value::Null;
        let plan = s
            .plan_resource_change(Request::new(pb::plan_resource_change::Request {
                type_name: "twin_snapshot".into(),
                prior_state: dynamic(&prior, &ty),
                proposed_new_state: dynamic(&cfg, &ty),
                config: dynamic(&cfg, &ty),
                ..Default::default()
            }))
            .await
            .expect("PlanResourceChange")
            .into_inner();
        assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
        let applied = s
            .apply_resource_change(Request::new(pb::apply_resource_change::Request {
                type_name: "twin_snapshot".into(),
                prior_state: dynamic(&prior, &ty),
                planned_state: plan.planned_state,
                config: dynamic(&cfg, &ty),
                planned_private: plan.planned_private,
                ..Default::default()
            }))
            .await
            .expect("ApplyResourceChange")
            .into_inner();
        assert!(applied.diagnostics.is_empty(), "{:?}", applied.diagnostics);
        let bytes = applied.new_state.expect("a new state").msgpack;
        let state = msgpack::decode(&bytes, &ty).expect("decode the new state");
        let text = |k: &str| state.get_attr(k).and_then(Value::as_str).map(str::to_owned);
        let id = text("id").expect("an id");
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id} is a UUID");
        assert_eq!(text("status").as_deref(), Some("AVAILABLE"));
        assert_eq!(text("type").as_deref(), Some("MANUAL"));
        assert_eq!(text("name").as_deref(), Some("nightly"));
        assert_eq!(text("cluster_name").as_deref(), Some("twin-44b277eb"));
        assert!(text("started_at").is_some() && text("finished_at").is_some());
        assert_eq!(
            state.get_attr("size"),
            Some(&Value::Number("0.25".parse().expect("a number")))
        );
    }
}
