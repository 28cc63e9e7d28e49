//! Typed models: a struct declared once with [`model!`](crate::model!) is at
//! the same time a block's attributes (name, type, mode, rules, description)
//! and the Rust value the framework decodes configuration, plan and state
//! into, and encodes state from.
//!
//! ```
//! use hwsnap_framework::model;
//! use hwsnap_framework::model::{computed, required};
//! use hwsnap_framework::plan_modifiers::RequiresReplace;
//! use hwsnap_framework::validators::Length;
//!
//! model! {
//!     /// A thing with a name.
//!     pub struct Thing {
//!         /// The thing's name.
//!         name: String = required().validate(Length::between(4, 64)).plan(RequiresReplace),
//!         /// The thing's ID.
//!         id: Option<String> = computed().identity(),
//!     }
//! }
//! ```
//!
//! # Why a declarative macro
//!
//! Two shapes were on the table: serde-style model structs (as the Rust crate
//! tf-provider does) next to a schema built separately, with a check at
//! start-up that the two agree; or one declaration of both. The macro wins on
//! what a resource file reads like and on what can go wrong:
//!
//! - Each attribute is written once, as a struct field: its doc comment is
//!   the description (and so the generated docs), its Rust type gives the cty
//!   type, the expression after `=` gives mode, validators, plan modifiers
//!   and whether it is part of the identity. Names and types of schema and
//!   model cannot drift: they are the same tokens. That is checked by the
//!   compiler, not at start-up, let alone at first use.
//! - What the type system cannot see — a required attribute must be a plain
//!   field, an optional or computed one an `Option`; every attribute has a
//!   description — is checked by [`check`] when the [`Server`](crate::Server)
//!   is built, so a provider with a mismatch does not start (and the
//!   provider's tests, which build the server, fail).
//! - No serde `Serializer`/`Deserializer` for cty values to maintain, no
//!   string-keyed field lookups: the generated `from_value`/`to_value` read
//!   and write each attribute directly, with the attribute path in errors.
//!
//! # Values
//!
//! Field types implement [`AttrValue`]: `String`, `bool`, `i64`, `u64`,
//! [`Number`] (arbitrary precision, as cty keeps it), `time::OffsetDateTime`
//! (an RFC 3339 string, written in UTC), `Vec<T>` (a list), `Option<T>`,
//! and any other model: a field of a model type holds one object, a
//! `Vec` of them a list of objects (`snapshots: Option<Vec<Snapshot>>`).
//! Terraform gets such a field as nested attributes, so each attribute of
//! the inner model keeps its description (and the docs list them); in a
//! computed field they are all results (computed, no validators or plan
//! modifiers).
//! Null decodes as `None`. Unknown — which the framework only passes for
//! computed attributes, e.g. in a create's planned state — decodes as `None`
//! too: the resource is about to compute it. A required attribute is a plain
//! field; the null it holds only in a just-imported state decodes as the
//! empty value (`""`, `false`, `0`), so a read can see which parts the import
//! set.

use std::collections::BTreeMap;

use hwsnap_cty::{AttributePath, Number, Type, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::diag::Diagnostic;
use crate::plan_modifiers::PlanModifier;
use crate::schema::{Attribute, Block, Mode, NestedAttributes, Nesting};
use crate::validators::Validator;

/// A struct declared with [`model!`](crate::model!): the attributes of a
/// block, and the value of an object of that block.
pub trait Model: Clone + std::fmt::Debug + PartialEq + Send + Sync + 'static {
    /// The attributes, in declaration order.
    fn fields() -> Vec<Field>;

    /// The struct's doc comment: the block's description (markdown).
    fn description() -> String;

    /// Decodes an object value; errors carry the attribute path.
    fn from_value(value: &Value) -> Result<Self, ModelError>;

    /// Encodes as an object value with every attribute of the model.
    fn to_value(&self) -> Value;
}

/// The block of a model: its attributes and description, no nested blocks.
pub fn block<M: Model>() -> Block {
    let mut b = Block::new(M::description());
    for f in M::fields() {
        b = b.attribute(f.attribute);
    }
    b
}

