//! The examples users copy must work: every directory under `examples/`
//! validates with every Terraform CLI (its `.tfquery.hcl` files too, with
//! `validate -query` on the CLIs that have it), and the quickstart and
//! single-provider examples apply, plan empty and destroy against the
//! emulator, each adopting a snapshot made out of band (`POST
//! /_emulator/snapshots`) through its import block; the query example finds
//! and adopts snapshots made out of band, and the data-source examples read
//! them. Examples with actions need Terraform 1.14: older CLIs only check
//! that they say so and are formatted; an example that needs a provider these
//! tests cannot install ([`NOT_INITIALISED`]) is checked with `terraform fmt`
//! alone. (`actions.rs` runs the action examples.)

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::query::QUERY_SINCE;
use crate::support::{Emulator, EmulatorOptions, Workdir, for_each_cli, for_each_cli_from};

/// Examples that need a provider these tests cannot install (the official
/// huaweicloud provider): documented, checked by `terraform fmt -check`.
const NOT_INITIALISED: [&str; 1] = ["actions/huaweicloud-dws-cluster"];

/// Whether an example declares `action` blocks (Terraform 1.14+).
fn uses_actions(dir: &Path) -> bool {
    fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tf"))
        .any(|p| {
            let text = fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            text.lines().any(|l| l.starts_with("action \""))
        })
}

pub(super) fn examples_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// Every directory under `examples/` holding `.tf` files, sorted.
fn example_dirs() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let mut has_tf = false;
        for entry in entries {
            let path = entry
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|x| x == "tf") {
                has_tf = true;
            }
        }
        if has_tf {
            out.push(dir.to_owned());
        }
    }
    let mut dirs = Vec::new();
    walk(&examples_root(), &mut dirs);
    dirs.sort();
    dirs
}

/// Copy the files of one example directory into the workdir.
pub(super) fn copy_example(wd: &Workdir, dir: &Path) {
    for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .path();
        if path.is_file() {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_else(|| panic!("odd file name {}", path.display()));
            let text =
                fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            wd.write(name, &text);
        }
    }
}

/// `POST /_emulator/snapshots`: a finished snapshot made outside Terraform.
fn snapshot_by_hand(emu: &Emulator, service: &str, cluster_id: &str, name: &str) -> String {
    let made = emu.control(
        "POST",
        "snapshots",
        Some(json!({"service": service, "cluster_id": cluster_id, "name": name})),
    );
    made["id"]
        .as_str()
        .unwrap_or_else(|| panic!("POST /_emulator/snapshots answered no id: {made}"))
        .to_owned()
}

fn tfvars(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k} = {}\n", Value::from(*v)))
        .collect()
}

#[test]
fn the_expected_examples_exist() {
    let root = examples_root();
    let found: Vec<String> = example_dirs()
        .iter()
        .map(|d| d.strip_prefix(&root).unwrap_or(d).display().to_string())
        .collect();
    for want in [
        "data-sources/css_index_snapshots",
        "data-sources/dws_snapshots",
        "provider",
        "query",
        "quickstart",
        "resources/css_index_snapshot",
        "resources/dws_snapshot",
        "single-provider",
        "actions/dws_create_snapshot",
        "actions/css_create_index_snapshot",
        "actions/css_restore_index_snapshot",
        "actions/before-update",
        "actions/huaweicloud-dws-cluster",
    ] {
        assert!(
            found.iter().any(|f| f == want),
            "no examples/{want}: {found:?}"
        );
    }
    for resource in ["dws_snapshot", "css_index_snapshot"] {
        let import = root.join("resources").join(resource).join("import.sh");
        let text =
            fs::read_to_string(&import).unwrap_or_else(|e| panic!("{}: {e}", import.display()));
        assert!(
            text.contains(&format!("terraform import {resource}.")),
            "{text}"
        );
        assert!(text.contains("identity = {"), "{text}");
    }
}

