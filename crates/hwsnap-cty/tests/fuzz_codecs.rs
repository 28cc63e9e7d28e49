//! Bounded fuzzing of the decoders that read what Terraform sends: msgpack
//! and cty JSON values, and JSON type descriptions. Never a panic; whatever
//! decodes re-encodes, and decodes again to the same value. Budget per
//! target: `HWSNAP_FUZZ_SECONDS` (1 s under `cargo test`; `scripts/fuzz`
//! gives more).

use hwsnap_testkit::mutator;

use std::collections::BTreeMap;

use hwsnap_cty::{Number, Type, Value, json, msgpack};

/// Types that cover every decoder branch: primitives, collections,
/// structural types and dynamic values.
fn types() -> Vec<Type> {
    let object = Type::object([
        ("id", Type::String),
        ("size", Type::Number),
        ("tags", Type::map(Type::String)),
        ("parts", Type::list(Type::object([("n", Type::Number)]))),
    ]);
    vec![
        Type::String,
        Type::Number,
        Type::Bool,
        Type::Dynamic,
        Type::list(Type::String),
        Type::set(Type::Number),
        Type::map(Type::Bool),
        Type::Tuple(vec![Type::String, Type::Number, Type::Dynamic]),
        object.clone(),
        Type::list(object),
        Type::set(Type::list(Type::Dynamic)),
    ]
}

fn num(s: &str) -> Value {
    Value::Number(s.parse::<Number>().unwrap_or_else(|e| panic!("{s}: {e}")))
}

/// Sample values of each type (null and unknown included).
fn samples(ty: &Type) -> Vec<Value> {
    let mut out = vec![Value::Null];
    let known = match ty {
        Type::String => vec![Value::string(""), Value::string("snäp-\u{1F600}\"\\")],
        Type::Number => vec![
            num("0"),
            num("-1"),
            num("3.25"),
            num("123456789012345678901234567890.000001"),
            num("1e40"),
        ],
        Type::Bool => vec![Value::Bool(true), Value::Bool(false)],
        Type::Dynamic => vec![
            Value::Dynamic(Box::new(Type::String), Box::new(Value::string("x"))),
            Value::Dynamic(
                Box::new(Type::list(Type::Number)),
                Box::new(Value::List(vec![num("1"), num("2.5")])),
            ),
        ],
        Type::List(e) => vec![
            Value::List(vec![]),
            Value::List(samples(e).into_iter().filter(|v| !v.is_null()).collect()),
        ],
        Type::Set(e) => {
            let mut elems: Vec<Value> = samples(e).into_iter().filter(|v| v.is_known()).collect();
            elems.truncate(2);
            vec![Value::Set(vec![]), Value::Set(elems)]
        }
        Type::Map(e) => {
            let elems: BTreeMap<String, Value> = samples(e)
                .into_iter()
                .enumerate()
                .map(|(i, v)| (format!("k{i}"), v))
                .collect();
            vec![Value::Map(BTreeMap::new()), Value::Map(elems)]
        }
        Type::Tuple(ts) => vec![Value::Tuple(
            ts.iter()
                .map(|t| samples(t).pop().unwrap_or(Value::Null))
                .collect(),
        )],
        Type::Object { attrs, .. } => vec![Value::Object(
            attrs
                .iter()
                .map(|(k, t)| (k.clone(), samples(t).pop().unwrap_or(Value::Null)))
                .collect(),
        )],
    };
    out.extend(known);
    out
}

const MSGPACK_DICT: &[&[u8]] = &[
    b"\xc0",
    b"\xc2",
    b"\xc3",
    b"\xd4\x00\x00",
    b"\xd4\x0c\x00",
    b"\xc7\x03\x0c\x81\x01\xc2",
    b"\x92",
    b"\xdc\xff\xff",
    b"\xdd\xff\xff\xff\xff",
    b"\xde\x00\x01",
    b"\xd9\x02id",
    b"\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00",
    b"\xcb\x7f\xf0\x00\x00\x00\x00\x00\x00",
    b"\xd3\x80\x00\x00\x00\x00\x00\x00\x00",
    b"\xcf\xff\xff\xff\xff\xff\xff\xff\xff",
    b"\xa41e99",
    b"\xa3NaN",
];

