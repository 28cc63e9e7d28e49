//! The msgpack codec of `DynamicValue.msgpack`, as go-cty's `cty/msgpack`.
//!
//! [`encode`] and [`decode`] are driven by the [`Type`]: null is nil; an
//! unknown is any extension (written `d4 00 00`, or as extension 12 carrying
//! its [`Refinements`]); numbers are ints, exact float64s or decimal text;
//! an object is a map holding every attribute of its type; a value of a
//! `dynamic` type is the array `[type JSON, value]`.
//!
//! Decoding reads untrusted bytes: every length is checked against the bytes
//! left and against the message's [`crate::MAX_ELEMENTS`] budget before
//! anything is allocated, nesting is limited, and every failure is an
//! [`Error`] naming the attribute path.

use std::collections::BTreeMap;

use rmp::Marker;
use rmp::encode as w;

use crate::budget::{Budget, json_values_upper_bound};
use crate::error::{MAX_DEPTH, Walk};
use crate::number::WireNumber;
use crate::path::index;
use crate::{AttributePath, Error, Number, PathStep, Refinements, Type, Value};

/// The extension type of an unknown value carrying refinements.
const REFINED_UNKNOWN_EXT: i8 = 12;
/// The bytes of a wholly unknown value: fixext1, type 0, one zero byte.
const UNKNOWN_BYTES: [u8; 3] = [0xd4, 0, 0];
/// Largest refinement payload accepted (as go-cty).
const MAX_REFINEMENTS_LEN: usize = 1024;
/// Longest string prefix refinement written.
const MAX_PREFIX_LEN: usize = 256;

const NULLNESS: i64 = 1;
const STRING_PREFIX: i64 = 2;
const NUMBER_MIN: i64 = 3;
const NUMBER_MAX: i64 = 4;
const LENGTH_MIN: i64 = 5;
const LENGTH_MAX: i64 = 6;

/// Encodes `value` as msgpack for type `ty`.
///
/// Object attributes missing from the value are written as null; an
/// attribute the type lacks, or a value of the wrong kind, is an
/// [`Error::Encode`] at its path.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, Error> {
    let mut enc = Encoder {
        out: Vec::new(),
        path: AttributePath::root(),
        depth: 0,
    };
    enc.value(value, ty)?;
    Ok(enc.out)
}

/// Decodes msgpack `bytes` as a value of type `ty`.
///
/// Bytes left over after the value are an error.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, Error> {
    let mut dec = Decoder {
        r: Reader { buf: bytes, pos: 0 },
        path: AttributePath::root(),
        depth: 0,
        budget: Budget::new(),
    };
    dec.spend(1)?;
    let v = dec.value(ty)?;
    if dec.r.remaining() != 0 {
        return Err(dec.err(format!(
            "{} bytes left over after the value",
            dec.r.remaining()
        )));
    }
    Ok(v)
}

struct Encoder {
    out: Vec<u8>,
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

    fn check<T, E: std::fmt::Display>(&self, r: Result<T, E>) -> Result<T, Error> {
        r.map_err(|e| self.err(e.to_string()))
    }

