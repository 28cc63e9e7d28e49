//! The `Resource` trait, the [`Ctx`] every operation gets, and the
//! request/response pair of each operation.
//!
//! A resource declares its [`Model`] once; the framework decodes planned,
//! prior and configured values into it and encodes state from it. Each
//! response starts pre-filled (create and update: the planned model; read:
//! the current one), so a resource changes only what it must. Protocol rules
//! — wholly known state after apply, an ID after create, identities, the
//! `timeouts` block, a panic becoming a diagnostic — are the server's, not
//! the resource's.

use std::time::Duration;

use async_trait::async_trait;
use hwsnap_cty::{Type, Value};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::catch::catch;
use crate::diag::{Diagnostic, Diagnostics};
use crate::import::Import;
use crate::model::{self, Model, ModelError};
use crate::moves::{self, MoveInput, MoveSource, Moved};
use crate::private::Private;
use crate::schema::Schema;
use crate::timeouts::{self, Timeout};

/// What every operation gets: the configured provider's data (e.g. the
/// cloud client), a token cancelled by StopProvider, and the operation's
/// deadline.
pub struct Ctx<'a, D> {
    pub data: &'a D,
    pub cancel: &'a CancellationToken,
    /// When the operation must be over: now plus [`Ctx::timeout`] at the
    /// start of the operation; `None` for operations without a declared
    /// timeout.
    pub deadline: Option<Instant>,
    /// The operation's timeout and its name (`("create", 30m)`), from the
    /// `timeouts` block or the declared default. Resources never read the
    /// block themselves.
    pub timeout: Option<(&'static str, Duration)>,
}

impl<'a, D> Ctx<'a, D> {
    /// A context bounded by `timeout` from now (or unbounded).
    pub fn new(
        data: &'a D,
        cancel: &'a CancellationToken,
        timeout: Option<(&'static str, Duration)>,
    ) -> Self {
        Self {
            data,
            cancel,
            deadline: timeout.map(|(_, d)| Instant::now() + d),
            timeout,
        }
    }
}

pub struct CreateRequest<M> {
    pub config: M,
    pub planned: M,
}

pub struct CreateResponse<M> {
    /// Starts as the planned model (computed attributes `None`). Set the ID
    /// as soon as the cloud returns it: on error, whatever is here is still
    /// saved, and Terraform marks the resource tainted.
    pub state: M,
    /// Starts as the planned private state (empty for a create).
    pub private: Private,
    pub diagnostics: Diagnostics,
}

pub struct ReadRequest<M> {
    pub state: M,
    /// The stored private state.
    pub private: Private,
}

pub struct ReadResponse<M> {
    /// Starts as the current state.
    pub state: M,
    /// Starts as the stored private state; what it holds is stored.
    pub private: Private,
    pub diagnostics: Diagnostics,
    gone: bool,
}

impl<M> ReadResponse<M> {
    /// A response holding `state`, with no private state.
    pub fn new(state: M) -> Self {
        Self::with_private(state, Private::new())
    }

    /// A response holding `state` and `private`.
    pub fn with_private(state: M, private: Private) -> Self {
        Self {
            state,
            private,
            diagnostics: Diagnostics::new(),
            gone: false,
        }
    }

    /// The object is gone outside Terraform: drop it from state with a
    /// warning, so this plan creates it again.
    pub fn gone(&mut self, what: &str) {
        self.gone = true;
        self.diagnostics.push(Diagnostic::warning(
            format!("{what} no longer exists"),
            format!(
                "{what} was deleted outside Terraform. It has been removed from the state; \
                 this plan will create it again."
            ),
        ));
    }

