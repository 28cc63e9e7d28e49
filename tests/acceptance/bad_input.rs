//! Bad input never reaches the cloud: a table of invalid configurations —
//! every rule of every argument of both resource types and of the provider
//! block, bad `timeouts`, bad environment fallbacks, bad import IDs (the
//! `terraform import` command and `import` blocks), the filters of the data
//! sources and of the list resources (`validate -query`, on the CLIs that
//! have it) — each fails `validate`, `plan` or `import` with a diagnostic
//! naming the attribute, and the emulator's request log stays empty.
//!
//! One emulator and one work directory per CLI; the table is walked inside,
//! so the whole file costs about a minute of CLI time per CLI.

use crate::support::hcl::{self, CSS, DWS, arg};
use crate::support::{Emulator, EmulatorOptions, TerraformCli, Workdir, for_each_cli};

const DWS_CLUSTER: &str = "44b277eb-39be-4921-be31-3d61b43651d7";
const CSS_CLUSTER: &str = "ea244205-d641-45d9-9dcb-ab2236bcd07e";

/// The header every case starts with: both split providers.
fn header() -> String {
    hcl::required_providers(&["dws", "css"])
}

/// How a case is run.
#[derive(Clone, Copy)]
enum Step {
    /// `terraform validate`.
    Validate,
    /// `terraform plan` (the provider is configured: env fallbacks, import blocks).
    Plan,
    /// `terraform import ADDRESS ID`.
    Import(&'static str, &'static str),
    /// `terraform validate -query`, the case's text in a `.tfquery.hcl`
    /// file (Terraform 1.14 and later).
    ValidateQuery,
}

/// The query file of [`Step::ValidateQuery`] cases.
const QUERY_FILE: &str = "find.tfquery.hcl";

