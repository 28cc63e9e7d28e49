//! The cty JSON codec of `RawState.json` and `DynamicValue.json`, as go-cty's
//! `cty/json`.
//!
//! [`encode`] writes every object attribute (nulls included) in name order,
//! numbers as exact decimal literals, and a `dynamic`-typed value as
//! `{"value":…,"type":…}`; an unknown value cannot be written. [`decode`]
//! reads numbers without losing digits (serde_json's `arbitrary_precision`),
//! converts primitives as go-cty does (`"12"` is a number, `true` a string),
//! fills missing object attributes with null and rejects unsupported ones.
//! [`decode_lenient`] ignores unsupported attributes too, for state written
//! by an older schema. Both refuse, before parsing, text that could hold more
//! than [`crate::MAX_ELEMENTS`] values.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value as Json;

use crate::budget::{Budget, json_values_upper_bound};
use crate::error::Walk;
use crate::path::index;
use crate::{AttributePath, Error, Number, PathStep, Type, Value};

/// Encodes `value` as cty JSON for type `ty`.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, Error> {
    let mut enc = Encoder {
        out: String::new(),
        path: AttributePath::root(),
        depth: 0,
    };
    enc.value(value, ty)?;
    Ok(enc.out.into_bytes())
}

/// Decodes cty JSON `bytes` as a value of type `ty`, as go-cty does: an
/// object attribute the type lacks is an error, a missing one is null.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, Error> {
    decode_with(bytes, ty, false)
}

/// Decodes like [`decode`], but ignores object attributes the type lacks:
/// for state written by an older version of a schema.
pub fn decode_lenient(bytes: &[u8], ty: &Type) -> Result<Value, Error> {
    decode_with(bytes, ty, true)
}

fn decode_with(bytes: &[u8], ty: &Type, lenient: bool) -> Result<Value, Error> {
    let root = AttributePath::root();
    // Counted before parsing, so neither serde_json's tree nor ours can
    // outgrow the budget.
    Budget::new().spend(json_values_upper_bound(bytes), &root)?;
    let json: Json =
        serde_json::from_slice(bytes).map_err(|e| Error::decode(&root, e.to_string()))?;
    let mut dec = Decoder {
        path: root,
        lenient,
        depth: 0,
    };
    dec.value(&json, ty)
}

struct Encoder {
    out: String,
    path: AttributePath,
    depth: usize,
}

impl Walk for Encoder {
    fn position(&mut self) -> (&mut AttributePath, &mut usize) {
        (&mut self.path, &mut self.depth)
    }
}

impl Encoder {
    fn err(&self, reason: impl Into<String>) -> Error {
        Error::encode(&self.path, reason)
    }

    /// Writes the child `v` at `step`; recursion goes through here and
    /// [`Self::value`] only.
    fn child(&mut self, step: PathStep, v: &Value, ty: &Type) -> Result<(), Error> {
        self.descend(step, |s| s.value(v, ty))
    }

    fn value(&mut self, v: &Value, ty: &Type) -> Result<(), Error> {
        self.nest(|s| s.value_here(v, ty))
    }

