//! The tfplugin6 service over a [`Provider`]: every RPC answers.
//!
//! One module per kind of type does the real work ([`provider_rpcs`],
//! [`resource_rpcs`], [`move_rpcs`], [`data_source_rpcs`],
//! [`list_resource_rpcs`], [`action_rpcs`]); features the framework does not
//! offer (ephemeral resources, functions, state stores) and kinds a provider
//! registers none of get an error diagnostic naming the feature
//! ([`unsupported`]) — never a gRPC status.
//!
//! [`Server::try_new`] checks at start-up what the compiler cannot: models
//! against their modes, import parts against identities, list resources
//! against the resources they list. A provider that does not fit together
//! does not start.

mod action_rpcs;
mod convert;
mod data_source_rpcs;
mod list_resource_rpcs;
mod move_rpcs;
mod provider_rpcs;
mod resource_rpcs;
mod stream;
mod unsupported;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use hwsnap_cty::{AttributePath, Type, Value};
use hwsnap_plugin::proto::tfplugin6 as pb;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status, Streaming};

use crate::action::AnyAction;
use crate::data_source::AnyDataSource;
use crate::diag::{Diagnostic, Diagnostics};
use crate::docs;
use crate::import::Import;
use crate::list_resource::AnyList;
use crate::provider::{Provider, Registry};
use crate::resource::{AnyResource, Ctx};
use crate::schema::{IdentitySchema, Schema};
use crate::timeouts::{self, Timeout};
use crate::validate::validate_block;

use stream::BoxStream;

/// One registered type of any kind, with its schema computed once.
struct Entry<T: ?Sized> {
    op: Arc<T>,
    schema: Schema,
    ty: Type,
}

impl<T: ?Sized> Entry<T> {
    fn new(op: Arc<T>, schema: Schema) -> Self {
        let ty = schema.value_type();
        Self { op, schema, ty }
    }
}

/// A registered resource type: also its identity and import.
struct ResourceEntry<D> {
    entry: Entry<dyn AnyResource<D>>,
    identity: Option<(IdentitySchema, Type)>,
    import: Option<Import>,
}

/// A registered action; shared with the invoke streams it runs.
type ActionEntry<D> = Arc<Entry<dyn AnyAction<D>>>;

/// A registered list resource: also the listed resource's identity.
struct ListEntry<D> {
    entry: Entry<dyn AnyList<D>>,
    identity: IdentitySchema,
    resource_ty: Type,
    identity_ty: Type,
}

/// Why a provider's types do not fit together: one line per problem.
#[derive(Debug, thiserror::Error)]
#[error("the provider's types do not fit together:\n  {}", .0.join("\n  "))]
pub struct SetupError(pub Vec<String>);

/// Serves a [`Provider`] and its types over tfplugin6.
pub struct Server<P: Provider> {
    provider: P,
    provider_schema: Schema,
    provider_type: Type,
    resources: BTreeMap<&'static str, ResourceEntry<P::Data>>,
    data_sources: BTreeMap<&'static str, Entry<dyn AnyDataSource<P::Data>>>,
    lists: BTreeMap<&'static str, Arc<ListEntry<P::Data>>>,
    actions: BTreeMap<&'static str, ActionEntry<P::Data>>,
    data: RwLock<Option<Arc<P::Data>>>,
    stop: Mutex<CancellationToken>,
    schema_response: OnceLock<pb::get_provider_schema::Response>,
}

/// Inserts `(name, v)`, recording a problem when the name is taken.
fn insert<V>(
    map: &mut BTreeMap<&'static str, V>,
    kind: &str,
    name: &'static str,
    v: V,
    problems: &mut Vec<String>,
) {
    if map.insert(name, v).is_some() {
        problems.push(format!("{kind} {name} is registered twice"));
    }
}

/// Problems with declared timeouts: an operation the kind does not have,
/// or a model attribute in the block's place.
fn check_timeouts(
    name: &str,
    declared: &[Timeout],
    allowed: &[&str],
    schema: &Schema,
    problems: &mut Vec<String>,
) {
    for t in declared {
        if !allowed.contains(&t.operation) {
            problems.push(format!(
                "{name} declares a timeout for {:?}; it has only {}",
                t.operation,
                allowed.join(", ")
            ));
        }
    }
    if !declared.is_empty() && schema.block.find_attribute(timeouts::BLOCK).is_some() {
        problems.push(format!(
            "{name} has an attribute named {:?} and declares timeouts",
            timeouts::BLOCK
        ));
    }
}

