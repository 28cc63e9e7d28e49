//! Reliability when things stop mid-apply: SIGINT to `terraform apply`
//! while 20 creates wait, SIGKILL of the provider processes, and the
//! emulator (a separate process with `--state-file` semantics) killed and
//! restarted on the same port. In every case nothing is orphaned or
//! duplicated and the next apply converges to exactly the declared set.
//!
//! The emulator process is this test binary re-executed: with
//! [`CHILD_ENV`] set, the test [`emulator_child`] serves an emulator until it
//! is killed (without it, that test does nothing).

use std::collections::BTreeSet;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::faults::{assert_converged, in_cloud, in_state};
use crate::support::hcl::snapshots_config;
use crate::support::{
    Emulator, EmulatorOptions, TerraformCli, Workdir, control_at, for_each_cli, terraform_clis,
};

/// Set (to the emulator's JSON settings) in the re-executed test binary.
const CHILD_ENV: &str = "HWSNAP_TEST_EMULATOR_CHILD";

const APPLY: [&str; 5] = [
    "apply",
    "-auto-approve",
    "-input=false",
    "-no-color",
    "-parallelism=20",
];

/// Sends `signal` (e.g. `"INT"`, `"KILL"`) to one process.
fn signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .args(["-s", signal, "--", &pid.to_string()])
        .status()
        .unwrap_or_else(|e| panic!("cannot run kill: {e}"));
    assert!(status.success(), "kill -s {signal} {pid} failed");
}

/// Waits until `cond` holds, polling every 50 ms; panics after `within`.
pub(super) fn wait_until(within: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A spawned `terraform` (leading its own process group), killed with its
/// whole group when dropped, so a failing test leaves no process behind.
pub(super) struct Spawned(pub(super) Child);

impl Spawned {
    fn pid(&self) -> u32 {
        self.0.id()
    }

    /// Waits for the exit, at most `within`.
    fn wait(&mut self, within: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            match self.0.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) if Instant::now() >= deadline => return None,
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
                Err(e) => panic!("cannot wait for terraform: {e}"),
            }
        }
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let pid = self.0.id();
        for provider in providers_of(pid) {
            let _ = Command::new("kill")
                .args(["-s", "KILL", "--", &provider.to_string()])
                .status();
        }
        // `-PGID` after `--`: the group, never pid -1.
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{pid}")])
            .stderr(Stdio::null())
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The parent pid from `/proc/PID/stat` (the field after the `)` of the
/// command name, then the state).
fn parent_of(stat: &str) -> Option<u32> {
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// The `terraform-provider-*` processes whose parent is `terraform_pid`.
fn providers_of(terraform_pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let argv0 = cmdline.split(|b| *b == 0).next().unwrap_or_default();
            let name = Path::new(std::str::from_utf8(argv0).unwrap_or_default())
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned();
            parent_of(&stat) == Some(terraform_pid) && name.starts_with("terraform-provider-")
        })
        .collect()
}

/// Ten DWS and ten CSS clusters, one snapshot each, created in 10 s: once
/// the apply is under way all 20 creates are waiting at the same time.
fn twenty_waiting(cli: &TerraformCli, prefix: &str) -> (Emulator, Workdir, Spawned) {
    let emu = Emulator::start(
        EmulatorOptions::default()
            .create_seconds(10.0)
            .clusters(10, 10),
    );
    let wd = Workdir::new(cli, &emu);
    let config = snapshots_config(&emu.dws_clusters(), &emu.css_clusters(), 1, prefix, "");
    wd.write("main.tf", &config);
    let apply = Spawned(wd.spawn(&APPLY));
    wait_until(
        Duration::from_secs(60),
        "20 snapshots being created",
        || in_cloud(&emu.state()).len() == 20,
    );
    // The 20 answers are on their way back to the provider; let them land.
    std::thread::sleep(Duration::from_millis(300));
    (emu, wd, apply)
}

/// The apply converges after the cloud is made fast again.
fn converge(emu: &Emulator, wd: &Workdir, expected: usize) {
    emu.control("POST", "settings", Some(json!({"create_seconds": 0.2})));
    wd.expect_success(&APPLY);
    assert_converged(wd, &emu.state(), expected);
    wd.expect_empty_plan();
}

