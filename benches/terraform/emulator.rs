//! The release-built `hwsnap-emulator` as a child process: started with
//! create time 0, one DWS cluster per resource and one CSS cluster, driven
//! through its control API; the request counts come from its request log.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

use crate::Result;
use crate::http;

/// A running emulator; killed on drop.
pub struct Emulator {
    child: Child,
    pub base_url: String,
    pub clusters: Vec<String>,
    /// The one CSS cluster.
    pub css_cluster: String,
}

/// A UUID-shaped cluster id, different for each `i`.
fn cluster_id(i: usize) -> String {
    format!("{:08x}-b5c1-4e0a-9d3f-{:012x}", 0x5ca1_ab1e_u32, i)
}

impl Emulator {
    /// Starts `bin` with `clusters` DWS clusters, one CSS cluster and
    /// create time 0.
    pub fn start(bin: &Path, clusters: usize) -> Result<Emulator> {
        let ids: Vec<String> = (0..clusters).map(cluster_id).collect();
        let css_cluster = format!("{:08x}-c55c-4e0a-9d3f-{:012x}", 0x5ca1_ab1e_u32, 0);
        let mut cmd = Command::new(bin);
        cmd.args(["--create-seconds", "0", "--css-cluster", &css_cluster]);
        for id in &ids {
            cmd.args(["--dws-cluster", id]);
        }
        cmd.env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("start {}: {e}", bin.display()))?;
        let stdout = child.stdout.take().ok_or("emulator stdout")?;
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| format!("read emulator URL: {e}"))?;
        let base_url = line.trim().to_owned();
        if !base_url.starts_with("http://") {
            let _ = child.kill();
            return Err(format!("emulator printed {line:?}, not its URL"));
        }
        Ok(Emulator {
            child,
            base_url,
            clusters: ids,
            css_cluster,
        })
    }

    fn control(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        let resp = http::request(&self.base_url, method, path, body.as_ref())?;
        if !(200..300).contains(&resp.status) {
            return Err(format!(
                "emulator {method} {path}: {} {}",
                resp.status,
                String::from_utf8_lossy(&resp.body)
            ));
        }
        if resp.body.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&resp.body).map_err(|e| format!("emulator {path}: {e}"))
    }

    /// The emulator's CPU time so far (user + system, ms; the kernel counts
    /// it in clock ticks, 10 ms on most systems).
    pub fn cpu_ms(&self) -> Result<f64> {
        let pid = self.child.id();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map_err(|e| format!("emulator /proc/{pid}/stat: {e}"))?;
        // utime and stime are the 14th and 15th fields; the command name
        // (2nd, in parentheses) may contain spaces.
        let rest = stat
            .rfind(')')
            .map(|i| &stat[i + 2..])
            .ok_or("emulator stat without a command name")?;
        let f: Vec<&str> = rest.split_whitespace().collect();
        let field = |i: usize| -> Result<u64> {
            f.get(i)
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("emulator stat field {}", i + 3))
        };
        let ticks = field(11)? + field(12)?;
        // SAFETY: sysconf has no preconditions.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        Ok(ticks as f64 * 1000.0 / hz.max(1) as f64)
    }

    /// Drops all snapshots and the request log; clusters stay.
    pub fn reset(&self) -> Result<()> {
        self.control("POST", "/_emulator/reset", None).map(drop)
    }

    /// Sets how long new snapshots stay CREATING.
    pub fn set_create_seconds(&self, s: f64) -> Result<()> {
        self.control(
            "POST",
            "/_emulator/settings",
            Some(json!({ "create_seconds": s })),
        )
        .map(drop)
    }

    /// The number of DWS snapshots.
    pub fn snapshot_count(&self) -> Result<usize> {
        let state = self.control("GET", "/_emulator/state", None)?;
        Ok(state["dws_snapshots"].as_array().map_or(0, Vec::len))
    }

    /// The cloud requests logged since the last reset: `(snapshot calls,
    /// credential checks)`. The providers check the credentials once per
    /// configure (`iam.list_projects`), a cost per command, not per snapshot.
    pub fn request_counts(&self) -> Result<(usize, usize)> {
        let ops = self.operations()?;
        let checks = ops.iter().filter(|op| *op == CREDENTIAL_CHECK).count();
        Ok((ops.len() - checks, checks))
    }

    /// The operation of every cloud request logged since the last reset or
    /// [`Emulator::clear_requests`], in order (`"dws.show_snapshot"`, …;
    /// `"?"` for a path no route serves).
    pub fn operations(&self) -> Result<Vec<String>> {
        let log = self.control("GET", "/_emulator/requests", None)?;
        let all = log.as_array().ok_or("the request log is not a list")?;
        Ok(all
            .iter()
            .map(|r| r["operation"].as_str().unwrap_or("?").to_owned())
            .collect())
    }

    /// Empties the request log; snapshots stay.
    pub fn clear_requests(&self) -> Result<()> {
        self.control("DELETE", "/_emulator/requests", None)
            .map(drop)
    }

    /// The number of CSS snapshots.
    pub fn css_snapshot_count(&self) -> Result<usize> {
        let state = self.control("GET", "/_emulator/state", None)?;
        Ok(state["css_snapshots"].as_array().map_or(0, Vec::len))
    }
}

/// The operation of the providers' credential check at configure.
pub const CREDENTIAL_CHECK: &str = "iam.list_projects";

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
