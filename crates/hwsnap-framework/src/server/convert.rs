//! Conversions between the framework's types and tfplugin6 messages: the
//! only place that knows the wire shapes.

use hwsnap_cty::{AttributePath, PathStep, Type, Value};
use hwsnap_plugin::proto::tfplugin6 as pb;

use crate::diag::{Diagnostic, Diagnostics, Severity};
use crate::schema::{Attribute, Block, IdentitySchema, NestedBlock, Nesting, Schema};

/// Decodes a `DynamicValue` of type `ty`: msgpack when present, else JSON.
/// A missing value decodes as null.
pub fn decode_dynamic(
    dv: Option<&pb::DynamicValue>,
    ty: &Type,
    what: &str,
) -> Result<Value, Diagnostic> {
    let Some(dv) = dv else {
        return Ok(Value::Null);
    };
    let decoded = if !dv.msgpack.is_empty() {
        hwsnap_cty::msgpack::decode(&dv.msgpack, ty)
    } else if !dv.json.is_empty() {
        hwsnap_cty::json::decode(&dv.json, ty)
    } else {
        return Ok(Value::Null);
    };
    decoded.map_err(|e| codec_diagnostic(what, &e))
}

/// Encodes a value of type `ty` as a msgpack `DynamicValue`.
pub fn encode_dynamic(
    value: &Value,
    ty: &Type,
    what: &str,
) -> Result<pb::DynamicValue, Diagnostic> {
    hwsnap_cty::msgpack::encode(value, ty)
        .map(|msgpack| pb::DynamicValue {
            msgpack,
            json: Vec::new(),
        })
        .map_err(|e| codec_diagnostic(what, &e))
}

/// An identity object, encoded as Terraform carries it.
pub fn identity_data(identity: &Value, ty: &Type) -> Result<pb::ResourceIdentityData, Diagnostic> {
    encode_dynamic(identity, ty, "resource identity").map(|dv| pb::ResourceIdentityData {
        identity_data: Some(dv),
    })
}

fn codec_diagnostic(what: &str, e: &hwsnap_cty::Error) -> Diagnostic {
    let d = Diagnostic::error(
        format!("Invalid {what}"),
        format!(
            "The provider could not process the {what}: {e}. This is a bug in the provider or in Terraform; please report it."
        ),
    );
    match e.path() {
        Some(p) if !p.is_root() => d.at(p.clone()),
        _ => d,
    }
}

pub fn path(p: &AttributePath) -> pb::AttributePath {
    use pb::attribute_path::{Step, step::Selector};
    pb::AttributePath {
        steps: p
            .steps
            .iter()
            .map(|s| Step {
                selector: Some(match s {
                    PathStep::Attr(n) => Selector::AttributeName(n.clone()),
                    PathStep::Key(k) => Selector::ElementKeyString(k.clone()),
                    PathStep::Index(i) => Selector::ElementKeyInt(*i),
                }),
            })
            .collect(),
    }
}

pub fn diagnostic(d: &Diagnostic) -> pb::Diagnostic {
    pb::Diagnostic {
        severity: match d.severity {
            Severity::Error => pb::diagnostic::Severity::Error,
            Severity::Warning => pb::diagnostic::Severity::Warning,
        } as i32,
        summary: d.summary.clone(),
        detail: d.detail.clone(),
        attribute: d.path.as_ref().filter(|p| !p.is_root()).map(path),
    }
}

pub fn diagnostics(d: &Diagnostics) -> Vec<pb::Diagnostic> {
    d.iter().map(diagnostic).collect()
}

pub fn schema(s: &Schema) -> pb::Schema {
    pb::Schema {
        version: s.version,
        block: Some(block(&s.block, s.version)),
    }
}

