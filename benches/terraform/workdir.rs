//! A Terraform working directory for one contender and shape: `.terraformrc`
//! with `dev_overrides` (this provider's `dws` and `css` binaries and the
//! schema twin from the cargo build, `hashicorp/null` from the Go binary;
//! each directly or through the usage wrapper), a clean environment, and
//! timed runs.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hwsnap_emulator::config;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::emulator::Emulator;
use crate::{Result, Tools, rss};

/// What a working directory applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contender {
    /// `terraform_data`: built into Terraform, no provider process.
    Floor,
    /// `null_resource` from HashiCorp's Go `null` provider.
    Null,
    /// `twin_snapshot` from `terraform-provider-twin`: `dws_snapshot`'s
    /// schema, served by the same framework, no API calls.
    Twin,
    /// `dws_snapshot` from this provider.
    Ours,
}

impl Contender {
    pub fn label(self) -> &'static str {
        match self {
            Contender::Floor => "floor",
            Contender::Null => "null",
            Contender::Twin => "twin",
            Contender::Ours => "hwsnap",
        }
    }

    /// How the report names it.
    pub fn name(self) -> &'static str {
        match self {
            Contender::Floor => "`terraform_data`",
            Contender::Null => "Go `null`",
            Contender::Twin => "twin",
            Contender::Ours => "hwsnap",
        }
    }

    /// `(resource type, the required_providers entry)`.
    fn resource_type(self) -> (&'static str, Option<&'static str>) {
        match self {
            Contender::Floor => ("terraform_data", None),
            Contender::Null => (
                "null_resource",
                Some("null = { source = \"hashicorp/null\" }"),
            ),
            Contender::Twin => ("twin_snapshot", Some("twin = { source = \"hwsnap/twin\" }")),
            Contender::Ours => ("dws_snapshot", Some("dws = { source = \"hwsnap/dws\" }")),
        }
    }

    /// The arguments of resource `i` (an HCL expression, e.g. a literal or
    /// `${count.index}` inside a string) on the cluster expression `cluster`.
    fn arguments(self, i: &str, cluster: &str) -> String {
        match self {
            Contender::Floor => format!("  input = \"bench-{i}\"\n"),
            Contender::Null => format!("  triggers = {{ name = \"bench-{i}\" }}\n"),
            Contender::Twin | Contender::Ours => {
                format!("  cluster_id = {cluster}\n  name       = \"bench-{i}\"\n")
            }
        }
    }
}

/// How the configuration spells `n` resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One `resource` block with `count = n`.
    Count,
    /// `n` `resource` blocks, as people write them: Terraform validates and
    /// plans each block on its own (ValidateResourceConfig per block).
    Blocks,
}

impl Shape {
    pub fn label(self) -> &'static str {
        match self {
            Shape::Count => "count",
            Shape::Blocks => "blocks",
        }
    }

    /// How the report names it.
    pub fn name(self) -> &'static str {
        match self {
            Shape::Count => "`count`",
            Shape::Blocks => "one block each",
        }
    }
}

/// The configuration of `n` resources of `c` in `shape`, spread over
/// `clusters` round-robin.
pub fn main_tf(c: Contender, shape: Shape, n: usize, clusters: &[String]) -> String {
    let (ty, provider) = c.resource_type();
    let mut tf = String::new();
    if let Some(p) = provider {
        let _ = writeln!(
            tf,
            "terraform {{\n  required_providers {{\n    {p}\n  }}\n}}\n"
        );
    }
    match shape {
        Shape::Count => {
            let mut list = String::new();
            for id in clusters {
                let _ = writeln!(list, "    \"{id}\",");
            }
            let _ = writeln!(tf, "locals {{\n  clusters = [\n{list}  ]\n}}\n");
            let cluster = "local.clusters[count.index % length(local.clusters)]";
            let _ = writeln!(
                tf,
                "resource \"{ty}\" \"r\" {{\n  count = {n}\n{}}}",
                c.arguments("${count.index}", cluster)
            );
        }
        Shape::Blocks => {
            for i in 0..n {
                let cluster = match clusters {
                    [] => String::new(),
                    _ => format!("\"{}\"", clusters[i % clusters.len()]),
                };
                let _ = writeln!(
                    tf,
                    "resource \"{ty}\" \"r{i}\" {{\n{}}}\n",
                    c.arguments(&i.to_string(), &cluster)
                );
            }
        }
    }
    tf
}

