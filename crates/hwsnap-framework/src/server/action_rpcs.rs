//! Action RPCs: validate, plan (no state change) and the server-streaming
//! InvokeAction. Progress messages go out as the action sends them; the
//! framework sends the final `completed` event with the diagnostics. When
//! Terraform asks the provider to stop, the action sees its context
//! cancelled and gets [`GRACE`] to return what it has; then the invoke ends
//! anyway, saying so.
//!
//! Once stopped, only the `completed` event goes out: progress sent after
//! StopProvider is dropped. An interrupted Terraform (1.14, 1.15) stops
//! reading the stream at the first event it gets but keeps receiving, and
//! crashes ("range function continued iteration") on the event after it;
//! a lone `completed` event is read, and its diagnostics shown.

use std::sync::Arc;
use std::time::Duration;

use hwsnap_cty::Value;
use hwsnap_plugin::proto::tfplugin6 as pb;
use pb::invoke_action::event;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::stream::{BoxStream, drive};
use super::{ActionEntry, Server, convert, ctx, unknown_type, unsupported, validate_config};
use crate::action::ProgressSink;
use crate::diag::{Diagnostic, Diagnostics};
use crate::provider::Provider;

/// How long a stopped invoke may take to return on its own.
pub(crate) const GRACE: Duration = Duration::from_secs(1);

fn completed(diags: &Diagnostics) -> pb::invoke_action::Event {
    pb::invoke_action::Event {
        r#type: Some(event::Type::Completed(event::Completed {
            diagnostics: convert::diagnostics(diags),
        })),
    }
}

fn progress(message: String) -> pb::invoke_action::Event {
    pb::invoke_action::Event {
        r#type: Some(event::Type::Progress(event::Progress { message })),
    }
}

/// What the invoke's producer sends: progress, then the outcome.
enum Sent {
    Progress(String),
    Completed(Diagnostics),
}

/// What an action's RPCs work on: the type, its decoded config and the
/// configured provider's data.
struct Prepared<D> {
    entry: ActionEntry<D>,
    config: Value,
    data: Arc<D>,
}

impl<P: Provider> Server<P> {
    fn action(&self, type_name: &str) -> Result<&ActionEntry<P::Data>, Vec<pb::Diagnostic>> {
        if self.actions.is_empty() {
            return Err(unsupported::not_supported("action", type_name));
        }
        self.actions.get(type_name).ok_or_else(|| {
            vec![convert::diagnostic(&unknown_type(
                "action",
                type_name,
                self.actions.keys(),
            ))]
        })
    }

    /// The action's entry, decoded config and configured data.
    fn prepare_action(
        &self,
        type_name: &str,
        config: Option<&pb::DynamicValue>,
    ) -> Result<Prepared<P::Data>, Vec<pb::Diagnostic>> {
        let e = self.action(type_name)?;
        let fail = |d: Diagnostic| vec![convert::diagnostic(&d)];
        let config =
            convert::decode_dynamic(config, &e.ty, "action configuration").map_err(fail)?;
        let data = self.configured().map_err(fail)?;
        Ok(Prepared {
            entry: e.clone(),
            config,
            data,
        })
    }

    pub(super) fn validate_action_config_rpc(
        &self,
        r: pb::validate_action_config::Request,
    ) -> pb::validate_action_config::Response {
        let diagnostics = match self.action(&r.type_name) {
            Ok(e) => validate_config(
                &e.schema,
                &e.ty,
                r.config.as_ref(),
                "action configuration",
                |c, d| e.op.validate(c, d),
            ),
            Err(d) => d,
        };
        pb::validate_action_config::Response { diagnostics }
    }

    pub(super) async fn plan_action_rpc(
        &self,
        r: pb::plan_action::Request,
    ) -> pb::plan_action::Response {
        let diagnostics = match self.prepare_action(&r.action_type, r.config.as_ref()) {
            Ok(Prepared {
                entry: e,
                config,
                data,
            }) => {
                let cancel = self.cancel_token();
                let ctx = ctx(&*data, &cancel, e.op.timeouts(), &config, "invoke");
                convert::diagnostics(&e.op.plan(&ctx, &config).await)
            }
            Err(d) => d,
        };
        pb::plan_action::Response {
            diagnostics,
            deferred: None,
        }
    }

    pub(super) fn invoke_action_rpc(
        &self,
        r: pb::invoke_action::Request,
    ) -> BoxStream<pb::invoke_action::Event> {
        let Prepared {
            entry,
            config,
            data,
        } = match self.prepare_action(&r.action_type, r.config.as_ref()) {
            Ok(p) => p,
            Err(diagnostics) => {
                let event = pb::invoke_action::Event {
                    r#type: Some(event::Type::Completed(event::Completed { diagnostics })),
                };
                return Box::pin(futures::stream::iter([Ok(event)]));
            }
        };
        let cancel = self.cancel_token();
        drive(
            move |tx: mpsc::Sender<Sent>| async move {
                let (ptx, mut prx) = mpsc::channel::<String>(16);
                let sink = ProgressSink::new(ptx);
                let ctx = ctx(&*data, &cancel, entry.op.timeouts(), &config, "invoke");
                let invoke = entry.op.invoke(&ctx, &config, &sink);
                tokio::pin!(invoke);
                let mut give_up: Option<Instant> = None;
                let diags = loop {
                    tokio::select! {
                        d = &mut invoke => break d,
                        Some(m) = prx.recv() => {
                            if !cancel.is_cancelled() && tx.send(Sent::Progress(m)).await.is_err() {
                                return;
                            }
                        }
                        () = cancel.cancelled(), if give_up.is_none() => {
                            give_up = Some(Instant::now() + GRACE);
                        }
                        () = tokio::time::sleep_until(give_up.unwrap_or_else(Instant::now)), if give_up.is_some() => {
                            break Diagnostic::error(
                                format!("Stopped {}", r.action_type),
                                "Terraform asked the provider to stop while the action ran; it was \
                                 abandoned and may have done part of its work.",
                            )
                            .into();
                        }
                    }
                };
                // Progress sent just before the end still goes out first,
                // unless Terraform asked to stop (see the module doc).
                while let Ok(m) = prx.try_recv() {
                    if !cancel.is_cancelled() {
                        let _ = tx.send(Sent::Progress(m)).await;
                    }
                }
                let _ = tx.send(Sent::Completed(diags)).await;
            },
            |sent| match sent {
                Sent::Progress(m) => progress(m),
                Sent::Completed(d) => completed(&d),
            },
        )
    }
}
