//! cty types, and their JSON form (as in schemas and dynamic values).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::Value as Json;

use crate::Error;
use crate::error::MAX_DEPTH;

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

impl Type {
    /// The type's JSON form, as go-cty writes it: `"string"`,
    /// `["list","string"]`, `["object",{"a":"bool"},["a"]]`…  The third
    /// element of an object appears only when some attribute is optional.
    pub fn to_json(&self) -> Json {
        match self {
            Type::String => Json::from("string"),
            Type::Number => Json::from("number"),
            Type::Bool => Json::from("bool"),
            Type::Dynamic => Json::from("dynamic"),
            Type::List(e) => Json::Array(vec![Json::from("list"), e.to_json()]),
            Type::Set(e) => Json::Array(vec![Json::from("set"), e.to_json()]),
            Type::Map(e) => Json::Array(vec![Json::from("map"), e.to_json()]),
            Type::Object { attrs, optional } => {
                let fields: serde_json::Map<String, Json> = attrs
                    .iter()
                    .map(|(k, t)| (k.clone(), t.to_json()))
                    .collect();
                let mut parts = vec![Json::from("object"), Json::Object(fields)];
                if !optional.is_empty() {
                    parts.push(Json::Array(
                        optional.iter().map(|n| Json::from(n.as_str())).collect(),
                    ));
                }
                Json::Array(parts)
            }
            Type::Tuple(elems) => Json::Array(vec![
                Json::from("tuple"),
                Json::Array(elems.iter().map(Type::to_json).collect()),
            ]),
        }
    }

    /// The type's JSON form as compact bytes (object keys sorted).
    pub fn to_json_bytes(&self) -> Vec<u8> {
        self.to_json().to_string().into_bytes()
    }

    /// Reads a type from its JSON form.
    pub fn from_json(v: &Json) -> Result<Type, Error> {
        type_from_json(v, 0)
    }

    /// Reads a type from JSON bytes.
    pub fn from_json_bytes(b: &[u8]) -> Result<Type, Error> {
        let v: Json = serde_json::from_slice(b).map_err(|e| Error::type_json(e.to_string()))?;
        Type::from_json(&v)
    }
}

fn type_from_json(v: &Json, depth: usize) -> Result<Type, Error> {
    if depth > MAX_DEPTH {
        return Err(Error::type_json(format!(
            "type nested deeper than {MAX_DEPTH} levels"
        )));
    }
    match v {
        Json::String(s) => match s.as_str() {
            "string" => Ok(Type::String),
            "number" => Ok(Type::Number),
            "bool" => Ok(Type::Bool),
            "dynamic" => Ok(Type::Dynamic),
            other => Err(Error::type_json(format!(
                "unknown primitive type {other:?}"
            ))),
        },
        Json::Array(parts) => {
            let Some(kind) = parts.first().and_then(Json::as_str) else {
                return Err(Error::type_json(
                    "a complex type must be an array starting with its kind",
                ));
            };
            let arity_error = || Error::type_json(format!("wrong number of elements for {kind:?}"));
            match kind {
                "list" | "set" | "map" => {
                    let [_, elem] = parts.as_slice() else {
                        return Err(arity_error());
                    };
                    let elem = Box::new(type_from_json(elem, depth + 1)?);
                    Ok(match kind {
                        "list" => Type::List(elem),
                        "set" => Type::Set(elem),
                        _ => Type::Map(elem),
                    })
                }
                "object" => {
                    let (fields, opt) = match parts.as_slice() {
                        [_, fields] => (fields, None),
                        [_, fields, opt] => (fields, Some(opt)),
                        _ => return Err(arity_error()),
                    };
                    let Json::Object(fields) = fields else {
                        return Err(Error::type_json(
                            "object attribute types must be a JSON object",
                        ));
                    };
                    let mut attrs = BTreeMap::new();
                    for (name, t) in fields {
                        attrs.insert(name.clone(), type_from_json(t, depth + 1)?);
                    }
                    let mut optional = BTreeSet::new();
                    if let Some(opt) = opt {
                        let Json::Array(names) = opt else {
                            return Err(Error::type_json(
                                "optional attribute names must be a JSON array",
                            ));
                        };
                        for n in names {
                            let Some(n) = n.as_str() else {
                                return Err(Error::type_json(
                                    "optional attribute names must be strings",
                                ));
                            };
                            if !attrs.contains_key(n) {
                                return Err(Error::type_json(format!(
                                    "optional attribute {n:?} is not an attribute of the object"
                                )));
                            }
                            optional.insert(n.to_string());
                        }
                    }
                    Ok(Type::Object { attrs, optional })
                }
                "tuple" => {
                    let [_, Json::Array(elems)] = parts.as_slice() else {
                        return Err(Error::type_json(
                            "a tuple type must be [\"tuple\", [element types]]",
                        ));
                    };
                    elems
                        .iter()
                        .map(|t| type_from_json(t, depth + 1))
                        .collect::<Result<Vec<_>, _>>()
                        .map(Type::Tuple)
                }
                other => Err(Error::type_json(format!("unknown type kind {other:?}"))),
            }
        }
        _ => Err(Error::type_json("a type must be a JSON string or array")),
    }
}

