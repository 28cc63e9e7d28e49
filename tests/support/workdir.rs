//! A Terraform working directory: a temp dir, a CLI config with
//! `dev_overrides` for the provider binaries cargo built, and a clean child
//! environment pointing the provider at one [`Emulator`].

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use super::cli::TerraformCli;
use super::emulator::Emulator;
use super::process::{self, Run};

/// Provider source addresses served from the cargo build directory.
pub const PROVIDER_SOURCES: [&str; 3] = [
    "registry.terraform.io/hwsnap/dws",
    "registry.terraform.io/hwsnap/css",
    "registry.terraform.io/hwsnap/hwsnap",
];

/// Default per-command timeout; the child is killed after it.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// Set to a `TF_LOG` level to log every Terraform run to `terraform.log`.
pub const LOG_ENV: &str = "HWSNAP_TF_LOG";

/// Set (to anything) to keep work directories after the tests.
pub const KEEP_ENV: &str = "HWSNAP_KEEP_WORKDIRS";

/// Variables copied from the test's own environment into Terraform's.
const PASSTHROUGH_ENV: [&str; 5] = [
    "PATH",
    "TMPDIR",
    "RUST_BACKTRACE",
    "RUST_LOG",
    "LLVM_PROFILE_FILE",
];

/// The directory holding `terraform-provider-{hwsnap,dws,css}`.
pub fn provider_dir() -> PathBuf {
    let exe = Path::new(env!("CARGO_BIN_EXE_terraform-provider-hwsnap"));
    exe.parent()
        .unwrap_or_else(|| panic!("{} has no parent directory", exe.display()))
        .to_owned()
}

/// The CLI configuration text for `provider_dir`.
pub fn cli_config(provider_dir: &Path) -> String {
    cli_config_with(provider_dir, &[])
}

/// The CLI configuration text for `provider_dir`, with `extra` overrides
/// (source address, directory) after hwsnap's.
pub fn cli_config_with(provider_dir: &Path, extra: &[(String, PathBuf)]) -> String {
    let mut text = String::from("provider_installation {\n  dev_overrides {\n");
    let ours = PROVIDER_SOURCES.map(|s| (s.to_owned(), provider_dir.to_owned()));
    for (source, dir) in ours.iter().chain(extra) {
        let dir = hcl_string(&dir.display().to_string());
        text.push_str(&format!("    \"{source}\" = {dir}\n"));
    }
    text.push_str("  }\n  direct {}\n}\n");
    text
}

/// A quoted string literal for the CLI config (HCL 1: only `"` and `\\`
/// are special; `${` is not interpolated there).
fn hcl_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One Terraform working directory bound to one CLI and one emulator.
pub struct Workdir {
    cli: TerraformCli,
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
    timeout: Duration,
    /// `dev_overrides` beyond hwsnap's own: (source address, directory).
    overrides: Vec<(String, PathBuf)>,
}

