//! Schemas: what attributes and blocks a provider or resource has, their
//! types, modes, descriptions, validators and plan modifiers.

use std::collections::BTreeMap;

use hwsnap_cty::{Type, Value};

use crate::plan_modifiers::PlanModifier;
use crate::validators::Validator;

/// Who sets an attribute: the user, the provider, or either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Must be set in configuration.
    Required,
    /// May be set in configuration; null when not.
    Optional,
    /// Set only by the provider.
    Computed,
    /// May be set in configuration; otherwise the provider sets it.
    OptionalComputed,
}

impl Mode {
    pub fn is_required(self) -> bool {
        self == Mode::Required
    }

    pub fn is_optional(self) -> bool {
        matches!(self, Mode::Optional | Mode::OptionalComputed)
    }

    pub fn is_computed(self) -> bool {
        matches!(self, Mode::Computed | Mode::OptionalComputed)
    }

    /// The words used in generated docs.
    pub fn label(self) -> &'static str {
        match self {
            Mode::Required => "Required",
            Mode::Optional => "Optional",
            Mode::Computed => "Read-only",
            Mode::OptionalComputed => "Optional, computed when unset",
        }
    }
}

/// One attribute of a block.
pub struct Attribute {
    pub name: &'static str,
    pub ty: Type,
    pub mode: Mode,
    pub sensitive: bool,
    /// Part of the resource identity: see [`Block::identity_schema`].
    pub identity: bool,
    /// Markdown; the plain-text form is derived from it.
    pub description: String,
    pub validators: Vec<Box<dyn Validator>>,
    pub plan_modifiers: Vec<Box<dyn PlanModifier>>,
    /// For an object-typed attribute (or a list or set of objects): the
    /// objects' own attributes, sent to Terraform as nested attributes and
    /// documented one by one. `ty` is then their implied type.
    pub nested: Option<NestedAttributes>,
}

/// The attributes of the objects an attribute holds (Terraform's nested
/// attributes), and how they repeat: `Single` for one object, `List` or
/// `Set` for many. The block has attributes only, no nested blocks.
pub struct NestedAttributes {
    pub nesting: Nesting,
    pub block: Block,
}

impl NestedAttributes {
    /// The attribute type this nesting implies.
    pub fn value_type(&self) -> Type {
        let object = self.block.value_type();
        match self.nesting {
            Nesting::Single => object,
            Nesting::List => Type::list(object),
            Nesting::Set => Type::set(object),
        }
    }

    /// The same attributes as results only: every one computed, with no
    /// validators or plan modifiers (they concern configuration), nested
    /// ones too. What a computed attribute holding objects reports.
    pub fn into_computed(self) -> Self {
        let attributes = self
            .block
            .attributes
            .into_iter()
            .map(|mut a| {
                a.mode = Mode::Computed;
                a.validators.clear();
                a.plan_modifiers.clear();
                a.nested = a.nested.map(NestedAttributes::into_computed);
                a
            })
            .collect();
        Self {
            nesting: self.nesting,
            block: Block {
                attributes,
                ..self.block
            },
        }
    }
}

impl Attribute {
    pub fn new(name: &'static str, ty: Type, mode: Mode, description: impl Into<String>) -> Self {
        Self {
            name,
            ty,
            mode,
            sensitive: false,
            identity: false,
            description: description.into(),
            validators: Vec::new(),
            plan_modifiers: Vec::new(),
            nested: None,
        }
    }

    /// An attribute holding objects with `nested`'s attributes.
    pub fn nested(
        name: &'static str,
        nested: NestedAttributes,
        mode: Mode,
        description: impl Into<String>,
    ) -> Self {
        let mut a = Self::new(name, nested.value_type(), mode, description);
        a.nested = Some(nested);
        a
    }

    pub fn string(name: &'static str, mode: Mode, description: impl Into<String>) -> Self {
        Self::new(name, Type::String, mode, description)
    }

    pub fn number(name: &'static str, mode: Mode, description: impl Into<String>) -> Self {
        Self::new(name, Type::Number, mode, description)
    }