/// Problems with a resource's import: each part must be a string attribute
/// and, with an identity, the parts must be the identity attributes.
fn check_import(
    name: &str,
    import: &Import,
    schema: &Schema,
    identity: Option<&IdentitySchema>,
    problems: &mut Vec<String>,
) {
    for p in import.parts() {
        match schema.block.find_attribute(p.attribute) {
            Some(a) if a.ty == Type::String => {}
            Some(_) => problems.push(format!(
                "{name} imports into {:?}, which is not a string",
                p.attribute
            )),
            None => problems.push(format!(
                "{name} imports into {:?}, which it does not have",
                p.attribute
            )),
        }
    }
    if let Some(identity) = identity {
        let parts: Vec<&str> = import.parts().iter().map(|p| p.attribute).collect();
        let ids: Vec<&str> = identity.attributes.iter().map(|a| a.name).collect();
        if parts != ids {
            problems.push(format!(
                "{name} imports {parts:?} but its identity is {ids:?}: make them the same"
            ));
        }
    }
}

impl<P: Provider> Server<P> {
    /// Builds the server and checks the provider's types.
    ///
    /// # Panics
    /// When they do not fit together (see [`Server::try_new`]): a mistake
    /// in the provider's code that its tests, which build the server, find.
    pub fn new(provider: P) -> Self {
        match Self::try_new(provider) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        }
    }

    /// Builds the server, or says why the provider's types do not fit
    /// together: a model's field types against its modes, undescribed
    /// attributes, import parts against the identity, declared timeouts, a
    /// list resource without its identity-bearing resource, names used twice.
    pub fn try_new(provider: P) -> Result<Self, SetupError> {
        let provider_schema = provider.schema();
        let provider_type = provider_schema.value_type();
        let mut registry = Registry::new();
        provider.register(&mut registry);
        let mut problems = Vec::new();

        let mut resources = BTreeMap::new();
        for op in registry.resources {
            let name = op.type_name();
            problems.extend(op.check().err().unwrap_or_default());
            let schema = op.schema();
            check_timeouts(
                name,
                op.timeouts(),
                &["create", "read", "update", "delete"],
                &schema,
                &mut problems,
            );
            let identity = schema.block.identity_schema();
            let import = op.import();
            if let Some(import) = &import {
                check_import(name, import, &schema, identity.as_ref(), &mut problems);
            }
            let identity = identity.map(|s| {
                let t = s.value_type();
                (s, t)
            });
            let entry = ResourceEntry {
                entry: Entry::new(op, schema),
                identity,
                import,
            };
            insert(&mut resources, "resource", name, entry, &mut problems);
        }

        let mut data_sources = BTreeMap::new();
        for op in registry.data_sources {
            let name = op.type_name();
            problems.extend(op.check().err().unwrap_or_default());
            let schema = op.schema();
            check_timeouts(name, op.timeouts(), &["read"], &schema, &mut problems);
            insert(
                &mut data_sources,
                "data source",
                name,
                Entry::new(op, schema),
                &mut problems,
            );
        }

        let mut lists = BTreeMap::new();
        for op in registry.lists {
            let name = op.type_name();
            problems.extend(op.check().err().unwrap_or_default());
            let listed = resources.get(name).and_then(|r: &ResourceEntry<P::Data>| {
                r.identity
                    .as_ref()
                    .map(|(s, t)| (s.clone(), t.clone(), r.entry.ty.clone()))
            });
            let Some((identity, identity_ty, resource_ty)) = listed else {
                problems.push(format!(
                    "list resource {name} needs the resource {name}, with an identity, registered too"
                ));
                continue;
            };
            let entry = ListEntry {
                entry: Entry::new(op.clone(), op.schema()),
                identity,
                resource_ty,
                identity_ty,
            };
            insert(
                &mut lists,
                "list resource",
                name,
                Arc::new(entry),
                &mut problems,
            );
        }

        let mut actions = BTreeMap::new();
        for op in registry.actions {
            let name = op.type_name();
            problems.extend(op.check().err().unwrap_or_default());
            let schema = op.schema();
            check_timeouts(name, op.timeouts(), &["invoke"], &schema, &mut problems);
            insert(
                &mut actions,
                "action",
                name,
                Arc::new(Entry::new(op, schema)),
                &mut problems,
            );
        }

        if !problems.is_empty() {
            return Err(SetupError(problems));
        }
        Ok(Self {
            provider,
            provider_schema,
            provider_type,
            resources,
            data_sources,
            lists,
            actions,
            data: RwLock::new(None),
            stop: Mutex::new(CancellationToken::new()),
            schema_response: OnceLock::new(),
        })
    }

    /// The resource type names served.
    pub fn resource_types(&self) -> Vec<&'static str> {
        self.resources.keys().copied().collect()
    }

    /// The schema of a served resource type (for docs and tests).
    pub fn resource_schema(&self, type_name: &str) -> Option<&Schema> {
        self.resources.get(type_name).map(|r| &r.entry.schema)
    }

    /// The provider's own schema.
    pub fn provider_schema(&self) -> &Schema {
        &self.provider_schema
    }

    /// Every generated docs page: its path under the repository and the
    /// generated part (see [`docs`]). The provider's is `docs/index.md`;
    /// each type's is `docs/{resources,data-sources,list-resources,actions}/NAME.md`.
    pub fn doc_pages(&self) -> Vec<docs::Page> {
        let mut pages = vec![docs::Page::new(
            "docs/index.md".into(),
            docs::reference(&self.provider_schema),
        )];
        let kinds: [(&str, Vec<(&str, &Schema)>); 4] = [
            (
                "resources",
                self.resources
                    .iter()
                    .map(|(n, r)| (*n, &r.entry.schema))
                    .collect(),
            ),
            (
                "data-sources",
                self.data_sources
                    .iter()
                    .map(|(n, e)| (*n, &e.schema))
                    .collect(),
            ),
            (
                "list-resources",
                self.lists
                    .iter()
                    .map(|(n, e)| (*n, &e.entry.schema))
                    .collect(),
            ),
            (
                "actions",
                self.actions.iter().map(|(n, e)| (*n, &e.schema)).collect(),
            ),
        ];
        for (dir, types) in kinds {
            for (name, schema) in types {
                pages.push(docs::Page::new(
                    format!("docs/{dir}/{name}.md"),
                    docs::reference(schema),
                ));
            }
        }
        pages
    }

    fn resource(&self, type_name: &str) -> Result<&ResourceEntry<P::Data>, Diagnostic> {
        self.resources
            .get(type_name)
            .ok_or_else(|| unknown_type("resource", type_name, self.resources.keys()))
    }

    fn configured(&self) -> Result<Arc<P::Data>, Diagnostic> {
        let guard = self.data.read().unwrap_or_else(|e| e.into_inner());
        guard.clone().ok_or_else(|| {
            Diagnostic::error(
                "Provider not configured",
                "Terraform called an operation before ConfigureProvider succeeded. \
                 Check the provider block and earlier errors.",
            )
        })
    }

    /// The token StopProvider cancels; each operation takes the current one.
    fn cancel_token(&self) -> CancellationToken {
        self.stop.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// The operation's context: its declared timeout (from `value`'s
/// `timeouts` block, else the default) and the deadline it gives.
fn ctx<'a, D>(
    data: &'a D,
    cancel: &'a CancellationToken,
    declared: &[Timeout],
    value: &Value,
    operation: &str,
) -> Ctx<'a, D> {
    Ctx::new(data, cancel, timeouts::of(value, declared, operation))
}