/// What the compiler cannot check about a model: every attribute is
/// described, and a required attribute is a plain field while an optional
/// or computed one is an `Option`. Each problem is one line.
pub fn check<M: Model>(model: &str) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    if M::description().trim().is_empty() {
        problems.push(format!(
            "{model} has no doc comment (the block description)"
        ));
    }
    for f in M::fields() {
        let a = &f.attribute;
        if a.description.trim().is_empty() {
            problems.push(format!(
                "{model}.{} has no doc comment (its description)",
                a.name
            ));
        }
        if let Some(nested) = &a.nested {
            check_nested(&format!("{model}.{}", a.name), nested, &mut problems);
        }
        match (a.mode.is_required(), f.nullable) {
            (true, true) => problems.push(format!(
                "{model}.{} is required but declared as an Option: make it a plain field",
                a.name
            )),
            (false, false) => problems.push(format!(
                "{model}.{} is {} but declared as a plain field: make it an Option",
                a.name,
                a.mode.label().to_lowercase()
            )),
            _ => {}
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// What the docs and the framework need of the objects a field holds: a
/// description of each attribute (and of the inner model), and no plan
/// modifiers, which nested attributes do not run.
fn check_nested(at: &str, nested: &NestedAttributes, problems: &mut Vec<String>) {
    if nested.block.description.trim().is_empty() {
        problems.push(format!("{at} holds a model without a doc comment"));
    }
    for a in &nested.block.attributes {
        let name = format!("{at}.{}", a.name);
        if a.description.trim().is_empty() {
            problems.push(format!("{name} has no doc comment (its description)"));
        }
        if !a.plan_modifiers.is_empty() {
            problems.push(format!(
                "{name} has plan modifiers, which nested attributes do not run"
            ));
        }
        if let Some(inner) = &a.nested {
            check_nested(&name, inner, problems);
        }
    }
}

/// One attribute of a model: the schema attribute and whether its field can
/// hold null.
pub struct Field {
    pub attribute: Attribute,
    pub nullable: bool,
}

/// How an attribute is set and checked: the part of a field after `=`.
/// Start with [`required`], [`optional`], [`computed`] or
/// [`optional_computed`].
pub struct Spec {
    mode: Mode,
    sensitive: bool,
    identity: bool,
    validators: Vec<Box<dyn Validator>>,
    plan_modifiers: Vec<Box<dyn PlanModifier>>,
}

fn spec(mode: Mode) -> Spec {
    Spec {
        mode,
        sensitive: false,
        identity: false,
        validators: Vec::new(),
        plan_modifiers: Vec::new(),
    }
}

/// Must be set in configuration.
pub fn required() -> Spec {
    spec(Mode::Required)
}

/// May be set in configuration; null when not.
pub fn optional() -> Spec {
    spec(Mode::Optional)
}

/// Set only by the provider.
pub fn computed() -> Spec {
    spec(Mode::Computed)
}

/// May be set in configuration; otherwise the provider sets it.
pub fn optional_computed() -> Spec {
    spec(Mode::OptionalComputed)
}

impl Spec {
    /// Adds a validator (run on known configured values).
    pub fn validate(mut self, v: impl Validator + 'static) -> Self {
        self.validators.push(Box::new(v));
        self
    }

    /// Adds a plan modifier.
    pub fn plan(mut self, m: impl PlanModifier + 'static) -> Self {
        self.plan_modifiers.push(Box::new(m));
        self
    }

    /// Marks the attribute sensitive.
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// Makes the attribute part of the resource identity (Terraform 1.12+);
    /// the identity schema is derived from the attributes so marked.
    pub fn identity(mut self) -> Self {
        self.identity = true;
        self
    }
}

/// The field for attribute `name` of type `T`: used by [`model!`](crate::model!).
pub fn field<T: AttrValue>(name: &'static str, doc: &[&str], spec: Spec) -> Field {
    let mut a = Attribute::new(name, T::cty_type(), spec.mode, doc_text(doc));
    a.sensitive = spec.sensitive;
    a.identity = spec.identity;
    a.validators = spec.validators;
    a.plan_modifiers = spec.plan_modifiers;
    a.nested = match T::nested() {
        Some(n) if spec.mode == Mode::Computed => Some(n.into_computed()),
        other => other,
    };
    Field {
        attribute: a,
        nullable: T::NULLABLE,
    }
}

/// Doc-comment lines as one markdown text: lines of a paragraph joined by
/// spaces, paragraphs by a blank line.
pub fn doc_text(lines: &[&str]) -> String {
    let mut out = String::new();
    let mut blank = false;
    for line in lines.iter().map(|l| l.trim()) {
        if line.is_empty() {
            blank = !out.is_empty();
            continue;
        }
        if blank {
            out.push_str("\n\n");
            blank = false;
        } else if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(line);
    }
    out
}

/// A value that does not fit the model, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct ModelError {
    pub path: AttributePath,
    pub reason: String,
}

impl ModelError {
    pub fn new(path: AttributePath, reason: impl Into<String>) -> Self {
        Self {
            path,
            reason: reason.into(),
        }
    }

    /// The error as a diagnostic about `what` ("planned state", …), pinned
    /// to the attribute. Values come from Terraform checked against the
    /// schema, so this is a bug.
    pub fn diagnostic(&self, what: &str) -> Diagnostic {
        let d = Diagnostic::error(
            format!("Invalid {what}"),
            format!(
                "The provider could not read the {what} at {}: {}. This is a bug in the provider; please report it.",
                self.path, self.reason
            ),
        );
        if self.path.is_root() {
            d
        } else {
            d.at(self.path.clone())
        }
    }
}

/// A Rust type that holds one attribute's value.
pub trait AttrValue: Sized {
    /// Whether the field can hold null (an `Option`).
    const NULLABLE: bool = false;

    /// The attribute's cty type.
    fn cty_type() -> Type;

    /// Decodes a known, non-null value.
    fn from_known(value: &Value, path: &AttributePath) -> Result<Self, ModelError>;

    /// What null decodes to.
    fn from_null(path: &AttributePath) -> Result<Self, ModelError>;

    /// Encodes the value (null for `None`).
    fn encode(&self) -> Value;

    /// For a model (or a list of models): the attributes of the objects
    /// held, so Terraform sees nested attributes. `None` for other values.
    fn nested() -> Option<NestedAttributes> {
        None
    }

    /// Decodes any value: null and unknown included.
    fn decode(value: &Value, path: &AttributePath) -> Result<Self, ModelError> {
        match value {
            Value::Null => Self::from_null(path),
            Value::Unknown(_) if Self::NULLABLE => Self::from_null(path),
            Value::Unknown(_) => Err(ModelError::new(path.clone(), "is not known yet")),
            v => Self::from_known(v, path),
        }
    }
}

fn wrong_type(path: &AttributePath, want: &str) -> ModelError {
    ModelError::new(path.clone(), format!("expected {want}"))
}

impl AttrValue for String {
    fn cty_type() -> Type {
        Type::String
    }
    fn from_known(v: &Value, path: &AttributePath) -> Result<Self, ModelError> {
        v.as_str()
            .map(str::to_owned)
            .ok_or_else(|| wrong_type(path, "a string"))
    }
    fn from_null(_: &AttributePath) -> Result<Self, ModelError> {
        Ok(String::new())
    }
    fn encode(&self) -> Value {
        Value::String(self.clone())
    }
}

impl AttrValue for bool {
    fn cty_type() -> Type {
        Type::Bool
    }
    fn from_known(v: &Value, path: &AttributePath) -> Result<Self, ModelError> {
        v.as_bool().ok_or_else(|| wrong_type(path, "a bool"))
    }
    fn from_null(_: &AttributePath) -> Result<Self, ModelError> {
        Ok(false)
    }
    fn encode(&self) -> Value {
        Value::Bool(*self)
    }
}

impl AttrValue for Number {
    fn cty_type() -> Type {
        Type::Number
    }
    fn from_known(v: &Value, path: &AttributePath) -> Result<Self, ModelError> {
        v.as_number()
            .cloned()
            .ok_or_else(|| wrong_type(path, "a number"))
    }
    fn from_null(_: &AttributePath) -> Result<Self, ModelError> {
        Ok(Number::from(0i64))
    }
    fn encode(&self) -> Value {
        Value::Number(self.clone())
    }
}

impl AttrValue for i64 {
    fn cty_type() -> Type {
        Type::Number
    }
    fn from_known(v: &Value, path: &AttributePath) -> Result<Self, ModelError> {
        v.as_number()
            .and_then(Number::to_i64)
            .ok_or_else(|| wrong_type(path, "a whole number"))
    }
    fn from_null(_: &AttributePath) -> Result<Self, ModelError> {
        Ok(0)
    }
    fn encode(&self) -> Value {
        Value::Number(Number::from(*self))
    }
}

impl AttrValue for u64 {
    fn cty_type() -> Type {
        Type::Number
    }
    fn from_known(v: &Value, path: &AttributePath) -> Result<Self, ModelError> {
        v.as_number()
            .and_then(Number::to_i64)
            .and_then(|n| u64::try_from(n).ok())
            .ok_or_else(|| wrong_type(path, "a whole number of at least 0"))
    }
    fn from_null(_: &AttributePath) -> Result<Self, ModelError> {
        Ok(0)
    }
    fn encode(&self) -> Value {
        Value::Number(Number::from(*self))
    }
}

/// A time, as an RFC 3339 string in UTC.
impl AttrValue for OffsetDateTime {
    fn cty_type() -> Type {
        Type::String
    }
    fn from_known(v: &Value, path: &AttributePath) -> Result<Self, ModelError> {
        v.as_str()
            .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok())
            .ok_or_else(|| wrong_type(path, "an RFC 3339 time"))
    }
    fn from_null(path: &AttributePath) -> Result<Self, ModelError> {
        Err(ModelError::new(path.clone(), "is null"))
    }
    fn encode(&self) -> Value {
        self.to_offset(time::UtcOffset::UTC)
            .format(&Rfc3339)
            .map_or(Value::Null, Value::String)
    }
}

