//! Resource RPCs: validate, upgrade, read, plan, apply, import, generate
//! config. The protocol rules live here, once: state after apply is wholly
//! known, a create that failed after the object was made still returns its
//! ID, a create without an ID is an error, a failed delete keeps the prior
//! state, identities are derived from state, an object gone from the cloud
//! is dropped from state, private state goes from each operation to the
//! next (a read's to the plan, the plan's to the apply).

use hwsnap_cty::{AttributePath, Type, Value};
use hwsnap_plugin::proto::tfplugin6 as pb;

use super::{ResourceEntry, Server, convert, ctx, validate_config};
use crate::diag::{Diagnostic, Diagnostics};
use crate::plan::plan;
use crate::private::Private;
use crate::provider::Provider;

/// Encodes a state value, or records why it could not be.
pub(super) fn encode_state(
    value: &Value,
    ty: &Type,
    diags: &mut Diagnostics,
) -> Option<pb::DynamicValue> {
    convert::encode_dynamic(value, ty, "resource state")
        .map_err(|d| diags.push(d))
        .ok()
}

/// The identity of a state, encoded, when the resource has identities.
pub(super) fn identity_of<D>(
    r: &ResourceEntry<D>,
    state: &Value,
    diags: &mut Diagnostics,
) -> Option<pb::ResourceIdentityData> {
    let (schema, ty) = r.identity.as_ref()?;
    let identity = schema.identity_of(state)?;
    convert::identity_data(&identity, ty)
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
pub(super) fn has_id(state: &Value) -> bool {
    state
        .get_attr("id")
        .is_some_and(|v| v.is_known() && !v.is_null())
}

/// The three values of a plan or apply request, decoded with the resource's type.
struct Change<'a, D> {
    reg: &'a ResourceEntry<D>,
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
        let ty = &reg.entry.ty;
        Ok(Change {
            prior: convert::decode_dynamic(prior, ty, "prior state")?,
            after: convert::decode_dynamic(after, ty, "planned state")?,
            config: convert::decode_dynamic(config, ty, "resource configuration")?,
            reg,
        })
    }

    pub(super) fn validate_resource_config_rpc(
        &self,
        r: pb::validate_resource_config::Request,
    ) -> pb::validate_resource_config::Response {
        let diagnostics = match self.resource(&r.type_name) {
            Ok(reg) => {
                let e = &reg.entry;
                validate_config(
                    &e.schema,
                    &e.ty,
                    r.config.as_ref(),
                    "resource configuration",
                    |c, d| e.op.validate(c, d),
                )
            }
            Err(d) => vec![convert::diagnostic(&d)],
        };
        pb::validate_resource_config::Response { diagnostics }
    }

    pub(super) fn upgrade_resource_state_rpc(
        &self,
        r: pb::upgrade_resource_state::Request,
    ) -> pb::upgrade_resource_state::Response {
        let upgraded = self.resource(&r.type_name).and_then(|reg| {
            if r.version > reg.entry.schema.version {
                return Err(Diagnostic::error(
                    "State written by a newer provider",
                    format!(
                        "The state of this {} has schema version {}, but this provider knows version {}. \
                         Upgrade the provider.",
                        r.type_name, r.version, reg.entry.schema.version
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
            let value = hwsnap_cty::json::decode_lenient(&raw.json, &reg.entry.ty).map_err(|e| {
                Diagnostic::error(
                    "Unreadable resource state",
                    format!("The stored state of this {} could not be read: {e}.", r.type_name),
                )
            })?;
            convert::encode_dynamic(&value, &reg.entry.ty, "resource state")
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
            convert::decode_dynamic(r.current_state.as_ref(), &reg.entry.ty, "resource state")
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
                    let ctx = ctx(&*data, &cancel, reg.entry.op.timeouts(), &state, "read");
                    let private = Private::from_bytes(&r.private);
                    let outcome = reg.entry.op.read(&ctx, &state, &private).await;
                    out.private = outcome.private.to_bytes();
                    diags.extend(outcome.diagnostics);
                    let mut s = outcome.state;
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
        out.new_state = encode_state(&new_state, &reg.entry.ty, &mut diags);
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
            out.planned_state = encode_state(&Value::Null, &reg.entry.ty, &mut diags);
        } else {
            let p = plan(
                &reg.entry.schema,
                &change.prior,
                &change.after,
                &change.config,
            );
            if !change.prior.is_null() && p.requires_replace.is_empty() {
                out.planned_identity = identity_of(reg, &change.prior, &mut diags);
            }
            out.requires_replace = p.requires_replace.iter().map(convert::path).collect();
            out.planned_state = encode_state(&p.planned, &reg.entry.ty, &mut diags);
        }
        out.diagnostics = convert::diagnostics(&diags);
        out
    }

    /// Apply: a null plan deletes, a null prior creates, anything else
    /// updates in place.
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
        let reg = change.reg;
        let private = Private::from_bytes(&r.planned_private);
        let (new_state, new_private) = match self.configured() {
            // Nothing happened: hand back what was there.
            Err(d) => {
                diags.push(d);
                (change.prior, private)
            }
            Ok(data) if change.after.is_null() => {
                self.delete(reg, &data, change.prior, private, &mut diags)
                    .await
            }
            Ok(data) if change.prior.is_null() => {
                let (config, after) = (&change.config, &change.after);
                self.create(reg, &data, config, after, &private, &mut diags)
                    .await
            }
            Ok(data) => self.update(reg, &data, change, private, &mut diags).await,
        };
        out.private = new_private.to_bytes();
        out.new_identity = identity_of(reg, &new_state, &mut diags);
        out.new_state = encode_state(&new_state, &reg.entry.ty, &mut diags);
        out.diagnostics = convert::diagnostics(&diags);
        out
    }

    /// Create: whatever was made is kept (Terraform taints it on error),
    /// nothing if no ID came back; success without an ID is a provider bug.
    async fn create(
        &self,
        reg: &ResourceEntry<P::Data>,
        data: &P::Data,
        config: &Value,
        planned: &Value,
        private: &Private,
        diags: &mut Diagnostics,
    ) -> (Value, Private) {
        let type_name = reg.entry.op.type_name();
        let cancel = self.cancel_token();
        let ctx = ctx(data, &cancel, reg.entry.op.timeouts(), planned, "create");
        let outcome = reg.entry.op.create(&ctx, config, planned, private).await;
        let failed = outcome.diagnostics.has_errors();
        diags.extend(outcome.diagnostics);
        let mut state = outcome.state;
        let nothing = || (Value::Null, Private::new());
        if failed {
            null_unknowns(&mut state);
            if has_id(&state) {
                (state, outcome.private)
            } else {
                nothing()
            }
        } else if !has_id(&state) && reg.entry.schema.block.find_attribute("id").is_some() {
            diags.error(
                format!("Provider returned no ID after creating {type_name}"),
                "The create call succeeded but no ID was recorded. This is a bug in the provider; please report it.",
            );
            nothing()
        } else {
            require_known(type_name, "create", &mut state, diags);
            (state, outcome.private)
        }
    }

    /// Update in place: a failed update keeps the prior state.
    async fn update(
        &self,
        reg: &ResourceEntry<P::Data>,
        data: &P::Data,
        change: Change<'_, P::Data>,
        private: Private,
        diags: &mut Diagnostics,
    ) -> (Value, Private) {
        let cancel = self.cancel_token();
        let ctx = ctx(
            data,
            &cancel,
            reg.entry.op.timeouts(),
            &change.after,
            "update",
        );
        let outcome = reg
            .entry
            .op
            .update(&ctx, &change.config, &change.prior, &change.after, &private)
            .await;
        let failed = outcome.diagnostics.has_errors();
        diags.extend(outcome.diagnostics);
        if failed {
            return (change.prior, private);
        }
        let mut state = outcome.state;
        require_known(reg.entry.op.type_name(), "update", &mut state, diags);
        (state, outcome.private)
    }

    /// Delete: a failed delete keeps the object in state, so nothing is lost.
    async fn delete(
        &self,
        reg: &ResourceEntry<P::Data>,
        data: &P::Data,
        prior: Value,
        private: Private,
        diags: &mut Diagnostics,
    ) -> (Value, Private) {
        let cancel = self.cancel_token();
        let ctx = ctx(data, &cancel, reg.entry.op.timeouts(), &prior, "delete");
        let result = reg.entry.op.delete(&ctx, &prior, &private).await;
        let failed = result.has_errors();
        diags.extend(result);
        if failed {
            (prior, private)
        } else {
            (Value::Null, Private::new())
        }
    }

    pub(super) fn import_resource_state_rpc(
        &self,
        r: pb::import_resource_state::Request,
    ) -> pb::import_resource_state::Response {
        let mut diags = Diagnostics::new();
        let mut out = pb::import_resource_state::Response::default();
        let result = self.resource(&r.type_name).and_then(|reg| {
            let identity = match (&r.identity, &reg.identity) {
                (Some(data), Some((_, ty))) => {
                    convert::decode_dynamic(data.identity_data.as_ref(), ty, "import identity")?
                }
                _ => Value::Null,
            };
            let import = reg.import.as_ref().ok_or_else(|| {
                Diagnostic::error(
                    format!("{} cannot be imported", r.type_name),
                    "This resource type does not support import.",
                )
            })?;
            let mut state = reg.entry.schema.block.null_object();
            let id = Some(r.id.as_str()).filter(|id| !id.is_empty());
            let identity = Some(&identity).filter(|v| !v.is_null());
            import.apply(&r.type_name, id, identity, &mut state)?;
            Ok((reg, state))
        });
        match result {
            Ok((reg, state)) => {
                let identity = identity_of(reg, &state, &mut diags);
                if let Some(state) = encode_state(&state, &reg.entry.ty, &mut diags) {
                    out.imported_resources
                        .push(pb::import_resource_state::ImportedResource {
                            type_name: r.type_name.clone(),
                            state: Some(state),
                            private: Vec::new(),
                            identity,
                        });
                }
            }
            Err(d) => diags.push(d),
        }
        out.diagnostics = convert::diagnostics(&diags);
        out
    }

    /// The configuration a person would write for a state: arguments only
    /// (required and optional, set), no computed-only attributes, no
    /// `timeouts`, after the resource's hook has cleared its defaults.
    pub(super) fn generate_resource_config_rpc(
        &self,
        r: pb::generate_resource_config::Request,
    ) -> pb::generate_resource_config::Response {
        let result = self.resource(&r.type_name).and_then(|reg| {
            let ty = &reg.entry.ty;
            let state = convert::decode_dynamic(r.state.as_ref(), ty, "resource state")?;
            let model = reg
                .entry
                .op
                .generate_config(&state)
                .map_err(|e| e.diagnostic("resource state"))?;
            let mut config = reg.entry.schema.block.null_object();
            for a in &reg.entry.schema.block.attributes {
                let arg = a.mode.is_required() || a.mode.is_optional();
                match model.get_attr(a.name) {
                    Some(v) if arg && !v.is_null() => config.set_attr(a.name, v.clone()),
                    _ => {}
                }
            }
            convert::encode_dynamic(&config, ty, "generated configuration")
        });
        match result {
            Ok(config) => pb::generate_resource_config::Response {
                config: Some(config),
                diagnostics: Vec::new(),
            },
            Err(d) => pb::generate_resource_config::Response {
                config: None,
                diagnostics: vec![convert::diagnostic(&d)],
            },
        }
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