fn block(b: &Block, version: i64) -> pb::schema::Block {
    pb::schema::Block {
        version,
        attributes: b.attributes.iter().map(attribute).collect(),
        block_types: b.blocks.iter().map(nested_block).collect(),
        description: b.description.clone(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: false,
    }
}

/// One attribute; one holding objects with declared attributes is sent as
/// nested attributes (no `type`: Terraform derives it from them).
fn attribute(a: &Attribute) -> pb::schema::Attribute {
    use pb::schema::object::NestingMode;
    let nested_type = a.nested.as_ref().map(|n| pb::schema::Object {
        attributes: n.block.attributes.iter().map(attribute).collect(),
        nesting: match n.nesting {
            Nesting::Single => NestingMode::Single,
            Nesting::List => NestingMode::List,
            Nesting::Set => NestingMode::Set,
        } as i32,
        ..Default::default()
    });
    pb::schema::Attribute {
        name: a.name.to_string(),
        r#type: if nested_type.is_some() {
            Vec::new()
        } else {
            a.ty.to_json_bytes()
        },
        nested_type,
        description: a.description.clone(),
        required: a.mode.is_required(),
        optional: a.mode.is_optional(),
        computed: a.mode.is_computed(),
        sensitive: a.sensitive,
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: false,
        write_only: false,
    }
}

fn nested_block(n: &NestedBlock) -> pb::schema::NestedBlock {
    use pb::schema::nested_block::NestingMode;
    pb::schema::NestedBlock {
        type_name: n.name.to_string(),
        block: Some(block(&n.block, 0)),
        nesting: match n.nesting {
            Nesting::Single => NestingMode::Single,
            Nesting::List => NestingMode::List,
            Nesting::Set => NestingMode::Set,
        } as i32,
        min_items: 0,
        max_items: 0,
    }
}

pub fn identity_schema(s: &IdentitySchema) -> pb::ResourceIdentitySchema {
    pb::ResourceIdentitySchema {
        version: s.version,
        identity_attributes: s
            .attributes
            .iter()
            .map(|a| pb::resource_identity_schema::IdentityAttribute {
                name: a.name.to_string(),
                r#type: a.ty.to_json_bytes(),
                required_for_import: a.required_for_import,
                optional_for_import: !a.required_for_import,
                description: a.description.clone(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Mode;

    #[test]
    fn schema_flags_follow_mode() {
        let s = Schema::new(
            1,
            Block::new("d")
                .attribute(Attribute::string("a", Mode::OptionalComputed, "x").sensitive())
                .attribute(Attribute::string("b", Mode::Required, "y")),
        );
        let pb = schema(&s);
        let block = pb.block.unwrap();
        let a = &block.attributes[0];
        assert!(a.optional && a.computed && !a.required && a.sensitive);
        assert_eq!(a.r#type, b"\"string\"");
        assert!(block.attributes[1].required);
        assert_eq!(block.version, 1);
    }

    #[test]
    fn objects_with_declared_attributes_are_nested_attributes() {
        use crate::schema::NestedAttributes;
        let items = NestedAttributes {
            nesting: Nesting::List,
            block: Block::new("i").attribute(Attribute::string("id", Mode::Computed, "The ID.")),
        };
        let s = Schema::new(
            0,
            Block::new("d").attribute(Attribute::nested("items", items, Mode::Computed, "All.")),
        );
        let block = schema(&s).block.unwrap();
        let a = &block.attributes[0];
        assert!(
            a.r#type.is_empty(),
            "the type comes from the nested attributes"
        );
        let nested = a.nested_type.as_ref().unwrap();
        assert_eq!(nested.nesting, pb::schema::object::NestingMode::List as i32);
        assert_eq!(nested.attributes[0].name, "id");
        assert!(nested.attributes[0].computed);
        assert_eq!(nested.attributes[0].description, "The ID.");
    }

    #[test]
    fn dynamic_values_round_trip() {
        let ty = Type::object([("a", Type::String)]);
        let v = Value::Object([("a".to_string(), Value::string("x"))].into());
        let dv = encode_dynamic(&v, &ty, "state").unwrap();
        assert_eq!(decode_dynamic(Some(&dv), &ty, "state").unwrap(), v);
        assert_eq!(decode_dynamic(None, &ty, "state").unwrap(), Value::Null);
        let bad = pb::DynamicValue {
            msgpack: vec![0xc1],
            json: vec![],
        };
        assert!(decode_dynamic(Some(&bad), &ty, "state").is_err());
    }

    #[test]
    fn diagnostics_carry_paths() {
        let d = Diagnostic::error("s", "d").at(AttributePath::attr("timeouts").join_attr("create"));
        let pb = diagnostic(&d);
        assert_eq!(pb.severity, pb::diagnostic::Severity::Error as i32);
        assert_eq!(pb.attribute.unwrap().steps.len(), 2);
    }
}