impl Workdir {
    /// A fresh temp dir with `.terraformrc` (dev_overrides) and `home/`.
    pub fn new(cli: &TerraformCli, emu: &Emulator) -> Workdir {
        let dir = tempfile::Builder::new()
            .prefix(&format!("hwsnap-tf-{}.{}-", cli.major, cli.minor))
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a temp dir: {e}"));
        let root = dir.path();
        let home = root.join("home");
        fs::create_dir(&home).unwrap_or_else(|e| panic!("cannot create {}: {e}", home.display()));
        let config = root.join(".terraformrc");
        fs::write(&config, cli_config(&provider_dir()))
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", config.display()));
        let mut env: Vec<(String, String)> = PASSTHROUGH_ENV
            .iter()
            .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v)))
            .collect();
        env.extend([
            ("HOME".to_owned(), home.display().to_string()),
            (
                "TF_CLI_CONFIG_FILE".to_owned(),
                config.display().to_string(),
            ),
            ("TF_IN_AUTOMATION".to_owned(), "1".to_owned()),
            ("TF_INPUT".to_owned(), "0".to_owned()),
            ("CHECKPOINT_DISABLE".to_owned(), "1".to_owned()),
        ]);
        env.extend(
            emu.provider_env()
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v)),
        );
        // Debugging knobs: HWSNAP_TF_LOG=trace logs to <workdir>/terraform.log,
        // HWSNAP_KEEP_WORKDIRS=1 keeps the temp dirs after the test.
        if let Ok(level) = std::env::var(LOG_ENV) {
            env.push(("TF_LOG".to_owned(), level));
            let log = root.join("terraform.log").display().to_string();
            env.push(("TF_LOG_PATH".to_owned(), log));
        }
        let mut dir = dir;
        if std::env::var_os(KEEP_ENV).is_some() {
            dir.disable_cleanup(true);
            eprintln!("{KEEP_ENV}: keeping {}", dir.path().display());
        }
        Workdir {
            cli: cli.clone(),
            dir,
            env,
            timeout: DEFAULT_TIMEOUT,
            overrides: Vec::new(),
        }
    }

    /// Serves the stand-in for the official huaweicloud provider
    /// ([`standin`](super::standin)) as `huaweicloud/huaweicloud`, through
    /// one more `dev_overrides` entry.
    pub fn serve_standin(&mut self) -> &mut Self {
        self.serve_standin_as(super::standin::OFFICIAL)
    }

    /// Serves the stand-in as the provider at `address` (e.g. a near-miss
    /// of the official address): its executable, linked under the name
    /// Terraform looks for, in a directory of its own under the workdir.
    pub fn serve_standin_as(&mut self, address: &str) -> &mut Self {
        let ty = super::standin::provider_type(address);
        let dir = self.path().join("providers").join(ty);
        fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        let link = dir.join(format!("terraform-provider-{ty}"));
        std::os::unix::fs::symlink(super::standin::executable(), &link)
            .unwrap_or_else(|e| panic!("cannot link {}: {e}", link.display()));
        self.overrides.push((address.to_owned(), dir));
        let config = self.cli_config_path();
        fs::write(&config, cli_config_with(&provider_dir(), &self.overrides))
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", config.display()));
        self
    }

    /// The working directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The CLI this directory runs.
    pub fn cli(&self) -> &TerraformCli {
        &self.cli
    }

    /// The CLI config file (`TF_CLI_CONFIG_FILE`).
    pub fn cli_config_path(&self) -> PathBuf {
        self.path().join(".terraformrc")
    }

    /// Set (or replace) a variable of the child environment, e.g.
    /// `wd.set_env("TF_LOG", "trace")`.
    pub fn set_env(&mut self, key: &str, value: &str) -> &mut Self {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Remove a variable from the child environment.
    pub fn remove_env(&mut self, key: &str) -> &mut Self {
        self.env.retain(|(k, _)| k != key);
        self
    }

    /// The child environment, secret values included (do not print it).
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    /// Per-command timeout (default [`DEFAULT_TIMEOUT`]).
    pub fn set_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.timeout = timeout;
        self
    }

    /// Write `file` (relative to the workdir) with `contents`.
    pub fn write(&self, file: &str, contents: &str) {
        let path = self.path().join(file);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", parent.display()));
        }
        fs::write(&path, contents)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }

    /// Read a file of the workdir.
    pub fn read(&self, file: &str) -> String {
        let path = self.path().join(file);
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
    }

    /// Remove a file of the workdir (no error when absent).
    pub fn remove(&self, file: &str) {
        let _ = fs::remove_file(self.path().join(file));
    }

    /// Run `terraform ARGS…` here; never panics on a failing command.
    pub fn run(&self, args: &[&str]) -> Run {
        let mut cmd = Command::new(&self.cli.path);
        cmd.args(args).current_dir(self.path()).env_clear();
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        let mut run = process::run(cmd, self.timeout);
        run.command = format!("{} {}", self.cli.label(), args.join(" "));
        run
    }

    /// Start `terraform ARGS…` here without waiting: a child in its own
    /// process group, stdin closed, stdout and stderr going to
    /// `spawned.stdout` / `spawned.stderr` in the workdir (read them with
    /// [`Workdir::read`]). The caller waits for (or kills) the child.
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        use std::os::unix::process::CommandExt;
        let file = |name: &str| {
            let path = self.path().join(name);
            fs::File::create(&path)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()))
        };
        let mut cmd = Command::new(&self.cli.path);
        cmd.args(args)
            .current_dir(self.path())
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(std::process::Stdio::null())
            .stdout(file("spawned.stdout"))
            .stderr(file("spawned.stderr"))
            .process_group(0);
        cmd.spawn()
            .unwrap_or_else(|e| panic!("cannot start {} {}: {e}", self.cli.label(), args.join(" ")))
    }

    /// Run and panic (showing stdout and stderr) unless it exits 0.
    pub fn expect_success(&self, args: &[&str]) -> Run {
        let run = self.run(args);
        assert!(
            run.success(),
            "expected success in {}:\n{run}",
            self.path().display()
        );
        run
    }

    /// Run and panic (showing stdout and stderr) if it exits 0.
    pub fn expect_failure(&self, args: &[&str]) -> Run {
        let run = self.run(args);
        assert!(
            !run.success() && !run.timed_out,
            "expected failure in {}:\n{run}",
            self.path().display()
        );
        run
    }

    /// `terraform apply -auto-approve`, expected to succeed.
    pub fn apply(&self) -> Run {
        self.expect_success(&["apply", "-auto-approve", "-input=false", "-no-color"])
    }

    /// `terraform apply -auto-approve`, expected to fail; returns the run.
    pub fn apply_failure(&self) -> Run {
        self.expect_failure(&["apply", "-auto-approve", "-input=false", "-no-color"])
    }

    /// `terraform destroy -auto-approve`, expected to succeed.
    pub fn destroy(&self) -> Run {
        self.expect_success(&["destroy", "-auto-approve", "-input=false", "-no-color"])
    }

    /// `terraform plan -out` then `show -json`: the plan as JSON.
    pub fn plan_json(&self) -> Value {
        self.expect_success(&["plan", "-input=false", "-no-color", "-out=hwsnap.tfplan"]);
        let show = self.expect_success(&["show", "-json", "-no-color", "hwsnap.tfplan"]);
        parse_json(&show)
    }

    /// `terraform plan -detailed-exitcode`: 0 no changes, 2 changes (1 panics).
    pub fn plan_exit_code(&self) -> i32 {
        let run = self.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
        match run.code() {
            Some(code @ (0 | 2)) if !run.timed_out => code,
            _ => panic!("plan failed in {}:\n{run}", self.path().display()),
        }
    }

    /// Assert an empty plan (the refresh-plan-apply loop has converged).
    pub fn expect_empty_plan(&self) {
        let plan = self.plan_json();
        let changing: Vec<&Value> = resource_changes(&plan)
            .iter()
            .filter(|rc| rc["change"]["actions"] != serde_json::json!(["no-op"]))
            .collect();
        assert!(
            changing.is_empty(),
            "expected an empty plan, got changes: {changing:#?}"
        );
    }

    /// `terraform show -json`: the state as JSON.
    pub fn state_json(&self) -> Value {
        let show = self.expect_success(&["show", "-json", "-no-color"]);
        parse_json(&show)
    }

    /// The state's resource at `address` (e.g. `hwsnap_dws_snapshot.s`),
    /// searched in the root module and child modules.
    pub fn state_resource(&self, address: &str) -> Value {
        let state = self.state_json();
        find_resource(&state["values"]["root_module"], address)
            .unwrap_or_else(|| panic!("no {address} in state: {state:#}"))
    }

    /// `values` (attributes) of the state resource at `address`.
    pub fn state_values(&self, address: &str) -> Value {
        self.state_resource(address)["values"].take()
    }

    /// The plan's `resource_changes` entries.
    pub fn resource_changes(&self) -> Vec<Value> {
        resource_changes(&self.plan_json()).to_vec()
    }

    /// `terraform import ADDRESS ID`, expected to succeed.
    pub fn import(&self, address: &str, id: &str) -> Run {
        self.expect_success(&["import", "-input=false", "-no-color", address, id])
    }
}

