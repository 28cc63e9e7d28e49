//! Reliability under a flaky cloud: 20% of every cloud request fails (429
//! with `Retry-After`, 500 with an HTML body, 503, connections dropped
//! before and after the operation took effect) while one `terraform apply`
//! creates 60 snapshots of both types on six clusters. Nothing is lost and
//! nothing is duplicated: the emulator ends with exactly the declared set,
//! each ID in state once, and destroy leaves nothing behind.
//!
//! Also the shared helpers of the reliability modules (`interrupts`,
//! `stop_provider`): the IDs in state versus the IDs in the emulator (the
//! counted two-provider configuration is `support::hcl::snapshots_config`).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use serde_json::{Value, json};

use crate::support::hcl::snapshots_config;
use crate::support::{Emulator, EmulatorOptions, Run, Workdir, terraform_clis};

/// Path regex matching every cloud path (IAM `/v3/…`, DWS and CSS
/// `/v1.0/…`); control paths are never faulted anyway.
const CLOUD_PATHS: &str = "^/v[0-9]";

/// The fault mix: each kind takes 4% of requests, 20% in all.
const FAULT_MIX: [(&str, f64); 5] = [
    ("throttle", 0.04),
    ("html500", 0.04),
    ("unavailable", 0.04),
    ("drop_before", 0.04),
    ("drop_after", 0.04),
];

/// One resource instance in state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct InState {
    pub address: String,
    pub id: Option<String>,
    pub tainted: bool,
}

/// Every resource instance in the workdir's state (`terraform show -json`).
pub(super) fn in_state(wd: &Workdir) -> Vec<InState> {
    let state = wd.state_json();
    state["values"]["root_module"]["resources"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .map(|r| InState {
            address: r["address"].as_str().unwrap_or_default().to_owned(),
            id: r["values"]["id"].as_str().map(str::to_owned),
            tainted: r["tainted"] == true,
        })
        .collect()
}

/// Every snapshot in an emulator state (`GET /_emulator/state`), both
/// services: id → (name, status).
pub(super) fn in_cloud(state: &Value) -> BTreeMap<String, (String, String)> {
    ["dws_snapshots", "css_snapshots"]
        .iter()
        .flat_map(|key| state[*key].as_array().cloned().unwrap_or_default())
        .map(|s| {
            let field = |k: &str| s[k].as_str().unwrap_or_default().to_owned();
            (field("id"), (field("name"), field("status")))
        })
        .collect()
}

/// Asserts the convergence invariants: the cloud holds exactly `expected`
/// snapshots, names unique, each in a final status, and the state lists
/// each cloud ID exactly once (no orphan, no duplicate, no stale ID).
pub(super) fn assert_converged(wd: &Workdir, cloud_state: &Value, expected: usize) {
    let cloud = in_cloud(cloud_state);
    assert_eq!(
        cloud.len(),
        expected,
        "snapshots in the emulator: {cloud:#?}"
    );
    let names: BTreeSet<&str> = cloud.values().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.len(), expected, "duplicate names: {cloud:#?}");
    assert!(
        cloud
            .values()
            .all(|(_, s)| s == "AVAILABLE" || s == "COMPLETED"),
        "unfinished snapshots: {cloud:#?}"
    );
    let state = in_state(wd);
    assert_eq!(state.len(), expected, "resources in state: {state:#?}");
    assert!(state.iter().all(|r| !r.tainted), "tainted: {state:#?}");
    let ids: Vec<&str> = state.iter().filter_map(|r| r.id.as_deref()).collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(ids.len(), unique.len(), "an ID twice in state: {state:#?}");
    let cloud_ids: BTreeSet<&str> = cloud.keys().map(String::as_str).collect();
    assert_eq!(unique, cloud_ids, "state and cloud disagree");
}

/// Runs `args`; when it fails, runs it once more, which must succeed.
/// Returns the runs made (one or two).
pub(super) fn with_one_rerun(wd: &Workdir, args: &[&str]) -> Vec<Run> {
    let first = wd.run(args);
    if first.success() {
        return vec![first];
    }
    eprintln!(
        "{} failed once under faults; re-running:\n{}",
        args.join(" "),
        first.output()
    );
    let second = wd.expect_success(args);
    vec![first, second]
}

/// Request-log figures for one phase.
#[derive(Debug, Default)]
struct Figures {
    requests: usize,
    faulted: BTreeMap<String, usize>,
    creates: usize,
    deletes: usize,
}

