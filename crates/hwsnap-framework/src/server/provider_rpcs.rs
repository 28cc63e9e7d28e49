//! Provider-level RPCs: metadata, schemas of every kind, provider
//! configuration, stop.

use std::sync::Arc;

use hwsnap_cty::AttributePath;
use hwsnap_plugin::proto::tfplugin6 as pb;
use tokio_util::sync::CancellationToken;

use super::{Server, convert};
use crate::catch::catch;
use crate::diag::Diagnostics;
use crate::provider::Provider;
use crate::validate::validate_block;

/// What the server offers; moves only when some type accepts them.
fn capabilities(move_resource_state: bool) -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: true,
        move_resource_state,
        generate_resource_config: true,
    }
}

/// The names of a map's keys, as metadata entries.
fn names<'a, V: 'a, T>(
    map: impl IntoIterator<Item = (&'a &'static str, V)>,
    f: impl Fn(String) -> T,
) -> Vec<T> {
    map.into_iter().map(|(n, _)| f(n.to_string())).collect()
}

impl<P: Provider> Server<P> {
    pub(super) fn get_metadata_rpc(&self) -> pb::get_metadata::Response {
        pb::get_metadata::Response {
            server_capabilities: Some(capabilities(self.accepts_moves())),
            resources: names(&self.resources, |type_name| {
                pb::get_metadata::ResourceMetadata { type_name }
            }),
            data_sources: names(&self.data_sources, |type_name| {
                pb::get_metadata::DataSourceMetadata { type_name }
            }),
            list_resources: names(&self.lists, |type_name| {
                pb::get_metadata::ListResourceMetadata { type_name }
            }),
            actions: names(&self.actions, |type_name| {
                pb::get_metadata::ActionMetadata { type_name }
            }),
            ..Default::default()
        }
    }

    pub(super) fn get_provider_schema_rpc(&self) -> pb::get_provider_schema::Response {
        self.schema_response
            .get_or_init(|| pb::get_provider_schema::Response {
                provider: Some(convert::schema(&self.provider_schema)),
                resource_schemas: self
                    .resources
                    .iter()
                    .map(|(name, r)| (name.to_string(), convert::schema(&r.entry.schema)))
                    .collect(),
                data_source_schemas: self
                    .data_sources
                    .iter()
                    .map(|(name, e)| (name.to_string(), convert::schema(&e.schema)))
                    .collect(),
                list_resource_schemas: self
                    .lists
                    .iter()
                    .map(|(name, e)| (name.to_string(), convert::schema(&e.entry.schema)))
                    .collect(),
                action_schemas: self
                    .actions
                    .iter()
                    .map(|(name, e)| {
                        let schema = Some(convert::schema(&e.schema));
                        (name.to_string(), pb::ActionSchema { schema })
                    })
                    .collect(),
                server_capabilities: Some(capabilities(self.accepts_moves())),
                ..Default::default()
            })
            .clone()
    }

    pub(super) fn get_resource_identity_schemas_rpc(
        &self,
    ) -> pb::get_resource_identity_schemas::Response {
        pb::get_resource_identity_schemas::Response {
            identity_schemas: self
                .resources
                .iter()
                .filter_map(|(name, r)| {
                    r.identity
                        .as_ref()
                        .map(|(s, _)| (name.to_string(), convert::identity_schema(s)))
                })
                .collect(),
            diagnostics: Vec::new(),
        }
    }

    /// Decodes and validates the provider block: every attribute validator,
    /// then the provider's own cross-attribute checks.
    fn checked_provider_config(
        &self,
        config: Option<&pb::DynamicValue>,
        diags: &mut Diagnostics,
    ) -> Option<hwsnap_cty::Value> {
        match convert::decode_dynamic(config, &self.provider_type, "provider configuration") {
            Ok(config) => {
                validate_block(
                    &self.provider_schema.block,
                    &config,
                    &AttributePath::root(),
                    diags,
                );
                if !diags.has_errors() {
                    self.provider.validate(&config, diags);
                }
                (!diags.has_errors()).then_some(config)
            }
            Err(d) => {
                diags.push(d);
                None
            }
        }
    }

    pub(super) fn validate_provider_config_rpc(
        &self,
        r: pb::validate_provider_config::Request,
    ) -> pb::validate_provider_config::Response {
        let mut diags = Diagnostics::new();
        self.checked_provider_config(r.config.as_ref(), &mut diags);
        pb::validate_provider_config::Response {
            diagnostics: convert::diagnostics(&diags),
        }
    }

    pub(super) async fn configure_provider_rpc(
        &self,
        r: pb::configure_provider::Request,
    ) -> pb::configure_provider::Response {
        let mut diags = Diagnostics::new();
        tracing::debug!(terraform_version = %r.terraform_version, "configuring provider");
        if let Some(config) = self.checked_provider_config(r.config.as_ref(), &mut diags) {
            let configured = catch(
                "provider configure",
                self.provider.configure(&config, &mut diags),
            )
            .await;
            match configured {
                Ok(Some(data)) => {
                    *self.data.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(data));
                }
                Ok(None) => {}
                Err(d) => diags.push(d),
            }
        }
        pb::configure_provider::Response {
            diagnostics: convert::diagnostics(&diags),
        }
    }

    /// Cancels every operation in flight (their waits end promptly and
    /// return what they have) and hands later operations a fresh token.
    pub(super) fn stop_provider_rpc(&self) -> pb::stop_provider::Response {
        let mut guard = self.stop.lock().unwrap_or_else(|e| e.into_inner());
        tracing::info!("StopProvider: cancelling operations in flight");
        guard.cancel();
        *guard = CancellationToken::new();
        pb::stop_provider::Response::default()
    }
}