/// `n` `css_index_snapshot`s (`count`) on one CSS cluster.
pub fn css_tf(n: usize, cluster: &str) -> String {
    format!(
        "terraform {{\n  required_providers {{\n    css = {{ source = \"hwsnap/css\" }}\n  }}\n}}\n\n\
         resource \"css_index_snapshot\" \"r\" {{\n  count      = {n}\n  \
         cluster_id = \"{cluster}\"\n  name       = \"bench-${{count.index}}\"\n}}\n"
    )
}

pub struct Workdir {
    dir: PathBuf,
    terraform: PathBuf,
    env: Vec<(String, String)>,
}

fn write(path: &Path, text: &str) -> Result<()> {
    fs::write(path, text).map_err(|e| format!("write {}: {e}", path.display()))
}

fn mkdir(path: &Path) -> Result<()> {
    fs::create_dir_all(path).map_err(|e| format!("mkdir {}: {e}", path.display()))
}

impl Workdir {
    /// `tmp/name`, set up for every contender. With `usage`, both providers
    /// run through the usage wrapper, which appends each process's peak RSS
    /// and CPU time there.
    pub fn new(
        tmp: &Path,
        name: &str,
        tools: &Tools,
        emu: &Emulator,
        usage: Option<&Path>,
    ) -> Result<Workdir> {
        let dir = tmp.join(name);
        mkdir(&dir.join("home"))?;
        // One directory per provider, as dev_overrides wants.
        let providers = [
            ("hashicorp/null", "null", &tools.null_provider),
            ("hwsnap/dws", "dws", &tools.provider),
            ("hwsnap/css", "css", &tools.css_provider),
            ("hwsnap/twin", "twin", &tools.twin),
        ];
        let mut overrides = String::new();
        for (address, local, real) in providers {
            let bin_dir = dir.join(format!("provider-{local}"));
            mkdir(&bin_dir)?;
            let exe = bin_dir.join(format!("terraform-provider-{local}"));
            match usage {
                Some(_) => {
                    write(&exe, &rss::wrapper_script(real)?)?;
                    use std::os::unix::fs::PermissionsExt;
                    fs::set_permissions(&exe, fs::Permissions::from_mode(0o755))
                        .map_err(|e| format!("chmod wrapper: {e}"))?;
                }
                None => std::os::unix::fs::symlink(real, &exe)
                    .map_err(|e| format!("symlink {}: {e}", real.display()))?,
            }
            let _ = writeln!(
                overrides,
                "    \"registry.terraform.io/{address}\" = \"{}\"",
                bin_dir.display()
            );
        }
        let config = dir.join(".terraformrc");
        write(
            &config,
            &format!(
                "provider_installation {{\n  dev_overrides {{\n{overrides}  }}\n  direct {{}}\n}}\n"
            ),
        )?;
        let mut env: Vec<(String, String)> = ["PATH", "TMPDIR"]
            .iter()
            .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v)))
            .collect();
        let own = [
            ("HOME", dir.join("home").display().to_string()),
            ("TF_CLI_CONFIG_FILE", config.display().to_string()),
            ("TF_IN_AUTOMATION", "1".into()),
            ("TF_INPUT", "0".into()),
            ("CHECKPOINT_DISABLE", "1".into()),
            ("HW_ACCESS_KEY", config::DEFAULT_ACCESS_KEY.into()),
            ("HW_SECRET_KEY", config::DEFAULT_SECRET_KEY.into()),
            ("HW_REGION_NAME", config::DEFAULT_REGION.into()),
            ("HW_PROJECT_ID", config::DEFAULT_PROJECT_ID.into()),
            ("HW_DWS_ENDPOINT", emu.base_url.clone()),
            ("HW_CSS_ENDPOINT", emu.base_url.clone()),
            ("HW_IAM_ENDPOINT", emu.base_url.clone()),
        ];
        env.extend(own.into_iter().map(|(k, v)| (k.to_owned(), v)));
        if let Some(file) = usage {
            env.push(rss::usage_env(file));
        }
        Ok(Workdir {
            dir,
            terraform: tools.terraform.clone(),
            env,
        })
    }

    pub fn write_main(
        &self,
        c: Contender,
        shape: Shape,
        n: usize,
        clusters: &[String],
    ) -> Result<()> {
        self.write_tf(&main_tf(c, shape, n, clusters))
    }

    /// Replaces the configuration with `text`.
    pub fn write_tf(&self, text: &str) -> Result<()> {
        write(&self.dir.join("main.tf"), text)
    }

    /// Removes the state, so the next apply creates everything.
    pub fn fresh_state(&self) -> Result<()> {
        for f in ["terraform.tfstate", "terraform.tfstate.backup"] {
            match fs::remove_file(self.dir.join(f)) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(format!("remove {f}: {e}")),
            }
        }
        Ok(())
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.terraform);
        cmd.args(args)
            .current_dir(&self.dir)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null());
        cmd
    }

    /// Runs `terraform ARGS`, output to files; its wall time, or an error
    /// with the output when it does not exit 0.
    pub fn timed(&self, args: &[&str]) -> Result<Duration> {
        self.timed_cpu(args).map(|(took, _)| took)
    }

    /// [`Workdir::timed`], plus the CPU time (user + system, ms) of
    /// Terraform and every process it started and reaped.
    pub fn timed_cpu(&self, args: &[&str]) -> Result<(Duration, f64)> {
        let cpu_before = children_cpu_ms();
        let out = self.dir.join("last.out");
        let file = fs::File::create(&out).map_err(|e| format!("create last.out: {e}"))?;
        let err = file.try_clone().map_err(|e| format!("dup: {e}"))?;
        let mut cmd = self.command(args);
        cmd.stdout(file).stderr(err);
        let start = Instant::now();
        let status = cmd
            .status()
            .map_err(|e| format!("start {}: {e}", self.terraform.display()))?;
        let took = start.elapsed();
        let cpu = children_cpu_ms() - cpu_before;
        if !status.success() {
            let text = fs::read_to_string(&out).unwrap_or_default();
            return Err(format!(
                "terraform {} in {} failed ({status}):\n{text}",
                args.join(" "),
                self.dir.display()
            ));
        }
        Ok((took, cpu))
    }

    /// Runs `terraform ARGS`; its stdout, or an error when it fails.
    pub fn output(&self, args: &[&str]) -> Result<String> {
        let out = self
            .command(args)
            .output()
            .map_err(|e| format!("start {}: {e}", self.terraform.display()))?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if !out.status.success() {
            return Err(format!(
                "terraform {} failed ({}):\n{stdout}\n{}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(stdout)
    }
}

/// User + system CPU time of this process's reaped children (and theirs),
/// ms.
fn children_cpu_ms() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    let ms = |t: libc::timeval| t.tv_sec as f64 * 1000.0 + t.tv_usec as f64 / 1000.0;
    ms(ru.ru_utime) + ms(ru.ru_stime)
}

fn timestamp(msg: &Value) -> Result<OffsetDateTime> {
    let t = msg["@timestamp"]
        .as_str()
        .ok_or("message without @timestamp")?;
    OffsetDateTime::parse(t, &Rfc3339).map_err(|e| format!("timestamp {t:?}: {e}"))
}

/// From `terraform apply -json` output: for each created resource, the time
/// from when the snapshot was available at the latest (its `apply_start`
/// plus `create_seconds`) to its `apply_complete`, in ms.
pub fn completion_lags(json_lines: &str, create_seconds: f64) -> Result<Vec<f64>> {
    let mut starts = std::collections::HashMap::new();
    let mut lags = Vec::new();
    for line in json_lines.lines() {
        let Ok(msg) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let addr = msg["hook"]["resource"]["addr"].as_str().unwrap_or_default();
        match msg["type"].as_str() {
            Some("apply_start") => {
                starts.insert(addr.to_owned(), timestamp(&msg)?);
            }
            Some("apply_complete") => {
                let start = starts
                    .get(addr)
                    .ok_or_else(|| format!("apply_complete without apply_start for {addr}"))?;
                let took = (timestamp(&msg)? - *start).as_seconds_f64();
                lags.push((took - create_seconds) * 1000.0);
            }
            _ => {}
        }
    }
    Ok(lags)
}
