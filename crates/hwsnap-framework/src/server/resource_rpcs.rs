//! Resource RPCs: validate, upgrade, read, plan, apply, import. The protocol
//! rules live here, once: state after apply is wholly known, a create that
//! failed after the object was made still returns its ID, identities are
//! derived from state, an object gone from the cloud is dropped from state.

use hwsnap_cty::{AttributePath, Type, Value};
use hwsnap_plugin::proto::tfplugin6 as pb;

use super::{Registered, Server, convert};
use crate::diag::{Diagnostic, Diagnostics};
use crate::plan::plan;
use crate::provider::Provider;
use crate::resource::{
    CreateRequest, CreateResponse, Ctx, DeleteRequest, DeleteResponse, ImportRequest,
    ImportResponse, ReadRequest, ReadResponse, UpdateRequest, UpdateResponse,
};
use crate::validate::validate_block;

/// Encodes a state value, or records why it could not be.
fn encode_state(value: &Value, ty: &Type, diags: &mut Diagnostics) -> Option<pb::DynamicValue> {
    convert::encode_dynamic(value, ty, "resource state")
        .map_err(|d| diags.push(d))
        .ok()
}

/// The identity of a state, encoded, when the resource has identities.
fn identity_of<D: Send + Sync>(
    r: &Registered<D>,
    state: &Value,
    diags: &mut Diagnostics,
) -> Option<pb::ResourceIdentityData> {
    let (schema, ty) = r.identity.as_ref()?;
    // Each identity attribute is the state attribute of the same name; an
    // object without all of them (unknown, null or "") has no identity yet.
    let identity = schema
        .attributes
        .iter()
        .map(|a| {
            let v = state
                .get_attr(a.name)
                .filter(|v| v.is_wholly_known() && !v.is_null() && v.as_str() != Some(""))?;
            Some((a.name.to_owned(), v.clone()))
        })
        .collect::<Option<_>>()
        .map(Value::Object)?;
    convert::encode_dynamic(&identity, ty, "resource identity")
        .map(|dv| pb::ResourceIdentityData {
            identity_data: Some(dv),
        })
        .map_err(|d| diags.push(d))
        .ok()
}

/// Replaces every unknown inside `v` with null.
fn null_unknowns(v: &mut Value) {
    match v {
        Value::Unknown(_) => *v = Value::Null,
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
            items.iter_mut().for_each(null_unknowns)
        }
        Value::Map(m) | Value::Object(m) => m.values_mut().for_each(null_unknowns),
        Value::Dynamic(_, inner) => null_unknowns(inner),
        _ => {}
    }
}

/// The first path at which `v` is unknown, if any.
fn first_unknown(v: &Value, path: &AttributePath) -> Option<AttributePath> {
    match v {
        Value::Unknown(_) => Some(path.clone()),
        Value::Object(m) => m
            .iter()
            .find_map(|(k, x)| first_unknown(x, &path.join_attr(k))),
        Value::Map(m) => m
            .iter()
            .find_map(|(k, x)| first_unknown(x, &path.join_key(k))),
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, x)| first_unknown(x, &path.join_index(i as i64))),
        Value::Dynamic(_, inner) => first_unknown(inner, path),
        _ => None,
    }
}

/// Enforces "apply must return wholly known state" on a result.
fn require_known(type_name: &str, op: &str, state: &mut Value, diags: &mut Diagnostics) {
    if let Some(path) = first_unknown(state, &AttributePath::root()) {
        diags.push(
            Diagnostic::error(
                format!("Provider returned an incomplete {type_name} after {op}"),
                format!(
                    "The value of {path} is still unknown. This is a bug in the provider; please report it."
                ),
            )
            .at(path),
        );
        null_unknowns(state);
    }
}

/// Whether a state carries a known, non-null `id`.
fn has_id(state: &Value) -> bool {
    state
        .get_attr("id")
        .is_some_and(|v| v.is_known() && !v.is_null())
}

/// The three values of a plan or apply request, decoded with the resource's type.
struct Change<'a, D> {
    reg: &'a Registered<D>,
    prior: Value,
    after: Value,
    config: Value,
}

