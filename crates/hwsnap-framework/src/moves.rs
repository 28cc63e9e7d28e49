//! Moves into a resource type from another type or provider: a `moved`
//! block whose `from` is of another resource type (Terraform 1.8+, the
//! MoveResourceState RPC).
//!
//! Main types: [`ProviderName`] (which source addresses name a provider),
//! [`MoveSource`] (one kind of state a resource accepts, listed by
//! [`Resource::moves`](crate::Resource::moves)), and a mapping's request and
//! response, [`MoveRequest`] and [`MoveResponse`].
//!
//! The one design decision: the source state arrives as JSON written by
//! another provider's schema, of any version. A [`MoveSource::from`]
//! declares only what it reads, as a [`Model`] of the source, with
//! `required()` for what the move cannot do without. The framework reads
//! those attributes leniently — attributes the model lacks are ignored,
//! ones the state lacks are null, the source's schema version does not
//! matter — refuses a state without a required one, naming the attribute,
//! the source type and its ID, and hands the typed source to the mapping.
//! The target's identity is derived from the moved state, as after any
//! operation, and the moved state must hold an ID, as after a create. Moves
//! run before the provider is configured: no [`Ctx`](crate::Ctx), no cloud
//! call; what the next read should check goes into private state.
//!
//! ```
//! use hwsnap_framework::model;
//! use hwsnap_framework::model::{computed, optional, required};
//! use hwsnap_framework::moves::{MoveRequest, MoveResponse, MoveSource, ProviderName};
//!
//! model! {
//!     /// Our thing.
//!     pub struct Thing {
//!         /// The name.
//!         name: String = required(),
//!         /// The ID.
//!         id: Option<String> = computed(),
//!     }
//! }
//! model! {
//!     /// The vendor's `vendor_thing`, as far as a move reads it.
//!     pub struct VendorThing {
//!         /// Its ID: a move needs it.
//!         id: String = required(),
//!         /// Its title.
//!         title: Option<String> = optional(),
//!     }
//! }
//!
//! fn from_vendor(req: MoveRequest<VendorThing>, resp: &mut MoveResponse<Thing>) {
//!     resp.state.id = Some(req.source.id);
//!     resp.state.name = req.source.title.unwrap_or_default();
//! }
//!
//! let sources: Vec<MoveSource<Thing>> = vec![
//!     MoveSource::same_type(ProviderName::new("example", "all")),
//!     MoveSource::from(ProviderName::new("vendor", "vendor"), "vendor_thing", from_vendor),
//! ];
//! # assert_eq!(sources.len(), 2);
//! ```

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use hwsnap_cty::{Type, Value};

use crate::catch::internal_error;
use crate::diag::{Diagnostic, Diagnostics};
use crate::model::{self, Model};
use crate::private::Private;

/// A provider as source addresses name it: `NAMESPACE/TYPE`, under any
/// registry host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProviderName {
    namespace: &'static str,
    type_name: &'static str,
}

impl ProviderName {
    pub const fn new(namespace: &'static str, type_name: &'static str) -> Self {
        Self {
            namespace,
            type_name,
        }
    }

    /// Whether a source provider address names this provider:
    /// `HOST/NAMESPACE/TYPE` under any host (Terraform sends
    /// `registry.terraform.io/NAMESPACE/TYPE`), or the short forms other
    /// tools send, `NAMESPACE/TYPE` and `TYPE`; compared without regard to
    /// case, as Terraform compares addresses. Another namespace or type, an
    /// empty part or a fourth part does not match.
    pub fn matches(&self, address: &str) -> bool {
        let parts: Vec<&str> = address.split('/').collect();
        let (namespace, type_name) = match parts.as_slice() {
            [t] => (None, *t),
            [n, t] => (Some(*n), *t),
            [host, n, t] if !host.is_empty() => (Some(*n), *t),
            _ => return false,
        };
        type_name.eq_ignore_ascii_case(self.type_name)
            && namespace.is_none_or(|n| n.eq_ignore_ascii_case(self.namespace))
    }
}

impl fmt::Display for ProviderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.type_name)
    }
}

/// What a mapping gets: the source's attributes, as its model declares
/// them, and the schema version they were written with.
pub struct MoveRequest<S> {
    pub source: S,
    pub schema_version: i64,
}

/// What a mapping fills in.
pub struct MoveResponse<M> {
    /// Starts empty: required attributes empty, the others `None`. Set the
    /// ID and what carries over; leave computed attributes for the next
    /// read to fill.
    pub state: M,
    /// Starts empty (the source's private state is another provider's).
    pub private: Private,
    /// An error refuses the move.
    pub diagnostics: Diagnostics,
}

type MapFn<M> = Box<dyn Fn(&Value, i64, &mut MoveResponse<M>) + Send + Sync>;

enum Kind<M> {
    /// The target's own type under another provider: state and private
    /// state move unchanged.
    SameType,
    /// Another type, read into a source model and mapped.
    Mapped {
        type_name: &'static str,
        ty: Type,
        required: Vec<&'static str>,
        check: fn(&str) -> Result<(), Vec<String>>,
        map: MapFn<M>,
    },
}