    fn value_here(&mut self, v: &Value, ty: &Type) -> Result<(), Error> {
        if *ty == Type::Dynamic {
            return self.dynamic(v);
        }
        match (v, ty) {
            (Value::Unknown(_), _) => Err(Error::Unknown {
                path: self.path.clone(),
            }),
            (Value::Null, _) => {
                self.out.push_str("null");
                Ok(())
            }
            (Value::Dynamic(t, inner), _) if **t == *ty => self.value(inner, ty),
            (Value::String(s), Type::String) => {
                write_json_string(&mut self.out, s);
                Ok(())
            }
            (Value::Bool(b), Type::Bool) => {
                self.out.push_str(if *b { "true" } else { "false" });
                Ok(())
            }
            (Value::Number(n), Type::Number) => {
                let _ = write!(self.out, "{n}");
                Ok(())
            }
            (Value::List(xs), Type::List(e)) | (Value::Set(xs), Type::Set(e)) => {
                self.array(xs.iter().map(|x| (x, &**e)))
            }
            (Value::Tuple(xs), Type::Tuple(ts)) => {
                if xs.len() != ts.len() {
                    return Err(self.err(format!(
                        "a tuple of {} elements is required, got {}",
                        ts.len(),
                        xs.len()
                    )));
                }
                self.array(xs.iter().zip(ts))
            }
            (Value::Map(m), Type::Map(e)) => self.object(
                m.iter()
                    .map(|(k, x)| (PathStep::Key(k.clone()), k, x, &**e)),
            ),
            (Value::Object(m), Type::Object { attrs, .. }) => {
                if let Some(extra) = m.keys().find(|k| !attrs.contains_key(*k)) {
                    return Err(self.err(format!("unsupported attribute {extra:?}")));
                }
                self.object(attrs.iter().map(|(k, t)| {
                    let x = m.get(k).unwrap_or(&Value::Null);
                    (PathStep::Attr(k.clone()), k, x, t)
                }))
            }
            (v, ty) => Err(self.err(format!("a {ty} is required, got a {}", v.kind_name()))),
        }
    }

    fn array<'v>(
        &mut self,
        items: impl Iterator<Item = (&'v Value, &'v Type)>,
    ) -> Result<(), Error> {
        self.out.push('[');
        for (i, (x, t)) in items.enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            self.child(PathStep::Index(index(i)), x, t)?;
        }
        self.out.push(']');
        Ok(())
    }

    fn object<'v>(
        &mut self,
        items: impl Iterator<Item = (PathStep, &'v String, &'v Value, &'v Type)>,
    ) -> Result<(), Error> {
        self.out.push('{');
        for (i, (step, k, x, t)) in items.enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            write_json_string(&mut self.out, k);
            self.out.push(':');
            self.child(step, x, t)?;
        }
        self.out.push('}');
        Ok(())
    }

    /// `{"value":…,"type":…}` for a value in a `dynamic`-typed place.
    fn dynamic(&mut self, v: &Value) -> Result<(), Error> {
        let (t, inner) = match v {
            Value::Unknown(_) => {
                return Err(Error::Unknown {
                    path: self.path.clone(),
                });
            }
            Value::Null => {
                self.out.push_str("null");
                return Ok(());
            }
            Value::Dynamic(t, inner) => ((**t).clone(), &**inner),
            other => match other.evident_type() {
                Some(t) => (t, other),
                None => {
                    return Err(self.err(format!(
                        "a {} in a dynamic-typed place must be a Value::Dynamic carrying its type",
                        other.kind_name()
                    )));
                }
            },
        };
        self.out.push_str("{\"value\":");
        self.value(inner, &t)?;
        self.out.push_str(",\"type\":");
        self.out.push_str(&t.to_json().to_string());
        self.out.push('}');
        Ok(())
    }
}

/// Writes `s` as a JSON string, escaping as Go's `encoding/json` does
/// (including `<`, `>`, `&`, U+2028 and U+2029), so output matches go-cty.
fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

struct Decoder {
    path: AttributePath,
    lenient: bool,
    depth: usize,
}

impl Walk for Decoder {
    fn position(&mut self) -> (&mut AttributePath, &mut usize) {
        (&mut self.path, &mut self.depth)
    }
}

impl Decoder {
    fn err(&self, reason: impl Into<String>) -> Error {
        Error::decode(&self.path, reason)
    }

    /// The value of the child `j` at `step`. Recursion goes through here and
    /// [`Self::value`] only, with few locals, so deep input stays cheap on
    /// the stack.
    fn child(&mut self, step: PathStep, j: &Json, ty: &Type) -> Result<Value, Error> {
        self.descend(step, |s| s.value(j, ty))
    }

    fn value(&mut self, j: &Json, ty: &Type) -> Result<Value, Error> {
        self.nest(|s| s.value_here(j, ty))
    }

