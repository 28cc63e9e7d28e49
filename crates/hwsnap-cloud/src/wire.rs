//! Lenient decoding of the cloud's JSON: strings that should be numbers,
//! numbers that should be strings, nulls, and times with or without `Z` or
//! fractional seconds, or as epoch milliseconds.
//!
//! Every helper reads the field as a `serde_json::Value` first, so it works
//! with serde_json's `arbitrary_precision` numbers.

use serde::{Deserialize, Deserializer};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

/// A closed set of words the cloud sends, plus `Other(String)` for any
/// other word (empty when the field is missing): the enum, `Default`,
/// `parse` (trimmed, case-insensitive, with aliases) and `as_str`, written
/// once for every such field.
macro_rules! wire_words {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($variant:ident => $word:literal $(| $alias:literal)*,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum $name {
            $($variant,)+
            /// Anything else, as sent (empty when missing).
            Other(String),
        }

        impl Default for $name {
            fn default() -> Self {
                $name::Other(String::new())
            }
        }

        impl $name {
            /// Reads the wire text (case-insensitive).
            pub fn parse(s: &str) -> Self {
                match s.trim().to_ascii_uppercase().as_str() {
                    $($word $(| $alias)* => $name::$variant,)+
                    _ => $name::Other(s.trim().to_owned()),
                }
            }

            /// The wire text.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $word,)+
                    $name::Other(s) => s,
                }
            }
        }
    };
}
pub(crate) use wire_words;

/// The engine a snapshot belongs to (`datastore{type,version}`, in DWS and
/// CSS answers alike).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct Datastore {
    #[serde(default, rename = "type", deserialize_with = "opt_string")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub version: Option<String>,
}

/// Parses a timestamp leniently: RFC 3339, or `YYYY-MM-DD[T ]HH:MM:SS[.frac]`
/// followed by `Z`, `+hh:mm`, `+hhmm` or nothing (UTC assumed).
pub(crate) fn parse_time(s: &str) -> Option<OffsetDateTime> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t);
    }
    let (local, offset) = split_offset(s)?;
    let local = local.replacen(' ', "T", 1);
    let format = format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
    );
    let primitive = time::PrimitiveDateTime::parse(&local, &format).ok()?;
    Some(primitive.assume_offset(offset))
}

fn split_offset(s: &str) -> Option<(&str, time::UtcOffset)> {
    if let Some(local) = s.strip_suffix('Z').or_else(|| s.strip_suffix('z')) {
        return Some((local, time::UtcOffset::UTC));
    }
    // An offset sign can only appear after the time part (past the date's dashes).
    let time_start = s.find(['T', ' ']).unwrap_or(s.len());
    if let Some(pos) = s[time_start..].rfind(['+', '-']).map(|p| p + time_start) {
        let (local, tail) = s.split_at(pos);
        let sign: i8 = if tail.starts_with('-') { -1 } else { 1 };
        let digits: String = tail[1..].chars().filter(|c| *c != ':').collect();
        if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let hours: i8 = digits[..2].parse().ok()?;
        let minutes: i8 = digits[2..].parse().ok()?;
        let offset = time::UtcOffset::from_hms(sign * hours, sign * minutes, 0).ok()?;
        return Some((local, offset));
    }
    Some((s, time::UtcOffset::UTC))
}

/// Epoch milliseconds to a time; `0` and negative values mean "not set".
pub(crate) fn from_epoch_millis(ms: i64) -> Option<OffsetDateTime> {
    if ms <= 0 {
        return None;
    }
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
}

fn text_of(v: Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn f64_of(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn i64_of(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => {
            let s = s.trim();
            s.parse()
                .ok()
                .or_else(|| s.parse::<f64>().ok().map(|f| f as i64))
        }
        _ => None,
    }
}

/// A string, number or bool as text; null/missing/other → `None`; empty → `None`.
pub(crate) fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<Value>::deserialize(d)?
        .and_then(text_of)
        .filter(|s| !s.is_empty()))
}

/// Like [`opt_string`] but keeps empty strings (descriptions).
pub(crate) fn opt_string_keep_empty<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    Ok(Option::<Value>::deserialize(d)?.and_then(text_of))
}

/// A required-ish string: null/missing → empty string.
pub(crate) fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<Value>::deserialize(d)?
        .and_then(text_of)
        .unwrap_or_default())
}

/// The ID a create answers with: a non-empty JSON string, strictly. A
/// missing, null, empty or wrong-typed ID is a decode error (which makes the
/// create look its snapshot up by name) rather than an ID made up from the
/// wrong value, which would name a snapshot that does not exist.
pub(crate) fn id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    use serde::de::Error as _;
    match Option::<Value>::deserialize(d)? {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(Value::String(_)) => Err(D::Error::custom("the id is empty")),
        None | Some(Value::Null) => Err(D::Error::custom("the id is null")),
        Some(other) => Err(D::Error::custom(format!(
            "the id is not a string: {}",
            match other {
                Value::Number(_) => "a number",
                Value::Bool(_) => "a boolean",
                Value::Array(_) => "an array",
                _ => "an object",
            }
        ))),
    }
}