/// Sends SIGINT to a spawned `terraform` and waits for it to end: it must
/// fail, within 5 s. Returns how soon it ended and what it printed.
pub(super) fn interrupt(apply: &mut Spawned, wd: &Workdir) -> (Duration, String) {
    let sent = Instant::now();
    signal(apply.pid(), "INT");
    let status = apply
        .wait(Duration::from_secs(30))
        .unwrap_or_else(|| panic!("terraform still running 30 s after SIGINT"));
    let stopped = sent.elapsed();
    let output = format!("{}{}", wd.read("spawned.stdout"), wd.read("spawned.stderr"));
    assert!(!status.success(), "interrupted apply succeeded:\n{output}");
    assert!(
        stopped < Duration::from_secs(5),
        "terraform took {stopped:?} to stop after SIGINT:\n{output}"
    );
    assert!(output.contains("Interrupt received"), "{output}");
    (stopped, output)
}

fn sigint_mid_create(cli: &TerraformCli) {
    let (emu, wd, mut apply) = twenty_waiting(cli, "int");
    let (stopped, output) = interrupt(&mut apply, &wd);

    // Every snapshot the cloud made is in state (tainted): none orphaned.
    let state = in_state(&wd);
    let in_state_ids: BTreeSet<String> = state.iter().filter_map(|r| r.id.clone()).collect();
    let cloud_ids: BTreeSet<String> = in_cloud(&emu.state()).into_keys().collect();
    assert_eq!(in_state_ids, cloud_ids, "state {state:#?}\n{output}");
    assert_eq!(state.len(), 20, "{state:#?}");
    println!(
        "{}: terraform stopped {:.2} s after SIGINT with 20 creates waiting",
        cli.label(),
        stopped.as_secs_f64()
    );

    converge(&emu, &wd, 20);
}

fn provider_killed_mid_create(cli: &TerraformCli) {
    let (emu, wd, mut apply) = twenty_waiting(cli, "kill");
    let providers = providers_of(apply.pid());
    // One plugin per provider in the configuration: dws and css.
    assert_eq!(providers.len(), 2, "provider processes: {providers:?}");
    for pid in &providers {
        signal(*pid, "KILL");
    }
    let status = apply
        .wait(Duration::from_secs(60))
        .unwrap_or_else(|| panic!("terraform still running 60 s after its providers died"));
    let output = format!("{}{}", wd.read("spawned.stdout"), wd.read("spawned.stderr"));
    assert!(
        !status.success(),
        "apply succeeded without providers:\n{output}"
    );

    // Terraform never got the IDs: the snapshots exist only in the cloud.
    let cloud_ids: BTreeSet<String> = in_cloud(&emu.state()).into_keys().collect();
    assert_eq!(cloud_ids.len(), 20);
    let recorded: BTreeSet<String> = in_state(&wd).into_iter().filter_map(|r| r.id).collect();
    assert!(recorded.is_subset(&cloud_ids), "stale IDs in state");

    // The re-run's creates hear "name exists" and adopt them (both types).
    emu.clear_requests();
    converge(&emu, &wd, 20);
    let refused_creates = |service: &str| {
        emu.requests()
            .iter()
            .filter(|r| r["method"] == "POST" && r["service"] == service && r["status"] == 400)
            .count()
    };
    assert_eq!(
        (refused_creates("dws"), refused_creates("css")),
        (10, 10),
        "each re-run create should hear \"name exists\" once"
    );
    let final_ids: BTreeSet<String> = in_cloud(&emu.state()).into_keys().collect();
    let orphans: BTreeSet<&String> = cloud_ids.difference(&recorded).collect();
    assert!(!orphans.is_empty());
    assert!(
        orphans.iter().all(|id| final_ids.contains(*id)),
        "orphans were replaced instead of adopted"
    );
}

#[test]
fn interrupts_sigint_during_twenty_creates() {
    for_each_cli(sigint_mid_create);
}

#[test]
fn interrupts_provider_sigkill_then_adoption() {
    for_each_cli(provider_killed_mid_create);
}

// ---- the emulator as a separate process ------------------------------------

/// What the re-executed emulator serves.
fn child_settings(port: u16, state_file: &Path, dws: &[String], css: &[String]) -> Value {
    json!({
        "port": port,
        "state_file": state_file,
        "create_seconds": 2.0,
        "dws": dws,
        "css": css,
    })
}