    fn value_here(&mut self, j: &Json, ty: &Type) -> Result<Value, Error> {
        if j.is_null() {
            return Ok(Value::Null);
        }
        match ty {
            Type::Dynamic => self.dynamic(j),
            Type::String | Type::Number | Type::Bool => self.primitive(j, ty),
            Type::List(e) => self.elements(j, e, "list").map(Value::List),
            Type::Set(e) => self.elements(j, e, "set").map(Value::Set),
            Type::Tuple(ts) => self.tuple(j, ts),
            Type::Map(e) => self.map(j, e),
            Type::Object { attrs, .. } => self.object(j, attrs),
        }
    }

    /// A string, number or bool, converting between them as go-cty does.
    fn primitive(&self, j: &Json, ty: &Type) -> Result<Value, Error> {
        match ty {
            Type::String => match j {
                Json::String(s) => Ok(Value::String(s.clone())),
                Json::Number(n) => Ok(Value::String(n.to_string())),
                Json::Bool(b) => Ok(Value::String(b.to_string())),
                _ => Err(self.err("a string is required")),
            },
            Type::Number => {
                let text = match j {
                    Json::Number(n) => n.to_string(),
                    Json::String(s) => s.clone(),
                    _ => return Err(self.err("a number is required")),
                };
                Number::parse_untrusted(&text)
                    .map(Value::Number)
                    .map_err(|e| self.err(e))
            }
            _ => match j {
                Json::Bool(b) => Ok(Value::Bool(*b)),
                Json::String(s) => match s.as_str() {
                    "true" | "1" => Ok(Value::Bool(true)),
                    "false" | "0" => Ok(Value::Bool(false)),
                    _ => Err(self.err(format!("a bool is required, got {s:?}"))),
                },
                _ => Err(self.err("a bool is required")),
            },
        }
    }

    fn tuple(&mut self, j: &Json, ts: &[Type]) -> Result<Value, Error> {
        let Json::Array(items) = j else {
            return Err(self.err("a JSON array is required for a tuple"));
        };
        if items.len() != ts.len() {
            return Err(self.err(format!(
                "a tuple of {} elements is required, got {}",
                ts.len(),
                items.len()
            )));
        }
        let mut out = Vec::with_capacity(items.len());
        for (i, (x, t)) in items.iter().zip(ts).enumerate() {
            out.push(self.child(PathStep::Index(index(i)), x, t)?);
        }
        Ok(Value::Tuple(out))
    }

    fn map(&mut self, j: &Json, e: &Type) -> Result<Value, Error> {
        let Json::Object(fields) = j else {
            return Err(self.err("a JSON object is required for a map"));
        };
        let mut out = BTreeMap::new();
        for (k, x) in fields {
            let v = self.child(PathStep::Key(k.clone()), x, e)?;
            out.insert(k.clone(), v);
        }
        Ok(Value::Map(out))
    }

    /// An object: missing attributes are null; unsupported ones an error
    /// unless decoding leniently.
    fn object(&mut self, j: &Json, attrs: &BTreeMap<String, Type>) -> Result<Value, Error> {
        let Json::Object(fields) = j else {
            return Err(self.err("a JSON object is required for an object"));
        };
        if !self.lenient
            && let Some(extra) = fields.keys().find(|k| !attrs.contains_key(*k))
        {
            return Err(self.err(format!("unsupported attribute {extra:?}")));
        }
        let mut out = BTreeMap::new();
        for (k, t) in attrs {
            let v = match fields.get(k) {
                Some(x) => self.child(PathStep::Attr(k.clone()), x, t)?,
                None => Value::Null,
            };
            out.insert(k.clone(), v);
        }
        Ok(Value::Object(out))
    }

    fn elements(&mut self, j: &Json, e: &Type, what: &str) -> Result<Vec<Value>, Error> {
        let Json::Array(items) = j else {
            return Err(self.err(format!("a JSON array is required for a {what}")));
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, x) in items.iter().enumerate() {
            out.push(self.child(PathStep::Index(index(i)), x, e)?);
        }
        Ok(out)
    }

