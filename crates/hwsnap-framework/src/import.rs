//! Import in one line: how an import ID (`terraform import ADDR ID`, an
//! `import` block's `id`) or an import identity maps onto state attributes.
//!
//! ```
//! use hwsnap_framework::import::{self, uuid};
//!
//! // "2a4d0f86-…" sets `id`.
//! let by_id = import::passthrough(uuid("id").shown_as("snapshot_id"));
//! // "<cluster_id>/<snapshot_id>" sets `cluster_id` and `id`.
//! let split = import::split([uuid("cluster_id"), uuid("id").shown_as("snapshot_id")], '/');
//! ```
//!
//! Each part is checked (a UUID-shaped part must look like one) before
//! anything else happens, and a refusal quotes what was given and the
//! expected form. No API call is made: Terraform reads the object right
//! after the import, and that read finds out whether it exists. The server
//! checks at start-up that the parts name string attributes of the model and,
//! for a type with an identity, exactly its identity attributes.

use hwsnap_cty::Value;

use crate::diag::Diagnostic;

/// How one part of an import ID is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Any non-empty text without the separator.
    Text,
    /// A UUID in its 8-4-4-4-12 hex form.
    Uuid,
}

/// One part of an import ID: the state attribute it sets, how it is shown in
/// messages (`<snapshot_id>`), an example value and its rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub attribute: &'static str,
    pub shown_as: &'static str,
    pub example: &'static str,
    rule: Rule,
}

/// A UUID-shaped part setting `attribute`.
pub fn uuid(attribute: &'static str) -> Part {
    Part {
        attribute,
        shown_as: attribute,
        example: "2a4d0f86-67cd-408a-8b66-017454fb7793",
        rule: Rule::Uuid,
    }
}

/// A part of any non-empty text setting `attribute`.
pub fn text(attribute: &'static str, example: &'static str) -> Part {
    Part {
        attribute,
        shown_as: attribute,
        example,
        rule: Rule::Text,
    }
}

impl Part {
    /// The name shown in the expected form, e.g. `snapshot_id` for `id`.
    pub fn shown_as(mut self, name: &'static str) -> Self {
        self.shown_as = name;
        self
    }

    /// The example value shown in messages.
    pub fn example(mut self, example: &'static str) -> Self {
        self.example = example;
        self
    }

    /// Why `value` is not a valid part, if it is not.
    fn problem(&self, value: &str) -> Option<String> {
        let ok = match self.rule {
            Rule::Text => !value.is_empty(),
            Rule::Uuid => is_uuid(value),
        };
        (!ok).then(|| match self.rule {
            Rule::Text => format!("the {} is empty", self.shown_as),
            Rule::Uuid => format!("the {} {value:?} is not a UUID", self.shown_as),
        })
    }
}

/// Whether `s` is a UUID in its 8-4-4-4-12 hex form.
pub fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// How a resource type is imported: its parts, in order, and the separator
/// between them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    parts: Vec<Part>,
    separator: char,
}

/// The import ID is one part.
pub fn passthrough(part: Part) -> Import {
    Import {
        parts: vec![part],
        separator: '/',
    }
}

/// The import ID is `parts` joined by `separator`.
pub fn split<const N: usize>(parts: [Part; N], separator: char) -> Import {
    Import {
        parts: parts.into(),
        separator,
    }
}

impl Import {
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// The expected form, e.g. `<cluster_id>/<snapshot_id>`.
    pub fn form(&self) -> String {
        self.join(|p| format!("<{}>", p.shown_as))
    }

    fn example(&self) -> String {
        self.join(|p| p.example.to_owned())
    }

    fn join(&self, f: impl Fn(&Part) -> String) -> String {
        self.parts
            .iter()
            .map(f)
            .collect::<Vec<_>>()
            .join(&self.separator.to_string())
    }

    fn expected(&self) -> String {
        format!("Expected {}, such as {}", self.form(), self.example())
    }

    /// The attribute values an import ID sets. Surrounding whitespace is
    /// ignored.
    pub fn parse_id(&self, id: &str) -> Result<Vec<(&'static str, String)>, String> {
        let trimmed = id.trim();
        let values: Vec<&str> = if self.parts.len() == 1 {
            vec![trimmed]
        } else {
            trimmed.split(self.separator).collect()
        };
        let refuse = |why: Option<String>| {
            let why = why.map_or(String::new(), |w| format!(": {w}"));
            format!("{}; got {id:?}{why}.", self.expected())
        };
        if values.len() != self.parts.len() {
            return Err(refuse(None));
        }
        self.parts
            .iter()
            .zip(values)
            .map(|(p, v)| match p.problem(v) {
                None => Ok((p.attribute, v.to_owned())),
                // One part: the quoted value and the form say it all.
                Some(_) if self.parts.len() == 1 => Err(refuse(None)),
                Some(why) => Err(refuse(Some(why))),
            })
            .collect()
    }

    /// The attribute values an import identity sets.
    pub fn parse_identity(&self, identity: &Value) -> Result<Vec<(&'static str, String)>, String> {
        self.parts
            .iter()
            .map(|p| {
                let v = identity
                    .get_attr(p.attribute)
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .unwrap_or_default();
                match p.problem(v) {
                    None => Ok((p.attribute, v.to_owned())),
                    Some(_) if v.is_empty() => Err(format!(
                        "The identity needs {}; {} is missing.",
                        self.attribute_list(),
                        p.attribute
                    )),
                    Some(why) => Err(format!(
                        "Invalid identity.{}: {why}, such as {}.",
                        p.attribute, p.example
                    )),
                }
            })
            .collect()
    }

