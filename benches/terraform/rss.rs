//! Provider peak RSS and CPU time, exact: Terraform starts the provider
//! through a wrapper script that `exec`s this bench binary in wrapper mode
//! (`--wrap REAL ARGS…`). The wrapper runs the real provider as its child
//! with the same stdio and environment, reaps it with `wait4`, and appends
//! the child's `ru_maxrss` and `ru_utime + ru_stime` (microseconds) to the
//! file named by `$HWSNAP_BENCH_USAGE`. Every provider process Terraform
//! starts is counted in full, however short-lived.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, ExitCode};

/// The wrapper mode's first argument.
pub const WRAP_ARG: &str = "--wrap";
/// Where the wrapper appends one line per provider process.
const USAGE_ENV: &str = "HWSNAP_BENCH_USAGE";

/// What the provider processes used.
#[derive(Debug, Default, Clone, Copy)]
pub struct Usage {
    /// The largest `ru_maxrss` of any one process, KiB.
    pub peak_kib: u64,
    /// CPU time (user + system) of all processes together, ms.
    pub cpu_ms: f64,
    /// How many provider processes ran.
    pub processes: usize,
}

/// The environment variable pointing the wrapper at `file`.
pub fn usage_env(file: &Path) -> (String, String) {
    (USAGE_ENV.to_owned(), file.display().to_string())
}

/// The wrapper script Terraform runs as the provider.
pub fn wrapper_script(real: &Path) -> Result<String, String> {
    let bench = std::env::current_exe().map_err(|e| format!("bench executable: {e}"))?;
    Ok(format!(
        "#!/bin/sh\nexec '{}' {WRAP_ARG} '{}' \"$@\"\n",
        bench.display(),
        real.display()
    ))
}

/// Sums the lines the wrappers appended to `file` (none: all zero).
pub fn read(file: &Path) -> Result<Usage, String> {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("read {}: {e}", file.display())),
    };
    let mut usage = Usage::default();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let nums: Vec<u64> = line
            .split_whitespace()
            .map(|n| n.parse().map_err(|e| format!("usage line {line:?}: {e}")))
            .collect::<Result<_, _>>()?;
        let [kib, cpu_us] = nums[..] else {
            return Err(format!("usage line {line:?}: expected two numbers"));
        };
        usage.peak_kib = usage.peak_kib.max(kib);
        usage.cpu_ms += cpu_us as f64 / 1000.0;
        usage.processes += 1;
    }
    Ok(usage)
}

/// Wrapper mode: runs `args[0]` with `args[1..]`, records its usage, and
/// exits as it did.
pub fn wrap(args: &[String]) -> ExitCode {
    let Some((real, rest)) = args.split_first() else {
        eprintln!("bench {WRAP_ARG}: no program");
        return ExitCode::from(2);
    };
    let child = match Command::new(real).args(rest).spawn() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("bench {WRAP_ARG}: start {real}: {e}");
            return ExitCode::from(1);
        }
    };
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data; wait4 writes it and status for our own
    // child, which std has not reaped (we never call `Child::wait`).
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    if waited != pid {
        eprintln!(
            "bench {WRAP_ARG}: wait4: {}",
            std::io::Error::last_os_error()
        );
        return ExitCode::from(1);
    }
    let us = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    let cpu_us = us(ru.ru_utime) + us(ru.ru_stime);
    if let Some(file) = std::env::var_os(USAGE_ENV) {
        let line = format!("{} {cpu_us}\n", ru.ru_maxrss);
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&file)
            .and_then(|mut f| f.write_all(line.as_bytes()));
        if let Err(e) = written {
            eprintln!("bench {WRAP_ARG}: record usage: {e}");
        }
    }
    if libc::WIFEXITED(status) {
        ExitCode::from(libc::WEXITSTATUS(status) as u8)
    } else {
        ExitCode::from(128u8.wrapping_add(libc::WTERMSIG(status) as u8))
    }
}
