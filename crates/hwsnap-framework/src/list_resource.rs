//! The `ListResource` trait (`terraform query`, Terraform 1.14+): find the
//! existing objects of a managed resource type.
//!
//! Terraform requires a list type to be named like a managed resource type
//! that has an identity, and every result to carry that identity. So a list
//! resource names its [`Resource`] and produces that resource's model for
//! each object found; the framework encodes the state, derives the identity
//! from the resource's identity attributes, adds the resource object only
//! when Terraform asked for it, and stops at Terraform's `limit`.

use std::marker::PhantomData;

use async_trait::async_trait;
use hwsnap_cty::Value;
use tokio::sync::mpsc;

use crate::catch::catch;
use crate::diag::{Diagnostic, Diagnostics};
use crate::model::{self, Model};
use crate::resource::{Ctx, Resource};
use crate::schema::{IdentitySchema, Schema};

pub struct ListRequest<C> {
    /// The list block's `config { … }`.
    pub config: C,
    /// Whether Terraform wants each full object (`include_resource`), not
    /// only its identity. The framework leaves the object out when not; a
    /// list may use this to skip costly detail calls.
    pub include_resource_object: bool,
    /// How many results Terraform reads at most; the sink says when to stop.
    pub limit: Option<u64>,
}

/// Where a list sends what it finds, as it finds it.
pub struct ListSink<'a, M> {
    raw: &'a mut RawSink,
    model: PhantomData<fn(M)>,
}

impl<M: Model> ListSink<'_, M> {
    /// Sends one object found, with a label for people (e.g. its name).
    /// Returns whether to go on: `false` once `limit` results were sent or
    /// Terraform stopped reading. A list should then stop calling the cloud.
    pub async fn push(&mut self, display_name: impl Into<String>, state: M) -> bool {
        self.raw.push(display_name.into(), state.to_value()).await
    }

    /// Sends a diagnostic (e.g. a failed cloud call) at once.
    pub async fn diagnostic(&mut self, d: Diagnostic) {
        self.raw.send(Found::Diagnostic(d)).await;
    }

    /// Whether Terraform wants the full objects.
    pub fn include_resource_object(&self) -> bool {
        self.raw.include_object
    }
}

/// What a list sends, before the wire encoding.
pub(crate) enum Found {
    Object(Box<Listed>),
    Diagnostic(Diagnostic),
}

/// One object found.
pub(crate) struct Listed {
    pub identity: Value,
    pub display_name: String,
    /// The full state, when Terraform asked for it.
    pub object: Option<Value>,
}

/// The untyped sink: limit, identity and whether to send the object.
pub(crate) struct RawSink {
    tx: mpsc::Sender<Found>,
    include_object: bool,
    remaining: Option<u64>,
    identity: IdentitySchema,
    open: bool,
}

impl RawSink {
    pub(crate) fn new(
        tx: mpsc::Sender<Found>,
        include_object: bool,
        limit: Option<u64>,
        identity: IdentitySchema,
    ) -> Self {
        Self {
            tx,
            include_object,
            remaining: limit,
            identity,
            open: true,
        }
    }

    fn limit(&self) -> Option<u64> {
        self.remaining
    }

    async fn send(&mut self, f: Found) {
        if self.open && self.tx.send(f).await.is_err() {
            // Terraform stopped reading.
            self.open = false;
        }
    }

    async fn push(&mut self, display_name: String, state: Value) -> bool {
        if !self.open || self.remaining == Some(0) {
            return false;
        }
        match self.identity.identity_of(&state) {
            Some(identity) => {
                let object = self.include_object.then_some(state);
                let listed = Listed {
                    identity,
                    display_name,
                    object,
                };
                self.send(Found::Object(Box::new(listed))).await;
                if let Some(n) = self.remaining.as_mut() {
                    *n -= 1;
                }
            }
            None => {
                self.send(Found::Diagnostic(Diagnostic::error(
                    "Listed object without identity",
                    format!(
                        "The list found {display_name:?} but not every identity attribute is set. \
                         This is a bug in the provider; please report it."
                    ),
                )))
                .await
            }
        }
        self.open && self.remaining != Some(0)
    }
}

/// A list resource type.
#[async_trait]
pub trait ListResource<D: Send + Sync + 'static>: Send + Sync + 'static {
    /// The managed resource listed: its type name is the list's, and each
    /// result is its model.
    type Resource: Resource<D>;

    /// The list block's `config { … }` arguments.
    type Config: Model;

    /// Checks across attributes; the config may hold unknown values.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    async fn list(
        &self,
        ctx: &Ctx<'_, D>,
        req: ListRequest<Self::Config>,
        out: &mut ListSink<'_, <Self::Resource as Resource<D>>::Model>,
    );
}

/// A list resource with its models erased.
#[async_trait]
pub(crate) trait AnyList<D>: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn check(&self) -> Result<(), Vec<String>>;
    fn validate(&self, config: &Value, diags: &mut Diagnostics);
    async fn list(&self, ctx: &Ctx<'_, D>, config: &Value, sink: &mut RawSink);
}

pub(crate) struct TypedList<L>(pub L);

#[async_trait]
impl<D, L> AnyList<D> for TypedList<L>
where
    D: Send + Sync + 'static,
    L: ListResource<D>,
{
    fn type_name(&self) -> &'static str {
        <L::Resource as Resource<D>>::TYPE_NAME
    }

    fn schema(&self) -> Schema {
        Schema::new(0, model::block::<L::Config>())
    }

    fn check(&self) -> Result<(), Vec<String>> {
        model::check::<L::Config>(&format!("list {}", self.type_name()))
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        self.0.validate(config, diags);
    }

    async fn list(&self, ctx: &Ctx<'_, D>, config: &Value, sink: &mut RawSink) {
        let config = match L::Config::from_value(config) {
            Ok(c) => c,
            Err(e) => {
                return sink
                    .send(Found::Diagnostic(e.diagnostic("list configuration")))
                    .await;
            }
        };
        let req = ListRequest {
            config,
            include_resource_object: sink.include_object,
            limit: sink.limit(),
        };
        let op = format!("{} list", self.type_name());
        let mut out = ListSink {
            raw: &mut *sink,
            model: PhantomData,
        };
        let result = catch(&op, self.0.list(ctx, req, &mut out)).await;
        if let Err(d) = result {
            sink.send(Found::Diagnostic(d)).await;
        }
    }
}