#[test]
fn every_example_validates() {
    let dirs = example_dirs();
    assert!(!dirs.is_empty(), "no examples found");
    for_each_cli(|cli| {
        let emu = Emulator::start(EmulatorOptions::default());
        for dir in &dirs {
            let wd = Workdir::new(cli, &emu);
            copy_example(&wd, dir);
            let rel = dir
                .strip_prefix(examples_root())
                .unwrap_or(dir)
                .display()
                .to_string();
            let with_actions = uses_actions(dir);
            if with_actions {
                let text = wd.read("main.tf")
                    + &fs::read_to_string(dir.join("provider.tf")).unwrap_or_default();
                assert!(
                    text.contains("required_version = \">= 1.14\""),
                    "examples/{rel} uses actions: it must say required_version = \">= 1.14\""
                );
            }
            if NOT_INITIALISED.contains(&rel.as_str())
                || (with_actions && (cli.major, cli.minor) < (1, 14))
            {
                let run = wd.run(&["fmt", "-check", "-diff", "-no-color"]);
                assert!(run.success(), "examples/{rel} is not formatted:\n{run}");
                continue;
            }
            let run = wd.run(&["validate", "-no-color"]);
            assert!(
                run.success() && run.stdout.contains("The configuration is valid"),
                "examples/{rel} does not validate:\n{run}"
            );
            if has_query_files(dir) && (cli.major, cli.minor) >= QUERY_SINCE {
                let run = wd.run(&["validate", "-query", "-no-color"]);
                assert!(
                    run.success() && run.stdout.contains("The configuration is valid"),
                    "the query files of examples/{rel} do not validate:\n{run}"
                );
            }
        }
    });
}

/// Whether an example directory holds `*.tfquery.hcl` files.
fn has_query_files(dir: &Path) -> bool {
    fs::read_dir(dir)
        .map(|entries| {
            entries.flatten().any(|e| {
                e.file_name()
                    .to_str()
                    .is_some_and(|n| n.ends_with(".tfquery.hcl"))
            })
        })
        .unwrap_or(false)
}

#[test]
fn query_example_finds_and_adopts_snapshots_made_by_hand() {
    assert!(has_query_files(&examples_root().join("query")));
    for_each_cli_from(QUERY_SINCE, |cli| {
        let emu = Emulator::start(EmulatorOptions::default());
        let dws = emu.dws_clusters()[0].clone();
        let css = emu.css_clusters()[0].clone();
        let nightly = snapshot_by_hand(&emu, "dws", &dws, "nightly-01");
        snapshot_by_hand(&emu, "dws", &dws, "weekly-01");
        let automatic = emu.add_automatic_snapshot("css", &css, "snapshot-auto-1", None);
        snapshot_by_hand(&emu, "css", &css, "by-hand");
        let wd = Workdir::new(cli, &emu);
        copy_example(&wd, &examples_root().join("query"));
        let vars = [
            format!("-var=dws_cluster_id={dws}"),
            format!("-var=css_cluster_id={css}"),
        ];
        let run = wd.expect_success(&[
            "query",
            "-no-color",
            "-generate-config-out=adopted.tf",
            &vars[0],
            &vars[1],
        ]);
        for id in [&nightly, &automatic] {
            assert!(run.stdout.contains(id.as_str()), "{id} not found:\n{run}");
        }
        let adopted = wd.read("adopted.tf");
        assert_eq!(adopted.matches("\nimport {").count(), 2, "{adopted}");
        let applied = wd.apply();
        assert!(
            applied
                .stdout
                .contains("2 imported, 0 added, 0 changed, 0 destroyed"),
            "{applied}"
        );
        assert_eq!(wd.plan_exit_code(), 0);
        assert_eq!(emu.snapshots("dws_snapshots").len(), 2);
        assert_eq!(emu.snapshots("css_snapshots").len(), 2);
    });
}

#[test]
fn data_source_examples_read_snapshots_made_by_hand() {
    for_each_cli(|cli| {
        let emu = Emulator::start(EmulatorOptions::default());
        let dws = emu.dws_clusters()[0].clone();
        let css = emu.css_clusters()[0].clone();
        let nightly = snapshot_by_hand(&emu, "dws", &dws, "nightly-01");
        let dws_auto = emu.add_automatic_snapshot("dws", &dws, "auto-1", None);
        let css_auto = emu.add_automatic_snapshot("css", &css, "snapshot-auto-1", None);
        snapshot_by_hand(&emu, "css", &css, "by-hand");
        for (example, vars, want) in [
            (
                "dws_snapshots",
                tfvars(&[("dws_cluster_id", &dws)]),
                vec![
                    ("latest_nightly", json!(nightly)),
                    ("automatic_snapshot_ids", json!([dws_auto])),
                ],
            ),
            (
                "css_index_snapshots",
                tfvars(&[("css_cluster_id", &css)]),
                vec![("automatic_snapshot_ids", json!([css_auto]))],
            ),
        ] {
            let wd = Workdir::new(cli, &emu);
            copy_example(&wd, &examples_root().join("data-sources").join(example));
            wd.write("terraform.tfvars", &vars);
            wd.apply();
            let out = wd.expect_success(&["output", "-json", "-no-color"]);
            let outputs: Value =
                serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out}"));
            for (name, value) in want {
                assert_eq!(
                    outputs[name]["value"], value,
                    "{example}.{name}: {outputs:#}"
                );
            }
            if example == "css_index_snapshots" {
                assert_eq!(
                    outputs["latest_automatic"]["value"]["id"],
                    css_auto.as_str()
                );
            }
        }
    });
}

