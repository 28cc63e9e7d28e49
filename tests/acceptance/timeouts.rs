//! `timeouts` are hard limits, end to end: against a cloud that accepts a
//! request and never answers (the emulator's `hang_before` and `hang_after`
//! fault rules), a `terraform apply` or `destroy` with `create = "10s"` /
//! `delete = "10s"` ends within the timeout plus 5 s; the error says which
//! timeout ran out, its value and what was seen last; and nothing is lost —
//! a snapshot whose ID came back is in state (tainted), one whose create
//! answer never came is adopted by name on the next apply, a delete that
//! timed out leaves the resource in state. The same three hangs with SIGINT
//! instead: Terraform stops within 5 s and nothing is lost either.
//!
//! Three cases, each with one `dws_snapshot` and one `css_index_snapshot`
//! hanging at once (two provider processes):
//! - `polls`: the create is accepted, its first status read answered, then
//!   every status read hangs (`hang_before` on the DWS show and the CSS
//!   list routes);
//! - `create`: the create itself acts and hangs (`hang_after` on the POST);
//! - `delete`: `terraform destroy` with every DELETE hanging (`hang_before`).
//!
//! The bound is measured from the moment the test sees the hanging
//! operation's first request in the emulator's log (polled every 50 ms, so
//! at most that much after the operation's deadline started); the whole
//! command's time, Terraform's start and plan included, is printed.
//! The cases of one CLI run concurrently: each waits on a hang, not on CPU.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::faults::{assert_converged, in_cloud, in_state};
use super::interrupts::{Spawned, signal, wait_until};
use crate::support::hcl::{self, CSS, DWS};
use crate::support::{Emulator, EmulatorOptions, TerraformCli, Workdir, flat, for_each_cli};

/// The configured `create` and `delete` timeouts.
const TIMEOUT: Duration = Duration::from_secs(10);
/// How far past the timeout a command may end.
const SLACK: Duration = Duration::from_secs(5);
/// How soon after SIGINT Terraform must be gone.
const PROMPT: Duration = Duration::from_secs(5);

const APPLY: [&str; 4] = ["apply", "-auto-approve", "-input=false", "-no-color"];
const DESTROY: [&str; 4] = ["destroy", "-auto-approve", "-input=false", "-no-color"];

/// Where the cloud hangs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hang {
    /// Status reads after an accepted create.
    Polls,
    /// The create request, after it acted.
    Create,
    /// The delete request.
    Delete,
}

/// How a hanging command ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// The operation's timeout.
    Timeout,
    /// SIGINT to `terraform` while the request hangs.
    Interrupt,
}

/// Path regexes of the routes each case hangs: (DWS, CSS, method).
fn routes(hang: Hang) -> [(&'static str, &'static str); 2] {
    match hang {
        Hang::Polls => [
            (r"^/v1.0/[^/]+/snapshots/[^/]+$", "GET"),
            (r"/clusters/[^/]+/index_snapshots$", "GET"),
        ],
        Hang::Create => [
            (r"^/v1.0/[^/]+/snapshots$", "POST"),
            (r"/clusters/[^/]+/index_snapshot$", "POST"),
        ],
        Hang::Delete => [
            (r"^/v1.0/[^/]+/snapshots/[^/]+$", "DELETE"),
            (r"/clusters/[^/]+/index_snapshot/[^/]+$", "DELETE"),
        ],
    }
}

/// One DWS and one CSS snapshot with 10 s create and delete timeouts.
fn config(emu: &Emulator) -> String {
    let timeouts = format!(
        "  timeouts {{\n    create = \"{0}s\"\n    delete = \"{0}s\"\n  }}\n",
        TIMEOUT.as_secs()
    );
    format!(
        "{}{}{}",
        hcl::required_providers(&["dws", "css"]),
        DWS.resource("d", &emu.dws_clusters()[0], "hang-dws", &timeouts),
        CSS.resource("c", &emu.css_clusters()[0], "hang-css", &timeouts),
    )
}

/// Log entries the emulator answered with a hang (status 0 or acted).
fn hung(emu: &Emulator) -> Vec<Value> {
    emu.requests()
        .into_iter()
        .filter(|r| {
            let fault = r["fault"].as_str().unwrap_or_default();
            fault == "hang_before" || fault == "hang_after"
        })
        .collect()
}

/// Whether both services logged an answered (2xx) request of `operation`.
fn answered(emu: &Emulator, dws: &str, css: &str) -> bool {
    let ok = |op: &str| {
        emu.requests_for(op, None).iter().any(|r| {
            r["status"]
                .as_u64()
                .is_some_and(|s| (200..300).contains(&s))
        })
    };
    ok(dws) && ok(css)
}

