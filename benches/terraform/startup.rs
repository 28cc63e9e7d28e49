//! Start-up: the time from `exec` to the go-plugin handshake line on stdout,
//! with the environment Terraform gives a provider (magic cookie, protocol
//! versions, a P-521 `PLUGIN_CLIENT_CERT`, so both providers do AutoMTLS).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::Result;

const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// A client certificate shaped like Terraform's (self-signed ECDSA P-521).
pub fn client_cert_pem() -> Result<String> {
    Ok(crate::mtls::terraform_client_identity().pem)
}

/// Starts `bin` as Terraform would and times it until the handshake line;
/// then kills it.
pub fn time_to_handshake(bin: &Path, client_pem: &str) -> Result<Duration> {
    let tmp = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let mut cmd = Command::new(bin);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TMPDIR", tmp.path())
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000")
        .env("PLUGIN_CLIENT_CERT", client_pem)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("start {}: {e}", bin.display()))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send((Instant::now(), line));
    });
    let got = rx.recv_timeout(Duration::from_secs(20));
    let _ = child.kill();
    let _ = child.wait();
    let (at, line) = got.map_err(|_| format!("{} printed no handshake line", bin.display()))?;
    let fields: Vec<&str> = line.trim_end().split('|').collect();
    if fields.len() < 5 || fields[0] != "1" || fields[4] != "grpc" {
        return Err(format!("{}: not a handshake line: {line:?}", bin.display()));
    }
    Ok(at - start)
}
