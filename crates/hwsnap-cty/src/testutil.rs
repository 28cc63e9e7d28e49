//! Shared test fixtures: proptest strategies for types and values.

use std::collections::BTreeMap;

use bigdecimal::BigDecimal;
use proptest::prelude::*;

use crate::{Number, Refinements, Type, Value};

/// Generated types, nested a few levels deep, objects with optional
/// attributes included.
pub(crate) fn arb_type() -> impl Strategy<Value = Type> {
    let leaf = prop_oneof![
        3 => Just(Type::String),
        3 => Just(Type::Number),
        2 => Just(Type::Bool),
        1 => Just(Type::Dynamic),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(Type::list),
            inner.clone().prop_map(Type::set),
            inner.clone().prop_map(Type::map),
            (
                prop::collection::btree_map("[a-d]{1,2}", inner.clone(), 0..4),
                any::<u8>()
            )
                .prop_map(|(attrs, mask)| {
                    let optional = attrs
                        .keys()
                        .enumerate()
                        .filter(|(i, _)| mask & (1 << i) != 0)
                        .map(|(_, k)| k.clone())
                        .collect();
                    Type::Object { attrs, optional }
                }),
            prop::collection::vec(inner, 0..3).prop_map(Type::Tuple),
        ]
    })
}

/// Numbers of every wire form: small and large integers, exact floats,
/// and decimals no float can hold.
pub(crate) fn arb_number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::from),
        any::<u64>().prop_map(Number::from),
        any::<f64>().prop_filter_map("finite", Number::from_f64),
        (any::<i128>(), -60i64..60).prop_map(|(digits, scale)| Number::from_decimal(
            BigDecimal::new(digits.into(), scale)
        )),
        prop::sample::select(vec![
            "1e400",
            "-3.14159265358979323846264338327950288",
            "0.1",
            "-9223372036854775809",
            "1e-400",
        ])
        .prop_map(|s| s.parse::<Number>().expect("a valid number literal")),
    ]
}

/// Refinements that make sense for `ty` (and survive a msgpack round trip).
fn arb_refinements(ty: &Type) -> BoxedStrategy<Refinements> {
    let nullable = prop_oneof![Just(None), Just(Some(false))];
    match ty {
        Type::String => (nullable, proptest::option::of("[a-z:/]{1,6}"))
            .prop_map(|(nullable, string_prefix)| Refinements {
                nullable,
                string_prefix,
                ..Refinements::default()
            })
            .boxed(),
        Type::Number => (
            nullable,
            proptest::option::of((arb_number(), any::<bool>())),
            proptest::option::of((arb_number(), any::<bool>())),
        )
            .prop_map(|(nullable, number_lower, number_upper)| Refinements {
                nullable,
                number_lower,
                number_upper,
                ..Refinements::default()
            })
            .boxed(),
        Type::List(_) | Type::Set(_) | Type::Map(_) => (
            nullable,
            proptest::option::of(0u64..10),
            proptest::option::of(0u64..1_000_000),
        )
            .prop_map(|(nullable, length_lower, length_upper)| Refinements {
                nullable,
                length_lower,
                length_upper,
                ..Refinements::default()
            })
            .boxed(),
        Type::Dynamic => Just(Refinements::default()).boxed(),
        _ => nullable
            .prop_map(|nullable| Refinements {
                nullable,
                ..Refinements::default()
            })
            .boxed(),
    }
}

/// Values of type `ty`: nulls and (when `unknowns`) refined unknowns at
/// every level, dynamic values carrying generated types.
pub(crate) fn arb_value(ty: &Type, unknowns: bool) -> BoxedStrategy<Value> {
    let known = arb_known(ty, unknowns);
    if unknowns {
        prop_oneof![
            1 => Just(Value::Null),
            1 => arb_refinements(ty).prop_map(Value::unknown_refined),
            6 => known,
        ]
        .boxed()
    } else {
        prop_oneof![1 => Just(Value::Null), 6 => known].boxed()
    }
}

fn arb_known(ty: &Type, unknowns: bool) -> BoxedStrategy<Value> {
    match ty {
        Type::String => "[a-z\u{e9}\u{1f600}\"\\\\<& \n]{0,8}"
            .prop_map(Value::String)
            .boxed(),
        Type::Number => arb_number().prop_map(Value::Number).boxed(),
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::Dynamic => arb_type()
            .prop_flat_map(move |t| {
                let inner = arb_value(&t, unknowns);
                (Just(t), inner)
            })
            .prop_map(|(t, v)| Value::Dynamic(Box::new(t), Box::new(v)))
            .boxed(),
        Type::List(e) => prop::collection::vec(arb_value(e, unknowns), 0..3)
            .prop_map(Value::List)
            .boxed(),
        Type::Set(e) => prop::collection::vec(arb_value(e, unknowns), 0..3)
            .prop_map(Value::Set)
            .boxed(),
        Type::Map(e) => prop::collection::btree_map("[a-z.\"]{0,3}", arb_value(e, unknowns), 0..3)
            .prop_map(Value::Map)
            .boxed(),
        Type::Tuple(ts) => ts
            .iter()
            .map(|t| arb_value(t, unknowns))
            .collect::<Vec<_>>()
            .prop_map(Value::Tuple)
            .boxed(),
        Type::Object { attrs, .. } => {
            let names: Vec<String> = attrs.keys().cloned().collect();
            attrs
                .values()
                .map(|t| arb_value(t, unknowns))
                .collect::<Vec<_>>()
                .prop_map(move |vals| {
                    Value::Object(names.iter().cloned().zip(vals).collect::<BTreeMap<_, _>>())
                })
                .boxed()
        }
    }
}

/// A type and a value of it.
pub(crate) fn arb_typed_value(unknowns: bool) -> impl Strategy<Value = (Type, Value)> {
    arb_type().prop_flat_map(move |t| {
        let v = arb_value(&t, unknowns);
        (Just(t), v)
    })
}

/// A list of lists … of `"x"`, `depth` levels deep, with its type.
pub(crate) fn nested_lists(depth: usize) -> (Type, Value) {
    let mut t = Type::String;
    let mut v = Value::from("x");
    for _ in 0..depth {
        t = Type::list(t);
        v = Value::List(vec![v]);
    }
    (t, v)
}

/// Runs `f` on a thread with a 1 MiB stack; a stack overflow fails the test.
pub(crate) fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(f)
        .expect("spawns")
        .join()
        .expect("no stack overflow");
}