    pub fn is_gone(&self) -> bool {
        self.gone
    }
}

pub struct UpdateRequest<M> {
    pub config: M,
    pub prior: M,
    pub planned: M,
    /// The planned private state (the prior one: plans keep it).
    pub private: Private,
}

pub struct UpdateResponse<M> {
    /// Starts as the planned model.
    pub state: M,
    /// Starts as the planned private state; what it holds is stored.
    pub private: Private,
    pub diagnostics: Diagnostics,
}

pub struct DeleteRequest<M> {
    pub prior: M,
    /// The stored private state.
    pub private: Private,
}

#[derive(Default)]
pub struct DeleteResponse {
    pub diagnostics: Diagnostics,
}

/// A managed resource type.
#[async_trait]
pub trait Resource<D: Send + Sync + 'static>: Send + Sync + 'static {
    /// What configuration, plan and state hold, declared with
    /// [`model!`](crate::model!). Attributes marked `.identity()` make the
    /// identity schema.
    type Model: Model;

    /// The resource type name, e.g. `dws_snapshot`.
    const TYPE_NAME: &'static str;

    /// The schema version.
    const VERSION: i64 = 0;

    /// The operations whose timeouts the user may set in a `timeouts`
    /// block (`create`, `read`, `update`, `delete`). The framework adds the
    /// block and puts each operation's deadline on its [`Ctx`].
    const TIMEOUTS: &'static [Timeout] = &[];

    /// Checks across attributes, beyond each attribute's validators. The
    /// config may hold unknown values.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    async fn create(
        &self,
        ctx: &Ctx<'_, D>,
        req: CreateRequest<Self::Model>,
        resp: &mut CreateResponse<Self::Model>,
    );

    async fn read(
        &self,
        ctx: &Ctx<'_, D>,
        req: ReadRequest<Self::Model>,
        resp: &mut ReadResponse<Self::Model>,
    );

    /// In-place update. Only attributes without `RequiresReplace` can change
    /// in place; the default accepts the planned state (right for attributes
    /// that live only in Terraform, such as `timeouts`).
    async fn update(
        &self,
        _ctx: &Ctx<'_, D>,
        _req: UpdateRequest<Self::Model>,
        _resp: &mut UpdateResponse<Self::Model>,
    ) {
    }

    async fn delete(
        &self,
        ctx: &Ctx<'_, D>,
        req: DeleteRequest<Self::Model>,
        resp: &mut DeleteResponse,
    );

    /// How an import ID or identity maps onto attributes
    /// ([`import::passthrough`](crate::import::passthrough),
    /// [`import::split`](crate::import::split)). `None`: the type cannot be
    /// imported.
    fn import(&self) -> Option<Import> {
        None
    }

    /// For `GenerateResourceConfig`: clear optional+computed values that
    /// equal what the provider would choose anyway, so the generated
    /// configuration leaves them out. The framework already keeps only
    /// arguments that are set.
    fn generate_config(&self, _config: &mut Self::Model) {}

    /// The states this type accepts through a `moved` block from another
    /// resource type or provider (MoveResourceState), the first that
    /// accepts a move doing it: [`MoveSource::same_type`] and
    /// [`MoveSource::from`] (see [`moves`](crate::moves)). Empty: such
    /// moves are refused, naming the type.
    fn moves(&self) -> Vec<MoveSource<Self::Model>> {
        Vec::new()
    }
}

/// The schema of a resource type: its model's attributes and, when it
/// declares timeouts, the `timeouts` block.
pub fn schema<D: Send + Sync + 'static, R: Resource<D>>() -> Schema {
    let mut block = model::block::<R::Model>();
    if !R::TIMEOUTS.is_empty() {
        block = block.block(timeouts::block(R::TIMEOUTS));
    }
    Schema::new(R::VERSION, block)
}

/// A resource operation's new state, its private state and what it said.
/// A null state: gone.
pub(crate) struct Outcome {
    pub state: Value,
    pub private: Private,
    pub diagnostics: Diagnostics,
}

impl Outcome {
    fn refused(state: Value, private: &Private, e: &ModelError, what: &str) -> Self {
        Self {
            state,
            private: private.clone(),
            diagnostics: e.diagnostic(what).into(),
        }
    }
}

/// A move's state and private state, or why it was refused.
pub(crate) type MoveOutcome = Result<(Value, Private, Diagnostics), Diagnostics>;

