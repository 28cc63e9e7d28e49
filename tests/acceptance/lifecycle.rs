//! The lifecycle of each resource type in real Terraform, step by step in
//! the manner of terraform-plugin-testing: apply, empty plan, refresh,
//! replacement, drift, import three ways, destroy — with both CLIs and both
//! ways of declaring the provider.

use serde_json::{Value, json};

use crate::support::hcl::{self, CSS, DWS, Kind};
use crate::support::workdir::actions_for;
use crate::support::{Emulator, EmulatorOptions, TerraformCli, Workdir, for_each_cli};

/// How the configuration names the provider.
#[derive(Clone, Copy, PartialEq)]
enum Style {
    /// The documented default: `dws = { source = "hwsnap/dws" }` and plain resource blocks.
    Split,
    /// One `hwsnap = { source = "hwsnap/hwsnap" }` and `provider = hwsnap` everywhere.
    Single,
}

fn header(kind: Kind, style: Style) -> String {
    match style {
        Style::Split => hcl::required_providers(&[kind.local]),
        Style::Single => hcl::required_providers(&["hwsnap"]),
    }
}

fn provider_line(style: Style) -> &'static str {
    match style {
        Style::Split => "",
        Style::Single => "  provider = hwsnap\n",
    }
}

/// One snapshot resource named `s` under its header; `extra` is added inside the block.
fn resource(kind: Kind, style: Style, cluster: &str, name: &str, extra: &str) -> String {
    let body = format!("{}{extra}", provider_line(style));
    format!(
        "{}\n{}",
        header(kind, style),
        kind.resource("s", cluster, name, &body)
    )
}

fn import_block(kind: Kind, style: Style, how: &str) -> String {
    hcl::import_block(&kind.address("s"), provider_line(style), how)
}

/// The values of `address` in state, without the bookkeeping Terraform adds.
fn values(wd: &Workdir, address: &str) -> Value {
    wd.state_values(address)
}

fn lifecycle(cli: &TerraformCli, kind: Kind, style: Style) {
    let emu = Emulator::start(EmulatorOptions::default().create_seconds(0.3));
    let wd = Workdir::new(cli, &emu);
    let cluster = kind.clusters(&emu)[0].clone();
    let addr = kind.address("s");
    let config = resource(kind, style, &cluster, "snap-one", "");
    wd.write("main.tf", &config);

    // Apply: the ID is in state and the cloud has the snapshot in its final status.
    let run = wd.apply();
    assert!(
        !run.output().contains("Duplicate required provider"),
        "{run}"
    );
    let applied = values(&wd, &addr);
    let id = applied["id"].as_str().expect("id in state").to_string();
    assert_eq!(applied["status"], kind.final_status, "{applied:#}");
    assert_eq!(applied["cluster_id"], cluster.as_str());
    let snaps = emu.snapshots(kind.state_key);
    assert_eq!(snaps.len(), 1, "{snaps:#?}");
    assert_eq!(snaps[0]["id"], id.as_str());
    assert_eq!(snaps[0]["status"], kind.final_status);

    // Plan is empty, also after a refresh.
    wd.expect_empty_plan();
    wd.expect_success(&["apply", "-refresh-only", "-auto-approve", "-no-color"]);
    wd.expect_empty_plan();
    assert_eq!(values(&wd, &addr), applied, "refresh changed the state");

    // Changing the name plans exactly one replacement.
    wd.write("main.tf", &resource(kind, style, &cluster, "snap-two", ""));
    let plan = wd.plan_json();
    let mut actions = actions_for(&plan, &addr);
    actions.sort();
    assert_eq!(actions, ["create", "delete"], "{plan:#}");
    let replace_paths = plan["resource_changes"][0]["change"]["replace_paths"].clone();
    assert_eq!(replace_paths, json!([["name"]]), "{plan:#}");
    wd.write("main.tf", &config);

    // Deleted out of band: the next plan creates it again (after a warning).
    emu.control("DELETE", &format!("/_emulator/snapshots/{id}"), None);
    let plan = wd.plan_json();
    assert_eq!(actions_for(&plan, &addr), ["create"], "{plan:#}");
    wd.apply();
    let applied = values(&wd, &addr);
    let id = applied["id"].as_str().expect("new id").to_string();
    assert_eq!(emu.snapshots(kind.state_key).len(), 1);

    // Import by CLI: the imported state equals the applied one.
    wd.expect_success(&["state", "rm", "-no-color", &addr]);
    wd.import(&addr, &kind.import_id(&cluster, &id));
    assert_eq!(values(&wd, &addr), applied, "terraform import");
    wd.expect_empty_plan();

    // Import block by id.
    wd.expect_success(&["state", "rm", "-no-color", &addr]);
    let by_id = format!("id = \"{}\"", kind.import_id(&cluster, &id));
    wd.write("import.tf", &import_block(kind, style, &by_id));
    let run = wd.apply();
    assert!(run.stdout.contains("1 imported"), "{run}");
    assert_eq!(values(&wd, &addr), applied, "import block by id");

    // Import block by identity (Terraform 1.12 and later).
    if cli.minor >= 12 {
        wd.expect_success(&["state", "rm", "-no-color", &addr]);
        let by_identity = format!("identity = {}", kind.identity(&cluster, &id));
        wd.write("import.tf", &import_block(kind, style, &by_identity));
        let run = wd.apply();
        assert!(run.stdout.contains("1 imported"), "{run}");
        assert_eq!(values(&wd, &addr), applied, "import block by identity");
    }
    wd.remove("import.tf");
    wd.expect_empty_plan();

    // Destroy leaves the cloud empty.
    wd.destroy();
    assert_eq!(emu.snapshots(kind.state_key), Vec::<Value>::new());
}

