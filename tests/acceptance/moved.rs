//! Switching from the official huaweicloud provider with `moved` blocks
//! (MoveResourceState, Terraform 1.8+): a snapshot made in the emulator is
//! held in state as `huaweicloud_dws_snapshot` / `huaweicloud_css_snapshot`
//! through the stand-in for `huaweicloud/huaweicloud`, then moved into
//! `dws_snapshot` / `css_index_snapshot` — the plan shows the move and
//! nothing else, the state keeps the ID under hwsnap's provider, the next
//! plan is empty — and what cannot move is refused, by name.

use serde_json::Value;

use crate::support::hcl::{CSS, DWS, Kind};
use crate::support::workdir::resource_changes;
use crate::support::{Emulator, EmulatorOptions, Run, TerraformCli, Workdir, for_each_cli};

/// `terraform { required_providers { … } }`: hwsnap's `locals` and, when
/// `official`, the official provider.
fn providers(locals: &[&str], official: bool) -> String {
    let mut lines: String = locals
        .iter()
        .map(|l| format!("    {l} = {{ source = \"hwsnap/{l}\" }}\n"))
        .collect();
    if official {
        lines.push_str("    huaweicloud = { source = \"huaweicloud/huaweicloud\" }\n");
    }
    format!("terraform {{\n  required_providers {{\n{lines}  }}\n}}\n")
}

/// An official `huaweicloud_*_snapshot` block standing for snapshot `id`,
/// with `extra` lines inside.
fn official(ty: &str, label: &str, id: &str, cluster: &str, name: &str, extra: &str) -> String {
    format!(
        "resource \"{ty}\" \"{label}\" {{\n  id         = \"{id}\"\n  cluster_id = \"{cluster}\"\n  name       = \"{name}\"\n{extra}}}\n"
    )
}

fn moved(from: &str, to: &str) -> String {
    format!("\nmoved {{\n  from = {from}\n  to   = {to}\n}}\n")
}

