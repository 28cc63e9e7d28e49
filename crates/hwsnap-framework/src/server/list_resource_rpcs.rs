//! List resource RPCs: validate and the server-streaming ListResource. The
//! list runs inside the stream Terraform reads; each object found becomes an
//! event with the listed resource's identity, its display name and, when
//! asked, the full object. Errors are diagnostic events, never a broken
//! stream.

use std::sync::Arc;

use hwsnap_cty::Value;
use hwsnap_plugin::proto::tfplugin6 as pb;

use super::stream::{BoxStream, drive};
use super::{ListEntry, Server, convert, ctx, unknown_type, unsupported, validate_config};
use crate::diag::Diagnostic;
use crate::list_resource::{Found, Listed, RawSink};
use crate::provider::Provider;

/// One event on the wire for what a list found.
fn event(found: Found, entry: &ListEntry<impl Send + Sync>) -> pb::list_resource::Event {
    let diagnostic_event = |d: &Diagnostic| {
        let mut diagnostic = vec![convert::diagnostic(d)];
        in_config_block(&mut diagnostic);
        pb::list_resource::Event {
            diagnostic,
            ..Default::default()
        }
    };
    match found {
        Found::Diagnostic(d) => diagnostic_event(&d),
        Found::Object(listed) => {
            let Listed {
                identity,
                display_name,
                object,
            } = *listed;
            let encoded = convert::identity_data(&identity, &entry.identity_ty).and_then(|id| {
                let object = object
                    .map(|o| convert::encode_dynamic(&o, &entry.resource_ty, "listed object"))
                    .transpose()?;
                Ok((id, object))
            });
            match encoded {
                Ok((identity, resource_object)) => pb::list_resource::Event {
                    identity: Some(identity),
                    display_name,
                    resource_object,
                    diagnostic: Vec::new(),
                },
                Err(d) => diagnostic_event(&d),
            }
        }
    }
}

/// Terraform reads a list's diagnostics against the whole `list` block, in
/// which the configuration is the nested `config { … }` block: attribute
/// paths start there, so the message points at the attribute's line.
fn in_config_block(diagnostics: &mut [pb::Diagnostic]) {
    use pb::attribute_path::{Step, step::Selector};
    for d in diagnostics {
        if let Some(path) = d.attribute.as_mut() {
            let config = Step {
                selector: Some(Selector::AttributeName(CONFIG_BLOCK.to_owned())),
            };
            path.steps.insert(0, config);
        }
    }
}

/// The block Terraform wraps a list's configuration in.
const CONFIG_BLOCK: &str = "config";

impl<P: Provider> Server<P> {
    fn list(&self, type_name: &str) -> Result<&Arc<ListEntry<P::Data>>, Vec<pb::Diagnostic>> {
        if self.lists.is_empty() {
            return Err(unsupported::not_supported("list resource", type_name));
        }
        self.lists.get(type_name).ok_or_else(|| {
            vec![convert::diagnostic(&unknown_type(
                "list resource",
                type_name,
                self.lists.keys(),
            ))]
        })
    }

    pub(super) fn validate_list_resource_config_rpc(
        &self,
        r: pb::validate_list_resource_config::Request,
    ) -> pb::validate_list_resource_config::Response {
        let diagnostics = match self.list(&r.type_name) {
            Ok(l) => {
                let e = &l.entry;
                let mut diagnostics = validate_config(
                    &e.schema,
                    &e.ty,
                    r.config.as_ref(),
                    "list configuration",
                    |c, d| e.op.validate(c, d),
                );
                in_config_block(&mut diagnostics);
                diagnostics
            }
            Err(d) => d,
        };
        pb::validate_list_resource_config::Response { diagnostics }
    }

    pub(super) fn list_resource_rpc(
        &self,
        r: pb::list_resource::Request,
    ) -> BoxStream<pb::list_resource::Event> {
        let prepared = self.list(&r.type_name).and_then(|l| {
            let fail = |d: Diagnostic| vec![convert::diagnostic(&d)];
            let config =
                convert::decode_dynamic(r.config.as_ref(), &l.entry.ty, "list configuration")
                    .map_err(fail)?;
            let data = self.configured().map_err(fail)?;
            Ok((l.clone(), config, data))
        });
        let (entry, config, data) = match prepared {
            Ok(x) => x,
            Err(diagnostic) => {
                let event = pb::list_resource::Event {
                    diagnostic,
                    ..Default::default()
                };
                return Box::pin(futures::stream::iter([Ok(event)]));
            }
        };
        let cancel = self.cancel_token();
        let limit = u64::try_from(r.limit).ok().filter(|n| *n > 0);
        let include = r.include_resource_object;
        let wire = entry.clone();
        drive(
            move |tx| async move {
                let mut sink = RawSink::new(tx, include, limit, entry.identity.clone());
                let ctx = ctx(&*data, &cancel, &[], &Value::Null, "list");
                tokio::select! {
                    () = entry.entry.op.list(&ctx, &config, &mut sink) => {}
                    () = cancel.cancelled() => {}
                }
            },
            move |found| event(found, &wire),
        )
    }
}
