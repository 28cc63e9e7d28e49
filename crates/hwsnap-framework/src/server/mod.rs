//! The tfplugin6 service over a [`Provider`]: every RPC answers.
//!
//! The RPCs a resource-only provider needs do real work (in
//! [`provider_rpcs`] and [`resource_rpcs`]); the rest give the correct empty
//! answer where one exists and otherwise an error diagnostic naming the
//! unsupported feature ([`unsupported`]) — never a gRPC status.

mod convert;
mod provider_rpcs;
mod resource_rpcs;
mod unsupported;

use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use futures::Stream;
use hwsnap_cty::Type;
use hwsnap_plugin::proto::tfplugin6 as pb;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status, Streaming};

use crate::diag::Diagnostic;
use crate::provider::Provider;
use crate::resource::Resource;
use crate::schema::{IdentitySchema, Schema};

pub use convert::{decode_dynamic, encode_dynamic};

/// One registered resource type with its schema computed once.
struct Registered<D> {
    resource: Arc<dyn Resource<D>>,
    schema: Schema,
    ty: Type,
    identity: Option<(IdentitySchema, Type)>,
}

/// Serves a [`Provider`] and its resources over tfplugin6.
pub struct Server<P: Provider> {
    provider: P,
    provider_schema: Schema,
    provider_type: Type,
    resources: BTreeMap<&'static str, Registered<P::Data>>,
    data: RwLock<Option<Arc<P::Data>>>,
    stop: Mutex<CancellationToken>,
    schema_response: OnceLock<pb::get_provider_schema::Response>,
}

impl<P: Provider> Server<P> {
    pub fn new(provider: P) -> Self {
        let provider_schema = provider.schema();
        let provider_type = provider_schema.value_type();
        let resources = provider
            .resources()
            .into_iter()
            .map(|resource| {
                let schema = resource.schema();
                let ty = schema.value_type();
                let identity = resource.identity_schema().map(|s| {
                    let t = s.value_type();
                    (s, t)
                });
                (
                    resource.type_name(),
                    Registered {
                        resource,
                        schema,
                        ty,
                        identity,
                    },
                )
            })
            .collect();
        Self {
            provider,
            provider_schema,
            provider_type,
            resources,
            data: RwLock::new(None),
            stop: Mutex::new(CancellationToken::new()),
            schema_response: OnceLock::new(),
        }
    }

