//! Registry-style reference docs generated from schema descriptions, so the
//! committed docs cannot drift from the schema (a test compares them).
//!
//! Every kind gets the same generated part: the provider (`docs/index.md`),
//! resources (`docs/resources/`), data sources (`docs/data-sources/`), list
//! resources (`docs/list-resources/`, the `config` block's arguments) and
//! actions (`docs/actions/`). [`Server::doc_pages`](crate::Server::doc_pages)
//! lists them; the provider's drift test walks that list with [`check_page`].

use std::fmt::Write;

use hwsnap_cty::Type;

use crate::schema::{Attribute, Block, Nesting, Schema};

/// Marks the start of the generated part of a docs page.
pub const BEGIN: &str =
    "<!-- schema: generated from the provider's schema; do not edit by hand -->";
/// Marks the end of the generated part of a docs page.
pub const END: &str = "<!-- end of generated schema -->";

fn type_label(ty: &Type) -> String {
    match ty {
        Type::String => "String".into(),
        Type::Number => "Number".into(),
        Type::Bool => "Boolean".into(),
        Type::Dynamic => "Dynamic".into(),
        Type::List(t) => format!("List of {}", type_label(t)),
        Type::Set(t) => format!("Set of {}", type_label(t)),
        Type::Map(t) => format!("Map of {}", type_label(t)),
        Type::Object { .. } => "Object".into(),
        Type::Tuple(_) => "Tuple".into(),
    }
}

fn attribute_line(out: &mut String, a: &Attribute) {
    let mut flags = vec![type_label(&a.ty), a.mode.label().to_string()];
    if a.sensitive {
        flags.push("Sensitive".into());
    }
    let mut text = a.description.trim().to_string();
    for v in &a.validators {
        let d = v.description();
        if !d.is_empty() {
            text.push_str(&format!(" Rule: {d}."));
        }
    }
    for m in &a.plan_modifiers {
        let d = m.description();
        if !d.is_empty() {
            text.push(' ');
            text.push_str(&d);
        }
    }
    let _ = writeln!(out, "- `{}` ({}) {}", a.name, flags.join(", "), text.trim());
}

fn nested_sections(out: &mut String, block: &Block) {
    for nb in &block.blocks {
        let _ = writeln!(out, "\n### Nested block `{}`\n", nb.name);
        let many = match nb.nesting {
            Nesting::Single => "at most once",
            Nesting::List | Nesting::Set => "any number of times",
        };
        let _ = writeln!(out, "{} May appear {many}.\n", nb.block.description.trim());
        for a in &nb.block.attributes {
            attribute_line(out, a);
        }
        nested_sections(out, &nb.block);
    }
}

/// A section per attribute holding objects with declared attributes:
/// what each object has (`### Nested attribute \`outer.inner\``).
fn nested_attribute_sections(out: &mut String, attributes: &[Attribute], prefix: &str) {
    for a in attributes {
        let Some(n) = &a.nested else { continue };
        let name = format!("{prefix}{}", a.name);
        let _ = writeln!(out, "\n### Nested attribute `{name}`\n");
        let each = match n.nesting {
            Nesting::Single => "The object has",
            Nesting::List | Nesting::Set => "Each element has",
        };
        let _ = writeln!(out, "{each} these attributes:\n");
        for inner in &n.block.attributes {
            attribute_line(out, inner);
        }
        nested_attribute_sections(out, &n.block.attributes, &format!("{name}."));
    }
}

/// The "Argument Reference" and "Attribute Reference" sections of a schema,
/// wrapped in the [`BEGIN`]/[`END`] markers.
pub fn reference(schema: &Schema) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{BEGIN}\n");
    let args: Vec<&Attribute> = schema
        .block
        .attributes
        .iter()
        .filter(|a| a.mode.is_required() || a.mode.is_optional())
        .collect();
    // An optional attribute the provider computes when unset is an
    // argument (its line says "computed when unset"), listed once.
    let attrs: Vec<&Attribute> = schema
        .block
        .attributes
        .iter()
        .filter(|a| a.mode.is_computed() && !a.mode.is_optional())
        .collect();
    let _ = writeln!(out, "## Argument Reference\n");
    for a in args {
        attribute_line(&mut out, a);
    }
    for nb in &schema.block.blocks {
        let _ = writeln!(
            out,
            "- `{}` (Block) {} See below.",
            nb.name,
            nb.block.description.trim()
        );
    }
    nested_sections(&mut out, &schema.block);
    if !attrs.is_empty() {
        let _ = writeln!(out, "\n## Attribute Reference\n");
        let _ = writeln!(
            out,
            "In addition to the arguments above, these attributes are exported:\n"
        );
        for a in attrs {
            attribute_line(&mut out, a);
        }
    }
    nested_attribute_sections(&mut out, &schema.block.attributes, "");
    let _ = write!(out, "\n{END}");
    out
}

/// One generated docs page: where it lives and its generated part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Relative to the repository root, e.g. `docs/resources/dws_snapshot.md`.
    pub path: String,
    /// What belongs between [`BEGIN`] and [`END`].
    pub generated: String,
}

