//! A stand-in for the official huaweicloud provider
//! (`registry.terraform.io/huaweicloud/huaweicloud`), built with this
//! project's framework, so that tests can hold state written by it and move
//! that state into hwsnap's types with `moved` blocks. Test-only: it is no
//! dependency of the provider crate, and its binary,
//! `terraform-provider-huaweicloud`, is no release binary. The acceptance
//! harness serves it through `dev_overrides` when a test asks
//! (`Workdir::serve_standin`).
//!
//! Main types: [`Standin`] (the provider block: `region`, falling back to
//! `HW_REGION_NAME` like the official provider, and the key arguments it
//! ignores), [`DwsSnapshot`] and [`CssSnapshot`], the official
//! `huaweicloud_dws_snapshot` and `huaweicloud_css_snapshot` with the
//! attributes, modes and schema version of the official provider's DWS and
//! CSS service packages (an implicit optional+computed `id` and a
//! `timeouts` block included, as its Go SDK adds them).
//!
//! The one design decision: it makes nothing in any cloud. A create records
//! the configured attributes and the `id` the test configures (the ID of a
//! snapshot the test made in the emulator), fills the computed attributes
//! the way the official provider's read would for a finished manual
//! snapshot, and writes the private state its Go SDK writes; reads keep the
//! state, deletes forget it. The state then looks like one written by the
//! official provider.

use std::time::Duration;

use hwsnap_framework::cty::Value;
use hwsnap_framework::prelude::*;
use hwsnap_framework::{Attribute, Block, Mode, Registry, Schema};
use time::format_description::well_known::Rfc3339;

/// The address Terraform knows the official provider by.
pub const ADDRESS: &str = "registry.terraform.io/huaweicloud/huaweicloud";

/// The environment variable of the provider's region, as the official
/// provider reads it.
const REGION_ENV: &str = "HW_REGION_NAME";

/// Private state as the official provider's Go SDK writes it.
const SCHEMA_VERSION: private::Key = private::Key::new("schema_version");

/// What configuration gives every operation: the provider's region.
pub struct Region(String);

/// The stand-in provider.
pub struct Standin;

#[async_trait]
impl hwsnap_framework::Provider for Standin {
    type Data = Region;

    fn schema(&self) -> Schema {
        let arg = |name, description: &str| Attribute::string(name, Mode::Optional, description);
        Schema::new(
            0,
            Block::new("A test stand-in for the official huaweicloud provider.")
                .attribute(arg(
                    "region",
                    "The region of the resources. Falls back to `HW_REGION_NAME`.",
                ))
                .attribute(arg("access_key", "Ignored: the stand-in calls no cloud."))
                .attribute(arg("secret_key", "Ignored: the stand-in calls no cloud.").sensitive())
                .attribute(arg("project_id", "Ignored: the stand-in calls no cloud.")),
        )
    }

    async fn configure(&self, config: &Value, diags: &mut Diagnostics) -> Option<Region> {
        let configured = config
            .get_attr("region")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let region = configured.or_else(|| std::env::var(REGION_ENV).ok());
        match region.filter(|r| !r.trim().is_empty()) {
            Some(r) => Some(Region(r)),
            None => {
                diags.error(
                    "Missing region",
                    format!("Set region in the provider block or {REGION_ENV}."),
                );
                None
            }
        }
    }

    fn register(&self, types: &mut Registry<Region>) {
        types.resource(DwsSnapshot).resource(CssSnapshot);
    }
}

type Ctx<'a> = hwsnap_framework::Ctx<'a, Region>;

/// Now, as the cloud's APIs write times.
fn now() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// The configured ID; without one the stand-in cannot stand for anything.
fn configured_id(id: &Option<String>, type_name: &str, diags: &mut Diagnostics) -> Option<String> {
    let id = id.clone().filter(|id| !id.is_empty());
    if id.is_none() {
        diags.error(
            format!("{type_name} needs an id"),
            "The stand-in makes no snapshot: set id to the ID of a snapshot that exists.",
        );
    }
    id
}

model! {
    /// `huaweicloud_dws_snapshot` of the official provider (services/dws, schema version 0).
    pub struct DwsModel {
        /// The region; the provider's when unset.
        region: Option<String> = optional_computed().plan(RequiresReplace),
        /// Snapshot name.
        name: String = required().plan(RequiresReplace),
        /// ID of the cluster for which you want to create a snapshot.
        cluster_id: String = required().plan(RequiresReplace),
        /// Snapshot description.
        description: Option<String> = optional_computed().plan(RequiresReplace),
        /// Time when a snapshot starts to be created.
        started_at: Option<String> = computed(),
        /// Time when a snapshot is complete.
        finished_at: Option<String> = computed(),
        /// Snapshot size, in GB.
        size: Option<Number> = computed(),
        /// Snapshot status.
        status: Option<String> = computed(),
        /// Snapshot type.
        r#type: Option<String> = computed(),
        /// The snapshot ID (the Go SDK's implicit `id`): set it to an existing snapshot's ID.
        id: Option<String> = optional_computed().plan(UseStateForUnknown),
    }
}

/// The official `huaweicloud_dws_snapshot`.
pub struct DwsSnapshot;

