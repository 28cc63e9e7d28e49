//! Provider peak RSS: the provider is started through a wrapper script that
//! appends its pid to a file and `exec`s the real binary (same pid); a
//! thread polls `VmHWM` (the kernel's high-water mark, so no peak between
//! polls is lost) of every listed process until stopped.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// Polls the processes listed in a pid file.
pub struct Watch {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<u64>,
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
            loop {
                let done = flag.load(Ordering::SeqCst);
                if let Ok(text) = std::fs::read_to_string(&file) {
                    for pid in text.split_whitespace() {
                        if let Some(kib) = vm_hwm_kib(pid) {
                            peak = peak.max(kib);
                        }
                    }
                }
                if done {
                    return peak;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        Watch { stop, handle }
    }

    /// Stops polling; the largest `VmHWM` seen, in KiB.
    pub fn stop(self) -> u64 {
        self.stop.store(true, Ordering::SeqCst);
        self.handle.join().unwrap_or(0)
    }
}

/// The wrapper script `exec`ing `real`, recording its pid in `$HWSNAP_BENCH_PIDS`.
pub fn wrapper_script(real: &Path) -> String {
    format!(
        "#!/bin/sh\necho $$ >> \"$HWSNAP_BENCH_PIDS\"\nexec '{}' \"$@\"\n",
        real.display()
    )
}