    /// The resource type names served.
    pub fn resource_types(&self) -> Vec<&'static str> {
        self.resources.keys().copied().collect()
    }

    /// The schema of a served resource type (for docs and tests).
    pub fn resource_schema(&self, type_name: &str) -> Option<&Schema> {
        self.resources.get(type_name).map(|r| &r.schema)
    }

    /// The provider's own schema.
    pub fn provider_schema(&self) -> &Schema {
        &self.provider_schema
    }

    fn resource(&self, type_name: &str) -> Result<&Registered<P::Data>, Diagnostic> {
        self.resources.get(type_name).ok_or_else(|| {
            Diagnostic::error(
                format!("Unknown resource type {type_name:?}"),
                format!("This provider serves {}.", self.resource_types().join(", ")),
            )
        })
    }

    fn configured(&self) -> Result<Arc<P::Data>, Diagnostic> {
        let guard = self.data.read().unwrap_or_else(|e| e.into_inner());
        guard.clone().ok_or_else(|| {
            Diagnostic::error(
                "Provider not configured",
                "Terraform called a resource operation before ConfigureProvider succeeded. \
                 Check the provider block and earlier errors.",
            )
        })
    }

    /// The token StopProvider cancels; each operation takes the current one.
    fn cancel_token(&self) -> CancellationToken {
        self.stop.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

#[tonic::async_trait]
impl<P: Provider> pb::provider_server::Provider for Server<P> {
    async fn get_metadata(
        &self,
        _: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        Ok(Response::new(self.get_metadata_rpc()))
    }

    async fn get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        Ok(Response::new(self.get_provider_schema_rpc()))
    }

    async fn validate_provider_config(
        &self,
        r: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        Ok(Response::new(
            self.validate_provider_config_rpc(r.into_inner()),
        ))
    }

    async fn validate_resource_config(
        &self,
        r: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        Ok(Response::new(
            self.validate_resource_config_rpc(r.into_inner()),
        ))
    }

    async fn validate_data_resource_config(
        &self,
        r: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        Ok(Response::new(unsupported::validate_data_resource_config(
            r.into_inner(),
        )))
    }

    async fn upgrade_resource_state(
        &self,
        r: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        Ok(Response::new(
            self.upgrade_resource_state_rpc(r.into_inner()),
        ))
    }

    async fn get_resource_identity_schemas(
        &self,
        _: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Result<Response<pb::get_resource_identity_schemas::Response>, Status> {
        Ok(Response::new(self.get_resource_identity_schemas_rpc()))
    }

    async fn upgrade_resource_identity(
        &self,
        r: Request<pb::upgrade_resource_identity::Request>,
    ) -> Result<Response<pb::upgrade_resource_identity::Response>, Status> {
        Ok(Response::new(
            self.upgrade_resource_identity_rpc(r.into_inner()),
        ))
    }

    async fn configure_provider(
        &self,
        r: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        Ok(Response::new(
            self.configure_provider_rpc(r.into_inner()).await,
        ))
    }

    async fn read_resource(
        &self,
        r: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        Ok(Response::new(self.read_resource_rpc(r.into_inner()).await))
    }

    async fn plan_resource_change(
        &self,
        r: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        Ok(Response::new(self.plan_resource_change_rpc(r.into_inner())))
    }

    async fn apply_resource_change(
        &self,
        r: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        Ok(Response::new(
            self.apply_resource_change_rpc(r.into_inner()).await,
        ))
    }

    async fn import_resource_state(
        &self,
        r: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        Ok(Response::new(
            self.import_resource_state_rpc(r.into_inner()),
        ))
    }

    async fn move_resource_state(
        &self,
        r: Request<pb::move_resource_state::Request>,
    ) -> Result<Response<pb::move_resource_state::Response>, Status> {
        Ok(Response::new(unsupported::move_resource_state(
            r.into_inner(),
        )))
    }

    async fn read_data_source(
        &self,
        r: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        Ok(Response::new(unsupported::read_data_source(r.into_inner())))
    }

    async fn generate_resource_config(
        &self,
        r: Request<pb::generate_resource_config::Request>,
    ) -> Result<Response<pb::generate_resource_config::Response>, Status> {
        Ok(Response::new(unsupported::generate_resource_config(
            r.into_inner(),
        )))
    }

    async fn validate_ephemeral_resource_config(
        &self,
        r: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> Result<Response<pb::validate_ephemeral_resource_config::Response>, Status> {
        Ok(Response::new(
            unsupported::validate_ephemeral_resource_config(r.into_inner()),
        ))
    }

    async fn open_ephemeral_resource(
        &self,
        r: Request<pb::open_ephemeral_resource::Request>,
    ) -> Result<Response<pb::open_ephemeral_resource::Response>, Status> {
        Ok(Response::new(unsupported::open_ephemeral_resource(
            r.into_inner(),
        )))
    }

    async fn renew_ephemeral_resource(
        &self,
        r: Request<pb::renew_ephemeral_resource::Request>,
    ) -> Result<Response<pb::renew_ephemeral_resource::Response>, Status> {
        Ok(Response::new(unsupported::renew_ephemeral_resource(
            r.into_inner(),
        )))
    }

    async fn close_ephemeral_resource(
        &self,
        r: Request<pb::close_ephemeral_resource::Request>,
    ) -> Result<Response<pb::close_ephemeral_resource::Response>, Status> {
        Ok(Response::new(unsupported::close_ephemeral_resource(
            r.into_inner(),
        )))
    }

    async fn list_resource(
        &self,
        r: Request<pb::list_resource::Request>,
    ) -> Result<Response<BoxStream<pb::list_resource::Event>>, Status> {
        Ok(Response::new(unsupported::list_resource(r.into_inner())))
    }

    async fn validate_list_resource_config(
        &self,
        r: Request<pb::validate_list_resource_config::Request>,
    ) -> Result<Response<pb::validate_list_resource_config::Response>, Status> {
        Ok(Response::new(unsupported::validate_list_resource_config(
            r.into_inner(),
        )))
    }

    async fn get_functions(
        &self,
        _: Request<pb::get_functions::Request>,
    ) -> Result<Response<pb::get_functions::Response>, Status> {
        Ok(Response::new(pb::get_functions::Response::default()))
    }

    async fn call_function(
        &self,
        r: Request<pb::call_function::Request>,
    ) -> Result<Response<pb::call_function::Response>, Status> {
        Ok(Response::new(unsupported::call_function(r.into_inner())))
    }

    async fn validate_state_store_config(
        &self,
        r: Request<pb::validate_state_store::Request>,
    ) -> Result<Response<pb::validate_state_store::Response>, Status> {
        Ok(Response::new(unsupported::validate_state_store(
            r.into_inner(),
        )))
    }

    async fn configure_state_store(
        &self,
        r: Request<pb::configure_state_store::Request>,
    ) -> Result<Response<pb::configure_state_store::Response>, Status> {
        Ok(Response::new(unsupported::configure_state_store(
            r.into_inner(),
        )))
    }

    async fn read_state_bytes(
        &self,
        r: Request<pb::read_state_bytes::Request>,
    ) -> Result<Response<BoxStream<pb::read_state_bytes::Response>>, Status> {
        Ok(Response::new(unsupported::read_state_bytes(r.into_inner())))
    }

    async fn write_state_bytes(
        &self,
        _: Request<Streaming<pb::write_state_bytes::RequestChunk>>,
    ) -> Result<Response<pb::write_state_bytes::Response>, Status> {
        Ok(Response::new(unsupported::write_state_bytes()))
    }

    async fn lock_state(
        &self,
        r: Request<pb::lock_state::Request>,
    ) -> Result<Response<pb::lock_state::Response>, Status> {
        Ok(Response::new(unsupported::lock_state(r.into_inner())))
    }

    async fn unlock_state(
        &self,
        r: Request<pb::unlock_state::Request>,
    ) -> Result<Response<pb::unlock_state::Response>, Status> {
        Ok(Response::new(unsupported::unlock_state(r.into_inner())))
    }

    async fn get_states(
        &self,
        r: Request<pb::get_states::Request>,
    ) -> Result<Response<pb::get_states::Response>, Status> {
        Ok(Response::new(unsupported::get_states(r.into_inner())))
    }

    async fn delete_state(
        &self,
        r: Request<pb::delete_state::Request>,
    ) -> Result<Response<pb::delete_state::Response>, Status> {
        Ok(Response::new(unsupported::delete_state(r.into_inner())))
    }

    async fn plan_action(
        &self,
        r: Request<pb::plan_action::Request>,
    ) -> Result<Response<pb::plan_action::Response>, Status> {
        Ok(Response::new(unsupported::plan_action(r.into_inner())))
    }

    async fn invoke_action(
        &self,
        r: Request<pb::invoke_action::Request>,
    ) -> Result<Response<BoxStream<pb::invoke_action::Event>>, Status> {
        Ok(Response::new(unsupported::invoke_action(r.into_inner())))
    }

    async fn validate_action_config(
        &self,
        r: Request<pb::validate_action_config::Request>,
    ) -> Result<Response<pb::validate_action_config::Response>, Status> {
        Ok(Response::new(unsupported::validate_action_config(
            r.into_inner(),
        )))
    }

    async fn stop_provider(
        &self,
        _: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        Ok(Response::new(self.stop_provider_rpc()))
    }
}
