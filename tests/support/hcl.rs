//! Configuration text for the tests, written once: the `terraform {
//! required_providers }` header, snapshot resource blocks, `import` blocks,
//! data source and `list` blocks, the counted two-provider configuration of
//! the reliability tests, HCL string literals, and [`Kind`], what differs
//! between the two resource types.

use super::Emulator;

/// What differs between the two resource types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kind {
    /// The resource type, e.g. `dws_snapshot`.
    pub ty: &'static str,
    /// The provider's local name and source type, e.g. `dws`.
    pub local: &'static str,
    /// The emulator's state key for this type's snapshots.
    pub state_key: &'static str,
    /// The status of a finished snapshot.
    pub final_status: &'static str,
}

pub const DWS: Kind = Kind {
    ty: "dws_snapshot",
    local: "dws",
    state_key: "dws_snapshots",
    final_status: "AVAILABLE",
};

pub const CSS: Kind = Kind {
    ty: "css_index_snapshot",
    local: "css",
    state_key: "css_snapshots",
    final_status: "COMPLETED",
};

impl Kind {
    /// The emulator's clusters of this type's service.
    pub fn clusters(&self, emu: &Emulator) -> Vec<String> {
        if *self == DWS {
            emu.dws_clusters()
        } else {
            emu.css_clusters()
        }
    }

    /// `TYPE.name`.
    pub fn address(&self, name: &str) -> String {
        format!("{}.{name}", self.ty)
    }

    /// The import ID of snapshot `id` on `cluster`.
    pub fn import_id(&self, cluster: &str, id: &str) -> String {
        if *self == DWS {
            id.to_string()
        } else {
            format!("{cluster}/{id}")
        }
    }

    /// The identity object of snapshot `id` on `cluster`, as HCL.
    pub fn identity(&self, cluster: &str, id: &str) -> String {
        if *self == DWS {
            format!("{{ id = \"{id}\" }}")
        } else {
            format!("{{ cluster_id = \"{cluster}\", id = \"{id}\" }}")
        }
    }

    /// A `resource "TYPE" "label"` block on `cluster` named `name`, with
    /// `extra` (whole lines) inside.
    pub fn resource(&self, label: &str, cluster: &str, name: &str, extra: &str) -> String {
        format!(
            "resource \"{}\" \"{label}\" {{\n  cluster_id = \"{cluster}\"\n  name       = \"{name}\"\n{extra}}}\n",
            self.ty
        )
    }
}

/// The `terraform { required_providers { … } }` block for providers of the
/// given local names (`dws`, `css`, `hwsnap`), each from `hwsnap/NAME`.
pub fn required_providers(locals: &[&str]) -> String {
    let lines: String = locals
        .iter()
        .map(|l| format!("    {l} = {{ source = \"hwsnap/{l}\" }}\n"))
        .collect();
    format!("terraform {{\n  required_providers {{\n{lines}  }}\n}}\n")
}

/// An `import` block to `to`, with `extra` lines (e.g. `provider = hwsnap`)
/// before `how` (`id = "…"` or `identity = {…}`).
pub fn import_block(to: &str, extra: &str, how: &str) -> String {
    format!("\nimport {{\n  to = {to}\n{extra}  {how}\n}}\n")
}

/// `name = "value"` on a line of its own: a string argument for
/// [`data_block`] and [`list_block`].
pub fn arg(name: &str, value: &str) -> String {
    format!("{name} = {}\n", string(value))
}

/// Each line of `lines`, indented by `by`.
fn indent(lines: &str, by: &str) -> String {
    lines.lines().map(|l| format!("{by}{l}\n")).collect()
}

/// A `data "TYPE" "label"` block holding `args` (lines such as [`arg`]'s).
pub fn data_block(ty: &str, label: &str, args: &str) -> String {
    format!("\ndata \"{ty}\" \"{label}\" {{\n{}}}\n", indent(args, "  "))
}

/// A `list "TYPE" "label"` block for a `.tfquery.hcl` file: `meta` lines
/// (`provider = dws`, `limit = 5`, …), then `config { args }`.
pub fn list_block(ty: &str, label: &str, meta: &str, args: &str) -> String {
    format!(
        "\nlist \"{ty}\" \"{label}\" {{\n{}  config {{\n{}  }}\n}}\n",
        indent(meta, "  "),
        indent(args, "    ")
    )
}

/// An HCL string literal (escapes `"` and `\`; `${`/`%{` are escaped too).
pub fn string(s: &str) -> String {
    let mut out = String::from("\"");
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A configuration declaring `per_cluster` DWS snapshots on each of
/// `dws` and `per_cluster` CSS index snapshots on each of `css`, named
/// `{prefix}-d-N` / `{prefix}-c-N`, with the documented split providers;
/// `extra` goes inside both resource blocks.
pub fn snapshots_config(
    dws: &[String],
    css: &[String],
    per_cluster: usize,
    prefix: &str,
    extra: &str,
) -> String {
    let list = |ids: &[String]| {
        ids.iter()
            .map(|id| format!("\"{id}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut text = required_providers(&["dws", "css"]);
    text.push_str(&format!(
        "\nlocals {{\n  dws = [{}]\n  css = [{}]\n}}\n",
        list(dws),
        list(css)
    ));
    for (kind, ids, letter, local) in [(DWS, dws, "d", "dws"), (CSS, css, "c", "css")] {
        if ids.is_empty() {
            continue;
        }
        text.push_str(&format!(
            "\nresource \"{}\" \"{letter}\" {{\n  count      = {}\n  \
             cluster_id = local.{local}[count.index % {}]\n  name       = \"{prefix}-{letter}-${{count.index}}\"\n{extra}}}\n",
            kind.ty,
            per_cluster * ids.len(),
            ids.len()
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_literals() {
        assert_eq!(
            required_providers(&["dws"]),
            "terraform {\n  required_providers {\n    dws = { source = \"hwsnap/dws\" }\n  }\n}\n"
        );
        assert_eq!(string(r#"a "b" \ ${x}"#), r#""a \"b\" \\ $${x}""#);
        assert_eq!(CSS.import_id("c", "s"), "c/s");
        assert!(snapshots_config(&["x".into()], &[], 2, "p", "").contains("count      = 2"));
        assert_eq!(
            list_block(
                "dws_snapshot",
                "l",
                "provider = dws\n",
                &arg("status", "AVAILABLE")
            ),
            "\nlist \"dws_snapshot\" \"l\" {\n  provider = dws\n  config {\n    status = \"AVAILABLE\"\n  }\n}\n"
        );
        assert_eq!(
            data_block("dws_snapshots", "d", &arg("type", "AUTO")),
            "\ndata \"dws_snapshots\" \"d\" {\n  type = \"AUTO\"\n}\n"
        );
    }
}