/// A number, or a string holding one.
pub(crate) fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(Option::<Value>::deserialize(d)?.as_ref().and_then(f64_of))
}

/// A non-negative integer, or a string holding one.
pub(crate) fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(Option::<Value>::deserialize(d)?
        .as_ref()
        .and_then(i64_of)
        .and_then(|n| u64::try_from(n).ok()))
}

/// A timestamp string parsed with [`parse_time`]; a number is taken as epoch ms.
pub(crate) fn opt_time<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<OffsetDateTime>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::String(s)) => {
            parse_time(&s).or_else(|| s.trim().parse::<i64>().ok().and_then(from_epoch_millis))
        }
        Some(v @ Value::Number(_)) => i64_of(&v).and_then(from_epoch_millis),
        _ => None,
    })
}

/// Epoch milliseconds (number or string); a time string is also accepted.
pub(crate) fn opt_epoch_ms<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<OffsetDateTime>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::String(s)) => match i64_of(&Value::String(s.clone())) {
            Some(ms) => from_epoch_millis(ms),
            None => parse_time(&s),
        },
        Some(v @ Value::Number(_)) => i64_of(&v).and_then(from_epoch_millis),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[derive(Debug, serde::Deserialize)]
    struct WithId {
        #[serde(deserialize_with = "id")]
        id: String,
    }

    #[test]
    fn create_ids_are_strict_strings() {
        let ok: WithId = serde_json::from_str(r#"{"id":"2a4d0f86"}"#).unwrap();
        assert_eq!(ok.id, "2a4d0f86");
        for bad in [
            r#"{"id":42}"#,
            r#"{"id":""}"#,
            r#"{"id":"  "}"#,
            r#"{"id":null}"#,
            r#"{"id":["x"]}"#,
            r#"{"id":true}"#,
            r#"{}"#,
        ] {
            let err = serde_json::from_str::<WithId>(bad).unwrap_err();
            assert!(err.to_string().contains("id"), "{bad}: {err}");
        }
    }

    #[test]
    fn times_with_and_without_zone_and_fraction() {
        let want = datetime!(2026-01-02 15:04:05 UTC);
        assert_eq!(parse_time("2026-01-02T15:04:05Z"), Some(want));
        assert_eq!(parse_time("2026-01-02T15:04:05"), Some(want));
        assert_eq!(parse_time("2026-01-02 15:04:05"), Some(want));
        assert_eq!(
            parse_time("2026-01-02T15:04:05.123Z"),
            Some(datetime!(2026-01-02 15:04:05.123 UTC))
        );
        assert_eq!(
            parse_time("2026-01-02T15:04:05.123456"),
            Some(datetime!(2026-01-02 15:04:05.123456 UTC))
        );
        assert_eq!(parse_time("2026-01-02T23:04:05+0800"), Some(want));
        assert_eq!(parse_time("2026-01-02T23:04:05+08:00"), Some(want));
        assert_eq!(parse_time("2026-01-02T10:04:05-05:00"), Some(want));
    }

    #[test]
    fn bad_times_are_none() {
        for bad in [
            "",
            "yesterday",
            "2026-13-02T15:04:05Z",
            "2026-01-02",
            "2026-01-02T15:04:05+8",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn epoch_millis() {
        assert_eq!(
            from_epoch_millis(1_767_366_245_000),
            Some(datetime!(2026-01-02 15:04:05 UTC))
        );
        assert_eq!(from_epoch_millis(0), None);
    }

    #[derive(Deserialize)]
    struct Probe {
        #[serde(default, deserialize_with = "opt_f64")]
        size: Option<f64>,
        #[serde(default, deserialize_with = "opt_u64")]
        shards: Option<u64>,
        #[serde(default, deserialize_with = "opt_string")]
        name: Option<String>,
        #[serde(default, deserialize_with = "opt_time")]
        at: Option<OffsetDateTime>,
        #[serde(default, deserialize_with = "opt_epoch_ms")]
        ms: Option<OffsetDateTime>,
    }

    #[test]
    fn tolerant_fields() -> Result<(), serde_json::Error> {
        let p: Probe = serde_json::from_str(
            r#"{"size":"1.5","shards":"12","name":42,"at":"2026-01-02T15:04:05","ms":"1767366245000"}"#,
        )?;
        assert_eq!(p.size, Some(1.5));
        assert_eq!(p.shards, Some(12));
        assert_eq!(p.name.as_deref(), Some("42"));
        assert_eq!(p.at, Some(datetime!(2026-01-02 15:04:05 UTC)));
        assert_eq!(p.ms, Some(datetime!(2026-01-02 15:04:05 UTC)));

        let p: Probe =
            serde_json::from_str(r#"{"size":null,"shards":null,"name":null,"at":null,"ms":null}"#)?;
        assert_eq!(
            (p.size, p.shards, p.name, p.at, p.ms),
            (None, None, None, None, None)
        );

        let p: Probe = serde_json::from_str(r#"{"size":0.25,"ms":1767366245000,"at":""}"#)?;
        assert_eq!(p.size, Some(0.25));
        assert_eq!(p.ms, Some(datetime!(2026-01-02 15:04:05 UTC)));
        assert_eq!(p.at, None);
        Ok(())
    }
}
