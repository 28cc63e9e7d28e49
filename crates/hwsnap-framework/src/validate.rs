//! Runs every attribute validator of a schema over a configuration value,
//! recursing into nested blocks and nested attributes, and pins each
//! failure to its path.

use hwsnap_cty::{AttributePath, Value};

use crate::diag::Diagnostics;
use crate::schema::{Block, Nesting};

/// Validates the known values of `config` against the validators of `block`.
/// Null and unknown values are skipped (unknowns are checked once known).
pub fn validate_block(
    block: &Block,
    config: &Value,
    path: &AttributePath,
    diags: &mut Diagnostics,
) {
    for attr in &block.attributes {
        let Some(value) = config.get_attr(attr.name) else {
            continue;
        };
        if value.is_null() || !value.is_wholly_known() {
            continue;
        }
        let attr_path = path.join_attr(attr.name);
        for v in &attr.validators {
            if let Err(reason) = v.validate(value) {
                diags.attribute_error(
                    attr_path.clone(),
                    format!("Invalid value for {attr_path}"),
                    format!("The value of {attr_path} {reason}."),
                );
            }
        }
        if let Some(nested) = &attr.nested {
            validate_objects(&nested.block, nested.nesting, value, &attr_path, diags);
        }
    }
    for nested in &block.blocks {
        let Some(value) = config.get_attr(nested.name) else {
            continue;
        };
        let nested_path = path.join_attr(nested.name);
        validate_objects(&nested.block, nested.nesting, value, &nested_path, diags);
    }
}

/// Validates the object (or each object of the list or set) `value` holds.
fn validate_objects(
    block: &Block,
    nesting: Nesting,
    value: &Value,
    path: &AttributePath,
    diags: &mut Diagnostics,
) {
    match (nesting, value) {
        (Nesting::Single, v) if v.as_object().is_some() => validate_block(block, v, path, diags),
        (Nesting::List | Nesting::Set, Value::List(items) | Value::Set(items)) => {
            for (i, item) in items.iter().enumerate() {
                validate_block(block, item, &path.join_index(i as i64), diags);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Attribute, Mode};
    use crate::timeouts::{self, Timeout};
    use crate::validators::Length;
    use std::time::Duration;

    fn block() -> Block {
        Block::new("t")
            .attribute(
                Attribute::string("name", Mode::Required, "n").validate(Length::between(4, 8)),
            )
            .block(timeouts::block(&[Timeout {
                operation: "create",
                default: Duration::from_secs(60),
            }]))
    }

    fn obj(pairs: Vec<(&str, Value)>) -> Value {
        Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    #[test]
    fn pins_errors_to_paths() {
        let config = obj(vec![
            ("name", Value::string("abc")),
            ("timeouts", obj(vec![("create", Value::string("soon"))])),
        ]);
        let mut d = Diagnostics::new();
        validate_block(&block(), &config, &AttributePath::root(), &mut d);
        let paths: Vec<String> = d
            .iter()
            .map(|d| d.path.clone().unwrap().to_string())
            .collect();
        assert_eq!(paths, vec!["name", "timeouts.create"]);
        assert!(d.0[0].detail.contains("between 4 and 8"));
    }

    #[test]
    fn checks_the_objects_of_nested_attributes() {
        use crate::schema::NestedAttributes;
        let inner = Block::new("i").attribute(
            Attribute::string("name", Mode::Required, "n").validate(Length::between(4, 8)),
        );
        let b = Block::new("t").attribute(Attribute::nested(
            "items",
            NestedAttributes {
                nesting: Nesting::List,
                block: inner,
            },
            Mode::Optional,
            "i",
        ));
        let item = |n: &str| obj(vec![("name", Value::string(n))]);
        let config = obj(vec![(
            "items",
            Value::List(vec![item("good-one"), item("x")]),
        )]);
        let mut d = Diagnostics::new();
        validate_block(&b, &config, &AttributePath::root(), &mut d);
        let paths: Vec<String> = d
            .iter()
            .map(|d| d.path.clone().unwrap().to_string())
            .collect();
        assert_eq!(paths, vec!["items[1].name"]);
    }

    #[test]
    fn skips_unknown_and_null() {
        let config = obj(vec![("name", Value::unknown()), ("timeouts", Value::Null)]);
        let mut d = Diagnostics::new();
        validate_block(&block(), &config, &AttributePath::root(), &mut d);
        assert!(d.is_empty());
    }
}