#[async_trait]
impl Resource<Region> for DwsSnapshot {
    type Model = DwsModel;
    const TYPE_NAME: &'static str = "huaweicloud_dws_snapshot";
    const TIMEOUTS: &'static [Timeout] = &[Timeout {
        operation: "create",
        default: Duration::from_secs(30 * 60),
    }];

    async fn create(
        &self,
        ctx: &Ctx<'_>,
        req: CreateRequest<DwsModel>,
        resp: &mut CreateResponse<DwsModel>,
    ) {
        let Some(id) = configured_id(&req.config.id, Self::TYPE_NAME, &mut resp.diagnostics) else {
            return;
        };
        let s = &mut resp.state;
        s.id = Some(id);
        s.region = Some(req.config.region.unwrap_or_else(|| ctx.data.0.clone()));
        s.description = Some(req.config.description.unwrap_or_default());
        (s.started_at, s.finished_at) = (Some(now()), Some(now()));
        s.size = Number::from_f64(0.0);
        s.status = Some("AVAILABLE".into());
        s.r#type = Some("MANUAL".into());
        resp.private.set(SCHEMA_VERSION, "0");
    }

    async fn read(&self, _: &Ctx<'_>, _: ReadRequest<DwsModel>, _: &mut ReadResponse<DwsModel>) {}

    async fn delete(&self, _: &Ctx<'_>, _: DeleteRequest<DwsModel>, _: &mut DeleteResponse) {}
}

model! {
    /// `huaweicloud_css_snapshot` of the official provider (services/css, schema version 0).
    pub struct CssModel {
        /// ID of the CSS cluster where index data is to be backed up.
        cluster_id: String = required().plan(RequiresReplace),
        /// The snapshot name.
        name: String = required().plan(RequiresReplace),
        /// The description of the snapshot.
        description: Option<String> = optional().plan(RequiresReplace),
        /// The indices to back up, comma-separated; all when unset.
        index: Option<String> = optional_computed().plan(RequiresReplace),
        /// The snapshot status.
        status: Option<String> = computed(),
        /// The CSS cluster name.
        cluster_name: Option<String> = computed(),
        /// How the snapshot was made: `manual` or `automated`.
        backup_type: Option<String> = computed(),
        /// The snapshot ID (the Go SDK's implicit `id`): set it to an existing snapshot's ID.
        id: Option<String> = optional_computed().plan(UseStateForUnknown),
    }
}

/// The official `huaweicloud_css_snapshot`.
pub struct CssSnapshot;

#[async_trait]
impl Resource<Region> for CssSnapshot {
    type Model = CssModel;
    const TYPE_NAME: &'static str = "huaweicloud_css_snapshot";
    const TIMEOUTS: &'static [Timeout] = &[
        Timeout {
            operation: "create",
            default: Duration::from_secs(10 * 60),
        },
        Timeout {
            operation: "delete",
            default: Duration::from_secs(10 * 60),
        },
    ];

    async fn create(
        &self,
        _: &Ctx<'_>,
        req: CreateRequest<CssModel>,
        resp: &mut CreateResponse<CssModel>,
    ) {
        let Some(id) = configured_id(&req.config.id, Self::TYPE_NAME, &mut resp.diagnostics) else {
            return;
        };
        let s = &mut resp.state;
        s.id = Some(id);
        s.index = Some(req.config.index.unwrap_or_else(|| "*".into()));
        s.status = Some("COMPLETED".into());
        s.cluster_name = Some(String::new());
        s.backup_type = Some("manual".into());
        resp.private.set(SCHEMA_VERSION, "0");
    }

    async fn read(&self, _: &Ctx<'_>, _: ReadRequest<CssModel>, _: &mut ReadResponse<CssModel>) {}

    async fn delete(&self, _: &Ctx<'_>, _: DeleteRequest<CssModel>, _: &mut DeleteResponse) {}
}

#[cfg(test)]
mod tests {
    use hwsnap_framework::Server;

    use super::*;

    /// The attributes of a served type: (name, mode).
    fn attributes(s: &Server<Standin>, type_name: &str) -> Vec<(&'static str, Mode)> {
        let schema = s.resource_schema(type_name).unwrap();
        assert_eq!(schema.version, 0, "the official schema version");
        schema
            .block
            .attributes
            .iter()
            .map(|a| (a.name, a.mode))
            .collect()
    }

    #[test]
    fn the_official_schemas() {
        use Mode::{Computed as C, Optional as O, OptionalComputed as OC, Required as R};
        let s = Server::new(Standin);
        assert_eq!(
            attributes(&s, "huaweicloud_dws_snapshot"),
            [
                ("region", OC),
                ("name", R),
                ("cluster_id", R),
                ("description", OC),
                ("started_at", C),
                ("finished_at", C),
                ("size", C),
                ("status", C),
                ("type", C),
                ("id", OC),
            ]
        );
        assert_eq!(
            attributes(&s, "huaweicloud_css_snapshot"),
            [
                ("cluster_id", R),
                ("name", R),
                ("description", O),
                ("index", OC),
                ("status", C),
                ("cluster_name", C),
                ("backup_type", C),
                ("id", OC),
            ]
        );
        for t in ["huaweicloud_dws_snapshot", "huaweicloud_css_snapshot"] {
            let b = &s.resource_schema(t).unwrap().block;
            assert_eq!(b.blocks.len(), 1, "{t}: the timeouts block");
        }
    }
}