/// One kind of state a resource type accepts through a `moved` block.
pub struct MoveSource<M> {
    provider: ProviderName,
    kind: Kind<M>,
}

impl<M: Model> MoveSource<M> {
    /// The same resource type served by another provider (one serving a
    /// different set of the same types, say): the state, its private state
    /// included, moves unchanged. State of a newer schema version than this
    /// provider's is refused.
    pub fn same_type(provider: ProviderName) -> Self {
        Self {
            provider,
            kind: Kind::SameType,
        }
    }

    /// Resource type `type_name` of `provider`: its state is read into `S`
    /// (see the [module docs](self)) and `map` makes the target's state
    /// from it.
    pub fn from<S, F>(provider: ProviderName, type_name: &'static str, map: F) -> Self
    where
        S: Model,
        F: Fn(MoveRequest<S>, &mut MoveResponse<M>) + Send + Sync + 'static,
    {
        let required = S::fields()
            .iter()
            .filter(|f| f.attribute.mode.is_required())
            .map(|f| f.attribute.name)
            .collect();
        let map: MapFn<M> =
            Box::new(
                move |value, schema_version, resp| match S::from_value(value) {
                    Ok(source) => map(
                        MoveRequest {
                            source,
                            schema_version,
                        },
                        resp,
                    ),
                    Err(e) => resp.diagnostics.push(Diagnostic::error(
                        format!("Unreadable {type_name} state"),
                        format!("The {type_name} state could not be read at {e}."),
                    )),
                },
            );
        Self {
            provider,
            kind: Kind::Mapped {
                type_name,
                ty: model::block::<S>().value_type(),
                required,
                check: model::check::<S>,
                map,
            },
        }
    }

    /// The source type, `target` for a same-type source.
    fn type_name<'a>(&'a self, target: &'a str) -> &'a str {
        match &self.kind {
            Kind::SameType => target,
            Kind::Mapped { type_name, .. } => type_name,
        }
    }

    fn accepts(&self, provider: &str, type_name: &str, target: &str) -> bool {
        self.type_name(target) == type_name && self.provider.matches(provider)
    }

    /// "`huaweicloud_dws_snapshot` of huaweicloud/huaweicloud".
    fn describe(&self, target: &str) -> String {
        format!("`{}` of {}", self.type_name(target), self.provider)
    }
}

/// What MoveResourceState asked, with the model erased.
pub(crate) struct MoveInput<'a> {
    pub provider: &'a str,
    pub type_name: &'a str,
    pub schema_version: i64,
    pub json: &'a [u8],
    pub private: &'a [u8],
}

/// A move's result: a mapped model, or a state that moved unchanged.
pub(crate) enum Moved<M> {
    Model {
        state: M,
        private: Private,
        diagnostics: Diagnostics,
    },
    Unchanged {
        state: Value,
        private: Private,
    },
}