/// A resource type with its model erased: what the server calls.
#[async_trait]
pub(crate) trait AnyResource<D>: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn check(&self) -> Result<(), Vec<String>>;
    fn timeouts(&self) -> &'static [Timeout];
    fn import(&self) -> Option<Import>;
    fn validate(&self, config: &Value, diags: &mut Diagnostics);
    async fn create(
        &self,
        ctx: &Ctx<'_, D>,
        config: &Value,
        planned: &Value,
        private: &Private,
    ) -> Outcome;
    async fn read(&self, ctx: &Ctx<'_, D>, state: &Value, private: &Private) -> Outcome;
    async fn update(
        &self,
        ctx: &Ctx<'_, D>,
        config: &Value,
        prior: &Value,
        planned: &Value,
        private: &Private,
    ) -> Outcome;
    async fn delete(&self, ctx: &Ctx<'_, D>, prior: &Value, private: &Private) -> Diagnostics;
    /// The state as a model after the resource's `generate_config` hook.
    fn generate_config(&self, state: &Value) -> Result<Value, ModelError>;
    /// Whether the type accepts any move.
    fn accepts_moves(&self) -> bool;
    /// Moves a state of another type or provider into this type (`ty`:
    /// this type's value type).
    fn move_state(&self, input: &MoveInput<'_>, ty: &Type) -> MoveOutcome;
}

/// The erasing wrapper of a typed resource, with its move sources.
pub(crate) struct Typed<D, R: Resource<D>>
where
    D: Send + Sync + 'static,
{
    resource: R,
    moves: Vec<MoveSource<R::Model>>,
    _data: std::marker::PhantomData<fn(&D)>,
}

impl<D: Send + Sync + 'static, R: Resource<D>> Typed<D, R> {
    pub fn new(resource: R) -> Self {
        let moves = resource.moves();
        Self {
            resource,
            moves,
            _data: std::marker::PhantomData,
        }
    }

    /// Encodes `m`, keeping the `timeouts` block of `from` (it lives only
    /// in Terraform).
    fn state(m: &R::Model, from: &Value) -> Value {
        let mut v = m.to_value();
        if !R::TIMEOUTS.is_empty() {
            let t = from
                .get_attr(timeouts::BLOCK)
                .cloned()
                .unwrap_or(Value::Null);
            v.set_attr(timeouts::BLOCK, t);
        }
        v
    }
}

fn decode_pair<M: Model>(
    config: &Value,
    planned: &Value,
) -> Result<(M, M), (ModelError, &'static str)> {
    let config = M::from_value(config).map_err(|e| (e, "resource configuration"))?;
    let planned = M::from_value(planned).map_err(|e| (e, "planned state"))?;
    Ok((config, planned))
}

#[async_trait]
impl<D, R> AnyResource<D> for Typed<D, R>
where
    D: Send + Sync + 'static,
    R: Resource<D>,
{
    fn type_name(&self) -> &'static str {
        R::TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema::<D, R>()
    }

    fn check(&self) -> Result<(), Vec<String>> {
        let mut problems = model::check::<R::Model>(R::TYPE_NAME)
            .err()
            .unwrap_or_default();
        problems.extend(
            moves::check(&self.moves, R::TYPE_NAME)
                .err()
                .unwrap_or_default(),
        );
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    fn timeouts(&self) -> &'static [Timeout] {
        R::TIMEOUTS
    }

    fn import(&self) -> Option<Import> {
        self.resource.import()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        self.resource.validate(config, diags);
    }

    async fn create(
        &self,
        ctx: &Ctx<'_, D>,
        config: &Value,
        planned: &Value,
        private: &Private,
    ) -> Outcome {
        let (config_m, planned_m) = match decode_pair::<R::Model>(config, planned) {
            Ok(x) => x,
            Err((e, what)) => return Outcome::refused(Value::Null, private, &e, what),
        };
        let mut resp = CreateResponse {
            state: planned_m.clone(),
            private: private.clone(),
            diagnostics: Diagnostics::new(),
        };
        let req = CreateRequest {
            config: config_m,
            planned: planned_m,
        };
        let op = format!("{} create", R::TYPE_NAME);
        if let Err(d) = catch(&op, self.resource.create(ctx, req, &mut resp)).await {
            resp.diagnostics.push(d);
        }
        Outcome {
            state: Self::state(&resp.state, planned),
            private: resp.private,
            diagnostics: resp.diagnostics,
        }
    }

    async fn read(&self, ctx: &Ctx<'_, D>, state: &Value, private: &Private) -> Outcome {
        let current = match R::Model::from_value(state) {
            Ok(m) => m,
            Err(e) => return Outcome::refused(state.clone(), private, &e, "resource state"),
        };
        let mut resp = ReadResponse::with_private(current.clone(), private.clone());
        let req = ReadRequest {
            state: current,
            private: private.clone(),
        };
        let op = format!("{} read", R::TYPE_NAME);
        if let Err(d) = catch(&op, self.resource.read(ctx, req, &mut resp)).await {
            resp.diagnostics.push(d);
            return Outcome {
                state: state.clone(),
                private: private.clone(),
                diagnostics: resp.diagnostics,
            };
        }
        Outcome {
            state: if resp.gone {
                Value::Null
            } else {
                Self::state(&resp.state, state)
            },
            private: resp.private,
            diagnostics: resp.diagnostics,
        }
    }

    async fn update(
        &self,
        ctx: &Ctx<'_, D>,
        config: &Value,
        prior: &Value,
        planned: &Value,
        private: &Private,
    ) -> Outcome {
        let decoded = decode_pair::<R::Model>(config, planned).and_then(|(c, p)| {
            let prior_m = R::Model::from_value(prior).map_err(|e| (e, "prior state"))?;
            Ok((c, prior_m, p))
        });
        let (config_m, prior_m, planned_m) = match decoded {
            Ok(x) => x,
            Err((e, what)) => return Outcome::refused(prior.clone(), private, &e, what),
        };
        let mut resp = UpdateResponse {
            state: planned_m.clone(),
            private: private.clone(),
            diagnostics: Diagnostics::new(),
        };
        let req = UpdateRequest {
            config: config_m,
            prior: prior_m,
            planned: planned_m,
            private: private.clone(),
        };
        let op = format!("{} update", R::TYPE_NAME);
        if let Err(d) = catch(&op, self.resource.update(ctx, req, &mut resp)).await {
            resp.diagnostics.push(d);
        }
        Outcome {
            state: Self::state(&resp.state, planned),
            private: resp.private,
            diagnostics: resp.diagnostics,
        }
    }

    async fn delete(&self, ctx: &Ctx<'_, D>, prior: &Value, private: &Private) -> Diagnostics {
        let prior_m = match R::Model::from_value(prior) {
            Ok(m) => m,
            Err(e) => return e.diagnostic("prior state").into(),
        };
        let mut resp = DeleteResponse::default();
        let req = DeleteRequest {
            prior: prior_m,
            private: private.clone(),
        };
        let op = format!("{} delete", R::TYPE_NAME);
        if let Err(d) = catch(&op, self.resource.delete(ctx, req, &mut resp)).await {
            resp.diagnostics.push(d);
        }
        resp.diagnostics
    }

    fn generate_config(&self, state: &Value) -> Result<Value, ModelError> {
        let mut m = R::Model::from_value(state)?;
        self.resource.generate_config(&mut m);
        Ok(m.to_value())
    }

    fn accepts_moves(&self) -> bool {
        !self.moves.is_empty()
    }

    fn move_state(&self, input: &MoveInput<'_>, ty: &Type) -> MoveOutcome {
        match moves::run(&self.moves, R::TYPE_NAME, R::VERSION, ty, input)? {
            Moved::Model {
                state,
                private,
                diagnostics,
            } => Ok((Self::state(&state, &Value::Null), private, diagnostics)),
            Moved::Unchanged { state, private } => Ok((state, private, Diagnostics::new())),
        }
    }
}