impl fmt::Display for Type {
    /// A friendly name for messages: `string`, `list of number`, `object`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::String => f.write_str("string"),
            Type::Number => f.write_str("number"),
            Type::Bool => f.write_str("bool"),
            Type::Dynamic => f.write_str("dynamic"),
            Type::List(e) => write!(f, "list of {e}"),
            Type::Set(e) => write!(f, "set of {e}"),
            Type::Map(e) => write!(f, "map of {e}"),
            Type::Object { .. } => f.write_str("object"),
            Type::Tuple(_) => f.write_str("tuple"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::arb_type;
    use proptest::prelude::*;

    fn obj_with_optional() -> Type {
        Type::Object {
            attrs: [
                ("b".to_string(), Type::list(Type::Number)),
                ("a".to_string(), Type::Dynamic),
            ]
            .into_iter()
            .collect(),
            optional: ["b".to_string()].into_iter().collect(),
        }
    }

    #[test]
    fn writes_go_cty_type_json() {
        assert_eq!(Type::String.to_json_bytes(), br#""string""#);
        assert_eq!(
            Type::map(Type::set(Type::Bool)).to_json_bytes(),
            br#"["map",["set","bool"]]"#
        );
        assert_eq!(
            obj_with_optional().to_json_bytes(),
            br#"["object",{"a":"dynamic","b":["list","number"]},["b"]]"#
        );
        assert_eq!(
            Type::object([("x", Type::String)]).to_json_bytes(),
            br#"["object",{"x":"string"}]"#
        );
        assert_eq!(
            Type::Tuple(vec![Type::String, Type::Number]).to_json_bytes(),
            br#"["tuple",["string","number"]]"#
        );
    }

    #[test]
    fn reads_type_json() {
        let t = Type::from_json_bytes(br#"["object",{"b":["list","number"],"a":"dynamic"},["b"]]"#);
        assert_eq!(t, Ok(obj_with_optional()));
        assert_eq!(
            Type::from_json_bytes(br#"["tuple",[]]"#),
            Ok(Type::Tuple(vec![]))
        );
    }

    #[test]
    fn rejects_malformed_type_json() {
        for bad in [
            &br#""strin""#[..],
            br#"["list"]"#,
            br#"["list","string","x"]"#,
            br#"["object",["a"]]"#,
            br#"["object",{"a":"string"},["b"]]"#,
            br#"["object",{"a":"string"},[1]]"#,
            br#"["tuple","string"]"#,
            br#"["frob","string"]"#,
            br#"[]"#,
            br#"42"#,
            br#"{"#,
        ] {
            let err = Type::from_json_bytes(bad);
            assert!(
                matches!(err, Err(Error::TypeJson { path: None, .. })),
                "{} gave {err:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn deep_type_json_is_an_error_not_a_crash() {
        let mut v = Json::from("string");
        for _ in 0..(MAX_DEPTH + 10) {
            v = Json::Array(vec![Json::from("list"), v]);
        }
        assert!(Type::from_json(&v).is_err());
        let text = format!(
            "{}\"string\"{}",
            "[\"list\",".repeat(5000),
            "]".repeat(5000)
        );
        assert!(Type::from_json_bytes(text.as_bytes()).is_err());
    }

    #[test]
    fn displays_friendly_names() {
        assert_eq!(
            Type::list(Type::map(Type::String)).to_string(),
            "list of map of string"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn type_json_round_trips(t in arb_type()) {
            prop_assert_eq!(Type::from_json_bytes(&t.to_json_bytes()), Ok(t));
        }

        #[test]
        fn arbitrary_json_never_panics(s in "[\\[\\]{}\",:a-z0-9 ]{0,40}") {
            let _ = Type::from_json_bytes(s.as_bytes());
        }
    }
}