    /// Runs one write into the output, placing any failure at the path.
    fn put<T, E: std::fmt::Display>(
        &mut self,
        f: impl FnOnce(&mut Vec<u8>) -> Result<T, E>,
    ) -> Result<T, Error> {
        let r = f(&mut self.out);
        self.check(r)
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
            (Value::Unknown(r), _) => self.unknown(r.as_deref(), ty),
            (Value::Null, _) => self.put(w::write_nil),
            (Value::Dynamic(t, inner), _) if **t == *ty => self.value(inner, ty),
            (Value::String(s), Type::String) => self.put(|o| w::write_str(o, s)),
            (Value::Bool(b), Type::Bool) => self.put(|o| w::write_bool(o, *b)),
            (Value::Number(n), Type::Number) => self.number(n),
            (Value::List(xs), Type::List(e)) | (Value::Set(xs), Type::Set(e)) => {
                self.array_len(xs.len())?;
                for (i, x) in xs.iter().enumerate() {
                    self.child(PathStep::Index(index(i)), x, e)?;
                }
                Ok(())
            }
            (Value::Tuple(xs), Type::Tuple(ts)) => {
                if xs.len() != ts.len() {
                    return Err(self.err(format!(
                        "a tuple of {} elements is required, got {}",
                        ts.len(),
                        xs.len()
                    )));
                }
                self.array_len(xs.len())?;
                for (i, (x, t)) in xs.iter().zip(ts).enumerate() {
                    self.child(PathStep::Index(index(i)), x, t)?;
                }
                Ok(())
            }
            (Value::Map(m), Type::Map(e)) => {
                self.map_len(m.len())?;
                for (k, x) in m {
                    self.put(|o| w::write_str(o, k))?;
                    self.child(PathStep::Key(k.clone()), x, e)?;
                }
                Ok(())
            }
            (Value::Object(m), Type::Object { attrs, .. }) => {
                if let Some(extra) = m.keys().find(|k| !attrs.contains_key(*k)) {
                    return Err(self.err(format!("unsupported attribute {extra:?}")));
                }
                self.map_len(attrs.len())?;
                for (k, t) in attrs {
                    let x = m.get(k).unwrap_or(&Value::Null);
                    self.put(|o| w::write_str(o, k))?;
                    self.child(PathStep::Attr(k.clone()), x, t)?;
                }
                Ok(())
            }
            (v, ty) => Err(self.err(format!("a {ty} is required, got a {}", v.kind_name()))),
        }
    }

    /// A value of a `dynamic`-typed place: `[type JSON, value]`.
    fn dynamic(&mut self, v: &Value) -> Result<(), Error> {
        let (t, inner) = match v {
            // A wholly unknown dynamic value cannot be refined (as go-cty).
            Value::Unknown(_) => {
                self.out.extend_from_slice(&UNKNOWN_BYTES);
                return Ok(());
            }
            Value::Null => return self.put(w::write_nil),
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
        self.array_len(2)?;
        self.put(|o| w::write_bin(o, &t.to_json_bytes()))?;
        self.value(inner, &t)
    }

    fn number(&mut self, n: &Number) -> Result<(), Error> {
        match n.wire_form() {
            WireNumber::Int(i) => self.put(|o| w::write_sint(o, i)).map(drop),
            WireNumber::Float(f) => self.put(|o| w::write_f64(o, f)),
            WireNumber::Decimal(s) => self.put(|o| w::write_str(o, &s)),
        }
    }

    fn array_len(&mut self, n: usize) -> Result<(), Error> {
        let n = self.len32(n)?;
        self.put(|o| w::write_array_len(o, n)).map(drop)
    }

    fn map_len(&mut self, n: usize) -> Result<(), Error> {
        let n = self.len32(n)?;
        self.put(|o| w::write_map_len(o, n)).map(drop)
    }

    fn len32(&self, n: usize) -> Result<u32, Error> {
        u32::try_from(n).map_err(|_| self.err("collection too large for msgpack"))
    }

    /// An unknown: `d4 00 00`, or extension 12 when it has refinements that
    /// apply to `ty`. An empty extension 12 is never written.
    fn unknown(&mut self, r: Option<&Refinements>, ty: &Type) -> Result<(), Error> {
        let Some(r) = r else {
            self.out.extend_from_slice(&UNKNOWN_BYTES);
            return Ok(());
        };
        let body = self.refinements(r, ty, true)?;
        // Keep within what decoders accept: fall back to nullness alone.
        let body = match body {
            Some(b) if b.len() > MAX_REFINEMENTS_LEN => self.refinements(r, ty, false)?,
            other => other,
        };
        match body {
            None => {
                self.out.extend_from_slice(&UNKNOWN_BYTES);
                Ok(())
            }
            Some(body) => {
                let len = self.len32(body.len())?;
                self.put(|o| w::write_ext_meta(o, len, REFINED_UNKNOWN_EXT))?;
                self.out.extend_from_slice(&body);
                Ok(())
            }
        }
    }

    /// The refinement map for `r` as it applies to `ty` (go-cty's layout:
    /// small integer keys, compact values), or `None` when nothing applies.
    /// `detailed: false` keeps only the nullness.
    fn refinements(
        &self,
        r: &Refinements,
        ty: &Type,
        detailed: bool,
    ) -> Result<Option<Vec<u8>>, Error> {
        let mut e = Encoder {
            out: Vec::new(),
            path: self.path.clone(),
            depth: self.depth,
        };
        let mut count = 0u32;
        if r.nullable == Some(false) {
            e.put(|o| w::write_sint(o, NULLNESS))?;
            e.put(|o| w::write_bool(o, false))?;
            count += 1;
        }
        if detailed {
            match ty {
                Type::String => {
                    if let Some(p) = r.string_prefix.as_deref().filter(|p| !p.is_empty()) {
                        let p = truncate_at_char(p, MAX_PREFIX_LEN);
                        e.put(|o| w::write_sint(o, STRING_PREFIX))?;
                        e.put(|o| w::write_str(o, p))?;
                        count += 1;
                    }
                }
                Type::Number => {
                    let bounds = [(NUMBER_MIN, &r.number_lower), (NUMBER_MAX, &r.number_upper)];
                    for (key, bound) in bounds {
                        if let Some((n, inclusive)) = bound {
                            e.put(|o| w::write_sint(o, key))?;
                            e.array_len(2)?;
                            e.number(n)?;
                            e.put(|o| w::write_bool(o, *inclusive))?;
                            count += 1;
                        }
                    }
                }
                Type::List(_) | Type::Set(_) | Type::Map(_) => {
                    let bounds = [(LENGTH_MIN, r.length_lower), (LENGTH_MAX, r.length_upper)];
                    for (key, bound) in bounds {
                        if let Some(n) = bound {
                            e.put(|o| w::write_sint(o, key))?;
                            e.put(|o| w::write_uint(o, n))?;
                            count += 1;
                        }
                    }
                }
                _ => {}
            }
        }
        if count == 0 {
            return Ok(None);
        }
        let mut body = Vec::with_capacity(e.out.len() + 5);
        self.check(w::write_map_len(&mut body, count))?;
        body.extend_from_slice(&e.out);
        Ok(Some(body))
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a char.
fn truncate_at_char(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A cursor over untrusted bytes; every read is bounds-checked.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn peek(&self) -> Result<Marker, String> {
        self.buf
            .get(self.pos)
            .map(|b| Marker::from_u8(*b))
            .ok_or_else(|| "unexpected end of input".to_string())
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if n > self.remaining() {
            return Err(format!(
                "declared length {n} exceeds the {} bytes left",
                self.remaining()
            ));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn marker(&mut self) -> Result<Marker, String> {
        let m = self.peek()?;
        self.pos += 1;
        Ok(m)
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn be<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn u16(&mut self) -> Result<usize, String> {
        Ok(usize::from(u16::from_be_bytes(self.be()?)))
    }

    fn u32(&mut self) -> Result<usize, String> {
        usize::try_from(u32::from_be_bytes(self.be()?)).map_err(|e| e.to_string())
    }

    /// The payload length following a str/bin marker, or `None` for others.
    fn bytes_len(&mut self, m: Marker) -> Result<Option<usize>, String> {
        Ok(Some(match m {
            Marker::FixStr(n) => usize::from(n),
            Marker::Str8 | Marker::Bin8 => usize::from(self.u8()?),
            Marker::Str16 | Marker::Bin16 => self.u16()?,
            Marker::Str32 | Marker::Bin32 => self.u32()?,
            _ => return Ok(None),
        }))
    }

    /// A string (str, or bin holding UTF-8, as go-cty's decoder accepts).
    fn string(&mut self, what: &str) -> Result<String, String> {
        let m = self.marker()?;
        let Some(n) = self.bytes_len(m)? else {
            return Err(format!("{what} is required"));
        };
        let b = self.take(n)?;
        String::from_utf8(b.to_vec()).map_err(|_| format!("{what} is not valid UTF-8"))
    }

    /// Raw bytes of a str or bin.
    fn bytes(&mut self, what: &str) -> Result<&'a [u8], String> {
        let m = self.marker()?;
        let Some(n) = self.bytes_len(m)? else {
            return Err(format!("{what} is required"));
        };
        self.take(n)
    }

    /// An integer of any width, if the next item is one.
    fn int(&mut self, m: Marker) -> Result<Option<i128>, String> {
        Ok(Some(match m {
            Marker::FixPos(n) => i128::from(n),
            Marker::FixNeg(n) => i128::from(n),
            Marker::U8 => i128::from(self.u8()?),
            Marker::U16 => i128::from(u16::from_be_bytes(self.be()?)),
            Marker::U32 => i128::from(u32::from_be_bytes(self.be()?)),
            Marker::U64 => i128::from(u64::from_be_bytes(self.be()?)),
            Marker::I8 => i128::from(i8::from_be_bytes(self.be()?)),
            Marker::I16 => i128::from(i16::from_be_bytes(self.be()?)),
            Marker::I32 => i128::from(i32::from_be_bytes(self.be()?)),
            Marker::I64 => i128::from(i64::from_be_bytes(self.be()?)),
            _ => return Ok(None),
        }))
    }

    /// An array length, or `None` for nil; at least one byte per element
    /// must remain.
    fn array_len(&mut self, what: &str) -> Result<Option<usize>, String> {
        let n = match self.marker()? {
            Marker::Null => return Ok(None),
            Marker::FixArray(n) => usize::from(n),
            Marker::Array16 => self.u16()?,
            Marker::Array32 => self.u32()?,
            _ => return Err(format!("{what} is required")),
        };
        self.check_items(n, 1)?;
        Ok(Some(n))
    }

    /// A map length, or `None` for nil; two bytes per entry must remain.
    fn map_len(&mut self, what: &str) -> Result<Option<usize>, String> {
        let n = match self.marker()? {
            Marker::Null => return Ok(None),
            Marker::FixMap(n) => usize::from(n),
            Marker::Map16 => self.u16()?,
            Marker::Map32 => self.u32()?,
            _ => return Err(format!("{what} is required")),
        };
        self.check_items(n, 2)?;
        Ok(Some(n))
    }

    fn check_items(&self, n: usize, bytes_each: usize) -> Result<(), String> {
        if n.saturating_mul(bytes_each) > self.remaining() {
            return Err(format!(
                "declared length {n} exceeds the {} bytes left",
                self.remaining()
            ));
        }
        Ok(())
    }

    /// An extension header: (type, payload length).
    fn ext_header(&mut self) -> Result<(i8, usize), String> {
        let len = match self.marker()? {
            Marker::FixExt1 => 1,
            Marker::FixExt2 => 2,
            Marker::FixExt4 => 4,
            Marker::FixExt8 => 8,
            Marker::FixExt16 => 16,
            Marker::Ext8 => usize::from(self.u8()?),
            Marker::Ext16 => self.u16()?,
            Marker::Ext32 => self.u32()?,
            _ => return Err("an extension is required".to_string()),
        };
        let ty = i8::from_be_bytes(self.be()?);
        Ok((ty, len))
    }

    /// Skips one item of any kind (used for refinements this codec does not
    /// know), nesting at most `depth_left` levels.
    fn skip(&mut self, depth_left: usize) -> Result<(), String> {
        if depth_left == 0 {
            return Err(format!("nested deeper than {MAX_DEPTH} levels"));
        }
        let m = self.peek()?;
        if is_ext(m) {
            let (_, len) = self.ext_header()?;
            self.take(len)?;
            return Ok(());
        }
        self.pos += 1;
        if self.int(m)?.is_some() {
            return Ok(());
        }
        if let Some(n) = self.bytes_len(m)? {
            self.take(n)?;
            return Ok(());
        }
        let items = match m {
            Marker::Null | Marker::True | Marker::False => 0,
            Marker::F32 => {
                self.take(4)?;
                0
            }
            Marker::F64 => {
                self.take(8)?;
                0
            }
            Marker::FixArray(n) => usize::from(n),
            Marker::Array16 => self.u16()?,
            Marker::Array32 => self.u32()?,
            Marker::FixMap(n) => usize::from(n).saturating_mul(2),
            Marker::Map16 => self.u16()?.saturating_mul(2),
            Marker::Map32 => self.u32()?.saturating_mul(2),
            _ => return Err("reserved msgpack marker".to_string()),
        };
        self.check_items(items, 1)?;
        for _ in 0..items {
            self.skip(depth_left - 1)?;
        }
        Ok(())
    }
}

fn is_ext(m: Marker) -> bool {
    matches!(
        m,
        Marker::FixExt1
            | Marker::FixExt2
            | Marker::FixExt4
            | Marker::FixExt8
            | Marker::FixExt16
            | Marker::Ext8
            | Marker::Ext16
            | Marker::Ext32
    )
}

struct Decoder<'a> {
    r: Reader<'a>,
    path: AttributePath,
    depth: usize,
    budget: Budget,
}

impl Walk for Decoder<'_> {
    fn position(&mut self) -> (&mut AttributePath, &mut usize) {
        (&mut self.path, &mut self.depth)
    }
}

impl<'a> Decoder<'a> {
    fn err(&self, reason: impl Into<String>) -> Error {
        Error::decode(&self.path, reason)
    }

    fn at<T>(&self, r: Result<T, String>) -> Result<T, Error> {
        r.map_err(|e| self.err(e))
    }

    /// Spends `n` values of the message's budget, before allocating them.
    fn spend(&mut self, n: usize) -> Result<(), Error> {
        self.budget.spend(n, &self.path)
    }

    /// Runs one read from the input, placing any failure at the path.
    fn read<'s, T>(
        &'s mut self,
        f: impl FnOnce(&mut Reader<'a>) -> Result<T, String>,
    ) -> Result<T, Error> {
        let r = f(&mut self.r);
        self.at(r)
    }

    /// The value of the child at `step`. Recursion goes through here and
    /// [`Self::value`] only, with few locals, so deep input stays cheap on
    /// the stack.
    fn child(&mut self, step: PathStep, ty: &Type) -> Result<Value, Error> {
        self.descend(step, |s| s.value(ty))
    }

    fn value(&mut self, ty: &Type) -> Result<Value, Error> {
        self.nest(|s| s.value_here(ty))
    }

    fn value_here(&mut self, ty: &Type) -> Result<Value, Error> {
        let m = self.read(|r| r.peek())?;
        if is_ext(m) {
            return self.unknown(ty);
        }
        if *ty == Type::Dynamic {
            return self.dynamic();
        }
        if m == Marker::Null {
            self.r.pos += 1;
            return Ok(Value::Null);
        }
        match ty {
            Type::String => self.read(|r| r.string("a string")).map(Value::String),
            Type::Number => self.number().map(Value::Number),
            Type::Bool => self.bool(),
            Type::List(e) => self.elements(e, "a list").map(Value::List),
            Type::Set(e) => self.elements(e, "a set").map(Value::Set),
            Type::Tuple(ts) => self.tuple(ts),
            Type::Map(e) => self.map(e),
            Type::Object { attrs, .. } => self.object(attrs),
            Type::Dynamic => self.dynamic(),
        }
    }

    fn bool(&mut self) -> Result<Value, Error> {
        match self.read(|r| r.marker())? {
            Marker::True => Ok(Value::Bool(true)),
            Marker::False => Ok(Value::Bool(false)),
            _ => Err(self.err("a bool is required")),
        }
    }

    fn tuple(&mut self, ts: &[Type]) -> Result<Value, Error> {
        let n = self.read(|r| r.array_len("a tuple"))?.unwrap_or(0);
        if n != ts.len() {
            return Err(self.err(format!(
                "a tuple of {} elements is required, got {n}",
                ts.len()
            )));
        }
        self.spend(n)?;
        let mut out = Vec::with_capacity(n);
        for (i, t) in ts.iter().enumerate() {
            out.push(self.child(PathStep::Index(index(i)), t)?);
        }
        Ok(Value::Tuple(out))
    }

    fn map(&mut self, e: &Type) -> Result<Value, Error> {
        let n = self.read(|r| r.map_len("a map"))?.unwrap_or(0);
        self.spend(n)?;
        let mut out = BTreeMap::new();
        for _ in 0..n {
            let k = self.read(|r| r.string("a map key"))?;
            let v = self.child(PathStep::Key(k.clone()), e)?;
            out.insert(k, v);
        }
        Ok(Value::Map(out))
    }

    fn object(&mut self, attrs: &BTreeMap<String, Type>) -> Result<Value, Error> {
        let n = self.read(|r| r.map_len("an object"))?.unwrap_or(0);
        if n != attrs.len() {
            return Err(self.err(format!(
                "an object with {} attributes is required ({n} given)",
                attrs.len()
            )));
        }
        self.spend(n)?;
        let mut out = BTreeMap::new();
        for _ in 0..n {
            let k = self.read(|r| r.string("an attribute name"))?;
            let Some(t) = attrs.get(&k) else {
                return Err(self.err(format!("unsupported attribute {k:?}")));
            };
            if out.contains_key(&k) {
                return Err(self.err(format!("attribute {k:?} given twice")));
            }
            let v = self.child(PathStep::Attr(k.clone()), t)?;
            out.insert(k, v);
        }
        Ok(Value::Object(out))
    }

    fn elements(&mut self, e: &Type, what: &str) -> Result<Vec<Value>, Error> {
        let n = self.read(|r| r.array_len(what))?.unwrap_or(0);
        self.spend(n)?;
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            out.push(self.child(PathStep::Index(index(i)), e)?);
        }
        Ok(out)
    }

    fn number(&mut self) -> Result<Number, Error> {
        let m = self.read(|r| r.marker())?;
        if let Some(i) = self.read(|r| r.int(m))? {
            // Every msgpack integer fits an i128; to text only beyond i64.
            return Ok(match i64::try_from(i) {
                Ok(i) => Number::from(i),
                Err(_) => match u64::try_from(i) {
                    Ok(u) => Number::from(u),
                    Err(_) => return Err(self.err("integer out of range")),
                },
            });
        }
        let f = match m {
            Marker::F32 => f64::from(f32::from_be_bytes(self.read(|r| r.be())?)),
            Marker::F64 => f64::from_be_bytes(self.read(|r| r.be())?),
            _ => {
                self.r.pos -= 1;
                let s = self.read(|r| r.string("a number"))?;
                return self.at(Number::parse_untrusted(&s));
            }
        };
        Number::from_f64(f).ok_or_else(|| self.err(format!("{f} is not a finite number")))
    }

    /// `[type JSON, value]`, or nil.
    fn dynamic(&mut self) -> Result<Value, Error> {
        let Some(n) = self.read(|r| r.array_len("a dynamic value ([type, value])"))? else {
            return Ok(Value::Null);
        };
        if n != 2 {
            return Err(self.err("a dynamic value must be an array of two elements"));
        }
        let json = self.read(|r| r.bytes("the type of a dynamic value"))?;
        // The type's parts and the value inside count too.
        self.spend(json_values_upper_bound(json).saturating_add(1))?;
        let t = Type::from_json_bytes(json).map_err(|e| e.at(&self.path))?;
        let v = self.value(&t)?;
        Ok(Value::Dynamic(Box::new(t), Box::new(v)))
    }

    /// Any extension: an unknown value; extension 12 carries refinements.
    fn unknown(&mut self, ty: &Type) -> Result<Value, Error> {
        let (ext, len) = self.read(|r| r.ext_header())?;
        let body = self.read(|r| r.take(len))?;
        if ext != REFINED_UNKNOWN_EXT || len <= 1 || *ty == Type::Dynamic {
            return Ok(Value::unknown());
        }
        if len > MAX_REFINEMENTS_LEN {
            return Err(self.err("oversize unknown value refinements"));
        }
        // At most MAX_REFINEMENTS_LEN bytes: a budget of its own is enough.
        let mut sub = Decoder {
            r: Reader { buf: body, pos: 0 },
            path: self.path.clone(),
            depth: self.depth,
            budget: Budget::new(),
        };
        sub.refinements(ty)
    }

    fn refinements(&mut self, ty: &Type) -> Result<Value, Error> {
        let Some(n) = self.read(|r| r.map_len("a refinement map"))? else {
            return Err(self.err("unknown value refinements must be a map"));
        };
        let mut r = Refinements::default();
        let mut null = false;
        for _ in 0..n {
            let m = self.read(|r| r.marker())?;
            let Some(key) = self.read(|r| r.int(m))? else {
                return Err(self.err("refinement keys must be integers"));
            };
            match i64::try_from(key).unwrap_or(i64::MAX) {
                NULLNESS => match self.read(|r| r.marker())? {
                    Marker::True => null = true,
                    Marker::False => r.nullable = Some(false),
                    _ => return Err(self.err("the nullness refinement must be a bool")),
                },
                STRING_PREFIX => {
                    if *ty != Type::String {
                        return Err(self.err("string prefix refinement for a non-string type"));
                    }
                    r.string_prefix = Some(self.read(|r| r.string("a string prefix"))?);
                }
                key @ (NUMBER_MIN | NUMBER_MAX) => {
                    if *ty != Type::Number {
                        return Err(self.err("number bound refinement for a non-number type"));
                    }
                    let bound = self.value(&Type::Tuple(vec![Type::Number, Type::Bool]))?;
                    let Value::Tuple(parts) = bound else {
                        return Err(self.err("a number bound must be [number, bool]"));
                    };
                    let (Some(Value::Number(n)), Some(Value::Bool(inc))) =
                        (parts.first(), parts.get(1))
                    else {
                        return Err(self.err("a number bound must be [number, bool]"));
                    };
                    let bound = Some((n.clone(), *inc));
                    if key == NUMBER_MIN {
                        r.number_lower = bound;
                    } else {
                        r.number_upper = bound;
                    }
                }
                key @ (LENGTH_MIN | LENGTH_MAX) => {
                    if !matches!(ty, Type::List(_) | Type::Set(_) | Type::Map(_)) {
                        return Err(self.err("length bound refinement for a non-collection type"));
                    }
                    let m = self.read(|r| r.marker())?;
                    let bound = self
                        .read(|r| r.int(m))?
                        .and_then(|i| u64::try_from(i).ok())
                        .ok_or_else(|| self.err("a length bound must be a non-negative integer"))?;
                    if key == LENGTH_MIN {
                        r.length_lower = Some(bound);
                    } else {
                        r.length_upper = Some(bound);
                    }
                }
                // Refinements added later: skipped, as go-cty tolerates them.
                _ => self.read(|r| r.skip(MAX_DEPTH))?,
            }
        }
        // A refinement to "certainly null" is a known null (as go-cty).
        if null {
            return Ok(Value::Null);
        }
        Ok(Value::unknown_refined(r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{arb_type, arb_typed_value, arb_value, nested_lists, on_small_stack};
    use proptest::prelude::*;

    fn num(s: &str) -> Number {
        s.parse().expect("a number literal")
    }

    fn round_trip(v: &Value, t: &Type) -> Value {
        let bytes = encode(v, t).expect("encodes");
        decode(&bytes, t).expect("decodes")
    }

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn object_with_null_attribute_is_byte_exact() {
        let t = Type::object([("a", Type::String), ("b", Type::String)]);
        let v = obj(&[("a", Value::from("x"))]);
        let bytes = encode(&v, &t).expect("encodes");
        assert_eq!(bytes, [0x82, 0xa1, b'a', 0xa1, b'x', 0xa1, b'b', 0xc0]);
        assert_eq!(
            decode(&bytes, &t),
            Ok(obj(&[("a", Value::from("x")), ("b", Value::Null)]))
        );
    }

    #[test]
    fn scalars_are_byte_exact() {
        let cases: Vec<(Value, Type, Vec<u8>)> = vec![
            (Value::Null, Type::String, vec![0xc0]),
            (Value::unknown(), Type::Number, vec![0xd4, 0, 0]),
            (Value::from(true), Type::Bool, vec![0xc3]),
            (Value::from(5), Type::Number, vec![0x05]),
            (Value::from(-1), Type::Number, vec![0xff]),
            (Value::from(200), Type::Number, vec![0xcc, 200]),
            (Value::from(-200), Type::Number, vec![0xd1, 0xff, 0x38]),
            (
                Value::Number(num("1.5")),
                Type::Number,
                vec![0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0],
            ),
            (
                Value::Number(num("0.1")),
                Type::Number,
                vec![0xa3, b'0', b'.', b'1'],
            ),
            (
                Value::Dynamic(Box::new(Type::String), Box::new(Value::from("hi"))),
                Type::Dynamic,
                [&[0x92, 0xc4, 8][..], b"\"string\"", &[0xa2, b'h', b'i']].concat(),
            ),
        ];
        for (v, t, bytes) in cases {
            assert_eq!(encode(&v, &t), Ok(bytes.clone()), "{v:?}");
            assert_eq!(decode(&bytes, &t), Ok(v));
        }
    }

    #[test]
    fn reads_every_number_width() {
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (vec![0x7f], "127"),
            (vec![0xe0], "-32"),
            (vec![0xcd, 0x01, 0x00], "256"),
            (vec![0xce, 0, 1, 0, 0], "65536"),
            (
                vec![0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
                "18446744073709551615",
            ),
            (vec![0xd0, 0x80], "-128"),
            (vec![0xd2, 0xff, 0xff, 0xff, 0xfe], "-2"),
            (
                vec![0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0],
                "-9223372036854775808",
            ),
            (vec![0xca, 0x3f, 0xc0, 0, 0], "1.5"),
            (vec![0xa4, b'1', b'e', b'2', b'0'], "1e20"),
            (vec![0xc4, 0x03, b'2', b'.', b'5'], "2.5"),
        ];
        for (bytes, want) in cases {
            assert_eq!(
                decode(&bytes, &Type::Number),
                Ok(Value::Number(num(want))),
                "{bytes:x?}"
            );
        }
        assert!(decode(&[0xcb, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0], &Type::Number).is_err());
        assert!(decode(&[0xc3], &Type::Number).is_err());
    }

    #[test]
    fn big_and_precise_numbers_round_trip() {
        for s in [
            "1e400",
            "-3.14159265358979323846264338327950288",
            "0.1",
            "9223372036854775808",
            "-9223372036854775809",
            "123456789012345678901234567890.000000000000000000001",
            "1e-300",
        ] {
            let v = Value::Number(num(s));
            assert_eq!(round_trip(&v, &Type::Number), v, "{s}");
        }
    }

    #[test]
    fn too_many_values_in_all_is_an_error_at_the_path() {
        // {"a": [nil × n], "b": [nil × n]}: each list fits the budget, both do not.
        let n = crate::MAX_ELEMENTS / 2;
        let list = |out: &mut Vec<u8>| {
            out.push(0xdd);
            out.extend_from_slice(&u32::try_from(n).unwrap().to_be_bytes());
            out.resize(out.len() + n, 0xc0);
        };
        let mut bytes = vec![0x82, 0xa1, b'a'];
        list(&mut bytes);
        bytes.extend_from_slice(&[0xa1, b'b']);
        list(&mut bytes);
        let t = Type::object([
            ("a", Type::list(Type::String)),
            ("b", Type::list(Type::String)),
        ]);
        assert_eq!(
            decode(&bytes, &t),
            Err(Error::TooManyElements {
                path: AttributePath::attr("b"),
                limit: crate::MAX_ELEMENTS
            })
        );
        // One of them alone decodes.
        let mut one = Vec::new();
        list(&mut one);
        let v = decode(&one, &Type::list(Type::String)).expect("within the budget");
        assert_eq!(v.as_elements().map(<[Value]>::len), Some(n));
    }

    #[test]
    fn refined_unknowns_round_trip() {
        let cases = [
            (
                Type::String,
                Refinements {
                    nullable: Some(false),
                    string_prefix: Some("arn:".into()),
                    ..Refinements::default()
                },
            ),
            (
                Type::Number,
                Refinements {
                    number_lower: Some((num("0"), true)),
                    number_upper: Some((num("1e400"), false)),
                    ..Refinements::default()
                },
            ),
            (
                Type::set(Type::String),
                Refinements {
                    length_lower: Some(1),
                    length_upper: Some(3),
                    ..Refinements::default()
                },
            ),
        ];
        for (t, r) in cases {
            let v = Value::unknown_refined(r);
            let bytes = encode(&v, &t).expect("encodes");
            assert_ne!(bytes, UNKNOWN_BYTES, "refinements kept for {t}");
            assert_eq!(decode(&bytes, &t), Ok(v));
        }
    }

    #[test]
    fn refinement_bytes_match_go_cty() {
        // go-cty: cty.UnknownVal(cty.String).RefineNotNull()
        let v = Value::unknown_refined(Refinements {
            nullable: Some(false),
            ..Refinements::default()
        });
        let bytes = [0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc2];
        assert_eq!(encode(&v, &Type::String), Ok(bytes.to_vec()));
        assert_eq!(decode(&bytes, &Type::String), Ok(v));
        // cty.UnknownVal(cty.Number).Refine().NumberRangeLowerBound(cty.Zero, true)
        let v = Value::unknown_refined(Refinements {
            number_lower: Some((Number::from(0i64), true)),
            ..Refinements::default()
        });
        let bytes = [0xc7, 0x05, 0x0c, 0x81, 0x03, 0x92, 0x00, 0xc3];
        assert_eq!(encode(&v, &Type::Number), Ok(bytes.to_vec()));
        assert_eq!(decode(&bytes, &Type::Number), Ok(v));
        // cty.UnknownVal(cty.List(cty.String)).Refine().CollectionLengthLowerBound(1)
        let v = Value::unknown_refined(Refinements {
            length_lower: Some(1),
            ..Refinements::default()
        });
        let bytes = [0xc7, 0x03, 0x0c, 0x81, 0x05, 0x01];
        let t = Type::list(Type::String);
        assert_eq!(encode(&v, &t), Ok(bytes.to_vec()));
        assert_eq!(decode(&bytes, &t), Ok(v));
    }

    #[test]
    fn empty_or_inapplicable_refinements_write_plain_unknown() {
        let r = Refinements {
            nullable: Some(true),
            string_prefix: Some("x".into()),
            ..Refinements::default()
        };
        assert_eq!(
            encode(&Value::unknown_refined(r.clone()), &Type::Bool),
            Ok(UNKNOWN_BYTES.to_vec())
        );
        assert_eq!(
            encode(&Value::unknown_refined(r), &Type::Dynamic),
            Ok(UNKNOWN_BYTES.to_vec())
        );
        let huge = Refinements {
            nullable: Some(false),
            string_prefix: Some("é".repeat(300)),
            ..Refinements::default()
        };
        let bytes = encode(&Value::unknown_refined(huge), &Type::String).expect("encodes");
        match decode(&bytes, &Type::String) {
            Ok(Value::Unknown(Some(r))) => {
                let p = r.string_prefix.unwrap_or_default();
                assert!(p.len() <= MAX_PREFIX_LEN && p.starts_with('é'));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn any_extension_is_unknown_and_null_refinement_is_null() {
        for bytes in [
            vec![0xd4, 0x00, 0x00],
            vec![0xd5, 0x07, 0x01, 0x02],
            vec![0xc7, 0x00, 0x0c],
            vec![0xc7, 0x03, 0x0c, 0x81, 0x09, 0xc0],
        ] {
            assert_eq!(
                decode(&bytes, &Type::String),
                Ok(Value::unknown()),
                "{bytes:x?}"
            );
        }
        assert_eq!(
            decode(&[0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc3], &Type::String),
            Ok(Value::Null)
        );
        // A prefix refinement on a number is malformed.
        assert!(decode(&[0xd6, 0x0c, 0x81, 0x02, 0xa1, b'x'], &Type::Number).is_err());
    }

    #[test]
    fn unknown_in_place_of_whole_object_or_dynamic() {
        let t = Type::object([("a", Type::String), ("d", Type::Dynamic)]);
        assert_eq!(decode(&UNKNOWN_BYTES, &t), Ok(Value::unknown()));
        assert_eq!(decode(&UNKNOWN_BYTES, &Type::Dynamic), Ok(Value::unknown()));
        let v = obj(&[("a", Value::from("x")), ("d", Value::unknown())]);
        assert_eq!(round_trip(&v, &t), v);
        assert_eq!(decode(&[0xc0], &Type::Dynamic), Ok(Value::Null));
        // A typed null and a typed unknown inside a dynamic value.
        for inner in [Value::Null, Value::unknown()] {
            let v = Value::Dynamic(Box::new(Type::list(Type::Number)), Box::new(inner));
            assert_eq!(round_trip(&v, &Type::Dynamic), v);
        }
    }

    #[test]
    fn dynamic_type_may_be_a_string() {
        let mut bytes = vec![0x92, 0xa8];
        bytes.extend_from_slice(b"\"number\"");
        bytes.push(0x07);
        assert_eq!(
            decode(&bytes, &Type::Dynamic),
            Ok(Value::Dynamic(
                Box::new(Type::Number),
                Box::new(Value::from(7))
            ))
        );
    }

    #[test]
    fn nested_sets_and_objects_round_trip() {
        let t = Type::set(Type::object([
            ("tags", Type::set(Type::String)),
            ("n", Type::Number),
        ]));
        let v = Value::Set(vec![
            obj(&[
                ("tags", Value::Set(vec!["b".into(), "a".into()])),
                ("n", Value::Null),
            ]),
            obj(&[("tags", Value::Null), ("n", Value::Number(num("2.5")))]),
        ]);
        assert_eq!(round_trip(&v, &t), v);
    }

    #[test]
    fn object_shape_errors_name_the_path() {
        let t = Type::object([("a", Type::list(Type::object([("x", Type::String)])))]);
        // {"a": [{"y": "v"}]}
        let bytes = [0x81, 0xa1, b'a', 0x91, 0x81, 0xa1, b'y', 0xa1, b'v'];
        let err = decode(&bytes, &t).expect_err("unsupported attribute");
        assert_eq!(err.path(), Some(&AttributePath::attr("a").join_index(0)));
        assert!(
            err.to_string().contains("unsupported attribute \"y\""),
            "{err}"
        );
        // {"a": [{}]}: missing attribute.
        let err = decode(&[0x81, 0xa1, b'a', 0x91, 0x80], &t).expect_err("missing attribute");
        assert!(
            err.to_string()
                .contains("1 attributes is required (0 given)"),
            "{err}"
        );
        // {"a": [{"x": 1}]}: wrong kind.
        let err =
            decode(&[0x81, 0xa1, b'a', 0x91, 0x81, 0xa1, b'x', 0x01], &t).expect_err("wrong kind");
        assert_eq!(
            err.path(),
            Some(&AttributePath::attr("a").join_index(0).join_attr("x"))
        );
    }

    #[test]
    fn encode_rejects_values_that_do_not_conform() {
        let t = Type::object([("a", Type::String)]);
        let err = encode(&obj(&[("b", Value::from("x"))]), &t).expect_err("extra attribute");
        assert!(matches!(err, Error::Encode { .. }));
        let err = encode(&obj(&[("a", Value::from(1))]), &t).expect_err("wrong kind");
        assert_eq!(err.path(), Some(&AttributePath::attr("a")));
        assert!(encode(&Value::List(vec![]), &Type::Dynamic).is_err());
        assert!(encode(&Value::Tuple(vec![]), &Type::Tuple(vec![Type::Bool])).is_err());
    }

    #[test]
    fn malformed_input_is_an_error() {
        let t = Type::list(Type::String);
        for bytes in [
            &[][..],
            &[0xdd, 0xff, 0xff, 0xff, 0xff],
            &[0xdc, 0xff, 0xff, 0xc0],
            &[0x91, 0xdb, 0xff, 0xff, 0xff, 0xff],
            &[0x91, 0xa3, b'a'],
            &[0x91, 0xa1, 0xff],
            &[0xc7, 0xff, 0x0c],
            &[0x90, 0x00],
            &[0xc1],
        ] {
            assert!(decode(bytes, &t).is_err(), "{bytes:x?}");
        }
    }

    /// Nesting beyond the limit is refused, and nesting up to it fits in a
    /// 1 MiB stack even in a debug build (tokio workers get 2 MiB).
    #[test]
    fn deep_nesting_is_refused_within_a_small_stack() {
        let run = || {
            // [type, [type, [... nil]]] where every type is "dynamic".
            let chain = |levels: usize| {
                let mut bytes = Vec::new();
                for _ in 0..levels {
                    bytes.extend_from_slice(&[0x92, 0xc4, 9]);
                    bytes.extend_from_slice(b"\"dynamic\"");
                }
                bytes.push(0xc0);
                bytes
            };
            let err = decode(&chain(MAX_DEPTH + 5), &Type::Dynamic).expect_err("too deep");
            assert!(matches!(err, Error::TooDeep { .. }), "{err:?}");
            assert!(decode(&chain(MAX_DEPTH - 1), &Type::Dynamic).is_ok());

            let (t, v) = nested_lists(MAX_DEPTH - 1);
            let bytes = encode(&v, &t).expect("encodes at the limit");
            assert_eq!(decode(&bytes, &t), Ok(v.clone()));
            let deeper = Value::List(vec![v]);
            let err = encode(&deeper, &Type::list(t.clone())).expect_err("too deep");
            assert!(matches!(err, Error::TooDeep { .. }), "{err:?}");
            let mut bytes = vec![0x91; MAX_DEPTH + 5];
            bytes.push(0xc0);
            assert!(decode(&bytes, &Type::list(t)).is_err());
        };
        on_small_stack(run);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn values_round_trip((t, v) in arb_typed_value(true)) {
            let bytes = encode(&v, &t).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(decode(&bytes, &t), Ok(v));
        }

        #[test]
        fn arbitrary_bytes_never_panic(t in arb_type(), bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode(&bytes, &t);
        }

        #[test]
        fn corrupted_encodings_never_panic(
            (t, v) in arb_typed_value(true),
            at in any::<prop::sample::Index>(),
            byte in any::<u8>(),
        ) {
            let mut bytes = encode(&v, &t).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let i = at.index(bytes.len());
            bytes[i] = byte;
            let _ = decode(&bytes, &t);
            bytes.truncate(i);
            prop_assert!(decode(&bytes, &t).is_err());
        }

        #[test]
        fn decoded_values_conform((t, v) in arb_type().prop_flat_map(|t| {
            let v = arb_value(&t, true);
            (Just(t), v)
        })) {
            prop_assert!(v.conforms_to(&t));
            let bytes = encode(&v, &t).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let back = decode(&bytes, &t).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(back.conforms_to(&t));
        }
    }
}
