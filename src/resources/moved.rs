//! What `moved` blocks into the snapshot types share: the official
//! huaweicloud provider (`huaweicloud/huaweicloud`) as a source, the states
//! of its two snapshot types as far as a move reads them, the moves between
//! hwsnap's own providers, and the region the official state recorded.
//!
//! A move runs before the provider is configured, so it cannot compare the
//! official state's `region` with the provider's. It keeps it in private
//! state instead, and the first read after the move warns when the two
//! differ ([`check_region`]), then drops it.

use hwsnap_framework::prelude::*;

use super::Ctx;

/// The official provider, as Terraform and other tools name it.
pub(crate) const OFFICIAL: ProviderName = ProviderName::new("huaweicloud", "huaweicloud");

/// `terraform-provider-hwsnap`, which serves both types.
const HWSNAP: ProviderName = ProviderName::new("hwsnap", "hwsnap");
/// `terraform-provider-dws`.
pub(crate) const DWS: ProviderName = ProviderName::new("hwsnap", "dws");
/// `terraform-provider-css`.
pub(crate) const CSS: ProviderName = ProviderName::new("hwsnap", "css");

/// The region of the official state, until the first read has checked it.
const MOVED_REGION: private::Key = private::Key::new("moved_from_region");

model! {
    /// The official provider's `huaweicloud_dws_snapshot` (schema version 0), as far as a
    /// move reads it.
    pub struct OfficialDwsSnapshot {
        /// The snapshot ID.
        id: String = required(),
        /// The DWS cluster's ID.
        cluster_id: Option<String> = optional(),
        /// The snapshot's name.
        name: Option<String> = optional(),
        /// The snapshot's description.
        description: Option<String> = optional(),
        /// The region the snapshot is in.
        region: Option<String> = optional(),
    }
}

model! {
    /// The official provider's `huaweicloud_css_snapshot` (schema version 0), as far as a
    /// move reads it.
    pub struct OfficialCssSnapshot {
        /// The snapshot ID.
        id: String = required(),
        /// The CSS cluster's ID: reads look the snapshot up in its cluster.
        cluster_id: String = required(),
        /// The snapshot's name.
        name: Option<String> = optional(),
        /// The snapshot's description.
        description: Option<String> = optional(),
        /// The indices, comma-separated (hwsnap's `indices`).
        index: Option<String> = optional(),
        /// The region, in states that have one (the official CSS schema has none).
        region: Option<String> = optional(),
    }
}

/// What a snapshot type accepts: the same type from hwsnap's provider
/// serving both types and from the one serving only it (`own`), and
/// `official_type` of the official provider, mapped by `map`.
pub(crate) fn sources<M, S>(
    own: ProviderName,
    official_type: &'static str,
    map: fn(MoveRequest<S>, &mut MoveResponse<M>),
) -> Vec<MoveSource<M>>
where
    M: hwsnap_framework::Model,
    S: hwsnap_framework::Model,
{
    vec![
        MoveSource::from(OFFICIAL, official_type, map),
        MoveSource::same_type(own),
        MoveSource::same_type(HWSNAP),
    ]
}

