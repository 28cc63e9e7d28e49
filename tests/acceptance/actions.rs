//! Actions (Terraform 1.14+) with Terraform 1.15 against the emulator:
//! `terraform apply -invoke=action.…` and `action_trigger` on a
//! `terraform_data`; `keep_last`, CSS index snapshots and restores,
//! failures (unknown cluster, a snapshot that ends failed, a failed
//! restore), Ctrl-C during the wait, a create whose answer is lost, and
//! every validation rule with no API call. Terraform 1.11 ignores the action
//! schemas; the rest of the suite runs it against the same binaries.

use std::time::Duration;

use serde_json::{Value, json};

use super::examples::{copy_example, examples_root};
use super::interrupts::{Spawned, interrupt, wait_until};
use crate::support::hcl::{required_providers, string};
use crate::support::{Emulator, EmulatorOptions, Run, TerraformCli, Workdir, terraform_clis};

/// The newest CLI: actions need Terraform 1.14 or later.
fn cli() -> &'static TerraformCli {
    terraform_clis()
        .iter()
        .find(|c| (c.major, c.minor) >= (1, 14))
        .unwrap_or_else(|| panic!("no Terraform CLI with actions (1.14+) installed"))
}

/// An `action "TYPE" "LABEL" { config { … } }` block; `config` holds
/// `(attribute, HCL expression)` pairs.
fn action(ty: &str, label: &str, config: &[(&str, String)]) -> String {
    let lines: String = config
        .iter()
        .map(|(k, v)| format!("    {k} = {v}\n"))
        .collect();
    format!("\naction \"{ty}\" \"{label}\" {{\n  config {{\n{lines}  }}\n}}\n")
}

fn apply_args(action: &str) -> Vec<String> {
    [
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        &format!("-invoke=action.{action}"),
    ]
    .map(str::to_owned)
    .to_vec()
}

