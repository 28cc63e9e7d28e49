//! Running a child process with captured output and a timeout that kills it
//! (and everything it started, e.g. provider plugins).

use std::fmt;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// What one command did.
#[derive(Debug)]
pub struct Run {
    /// The command line, for messages.
    pub command: String,
    /// Its exit status (a signal when it was killed).
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    /// True when the timeout expired and the child was killed.
    pub timed_out: bool,
}

impl Run {
    pub fn success(&self) -> bool {
        self.status.success() && !self.timed_out
    }

    /// The exit code, `None` when killed by a signal.
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// Stdout followed by stderr.
    pub fn output(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    /// Panics, showing the run, unless its [`Run::flat_output`] holds each
    /// of `expected`.
    pub fn assert_says<S: AsRef<str>>(&self, expected: &[S]) {
        let out = self.flat_output();
        for want in expected {
            let want = want.as_ref();
            assert!(out.contains(want), "no {want:?} in:\n{self}");
        }
    }

    /// [`Run::output`] with every run of whitespace as one space, so a
    /// message Terraform wrapped across lines can be searched whole.
    pub fn flat_output(&self) -> String {
        flat(&self.output())
    }
}

/// `text` with every run of whitespace as one space.
pub fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "$ {}", self.command)?;
        if self.timed_out {
            writeln!(f, "(killed after timeout)")?;
        }
        writeln!(f, "exit: {}", self.status)?;
        writeln!(f, "--- stdout ---\n{}", self.stdout)?;
        write!(f, "--- stderr ---\n{}", self.stderr)
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        // A read error just ends the capture; what was read is kept.
        let _ = pipe.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// Kill the child's whole process group (it leads its own group).
///
/// Careful: procps-ng `kill -KILL -PID` (no `--`) sends to pid -1, i.e.
/// every process; the group must come after `--`.
fn kill_group(child: &mut Child) {
    let pgid = child.id();
    if pgid > 1 {
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{pgid}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.kill();
}

/// Run `cmd` with stdin closed, capturing stdout and stderr; after `timeout`
/// the child and its process group are killed and `timed_out` is set.
pub fn run(mut cmd: Command, timeout: Duration) -> Run {
    let command = format!("{cmd:?}");
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command}: {e}"));
    let stdout = child.stdout.take().map(drain);
    let stderr = child.stderr.take().map(drain);
    let deadline = Instant::now() + timeout;
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                timed_out = true;
                kill_group(&mut child);
                break child
                    .wait()
                    .unwrap_or_else(|e| panic!("cannot reap {command}: {e}"));
            }
            Ok(None) => thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!("cannot wait for {command}: {e}"),
        }
    };
    if !timed_out {
        // Plugins the command left behind would keep the pipes open.
        kill_group(&mut child);
    }
    let join = |h: Option<thread::JoinHandle<String>>| {
        h.map(|h| h.join().unwrap_or_default()).unwrap_or_default()
    };
    Run {
        command,
        status,
        stdout: join(stdout),
        stderr: join(stderr),
        timed_out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_output_and_exit_code() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo out; echo err >&2; exit 3"]);
        let run = run(cmd, Duration::from_secs(30));
        assert_eq!(run.stdout, "out\n");
        assert_eq!(run.stderr, "err\n");
        assert_eq!(run.code(), Some(3));
        assert!(!run.success());
        assert!(!run.timed_out);
    }

    #[test]
    fn timeout_kills_the_child_and_its_children() {
        let started = Instant::now();
        let mut cmd = Command::new("sh");
        // The grandchild `sleep` holds stdout open; killing only `sh` would hang.
        cmd.args(["-c", "sleep 30 & sleep 30"]);
        let run = run(cmd, Duration::from_millis(300));
        assert!(run.timed_out);
        assert!(!run.success());
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
    }
}