/// What the compiler cannot check about a type's move sources: each source
/// model fits its modes and is described, the target model has an empty
/// value, and no source is listed twice.
pub(crate) fn check<M: Model>(sources: &[MoveSource<M>], target: &str) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    for (i, s) in sources.iter().enumerate() {
        if let Kind::Mapped {
            type_name, check, ..
        } = &s.kind
        {
            problems.extend(
                check(&format!("{target} move source {type_name}"))
                    .err()
                    .unwrap_or_default(),
            );
        }
        if sources[..i]
            .iter()
            .any(|o| o.provider == s.provider && o.type_name(target) == s.type_name(target))
        {
            problems.push(format!(
                "{target} lists the move source {} twice",
                s.describe(target)
            ));
        }
    }
    if !sources.is_empty()
        && let Err(e) = M::from_value(&model::block::<M>().null_object())
    {
        problems.push(format!(
            "{target} accepts moves but its model has no empty value: {e}"
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// Moves `input` into `target` (schema version `version`, value type `ty`)
/// with the first of `sources` that accepts it.
pub(crate) fn run<M: Model>(
    sources: &[MoveSource<M>],
    target: &str,
    version: i64,
    ty: &Type,
    input: &MoveInput<'_>,
) -> Result<Moved<M>, Diagnostics> {
    let Some(source) = sources
        .iter()
        .find(|s| s.accepts(input.provider, input.type_name, target))
    else {
        return Err(refusal(sources, target, input).into());
    };
    if input.json.is_empty() {
        return Err(Diagnostic::error(
            format!("Cannot move {} into {target}", input.type_name),
            "Terraform sent the source state without its JSON form (the flatmap format of Terraform 0.11), \
             which this provider does not read.",
        )
        .into());
    }
    match &source.kind {
        Kind::SameType => {
            if input.schema_version > version {
                return Err(Diagnostic::error(
                    format!("Cannot move {target} from {}", input.provider),
                    format!(
                        "The source state has schema version {}, but this provider knows version {version}. \
                         Upgrade this provider to the version of {}.",
                        input.schema_version, input.provider
                    ),
                )
                .into());
            }
            let state = hwsnap_cty::json::decode_lenient(input.json, ty)
                .map_err(|e| unreadable(input.type_name, &e))?;
            Ok(Moved::Unchanged {
                state,
                private: Private::from_bytes(input.private),
            })
        }
        Kind::Mapped {
            ty: source_ty,
            required,
            map,
            ..
        } => {
            let value = hwsnap_cty::json::decode_lenient(input.json, source_ty)
                .map_err(|e| unreadable(input.type_name, &e))?;
            if let Some(missing) = required.iter().find(|a| !present(&value, a)) {
                return Err(missing_attribute(&value, missing, target, input).into());
            }
            let empty = M::from_value(&model::block::<M>().null_object())
                .map_err(|e| Diagnostics::from(e.diagnostic("empty moved state")))?;
            let mut resp = MoveResponse {
                state: empty,
                private: Private::new(),
                diagnostics: Diagnostics::new(),
            };
            let mapped = catch_unwind(AssertUnwindSafe(|| {
                map(&value, input.schema_version, &mut resp)
            }));
            if let Err(payload) = mapped {
                let op = format!("{target} move from {}", input.type_name);
                resp.diagnostics.push(internal_error(&op, payload.as_ref()));
            }
            if resp.diagnostics.has_errors() {
                return Err(resp.diagnostics);
            }
            Ok(Moved::Model {
                state: resp.state,
                private: resp.private,
                diagnostics: resp.diagnostics,
            })
        }
    }
}

/// Whether attribute `name` of `value` is set: known, not null, not `""`.
fn present(value: &Value, name: &str) -> bool {
    value
        .get_attr(name)
        .is_some_and(|v| v.is_wholly_known() && !v.is_null() && v.as_str() != Some(""))
}

fn unreadable(type_name: &str, e: &hwsnap_cty::Error) -> Diagnostic {
    Diagnostic::error(
        format!("Unreadable {type_name} state"),
        format!("The {type_name} state to move could not be read: {e}."),
    )
}

/// "Cannot move … : no cluster_id", naming the source and its ID.
fn missing_attribute(
    value: &Value,
    attribute: &str,
    target: &str,
    input: &MoveInput<'_>,
) -> Diagnostic {
    let source = input.type_name;
    let which = match value.get_attr("id").and_then(Value::as_str) {
        Some(id) if !id.is_empty() && attribute != "id" => format!("The {source} with id {id:?}"),
        _ => format!("This {source}"),
    };
    Diagnostic::error(
        format!("Cannot move {source} into {target}: no {attribute}"),
        format!(
            "{which} has no {attribute} in its state ({}), and {target} needs it to find the \
             object. Remove the moved block, take the old resource out of the state (terraform \
             state rm, or a removed block) and import the object as {target} instead.",
            input.provider
        ),
    )
}

/// The error for a move no source accepts, naming what is accepted.
fn refusal<M: Model>(sources: &[MoveSource<M>], target: &str, input: &MoveInput<'_>) -> Diagnostic {
    let summary = format!("Cannot move {} into {target}", input.type_name);
    let given = format!(
        "The moved block's source is `{}` of {}.",
        input.type_name, input.provider
    );
    if sources.is_empty() {
        return Diagnostic::error(
            summary,
            format!(
                "{target} does not accept moves from other resource types or providers. {given} \
                 Remove the moved block and import the object instead."
            ),
        );
    }
    let accepted: Vec<String> = sources.iter().map(|s| s.describe(target)).collect();
    Diagnostic::error(
        summary,
        format!(
            "{target} accepts a moved block only from {} (each provider under any registry host). \
             {given} Remove the moved block and import the object instead.",
            accepted.join(", ")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFICIAL: ProviderName = ProviderName::new("huaweicloud", "huaweicloud");

    #[test]
    fn addresses_match_by_namespace_and_type_under_any_host() {
        for yes in [
            "registry.terraform.io/huaweicloud/huaweicloud",
            "registry.opentofu.org/huaweicloud/huaweicloud",
            "mirror.example.com:8443/huaweicloud/huaweicloud",
            "huaweicloud/huaweicloud",
            "huaweicloud",
            "Registry.Terraform.io/HuaweiCloud/HuaweiCloud",
        ] {
            assert!(OFFICIAL.matches(yes), "{yes}");
        }
        for no in [
            "registry.terraform.io/huaweicloud/huaweicloudstack",
            "huaweicloud/huaweicloudstack",
            "registry.terraform.io/hashicorp/huaweicloud",
            "hashicorp/huaweicloud",
            "huaweicloudstack",
            "/huaweicloud/huaweicloud",
            "huaweicloud/",
            "",
            "a/registry.terraform.io/huaweicloud/huaweicloud",
            "registry.terraform.io/huaweicloud/huaweicloud/",
        ] {
            assert!(!OFFICIAL.matches(no), "{no}");
        }
        assert_eq!(OFFICIAL.to_string(), "huaweicloud/huaweicloud");
    }
}