fn install(emu: &Emulator, hang: Hang, kind: &str) {
    for (path, method) in routes(hang) {
        emu.add_fault(json!({ "path": path, "method": method, "kind": kind }));
    }
}

/// Output of a spawned command.
fn output(wd: &Workdir) -> String {
    format!("{}{}", wd.read("spawned.stdout"), wd.read("spawned.stderr"))
}

/// Lets the cloud answer again, marks every snapshot finished.
fn heal(emu: &Emulator) {
    emu.control("DELETE", "faults", None);
    emu.settings(json!({ "create_seconds": 0 }));
    for (id, (_, status)) in in_cloud(&emu.state()) {
        if status == "CREATING" || status == "BUILDING" {
            let done = if status == "CREATING" {
                "AVAILABLE"
            } else {
                "COMPLETED"
            };
            emu.control(
                "POST",
                &format!("snapshots/{id}/status"),
                Some(json!({ "status": done })),
            );
        }
    }
}

/// What one run measured, for the summary line.
struct Figures {
    /// From the first hung request seen to the command's exit.
    after_hang: Duration,
    /// The whole command.
    command: Duration,
}

/// Runs one case to its end and checks the promise; returns the figures.
fn run_case(cli: &TerraformCli, hang: Hang, end: End) -> Figures {
    // Polls: slow snapshots, so the first read answers CREATING/BUILDING.
    let create_seconds = if hang == Hang::Polls { 60.0 } else { 0.0 };
    let emu = Emulator::start(EmulatorOptions::default().create_seconds(create_seconds));
    let wd = Workdir::new(cli, &emu);
    wd.write("main.tf", &config(&emu));
    if hang == Hang::Delete {
        wd.apply();
    }
    if hang == Hang::Create {
        install(&emu, hang, "hang_after");
    }
    let started = Instant::now();
    let args: &[&str] = if hang == Hang::Delete {
        &DESTROY
    } else {
        &APPLY
    };
    let mut command = Spawned(wd.spawn(args));
    let label = format!("{} {hang:?}/{end:?}", cli.label());
    match hang {
        Hang::Polls => {
            // Wait for the first status reads to be answered, then hang the rest.
            wait_until(Duration::from_secs(60), "the first status reads", || {
                answered(&emu, "dws.show_snapshot", "css.list_snapshots")
            });
            install(&emu, hang, "hang_before");
        }
        Hang::Delete => install(&emu, hang, "hang_before"),
        Hang::Create => {}
    }
    wait_until(Duration::from_secs(60), "both requests hanging", || {
        hung(&emu).len() >= 2
    });
    let hanging = Instant::now();
    let status = match end {
        End::Timeout => command.wait(TIMEOUT + SLACK + Duration::from_secs(30)),
        End::Interrupt => {
            signal(command.pid(), "INT");
            command.wait(Duration::from_secs(30))
        }
    };
    let (after_hang, whole) = (hanging.elapsed(), started.elapsed());
    let out = output(&wd);
    let status = status.unwrap_or_else(|| panic!("{label}: still running:\n{out}"));
    assert!(!status.success(), "{label}: succeeded:\n{out}");
    let bound = if end == End::Timeout {
        TIMEOUT + SLACK
    } else {
        PROMPT
    };
    assert!(
        after_hang <= bound,
        "{label}: ended {after_hang:?} after the hang began (bound {bound:?}):\n{out}"
    );
    for gone in [
        "within 0s",
        "not checked yet",
        "panicked",
        "Plugin did not respond",
    ] {
        assert!(!out.contains(gone), "{label}: {gone:?} in:\n{out}");
    }
    expect_messages(&label, hang, end, &out);
    check_nothing_lost(&label, &emu, &wd, hang);
    Figures {
        after_hang,
        command: whole,
    }
}