/// Decodes a configuration of type `ty` and runs the schema's validators,
/// then (when they passed) the type's own checks, `extra`.
fn validate_config(
    schema: &Schema,
    ty: &Type,
    config: Option<&pb::DynamicValue>,
    what: &str,
    extra: impl FnOnce(&Value, &mut Diagnostics),
) -> Vec<pb::Diagnostic> {
    let mut diags = Diagnostics::new();
    match convert::decode_dynamic(config, ty, what) {
        Ok(config) => {
            validate_block(&schema.block, &config, &AttributePath::root(), &mut diags);
            if !diags.has_errors() {
                extra(&config, &mut diags);
            }
        }
        Err(d) => diags.push(d),
    }
    convert::diagnostics(&diags)
}

/// "Unknown resource type …", listing what is served.
fn unknown_type<'a>(
    kind: &str,
    name: &str,
    served: impl Iterator<Item = &'a &'static str>,
) -> Diagnostic {
    let served: Vec<&str> = served.copied().collect();
    Diagnostic::error(
        format!("Unknown {kind} type {name:?}"),
        if served.is_empty() {
            format!("This provider serves no {kind}s.")
        } else {
            format!("This provider serves {}.", served.join(", "))
        },
    )
}

/// The tfplugin6 service: each RPC hands its request to the handler of its
/// kind. Unary RPCs are listed as `method(message): |server, request| answer`.
macro_rules! service {
    (
        unary { $($method:ident($msg:ident): |$s:ident, $r:ident| $body:expr,)* }
        streaming { $($smethod:ident($smsg:ident, $item:ident): |$ss:ident, $sr:ident| $sbody:expr,)* }
    ) => {
        #[tonic::async_trait]
        impl<P: Provider> pb::provider_server::Provider for Server<P> {
            $(
                async fn $method(
                    &self,
                    r: Request<pb::$msg::Request>,
                ) -> Result<Response<pb::$msg::Response>, Status> {
                    let ($s, $r) = (self, r.into_inner());
                    Ok(Response::new($body))
                }
            )*
            $(
                async fn $smethod(
                    &self,
                    r: Request<pb::$smsg::Request>,
                ) -> Result<Response<BoxStream<pb::$smsg::$item>>, Status> {
                    let ($ss, $sr) = (self, r.into_inner());
                    Ok(Response::new($sbody))
                }
            )*

            async fn write_state_bytes(
                &self,
                _: Request<Streaming<pb::write_state_bytes::RequestChunk>>,
            ) -> Result<Response<pb::write_state_bytes::Response>, Status> {
                Ok(Response::new(unsupported::write_state_bytes()))
            }
        }
    };
}