/// Not a test of its own: the body of the emulator process. Without
/// [`CHILD_ENV`] it returns at once.
#[test]
fn emulator_child() {
    let Ok(settings) = std::env::var(CHILD_ENV) else {
        return;
    };
    let settings: Value = serde_json::from_str(&settings).expect("child settings JSON");
    let strings = |key: &str| -> Vec<String> {
        settings[key]
            .as_array()
            .expect("cluster list")
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    };
    let port = u16::try_from(settings["port"].as_u64().expect("port")).expect("port fits");
    let config = hwsnap_emulator::Config {
        listen: std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        state_file: Some(PathBuf::from(
            settings["state_file"].as_str().expect("state file"),
        )),
        create_seconds: settings["create_seconds"].as_f64().expect("create_seconds"),
        dws_clusters: strings("dws"),
        css_clusters: strings("css"),
        ..hwsnap_emulator::Config::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let _running = hwsnap_emulator::spawn(config).await.expect("emulator");
        // Serve until killed.
        std::future::pending::<()>().await;
    });
}

/// An emulator running as a child process on a fixed port.
struct EmulatorProcess {
    child: Child,
    base_url: String,
}

impl EmulatorProcess {
    fn start(settings: &Value) -> EmulatorProcess {
        let port = settings["port"].as_u64().expect("port");
        let exe = std::env::current_exe().expect("the test binary");
        let child = Command::new(exe)
            .args([
                "--exact",
                "acceptance::interrupts::emulator_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, settings.to_string())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the emulator process: {e}"));
        let addr = format!("127.0.0.1:{port}");
        wait_until(Duration::from_secs(30), "the emulator process", || {
            TcpStream::connect(&addr).is_ok()
        });
        EmulatorProcess {
            child,
            base_url: format!("http://{addr}"),
        }
    }

    fn state(&self) -> Value {
        control_at(&self.base_url, "GET", "state", None)
    }

    /// SIGKILL: no goodbye, the state file is all that survives.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

#[test]
fn interrupts_emulator_restart_mid_apply() {
    let cli = &terraform_clis()[0];
    let dir = tempfile::tempdir().expect("temp dir");
    let uuid = |n: u32| format!("00000000-0000-4000-8000-{n:012}");
    let (dws, css) = (vec![uuid(1), uuid(2)], vec![uuid(3), uuid(4)]);
    let settings = child_settings(free_port(), &dir.path().join("emulator.json"), &dws, &css);
    let mut cloud = EmulatorProcess::start(&settings);

    // The workdir's provider env comes from an in-process emulator with the
    // same default credentials; the endpoints then point at the process.
    let env_source = Emulator::start(EmulatorOptions::default());
    let mut wd = Workdir::new(cli, &env_source);
    for key in ["HW_DWS_ENDPOINT", "HW_CSS_ENDPOINT", "HW_IAM_ENDPOINT"] {
        wd.set_env(key, &cloud.base_url);
    }
    wd.write("main.tf", &snapshots_config(&dws, &css, 2, "restart", ""));

    let started = Instant::now();
    let mut apply = Spawned(wd.spawn(&APPLY));
    wait_until(Duration::from_secs(60), "the first snapshots", || {
        in_cloud(&cloud.state()).len() >= 2
    });
    let before = in_cloud(&cloud.state());
    assert!(
        apply.wait(Duration::ZERO).is_none(),
        "the apply finished before the emulator could be killed"
    );
    cloud.kill();
    std::thread::sleep(Duration::from_secs(1));
    cloud = EmulatorProcess::start(&settings);
    let after = in_cloud(&cloud.state());
    assert!(
        before.keys().all(|id| after.contains_key(id)),
        "the state file lost snapshots: before {before:#?}\nafter {after:#?}"
    );

    let status = apply
        .wait(Duration::from_secs(180))
        .unwrap_or_else(|| panic!("apply still running 180 s after the restart"));
    let output = format!("{}{}", wd.read("spawned.stdout"), wd.read("spawned.stderr"));
    assert!(!output.contains("panicked"), "{output}");
    println!(
        "{}: apply across an emulator restart {} after {:.1} s",
        cli.label(),
        if status.success() {
            "succeeded"
        } else {
            "failed cleanly"
        },
        started.elapsed().as_secs_f64()
    );
    // Whatever happened, no snapshot exists twice, and a re-run converges.
    assert!(in_cloud(&cloud.state()).len() <= 8);
    wd.expect_success(&APPLY);
    assert_converged(&wd, &cloud.state(), 8);
    wd.expect_empty_plan();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_pid_is_read_past_the_command_name() {
        let stat = "4242 (terraform-prov) S 17 4242 17 0 -1";
        assert_eq!(parent_of(stat), Some(17));
        // A command name with spaces and parentheses.
        assert_eq!(parent_of("9 (a) b (c)) R 3 9"), Some(3));
        assert_eq!(parent_of("garbage"), None);
    }
}