impl Page {
    pub fn new(path: String, generated: String) -> Self {
        Self { path, generated }
    }
}

/// How a committed page compares with its generated part.
#[derive(Debug, PartialEq, Eq)]
pub enum PageCheck {
    /// Up to date.
    Current,
    /// The generated part differs; `updated` is the page with it replaced.
    Drifted { found: String, updated: String },
    /// The page has no markers.
    NoMarkers,
}

/// Compares a committed page's text with the generated part it should hold.
pub fn check_page(text: &str, generated: &str) -> PageCheck {
    match generated_part(text) {
        None => PageCheck::NoMarkers,
        Some(found) if found == generated => PageCheck::Current,
        Some(found) => PageCheck::Drifted {
            found: found.to_owned(),
            updated: text.replacen(found, generated, 1),
        },
    }
}

/// The generated part of a committed page, if it has the markers.
pub fn generated_part(page: &str) -> Option<&str> {
    let start = page.find(BEGIN)?;
    let end = page[start..].find(END)? + start + END.len();
    Some(&page[start..end])
}

/// The page with its generated part replaced by `generated`.
pub fn replace_generated(page: &str, generated: &str) -> Option<String> {
    let old = generated_part(page)?;
    Some(page.replacen(old, generated, 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan_modifiers::RequiresReplace;
    use crate::schema::Mode;
    use crate::timeouts::{self, Timeout};
    use crate::validators::Length;
    use std::time::Duration;

    fn schema() -> Schema {
        Schema::new(
            0,
            Block::new("A thing.")
                .attribute(
                    Attribute::string("name", Mode::Required, "The name.")
                        .validate(Length::between(4, 64))
                        .plan(RequiresReplace),
                )
                .attribute(Attribute::string("id", Mode::Computed, "The ID."))
                .attribute(Attribute::string(
                    "indices",
                    Mode::OptionalComputed,
                    "The indices.",
                ))
                .block(timeouts::block(&[Timeout {
                    operation: "create",
                    default: Duration::from_secs(1800),
                }])),
        )
    }

    #[test]
    fn lists_arguments_attributes_and_blocks() {
        let doc = reference(&schema());
        assert!(doc.contains("- `name` (String, Required) The name. Rule: between 4 and 64 characters. Changing this forces a new resource."));
        assert!(doc.contains("## Attribute Reference"));
        assert!(doc.contains("- `id` (String, Read-only) The ID."));
        assert!(doc.contains("### Nested block `timeouts`"));
        assert!(doc.contains("Default: `30m`"));
        // Optional and computed: an argument, listed once.
        assert_eq!(doc.matches("- `indices` ").count(), 1, "{doc}");
        let attributes = &doc[doc.find("## Attribute Reference").unwrap_or(0)..];
        assert!(!attributes.contains("`indices`"), "{doc}");
    }

    #[test]
    fn nested_attributes_get_their_own_section() {
        use crate::schema::NestedAttributes;
        let item = Block::new("One item.")
            .attribute(Attribute::string("id", Mode::Computed, "The item's ID."))
            .attribute(Attribute::nested(
                "parts",
                NestedAttributes {
                    nesting: Nesting::Single,
                    block: Block::new("p").attribute(Attribute::bool(
                        "ok",
                        Mode::Computed,
                        "Fine.",
                    )),
                },
                Mode::Computed,
                "Its parts.",
            ));
        let s = Schema::new(
            0,
            Block::new("Items.").attribute(Attribute::nested(
                "items",
                NestedAttributes {
                    nesting: Nesting::List,
                    block: item,
                },
                Mode::Computed,
                "What was found.",
            )),
        );
        let doc = reference(&s);
        assert!(
            doc.contains("- `items` (List of Object, Read-only) What was found."),
            "{doc}"
        );
        assert!(doc.contains("### Nested attribute `items`\n\nEach element has these attributes:\n\n- `id` (String, Read-only) The item's ID."), "{doc}");
        assert!(doc.contains("### Nested attribute `items.parts`\n\nThe object has these attributes:\n\n- `ok` (Boolean, Read-only) Fine."), "{doc}");
        assert!(doc.ends_with(END));
    }

    #[test]
    fn pages_are_checked_against_their_generated_part() {
        let generated = reference(&schema());
        let current = format!("# T\n\n{generated}\n");
        assert_eq!(check_page(&current, &generated), PageCheck::Current);
        assert_eq!(check_page("# T\n", &generated), PageCheck::NoMarkers);
        let old = format!("# T\n\n{BEGIN}\nold\n{END}\n");
        match check_page(&old, &generated) {
            PageCheck::Drifted { found, updated } => {
                assert_eq!(found, format!("{BEGIN}\nold\n{END}"));
                assert_eq!(updated, current);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn replaces_only_the_generated_part() {
        let page = format!("# Title\n\nintro\n\n{BEGIN}\nold\n{END}\n\n## Import\n");
        let new = replace_generated(&page, &reference(&schema())).unwrap();
        assert!(new.starts_with("# Title\n\nintro\n\n"));
        assert!(new.ends_with("\n\n## Import\n"));
        assert_eq!(generated_part(&new).unwrap(), reference(&schema()));
    }
}
