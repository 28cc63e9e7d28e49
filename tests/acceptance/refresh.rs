//! What a refresh costs the cloud (issue 15 §1): 100 snapshots of one
//! cluster, made outside Terraform and adopted with `import` blocks, are
//! refreshed by `terraform plan` with the cluster's list shared by every
//! read in the provider process — a few list requests, not one per
//! snapshot. Counted from the emulator's request log, on both CLIs.

use crate::support::hcl::{self, CSS, DWS, Kind};
use crate::support::{Emulator, EmulatorOptions, TerraformCli, Workdir, for_each_cli};

/// How many snapshots the cluster holds.
const N: usize = 100;

/// The configuration adopting every snapshot in `ids` (made on `cluster`).
fn adopting(kind: Kind, cluster: &str, ids: &[(String, String)]) -> String {
    let mut text = hcl::required_providers(&[kind.local]);
    for (i, (name, id)) in ids.iter().enumerate() {
        let label = format!("s{i:03}");
        text += &kind.resource(&label, cluster, name, "");
        let how = format!("id = \"{}\"", kind.import_id(cluster, id));
        text += &hcl::import_block(&kind.address(&label), "", &how);
    }
    text
}

/// Makes [`N`] snapshots of `kind` on its first cluster, adopts them, then
/// refreshes them with a plan; returns the plan's list requests and all its
/// requests.
fn refresh_cost(cli: &TerraformCli, kind: Kind) -> (usize, usize) {
    let emu = Emulator::start(EmulatorOptions::default());
    let cluster = kind.clusters(&emu)[0].clone();
    let ids: Vec<(String, String)> = (0..N)
        .map(|i| {
            let name = format!("bulk-{i:03}");
            let id = emu.add_snapshot(kind.local, &cluster, &name);
            (name, id)
        })
        .collect();
    let wd = Workdir::new(cli, &emu);
    wd.write("main.tf", &adopting(kind, &cluster, &ids));
    let applied = wd.apply();
    assert!(
        applied
            .stdout
            .contains(&format!("{N} imported, 0 added, 0 changed, 0 destroyed")),
        "{applied}"
    );
    emu.clear_requests();
    assert_eq!(wd.plan_exit_code(), 0, "the adopted snapshots plan empty");
    let list = if kind == DWS {
        "dws.list_cluster_snapshots"
    } else {
        "css.list_snapshots"
    };
    let lists = emu.request_count(list, Some(&cluster));
    let total = emu.requests().len();
    eprintln!(
        "{}: refreshing {N} {} of one cluster: {total} requests, {lists} of them lists",
        cli.label(),
        kind.ty
    );
    (lists, total)
}

#[test]
fn refreshing_a_hundred_dws_snapshots_of_one_cluster_reads_its_list_once() {
    for_each_cli(|cli| {
        let (lists, total) = refresh_cost(cli, DWS);
        // One page of 100; a second only if a read raced a list's expiry.
        assert!((1..=2).contains(&lists), "{lists} lists for {N} reads");
        // The credential check (one per provider process) and the lists:
        // no show per snapshot.
        assert!(total <= 10, "{total} requests for {N} reads");
    });
}

#[test]
fn refreshing_a_hundred_css_snapshots_of_one_cluster_reads_its_list_once() {
    for_each_cli(|cli| {
        let (lists, total) = refresh_cost(cli, CSS);
        assert!((1..=2).contains(&lists), "{lists} lists for {N} reads");
        assert!(total <= 10, "{total} requests for {N} reads");
    });
}
