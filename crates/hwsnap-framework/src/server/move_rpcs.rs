//! MoveResourceState: a `moved` block from another resource type or
//! provider into one of ours. The target type's [`MoveSource`]s decide
//! (see [`crate::moves`]); the rules every move follows are here, once: the
//! moved state holds an ID, its identity is derived from it, and a refusal
//! is a diagnostic naming what is accepted.
//!
//! [`MoveSource`]: crate::moves::MoveSource

use hwsnap_plugin::proto::tfplugin6 as pb;

use super::resource_rpcs::{encode_state, has_id, identity_of};
use super::{Server, convert};
use crate::diag::Diagnostics;
use crate::moves::MoveInput;
use crate::provider::Provider;

impl<P: Provider> Server<P> {
    /// Whether any served type accepts moves (the `move_resource_state`
    /// server capability).
    pub(super) fn accepts_moves(&self) -> bool {
        self.resources.values().any(|r| r.entry.op.accepts_moves())
    }

    pub(super) fn move_resource_state_rpc(
        &self,
        r: pb::move_resource_state::Request,
    ) -> pb::move_resource_state::Response {
        let mut diags = Diagnostics::new();
        let mut out = pb::move_resource_state::Response::default();
        let reg = match self.resource(&r.target_type_name) {
            Ok(reg) => reg,
            Err(d) => {
                out.diagnostics = vec![convert::diagnostic(&d)];
                return out;
            }
        };
        let raw = r.source_state.unwrap_or_default();
        let input = MoveInput {
            provider: &r.source_provider_address,
            type_name: &r.source_type_name,
            schema_version: r.source_schema_version,
            json: &raw.json,
            private: &r.source_private,
        };
        match reg.entry.op.move_state(&input, &reg.entry.ty) {
            Ok((state, private, said)) => {
                diags.extend(said);
                let needs_id = reg.entry.schema.block.find_attribute("id").is_some();
                if needs_id && !has_id(&state) {
                    diags.error(
                        format!(
                            "Cannot move {} into {}: no ID",
                            r.source_type_name, r.target_type_name
                        ),
                        format!(
                            "The moved {} state holds no id, so the object it stands for cannot be \
                             found. Remove the moved block and import the object instead.",
                            r.target_type_name
                        ),
                    );
                } else {
                    out.target_identity = identity_of(reg, &state, &mut diags);
                    out.target_state = encode_state(&state, &reg.entry.ty, &mut diags);
                    out.target_private = private.to_bytes();
                }
            }
            Err(refused) => diags.extend(refused),
        }
        if diags.has_errors() {
            out.target_state = None;
            out.target_identity = None;
            out.target_private = Vec::new();
        }
        out.diagnostics = convert::diagnostics(&diags);
        out
    }
}