    pub fn bool(name: &'static str, mode: Mode, description: impl Into<String>) -> Self {
        Self::new(name, Type::Bool, mode, description)
    }

    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    pub fn identity(mut self) -> Self {
        self.identity = true;
        self
    }

    pub fn validate(mut self, v: impl Validator + 'static) -> Self {
        self.validators.push(Box::new(v));
        self
    }

    pub fn plan(mut self, m: impl PlanModifier + 'static) -> Self {
        self.plan_modifiers.push(Box::new(m));
        self
    }

    /// The description with markdown code spans and links removed.
    pub fn plain_description(&self) -> String {
        plain_text(&self.description)
    }
}

/// How a nested block repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    /// At most one; null when absent.
    Single,
    List,
    Set,
}

/// A nested block such as `timeouts { … }`.
pub struct NestedBlock {
    pub name: &'static str,
    pub nesting: Nesting,
    pub block: Block,
}

/// A block: attributes and nested blocks.
#[derive(Default)]
pub struct Block {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
    /// Markdown.
    pub description: String,
}

impl Block {
    pub fn new(description: impl Into<String>) -> Self {
        Self {
            description: description.into(),
            ..Self::default()
        }
    }

    pub fn attribute(mut self, a: Attribute) -> Self {
        self.attributes.push(a);
        self
    }

    pub fn block(mut self, b: NestedBlock) -> Self {
        self.blocks.push(b);
        self
    }

    /// The cty object type of this block's values.
    pub fn value_type(&self) -> Type {
        let mut attrs: BTreeMap<String, Type> = self
            .attributes
            .iter()
            .map(|a| (a.name.to_string(), a.ty.clone()))
            .collect();
        for b in &self.blocks {
            let inner = b.block.value_type();
            let ty = match b.nesting {
                Nesting::Single => inner,
                Nesting::List => Type::list(inner),
                Nesting::Set => Type::set(inner),
            };
            attrs.insert(b.name.to_string(), ty);
        }
        Type::Object {
            attrs,
            optional: Default::default(),
        }
    }

    /// An object of this block's type with every attribute null.
    pub fn null_object(&self) -> Value {
        let mut m: BTreeMap<String, Value> = self
            .attributes
            .iter()
            .map(|a| (a.name.to_string(), Value::Null))
            .collect();
        for b in &self.blocks {
            let empty = match b.nesting {
                Nesting::Single => Value::Null,
                Nesting::List => Value::List(Vec::new()),
                Nesting::Set => Value::Set(Vec::new()),
            };
            m.insert(b.name.to_string(), empty);
        }
        Value::Object(m)
    }

    pub fn find_attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    pub fn plain_description(&self) -> String {
        plain_text(&self.description)
    }

    /// The identity schema made of the attributes marked as identity, in
    /// order (each required for import); `None` when there are none.
    pub fn identity_schema(&self) -> Option<IdentitySchema> {
        let attributes: Vec<IdentityAttribute> = self
            .attributes
            .iter()
            .filter(|a| a.identity)
            .map(|a| IdentityAttribute {
                name: a.name,
                ty: a.ty.clone(),
                required_for_import: true,
                description: a.description.clone(),
            })
            .collect();
        (!attributes.is_empty()).then_some(IdentitySchema {
            version: 0,
            attributes,
        })
    }
}

/// A versioned schema: a provider's, or a resource's.
pub struct Schema {
    pub version: i64,
    pub block: Block,
}

impl Schema {
    pub fn new(version: i64, block: Block) -> Self {
        Self { version, block }
    }

    pub fn value_type(&self) -> Type {
        self.block.value_type()
    }
}

/// One attribute of a resource identity.
#[derive(Debug, Clone)]
pub struct IdentityAttribute {
    pub name: &'static str,
    pub ty: Type,
    pub required_for_import: bool,
    pub description: String,
}

/// The identity schema of a resource type (Terraform 1.12 and later).
#[derive(Debug, Clone)]
pub struct IdentitySchema {
    pub version: i64,
    pub attributes: Vec<IdentityAttribute>,
}