/// `terraform apply -invoke=action.ACTION`, expected to succeed.
fn invoke(wd: &Workdir, action: &str) -> Run {
    let args = apply_args(action);
    wd.expect_success(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// `terraform apply -invoke=action.ACTION`, expected to fail.
fn invoke_failure(wd: &Workdir, action: &str) -> Run {
    let args = apply_args(action);
    wd.expect_failure(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// The progress messages Terraform printed for `action` (`TYPE.LABEL`),
/// in order: the text after `Action action.TYPE.LABEL (triggered by …): `.
fn progress(output: &str, action: &str) -> Vec<String> {
    let head = format!("Action action.{action} (triggered by ");
    output
        .lines()
        .filter_map(|l| l.strip_prefix(&head))
        .filter_map(|rest| rest.split_once("): ").map(|(_, m)| m.to_owned()))
        .collect()
}

/// The ID in a progress message: `dws snapshot NAME (ID): …`.
fn id_in(message: &str) -> String {
    let (_, rest) = message
        .split_once(" (")
        .unwrap_or_else(|| panic!("no ID in {message:?}"));
    let (id, _) = rest
        .split_once("): ")
        .unwrap_or_else(|| panic!("no ID in {message:?}"));
    id.to_owned()
}

/// The name in a progress message: `dws snapshot NAME (ID): …`.
fn name_in(message: &str, label: &str) -> String {
    let rest = message
        .strip_prefix(&format!("{label} "))
        .unwrap_or_else(|| panic!("{message:?} does not start with {label:?}"));
    rest.split([' ', ':'])
        .next()
        .unwrap_or_else(|| panic!("no name in {message:?}"))
        .to_owned()
}

/// The emulator's snapshots of `key` (`dws_snapshots`/`css_snapshots`) on
/// `cluster`.
fn on_cluster(emu: &Emulator, key: &str, cluster: &str) -> Vec<Value> {
    let field = if key == "dws_snapshots" {
        "cluster_id"
    } else {
        "clusterId"
    };
    emu.snapshots(key)
        .into_iter()
        .filter(|s| s[field] == cluster)
        .collect()
}

fn snapshot(emu: &Emulator, key: &str, id: &str) -> Option<Value> {
    emu.snapshots(key).into_iter().find(|s| s["id"] == id)
}

/// `name` is `prefix` followed by a UTC timestamp (`20261202T013512Z`, or
/// lower case).
fn is_stamped(name: &str, prefix: &str, lowercase: bool) -> bool {
    let Some(stamp) = name.strip_prefix(prefix) else {
        return false;
    };
    let (t, z) = if lowercase { ('t', 'z') } else { ('T', 'Z') };
    let b: Vec<char> = stamp.chars().collect();
    b.len() == 16
        && b[8] == t
        && b[15] == z
        && b[..8].iter().chain(&b[9..15]).all(char::is_ascii_digit)
}

/// The manual DWS snapshots of `cluster` named `prefix…`.
fn prefixed(emu: &Emulator, cluster: &str, prefix: &str) -> Vec<Value> {
    on_cluster(emu, "dws_snapshots", cluster)
        .into_iter()
        .filter(|s| {
            s["type"] == "MANUAL" && s["name"].as_str().is_some_and(|n| n.starts_with(prefix))
        })
        .collect()
}

fn ids(snapshots: &[Value]) -> Vec<String> {
    let mut ids: Vec<String> = snapshots
        .iter()
        .map(|s| s["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    ids.sort();
    ids
}

#[test]
fn actions_invoke_three_times_keeps_the_last_two() {
    let emu = Emulator::start(
        EmulatorOptions::default()
            .create_seconds(1.0)
            .clusters(2, 1),
    );
    let (c1, c2) = (emu.dws_clusters()[0].clone(), emu.dws_clusters()[1].clone());
    let by_hand = emu.add_snapshot("dws", &c1, "made-by-hand");
    let automatic = emu.add_automatic_snapshot("dws", &c1, "pre-upgrade-automatic", None);
    let elsewhere = emu.add_snapshot("dws", &c2, "pre-upgrade-elsewhere");
    let wd = Workdir::new(cli(), &emu);
    let config = [
        ("cluster_id", string(&c1)),
        ("name_prefix", string("pre-upgrade-")),
        ("description", string("before the upgrade")),
        ("keep_last", "2".to_owned()),
    ];
    let main = required_providers(&["dws"]) + &action("dws_create_snapshot", "pre", &config);
    wd.write("main.tf", &main);

    let mut made: Vec<(String, String)> = Vec::new();
    for run in 1..=3 {
        let out = invoke(&wd, "dws_create_snapshot.pre");
        let lines = progress(&out.stdout, "dws_create_snapshot.pre");
        let last = lines
            .last()
            .unwrap_or_else(|| panic!("no progress:\n{out}"));
        assert!(last.contains(": AVAILABLE after "), "{lines:#?}");
        let (id, name) = (id_in(last), name_in(last, "dws snapshot"));
        // The run returned only once its snapshot was AVAILABLE.
        let s = snapshot(&emu, "dws_snapshots", &id)
            .unwrap_or_else(|| panic!("run {run}: {id} is not in the cloud"));
        assert_eq!(
            (&s["status"], &s["name"], &s["description"]),
            (
                &json!("AVAILABLE"),
                &json!(name),
                &json!("before the upgrade")
            ),
            "run {run}"
        );
        assert!(is_stamped(&name, "pre-upgrade-", false), "{name}");
        assert_eq!(
            lines[0],
            format!("dws snapshot {name}: creating on cluster {c1}")
        );
        assert!(
            lines.contains(&format!(
                "dws snapshot {name} ({id}): created, waiting until AVAILABLE"
            )),
            "{lines:#?}"
        );
        if run == 3 {
            let (old_id, old_name) = &made[0];
            let deleted = format!("dws snapshot {old_name} ({old_id}): deleted (keep_last = 2)");
            assert!(lines.contains(&deleted), "{deleted:?} not in {lines:#?}");
        }
        made.push((id, name));
        let kept = prefixed(&emu, &c1, "pre-upgrade-");
        assert_eq!(kept.len(), run.min(2), "after run {run}: {kept:#?}");
    }
    let distinct: std::collections::BTreeSet<&String> = made.iter().map(|(_, n)| n).collect();
    assert_eq!(distinct.len(), 3, "a name per invocation: {made:?}");

    // The two newest remain; nothing else was touched.
    let mut want = vec![by_hand, automatic, made[1].0.clone(), made[2].0.clone()];
    want.sort();
    assert_eq!(ids(&on_cluster(&emu, "dws_snapshots", &c1)), want);
    assert!(snapshot(&emu, "dws_snapshots", &elsewhere).is_some());
}

#[test]
fn actions_before_update_on_terraform_data() {
    let emu = Emulator::start(EmulatorOptions::default().create_seconds(0.5));
    let cluster = emu.dws_clusters()[0].clone();
    let wd = Workdir::new(cli(), &emu);
    let config = [
        ("cluster_id", "var.cluster_id".to_owned()),
        ("name_prefix", string("before-release-")),
    ];
    let main = required_providers(&["dws"])
        + "\nvariable \"cluster_id\" {\n  type = string\n}\n\nvariable \"release\" {\n  type = string\n}\n"
        + &action("dws_create_snapshot", "before_release", &config)
        + r#"
resource "terraform_data" "release" {
  input = var.release

  lifecycle {
    action_trigger {
      events  = [before_update]
      actions = [action.dws_create_snapshot.before_release]
    }
  }
}
"#;
    wd.write("main.tf", &main);
    let apply = |release: &str| {
        let vars = [
            format!("-var=cluster_id={cluster}"),
            format!("-var=release={release}"),
        ];
        let mut args = vec!["apply", "-auto-approve", "-input=false", "-no-color"];
        args.extend(vars.iter().map(String::as_str));
        wd.expect_success(&args)
    };

    let first = apply("v1");
    assert!(!first.stdout.contains("Action started"), "{first}");
    assert!(
        emu.snapshots("dws_snapshots").is_empty(),
        "created: no trigger"
    );

    let update = apply("v2");
    let lines = progress(&update.stdout, "dws_create_snapshot.before_release");
    assert!(
        update.stdout.contains(
            "Action action.dws_create_snapshot.before_release (triggered by terraform_data.release): dws snapshot before-release-"
        ),
        "{update}"
    );
    let last = lines.last().unwrap_or_else(|| panic!("{update}"));
    assert!(last.contains(": AVAILABLE after "), "{lines:#?}");
    let made = emu.snapshots("dws_snapshots");
    assert_eq!(made.len(), 1, "exactly one snapshot per update: {made:#?}");
    assert_eq!(made[0]["id"], id_in(last).as_str());
    assert_eq!(made[0]["status"], "AVAILABLE");
    // The action ran before the update it guards.
    let (action_at, update_at) = (
        update.stdout.find("Action complete").unwrap_or(usize::MAX),
        update
            .stdout
            .find("terraform_data.release: Modifying")
            .unwrap_or(0),
    );
    assert!(action_at < update_at, "{update}");

    let again = apply("v2");
    assert!(!again.stdout.contains("Action started"), "{again}");
    assert_eq!(emu.snapshots("dws_snapshots").len(), 1);
}

#[test]
fn actions_css_create_index_snapshot_with_indices() {
    let emu = Emulator::start(EmulatorOptions::default().create_seconds(0.5));
    let cluster = emu.css_clusters()[0].clone();
    let wd = Workdir::new(cli(), &emu);
    let exact = [
        ("cluster_id", string(&cluster)),
        ("name", string("logs-before-upgrade")),
        ("indices", string("logs-*,audit")),
        ("description", string("the logs")),
    ];
    let stamped = [
        ("cluster_id", string(&cluster)),
        ("name_prefix", string("audit-")),
        ("indices", string("audit")),
        ("keep_last", "1".to_owned()),
    ];
    let main = required_providers(&["css"])
        + &action("css_create_index_snapshot", "exact", &exact)
        + &action("css_create_index_snapshot", "stamped", &stamped);
    wd.write("main.tf", &main);

    let out = invoke(&wd, "css_create_index_snapshot.exact");
    let lines = progress(&out.stdout, "css_create_index_snapshot.exact");
    let last = lines.last().unwrap_or_else(|| panic!("{out}"));
    assert!(
        last.starts_with("css index snapshot logs-before-upgrade (")
            && last.contains(": COMPLETED after "),
        "{lines:#?}"
    );
    let s = snapshot(&emu, "css_snapshots", &id_in(last)).unwrap_or_else(|| panic!("{last}"));
    assert_eq!(
        (&s["name"], &s["indices"], &s["status"], &s["description"]),
        (
            &json!("logs-before-upgrade"),
            &json!("logs-*,audit"),
            &json!("COMPLETED"),
            &json!("the logs")
        )
    );

    // Lower-case names, timestamp included; keep_last = 1 keeps the
    // newest "audit-…" only and never the other snapshot.
    let mut made = Vec::new();
    for _ in 0..2 {
        let out = invoke(&wd, "css_create_index_snapshot.stamped");
        let lines = progress(&out.stdout, "css_create_index_snapshot.stamped");
        let last = lines.last().unwrap_or_else(|| panic!("{out}"));
        let name = name_in(last, "css index snapshot");
        assert!(is_stamped(&name, "audit-", true), "{name}");
        made.push(id_in(last));
    }
    let left = ids(&on_cluster(&emu, "css_snapshots", &cluster));
    let mut want = vec![
        s["id"].as_str().unwrap_or_default().to_owned(),
        made[1].clone(),
    ];
    want.sort();
    assert_eq!(left, want);
}

#[test]
fn actions_css_restore_into_another_cluster() {
    let emu = Emulator::start(
        EmulatorOptions::default()
            .create_seconds(1.0)
            .clusters(1, 2),
    );
    let (source, target) = (emu.css_clusters()[0].clone(), emu.css_clusters()[1].clone());
    let snap = emu.add_snapshot("css", &source, "nightly");
    let wd = Workdir::new(cli(), &emu);
    let config = [
        ("cluster_id", string(&source)),
        ("snapshot_id", string(&snap)),
        ("target_cluster_id", string(&target)),
        ("indices", string("logs-*")),
        ("rename_pattern", string("logs-(.+)")),
        ("rename_replacement", string("restored-$1")),
    ];
    let main = required_providers(&["css"]) + &action("css_restore_index_snapshot", "r", &config);
    wd.write("main.tf", &main);
    let what = format!("css restore of snapshot {snap} into cluster {target}");

    let out = invoke(&wd, "css_restore_index_snapshot.r");
    let lines = progress(&out.stdout, "css_restore_index_snapshot.r");
    assert_eq!(lines.first(), Some(&format!("{what}: starting")), "{out}");
    let last = lines.last().unwrap_or_else(|| panic!("{out}"));
    assert!(
        last.starts_with(&format!("{what}: SUCCESS after ")),
        "{lines:#?}"
    );
    let restores = emu.state()["css_restores"].take();
    assert_eq!(
        restores,
        json!([{"snapshot_id": snap, "cluster_id": source, "target_cluster": target,
            "indices": "logs-*", "rename_pattern": "logs-(.+)",
            "rename_replacement": "restored-$1", "replace_exist_indices": false,
            "status": "success"}])
    );
    assert_eq!(emu.request_count("css.restore_snapshot", Some(&source)), 1);

    // A forced failure is an error naming the snapshot, and the last
    // progress line says so too.
    emu.set_restore_outcome(&source, "failed", 1);
    let out = invoke_failure(&wd, "css_restore_index_snapshot.r");
    let text = out.output();
    assert!(text.contains("Error when invoking action"), "{out}");
    assert!(
        text.contains(&format!(
            "The restore of CSS index snapshot {snap} into cluster {target} ended in status FAILED"
        )),
        "{out}"
    );
    let lines = progress(&out.stdout, "css_restore_index_snapshot.r");
    let last = lines.last().unwrap_or_else(|| panic!("{out}"));
    assert!(
        last.starts_with(&format!("{what}: FAILED after ")),
        "{lines:#?}"
    );
    assert_eq!(emu.state()["css_restores"][0]["status"], "failed");
}

#[test]
fn actions_on_a_cluster_that_does_not_exist_make_nothing() {
    let emu = Emulator::start(EmulatorOptions::default());
    let missing = "0badc0de-0000-4000-8000-000000000000";
    let css = emu.css_clusters()[0].clone();
    let snap = emu.add_snapshot("css", &css, "nightly");
    let wd = Workdir::new(cli(), &emu);
    let main = required_providers(&["dws", "css"])
        + &action(
            "dws_create_snapshot",
            "d",
            &[("cluster_id", string(missing)), ("name", string("nightly"))],
        )
        + &action(
            "css_create_index_snapshot",
            "c",
            &[("cluster_id", string(missing)), ("name", string("nightly"))],
        )
        + &action(
            "css_restore_index_snapshot",
            "r",
            &[
                ("cluster_id", string(&css)),
                ("snapshot_id", string(&snap)),
                ("target_cluster_id", string(missing)),
            ],
        );
    wd.write("main.tf", &main);
    for (address, error, attribute) in [
        (
            "dws_create_snapshot.d",
            format!("Error: DWS cluster {missing} not found"),
            "cluster_id",
        ),
        (
            "css_create_index_snapshot.c",
            format!("Error: CSS cluster {missing} not found"),
            "cluster_id",
        ),
        (
            "css_restore_index_snapshot.r",
            format!("Error: CSS cluster {missing} not found"),
            "target_cluster_id",
        ),
    ] {
        let out = invoke_failure(&wd, address);
        let text = out.output();
        assert!(text.contains(&error), "{address}: {out}");
        assert!(
            text.contains(&format!("{attribute} = ")),
            "{address}: points at {attribute}: {out}"
        );
        assert!(!text.contains("Action started"), "{address}: {out}");
    }
    assert!(emu.snapshots("dws_snapshots").is_empty());
    assert_eq!(
        emu.snapshots("css_snapshots").len(),
        1,
        "only the hand-made one"
    );
    for op in [
        "dws.create_snapshot",
        "css.create_snapshot",
        "css.restore_snapshot",
    ] {
        assert_eq!(emu.request_count(op, None), 0, "{op}");
    }
}

#[test]
fn actions_a_snapshot_that_ends_failed_is_an_error_naming_it() {
    let emu = Emulator::start(EmulatorOptions::default().create_seconds(0.5));
    let (dws, css) = (emu.dws_clusters()[0].clone(), emu.css_clusters()[0].clone());
    for (cluster, status) in [(&dws, "UNAVAILABLE"), (&css, "FAILED")] {
        emu.control(
            "POST",
            &format!("clusters/{cluster}/outcomes"),
            Some(json!({ "status": status })),
        );
    }
    let wd = Workdir::new(cli(), &emu);
    let main = required_providers(&["dws", "css"])
        + &action(
            "dws_create_snapshot",
            "d",
            &[("cluster_id", string(&dws)), ("name", string("doomed"))],
        )
        + &action(
            "css_create_index_snapshot",
            "c",
            &[("cluster_id", string(&css)), ("name", string("doomed"))],
        );
    wd.write("main.tf", &main);
    for (address, key, kind, status) in [
        (
            "dws_create_snapshot.d",
            "dws_snapshots",
            "DWS snapshot",
            "UNAVAILABLE",
        ),
        (
            "css_create_index_snapshot.c",
            "css_snapshots",
            "CSS index snapshot",
            "FAILED",
        ),
    ] {
        let out = invoke_failure(&wd, address);
        let made = emu.snapshots(key);
        assert_eq!(made.len(), 1, "{made:#?}");
        let id = made[0]["id"].as_str().unwrap_or_default().to_owned();
        assert_eq!(made[0]["status"], status);
        let text = out.output().replace('\n', " ");
        assert!(
            text.contains(&format!("{kind} doomed ({id}) ended in status {status}")),
            "{address}: {out}"
        );
        assert!(text.contains("It stays in the cloud"), "{out}");
        let lines = progress(&out.stdout, address);
        let last = lines.last().unwrap_or_else(|| panic!("{out}"));
        assert!(
            last.contains(&format!("({id}): {status} after ")),
            "{lines:#?}"
        );
    }
}

#[test]
fn actions_ctrl_c_during_the_wait_ends_promptly_naming_the_snapshot() {
    let emu = Emulator::start(EmulatorOptions::default().create_seconds(60.0));
    let cluster = emu.dws_clusters()[0].clone();
    let wd = Workdir::new(cli(), &emu);
    let config = [
        ("cluster_id", string(&cluster)),
        ("name_prefix", string("interrupted-")),
    ];
    let main = required_providers(&["dws"]) + &action("dws_create_snapshot", "slow", &config);
    wd.write("main.tf", &main);
    let args = apply_args("dws_create_snapshot.slow");
    let mut apply = Spawned(wd.spawn(&args.iter().map(String::as_str).collect::<Vec<_>>()));
    wait_until(
        Duration::from_secs(60),
        "the snapshot's ID in the output",
        || {
            wd.read("spawned.stdout")
                .contains("created, waiting until AVAILABLE")
        },
    );
    let made = emu.snapshots("dws_snapshots");
    assert_eq!(made.len(), 1);
    let id = made[0]["id"].as_str().unwrap_or_default().to_owned();

    let (stopped, output) = interrupt(&mut apply, &wd);
    assert!(!output.contains("TERRAFORM CRASH"), "{output}");
    let flat = output.replace('\n', " ");
    assert!(
        flat.contains("Stopped waiting for DWS snapshot interrupted-"),
        "{output}"
    );
    assert!(
        flat.contains(&format!("({id})")),
        "the ID is reported:\n{output}"
    );
    assert!(flat.contains("It stays in the cloud"), "{output}");
    // What was made is still there, still being made.
    assert_eq!(
        snapshot(&emu, "dws_snapshots", &id).map(|s| s["status"].clone()),
        Some(json!("CREATING"))
    );
    println!(
        "{}: an invoke stopped {:.2} s after SIGINT",
        cli().label(),
        stopped.as_secs_f64()
    );
}

#[test]
fn actions_a_create_whose_answer_is_lost_adopts_by_name() {
    let emu = Emulator::start(EmulatorOptions::default().create_seconds(0.5));
    let cluster = emu.dws_clusters()[0].clone();
    emu.add_fault(
        json!({"path": "/snapshots$", "method": "POST", "kind": "drop_after", "count": 1}),
    );
    let wd = Workdir::new(cli(), &emu);
    let config = [
        ("cluster_id", string(&cluster)),
        ("name", string("once-only")),
    ];
    let main = required_providers(&["dws"]) + &action("dws_create_snapshot", "once", &config);
    wd.write("main.tf", &main);
    let out = invoke(&wd, "dws_create_snapshot.once");
    let lines = progress(&out.stdout, "dws_create_snapshot.once");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("adopted (an earlier attempt of this create made it)")),
        "{lines:#?}"
    );
    let made = emu.snapshots("dws_snapshots");
    assert_eq!(made.len(), 1, "{made:#?}");
    assert_eq!(made[0]["status"], "AVAILABLE");
    assert_eq!(
        emu.request_count("dws.create_snapshot", None),
        1,
        "never sent twice"
    );
}

/// One broken action block: its label, and the error summary it must get.
struct Rule {
    ty: &'static str,
    label: &'static str,
    config: Vec<(&'static str, String)>,
    error: &'static str,
}

fn rules(dws: &str, css: &str) -> Vec<Rule> {
    let s = |v: &str| string(v);
    let uuid = "6c3b1e34-1fbb-4b4e-9ae9-20d2cfc0e2fd";
    let dws_rule = |label, extra: Vec<(&'static str, String)>, error| {
        let mut config = vec![("cluster_id", s(dws))];
        config.extend(extra);
        Rule {
            ty: "dws_create_snapshot",
            label,
            config,
            error,
        }
    };
    let css_rule = |label, extra: Vec<(&'static str, String)>, error| {
        let mut config = vec![("cluster_id", s(css))];
        config.extend(extra);
        Rule {
            ty: "css_create_index_snapshot",
            label,
            config,
            error,
        }
    };
    let restore_rule = |label, extra: Vec<(&'static str, String)>, error| {
        let mut config = vec![("cluster_id", s(css)), ("snapshot_id", s(uuid))];
        config.extend(extra);
        Rule {
            ty: "css_restore_index_snapshot",
            label,
            config,
            error,
        }
    };
    let over = "p".repeat(49);
    vec![
        dws_rule(
            "both_names",
            vec![("name", s("abcd")), ("name_prefix", s("p-"))],
            "Conflicting name and name_prefix",
        ),
        dws_rule("no_name", vec![], "Missing name or name_prefix"),
        dws_rule(
            "keep_last_with_name",
            vec![("name", s("abcd")), ("keep_last", "2".into())],
            "keep_last needs name_prefix",
        ),
        dws_rule(
            "keep_last_zero",
            vec![("name_prefix", s("p-")), ("keep_last", "0".into())],
            "Invalid value for keep_last",
        ),
        dws_rule(
            "prefix_too_long",
            vec![("name_prefix", s(&over))],
            "Invalid value for name_prefix",
        ),
        dws_rule(
            "prefix_digit",
            vec![("name_prefix", s("1-"))],
            "Invalid value for name_prefix",
        ),
        dws_rule(
            "name_short",
            vec![("name", s("abc"))],
            "Invalid value for name",
        ),
        dws_rule(
            "description_chars",
            vec![("name", s("abcd")), ("description", s("a<b"))],
            "Invalid value for description",
        ),
        dws_rule(
            "timeout_word",
            vec![("name", s("abcd")), ("timeout", s("soon"))],
            "Invalid value for timeout",
        ),
        dws_rule(
            "timeout_zero",
            vec![("name", s("abcd")), ("timeout", s("0s"))],
            "Invalid value for timeout",
        ),
        Rule {
            ty: "dws_create_snapshot",
            label: "cluster_not_a_uuid",
            config: vec![("cluster_id", s("my-cluster")), ("name", s("abcd"))],
            error: "Invalid value for cluster_id",
        },
        css_rule(
            "css_both_names",
            vec![("name", s("abcd")), ("name_prefix", s("p-"))],
            "Conflicting name and name_prefix",
        ),
        css_rule(
            "css_upper_name",
            vec![("name", s("Nightly"))],
            "Invalid value for name",
        ),
        css_rule(
            "css_upper_prefix",
            vec![("name_prefix", s("Pre-"))],
            "Invalid value for name_prefix",
        ),
        css_rule(
            "css_prefix_too_long",
            vec![("name_prefix", s(&over))],
            "Invalid value for name_prefix",
        ),
        css_rule(
            "css_indices",
            vec![("name", s("abcd")), ("indices", s("logs,,audit"))],
            "Invalid value for indices",
        ),
        css_rule(
            "css_keep_last_with_name",
            vec![("name", s("abcd")), ("keep_last", "1".into())],
            "keep_last needs name_prefix",
        ),
        restore_rule(
            "rename_alone",
            vec![("rename_pattern", s("logs-(.+)"))],
            "rename_pattern needs rename_replacement",
        ),
        restore_rule(
            "replacement_alone",
            vec![("rename_replacement", s("r-$1"))],
            "rename_replacement needs rename_pattern",
        ),
        restore_rule(
            "rename_spaces",
            vec![
                ("rename_pattern", s("Logs (.+)")),
                ("rename_replacement", s("r-$1")),
            ],
            "Invalid value for rename_pattern",
        ),
        restore_rule(
            "restore_indices",
            vec![("indices", s("A"))],
            "Invalid value for indices",
        ),
        restore_rule(
            "target_not_a_uuid",
            vec![("target_cluster_id", s("other"))],
            "Invalid value for target_cluster_id",
        ),
        restore_rule(
            "restore_timeout",
            vec![("timeout", s("1 hour"))],
            "Invalid value for timeout",
        ),
        Rule {
            ty: "css_restore_index_snapshot",
            label: "snapshot_not_a_uuid",
            config: vec![("cluster_id", s(css)), ("snapshot_id", s("latest"))],
            error: "Invalid value for snapshot_id",
        },
    ]
}

/// The `(summary, action address)` of each error in Terraform's output.
fn errors_by_action(output: &str) -> Vec<(String, String)> {
    output
        .split("Error: ")
        .skip(1)
        .filter_map(|chunk| {
            let summary = chunk.lines().next()?.trim().to_owned();
            let with = chunk
                .lines()
                .find_map(|l| l.trim().strip_prefix("with action."))?;
            Some((summary, with.trim_end_matches(',').to_owned()))
        })
        .collect()
}

#[test]
fn actions_every_validation_rule_with_no_api_call() {
    let emu = Emulator::start(EmulatorOptions::default());
    let (dws, css) = (emu.dws_clusters()[0].clone(), emu.css_clusters()[0].clone());
    let wd = Workdir::new(cli(), &emu);
    let rules = rules(&dws, &css);
    let longest = "p".repeat(48);
    let mut main = required_providers(&["dws", "css"]);
    for r in &rules {
        main.push_str(&action(r.ty, r.label, &r.config));
    }
    // The longest prefixes that still make a valid name are fine.
    main.push_str(&action(
        "dws_create_snapshot",
        "longest_prefix",
        &[
            ("cluster_id", string(&dws)),
            ("name_prefix", string(&longest)),
            ("keep_last", "3".into()),
            ("timeout", string("1h30m")),
        ],
    ));
    main.push_str(&action(
        "css_create_index_snapshot",
        "css_longest_prefix",
        &[
            ("cluster_id", string(&css)),
            ("name_prefix", string(&longest)),
            ("indices", string("logs-*,audit")),
        ],
    ));
    wd.write("main.tf", &main);

    let out = invoke_failure(&wd, "dws_create_snapshot.longest_prefix");
    let found = errors_by_action(&out.output());
    for r in &rules {
        let want = (r.error.to_owned(), format!("{}.{}", r.ty, r.label));
        assert!(
            found.contains(&want),
            "missing {want:?} in {found:#?}\n{out}"
        );
    }
    assert_eq!(
        found.len(),
        rules.len(),
        "one error per broken block: {found:#?}"
    );
    assert!(
        !found.iter().any(|(_, a)| a.ends_with("longest_prefix")),
        "{found:#?}"
    );
    assert!(
        emu.requests().is_empty(),
        "API calls: {:#?}",
        emu.requests()
    );

    // The valid blocks alone: the same apply goes ahead (and makes calls).
    let mut valid = required_providers(&["dws", "css"]);
    valid.push_str(&action(
        "dws_create_snapshot",
        "longest_prefix",
        &[
            ("cluster_id", string(&dws)),
            ("name_prefix", string(&longest)),
        ],
    ));
    wd.write("main.tf", &valid);
    let out = invoke(&wd, "dws_create_snapshot.longest_prefix");
    let lines = progress(&out.stdout, "dws_create_snapshot.longest_prefix");
    let name = name_in(
        lines.last().unwrap_or_else(|| panic!("{out}")),
        "dws snapshot",
    );
    assert_eq!(name.len(), 64, "{name}");
}

/// `KEY = "VALUE"` lines.
fn tfvars(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k} = {}\n", string(v)))
        .collect()
}

#[test]
fn actions_examples_invoke_and_trigger() {
    let emu = Emulator::start(
        EmulatorOptions::default()
            .create_seconds(0.3)
            .clusters(1, 2),
    );
    let dws = emu.dws_clusters()[0].clone();
    let (css, staging) = (emu.css_clusters()[0].clone(), emu.css_clusters()[1].clone());
    let example = |dir: &str, vars: &[(&str, &str)]| {
        let wd = Workdir::new(cli(), &emu);
        copy_example(&wd, &examples_root().join("actions").join(dir));
        wd.write("terraform.tfvars", &tfvars(vars));
        wd
    };

    let wd = example("dws_create_snapshot", &[("dws_cluster_id", &dws)]);
    invoke(&wd, "dws_create_snapshot.before_upgrade");
    let made = emu.snapshots("dws_snapshots");
    assert_eq!(made.len(), 1);
    assert_eq!(made[0]["description"], "Taken before the version upgrade");

    let wd = example(
        "before-update",
        &[("dws_cluster_id", &dws), ("release", "1.0")],
    );
    wd.apply();
    assert_eq!(
        emu.snapshots("dws_snapshots").len(),
        1,
        "no snapshot on create"
    );
    wd.write(
        "terraform.tfvars",
        &tfvars(&[("dws_cluster_id", &dws), ("release", "1.1")]),
    );
    let out = wd.apply();
    assert!(
        out.stdout.contains("triggered by terraform_data.release"),
        "{out}"
    );
    let names: Vec<Value> = emu
        .snapshots("dws_snapshots")
        .into_iter()
        .map(|s| s["name"].clone())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(
        names.iter().any(|n| n
            .as_str()
            .is_some_and(|n| is_stamped(n, "before-release-", false))),
        "{names:?}"
    );

    let wd = example("css_create_index_snapshot", &[("css_cluster_id", &css)]);
    invoke(&wd, "css_create_index_snapshot.logs");
    let made = emu.snapshots("css_snapshots");
    assert_eq!(made.len(), 1);
    assert_eq!(made[0]["indices"], "logs-*,audit");
    let snap = made[0]["id"].as_str().unwrap_or_default().to_owned();

    let wd = example(
        "css_restore_index_snapshot",
        &[
            ("css_cluster_id", &css),
            ("css_snapshot_id", &snap),
            ("staging_cluster_id", &staging),
        ],
    );
    invoke(&wd, "css_restore_index_snapshot.into_staging");
    let restore = &emu.state()["css_restores"][0];
    assert_eq!(
        (
            &restore["target_cluster"],
            &restore["status"],
            &restore["rename_replacement"]
        ),
        (
            &json!(staging),
            &json!("success"),
            &json!("restored-logs-$1")
        )
    );
}

/// The caveat the docs explain: on Terraform 1.15 a `before_update` action
/// whose config reads the triggering resource is a cycle.
#[test]
fn actions_reading_the_triggering_resource_is_a_cycle_on_1_15() {
    let emu = Emulator::start(EmulatorOptions::default());
    let wd = Workdir::new(cli(), &emu);
    let config = [
        ("cluster_id", "terraform_data.cluster.output".to_owned()),
        ("name_prefix", string("pre-")),
    ];
    let main = required_providers(&["dws"])
        + &action("dws_create_snapshot", "pre", &config)
        + &format!(
            r#"
resource "terraform_data" "cluster" {{
  input = "{}"

  lifecycle {{
    action_trigger {{
      events  = [before_update]
      actions = [action.dws_create_snapshot.pre]
    }}
  }}
}}
"#,
            emu.dws_clusters()[0]
        );
    wd.write("main.tf", &main);
    let out = wd.expect_failure(&["plan", "-input=false", "-no-color"]);
    assert!(out.output().contains("Error: Cycle"), "{out}");
}