#[test]
fn dws_snapshot_lifecycle() {
    for_each_cli(|cli| lifecycle(cli, DWS, Style::Split));
}

#[test]
fn css_index_snapshot_lifecycle() {
    for_each_cli(|cli| lifecycle(cli, CSS, Style::Split));
}

#[test]
fn dws_snapshot_lifecycle_single_provider() {
    for_each_cli(|cli| lifecycle(cli, DWS, Style::Single));
}

#[test]
fn css_index_snapshot_lifecycle_single_provider() {
    for_each_cli(|cli| lifecycle(cli, CSS, Style::Single));
}

/// The snapshot ends FAILED (or times out): the apply fails, and the ID is
/// in state, tainted, so nothing is orphaned and the next apply replaces it.
fn tainted_on_failure(cli: &TerraformCli, kind: Kind, timeout: bool) {
    let emu =
        Emulator::start(EmulatorOptions::default().create_seconds(if timeout { 4.0 } else { 0.2 }));
    let wd = Workdir::new(cli, &emu);
    let cluster = kind.clusters(&emu)[0].clone();
    let addr = kind.address("s");
    let extra = if timeout {
        "  timeouts {\n    create = \"1s\"\n  }\n"
    } else {
        let status = if kind == DWS { "UNAVAILABLE" } else { "FAILED" };
        emu.control(
            "POST",
            &format!("/_emulator/clusters/{cluster}/outcomes"),
            Some(json!({"status": status, "count": 1})),
        );
        ""
    };
    wd.write(
        "main.tf",
        &resource(kind, Style::Split, &cluster, "doomed", extra),
    );
    let started = std::time::Instant::now();
    let run = wd.apply_failure();
    if timeout {
        assert!(run.output().contains("Timed out waiting"), "{run}");
        assert!(
            started.elapsed().as_secs() < 4,
            "the 1s timeout took {:?}",
            started.elapsed()
        );
    } else {
        assert!(run.output().contains("ended in status"), "{run}");
    }
    let res = wd.state_resource(&addr);
    let id = res["values"]["id"].as_str().expect("ID kept in state");
    assert_eq!(res["tainted"], true, "{res:#}");
    let snaps = emu.snapshots(kind.state_key);
    assert_eq!(snaps.len(), 1);
    assert_eq!(snaps[0]["id"], id);

    // A later apply, with the cloud healthy again, replaces it cleanly.
    emu.control(
        "POST",
        "/_emulator/settings",
        Some(json!({"create_seconds": 0.2})),
    );
    wd.write(
        "main.tf",
        &resource(kind, Style::Split, &cluster, "doomed", ""),
    );
    wd.apply();
    let snaps = emu.snapshots(kind.state_key);
    assert_eq!(snaps.len(), 1, "{snaps:#?}");
    assert_ne!(snaps[0]["id"], id);
    assert_eq!(snaps[0]["status"], kind.final_status);
    wd.expect_empty_plan();
}

#[test]
fn failed_snapshot_is_tainted_with_its_id() {
    for_each_cli(|cli| {
        tainted_on_failure(cli, DWS, false);
        tainted_on_failure(cli, CSS, false);
    });
}

#[test]
fn create_timeout_leaves_a_tainted_snapshot() {
    for_each_cli(|cli| tainted_on_failure(cli, DWS, true));
}

#[test]
fn twenty_snapshots_on_two_clusters_in_parallel() {
    for_each_cli(|cli| {
        let emu = Emulator::start(
            EmulatorOptions::default()
                .create_seconds(0.2)
                .clusters(2, 0),
        );
        let wd = Workdir::new(cli, &emu);
        let clusters = emu.dws_clusters();
        let config = hcl::snapshots_config(&clusters, &[], 10, "snap", "");
        wd.write("main.tf", &config);
        wd.expect_success(&["apply", "-auto-approve", "-parallelism=10", "-no-color"]);
        let snaps = emu.snapshots(DWS.state_key);
        assert_eq!(snaps.len(), 20);
        assert!(
            snaps.iter().all(|s| s["status"] == "AVAILABLE"),
            "{snaps:#?}"
        );
        let state = wd.state_json();
        let in_state = state["values"]["root_module"]["resources"]
            .as_array()
            .map_or(0, Vec::len);
        assert_eq!(in_state, 20);
        wd.expect_empty_plan();
        wd.destroy();
        assert!(emu.snapshots(DWS.state_key).is_empty());
    });
}