impl IdentitySchema {
    /// The identity of a state: each identity attribute is the state
    /// attribute of the same name. An object without all of them (unknown,
    /// null or `""`) has no identity yet.
    pub fn identity_of(&self, state: &Value) -> Option<Value> {
        self.attributes
            .iter()
            .map(|a| {
                let v = state
                    .get_attr(a.name)
                    .filter(|v| v.is_wholly_known() && !v.is_null() && v.as_str() != Some(""))?;
                Some((a.name.to_owned(), v.clone()))
            })
            .collect::<Option<_>>()
            .map(Value::Object)
    }

    pub fn value_type(&self) -> Type {
        Type::object(
            self.attributes
                .iter()
                .map(|a| (a.name.to_string(), a.ty.clone())),
        )
    }
}

/// Markdown to plain text: drops backticks and turns `[text](url)` into `text (url)`.
pub fn plain_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut rest = markdown;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find("](").and_then(|close| {
            after[close + 2..]
                .find(')')
                .map(|end| (close, close + 2 + end))
        }) {
            Some((close, end)) => {
                out.push_str(&after[..close]);
                out.push_str(" (");
                out.push_str(&after[close + 2..end]);
                out.push(')');
                rest = &after[end + 1..];
            }
            None => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out.replace('`', "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_type_includes_blocks() {
        let b = Block::new("x")
            .attribute(Attribute::string("name", Mode::Required, "n"))
            .block(NestedBlock {
                name: "timeouts",
                nesting: Nesting::Single,
                block: Block::new("t").attribute(Attribute::string("create", Mode::Optional, "c")),
            });
        let ty = b.value_type();
        let attrs = ty.attribute_types().unwrap();
        assert_eq!(attrs["name"], Type::String);
        assert_eq!(attrs["timeouts"], Type::object([("create", Type::String)]));
        let null = b.null_object();
        assert!(null.get_attr("timeouts").unwrap().is_null());
        assert!(null.conforms_to(&ty));
    }

    #[test]
    fn identity_schema_comes_from_marked_attributes() {
        let b = Block::new("x")
            .attribute(Attribute::string("cluster_id", Mode::Required, "The cluster.").identity())
            .attribute(Attribute::string("name", Mode::Required, "n"))
            .attribute(Attribute::string("id", Mode::Computed, "The ID.").identity());
        let s = b.identity_schema().unwrap();
        let names: Vec<_> = s.attributes.iter().map(|a| a.name).collect();
        assert_eq!(names, ["cluster_id", "id"]);
        assert!(s.attributes.iter().all(|a| a.required_for_import));
        assert_eq!(s.attributes[1].description, "The ID.");
        assert!(Block::new("y").identity_schema().is_none());
    }

    #[test]
    fn nested_attributes_imply_their_type_and_can_become_results() {
        let inner = Block::new("x")
            .attribute(
                Attribute::string("name", Mode::Required, "n")
                    .validate(crate::validators::Length::between(1, 3)),
            )
            .attribute(Attribute::number("size", Mode::Optional, "s"));
        let nested = NestedAttributes {
            nesting: Nesting::List,
            block: inner,
        }
        .into_computed();
        assert!(
            nested
                .block
                .attributes
                .iter()
                .all(|a| a.mode == Mode::Computed)
        );
        assert!(nested.block.attributes[0].validators.is_empty());
        let a = Attribute::nested("items", nested, Mode::Computed, "The items.");
        assert_eq!(
            a.ty,
            Type::list(Type::object([
                ("name", Type::String),
                ("size", Type::Number)
            ]))
        );
        let one = NestedAttributes {
            nesting: Nesting::Single,
            block: Block::new("y").attribute(Attribute::bool("on", Mode::Computed, "o")),
        };
        assert_eq!(one.value_type(), Type::object([("on", Type::Bool)]));
    }

    #[test]
    fn plain_text_strips_markdown() {
        assert_eq!(
            plain_text("The `name`, see [docs](https://x.y/z)."),
            "The name, see docs (https://x.y/z)."
        );
        assert_eq!(plain_text("a [b c"), "a [b c");
    }
}
