//! cty values: known, null or unknown.

use std::collections::BTreeMap;

use crate::{AttributePath, Number, PathStep, Type};

/// What Terraform knows about an unknown value before it is known
/// (msgpack extension type 12). Decoded and kept; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Refinements {
    /// `Some(false)`: the value will certainly not be null.
    pub nullable: Option<bool>,
    /// A prefix every possible string value starts with.
    pub string_prefix: Option<String>,
    /// Lower bound of a number, and whether it is inclusive.
    pub number_lower: Option<(Number, bool)>,
    /// Upper bound of a number, and whether it is inclusive.
    pub number_upper: Option<(Number, bool)>,
    /// Least number of elements of a collection.
    pub length_lower: Option<u64>,
    /// Greatest number of elements of a collection.
    pub length_upper: Option<u64>,
}

impl Refinements {
    /// True when nothing at all is known.
    pub fn is_empty(&self) -> bool {
        *self == Refinements::default()
    }
}

/// A cty value. A value carries no type: codecs take the type beside it.
///
/// Sets are kept as a vector in the order received; equality of two sets is
/// order-insensitive (see [`Value::semantically_equal`]).
///
/// A `Value` is 32 bytes: its large parts are boxed (an unknown's
/// refinements, a number's decimal, a dynamic value's type and value), so a
/// collection of many small values costs little more than its elements'
/// own sizes.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A null value of whatever type it is given.
    Null,
    /// A value not yet known (during plan). `None` when nothing is known
    /// about it; build refined ones with [`Value::unknown_refined`], which
    /// never boxes empty refinements, and read them with
    /// [`Value::refinements`].
    Unknown(Option<Box<Refinements>>),
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    Set(Vec<Value>),
    Tuple(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Object(BTreeMap<String, Value>),
    /// A value of a `dynamic`-typed attribute: the concrete type travels with it.
    Dynamic(Box<Type>, Box<Value>),
}

impl Value {
    /// An unknown value with no refinements.
    pub fn unknown() -> Self {
        Value::Unknown(None)
    }

    /// An unknown value with these refinements (none boxed when empty).
    pub fn unknown_refined(refinements: Refinements) -> Self {
        if refinements.is_empty() {
            Value::Unknown(None)
        } else {
            Value::Unknown(Some(Box::new(refinements)))
        }
    }

    /// What is known about an unknown value: `None` for known values and
    /// for unknowns without refinements.
    pub fn refinements(&self) -> Option<&Refinements> {
        match self {
            Value::Unknown(r) => r.as_deref(),
            _ => None,
        }
    }

    pub fn string(s: impl Into<String>) -> Self {
        Value::String(s.into())
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown(_))
    }

    /// Neither null nor unknown (its parts may still be unknown).
    pub fn is_known(&self) -> bool {
        !self.is_unknown()
    }

    /// True when no part of this value, at any depth, is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown(_) => false,
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => {
                v.iter().all(Value::is_wholly_known)
            }
            Value::Map(m) | Value::Object(m) => m.values().all(Value::is_wholly_known),
            Value::Dynamic(_, v) => v.is_wholly_known(),
            _ => true,
        }
    }

    /// The string, when this is a known string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The attribute map, when this is a known object.
    pub fn as_object(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// The elements, when this is a known list, set or tuple.
    pub fn as_elements(&self) -> Option<&[Value]> {
        match self {
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => Some(v),
            _ => None,
        }
    }

    /// An attribute of a known object; `None` when this is not an object or
    /// has no such attribute.
    pub fn get_attr(&self, name: &str) -> Option<&Value> {
        self.as_object().and_then(|m| m.get(name))
    }

    /// Mutable access to an attribute of a known object.
    pub fn get_attr_mut(&mut self, name: &str) -> Option<&mut Value> {
        match self {
            Value::Object(m) => m.get_mut(name),
            _ => None,
        }
    }

    /// Sets an attribute of a known object; does nothing on other values.
    pub fn set_attr(&mut self, name: &str, value: Value) {
        if let Value::Object(m) = self {
            m.insert(name.to_string(), value);
        }
    }

    /// The part of this value at `path`, if every step exists.
    pub fn at_path(&self, path: &AttributePath) -> Option<&Value> {
        let mut cur = self;
        for step in &path.steps {
            cur = match (step, cur) {
                (PathStep::Attr(n), Value::Object(m)) => m.get(n)?,
                (PathStep::Key(k), Value::Map(m)) => m.get(k)?,
                (PathStep::Index(i), Value::List(v) | Value::Tuple(v) | Value::Set(v)) => {
                    v.get(usize::try_from(*i).ok()?)?
                }
                _ => return None,
            };
        }
        Some(cur)
    }

    /// Equality as cty means it: sets compare regardless of order, numbers by
    /// value (`1` equals `1.0`), unknown never equals anything.
    pub fn semantically_equal(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Unknown(_), _) | (_, Value::Unknown(_)) => false,
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::List(a), Value::List(b)) | (Value::Tuple(a), Value::Tuple(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.semantically_equal(y))
            }
            (Value::Set(a), Value::Set(b)) => {
                a.len() == b.len()
                    && a.iter().all(|x| b.iter().any(|y| x.semantically_equal(y)))
                    && b.iter().all(|y| a.iter().any(|x| x.semantically_equal(y)))
            }
            (Value::Map(a), Value::Map(b)) | (Value::Object(a), Value::Object(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(k, v)| b.get(k).is_some_and(|w| v.semantically_equal(w)))
            }
            (Value::Dynamic(ta, a), Value::Dynamic(tb, b)) => ta == tb && a.semantically_equal(b),
            _ => false,
        }
    }
}

