//! cty types.

use std::collections::{BTreeMap, BTreeSet};

/// A cty type. Object attribute maps are ordered by name, as cty orders them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Type {
    String,
    Number,
    Bool,
    /// Any type, decided per value; dynamic values travel with their type.
    Dynamic,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object {
        attrs: BTreeMap<String, Type>,
        /// Attributes declared optional in a type constraint (JSON third element).
        optional: BTreeSet<String>,
    },
    Tuple(Vec<Type>),
}

impl Type {
    pub fn list(elem: Type) -> Self {
        Type::List(Box::new(elem))
    }

    pub fn set(elem: Type) -> Self {
        Type::Set(Box::new(elem))
    }

    pub fn map(elem: Type) -> Self {
        Type::Map(Box::new(elem))
    }

    /// An object type from `(name, type)` pairs, with no optional attributes.
    pub fn object<I, S>(attrs: I) -> Self
    where
        I: IntoIterator<Item = (S, Type)>,
        S: Into<String>,
    {
        Type::Object {
            attrs: attrs.into_iter().map(|(k, v)| (k.into(), v)).collect(),
            optional: BTreeSet::new(),
        }
    }

    /// The attribute types of an object type, or `None` for other types.
    pub fn attribute_types(&self) -> Option<&BTreeMap<String, Type>> {
        match self {
            Type::Object { attrs, .. } => Some(attrs),
            _ => None,
        }
    }

    /// The element type of a list, set or map.
    pub fn element_type(&self) -> Option<&Type> {
        match self {
            Type::List(t) | Type::Set(t) | Type::Map(t) => Some(t),
            _ => None,
        }
    }

    /// True for the primitive types (string, number, bool).
    pub fn is_primitive(&self) -> bool {
        matches!(self, Type::String | Type::Number | Type::Bool)
    }
}