const JSON_DICT: &[&[u8]] = &[
    b"null",
    b"true",
    b"1e400",
    b"-0.0",
    b"\"\\u0000\"",
    b"\"\\ud800\"",
    b"[[[[",
    b"{\"id\":",
    b"\"value\"",
    b"\"type\"",
    b"[\"list\",\"string\"]",
    b"[\"object\",{}]",
    b"\"dynamic\"",
];

fn msgpack_target(types: &[Type], input: &[u8]) {
    for ty in types {
        if let Ok(v) = msgpack::decode(input, ty) {
            let bytes = msgpack::encode(&v, ty)
                .unwrap_or_else(|e| panic!("decoded {v:?} as {ty:?} but cannot encode it: {e}"));
            let again = msgpack::decode(&bytes, ty)
                .unwrap_or_else(|e| panic!("re-encoding of {v:?} does not decode: {e}"));
            assert_eq!(again, v, "round trip as {ty:?}");
        }
    }
}

fn json_target(types: &[Type], input: &[u8]) {
    for ty in types {
        let decoded = [json::decode(input, ty), json::decode_lenient(input, ty)];
        for v in decoded.into_iter().flatten() {
            let bytes = json::encode(&v, ty)
                .unwrap_or_else(|e| panic!("decoded {v:?} as {ty:?} but cannot encode it: {e}"));
            let again = json::decode(&bytes, ty)
                .unwrap_or_else(|e| panic!("re-encoding of {v:?} does not decode: {e}"));
            assert_eq!(again, v, "round trip as {ty:?}");
        }
    }
}

#[test]
fn fuzz_msgpack_decoder() {
    let types = types();
    let mut seeds = Vec::new();
    for ty in &types {
        for v in samples(ty) {
            seeds.push(msgpack::encode(&v, ty).unwrap_or_else(|e| panic!("{v:?}: {e}")));
        }
        let unknown = Value::unknown();
        if let Ok(b) = msgpack::encode(&unknown, ty) {
            seeds.push(b);
        }
    }
    let report = mutator::run("cty-msgpack-decode", &seeds, MSGPACK_DICT, |input| {
        msgpack_target(&types, input)
    });
    assert!(report.executions > seeds.len() as u64);
}

#[test]
fn fuzz_json_decoder() {
    let types = types();
    let mut seeds = Vec::new();
    for ty in &types {
        for v in samples(ty) {
            // JSON has no unknowns and no dynamic wrapper at the top of a
            // known type; encode what it can.
            if let Ok(b) = json::encode(&v, ty) {
                seeds.push(b);
            }
        }
    }
    assert!(seeds.len() > 20, "seeds: {}", seeds.len());
    let report = mutator::run("cty-json-decode", &seeds, JSON_DICT, |input| {
        json_target(&types, input)
    });
    assert!(report.executions > seeds.len() as u64);
}

#[test]
fn fuzz_type_json_decoder() {
    let seeds: Vec<Vec<u8>> = types().iter().map(Type::to_json_bytes).collect();
    mutator::run("cty-type-json-decode", &seeds, JSON_DICT, |input| {
        if let Ok(ty) = Type::from_json_bytes(input) {
            let again = Type::from_json_bytes(&ty.to_json_bytes())
                .unwrap_or_else(|e| panic!("{ty:?} does not round-trip: {e}"));
            assert_eq!(again, ty);
        }
    });
}

/// The mutator itself: reproducible from a seed, and it changes inputs.
#[test]
fn mutator_is_reproducible() {
    let seeds = vec![b"hello world".to_vec()];
    let run = |seed| {
        let mut rng = mutator::Rng::new(seed);
        (0..50)
            .map(|_| mutator::mutate(&mut rng, &seeds[0], &seeds, MSGPACK_DICT))
            .collect::<Vec<_>>()
    };
    assert_eq!(run(7), run(7));
    assert_ne!(run(7), run(8));
    assert!(run(7).iter().any(|m| m != &seeds[0]));
}

/// Findings of earlier runs, replayed on every test run.
#[test]
fn fuzz_findings_stay_fixed() {
    let types = types();
    // A short number with a large exponent decoded, but its plain-decimal
    // encoding was longer than the decoder's own limit.
    for input in ["2345678901234567890.1e40000", "1e10000", "[1e10000]"] {
        json_target(&types, input.as_bytes());
    }
    // The same number as a msgpack string.
    msgpack_target(&types, b"\xbb2345678901234567890.1e40000");
    assert!(json::decode(b"1e10000", &Type::Number).is_err());
}