/// The Go SDK writes an unset string as `""`; hwsnap as null.
pub(crate) fn text(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

/// Keeps the official state's region for the first read to check.
pub(crate) fn keep_region(region: Option<String>, private: &mut Private) {
    if let Some(region) = text(region) {
        private.set(MOVED_REGION, region);
    }
}

/// On the first read after a move: a warning when the official state's
/// region differs from the provider's, which is where hwsnap looks for
/// `what`; the recorded region is dropped either way.
pub(crate) fn check_region<M>(ctx: &Ctx<'_>, resp: &mut ReadResponse<M>, what: &str) {
    let Some(moved) = resp.private.remove(MOVED_REGION) else {
        return;
    };
    let here = ctx.data.region();
    if moved.eq_ignore_ascii_case(here) {
        return;
    }
    resp.diagnostics.push(Diagnostic::warning(
        format!("{what} was in region {moved}, this provider uses {here}"),
        format!(
            "{what} was moved from the huaweicloud provider, whose state puts it in region {moved}, \
             but this provider is configured for region {here} and looks for the snapshot there. If \
             it is not found there, Terraform plans to create it again. To keep managing it where \
             it is, add a provider block for region {moved} (for example with an alias) and set \
             `provider` on the resource. This warning is shown until an apply stores the moved state."
        ),
    ));
}

#[cfg(test)]
mod tests {
    use hwsnap_cloud::{Client, Config, Credentials};
    use hwsnap_framework::cty::{Type, Value};
    use hwsnap_framework::{Diagnostics, ReadResponse, Server, Severity};
    use hwsnap_plugin::proto::tfplugin6 as pb;
    use pb::provider_server::Provider as _;
    use tokio_util::sync::CancellationToken;

    use super::*;
    use crate::{HwsnapProvider, Serves};

    const DWS_ID: &str = "2a4d0f86-67cd-408a-8b66-017454fb7793";
    const CSS_ID: &str = "6c3b1e34-1fbb-4b4e-9ae9-20d2cfc0e2fd";
    const CLUSTER: &str = "4f3deec3-efa8-4598-bf91-560aad1377a3";

    /// A `huaweicloud_dws_snapshot` state as the official provider writes it.
    fn official_dws(region: &str) -> String {
        format!(
            r#"{{"cluster_id":"{CLUSTER}","description":"","finished_at":"2025-11-25T12:01:00Z",
                "id":"{DWS_ID}","name":"nightly","region":"{region}","size":0.5,
                "started_at":"2025-11-25T12:00:00Z","status":"AVAILABLE","timeouts":null,"type":"MANUAL"}}"#
        )
    }

    async fn moved(
        serves: Serves,
        provider: &str,
        source_type: &str,
        target: &str,
        json: &str,
    ) -> (Option<Value>, Vec<pb::Diagnostic>, Vec<u8>) {
        let s = Server::new(HwsnapProvider::new(serves));
        let r = s
            .move_resource_state(tonic::Request::new(pb::move_resource_state::Request {
                source_provider_address: provider.into(),
                source_type_name: source_type.into(),
                source_schema_version: 0,
                source_state: Some(pb::RawState {
                    json: json.as_bytes().to_vec(),
                    flatmap: Default::default(),
                }),
                target_type_name: target.into(),
                source_private: br#"{"schema_version":"0"}"#.to_vec(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        let ty: Type = s.resource_schema(target).unwrap().value_type();
        let state = r
            .target_state
            .map(|dv| hwsnap_framework::cty::msgpack::decode(&dv.msgpack, &ty).unwrap());
        (state, r.diagnostics, r.target_private)
    }

    fn text<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
        v.get_attr(name).and_then(Value::as_str)
    }

    #[tokio::test]
    async fn an_official_dws_snapshot_moves_with_what_identifies_it() {
        let address = "registry.terraform.io/huaweicloud/huaweicloud";
        let json = official_dws("cn-north-4");
        let (state, diags, private) = moved(
            Serves::Dws,
            address,
            "huaweicloud_dws_snapshot",
            "dws_snapshot",
            &json,
        )
        .await;
        assert!(diags.is_empty(), "{diags:?}");
        let state = state.unwrap();
        assert_eq!(text(&state, "id"), Some(DWS_ID));
        assert_eq!(text(&state, "cluster_id"), Some(CLUSTER));
        assert_eq!(text(&state, "name"), Some("nightly"));
        for later in [
            "description",
            "status",
            "type",
            "size",
            "started_at",
            "timeouts",
        ] {
            assert!(state.get_attr(later).unwrap().is_null(), "{later}");
        }
        let private = Private::from_bytes(&private);
        assert_eq!(private.get(MOVED_REGION), Some("cn-north-4"));
        assert_eq!(private.get(private::Key::new("schema_version")), None);
    }

    #[tokio::test]
    async fn an_official_css_snapshot_moves_index_into_indices() {
        let json = format!(
            r#"{{"backup_type":"manual","cluster_id":"{CLUSTER}","cluster_name":"css-1","description":"",
                "id":"{CSS_ID}","index":"logs-*","name":"nightly","status":"COMPLETED","timeouts":null}}"#
        );
        let (state, diags, private) = moved(
            Serves::All,
            "huaweicloud/huaweicloud",
            "huaweicloud_css_snapshot",
            "css_index_snapshot",
            &json,
        )
        .await;
        assert!(diags.is_empty(), "{diags:?}");
        let state = state.unwrap();
        assert_eq!(text(&state, "indices"), Some("logs-*"));
        assert_eq!(text(&state, "cluster_id"), Some(CLUSTER));
        assert!(state.get_attr("backup_method").unwrap().is_null());
        assert!(private.is_empty(), "no region in the official CSS state");

        let no_cluster = json.replace(&format!(r#""cluster_id":"{CLUSTER}","#), "");
        let (state, diags, _) = moved(
            Serves::Css,
            "huaweicloud",
            "huaweicloud_css_snapshot",
            "css_index_snapshot",
            &no_cluster,
        )
        .await;
        assert!(state.is_none());
        assert_eq!(
            diags[0].summary,
            "Cannot move huaweicloud_css_snapshot into css_index_snapshot: no cluster_id"
        );
        assert!(diags[0].detail.contains(CSS_ID), "{}", diags[0].detail);
    }

    #[tokio::test]
    async fn near_misses_are_refused_naming_what_is_accepted() {
        let json = official_dws("cn-north-4");
        for (provider, source_type) in [
            (
                "registry.terraform.io/hashicorp/huaweicloud",
                "huaweicloud_dws_snapshot",
            ),
            (
                "registry.terraform.io/huaweicloud/huaweicloudstack",
                "huaweicloud_dws_snapshot",
            ),
            (
                "registry.terraform.io/huaweicloud/huaweicloud",
                "huaweicloud_dws_cluster",
            ),
            (
                "registry.terraform.io/huaweicloud/huaweicloud",
                "huaweicloud_css_snapshot",
            ),
        ] {
            let (state, diags, _) =
                moved(Serves::Dws, provider, source_type, "dws_snapshot", &json).await;
            assert!(state.is_none(), "{provider} {source_type}");
            assert!(
                diags[0].detail.contains(
                    "only from `huaweicloud_dws_snapshot` of huaweicloud/huaweicloud, \
                     `dws_snapshot` of hwsnap/dws, `dws_snapshot` of hwsnap/hwsnap"
                ),
                "{}",
                diags[0].detail
            );
        }
    }

    #[tokio::test]
    async fn moves_between_hwsnap_providers_keep_the_state() {
        let json = format!(
            r#"{{"cluster_id":"{CLUSTER}","cluster_name":"dws-1","description":"d","finished_at":null,
                "id":"{DWS_ID}","name":"nightly","size":0.5,"started_at":"2025-11-25T12:00:00Z",
                "status":"AVAILABLE","timeouts":{{"create":"1h","delete":null}},"type":"MANUAL"}}"#
        );
        for (serves, from) in [(Serves::Dws, "hwsnap/hwsnap"), (Serves::All, "hwsnap/dws")] {
            let address = format!("registry.terraform.io/{from}");
            let (state, diags, _) =
                moved(serves, &address, "dws_snapshot", "dws_snapshot", &json).await;
            assert!(diags.is_empty(), "{diags:?}");
            let state = state.unwrap();
            assert_eq!(text(&state, "status"), Some("AVAILABLE"), "unchanged");
            assert_eq!(
                state.get_attr("timeouts").unwrap().get_attr("create"),
                Some(&Value::string("1h"))
            );
        }
    }

    fn read_with(region: Option<&str>) -> (Private, Diagnostics) {
        let client =
            Client::new(Config::new("ap-southeast-1", Credentials::new("AK", "SK"))).unwrap();
        let cancel = CancellationToken::new();
        let ctx = hwsnap_framework::Ctx::new(&client, &cancel, None);
        let mut private = Private::new();
        keep_region(region.map(str::to_owned), &mut private);
        let mut resp = ReadResponse::with_private((), private);
        check_region(&ctx, &mut resp, "DWS snapshot x");
        (resp.private, resp.diagnostics)
    }

    #[test]
    fn the_first_read_warns_when_the_regions_differ() {
        let (private, diags) = read_with(Some("cn-north-4"));
        assert_eq!(diags.0.len(), 1);
        let w = &diags.0[0];
        assert_eq!(w.severity, Severity::Warning);
        assert_eq!(
            w.summary,
            "DWS snapshot x was in region cn-north-4, this provider uses ap-southeast-1"
        );
        assert!(private.is_empty(), "checked once, then dropped");
        assert!(private.to_bytes().is_empty());

        for same in [
            Some("ap-southeast-1"),
            Some("AP-SOUTHEAST-1"),
            Some(""),
            None,
        ] {
            let (private, diags) = read_with(same);
            assert!(diags.is_empty(), "{same:?}");
            assert!(private.is_empty());
        }
    }
}