    /// `{"value":…,"type":…}`; any other key is an error (as go-cty).
    fn dynamic(&mut self, j: &Json) -> Result<Value, Error> {
        let Json::Object(fields) = j else {
            return Err(self.err("a JSON object is required for a dynamically-typed value"));
        };
        if let Some(k) = fields.keys().find(|k| *k != "type" && *k != "value") {
            return Err(self.err(format!("invalid key {k:?} in dynamically-typed value")));
        }
        let Some(t) = fields.get("type") else {
            return Err(self.err("missing type in dynamically-typed value"));
        };
        let Some(v) = fields.get("value") else {
            return Err(self.err("missing value in dynamically-typed value"));
        };
        let t = Type::from_json(t).map_err(|e| e.at(&self.path))?;
        let v = self.value(v, &t)?;
        Ok(Value::Dynamic(Box::new(t), Box::new(v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::MAX_DEPTH;
    use crate::testutil::{arb_type, arb_typed_value, nested_lists, on_small_stack};
    use proptest::prelude::*;

    fn num(s: &str) -> Number {
        s.parse().expect("a number literal")
    }

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    fn text(v: &Value, t: &Type) -> String {
        String::from_utf8(encode(v, t).expect("encodes")).expect("utf-8")
    }

    #[test]
    fn object_with_null_attribute_is_exact() {
        let t = Type::object([("a", Type::String), ("b", Type::String)]);
        let v = obj(&[("a", Value::from("x"))]);
        assert_eq!(text(&v, &t), r#"{"a":"x","b":null}"#);
        assert_eq!(
            decode(br#"{"a":"x","b":null}"#, &t),
            Ok(obj(&[("a", Value::from("x")), ("b", Value::Null)]))
        );
    }

    #[test]
    fn numbers_keep_every_digit() {
        for s in [
            "1e400",
            "-3.14159265358979323846264338327950288",
            "0.1",
            "18446744073709551617",
            "1e-30",
        ] {
            let v = Value::Number(num(s));
            let bytes = encode(&v, &Type::Number).expect("encodes");
            assert_eq!(decode(&bytes, &Type::Number), Ok(v), "{s}");
        }
        assert_eq!(
            text(
                &Value::Number(num("-3.14159265358979323846264338327950288")),
                &Type::Number
            ),
            "-3.14159265358979323846264338327950288"
        );
        assert_eq!(text(&Value::Number(num("1.5e3")), &Type::Number), "1500");
        assert_eq!(
            decode(b"123456789012345678901234567890.5", &Type::Number),
            Ok(Value::Number(num("123456789012345678901234567890.5")))
        );
    }

    #[test]
    fn dynamic_values_carry_their_type() {
        let v = Value::Dynamic(
            Box::new(Type::list(Type::Number)),
            Box::new(Value::List(vec![Value::from(1), Value::Null])),
        );
        let s = text(&v, &Type::Dynamic);
        assert_eq!(s, r#"{"value":[1,null],"type":["list","number"]}"#);
        assert_eq!(decode(s.as_bytes(), &Type::Dynamic), Ok(v));
        assert_eq!(decode(b"null", &Type::Dynamic), Ok(Value::Null));
        let typed_null = Value::Dynamic(Box::new(Type::String), Box::new(Value::Null));
        assert_eq!(
            text(&typed_null, &Type::Dynamic),
            r#"{"value":null,"type":"string"}"#
        );
        assert!(decode(br#"{"value":1}"#, &Type::Dynamic).is_err());
        assert!(decode(br#"{"type":"number"}"#, &Type::Dynamic).is_err());
        assert!(decode(br#"{"type":"number","value":1,"x":2}"#, &Type::Dynamic).is_err());
        let err = decode(
            br#"{"d":{"type":"nope","value":1}}"#,
            &Type::object([("d", Type::Dynamic)]),
        )
        .expect_err("bad type");
        assert!(matches!(err, Error::TypeJson { .. }));
        assert_eq!(err.path(), Some(&AttributePath::attr("d")));
    }

    #[test]
    fn unknown_cannot_be_encoded() {
        let t = Type::object([("a", Type::list(Type::String))]);
        let v = obj(&[("a", Value::List(vec![Value::unknown()]))]);
        assert_eq!(
            encode(&v, &t),
            Err(Error::Unknown {
                path: AttributePath::attr("a").join_index(0)
            })
        );
    }

    #[test]
    fn primitives_convert_as_go_cty() {
        assert_eq!(decode(b"12", &Type::String), Ok(Value::from("12")));
        assert_eq!(decode(b"true", &Type::String), Ok(Value::from("true")));
        assert_eq!(
            decode(br#""12.5""#, &Type::Number),
            Ok(Value::Number(num("12.5")))
        );
        assert_eq!(decode(br#""false""#, &Type::Bool), Ok(Value::from(false)));
        assert!(decode(br#""yes""#, &Type::Bool).is_err());
        assert!(decode(br#""x""#, &Type::Number).is_err());
        assert!(decode(b"[]", &Type::String).is_err());
    }

    #[test]
    fn strict_and_lenient_object_decoding() {
        let t = Type::object([("a", Type::String), ("b", Type::Number)]);
        let old = br#"{"a":"x","gone":true}"#;
        let err = decode(old, &t).expect_err("unsupported attribute");
        assert!(
            err.to_string().contains("unsupported attribute \"gone\""),
            "{err}"
        );
        assert_eq!(
            decode_lenient(old, &t),
            Ok(obj(&[("a", Value::from("x")), ("b", Value::Null)]))
        );
        assert_eq!(
            decode(br#"{"a":"x"}"#, &t),
            Ok(obj(&[("a", Value::from("x")), ("b", Value::Null)]))
        );
    }

    #[test]
    fn strings_escape_like_go() {
        let s = text(&Value::from("a\"b\\<&>\n\u{1}é"), &Type::String);
        assert_eq!(s, r#""a\"b\\\u003c\u0026\u003e\n\u0001é""#);
        assert_eq!(
            decode(s.as_bytes(), &Type::String),
            Ok(Value::from("a\"b\\<&>\n\u{1}é"))
        );
    }

    #[test]
    fn errors_name_the_path() {
        let t = Type::map(Type::Tuple(vec![Type::Bool]));
        let err = decode(br#"{"k":[1]}"#, &t).expect_err("not a bool");
        assert_eq!(
            err.path(),
            Some(&AttributePath::root().join_key("k").join_index(0))
        );
        let err = decode(br#"{"k":[true,false]}"#, &t).expect_err("too long");
        assert_eq!(err.path(), Some(&AttributePath::root().join_key("k")));
        assert!(decode(b"{", &t).is_err());
        assert!(decode(b"1e999999999", &Type::Number).is_err());
    }

    #[test]
    fn deep_input_is_an_error_not_a_crash() {
        let mut t = Type::String;
        for _ in 0..300 {
            t = Type::list(t);
        }
        let deep = format!("{}{}", "[".repeat(300), "]".repeat(300));
        assert!(decode(deep.as_bytes(), &t).is_err());
    }

    /// Values nested up to what serde_json parses (128 levels) encode and
    /// decode within a 1 MiB stack; deeper ones are refused.
    #[test]
    fn deep_values_fit_a_small_stack() {
        let run = || {
            let (t, v) = nested_lists(120);
            let bytes = encode(&v, &t).expect("encodes");
            assert_eq!(decode(&bytes, &t), Ok(v.clone()));
            let mut chain = Value::from(true);
            for _ in 0..MAX_DEPTH + 2 {
                chain = Value::Dynamic(Box::new(Type::Dynamic), Box::new(chain));
            }
            let err = encode(&chain, &Type::Dynamic).expect_err("too deep");
            assert!(matches!(err, Error::TooDeep { .. }), "{err:?}");
        };
        on_small_stack(run);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn values_round_trip((t, v) in arb_typed_value(false)) {
            let bytes = encode(&v, &t).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(decode(&bytes, &t), Ok(v.clone()));
            prop_assert_eq!(decode_lenient(&bytes, &t), Ok(v));
        }

        #[test]
        fn arbitrary_text_never_panics(t in arb_type(), s in "[\\[\\]{}\",:a-z0-9.e -]{0,48}") {
            let _ = decode(s.as_bytes(), &t);
            let _ = decode_lenient(s.as_bytes(), &t);
        }
    }
}