impl<T: AttrValue> AttrValue for Option<T> {
    const NULLABLE: bool = true;
    fn cty_type() -> Type {
        T::cty_type()
    }
    fn from_known(v: &Value, path: &AttributePath) -> Result<Self, ModelError> {
        T::from_known(v, path).map(Some)
    }
    fn from_null(_: &AttributePath) -> Result<Self, ModelError> {
        Ok(None)
    }
    fn encode(&self) -> Value {
        self.as_ref().map_or(Value::Null, T::encode)
    }
    fn nested() -> Option<NestedAttributes> {
        T::nested()
    }
}

/// A list.
impl<T: AttrValue> AttrValue for Vec<T> {
    fn cty_type() -> Type {
        Type::list(T::cty_type())
    }
    fn from_known(v: &Value, path: &AttributePath) -> Result<Self, ModelError> {
        let items = match v {
            Value::List(items) => items,
            _ => return Err(wrong_type(path, "a list")),
        };
        items
            .iter()
            .enumerate()
            .map(|(i, x)| T::decode(x, &path.join_index(i as i64)))
            .collect()
    }
    fn from_null(_: &AttributePath) -> Result<Self, ModelError> {
        Ok(Vec::new())
    }
    fn encode(&self) -> Value {
        Value::List(self.iter().map(T::encode).collect())
    }
    /// A list of models is a list of nested objects; deeper nesting is
    /// sent as a plain type.
    fn nested() -> Option<NestedAttributes> {
        T::nested()
            .filter(|n| n.nesting == Nesting::Single)
            .map(|n| NestedAttributes {
                nesting: Nesting::List,
                block: n.block,
            })
    }
}