service! {
    unary {
        get_metadata(get_metadata): |s, _r| s.get_metadata_rpc(),
        get_provider_schema(get_provider_schema): |s, _r| s.get_provider_schema_rpc(),
        validate_provider_config(validate_provider_config): |s, r| s.validate_provider_config_rpc(r),
        configure_provider(configure_provider): |s, r| s.configure_provider_rpc(r).await,
        stop_provider(stop_provider): |s, _r| s.stop_provider_rpc(),

        validate_resource_config(validate_resource_config): |s, r| s.validate_resource_config_rpc(r),
        upgrade_resource_state(upgrade_resource_state): |s, r| s.upgrade_resource_state_rpc(r),
        get_resource_identity_schemas(get_resource_identity_schemas): |s, _r| s.get_resource_identity_schemas_rpc(),
        upgrade_resource_identity(upgrade_resource_identity): |s, r| s.upgrade_resource_identity_rpc(r),
        read_resource(read_resource): |s, r| s.read_resource_rpc(r).await,
        plan_resource_change(plan_resource_change): |s, r| s.plan_resource_change_rpc(r),
        apply_resource_change(apply_resource_change): |s, r| s.apply_resource_change_rpc(r).await,
        import_resource_state(import_resource_state): |s, r| s.import_resource_state_rpc(r),
        generate_resource_config(generate_resource_config): |s, r| s.generate_resource_config_rpc(r),
        move_resource_state(move_resource_state): |s, r| s.move_resource_state_rpc(r),

        validate_data_resource_config(validate_data_resource_config): |s, r| s.validate_data_resource_config_rpc(r),
        read_data_source(read_data_source): |s, r| s.read_data_source_rpc(r).await,

        validate_list_resource_config(validate_list_resource_config): |s, r| s.validate_list_resource_config_rpc(r),

        validate_action_config(validate_action_config): |s, r| s.validate_action_config_rpc(r),
        plan_action(plan_action): |s, r| s.plan_action_rpc(r).await,

        validate_ephemeral_resource_config(validate_ephemeral_resource_config): |_s, r| unsupported::validate_ephemeral_resource_config(r),
        open_ephemeral_resource(open_ephemeral_resource): |_s, r| unsupported::open_ephemeral_resource(r),
        renew_ephemeral_resource(renew_ephemeral_resource): |_s, r| unsupported::renew_ephemeral_resource(r),
        close_ephemeral_resource(close_ephemeral_resource): |_s, r| unsupported::close_ephemeral_resource(r),
        get_functions(get_functions): |_s, _r| pb::get_functions::Response::default(),
        call_function(call_function): |_s, r| unsupported::call_function(r),
        validate_state_store_config(validate_state_store): |_s, r| unsupported::validate_state_store(r),
        configure_state_store(configure_state_store): |_s, r| unsupported::configure_state_store(r),
        lock_state(lock_state): |_s, r| unsupported::lock_state(r),
        unlock_state(unlock_state): |_s, r| unsupported::unlock_state(r),
        get_states(get_states): |_s, r| unsupported::get_states(r),
        delete_state(delete_state): |_s, r| unsupported::delete_state(r),
    }
    streaming {
        list_resource(list_resource, Event): |s, r| s.list_resource_rpc(r),
        invoke_action(invoke_action, Event): |s, r| s.invoke_action_rpc(r),
        read_state_bytes(read_state_bytes, Response): |_s, r| unsupported::read_state_bytes(r),
    }
}