impl<P: Provider> Server<P> {
    fn decode_change(
        &self,
        type_name: &str,
        prior: Option<&pb::DynamicValue>,
        after: Option<&pb::DynamicValue>,
        config: Option<&pb::DynamicValue>,
    ) -> Result<Change<'_, P::Data>, Diagnostic> {
        let reg = self.resource(type_name)?;
        Ok(Change {
            prior: convert::decode_dynamic(prior, &reg.ty, "prior state")?,
            after: convert::decode_dynamic(after, &reg.ty, "planned state")?,
            config: convert::decode_dynamic(config, &reg.ty, "resource configuration")?,
            reg,
        })
    }

    pub(super) fn validate_resource_config_rpc(
        &self,
        r: pb::validate_resource_config::Request,
    ) -> pb::validate_resource_config::Response {
        let mut diags = Diagnostics::new();
        let result = self.resource(&r.type_name).and_then(|reg| {
            let config =
                convert::decode_dynamic(r.config.as_ref(), &reg.ty, "resource configuration")?;
            validate_block(
                &reg.schema.block,
                &config,
                &AttributePath::root(),
                &mut diags,
            );
            reg.resource.validate(&config, &mut diags);
            Ok(())
        });
        if let Err(d) = result {
            diags.push(d);
        }
        pb::validate_resource_config::Response {
            diagnostics: convert::diagnostics(&diags),
        }
    }

    pub(super) fn upgrade_resource_state_rpc(
        &self,
        r: pb::upgrade_resource_state::Request,
    ) -> pb::upgrade_resource_state::Response {
        let upgraded = self.resource(&r.type_name).and_then(|reg| {
            if r.version > reg.schema.version {
                return Err(Diagnostic::error(
                    "State written by a newer provider",
                    format!(
                        "The state of this {} has schema version {}, but this provider knows version {}. \
                         Upgrade the provider.",
                        r.type_name, r.version, reg.schema.version
                    ),
                ));
            }
            let raw = r.raw_state.unwrap_or_default();
            if raw.json.is_empty() {
                return Err(Diagnostic::error(
                    "Unsupported legacy state",
                    "The state is in the flatmap format of Terraform 0.11, which this provider never wrote.",
                ));
            }
            let value = hwsnap_cty::json::decode_lenient(&raw.json, &reg.ty).map_err(|e| {
                Diagnostic::error(
                    "Unreadable resource state",
                    format!("The stored state of this {} could not be read: {e}.", r.type_name),
                )
            })?;
            convert::encode_dynamic(&value, &reg.ty, "resource state")
        });
        match upgraded {
            Ok(dv) => pb::upgrade_resource_state::Response {
                upgraded_state: Some(dv),
                diagnostics: Vec::new(),
            },
            Err(d) => pb::upgrade_resource_state::Response {
                upgraded_state: None,
                diagnostics: vec![convert::diagnostic(&d)],
            },
        }
    }

    pub(super) fn upgrade_resource_identity_rpc(
        &self,
        r: pb::upgrade_resource_identity::Request,
    ) -> pb::upgrade_resource_identity::Response {
        let result = self.resource(&r.type_name).and_then(|reg| {
            let (schema, ty) = reg.identity.as_ref().ok_or_else(|| {
                Diagnostic::error(
                    format!("{} has no identity", r.type_name),
                    "This resource type does not support resource identity.",
                )
            })?;
            if r.version > schema.version {
                return Err(Diagnostic::error(
                    "Identity written by a newer provider",
                    format!(
                        "The identity has version {}, this provider knows version {}. Upgrade the provider.",
                        r.version, schema.version
                    ),
                ));
            }
            let raw = r.raw_identity.unwrap_or_default();
            let value = hwsnap_cty::json::decode_lenient(&raw.json, ty)
                .map_err(|e| Diagnostic::error("Unreadable resource identity", format!("{e}.")))?;
            convert::encode_dynamic(&value, ty, "resource identity")
        });
        match result {
            Ok(dv) => pb::upgrade_resource_identity::Response {
                upgraded_identity: Some(pb::ResourceIdentityData {
                    identity_data: Some(dv),
                }),
                diagnostics: Vec::new(),
            },
            Err(d) => pb::upgrade_resource_identity::Response {
                upgraded_identity: None,
                diagnostics: vec![convert::diagnostic(&d)],
            },
        }
    }

    pub(super) async fn read_resource_rpc(
        &self,
        r: pb::read_resource::Request,
    ) -> pb::read_resource::Response {
        let mut diags = Diagnostics::new();
        let mut out = pb::read_resource::Response {
            private: r.private.clone(),
            ..Default::default()
        };
        let decoded = self.resource(&r.type_name).and_then(|reg| {
            convert::decode_dynamic(r.current_state.as_ref(), &reg.ty, "resource state")
                .map(|s| (reg, s))
        });
        let (reg, state) = match decoded {
            Ok(x) => x,
            Err(d) => {
                out.diagnostics = vec![convert::diagnostic(&d)];
                return out;
            }
        };
        let new_state = if state.is_null() {
            Value::Null
        } else {
            match self.configured() {
                Ok(data) => {
                    let cancel = self.cancel_token();
                    let ctx = Ctx {
                        data: &*data,
                        cancel: &cancel,
                    };
                    let mut resp = ReadResponse {
                        state: state.clone(),
                        diagnostics: Diagnostics::new(),
                    };
                    reg.resource
                        .read(&ctx, ReadRequest { state }, &mut resp)
                        .await;
                    diags.extend(resp.diagnostics);
                    let mut s = resp.state;
                    require_known(&r.type_name, "refresh", &mut s, &mut diags);
                    s
                }
                Err(d) => {
                    diags.push(d);
                    state
                }
            }
        };
        out.new_identity = identity_of(reg, &new_state, &mut diags);
        out.new_state = encode_state(&new_state, &reg.ty, &mut diags);
        out.diagnostics = convert::diagnostics(&diags);
        out
    }

    pub(super) fn plan_resource_change_rpc(
        &self,
        r: pb::plan_resource_change::Request,
    ) -> pb::plan_resource_change::Response {
        let mut diags = Diagnostics::new();
        let mut out = pb::plan_resource_change::Response {
            planned_private: r.prior_private.clone(),
            ..Default::default()
        };
        let change = match self.decode_change(
            &r.type_name,
            r.prior_state.as_ref(),
            r.proposed_new_state.as_ref(),
            r.config.as_ref(),
        ) {
            Ok(c) => c,
            Err(d) => {
                out.diagnostics = vec![convert::diagnostic(&d)];
                return out;
            }
        };
        let reg = change.reg;
        if change.after.is_null() {
            // Destroy: nothing to plan but the null state.
            out.planned_state = encode_state(&Value::Null, &reg.ty, &mut diags);
        } else {
            let p = plan(&reg.schema, &change.prior, &change.after, &change.config);
            if !change.prior.is_null() && p.requires_replace.is_empty() {
                out.planned_identity = identity_of(reg, &change.prior, &mut diags);
            }
            out.requires_replace = p.requires_replace.iter().map(convert::path).collect();
            out.planned_state = encode_state(&p.planned, &reg.ty, &mut diags);
        }
        out.diagnostics = convert::diagnostics(&diags);
        out
    }

    pub(super) async fn apply_resource_change_rpc(
        &self,
        r: pb::apply_resource_change::Request,
    ) -> pb::apply_resource_change::Response {
        let mut diags = Diagnostics::new();
        let mut out = pb::apply_resource_change::Response {
            private: r.planned_private.clone(),
            ..Default::default()
        };
        let change = match self.decode_change(
            &r.type_name,
            r.prior_state.as_ref(),
            r.planned_state.as_ref(),
            r.config.as_ref(),
        ) {
            Ok(c) => c,
            Err(d) => {
                out.diagnostics = vec![convert::diagnostic(&d)];
                return out;
            }
        };
        let Change {
            reg,
            prior,
            after: planned,
            config,
        } = change;
        let data = match self.configured() {
            Ok(d) => d,
            Err(d) => {
                // Nothing happened: hand back what was there.
                diags.push(d);
                out.new_state = encode_state(&prior, &reg.ty, &mut diags);
                out.diagnostics = convert::diagnostics(&diags);
                return out;
            }
        };
        let cancel = self.cancel_token();
        let ctx = Ctx {
            data: &*data,
            cancel: &cancel,
        };
        let type_name = r.type_name.as_str();

        let new_state = if planned.is_null() {
            let mut resp = DeleteResponse::default();
            reg.resource
                .delete(
                    &ctx,
                    DeleteRequest {
                        prior: prior.clone(),
                    },
                    &mut resp,
                )
                .await;
            let failed = resp.diagnostics.has_errors();
            diags.extend(resp.diagnostics);
            // A failed delete keeps the object in state, so nothing is lost.
            if failed { prior } else { Value::Null }
        } else if prior.is_null() {
            let mut resp = CreateResponse {
                state: planned.clone(),
                diagnostics: Diagnostics::new(),
            };
            reg.resource
                .create(&ctx, CreateRequest { config, planned }, &mut resp)
                .await;
            let failed = resp.diagnostics.has_errors();
            diags.extend(resp.diagnostics);
            let mut state = resp.state;
            if failed {
                // Keep whatever was created (Terraform taints it); nothing if no ID came back.
                null_unknowns(&mut state);
                if has_id(&state) { state } else { Value::Null }
            } else if !has_id(&state) && reg.schema.block.find_attribute("id").is_some() {
                diags.error(
                    format!("Provider returned no ID after creating {type_name}"),
                    "The create call succeeded but no ID was recorded. This is a bug in the provider; please report it.",
                );
                Value::Null
            } else {
                require_known(type_name, "create", &mut state, &mut diags);
                state
            }
        } else {
            let mut resp = UpdateResponse {
                state: planned.clone(),
                diagnostics: Diagnostics::new(),
            };
            reg.resource
                .update(
                    &ctx,
                    UpdateRequest {
                        config,
                        prior: prior.clone(),
                        planned,
                    },
                    &mut resp,
                )
                .await;
            let failed = resp.diagnostics.has_errors();
            diags.extend(resp.diagnostics);
            if failed {
                prior
            } else {
                let mut state = resp.state;
                require_known(type_name, "update", &mut state, &mut diags);
                state
            }
        };
        out.new_identity = identity_of(reg, &new_state, &mut diags);
        out.new_state = encode_state(&new_state, &reg.ty, &mut diags);
        out.diagnostics = convert::diagnostics(&diags);
        out
    }

    pub(super) fn import_resource_state_rpc(
        &self,
        r: pb::import_resource_state::Request,
    ) -> pb::import_resource_state::Response {
        let mut diags = Diagnostics::new();
        let mut out = pb::import_resource_state::Response::default();
        let reg = match self.resource(&r.type_name) {
            Ok(reg) => reg,
            Err(d) => {
                out.diagnostics = vec![convert::diagnostic(&d)];
                return out;
            }
        };
        let identity = match (&r.identity, &reg.identity) {
            (Some(data), Some((_, ty))) => {
                match convert::decode_dynamic(data.identity_data.as_ref(), ty, "import identity") {
                    Ok(v) if !v.is_null() => Some(v),
                    Ok(_) => None,
                    Err(d) => {
                        out.diagnostics = vec![convert::diagnostic(&d)];
                        return out;
                    }
                }
            }
            _ => None,
        };
        let id = (!r.id.is_empty()).then(|| r.id.clone());
        let mut resp = ImportResponse {
            state: reg.schema.block.null_object(),
            diagnostics: Diagnostics::new(),
        };
        reg.resource
            .import(ImportRequest { id, identity }, &mut resp);
        let failed = resp.diagnostics.has_errors();
        diags.extend(resp.diagnostics);
        if !failed {
            let identity = identity_of(reg, &resp.state, &mut diags);
            if let Some(state) = encode_state(&resp.state, &reg.ty, &mut diags) {
                out.imported_resources
                    .push(pb::import_resource_state::ImportedResource {
                        type_name: r.type_name.clone(),
                        state: Some(state),
                        private: Vec::new(),
                        identity,
                    });
            }
        }
        out.diagnostics = convert::diagnostics(&diags);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknowns_are_found_and_nulled() {
        let mut v = Value::Object(
            [
                ("id".to_string(), Value::string("x")),
                ("status".to_string(), Value::unknown()),
            ]
            .into(),
        );
        assert_eq!(
            first_unknown(&v, &AttributePath::root()),
            Some(AttributePath::attr("status"))
        );
        let mut d = Diagnostics::new();
        require_known("t", "create", &mut v, &mut d);
        assert!(d.has_errors());
        assert!(v.get_attr("status").unwrap().is_null());
        assert!(has_id(&v));
    }
}