/// A run's output as one line: Terraform's diagnostic frames and line
/// wrapping removed, so messages can be matched whole.
fn flat(run: &Run) -> String {
    run.output()
        .replace(['│', '╷', '╵'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The addresses of the resources in state.
fn in_state(wd: &Workdir) -> Vec<String> {
    let state = wd.state_json();
    state["values"]["root_module"]["resources"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .filter_map(|r| r["address"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A workdir serving the stand-in, whose state holds `official_ty.nightly`
/// standing for snapshot `id` (configured with `extra`), as the official
/// provider would have written it.
fn held_by_official(
    cli: &TerraformCli,
    emu: &Emulator,
    official_ty: &str,
    id: &str,
    cluster: &str,
    extra: &str,
) -> Workdir {
    let mut wd = Workdir::new(cli, emu);
    wd.serve_standin();
    let config =
        providers(&[], true) + &official(official_ty, "nightly", id, cluster, "nightly", extra);
    wd.write("main.tf", &config);
    wd.apply();
    let held = wd.state_resource(&format!("{official_ty}.nightly"));
    assert_eq!(
        held["provider_name"],
        "registry.terraform.io/huaweicloud/huaweicloud"
    );
    assert_eq!(held["values"]["id"], id);
    wd
}

/// `plan` shows `from` moved to `to` and no change at all.
fn expect_move_only(wd: &Workdir, from: &str, to: &str) {
    let plan = wd.plan_json();
    let changes = resource_changes(&plan);
    let rc = changes
        .iter()
        .find(|rc| rc["address"] == to)
        .unwrap_or_else(|| panic!("no {to} in plan: {plan:#}"));
    assert_eq!(rc["previous_address"], from, "{rc:#}");
    for rc in changes {
        assert_eq!(
            rc["change"]["actions"],
            serde_json::json!(["no-op"]),
            "{rc:#}"
        );
    }
    let text = flat(&wd.expect_success(&["plan", "-input=false", "-no-color"]));
    assert!(
        text.contains(&format!("# {from} has moved to {to}")),
        "{text}"
    );
    assert!(
        text.contains("0 to add, 0 to change, 0 to destroy"),
        "{text}"
    );
    assert!(!text.contains("replace"), "{text}");
}

/// The whole move of one snapshot: held by the official provider, moved by
/// a `moved` block, then the official provider removed. `official_extra`
/// configures the official block, `hwsnap_extra` the new one.
fn moves_from_the_official_provider(
    cli: &TerraformCli,
    kind: Kind,
    official_ty: &str,
    (official_extra, hwsnap_extra): (&str, &str),
    id: &str,
    emu: &Emulator,
) -> Workdir {
    let cluster = &kind.clusters(emu)[0];
    let wd = held_by_official(cli, emu, official_ty, id, cluster, official_extra);
    let from = format!("{official_ty}.nightly");
    let to = kind.address("nightly");
    let target = kind.resource("nightly", cluster, "nightly", hwsnap_extra);
    wd.write(
        "main.tf",
        &(providers(&[kind.local], true) + &target + &moved(&from, &to)),
    );
    expect_move_only(&wd, &from, &to);
    let applied = flat(&wd.apply());
    assert!(
        applied.contains("0 added, 0 changed, 0 destroyed"),
        "{applied}"
    );

    let state = wd.state_resource(&to);
    let provider = format!("registry.terraform.io/hwsnap/{}", kind.local);
    assert_eq!(state["provider_name"], provider.as_str());
    assert_eq!(state["values"]["id"], id, "the same snapshot");
    assert_eq!(
        state["values"]["status"], kind.final_status,
        "read after the move"
    );
    assert_eq!(in_state(&wd), [to.as_str()]);
    wd.expect_empty_plan();

    // Once applied, the moved block and the official provider can go.
    wd.write("main.tf", &(providers(&[kind.local], false) + &target));
    wd.expect_empty_plan();
    assert_eq!(
        emu.snapshots(kind.state_key).len(),
        1,
        "nothing made or deleted"
    );
    wd
}

#[test]
fn a_dws_snapshot_moves_from_the_official_provider() {
    for_each_cli(|cli| {
        let emu = Emulator::start(EmulatorOptions::default());
        let cluster = &emu.dws_clusters()[0];
        let id = emu.add_snapshot("dws", cluster, "nightly");
        let wd = moves_from_the_official_provider(
            cli,
            DWS,
            "huaweicloud_dws_snapshot",
            ("", ""),
            &id,
            &emu,
        );
        let values = wd.state_values("dws_snapshot.nightly");
        assert_eq!(values["cluster_id"], cluster.as_str());
        assert_eq!(values["type"], "MANUAL");
    });
}

#[test]
fn a_css_snapshot_moves_with_index_becoming_indices() {
    for_each_cli(|cli| {
        let emu = Emulator::start(EmulatorOptions::default());
        let cluster = &emu.css_clusters()[0];
        let indices = "logs-a,logs-b";
        let made = emu.add_snapshot_with(serde_json::json!({
            "service": "css", "cluster_id": cluster, "name": "nightly", "indices": indices,
        }));
        let id = made["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no id: {made}"));
        let wd = moves_from_the_official_provider(
            cli,
            CSS,
            "huaweicloud_css_snapshot",
            (
                &format!("  index      = \"{indices}\"\n"),
                &format!("  indices    = \"{indices}\"\n"),
            ),
            id,
            &emu,
        );
        let values = wd.state_values("css_index_snapshot.nightly");
        assert_eq!(values["indices"], indices);
        assert_eq!(values["cluster_id"], cluster.as_str());
        assert_eq!(values["backup_method"], "manual");
    });
}

#[test]
fn moves_from_another_type_or_provider_are_refused_by_name() {
    for_each_cli(|cli| {
        let emu = Emulator::start(EmulatorOptions::default());
        let (dws, css) = (&emu.dws_clusters()[0], &emu.css_clusters()[0]);
        let dws_id = emu.add_snapshot("dws", dws, "nightly");
        let css_id = emu.add_snapshot("css", css, "nightly");
        let mut wd = Workdir::new(cli, &emu);
        wd.serve_standin()
            .serve_standin_as("registry.terraform.io/huaweicloud/huaweicloudstack");
        let stack = "    huaweicloudstack = { source = \"huaweicloud/huaweicloudstack\" }\n";
        let header = providers(&["dws"], true).replace("  }\n}\n", &format!("{stack}  }}\n}}\n"));
        let held = header.clone()
            + &official(
                "huaweicloud_css_snapshot",
                "css",
                &css_id,
                css,
                "nightly",
                "",
            )
            + &official(
                "huaweicloud_dws_snapshot",
                "stack",
                &dws_id,
                dws,
                "nightly",
                "  provider   = huaweicloudstack\n",
            );
        wd.write("main.tf", &held);
        wd.apply();

        let config = header
            + &DWS.resource("css", dws, "nightly", "")
            + &DWS.resource("stack", dws, "nightly", "")
            + &moved("huaweicloud_css_snapshot.css", "dws_snapshot.css")
            + &moved("huaweicloud_dws_snapshot.stack", "dws_snapshot.stack");
        wd.write("main.tf", &config);
        let out = flat(&wd.expect_failure(&["plan", "-input=false", "-no-color"]));
        let accepted = "dws_snapshot accepts a moved block only from `huaweicloud_dws_snapshot` of \
                        huaweicloud/huaweicloud, `dws_snapshot` of hwsnap/dws, `dws_snapshot` of hwsnap/hwsnap";
        for want in [
            "Error: Cannot move huaweicloud_css_snapshot into dws_snapshot",
            "The moved block's source is `huaweicloud_css_snapshot` of registry.terraform.io/huaweicloud/huaweicloud.",
            "Error: Cannot move huaweicloud_dws_snapshot into dws_snapshot",
            "The moved block's source is `huaweicloud_dws_snapshot` of registry.terraform.io/huaweicloud/huaweicloudstack.",
            accepted,
        ] {
            assert!(out.contains(want), "no {want:?} in:\n{out}");
        }
        assert!(!out.contains("panic"), "{out}");
        let mut kept = in_state(&wd);
        kept.sort();
        assert_eq!(
            kept,
            [
                "huaweicloud_css_snapshot.css",
                "huaweicloud_dws_snapshot.stack"
            ],
            "nothing moved"
        );
    });
}

#[test]
fn a_css_state_without_cluster_id_is_refused_naming_it() {
    for_each_cli(|cli| {
        let emu = Emulator::start(EmulatorOptions::default());
        let cluster = &emu.css_clusters()[0];
        let id = emu.add_snapshot("css", cluster, "nightly");
        let wd = held_by_official(cli, &emu, "huaweicloud_css_snapshot", &id, cluster, "");
        // A state without cluster_id, as a broken import would leave it.
        let mut state: Value = serde_json::from_str(&wd.read("terraform.tfstate"))
            .unwrap_or_else(|e| panic!("unreadable terraform.tfstate: {e}"));
        state["resources"][0]["instances"][0]["attributes"]["cluster_id"] = Value::Null;
        wd.write("terraform.tfstate", &state.to_string());

        let target = CSS.resource("nightly", cluster, "nightly", "");
        let from = "huaweicloud_css_snapshot.nightly";
        wd.write(
            "main.tf",
            &(providers(&["css"], true) + &target + &moved(from, "css_index_snapshot.nightly")),
        );
        let out = flat(&wd.expect_failure(&["plan", "-input=false", "-no-color"]));
        for want in [
            "Error: Cannot move huaweicloud_css_snapshot into css_index_snapshot: no cluster_id",
            &format!(
                "The huaweicloud_css_snapshot with id \"{id}\" has no cluster_id in its state"
            ),
        ] {
            assert!(out.contains(want), "no {want:?} in:\n{out}");
        }
        assert_eq!(in_state(&wd), [from], "nothing moved");
    });
}

#[test]
fn a_region_mismatch_is_a_warning_until_the_move_is_applied() {
    for_each_cli(|cli| {
        let emu = Emulator::start(EmulatorOptions::default());
        let cluster = &emu.dws_clusters()[0];
        let id = emu.add_snapshot("dws", cluster, "nightly");
        let elsewhere = "cn-north-4";
        assert_ne!(emu.region(), elsewhere);
        let official_provider =
            format!("provider \"huaweicloud\" {{\n  region = \"{elsewhere}\"\n}}\n");
        let mut wd = Workdir::new(cli, &emu);
        wd.serve_standin();
        let held = providers(&[], true)
            + &official_provider
            + &official(
                "huaweicloud_dws_snapshot",
                "nightly",
                &id,
                cluster,
                "nightly",
                "",
            );
        wd.write("main.tf", &held);
        wd.apply();
        assert_eq!(
            wd.state_values("huaweicloud_dws_snapshot.nightly")["region"],
            elsewhere
        );

        let config = providers(&["dws"], true)
            + &official_provider
            + &DWS.resource("nightly", cluster, "nightly", "")
            + &moved("huaweicloud_dws_snapshot.nightly", "dws_snapshot.nightly");
        wd.write("main.tf", &config);
        let warning = format!(
            "Warning: DWS snapshot {id} was in region {elsewhere}, this provider uses {}",
            emu.region()
        );
        let planned = flat(&wd.expect_success(&["plan", "-input=false", "-no-color"]));
        assert!(planned.contains(&warning), "no {warning:?} in:\n{planned}");
        assert!(
            planned.contains("add a provider block for region cn-north-4"),
            "{planned}"
        );
        let applied = flat(&wd.apply());
        assert!(applied.contains(&warning), "no {warning:?} in:\n{applied}");
        assert_eq!(wd.state_values("dws_snapshot.nightly")["id"], id.as_str());
        let again = flat(&wd.expect_success(&["plan", "-input=false", "-no-color"]));
        assert!(
            !again.contains("Warning: DWS snapshot"),
            "shown once: {again}"
        );
        assert!(again.contains("No changes."), "{again}");
    });
}

#[test]
fn a_move_between_hwsnap_providers_keeps_the_state() {
    for_each_cli(|cli| {
        let emu = Emulator::start(EmulatorOptions::default());
        let cluster = &emu.dws_clusters()[0];
        let wd = Workdir::new(cli, &emu);
        let split = DWS.resource("nightly", cluster, "nightly", "");
        wd.write("main.tf", &(providers(&["dws", "hwsnap"], false) + &split));
        wd.apply();
        let before = wd.state_values("dws_snapshot.nightly");

        let all = DWS.resource("all", cluster, "nightly", "  provider   = hwsnap\n");
        let config = providers(&["dws", "hwsnap"], false)
            + &all
            + &moved("dws_snapshot.nightly", "dws_snapshot.all");
        wd.write("main.tf", &config);
        expect_move_only(&wd, "dws_snapshot.nightly", "dws_snapshot.all");
        wd.apply();
        let state = wd.state_resource("dws_snapshot.all");
        assert_eq!(
            state["provider_name"],
            "registry.terraform.io/hwsnap/hwsnap"
        );
        assert_eq!(state["values"], before, "the same state");
        wd.expect_empty_plan();
        assert_eq!(emu.snapshots("dws_snapshots").len(), 1);
    });
}
