//! Provider peak RSS and CPU time: the provider is started through a wrapper
//! script that appends its pid to a file and `exec`s the real binary (same
//! pid); a thread polls `VmHWM` (the kernel's high-water mark, so no peak
//! between polls is lost) and `utime + stime` of every listed process until
//! stopped. CPU time is the last value seen per process (up to 10 ms old).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// Polls the processes listed in a pid file.
pub struct Watch {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<Usage>,
}

/// What the provider processes used.
#[derive(Debug, Default, Clone, Copy)]
pub struct Usage {
    /// The largest `VmHWM` of any one process, KiB.
    pub peak_kib: u64,
    /// CPU time of all processes together, ms.
    pub cpu_ms: f64,
}

/// `utime + stime` of `pid` in ms, if it still runs.
fn cpu_ms(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields of the whole line.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    Some(ticks as f64 * 1000.0 / hz.max(1) as f64)
}

/// `VmHWM` of `pid` in KiB, if it still runs.
fn vm_hwm_kib(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

impl Watch {
    /// Starts polling every 10 ms the pids appended to `pid_file`.
    pub fn start(pid_file: &Path) -> Watch {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let file: PathBuf = pid_file.to_owned();
        let handle = std::thread::spawn(move || {
            let mut peak = 0u64;
            let mut cpu = std::collections::HashMap::<String, f64>::new();
            loop {
                let done = flag.load(Ordering::SeqCst);
                if let Ok(text) = std::fs::read_to_string(&file) {
                    for pid in text.split_whitespace() {
                        if let Some(kib) = vm_hwm_kib(pid) {
                            peak = peak.max(kib);
                        }
                        if let Some(ms) = cpu_ms(pid) {
                            cpu.insert(pid.to_owned(), ms);
                        }
                    }
                }
                if done {
                    return Usage {
                        peak_kib: peak,
                        cpu_ms: cpu.values().sum(),
                    };
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        Watch { stop, handle }
    }

    /// Stops polling; what was seen.
    pub fn stop(self) -> Usage {
        self.stop.store(true, Ordering::SeqCst);
        self.handle.join().unwrap_or_default()
    }
}

/// The wrapper script `exec`ing `real`, recording its pid in `$HWSNAP_BENCH_PIDS`.
pub fn wrapper_script(real: &Path) -> String {
    format!(
        "#!/bin/sh\necho $$ >> \"$HWSNAP_BENCH_PIDS\"\nexec '{}' \"$@\"\n",
        real.display()
    )
}