impl std::fmt::Debug for Workdir {
    // The environment holds the secret key: only its names are shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.env.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("Workdir")
            .field("cli", &self.cli.label())
            .field("dir", &self.dir.path())
            .field("env", &names)
            .field("timeout", &self.timeout)
            .finish()
    }
}

fn parse_json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("expected JSON on stdout ({e}):\n{run}"))
}

/// The `resource_changes` array of a plan (empty when absent).
pub fn resource_changes(plan: &Value) -> &[Value] {
    plan["resource_changes"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// The actions of the change to `address` in a plan, e.g. `["create"]`.
pub fn actions_for(plan: &Value, address: &str) -> Vec<String> {
    resource_changes(plan)
        .iter()
        .find(|rc| rc["address"] == address)
        .unwrap_or_else(|| panic!("no change for {address} in plan: {plan:#}"))["change"]["actions"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn find_resource(module: &Value, address: &str) -> Option<Value> {
    let here = module["resources"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["address"] == address).cloned());
    here.or_else(|| {
        module["child_modules"]
            .as_array()
            .and_then(|ms| ms.iter().find_map(|m| find_resource(m, address)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_config_overrides_every_provider() {
        let text = cli_config(Path::new("/x/target/debug"));
        for source in PROVIDER_SOURCES {
            assert!(
                text.contains(&format!("\"{source}\" = \"/x/target/debug\"")),
                "{text}"
            );
        }
        assert!(text.contains("direct {}"), "{text}");
    }

    #[test]
    fn hcl_strings_are_escaped() {
        assert_eq!(hcl_string(r#"a"b\c${d}"#), r#""a\"b\\c${d}""#);
    }

    #[test]
    fn finds_resources_in_child_modules() {
        let module = serde_json::json!({
            "resources": [{"address": "a.b"}],
            "child_modules": [{"resources": [{"address": "module.m.c.d", "values": {"id": "x"}}]}]
        });
        assert_eq!(
            find_resource(&module, "module.m.c.d").unwrap()["values"]["id"],
            "x"
        );
        assert!(find_resource(&module, "e.f").is_none());
    }

    #[test]
    fn reads_actions_from_a_plan() {
        let plan = serde_json::json!({
            "resource_changes": [{"address": "a.b", "change": {"actions": ["delete", "create"]}}]
        });
        assert_eq!(actions_for(&plan, "a.b"), ["delete", "create"]);
        assert!(resource_changes(&serde_json::json!({})).is_empty());
    }
}
