//! The `Action` trait (Terraform 1.14+): an operation run on demand or on a
//! resource's lifecycle event, which changes no state.
//!
//! PlanAction checks a known configuration during plan (the framework skips
//! it while the configuration holds unknown values); InvokeAction runs it,
//! sending progress messages as they happen through a [`ProgressSink`]. The
//! framework sends the final `completed` event with the diagnostics, turns a
//! panic into one, and ends the invoke promptly when Terraform asks the
//! provider to stop.

use std::time::Duration;

use async_trait::async_trait;
use hwsnap_cty::Value;
use tokio::sync::mpsc;

use crate::catch::catch;
use crate::diag::Diagnostics;
use crate::model::{self, Model};
use crate::resource::Ctx;
use crate::schema::Schema;
use crate::timeouts::{self, Timeout};

pub struct PlanRequest<C> {
    pub config: C,
}

#[derive(Default)]
pub struct PlanResponse {
    pub diagnostics: Diagnostics,
}

pub struct InvokeRequest<C> {
    pub config: C,
}

#[derive(Default)]
pub struct InvokeResponse {
    pub diagnostics: Diagnostics,
}

/// Sends an invoke's progress messages to Terraform as they happen.
pub struct ProgressSink {
    tx: mpsc::Sender<String>,
}

impl ProgressSink {
    pub(crate) fn new(tx: mpsc::Sender<String>) -> Self {
        Self { tx }
    }

    /// A sink and the receiving end of what is sent to it, holding up to
    /// `buffer` messages: for testing the parts of an action that report
    /// progress, without a server.
    pub fn channel(buffer: usize) -> (Self, mpsc::Receiver<String>) {
        let (tx, rx) = mpsc::channel(buffer.max(1));
        (Self { tx }, rx)
    }

    /// Shows `message` to the user now. Never fails: once Terraform stopped
    /// listening, or asked the provider to stop, messages are dropped (put
    /// what the user must know after an interrupt in the diagnostics).
    pub async fn send(&self, message: impl Into<String>) {
        let _ = self.tx.send(message.into()).await;
    }
}

/// An action type.
#[async_trait]
pub trait Action<D: Send + Sync + 'static>: Send + Sync + 'static {
    /// The action block's `config { … }`, declared with
    /// [`model!`](crate::model!).
    type Config: Model;

    /// The action type name; like a resource's, it starts with its
    /// provider's local name (`dws_…`).
    const TYPE_NAME: &'static str;

    /// `&[Timeout { operation: "invoke", … }]` to add a `timeouts` block
    /// bounding the invoke ([`Ctx::deadline`]).
    const TIMEOUTS: &'static [Timeout] = &[];

    /// The invoke's timeout when the action takes it from an attribute of
    /// its own configuration (such as `timeout = "30m"`) instead of a
    /// `timeouts` block; `Some` replaces what [`Action::TIMEOUTS`] gives.
    /// The framework puts it, named `"invoke"`, and the deadline it sets on
    /// the invoke's [`Ctx`].
    fn timeout(&self, _config: &Self::Config) -> Option<Duration> {
        None
    }

    /// Checks across attributes; the config may hold unknown values.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Checks a wholly known configuration during plan. Changes nothing.
    async fn plan(
        &self,
        _ctx: &Ctx<'_, D>,
        _req: PlanRequest<Self::Config>,
        _resp: &mut PlanResponse,
    ) {
    }

    async fn invoke(
        &self,
        ctx: &Ctx<'_, D>,
        req: InvokeRequest<Self::Config>,
        progress: &ProgressSink,
        resp: &mut InvokeResponse,
    );
}

/// The schema of an action type.
pub fn schema<D: Send + Sync + 'static, A: Action<D>>() -> Schema {
    let mut block = model::block::<A::Config>();
    if !A::TIMEOUTS.is_empty() {
        block = block.block(timeouts::block(A::TIMEOUTS));
    }
    Schema::new(0, block)
}

/// An action with its config model erased.
#[async_trait]
pub(crate) trait AnyAction<D>: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn check(&self) -> Result<(), Vec<String>>;
    fn timeouts(&self) -> &'static [Timeout];
    fn validate(&self, config: &Value, diags: &mut Diagnostics);
    async fn plan(&self, ctx: &Ctx<'_, D>, config: &Value) -> Diagnostics;
    async fn invoke(
        &self,
        ctx: &Ctx<'_, D>,
        config: &Value,
        progress: &ProgressSink,
    ) -> Diagnostics;
}

pub(crate) struct TypedAction<A>(pub A);

#[async_trait]
impl<D, A> AnyAction<D> for TypedAction<A>
where
    D: Send + Sync + 'static,
    A: Action<D>,
{
    fn type_name(&self) -> &'static str {
        A::TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema::<D, A>()
    }

    fn check(&self) -> Result<(), Vec<String>> {
        model::check::<A::Config>(A::TYPE_NAME)
    }

    fn timeouts(&self) -> &'static [Timeout] {
        A::TIMEOUTS
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        self.0.validate(config, diags);
    }

    async fn plan(&self, ctx: &Ctx<'_, D>, config: &Value) -> Diagnostics {
        if !config.is_wholly_known() {
            return Diagnostics::new();
        }
        let config = match A::Config::from_value(config) {
            Ok(c) => c,
            Err(e) => return e.diagnostic("action configuration").into(),
        };
        let mut resp = PlanResponse::default();
        let op = format!("{} plan", A::TYPE_NAME);
        if let Err(d) = catch(&op, self.0.plan(ctx, PlanRequest { config }, &mut resp)).await {
            resp.diagnostics.push(d);
        }
        resp.diagnostics
    }

    async fn invoke(
        &self,
        ctx: &Ctx<'_, D>,
        config: &Value,
        progress: &ProgressSink,
    ) -> Diagnostics {
        let config = match A::Config::from_value(config) {
            Ok(c) => c,
            Err(e) => return e.diagnostic("action configuration").into(),
        };
        let bounded;
        let ctx = match self.0.timeout(&config) {
            Some(limit) => {
                bounded = Ctx::new(ctx.data, ctx.cancel, Some(("invoke", limit)));
                &bounded
            }
            None => ctx,
        };
        let mut resp = InvokeResponse::default();
        let op = format!("{} invoke", A::TYPE_NAME);
        let run = self
            .0
            .invoke(ctx, InvokeRequest { config }, progress, &mut resp);
        if let Err(d) = catch(&op, run).await {
            resp.diagnostics.push(d);
        }
        resp.diagnostics
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_sink_channel_receives_what_is_sent() {
        let (sink, mut rx) = ProgressSink::channel(2);
        sink.send("one").await;
        drop(sink);
        assert_eq!(rx.recv().await.as_deref(), Some("one"));
        assert_eq!(rx.recv().await, None);
    }
}
