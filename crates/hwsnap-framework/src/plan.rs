//! Planning, written once: unknowns for computed attributes, plan modifiers,
//! and which attribute paths force replacement.

use hwsnap_cty::{AttributePath, Value};

use crate::plan_modifiers::AttributePlan;
use crate::schema::Schema;

/// The outcome of planning one resource instance.
#[derive(Debug, PartialEq)]
pub struct Plan {
    pub planned: Value,
    pub requires_replace: Vec<AttributePath>,
}

/// Plans a create (`prior` null) or an update from Terraform's proposed new
/// state. Destroys (`proposed` null) never reach here.
///
/// - On create, a computed attribute that configuration leaves unset is
///   unknown ("known after apply").
/// - Plan modifiers run for every top-level attribute, in order.
/// - When a change forces replacement, computed attributes that configuration
///   leaves unset become unknown again: the new object will have new values.
pub fn plan(schema: &Schema, prior: &Value, proposed: &Value, config: &Value) -> Plan {
    let creating = prior.is_null();
    let mut planned = proposed.clone();
    let null = Value::Null;

    if creating {
        unknown_unset_computed(schema, config, &mut planned);
    }

    let mut requires_replace = Vec::new();
    for attr in &schema.block.attributes {
        let cfg = config.get_attr(attr.name).unwrap_or(&null);
        let prior_value = if creating {
            None
        } else {
            prior.get_attr(attr.name)
        };
        for m in &attr.plan_modifiers {
            let decision = m.modify(&AttributePlan {
                config: cfg,
                prior: prior_value,
                planned: planned.get_attr(attr.name).unwrap_or(&null),
            });
            if let Some(v) = decision.planned {
                planned.set_attr(attr.name, v);
            }
            if decision.requires_replace {
                let path = AttributePath::attr(attr.name);
                if !requires_replace.contains(&path) {
                    requires_replace.push(path);
                }
            }
        }
    }

    if !requires_replace.is_empty() {
        unknown_unset_computed(schema, config, &mut planned);
    }

    Plan {
        planned,
        requires_replace,
    }
}

/// Marks every computed attribute that configuration leaves unset as
/// unknown in `planned`.
fn unknown_unset_computed(schema: &Schema, config: &Value, planned: &mut Value) {
    for attr in &schema.block.attributes {
        let set = config.get_attr(attr.name).is_some_and(|v| !v.is_null());
        if attr.mode.is_computed() && !set {
            planned.set_attr(attr.name, Value::unknown());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan_modifiers::{RequiresReplace, UseStateForUnknown};
    use crate::schema::{Attribute, Block, Mode};

    fn schema() -> Schema {
        Schema::new(
            0,
            Block::new("r")
                .attribute(Attribute::string("name", Mode::Required, "").plan(RequiresReplace))
                .attribute(Attribute::string("id", Mode::Computed, "").plan(UseStateForUnknown))
                .attribute(Attribute::string("status", Mode::Computed, ""))
                .attribute(
                    Attribute::string("indices", Mode::OptionalComputed, "").plan(RequiresReplace),
                ),
        )
    }

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    fn s(v: &str) -> Value {
        Value::string(v)
    }

    #[test]
    fn create_marks_unset_computed_unknown() {
        let config = obj(&[
            ("name", s("a")),
            ("id", Value::Null),
            ("status", Value::Null),
            ("indices", Value::Null),
        ]);
        let p = plan(&schema(), &Value::Null, &config, &config);
        assert!(p.planned.get_attr("id").unwrap().is_unknown());
        assert!(p.planned.get_attr("indices").unwrap().is_unknown());
        assert_eq!(p.planned.get_attr("name"), Some(&s("a")));
        assert!(p.requires_replace.is_empty());
    }

    #[test]
    fn unchanged_update_plans_prior() {
        let prior = obj(&[
            ("name", s("a")),
            ("id", s("1")),
            ("status", s("OK")),
            ("indices", s("*")),
        ]);
        let config = obj(&[
            ("name", s("a")),
            ("id", Value::Null),
            ("status", Value::Null),
            ("indices", Value::Null),
        ]);
        let p = plan(&schema(), &prior, &prior, &config);
        assert_eq!(p.planned, prior);
        assert!(p.requires_replace.is_empty());
    }

    #[test]
    fn change_forces_replacement_and_unknowns() {
        let prior = obj(&[
            ("name", s("a")),
            ("id", s("1")),
            ("status", s("OK")),
            ("indices", s("*")),
        ]);
        let config = obj(&[
            ("name", s("b")),
            ("id", Value::Null),
            ("status", Value::Null),
            ("indices", Value::Null),
        ]);
        let proposed = obj(&[
            ("name", s("b")),
            ("id", s("1")),
            ("status", s("OK")),
            ("indices", s("*")),
        ]);
        let p = plan(&schema(), &prior, &proposed, &config);
        assert_eq!(p.requires_replace, vec![AttributePath::attr("name")]);
        assert!(p.planned.get_attr("id").unwrap().is_unknown());
        assert!(p.planned.get_attr("status").unwrap().is_unknown());
        assert!(p.planned.get_attr("indices").unwrap().is_unknown());
    }

    #[test]
    fn optional_computed_set_in_config_is_compared() {
        let prior = obj(&[
            ("name", s("a")),
            ("id", s("1")),
            ("status", s("OK")),
            ("indices", s("*")),
        ]);
        let config = obj(&[
            ("name", s("a")),
            ("id", Value::Null),
            ("status", Value::Null),
            ("indices", s("x-*")),
        ]);
        let proposed = obj(&[
            ("name", s("a")),
            ("id", s("1")),
            ("status", s("OK")),
            ("indices", s("x-*")),
        ]);
        let p = plan(&schema(), &prior, &proposed, &config);
        assert_eq!(p.requires_replace, vec![AttributePath::attr("indices")]);
        assert_eq!(p.planned.get_attr("indices"), Some(&s("x-*")));
    }
}