/// One invalid configuration.
struct Case {
    what: String,
    /// The configuration after [`header`].
    hcl: String,
    /// Environment changes: `Some(v)` sets, `None` removes.
    env: Vec<(&'static str, Option<String>)>,
    step: Step,
    /// Every one of these must appear in the CLI's output.
    expect: Vec<String>,
}

impl Case {
    /// Whether Terraform configures the provider before the bad value is
    /// seen (a valid provider block, then an import ID): the configure's one
    /// credential check is then the only request allowed.
    fn configures(&self) -> bool {
        matches!(self.step, Step::Import(..)) || self.hcl.contains("import {")
    }
}

fn dws(name: &str, extra: &str) -> String {
    DWS.resource("s", DWS_CLUSTER, name, extra)
}

fn dws_in(cluster: &str, name: &str, extra: &str) -> String {
    DWS.resource("s", cluster, name, extra)
}

fn css(name: &str, extra: &str) -> String {
    CSS.resource("s", CSS_CLUSTER, name, extra)
}

fn css_in(cluster: &str, name: &str, extra: &str) -> String {
    CSS.resource("s", cluster, name, extra)
}

/// A `data "TYPE" "s"` block holding `args`.
fn data(ty: &str, args: &str) -> String {
    hcl::data_block(ty, "s", args)
}

/// A `list "TYPE" "s"` block, with its provider, whose config holds `args`.
fn list(ty: &str, args: &str) -> String {
    let provider = ty.split('_').next().unwrap_or_default();
    hcl::list_block(ty, "s", &format!("provider = {provider}\n"), args)
}

/// A valid DWS resource under a `provider "dws"` block with `body`.
fn provider(body: &str) -> String {
    format!("provider \"dws\" {{\n{body}}}\n{}", dws("good-name", ""))
}

fn case(what: impl Into<String>, step: Step, hcl: String, expect: &[&str]) -> Case {
    Case {
        what: what.into(),
        hcl,
        env: Vec::new(),
        step,
        expect: expect.iter().map(|s| s.to_string()).collect(),
    }
}

fn with_env(mut c: Case, env: &[(&'static str, Option<&str>)]) -> Case {
    c.env = env
        .iter()
        .map(|(k, v)| (*k, v.map(str::to_owned)))
        .collect();
    c
}

/// The table. Every argument's every rule appears at least once.
fn cases() -> Vec<Case> {
    use Step::*;
    let mut t = Vec::new();
    let long = |n: usize| "a".repeat(n);

    // dws_snapshot.name: 4..64 characters, a letter first, letters digits - _.
    for (why, name) in [
        ("too short", "abc".to_string()),
        ("too long", format!("a{}", long(64))),
        ("digit first", "1snap".to_string()),
        ("dash first", "-snap".to_string()),
        ("underscore first", "_snap".to_string()),
        ("a space", "snap one".to_string()),
        ("a dot", "snap.one".to_string()),
        ("non-ASCII", "snäpshot".to_string()),
        ("empty", String::new()),
    ] {
        t.push(case(
            format!("dws name {why}"),
            Validate,
            dws(&name, ""),
            &["Invalid value for name"],
        ));
    }
    // dws_snapshot.description: at most 256, none of ! < > ' = & ".
    t.push(case(
        "dws description too long",
        Validate,
        dws("good-name", &format!("  description = \"{}\"\n", long(257))),
        &["Invalid value for description"],
    ));
    for c in ['!', '<', '>', '\'', '=', '&', '"'] {
        t.push(case(
            format!("dws description with {c}"),
            Validate,
            dws(
                "good-name",
                &format!(
                    "  description = {}\n",
                    hcl::string(&format!("nightly {c} backup"))
                ),
            ),
            &["Invalid value for description"],
        ));
    }
    // dws_snapshot.cluster_id: a UUID.
    for (why, id) in [
        ("not a UUID", "my-cluster"),
        ("no dashes", "44b277eb39be4921be313d61b43651d7"),
        ("a trailing space", "44b277eb-39be-4921-be31-3d61b43651d7 "),
        ("a non-hex digit", "44b277eb-39be-4921-be31-3d61b43651dz"),
        ("empty", ""),
    ] {
        t.push(case(
            format!("dws cluster_id {why}"),
            Validate,
            dws_in(id, "good-name", ""),
            &["Invalid value for cluster_id"],
        ));
    }
    // timeouts: Go durations.
    for (op, d) in [
        ("create", "30 minutes"),
        ("create", "10"),
        ("delete", "-5m"),
        ("delete", "1x"),
    ] {
        t.push(case(
            format!("dws timeouts.{op} = {d:?}"),
            Validate,
            dws(
                "good-name",
                &format!("  timeouts {{\n    {op} = \"{d}\"\n  }}\n"),
            ),
            &[&format!("timeouts.{op}")],
        ));
    }

    // css_index_snapshot.name: 4..64, lowercase letter first, lowercase letters digits - _.
    for (why, name) in [
        ("upper case", "Nightly".to_string()),
        ("upper case inside", "nightLy".to_string()),
        ("digit first", "1nightly".to_string()),
        ("too short", "abc".to_string()),
        ("too long", long(65)),
        ("a space", "night ly".to_string()),
    ] {
        t.push(case(
            format!("css name {why}"),
            Validate,
            css(&name, ""),
            &["Invalid value for name"],
        ));
    }
    // css description: at most 256, none of < > ! = & " '.
    t.push(case(
        "css description too long",
        Validate,
        css("nightly", &format!("  description = \"{}\"\n", long(257))),
        &["Invalid value for description"],
    ));
    for c in ['<', '&', '\''] {
        t.push(case(
            format!("css description with {c}"),
            Validate,
            css(
                "nightly",
                &format!("  description = {}\n", hcl::string(&format!("a {c} b"))),
            ),
            &["Invalid value for description"],
        ));
    }
    // css indices: 1..1024, comma-separated lowercase names or `*` patterns,
    // no spaces, no empty entries, none of " \ < | > / ?.
    for (why, indices) in [
        ("empty", String::new()),
        ("upper case", "Logs-2026*".to_string()),
        ("a space after a comma", "a, b".to_string()),
        ("an empty entry", "a,,b".to_string()),
        ("a trailing comma", "logs-*,".to_string()),
        ("a leading comma", ",logs".to_string()),
        ("a slash", "logs/2026".to_string()),
        ("a question mark", "logs?".to_string()),
        ("a pipe", "a|b".to_string()),
        ("a quote", "a\"b".to_string()),
        ("a backslash", "a\\b".to_string()),
        ("angle brackets", "<logs>".to_string()),
        ("too long", format!("{},x", long(1023))),
    ] {
        t.push(case(
            format!("css indices {why}"),
            Validate,
            css(
                "nightly",
                &format!("  indices = {}\n", hcl::string(&indices)),
            ),
            &["Invalid value for indices"],
        ));
    }
    t.push(case(
        "css cluster_id not a UUID",
        Validate,
        css_in("css-cluster-1", "nightly", ""),
        &["Invalid value for cluster_id"],
    ));
    t.push(case(
        "css timeouts.create = \"forever\"",
        Validate,
        css("nightly", "  timeouts {\n    create = \"forever\"\n  }\n"),
        &["timeouts.create"],
    ));

    // The provider block.
    for (why, body, expect) in [
        (
            "region Mars",
            "  region = \"Mars\"\n",
            "Invalid value for region",
        ),
        (
            "region with underscores",
            "  region = \"ap_southeast_1\"\n",
            "Invalid value for region",
        ),
        (
            "region without a number",
            "  region = \"ap-southeast\"\n",
            "Invalid value for region",
        ),
        (
            "max_retries negative",
            "  max_retries = -1\n",
            "Invalid value for max_retries",
        ),
        (
            "max_retries too large",
            "  max_retries = 101\n",
            "Invalid value for max_retries",
        ),
        (
            "max_retries fractional",
            "  max_retries = 2.5\n",
            "Invalid value for max_retries",
        ),
        (
            "endpoint without host",
            "  endpoints {\n    dws = \"https://\"\n  }\n",
            "Invalid value for endpoints.dws",
        ),
        (
            "endpoint with only a path",
            "  endpoints {\n    css = \"http:///v1.0\"\n  }\n",
            "Invalid value for endpoints.css",
        ),
        (
            "endpoint with an unknown scheme",
            "  endpoints {\n    iam = \"ftp://iam.example.com\"\n  }\n",
            "Invalid value for endpoints.iam",
        ),
        (
            "endpoint without a scheme",
            "  endpoints {\n    css = \"css.example.com\"\n  }\n",
            "include https:// or http://",
        ),
        (
            "project_id with spaces",
            "  project_id = \"my project\"\n",
            "Invalid value for project_id",
        ),
        (
            "cloud not a domain",
            "  cloud = \"not a domain\"\n",
            "Invalid value for cloud",
        ),
    ] {
        t.push(case(
            format!("provider {why}"),
            Plan,
            provider(body),
            &[expect],
        ));
    }
    t.push(with_env(
        case(
            "provider access_key without secret_key",
            Plan,
            provider("  access_key = \"HPUAEXAMPLEAK0000001\"\n"),
            &["Missing secret_key"],
        ),
        &[("HW_SECRET_KEY", None)],
    ));
    t.push(with_env(
        case(
            "HW_SECRET_KEY without an access key",
            Plan,
            provider(""),
            &["Missing access_key"],
        ),
        &[("HW_ACCESS_KEY", None)],
    ));
    t.push(with_env(
        case(
            "HW_SECURITY_TOKEN without keys",
            Plan,
            provider(""),
            &["security_token"],
        ),
        &[
            ("HW_ACCESS_KEY", None),
            ("HW_SECRET_KEY", None),
            ("HW_SECURITY_TOKEN", Some("token-without-keys")),
        ],
    ));
    t.push(with_env(
        case(
            "no region anywhere",
            Plan,
            provider(""),
            &["Missing region"],
        ),
        &[("HW_REGION_NAME", None)],
    ));
    for (var, value, expect) in [
        (
            "HW_REGION_NAME",
            "moon",
            "Invalid region from the environment",
        ),
        (
            "HW_MAX_RETRIES",
            "many",
            "Invalid max_retries from the environment",
        ),
        (
            "HW_MAX_RETRIES",
            "1000",
            "Invalid max_retries from the environment",
        ),
        (
            "HW_MAX_RETRIES",
            "-3",
            "Invalid max_retries from the environment",
        ),
        (
            "HW_INSECURE",
            "maybe",
            "Invalid insecure from the environment",
        ),
        (
            "HW_DWS_ENDPOINT",
            "https://",
            "Invalid endpoints.dws from the environment",
        ),
        (
            "HW_DWS_ENDPOINT",
            "dws.example.com",
            "include https:// or http://",
        ),
        (
            "HW_IAM_ENDPOINT",
            "iam.example.com",
            "Invalid endpoints.iam from the environment",
        ),
        (
            "HW_SKIP_CREDENTIALS_VALIDATION",
            "maybe",
            "Invalid skip_credentials_validation from the environment",
        ),
    ] {
        t.push(with_env(
            case(
                format!("{var}={value:?}"),
                Plan,
                provider(""),
                &[expect, var],
            ),
            &[(var, Some(value))],
        ));
    }

    // Import IDs: the command and import blocks, for both types.
    t.push(case(
        "terraform import dws_snapshot with a path",
        Import("dws_snapshot.s", "44b277eb/2a4d0f86"),
        dws("good-name", ""),
        &["Invalid import ID for dws_snapshot"],
    ));
    t.push(case(
        "terraform import dws_snapshot with a malformed ID",
        Import("dws_snapshot.s", "not-an-id"),
        dws("good-name", ""),
        &[
            "Invalid import ID for dws_snapshot",
            "Expected <snapshot_id>",
            // Terraform wraps the detail; the value is quoted on its own line.
            "\"not-an-id\".",
        ],
    ));
    t.push(case(
        "terraform import css_index_snapshot with parts that are not IDs",
        Import("css_index_snapshot.s", "c/s"),
        css("nightly", ""),
        &[
            "Invalid import ID for css_index_snapshot",
            "got \"c/s\"",
            "the cluster_id \"c\" is not a UUID",
        ],
    ));
    for id in ["no-slash", "c/s/x", "/s", "c/"] {
        t.push(case(
            format!("terraform import css_index_snapshot {id:?}"),
            Import("css_index_snapshot.s", id),
            css("nightly", ""),
            &[
                "Invalid import ID for css_index_snapshot",
                "<cluster_id>/<snapshot_id>",
            ],
        ));
    }
    t.push(case(
        "import block dws_snapshot with a path",
        Plan,
        format!(
            "{}import {{\n  to = dws_snapshot.s\n  id = \"a/b\"\n}}\n",
            dws("good-name", "")
        ),
        &["Invalid import ID for dws_snapshot"],
    ));
    // The filters of the data sources (every CLI) and of the list
    // resources (validate -query): each message quotes the attribute's line.
    let filters = [
        (
            DWS,
            "a regex that does not compile",
            arg("name_regex", "nightly-("),
        ),
        (DWS, "a look-ahead regex", arg("name_regex", "(?=nightly)")),
        (DWS, "an unknown status", arg("status", "DONE")),
        (DWS, "a lower-case status", arg("status", "available")),
        (DWS, "a CSS status", arg("status", "COMPLETED")),
        (DWS, "an unknown type", arg("type", "WEEKLY")),
        (DWS, "a lower-case type", arg("type", "auto")),
        (
            DWS,
            "a malformed cluster ID",
            arg("cluster_id", "my-dws-cluster"),
        ),
        (
            DWS,
            "a cluster ID with a space",
            arg("cluster_id", &format!("{DWS_CLUSTER} ")),
        ),
        (
            CSS,
            "a regex that does not compile",
            arg("name_regex", "[a-"),
        ),
        (CSS, "a DWS status", arg("status", "AVAILABLE")),
        (
            CSS,
            "an unknown backup method",
            arg("backup_method", "weekly"),
        ),
        (
            CSS,
            "an upper-case backup method",
            arg("backup_method", "AUTO"),
        ),
        (
            CSS,
            "a malformed cluster ID",
            arg("cluster_id", "css-cluster-1"),
        ),
    ];
    for (kind, why, bad) in &filters {
        let attr = bad.split(' ').next().unwrap_or_default();
        let expect = [format!("Invalid value for {attr}"), format!("{attr} = \"")];
        let expect: Vec<&str> = expect.iter().map(String::as_str).collect();
        // CSS needs its cluster; a DWS filter is checked with one too.
        let cluster = if kind == &DWS {
            DWS_CLUSTER
        } else {
            CSS_CLUSTER
        };
        let args = match attr {
            "cluster_id" => bad.clone(),
            _ => arg("cluster_id", cluster) + bad,
        };
        let source = if kind == &DWS {
            "dws_snapshots"
        } else {
            "css_index_snapshots"
        };
        t.push(case(
            format!("data {source} with {why}"),
            Validate,
            data(source, &args),
            &expect,
        ));
        t.push(case(
            format!("list {} with {why}", kind.ty),
            ValidateQuery,
            list(kind.ty, &args),
            &expect,
        ));
    }
    let missing = ["Missing required argument", "\"cluster_id\" is required"];
    let no_cluster = arg("name_regex", "^nightly");
    t.push(case(
        "data css_index_snapshots without cluster_id",
        Validate,
        data("css_index_snapshots", &no_cluster),
        &missing,
    ));
    t.push(case(
        "list css_index_snapshot without cluster_id",
        ValidateQuery,
        list(CSS.ty, &no_cluster),
        &missing,
    ));
    t.push(case(
        "data dws_snapshots timeouts.read = \"soon\"",
        Validate,
        data("dws_snapshots", "timeouts {\n  read = \"soon\"\n}\n"),
        &["timeouts.read"],
    ));

    t.push(case(
        "import block css_index_snapshot without a cluster",
        Plan,
        format!(
            "{}import {{\n  to = css_index_snapshot.s\n  id = \"6c3b1e34-1fbb-4b4e-9ae9-20d2cfc0e2fd\"\n}}\n",
            css("nightly", "")
        ),
        &["Invalid import ID for css_index_snapshot", "<cluster_id>/<snapshot_id>"],
    ));
    t
}

/// Runs one case in `wd` (whose environment is `base` before and after);
/// returns a failure message, or `None` when the case behaved.
fn run_case(
    wd: &mut Workdir,
    base: &[(String, String)],
    emu: &Emulator,
    c: &Case,
) -> Option<String> {
    for (k, v) in &c.env {
        match v {
            Some(v) => wd.set_env(k, v),
            None => wd.remove_env(k),
        };
    }
    let query = matches!(c.step, Step::ValidateQuery);
    if query {
        wd.write("main.tf", &header());
        wd.write(QUERY_FILE, &c.hcl);
    } else {
        wd.write("main.tf", &format!("{}{}", header(), c.hcl));
    }
    let run = match c.step {
        Step::Validate => wd.run(&["validate", "-no-color"]),
        Step::ValidateQuery => wd.run(&["validate", "-query", "-no-color"]),
        Step::Plan => wd.run(&["plan", "-input=false", "-no-color"]),
        Step::Import(addr, id) => wd.run(&["import", "-input=false", "-no-color", addr, id]),
    };
    wd.remove(QUERY_FILE);
    // Back to the emulator's environment for the next case.
    for (k, _) in &c.env {
        wd.remove_env(k);
        if let Some((_, v)) = base.iter().find(|(bk, _)| bk == k) {
            wd.set_env(k, v);
        }
    }
    let out = run.output();
    let mut requests = emu.requests();
    if c.configures() {
        // The one credential check of a configured provider, nothing else.
        let checks = requests
            .iter()
            .filter(|r| r["operation"] == "iam.list_projects")
            .count();
        if checks != 1 {
            emu.clear_requests();
            return Some(format!(
                "{}: {checks} credential checks: {requests:?}",
                c.what
            ));
        }
        requests.retain(|r| r["operation"] != "iam.list_projects");
        emu.clear_requests();
    }
    if run.success() || run.timed_out {
        return Some(format!("{}: expected an error, got:\n{run}", c.what));
    }
    if out.contains("panic") || out.contains("Plugin did not respond") {
        return Some(format!("{}: the provider crashed:\n{run}", c.what));
    }
    if let Some(missing) = c.expect.iter().find(|e| !out.contains(e.as_str())) {
        return Some(format!("{}: no {missing:?} in:\n{out}", c.what));
    }
    if !requests.is_empty() {
        emu.clear_requests();
        return Some(format!(
            "{}: {} API call(s) were made: {requests:?}",
            c.what,
            requests.len()
        ));
    }
    None
}

fn walk_table(cli: &TerraformCli) {
    let emu = Emulator::start(EmulatorOptions::default());
    let mut wd = Workdir::new(cli, &emu);
    let base: Vec<(String, String)> = wd.env().to_vec();
    // List blocks exist only where `terraform query` does.
    let queries = (cli.major, cli.minor) >= super::query::QUERY_SINCE;
    let table: Vec<Case> = cases()
        .into_iter()
        .filter(|c| queries || !matches!(c.step, Step::ValidateQuery))
        .collect();
    let started = std::time::Instant::now();
    let failures: Vec<String> = table
        .iter()
        .filter_map(|c| run_case(&mut wd, &base, &emu, c))
        .collect();
    eprintln!(
        "{}: {} invalid configurations, each refused with no API call, in {:.1}s",
        cli.label(),
        table.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{} of {} invalid configurations misbehaved:\n\n{}",
        failures.len(),
        table.len(),
        failures.join("\n\n")
    );
    assert!(emu.requests().is_empty());
}

#[test]
fn invalid_configurations_fail_before_any_api_call() {
    assert!(cases().len() >= 40, "the table has {} cases", cases().len());
    for_each_cli(walk_table);
}

/// A valid configuration in the same shape passes, so the table's failures
/// are the bad values' and not the harness's.
#[test]
fn the_table_shapes_are_valid_with_good_values() {
    for_each_cli(|cli| {
        let emu = Emulator::start(EmulatorOptions::default());
        let wd = Workdir::new(cli, &emu);
        wd.write(
            "main.tf",
            &format!(
                "{}provider \"dws\" {{\n  region = \"ap-southeast-1\"\n  max_retries = 3\n}}\n{}{}",
                header(),
                dws(
                    "good-name",
                    "  description = \"nightly backup\"\n  timeouts {\n    create = \"1h30m\"\n    delete = \"90s\"\n  }\n"
                ),
                css("nightly", "  indices = \"logs-2026*,audit\"\n")
            ),
        );
        wd.expect_success(&["validate", "-no-color"]);
        assert!(emu.requests().is_empty(), "validate calls no API");
        wd.expect_success(&["plan", "-input=false", "-no-color"]);
        let requests = emu.requests();
        let operations: Vec<&str> = requests
            .iter()
            .map(|r| r["operation"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(
            operations,
            ["iam.list_projects", "iam.list_projects"],
            "a plan of new resources makes only the credential check, once per provider"
        );
        // The filters' shapes, with good values.
        emu.clear_requests();
        let dws_filters = arg("cluster_id", DWS_CLUSTER)
            + &arg("name_regex", "^nightly-[0-9]+$")
            + &arg("status", "AVAILABLE")
            + &arg("type", "AUTOMATED");
        let css_filters = arg("cluster_id", CSS_CLUSTER)
            + &arg("name_regex", "(?i)^nightly")
            + &arg("status", "PART_FAILED")
            + &arg("backup_method", "auto");
        wd.write(
            "main.tf",
            &format!(
                "{}{}{}",
                header(),
                data("dws_snapshots", &dws_filters),
                data("css_index_snapshots", &css_filters)
            ),
        );
        wd.expect_success(&["validate", "-no-color"]);
        if (cli.major, cli.minor) >= super::query::QUERY_SINCE {
            wd.write("main.tf", &header());
            wd.write(
                QUERY_FILE,
                &(list(DWS.ty, &dws_filters) + &list(CSS.ty, &css_filters)),
            );
            wd.expect_success(&["validate", "-query", "-no-color"]);
        }
        assert!(emu.requests().is_empty(), "validate calls no API");
    });
}

use hwsnap_testkit::mutator;

/// Bounded fuzzing of the import-ID parsers, through the resources' own
/// import (what `terraform import` and `import` blocks reach): never a
/// panic, and what is accepted is exactly the documented form — each part a
/// snapshot or cluster ID, which is a UUID.
mod fuzz {
    use super::mutator;
    use hwsnap::resources::{CssIndexSnapshot, DwsSnapshot};
    use hwsnap_cloud::Client;
    use hwsnap_cty::Value;
    use hwsnap_framework::Resource;

    /// The state an import ID gives, or the error diagnostic's text.
    /// `empty` is the resource's all-null object.
    fn import<R: Resource<Client>>(r: &R, empty: &Value, id: &str) -> Result<Value, String> {
        let mut state = empty.clone();
        let import = r.import().expect("the type can be imported");
        match import.apply(R::TYPE_NAME, Some(id), None, &mut state) {
            Ok(()) => Ok(state),
            Err(d) => Err(format!("{}: {}", d.summary, d.detail)),
        }
    }

    fn text(v: &Value, name: &str) -> String {
        v.get_attr(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    }

    /// 8-4-4-4-12 hex digits, written out independently of the provider.
    fn uuid_shaped(s: &str) -> bool {
        s.len() == 36
            && s.char_indices().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => c == '-',
                _ => c.is_ascii_hexdigit(),
            })
    }

    fn empty<R: Resource<Client>>() -> Value {
        hwsnap_framework::resource::schema::<Client, R>()
            .block
            .null_object()
    }

    const DICT: &[&[u8]] = &[b"/", b"//", b" ", b"\t", b"\n", b"\xc3\xa4", b"\0", b"-"];

    #[test]
    fn fuzz_dws_import_id() {
        let seeds = vec![
            b"2a4d0f86-67cd-408a-8b66-017454fb7793".to_vec(),
            b" x ".to_vec(),
        ];
        let empty = empty::<DwsSnapshot>();
        mutator::run("dws-import-id", &seeds, DICT, |input| {
            let id = String::from_utf8_lossy(input);
            let want = id.trim();
            match import(&DwsSnapshot, &empty, &id) {
                Ok(state) => {
                    assert!(!want.is_empty() && !want.contains('/'), "{id:?} accepted");
                    assert!(uuid_shaped(want), "{id:?} accepted");
                    assert_eq!(text(&state, "id"), want);
                }
                Err(e) => {
                    assert!(!uuid_shaped(want), "{id:?} refused: {e}");
                    assert!(e.contains("Invalid import ID for dws_snapshot"), "{e}");
                    assert!(e.contains("<snapshot_id>"), "{e}");
                    assert!(
                        e.contains(&format!("got {id:?}")),
                        "the value is quoted: {e}"
                    );
                }
            }
        });
    }

    #[test]
    fn fuzz_css_import_id() {
        let seeds = vec![
            b"4f3deec3-efa8-4598-bf91-560aad1377a3/6c3b1e34-1fbb-4b4e-9ae9-20d2cfc0e2fd".to_vec(),
            b"c/s".to_vec(),
        ];
        let empty = empty::<CssIndexSnapshot>();
        mutator::run("css-import-id", &seeds, DICT, |input| {
            let id = String::from_utf8_lossy(input);
            let parts: Vec<&str> = id.trim().split('/').collect();
            let valid = parts.len() == 2 && parts.iter().all(|p| uuid_shaped(p));
            match import(&CssIndexSnapshot, &empty, &id) {
                Ok(state) => {
                    let (cluster, snap) = (text(&state, "cluster_id"), text(&state, "id"));
                    assert!(!cluster.is_empty() && !snap.is_empty(), "{id:?}");
                    assert!(!snap.contains('/'), "{id:?}");
                    assert_eq!(format!("{cluster}/{snap}"), id.trim(), "{id:?}");
                    assert!(valid, "{id:?} accepted");
                }
                Err(e) => {
                    assert!(e.contains("<cluster_id>/<snapshot_id>"), "{e}");
                    assert!(
                        parts.len() != 2 || parts.iter().any(|p| p.is_empty()) || !valid,
                        "{id:?} refused: {e}"
                    );
                    assert!(
                        e.contains(&format!("got {id:?}")),
                        "the value is quoted: {e}"
                    );
                }
            }
        });
    }
}