/// The diagnostics each case must show (both resource types).
fn expect_messages(label: &str, hang: Hang, end: End, out: &str) {
    let timeout = |op: &str| format!("timeouts.{op} = {}s ran out", TIMEOUT.as_secs());
    let silent = "no answer from the cloud for ";
    let expected: Vec<String> = match (hang, end) {
        (Hang::Polls, End::Timeout) => vec![
            "Timed out waiting for DWS snapshot \"hang-dws\"".into(),
            "Timed out waiting for CSS index snapshot \"hang-css\"".into(),
            format!("{}. Last seen: status CREATING, read", timeout("create")),
            format!("{}. Last seen: status BUILDING, read", timeout("create")),
            format!("before the timeout; then {silent}"),
            "keeps it in state as tainted".into(),
        ],
        (Hang::Create, End::Timeout) => vec![
            "Timed out creating DWS snapshot \"hang-dws\"".into(),
            "Timed out creating CSS index snapshot \"hang-css\"".into(),
            format!(
                "{} before the cloud answered the create: {silent}",
                timeout("create")
            ),
            "The snapshot may exist in the cloud without being in state".into(),
        ],
        (Hang::Delete, End::Timeout) => vec![
            "Timed out deleting DWS snapshot".into(),
            "Timed out deleting CSS index snapshot".into(),
            format!(
                "{} before the cloud answered the delete: {silent}",
                timeout("delete")
            ),
            "It stays in state".into(),
        ],
        (Hang::Polls, End::Interrupt) => vec![
            "Interrupt received".into(),
            "Stopped waiting for DWS snapshot \"hang-dws\"".into(),
            "Stopped waiting for CSS index snapshot \"hang-css\"".into(),
        ],
        (Hang::Create, End::Interrupt) => vec![
            "Interrupt received".into(),
            "Stopped creating DWS snapshot \"hang-dws\"".into(),
            "Stopped creating CSS index snapshot \"hang-css\"".into(),
            "adopts it".into(),
        ],
        (Hang::Delete, End::Interrupt) => vec![
            "Interrupt received".into(),
            "Stopped deleting DWS snapshot".into(),
            "Stopped deleting CSS index snapshot".into(),
        ],
    };
    // Terraform wraps long lines: compare with whitespace runs as one space.
    let flat = flat(out);
    for e in expected {
        assert!(flat.contains(&e), "{label}: no {e:?} in:\n{out}");
    }
}

/// Nothing is lost, and the next command converges.
fn check_nothing_lost(label: &str, emu: &Emulator, wd: &Workdir, hang: Hang) {
    let cloud = in_cloud(&emu.state());
    let state = in_state(wd);
    assert_eq!(cloud.len(), 2, "{label}: the cloud made both: {cloud:#?}");
    match hang {
        Hang::Polls => {
            // The IDs came back: both in state, tainted.
            assert_eq!(state.len(), 2, "{label}: {state:#?}");
            for r in &state {
                assert!(r.tainted, "{label}: {state:#?}");
                let id = r.id.as_deref().unwrap_or_default();
                assert!(cloud.contains_key(id), "{label}: {id} not in {cloud:#?}");
            }
            heal(emu);
            wd.expect_success(&APPLY);
            assert_converged(wd, &emu.state(), 2);
        }
        Hang::Create => {
            // No answer, no ID: nothing in state; the next apply adopts by name.
            assert!(state.is_empty(), "{label}: {state:#?}");
            heal(emu);
            wd.expect_success(&APPLY);
            assert_converged(wd, &emu.state(), 2);
            let adopted: Vec<String> = in_cloud(&emu.state()).into_keys().collect();
            let made: Vec<String> = cloud.into_keys().collect();
            assert_eq!(adopted, made, "{label}: adopted, not made again");
        }
        Hang::Delete => {
            // Not deleted: both stay in state, not tainted.
            assert_eq!(state.len(), 2, "{label}: {state:#?}");
            let ids: Vec<&str> = state.iter().filter_map(|r| r.id.as_deref()).collect();
            assert!(ids.iter().all(|id| cloud.contains_key(*id)), "{label}");
            heal(emu);
            wd.expect_success(&DESTROY);
            assert!(in_cloud(&emu.state()).is_empty(), "{label}");
            assert!(in_state(wd).is_empty(), "{label}");
            return;
        }
    }
    wd.expect_empty_plan();
}

/// The three cases for one CLI, concurrently; prints the figures.
fn all_cases(cli: &TerraformCli, end: End) {
    let cases = [Hang::Polls, Hang::Create, Hang::Delete];
    let figures: Vec<(Hang, Figures)> = std::thread::scope(|s| {
        let running: Vec<_> = cases
            .iter()
            .map(|&hang| (hang, s.spawn(move || run_case(cli, hang, end))))
            .collect();
        running
            .into_iter()
            .map(|(hang, h)| match h.join() {
                Ok(f) => (hang, f),
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    });
    for (hang, f) in figures {
        println!(
            "{} {hang:?} hang, {end:?}: ended {:.1} s after the hang began, command {:.1} s",
            cli.label(),
            f.after_hang.as_secs_f64(),
            f.command.as_secs_f64()
        );
    }
}

#[test]
fn timeouts_are_hard_limits_against_a_hanging_cloud() {
    for_each_cli(|cli| all_cases(cli, End::Timeout));
}

#[test]
fn timeouts_sigint_during_a_hang_stops_promptly_and_loses_nothing() {
    for_each_cli(|cli| all_cases(cli, End::Interrupt));
}
