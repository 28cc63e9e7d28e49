//! Private state: bytes Terraform keeps next to a resource instance's state,
//! never shows the user and hands back on the next operation. Here they are
//! a [`Private`], a JSON object of named text entries, each named by a
//! [`Key`] the resource declares once.
//!
//! The framework carries private state as the protocol requires: a read
//! gets the stored one and returns what its response holds; a plan keeps
//! the prior one; an apply starts from the planned one; an import starts
//! empty; a move sets what the move chose. A resource only reads and
//! writes its entries ([`crate::ReadRequest::private`],
//! [`crate::ReadResponse::private`], …).
//!
//! Bytes that are not a JSON object (another provider's format) read as no
//! entries and are handed back unchanged unless an entry is written; entries
//! that are not text (nested objects another framework wrote) are kept
//! through writes of other entries.

use serde_json::{Map, Value as Json};

/// The name of one private entry, declared once as a constant:
/// `const MOVED_REGION: Key = Key::new("moved_from_region");`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key(&'static str);

impl Key {
    pub const fn new(name: &'static str) -> Self {
        Self(name)
    }

    pub fn name(self) -> &'static str {
        self.0
    }
}

/// A resource instance's private state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Private {
    /// The bytes as received, handed back while nothing is written.
    raw: Vec<u8>,
    /// The entries read from `raw` (none when it is not a JSON object).
    entries: Map<String, Json>,
    written: bool,
}

impl Private {
    /// No entries.
    pub fn new() -> Self {
        Self::default()
    }

    /// Private state as Terraform carries it.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        let entries = match serde_json::from_slice::<Json>(bytes) {
            Ok(Json::Object(m)) => m,
            _ => Map::new(),
        };
        Self {
            raw: bytes.to_vec(),
            entries,
            written: false,
        }
    }

    /// The bytes to hand Terraform: the ones received while nothing was
    /// written, else the entries as a JSON object (nothing when none is left).
    pub fn to_bytes(&self) -> Vec<u8> {
        if !self.written {
            return self.raw.clone();
        }
        if self.entries.is_empty() {
            return Vec::new();
        }
        Json::Object(self.entries.clone()).to_string().into_bytes()
    }

    /// The text entry `key`, if there is one.
    pub fn get(&self, key: Key) -> Option<&str> {
        self.entries.get(key.0).and_then(Json::as_str)
    }

    /// Sets the text entry `key`.
    pub fn set(&mut self, key: Key, value: impl Into<String>) {
        self.entries
            .insert(key.0.to_owned(), Json::String(value.into()));
        self.written = true;
    }

    /// Removes entry `key`; returns its text, if it was text.
    pub fn remove(&mut self, key: Key) -> Option<String> {
        let old = self.entries.remove(key.0)?;
        self.written = true;
        match old {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGION: Key = Key::new("region");
    const OTHER: Key = Key::new("other");

    #[test]
    fn entries_round_trip_through_bytes() {
        let mut p = Private::new();
        assert!(p.to_bytes().is_empty(), "no entries, no bytes");
        p.set(REGION, "cn-north-4");
        let bytes = p.to_bytes();
        assert_eq!(bytes, br#"{"region":"cn-north-4"}"#);
        let back = Private::from_bytes(&bytes);
        assert_eq!(back.get(REGION), Some("cn-north-4"));
        assert_eq!(back.get(OTHER), None);
        let mut back = back;
        assert_eq!(back.remove(REGION).as_deref(), Some("cn-north-4"));
        assert!(back.is_empty());
        assert!(back.to_bytes().is_empty(), "the last entry removed");
    }

    #[test]
    fn foreign_bytes_stay_until_written() {
        let sdk = br#"{"e2bfb730-ecaa-11e6-8f88-34363bc7c4c0":{"create":1800000000000},"schema_version":"0"}"#;
        let p = Private::from_bytes(sdk);
        assert_eq!(p.to_bytes(), sdk, "unchanged when nothing is written");
        assert_eq!(p.get(Key::new("schema_version")), Some("0"));
        assert_eq!(
            p.get(Key::new("e2bfb730-ecaa-11e6-8f88-34363bc7c4c0")),
            None
        );

        let mut p = p;
        p.set(REGION, "x");
        let v: Json = serde_json::from_slice(&p.to_bytes()).unwrap();
        assert_eq!(
            v["e2bfb730-ecaa-11e6-8f88-34363bc7c4c0"]["create"],
            1800000000000u64
        );
        assert_eq!(v["region"], "x");

        let garbage = b"\x00not json";
        let mut g = Private::from_bytes(garbage);
        assert!(g.is_empty());
        assert_eq!(g.to_bytes(), garbage);
        assert_eq!(g.remove(REGION), None);
        assert_eq!(g.to_bytes(), garbage, "removing nothing writes nothing");
        g.set(REGION, "y");
        assert_eq!(g.to_bytes(), br#"{"region":"y"}"#);
    }
}