/// One object of a model type, as a field of another model; used by
/// [`model!`](crate::model!), which implements [`AttrValue`] for each model.
pub fn nested_object<M: Model>() -> NestedAttributes {
    NestedAttributes {
        nesting: Nesting::Single,
        block: block::<M>(),
    }
}

/// Decodes a model held by a field at `path`, errors at their full path;
/// used by [`model!`](crate::model!).
pub fn decode_nested<M: Model>(value: &Value, path: &AttributePath) -> Result<M, ModelError> {
    M::from_value(value).map_err(|e| {
        let mut full = path.clone();
        full.steps.extend(e.path.steps);
        ModelError::new(full, e.reason)
    })
}

/// The attribute name of a field: a raw identifier (`r#type`) without its
/// `r#`; used by [`model!`](crate::model!).
pub fn name(field: &'static str) -> &'static str {
    field.strip_prefix("r#").unwrap_or(field)
}

/// The attributes of an object value; used by [`model!`](crate::model!).
pub fn object(value: &Value) -> Result<&BTreeMap<String, Value>, ModelError> {
    match value {
        Value::Object(m) => Ok(m),
        Value::Null => Err(ModelError::new(AttributePath::root(), "the object is null")),
        Value::Unknown(_) => Err(ModelError::new(
            AttributePath::root(),
            "the object is not known yet",
        )),
        _ => Err(ModelError::new(AttributePath::root(), "expected an object")),
    }
}

/// Decodes attribute `name` of an object (absent counts as null); used by
/// [`model!`](crate::model!).
pub fn attr<T: AttrValue>(
    object: &BTreeMap<String, Value>,
    name: &'static str,
) -> Result<T, ModelError> {
    T::decode(
        object.get(name).unwrap_or(&Value::Null),
        &AttributePath::attr(name),
    )
}

/// Declares a model: a struct whose fields are a block's attributes. See
/// the [module docs](crate::model).
///
/// Each field is `/// description` lines, then `name: Type = spec`, where
/// `spec` starts with `required()`, `optional()`, `computed()` or
/// `optional_computed()`. The struct derives `Debug`, `Clone` and
/// `PartialEq`; other attributes on it are kept, and its doc comment is the
/// block's description.
#[macro_export]
macro_rules! model {
    (
        $(#[$($meta:tt)*])*
        $vis:vis struct $name:ident {
            $(
                $(#[doc = $doc:literal])*
                $field:ident : $ty:ty = $spec:expr
            ),* $(,)?
        }
    ) => {
        $(#[$($meta)*])*
        #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::cmp::PartialEq)]
        $vis struct $name {
            $(
                $(#[doc = $doc])*
                pub $field: $ty,
            )*
        }

        impl $crate::model::Model for $name {
            fn fields() -> ::std::vec::Vec<$crate::model::Field> {
                ::std::vec![$(
                    $crate::model::field::<$ty>($crate::model::name(::core::stringify!($field)), &[$($doc),*], $spec)
                ),*]
            }

            fn description() -> ::std::string::String {
                $crate::model::doc_text($crate::__model_docs!([] $([$($meta)*])*))
            }

            fn from_value(
                value: &$crate::cty::Value,
            ) -> ::core::result::Result<Self, $crate::model::ModelError> {
                let _object = $crate::model::object(value)?;
                ::core::result::Result::Ok(Self {
                    $($field: $crate::model::attr::<$ty>(_object, $crate::model::name(::core::stringify!($field)))?,)*
                })
            }

            fn to_value(&self) -> $crate::cty::Value {
                $crate::cty::Value::Object(::std::collections::BTreeMap::from([$(
                    (
                        ::std::string::String::from($crate::model::name(::core::stringify!($field))),
                        $crate::model::AttrValue::encode(&self.$field),
                    )
                ),*]))
            }
        }

        /// The model as a field of another model: one object.
        impl $crate::model::AttrValue for $name {
            fn cty_type() -> $crate::cty::Type {
                $crate::model::block::<Self>().value_type()
            }

            fn from_known(
                value: &$crate::cty::Value,
                path: &$crate::cty::AttributePath,
            ) -> ::core::result::Result<Self, $crate::model::ModelError> {
                $crate::model::decode_nested::<Self>(value, path)
            }

            fn from_null(
                path: &$crate::cty::AttributePath,
            ) -> ::core::result::Result<Self, $crate::model::ModelError> {
                ::core::result::Result::Err($crate::model::ModelError::new(path.clone(), "is null"))
            }

            fn encode(&self) -> $crate::cty::Value {
                $crate::model::Model::to_value(self)
            }

            fn nested() -> ::core::option::Option<$crate::schema::NestedAttributes> {
                ::core::option::Option::Some($crate::model::nested_object::<Self>())
            }
        }
    };
}

/// The doc-comment lines among a struct's attributes (a helper of `model!`).
#[doc(hidden)]
#[macro_export]
macro_rules! __model_docs {
    ([$($acc:expr),*]) => { &[$($acc),*] };
    ([$($acc:expr),*] [doc = $d:literal] $($rest:tt)*) => {
        $crate::__model_docs!([$($acc,)* $d] $($rest)*)
    };
    ([$($acc:expr),*] [$($other:tt)*] $($rest:tt)*) => {
        $crate::__model_docs!([$($acc),*] $($rest)*)
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan_modifiers::RequiresReplace;
    use crate::validators::Length;

    crate::model! {
        /// A test model.
        ///
        /// Second paragraph.
        pub struct Thing {
            /// The name,
            /// on two lines.
            name: String = required().validate(Length::between(1, 9)).plan(RequiresReplace),
            /// A size, with full precision.
            size: Option<Number> = computed(),
            /// A count.
            count: Option<u64> = computed(),
            /// When it started.
            started_at: Option<OffsetDateTime> = computed(),
            /// Tags.
            tags: Option<Vec<String>> = optional(),
            /// The ID.
            id: Option<String> = computed().identity(),
            /// A keyword as a name.
            r#type: Option<String> = computed(),
        }
    }

    crate::model! {
        /// A model declared wrongly.
        pub struct Wrong {
            /// Required but nullable.
            a: Option<String> = required(),
            b: String = optional(),
        }
    }

    crate::model! {
        /// What a search found.
        pub struct Found {
            /// The filter.
            name_regex: Option<String> = optional(),
            /// Every thing found.
            things: Option<Vec<Thing>> = computed(),
            /// The best one.
            best: Option<Thing> = computed(),
        }
    }

    crate::model! {
        /// Things given by the user.
        pub struct Given {
            /// Things to make.
            things: Option<Vec<Thing>> = optional(),
        }
    }

    fn a_thing(name: &str) -> Thing {
        Thing {
            name: name.into(),
            size: None,
            count: Some(2),
            started_at: None,
            tags: Some(vec!["t".into()]),
            id: Some(format!("id-{name}")),
            r#type: None,
        }
    }

    #[test]
    fn a_list_of_models_is_a_computed_list_of_nested_objects() {
        let b = block::<Found>();
        let things = b.find_attribute("things").unwrap();
        assert_eq!(things.ty, Type::list(block::<Thing>().value_type()));
        let nested = things.nested.as_ref().unwrap();
        assert_eq!(nested.nesting, Nesting::List);
        let inner = nested.block.find_attribute("name").unwrap();
        assert_eq!(inner.mode, Mode::Computed, "results only");
        assert!(inner.validators.is_empty() && inner.plan_modifiers.is_empty());
        assert_eq!(inner.description, "The name, on two lines.");
        let best = b.find_attribute("best").unwrap();
        assert_eq!(best.ty, block::<Thing>().value_type());
        assert_eq!(best.nested.as_ref().unwrap().nesting, Nesting::Single);
        assert!(b.find_attribute("name_regex").unwrap().nested.is_none());
        assert!(check::<Found>("Found").is_ok());
    }

    #[test]
    fn nested_objects_round_trip() {
        let f = Found {
            name_regex: Some("^n".into()),
            things: Some(vec![a_thing("one"), a_thing("two")]),
            best: Some(a_thing("one")),
        };
        let v = f.to_value();
        assert!(v.conforms_to(&block::<Found>().value_type()));
        assert_eq!(Found::from_value(&v).unwrap(), f);
        let empty = Found {
            things: Some(Vec::new()),
            best: None,
            ..f
        };
        assert_eq!(Found::from_value(&empty.to_value()).unwrap(), empty);
    }

    #[test]
    fn nested_errors_carry_the_full_path() {
        let mut v = Found {
            name_regex: None,
            things: Some(vec![a_thing("one"), a_thing("two")]),
            best: None,
        }
        .to_value();
        let mut second = a_thing("two").to_value();
        second.set_attr("count", Value::string("many"));
        let first = a_thing("one").to_value();
        v.set_attr("things", Value::List(vec![first, second]));
        let e = Found::from_value(&v).unwrap_err();
        assert_eq!(e.path.to_string(), "things[1].count");
    }

    #[test]
    fn configurable_nested_objects_keep_their_rules() {
        let b = block::<Given>();
        let nested = b.find_attribute("things").unwrap().nested.as_ref().unwrap();
        let name = nested.block.find_attribute("name").unwrap();
        assert_eq!(name.mode, Mode::Required);
        assert_eq!(name.validators.len(), 1);
        // Thing's name has a plan modifier, which a nested attribute would not run.
        let problems = check::<Given>("Given").unwrap_err();
        assert_eq!(
            problems,
            ["Given.things.name has plan modifiers, which nested attributes do not run"]
        );
    }

    #[test]
    fn fields_become_the_schema() {
        let b = block::<Thing>();
        assert_eq!(b.description, "A test model.\n\nSecond paragraph.");
        let names: Vec<_> = b.attributes.iter().map(|a| a.name).collect();
        assert_eq!(
            names,
            ["name", "size", "count", "started_at", "tags", "id", "type"]
        );
        let name = b.find_attribute("name").unwrap();
        assert_eq!(name.description, "The name, on two lines.");
        assert_eq!(name.mode, Mode::Required);
        assert_eq!(name.validators.len(), 1);
        assert_eq!(name.plan_modifiers.len(), 1);
        assert_eq!(b.find_attribute("size").unwrap().ty, Type::Number);
        assert_eq!(
            b.find_attribute("tags").unwrap().ty,
            Type::list(Type::String)
        );
        assert!(b.find_attribute("id").unwrap().identity);
        assert!(check::<Thing>("Thing").is_ok());
    }

    #[test]
    fn mismatches_are_found_by_check() {
        let problems = check::<Wrong>("Wrong").unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("Wrong.a is required but declared as an Option"));
        assert!(problems[1].contains("Wrong.b has no doc comment"));
        assert!(problems[2].contains("Wrong.b is optional but declared as a plain field"));
    }

    #[test]
    fn round_trips_with_full_precision() {
        let big: Number = "123456789012345678901234567890.000000000000000000001"
            .parse()
            .unwrap();
        let t = Thing {
            name: "x".into(),
            size: Some(big.clone()),
            count: Some(6),
            started_at: OffsetDateTime::from_unix_timestamp(1_764_072_000).ok(),
            tags: Some(vec!["a".into(), "b".into()]),
            id: None,
            r#type: Some("MANUAL".into()),
        };
        let v = t.to_value();
        assert!(v.conforms_to(&block::<Thing>().value_type()));
        assert_eq!(
            v.get_attr("started_at"),
            Some(&Value::string("2025-11-25T12:00:00Z"))
        );
        assert_eq!(v.get_attr("id"), Some(&Value::Null));
        assert_eq!(v.get_attr("type"), Some(&Value::string("MANUAL")));
        assert_eq!(Thing::from_value(&v).unwrap(), t);
        assert_eq!(
            Thing::from_value(&v).unwrap().size.unwrap(),
            big,
            "no rounding through f64"
        );
    }

    #[test]
    fn unknown_computed_is_none_and_null_required_is_empty() {
        let mut v = block::<Thing>().null_object();
        v.set_attr("id", Value::unknown());
        v.set_attr("size", Value::unknown());
        let t = Thing::from_value(&v).unwrap();
        assert_eq!(t.id, None);
        assert_eq!(t.size, None);
        assert_eq!(t.name, "", "a just-imported state has no name yet");
    }

    #[test]
    fn errors_carry_the_path() {
        let mut v = block::<Thing>().null_object();
        v.set_attr("name", Value::unknown());
        let e = Thing::from_value(&v).unwrap_err();
        assert_eq!(e.path, AttributePath::attr("name"));
        assert_eq!(e.to_string(), "name: is not known yet");

        let mut v = block::<Thing>().null_object();
        v.set_attr("count", Value::Number(Number::from_f64(1.5).unwrap()));
        let e = Thing::from_value(&v).unwrap_err();
        assert_eq!(e.path, AttributePath::attr("count"));
        let d = e.diagnostic("planned state");
        assert_eq!(d.path, Some(AttributePath::attr("count")));
        assert!(d.detail.contains("count: "), "{}", d.detail);

        let mut v = block::<Thing>().null_object();
        v.set_attr(
            "tags",
            Value::List(vec![Value::string("a"), Value::Bool(true)]),
        );
        let e = Thing::from_value(&v).unwrap_err();
        assert_eq!(e.path.to_string(), "tags[1]");

        assert!(Thing::from_value(&Value::Null).is_err());
    }
}
