//! Data source RPCs: validate and read. A read gets the configured
//! provider's data and a context bounded by the declared `read` timeout;
//! its state is the data source's model, encoded.

use hwsnap_plugin::proto::tfplugin6 as pb;

use super::{
    AnyDataSource, Entry, Server, convert, ctx, unknown_type, unsupported, validate_config,
};
use crate::diag::{Diagnostic, Diagnostics};
use crate::provider::Provider;

impl<P: Provider> Server<P> {
    fn data_source(
        &self,
        type_name: &str,
    ) -> Result<&Entry<dyn AnyDataSource<P::Data>>, Vec<pb::Diagnostic>> {
        if self.data_sources.is_empty() {
            return Err(unsupported::not_supported("data source", type_name));
        }
        self.data_sources.get(type_name).ok_or_else(|| {
            vec![convert::diagnostic(&unknown_type(
                "data source",
                type_name,
                self.data_sources.keys(),
            ))]
        })
    }

    pub(super) fn validate_data_resource_config_rpc(
        &self,
        r: pb::validate_data_resource_config::Request,
    ) -> pb::validate_data_resource_config::Response {
        let diagnostics = match self.data_source(&r.type_name) {
            Ok(e) => validate_config(
                &e.schema,
                &e.ty,
                r.config.as_ref(),
                "data source configuration",
                |c, d| e.op.validate(c, d),
            ),
            Err(d) => d,
        };
        pb::validate_data_resource_config::Response { diagnostics }
    }

    pub(super) async fn read_data_source_rpc(
        &self,
        r: pb::read_data_source::Request,
    ) -> pb::read_data_source::Response {
        let e = match self.data_source(&r.type_name) {
            Ok(e) => e,
            Err(diagnostics) => {
                return pb::read_data_source::Response {
                    diagnostics,
                    ..Default::default()
                };
            }
        };
        let mut diags = Diagnostics::new();
        let result: Result<_, Diagnostic> = async {
            let config =
                convert::decode_dynamic(r.config.as_ref(), &e.ty, "data source configuration")?;
            let data = self.configured()?;
            let cancel = self.cancel_token();
            let ctx = ctx(&*data, &cancel, e.op.timeouts(), &config, "read");
            let (state, said) = e.op.read(&ctx, &config).await;
            diags.extend(said);
            convert::encode_dynamic(&state, &e.ty, "data source state")
        }
        .await;
        let state = result.map_err(|d| diags.push(d)).ok();
        pb::read_data_source::Response {
            state,
            diagnostics: convert::diagnostics(&diags),
            deferred: None,
        }
    }
}