#[test]
fn quickstart_applies_adopts_plans_empty_and_destroys() {
    for_each_cli(|cli| {
        let emu = Emulator::start(EmulatorOptions::default().create_seconds(0.2));
        let dws = emu.dws_clusters()[0].clone();
        let css = emu.css_clusters()[0].clone();
        let existing = snapshot_by_hand(&emu, "dws", &dws, "made-by-hand");
        let wd = Workdir::new(cli, &emu);
        copy_example(&wd, &examples_root().join("quickstart"));
        wd.write(
            "terraform.tfvars",
            &tfvars(&[
                ("dws_cluster_id", &dws),
                ("css_cluster_id", &css),
                ("existing_dws_snapshot_id", &existing),
            ]),
        );

        let run = wd.apply();
        assert!(
            run.stdout
                .contains("1 imported, 2 added, 0 changed, 0 destroyed"),
            "{run}"
        );
        let adopted = wd.state_values("dws_snapshot.adopted");
        assert_eq!(adopted["id"], existing.as_str());
        assert_eq!(adopted["status"], "AVAILABLE");
        assert_eq!(
            wd.state_values("dws_snapshot.nightly")["status"],
            "AVAILABLE"
        );
        let logs = wd.state_values("css_index_snapshot.logs");
        assert_eq!(logs["status"], "COMPLETED");
        assert_eq!(logs["indices"], "logs-*");
        assert_eq!(emu.snapshots("dws_snapshots").len(), 2);
        assert_eq!(emu.snapshots("css_snapshots").len(), 1);

        assert_eq!(wd.plan_exit_code(), 0, "the second plan must be empty");

        wd.destroy();
        assert!(emu.snapshots("dws_snapshots").is_empty());
        assert!(emu.snapshots("css_snapshots").is_empty());
    });
}

#[test]
fn single_provider_example_applies_with_provider_arguments() {
    for_each_cli(|cli| {
        let emu = Emulator::start(EmulatorOptions::default());
        let dws = emu.dws_clusters()[0].clone();
        let css = emu.css_clusters()[0].clone();
        let existing = snapshot_by_hand(&emu, "css", &css, "made-by-hand");
        let wd = Workdir::new(cli, &emu);
        copy_example(&wd, &examples_root().join("single-provider"));
        wd.write(
            "terraform.tfvars",
            &tfvars(&[
                ("dws_cluster_id", &dws),
                ("css_cluster_id", &css),
                ("existing_css_snapshot_id", &existing),
            ]),
        );
        wd.apply();
        let adopted = wd.state_resource("css_index_snapshot.adopted");
        assert_eq!(adopted["values"]["id"], existing.as_str());
        assert_eq!(
            adopted["provider_name"], "registry.terraform.io/hwsnap/hwsnap",
            "{adopted}"
        );
        assert_eq!(emu.snapshots("css_snapshots").len(), 2);
        wd.expect_empty_plan();
        wd.destroy();
        assert!(emu.snapshots("dws_snapshots").is_empty());
        assert!(emu.snapshots("css_snapshots").is_empty());
    });
}

#[test]
fn docs_pages_show_the_examples_verbatim() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (page, example) in [
        ("docs/index.md", "examples/provider/provider.tf"),
        (
            "docs/resources/dws_snapshot.md",
            "examples/resources/dws_snapshot/main.tf",
        ),
        (
            "docs/resources/css_index_snapshot.md",
            "examples/resources/css_index_snapshot/main.tf",
        ),
        (
            "docs/actions/dws_create_snapshot.md",
            "examples/actions/dws_create_snapshot/main.tf",
        ),
        (
            "docs/actions/dws_create_snapshot.md",
            "examples/actions/before-update/main.tf",
        ),
        (
            "docs/actions/css_create_index_snapshot.md",
            "examples/actions/css_create_index_snapshot/main.tf",
        ),
        (
            "docs/actions/css_restore_index_snapshot.md",
            "examples/actions/css_restore_index_snapshot/main.tf",
        ),
        (
            "docs/data-sources/dws_snapshots.md",
            "examples/data-sources/dws_snapshots/main.tf",
        ),
        (
            "docs/data-sources/css_index_snapshots.md",
            "examples/data-sources/css_index_snapshots/main.tf",
        ),
    ] {
        let read =
            |rel: &str| fs::read_to_string(repo.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let (page_text, example_text) = (read(page), read(example));
        assert!(
            page_text.contains(&format!("```terraform\n{example_text}```")),
            "{page} must show {example} verbatim under Example Usage"
        );
    }
}