impl Value {
    /// True when this value can be encoded as `ty`: null and unknown conform
    /// to any type; an object may omit attributes (they encode as null) but
    /// not add any; a `dynamic`-typed value must be a [`Value::Dynamic`]
    /// (or a primitive, whose type is evident).
    pub fn conforms_to(&self, ty: &Type) -> bool {
        match (self, ty) {
            (Value::Null | Value::Unknown(_), _) => true,
            (Value::Dynamic(t, v), Type::Dynamic) => v.conforms_to(t),
            (Value::Dynamic(t, v), _) => **t == *ty && v.conforms_to(t),
            (Value::String(_) | Value::Number(_) | Value::Bool(_), Type::Dynamic) => true,
            (Value::String(_), Type::String)
            | (Value::Number(_), Type::Number)
            | (Value::Bool(_), Type::Bool) => true,
            (Value::List(v), Type::List(e)) | (Value::Set(v), Type::Set(e)) => {
                v.iter().all(|x| x.conforms_to(e))
            }
            (Value::Map(m), Type::Map(e)) => m.values().all(|x| x.conforms_to(e)),
            (Value::Tuple(v), Type::Tuple(ts)) => {
                v.len() == ts.len() && v.iter().zip(ts).all(|(x, t)| x.conforms_to(t))
            }
            (Value::Object(m), Type::Object { attrs, .. }) => m
                .iter()
                .all(|(k, x)| attrs.get(k).is_some_and(|t| x.conforms_to(t))),
            _ => false,
        }
    }

    /// The primitive type evident from a known primitive value.
    pub(crate) fn evident_type(&self) -> Option<Type> {
        match self {
            Value::String(_) => Some(Type::String),
            Value::Number(_) => Some(Type::Number),
            Value::Bool(_) => Some(Type::Bool),
            _ => None,
        }
    }

    /// What kind of value this is, for error messages.
    pub(crate) fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Unknown(_) => "unknown",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::Tuple(_) => "tuple",
            Value::Map(_) => "map",
            Value::Object(_) => "object",
            Value::Dynamic(..) => "dynamic value",
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Number(Number::from(n))
    }
}

impl From<Number> for Value {
    fn from(n: Number) -> Self {
        Value::Number(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_small_and_refinements_box_only_when_present() {
        assert_eq!(std::mem::size_of::<Value>(), 32);
        assert_eq!(std::mem::size_of::<Number>(), 8);
        assert_eq!(
            Value::unknown_refined(Refinements::default()),
            Value::unknown()
        );
        assert_eq!(Value::unknown().refinements(), None);
        let r = Refinements {
            nullable: Some(false),
            ..Refinements::default()
        };
        let v = Value::unknown_refined(r.clone());
        assert_eq!(v.refinements(), Some(&r));
        assert!(v.is_unknown());
        assert_eq!(Value::from(1).refinements(), None);
    }

    #[test]
    fn null_and_unknown_conform_to_anything() {
        for t in [Type::String, Type::list(Type::Bool), Type::Dynamic] {
            assert!(Value::Null.conforms_to(&t));
            assert!(Value::unknown().conforms_to(&t));
        }
    }

    #[test]
    fn conformance_checks_kinds_and_attributes() {
        let t = Type::object([("a", Type::String), ("b", Type::list(Type::Number))]);
        let mut v = Value::Object(BTreeMap::from([
            ("a".to_string(), Value::from("x")),
            ("b".to_string(), Value::List(vec![Value::from(1)])),
        ]));
        assert!(v.conforms_to(&t));
        v.set_attr("b", Value::List(vec![Value::from("no")]));
        assert!(!v.conforms_to(&t));
        v.set_attr("b", Value::Null);
        v.set_attr("c", Value::Null);
        assert!(!v.conforms_to(&t), "extra attribute");
        let partial = Value::Object(BTreeMap::from([("a".to_string(), Value::from("x"))]));
        assert!(partial.conforms_to(&t), "missing attributes are null");
        assert!(!Value::Set(vec![]).conforms_to(&Type::list(Type::String)));
        assert!(!Value::Tuple(vec![Value::from(true)]).conforms_to(&Type::Tuple(vec![])));
    }

    #[test]
    fn dynamic_values_carry_their_type() {
        let d = Value::Dynamic(
            Box::new(Type::list(Type::Bool)),
            Box::new(Value::List(vec![true.into()])),
        );
        assert!(d.conforms_to(&Type::Dynamic));
        assert!(d.conforms_to(&Type::list(Type::Bool)));
        assert!(!d.conforms_to(&Type::list(Type::String)));
        assert!(Value::from("s").conforms_to(&Type::Dynamic));
        assert!(!Value::List(vec![]).conforms_to(&Type::Dynamic));
    }

    #[test]
    fn semantic_equality_ignores_set_order_and_number_scale() {
        let two: Number = "2.0".parse().expect("a number");
        let a = Value::Set(vec![Value::from(1), Value::from(2)]);
        let b = Value::Set(vec![Value::Number(two), Value::from(1)]);
        assert!(a.semantically_equal(&b));
        assert!(!Value::unknown().semantically_equal(&Value::unknown()));
    }
}
