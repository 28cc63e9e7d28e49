//! The `DataSource` trait: typed configuration in, typed state out.
//!
//! A data source's model holds both what the user writes (required and
//! optional attributes) and what the read finds (computed ones). The
//! response starts as the configuration, so a read only fills in what it
//! found.

use async_trait::async_trait;
use hwsnap_cty::Value;

use crate::catch::catch;
use crate::diag::Diagnostics;
use crate::model::{self, Model};
use crate::resource::Ctx;
use crate::schema::Schema;
use crate::timeouts::{self, Timeout};

pub struct ReadRequest<M> {
    pub config: M,
}

pub struct ReadResponse<M> {
    /// Starts as the configuration (computed attributes `None`).
    pub state: M,
    pub diagnostics: Diagnostics,
}

/// A data source type.
#[async_trait]
pub trait DataSource<D: Send + Sync + 'static>: Send + Sync + 'static {
    /// Configuration and result, declared with [`model!`](crate::model!).
    type Model: Model;

    /// The data source type name, e.g. `dws_snapshots`.
    const TYPE_NAME: &'static str;

    /// `&[Timeout { operation: "read", … }]` to let users bound the read.
    const TIMEOUTS: &'static [Timeout] = &[];

    /// Checks across attributes; the config may hold unknown values.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    async fn read(
        &self,
        ctx: &Ctx<'_, D>,
        req: ReadRequest<Self::Model>,
        resp: &mut ReadResponse<Self::Model>,
    );
}

/// The schema of a data source type.
pub fn schema<D: Send + Sync + 'static, S: DataSource<D>>() -> Schema {
    let mut block = model::block::<S::Model>();
    if !S::TIMEOUTS.is_empty() {
        block = block.block(timeouts::block(S::TIMEOUTS));
    }
    Schema::new(0, block)
}

/// A data source with its model erased.
#[async_trait]
pub(crate) trait AnyDataSource<D>: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn check(&self) -> Result<(), Vec<String>>;
    fn timeouts(&self) -> &'static [Timeout];
    fn validate(&self, config: &Value, diags: &mut Diagnostics);
    /// The state read (null when the read failed) and what it said.
    async fn read(&self, ctx: &Ctx<'_, D>, config: &Value) -> (Value, Diagnostics);
}

pub(crate) struct TypedDataSource<S>(pub S);

#[async_trait]
impl<D, S> AnyDataSource<D> for TypedDataSource<S>
where
    D: Send + Sync + 'static,
    S: DataSource<D>,
{
    fn type_name(&self) -> &'static str {
        S::TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema::<D, S>()
    }

    fn check(&self) -> Result<(), Vec<String>> {
        model::check::<S::Model>(S::TYPE_NAME)
    }

    fn timeouts(&self) -> &'static [Timeout] {
        S::TIMEOUTS
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        self.0.validate(config, diags);
    }

    async fn read(&self, ctx: &Ctx<'_, D>, config: &Value) -> (Value, Diagnostics) {
        let m = match S::Model::from_value(config) {
            Ok(m) => m,
            Err(e) => {
                return (
                    Value::Null,
                    e.diagnostic("data source configuration").into(),
                );
            }
        };
        let mut resp = ReadResponse {
            state: m.clone(),
            diagnostics: Diagnostics::new(),
        };
        let op = format!("{} read", S::TYPE_NAME);
        if let Err(d) = catch(&op, self.0.read(ctx, ReadRequest { config: m }, &mut resp)).await {
            resp.diagnostics.push(d);
        }
        if resp.diagnostics.has_errors() {
            return (Value::Null, resp.diagnostics);
        }
        let mut state = resp.state.to_value();
        if !S::TIMEOUTS.is_empty() {
            let t = config
                .get_attr(timeouts::BLOCK)
                .cloned()
                .unwrap_or(Value::Null);
            state.set_attr(timeouts::BLOCK, t);
        }
        (state, resp.diagnostics)
    }
}