    fn attribute_list(&self) -> String {
        let names: Vec<&str> = self.parts.iter().map(|p| p.attribute).collect();
        match names.as_slice() {
            [one] => one.to_string(),
            [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
            [] => String::new(),
        }
    }

    /// Sets the attributes an import ID or identity names in `state` (an
    /// all-null object of the type). The error names the type.
    pub fn apply(
        &self,
        type_name: &str,
        id: Option<&str>,
        identity: Option<&Value>,
        state: &mut Value,
    ) -> Result<(), Diagnostic> {
        let parsed = match (id, identity) {
            (Some(id), _) => self.parse_id(id).map_err(|detail| {
                Diagnostic::error(format!("Invalid import ID for {type_name}"), detail)
            }),
            (None, Some(identity)) => self.parse_identity(identity).map_err(|detail| {
                Diagnostic::error(format!("Invalid import identity for {type_name}"), detail)
            }),
            (None, None) => Err(Diagnostic::error(
                format!("Invalid import ID for {type_name}"),
                format!("{}.", self.expected()),
            )),
        }?;
        for (attr, v) in parsed {
            state.set_attr(attr, Value::String(v));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLUSTER: &str = "4f3deec3-efa8-4598-bf91-560aad1377a3";
    const SNAP: &str = "6c3b1e34-1fbb-4b4e-9ae9-20d2cfc0e2fd";

    fn dws() -> Import {
        passthrough(uuid("id").shown_as("snapshot_id").example(SNAP))
    }

    fn css() -> Import {
        split(
            [
                uuid("cluster_id").example(CLUSTER),
                uuid("id").shown_as("snapshot_id").example(SNAP),
            ],
            '/',
        )
    }

    #[test]
    fn recognises_uuids() {
        assert!(is_uuid(SNAP));
        assert!(is_uuid("6C3B1E34-1FBB-4B4E-9AE9-20D2CFC0E2FD"));
        for bad in [
            "",
            "x",
            "6c3b1e341fbb4b4e9ae920d2cfc0e2fd",
            &SNAP[1..],
            "6c3b1e34-1fbb-4b4e-9ae9-20d2cfc0e2fz",
        ] {
            assert!(!is_uuid(bad), "{bad}");
        }
    }

    #[test]
    fn passthrough_takes_one_trimmed_uuid() {
        assert_eq!(
            dws().parse_id(&format!(" {SNAP}\n")).unwrap(),
            vec![("id", SNAP.to_owned())]
        );
        assert_eq!(dws().form(), "<snapshot_id>");
    }

    #[test]
    fn malformed_ids_quote_the_value_and_the_form() {
        let e = dws().parse_id("not-an-id").unwrap_err();
        assert_eq!(
            e,
            format!("Expected <snapshot_id>, such as {SNAP}; got \"not-an-id\".")
        );
        let e = dws().parse_id("44b277eb/2a4d0f86").unwrap_err();
        assert!(e.starts_with("Expected <snapshot_id>"), "{e}");
        assert!(e.contains("got \"44b277eb/2a4d0f86\""), "{e}");

        for bad in ["", "no-slash", "c/s/x", "/s", "c/"] {
            let e = css().parse_id(bad).unwrap_err();
            assert!(e.contains("<cluster_id>/<snapshot_id>"), "{bad}: {e}");
            assert!(e.contains(&format!("got {bad:?}")), "{bad}: {e}");
        }
        let e = css().parse_id(&format!("c/{SNAP}")).unwrap_err();
        assert!(e.ends_with("the cluster_id \"c\" is not a UUID."), "{e}");
    }

    #[test]
    fn split_sets_every_part() {
        let parts = css().parse_id(&format!("{CLUSTER}/{SNAP}")).unwrap();
        assert_eq!(
            parts,
            vec![("cluster_id", CLUSTER.to_owned()), ("id", SNAP.to_owned())]
        );
    }

    #[test]
    fn identities_are_checked_part_by_part() {
        let identity = |c: &str, i: Option<&str>| {
            let mut v = Value::Object(Default::default());
            v.set_attr("cluster_id", Value::string(c));
            v.set_attr("id", i.map_or(Value::Null, Value::string));
            v
        };
        assert_eq!(
            css()
                .parse_identity(&identity(CLUSTER, Some(SNAP)))
                .unwrap()
                .len(),
            2
        );
        let e = css().parse_identity(&identity(CLUSTER, None)).unwrap_err();
        assert_eq!(e, "The identity needs cluster_id and id; id is missing.");
        let e = css()
            .parse_identity(&identity("c", Some(SNAP)))
            .unwrap_err();
        assert!(e.contains("identity.cluster_id"), "{e}");

        let mut state = Value::Object(Default::default());
        let d = css()
            .apply("css_index_snapshot", None, None, &mut state)
            .unwrap_err();
        assert_eq!(d.summary, "Invalid import ID for css_index_snapshot");
        assert!(d.detail.contains("<cluster_id>/<snapshot_id>"));
        css()
            .apply(
                "css_index_snapshot",
                Some(&format!("{CLUSTER}/{SNAP}")),
                None,
                &mut state,
            )
            .unwrap();
        assert_eq!(state.get_attr("id"), Some(&Value::string(SNAP)));
    }
}