fn figures(log: &[Value]) -> Figures {
    let mut f = Figures {
        requests: log.len(),
        ..Figures::default()
    };
    for entry in log {
        if let Some(kind) = entry["fault"].as_str() {
            *f.faulted.entry(kind.to_owned()).or_default() += 1;
        }
        let create = entry["method"] == "POST";
        let delete = entry["method"] == "DELETE";
        f.creates += usize::from(create);
        f.deletes += usize::from(delete);
    }
    f
}

impl Figures {
    fn faults(&self) -> usize {
        self.faulted.values().sum()
    }

    fn line(&self, phase: &str, snapshots: usize, runs: usize, secs: f64) -> String {
        #[allow(clippy::cast_precision_loss)]
        let per = self.requests as f64 / snapshots as f64;
        format!(
            "{phase}: {} runs, {secs:.1}s, {} requests ({per:.2} per snapshot), \
             {} faulted/retried {:?}, {} POST, {} DELETE",
            runs,
            self.requests,
            self.faults(),
            self.faulted,
            self.creates,
            self.deletes
        )
    }
}

#[test]
fn faults_sixty_snapshots_on_a_flaky_cloud() {
    // One CLI (the newest): the point is the provider and client under
    // faults, not CLI differences, and this keeps the suite fast.
    let cli = &terraform_clis()[0];
    let emu = Emulator::start(
        EmulatorOptions::default()
            .create_seconds(0.1)
            .clusters(3, 3),
    );
    let wd = Workdir::new(cli, &emu);
    let (dws, css) = (emu.dws_clusters(), emu.css_clusters());
    wd.write("main.tf", &snapshots_config(&dws, &css, 10, "flaky", ""));
    wd.expect_success(&["init", "-input=false", "-no-color"]);
    for (kind, fraction) in FAULT_MIX {
        let mut rule = json!({"path": CLOUD_PATHS, "kind": kind, "fraction": fraction});
        if kind == "throttle" {
            rule["retry_after"] = json!(1);
        }
        emu.add_fault(rule);
    }
    let apply = [
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-parallelism=20",
    ];

    let started = Instant::now();
    let runs = with_one_rerun(&wd, &apply);
    let apply_secs = started.elapsed().as_secs_f64();
    let applied = figures(&emu.requests());
    emu.clear_requests();
    assert_converged(&wd, &emu.state(), 60);
    // Every create was either answered or resolved by name: at most one
    // successful create per snapshot reached the cloud (a second POST of a
    // name gets "name exists" and is adopted), so the count is exact above.
    assert!(applied.faults() > 0, "no fault fired: {applied:?}");
    let apply_line = applied.line("apply", 60, runs.len(), apply_secs);

    // Converged: the next plan (still under faults) wants nothing.
    let plan = with_one_rerun(
        &wd,
        &["plan", "-input=false", "-no-color", "-detailed-exitcode"],
    );
    assert_eq!(plan.last().and_then(Run::code), Some(0), "{}", plan[0]);
    emu.clear_requests();

    let started = Instant::now();
    let runs = with_one_rerun(
        &wd,
        &[
            "destroy",
            "-auto-approve",
            "-input=false",
            "-no-color",
            "-parallelism=20",
        ],
    );
    let destroy_secs = started.elapsed().as_secs_f64();
    let destroyed = figures(&emu.requests());
    assert_eq!(
        in_cloud(&emu.state()),
        BTreeMap::new(),
        "left after destroy"
    );
    assert!(in_state(&wd).is_empty(), "state not empty after destroy");
    let destroy_line = destroyed.line("destroy", 60, runs.len(), destroy_secs);
    println!(
        "flaky cloud (20% faults), {}:\n  {apply_line}\n  {destroy_line}",
        cli.label()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_declares_per_cluster_counts() {
        let text = snapshots_config(&["a".into(), "b".into()], &["c".into()], 3, "p", "");
        assert!(text.contains("count      = 6"), "{text}");
        assert!(text.contains("count      = 3"), "{text}");
        assert!(text.contains("local.dws[count.index % 2]"), "{text}");
        assert!(text.contains("\"p-c-${count.index}\""), "{text}");
        let none = snapshots_config(&[], &["c".into()], 1, "p", "");
        assert!(!none.contains("dws_snapshot\""), "{none}");
    }

    #[test]
    fn figures_count_faults_and_methods() {
        let log = vec![
            json!({"method": "POST", "fault": "drop_after"}),
            json!({"method": "GET", "fault": null}),
            json!({"method": "DELETE", "fault": "throttle"}),
        ];
        let f = figures(&log);
        assert_eq!((f.requests, f.faults(), f.creates, f.deletes), (3, 2, 1, 1));
    }
}
