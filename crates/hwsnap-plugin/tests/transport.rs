//! End-to-end transport tests: this test binary re-executes itself as a
//! provider (when `HWSNAP_PLUGIN_TEST_CHILD` is set its `main` calls
//! `hwsnap_plugin::run`), then talks to it the way Terraform does: reads the
//! handshake line, connects over the unix socket with a Terraform-shaped
//! P-521 client certificate, and calls health, the provider and Shutdown.
//!
//! `harness = false` because libtest would print to the child's stdout,
//! which must carry nothing but the handshake line.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use hwsnap_plugin::proto::plugin::Empty;
use hwsnap_plugin::proto::plugin::grpc_controller_client::GrpcControllerClient;
use hwsnap_plugin::proto::tfplugin6 as tf;
use hwsnap_plugin::proto::tfplugin6::provider_client::ProviderClient;
use hwsnap_plugin::proto::tfplugin6::provider_server::Provider;
use rcgen::{KeyPair, PKCS_ECDSA_P521_SHA512};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use hwsnap_testkit::mtls::{
    ClientIdentity, channel, client_identity_with, client_tls_config, terraform_client_identity,
    tls_connect,
};

const CHILD_ENV: &str = "HWSNAP_PLUGIN_TEST_CHILD";
const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
const ADDRESS: &str = "registry.terraform.io/hwsnap/test";

/// The smallest provider: only GetProviderSchema answers, to prove the
/// provider service is mounted; everything else is the default
/// `Unimplemented`.
struct TestProvider;

#[tonic::async_trait]
impl Provider for TestProvider {
    async fn get_provider_schema(
        &self,
        _request: tonic::Request<tf::get_provider_schema::Request>,
    ) -> Result<tonic::Response<tf::get_provider_schema::Response>, tonic::Status> {
        Ok(tonic::Response::new(tf::get_provider_schema::Response {
            provider: Some(tf::Schema {
                version: 0,
                block: Some(tf::schema::Block::default()),
            }),
            ..Default::default()
        }))
    }
}

/// `(name, fn)` pairs for the hand-rolled harness.
macro_rules! named {
    ($($f:ident),* $(,)?) => { [$((stringify!($f), $f as fn())),*] };
}

fn main() -> ExitCode {
    if std::env::var_os(CHILD_ENV).is_some() {
        return hwsnap_plugin::run(|| TestProvider, ADDRESS);
    }
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let tests: &[(&str, fn())] = &named![
        handshake_line_format,
        server_cert_differs_per_start,
        missing_cookie_exits_1,
        protocol_without_6_exits_1,
        mtls_client_reaches_health_and_provider,
        socket_is_private_to_its_user,
        other_client_cert_refused_at_tls,
        no_client_cert_refused_at_tls,
        expired_client_cert_refused_at_tls,
        expected_cert_without_its_key_refused_at_tls,
        shutdown_exits_fast_and_removes_socket,
        shutdown_with_connection_held_open_still_exits,
        sigint_is_ignored,
        plaintext_without_client_cert,
        debug_mode_prints_reattach_and_stops_on_sigint,
        disable_plugin_tls_serves_plaintext,
        version_help_and_unknown_arguments,
    ];
    let mut failed = Vec::new();
    let mut ran = 0;
    for (name, test) in tests {
        if !filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        ran += 1;
        let result = std::panic::catch_unwind(test);
        println!(
            "test {name} ... {}",
            if result.is_ok() { "ok" } else { "FAILED" }
        );
        if result.is_err() {
            failed.push(*name);
        }
    }
    println!(
        "\ntest result: {}. {} passed; {} failed",
        if failed.is_empty() { "ok" } else { "FAILED" },
        ran - failed.len(),
        failed.len()
    );
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        println!("failures: {failed:?}");
        ExitCode::FAILURE
    }
}

// ---- fixtures -------------------------------------------------------------

/// A running provider child process.
struct Plugin {
    child: Child,
    line: String,
    stdout_rest: mpsc::Receiver<String>,
    stderr: Arc<Mutex<String>>,
    _tmp: tempfile::TempDir,
}

struct Handshake {
    network: String,
    address: PathBuf,
    cert: Option<CertificateDer<'static>>,
}

impl Plugin {
    fn start(client_pem: Option<&str>, args: &[&str]) -> Plugin {
        let tmp = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.args(args)
            .env(CHILD_ENV, "1")
            .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
            .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
            .env("TMPDIR", tmp.path())
            .env_remove("TF_LOG")
            .env_remove("TF_LOG_PROVIDER")
            .env_remove("PLUGIN_CLIENT_CERT")
            .env_remove("TF_DISABLE_PLUGIN_TLS")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(pem) = client_pem {
            cmd.env("PLUGIN_CLIENT_CERT", pem);
        }
        let mut child = cmd.spawn().unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err_pipe = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let (line_tx, line_rx) = mpsc::channel();
        let (rest_tx, rest_rx) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let debug = args.contains(&"--debug");
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut first = String::new();
            if debug {
                // The banner is several lines; hand over the reattach line.
                loop {
                    first.clear();
                    if reader.read_line(&mut first).unwrap_or(0) == 0 {
                        break;
                    }
                    if first.contains("TF_REATTACH_PROVIDERS=") {
                        break;
                    }
                }
            } else {
                let _ = reader.read_line(&mut first);
            }
            let _ = line_tx.send(first);
            let mut rest = String::new();
            let _ = reader.read_to_string(&mut rest);
            let _ = rest_tx.send(rest);
        });
        let line = line_rx
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_default();
        let plugin = Plugin {
            child,
            line,
            stdout_rest: rest_rx,
            stderr,
            _tmp: tmp,
        };
        assert!(
            !plugin.line.is_empty(),
            "no handshake line; stderr: {}",
            plugin.stderr()
        );
        plugin
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    fn tmp_dir(&self) -> &Path {
        self._tmp.path()
    }

    fn handshake(&self) -> Handshake {
        let line = self
            .line
            .strip_suffix('\n')
            .expect("line ends with a newline");
        let parts: Vec<&str> = line.split('|').collect();
        assert!(parts.len() == 5 || parts.len() == 6, "bad line {line:?}");
        assert_eq!(parts[0], "1");
        assert_eq!(parts[1], "6");
        assert_eq!(parts[4], "grpc");
        let cert = parts.get(5).map(|b64| {
            assert!(!b64.contains('='), "padded base64 in {line:?}");
            CertificateDer::from(STANDARD_NO_PAD.decode(b64).expect("standard base64"))
        });
        Handshake {
            network: parts[2].to_owned(),
            address: PathBuf::from(parts[3]),
            cert,
        }
    }

    fn wait_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Stdout after the handshake line, once the process has exited.
    fn stdout_after_line(&self) -> String {
        self.stdout_rest
            .recv_timeout(Duration::from_secs(5))
            .unwrap_or_default()
    }
}

impl Drop for Plugin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn health(channel: Channel) -> Result<i32, tonic::Status> {
    let resp = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: "plugin".into(),
        })
        .await?;
    Ok(resp.into_inner().status)
}

/// What a client sees after its TLS handshake: the server's first bytes (an
/// h2 SETTINGS frame when accepted) or an error / EOF when refused.
async fn first_bytes(path: &Path, config: Arc<rustls::ClientConfig>) -> Result<usize, String> {
    let mut tls = tls_connect(path, config).await.map_err(|e| e.to_string())?;
    // h2 client preface, so a healthy server answers with SETTINGS.
    tls.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        .await
        .map_err(|e| e.to_string())?;
    let mut buf = [0u8; 64];
    match tokio::time::timeout(Duration::from_secs(5), tls.read(&mut buf)).await {
        Ok(Ok(0)) => Err("eof".into()),
        Ok(Ok(n)) => Ok(n),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("timeout".into()),
    }
}

// ---- tests ----------------------------------------------------------------

fn handshake_line_format() {
    let id = terraform_client_identity();
    let mut plugin = Plugin::start(Some(&id.pem), &[]);
    let hs = plugin.handshake();
    assert_eq!(hs.network, "unix");
    assert!(hs.address.starts_with(plugin.tmp_dir()), "{:?}", hs.address);
    assert!(hs.address.exists());
    let cert = hs.cert.expect("certificate field in TLS mode");
    assert!(der_names_localhost(&cert));
    shutdown(&hs.address, client_tls_config(&cert, Some(&id)));
    plugin.wait_exit(Duration::from_secs(2)).expect("exited");
    assert_eq!(
        plugin.stdout_after_line(),
        "",
        "stdout must carry only the line"
    );
}

/// The DER is an X.509 SEQUENCE and carries `localhost` (the SAN and CN
/// are stored as plain ASCII).
fn der_names_localhost(cert: &CertificateDer<'_>) -> bool {
    let der = cert.as_ref();
    der.first() == Some(&0x30) && der.windows(9).any(|w| w == b"localhost")
}

fn server_cert_differs_per_start() {
    let id = terraform_client_identity();
    let a = Plugin::start(Some(&id.pem), &[]);
    let b = Plugin::start(Some(&id.pem), &[]);
    assert_ne!(a.handshake().cert, b.handshake().cert);
    assert_ne!(a.handshake().address, b.handshake().address);
}

fn run_to_exit(envs: &[(&str, &str)], remove: &[&str]) -> (Option<i32>, String, String) {
    run_args_to_exit(&[], envs, remove)
}

fn run_args_to_exit(
    args: &[&str],
    envs: &[(&str, &str)],
    remove: &[&str],
) -> (Option<i32>, String, String) {
    let tmp = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(args).env(CHILD_ENV, "1").env("TMPDIR", tmp.path());
    for k in remove {
        cmd.env_remove(k);
    }
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "no socket may be left behind"
    );
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn missing_cookie_exits_1() {
    let (code, stdout, stderr) = run_to_exit(&[], &["TF_PLUGIN_MAGIC_COOKIE"]);
    assert_eq!(code, Some(1));
    assert_eq!(stdout, "");
    assert!(stderr.contains("plugin"), "{stderr}");
    assert!(stderr.contains("terraform"), "{stderr}");
    assert!(stderr.lines().count() <= 2, "short message: {stderr}");
}

fn protocol_without_6_exits_1() {
    let (code, stdout, stderr) = run_to_exit(
        &[
            ("TF_PLUGIN_MAGIC_COOKIE", COOKIE),
            ("PLUGIN_PROTOCOL_VERSIONS", "4,5"),
        ],
        &["PLUGIN_CLIENT_CERT"],
    );
    assert_eq!(code, Some(1));
    assert_eq!(stdout, "");
    assert!(stderr.contains("protocol 6"), "{stderr}");
}

fn mtls_client_reaches_health_and_provider() {
    let id = terraform_client_identity();
    let plugin = Plugin::start(Some(&id.pem), &[]);
    let hs = plugin.handshake();
    let cert = hs.cert.clone().unwrap();
    runtime().block_on(async {
        let ch = channel(
            hs.address.clone(),
            Some(client_tls_config(&cert, Some(&id))),
        )
        .await;
        assert_eq!(
            health(ch.clone()).await.unwrap(),
            ServingStatus::Serving as i32
        );
        let schema = ProviderClient::new(ch.clone())
            .get_provider_schema(tf::get_provider_schema::Request {})
            .await
            .unwrap()
            .into_inner();
        assert!(schema.provider.is_some());
        let unimplemented = ProviderClient::new(ch)
            .call_function(tf::call_function::Request::default())
            .await
            .unwrap_err();
        assert_eq!(unimplemented.code(), tonic::Code::Unimplemented);
    });
    assert!(
        !plugin.stderr().contains("serving without TLS"),
        "{}",
        plugin.stderr()
    );
}

/// Mode bits of `path`.
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn socket_is_private_to_its_user() {
    let id = terraform_client_identity();
    let plugin = Plugin::start(Some(&id.pem), &[]);
    let hs = plugin.handshake();
    assert_eq!(hs.network, "unix");
    let dir = hs.address.parent().unwrap();
    assert_eq!(dir.parent(), Some(plugin.tmp_dir()), "inside TMPDIR");
    assert_eq!(mode(dir), 0o700, "socket directory {}", dir.display());
    assert_eq!(mode(&hs.address), 0o600, "socket {}", hs.address.display());
}

/// Waits (briefly) for `needle` on the plugin's stderr.
fn wait_for_stderr(plugin: &Plugin, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(3);
    while !plugin.stderr().contains(needle) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    plugin.stderr()
}

fn other_client_cert_refused_at_tls() {
    let id = terraform_client_identity();
    let stranger = terraform_client_identity();
    let plugin = Plugin::start(Some(&id.pem), &[]);
    let hs = plugin.handshake();
    let cert = hs.cert.clone().unwrap();
    runtime().block_on(async {
        // Control: the expected certificate gets h2 bytes back.
        let ok = first_bytes(&hs.address, client_tls_config(&cert, Some(&id))).await;
        assert!(ok.is_ok(), "{ok:?}");
        let refused = first_bytes(&hs.address, client_tls_config(&cert, Some(&stranger))).await;
        assert!(refused.is_err(), "a stranger got {refused:?}");
    });
    // The refusal is logged by the provider (the stderr reader may lag).
    let deadline = Instant::now() + Duration::from_secs(3);
    while !plugin.stderr().contains("TLS handshake refused") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        plugin.stderr().contains("unexpected certificate")
            && plugin.stderr().contains("TLS handshake refused"),
        "{}",
        plugin.stderr()
    );
}

fn no_client_cert_refused_at_tls() {
    let id = terraform_client_identity();
    let plugin = Plugin::start(Some(&id.pem), &[]);
    let hs = plugin.handshake();
    let cert = hs.cert.clone().unwrap();
    runtime().block_on(async {
        let refused = first_bytes(&hs.address, client_tls_config(&cert, None)).await;
        assert!(refused.is_err(), "no-cert client got {refused:?}");
        // A plaintext gRPC client gets nowhere either.
        let plain = tokio::time::timeout(Duration::from_secs(5), async {
            let ch = channel(hs.address.clone(), None).await;
            health(ch).await
        })
        .await;
        assert!(!matches!(plain, Ok(Ok(_))), "plaintext reached health");
    });
}

/// A Terraform-shaped identity whose certificate expired in 2001.
fn expired_client_identity() -> ClientIdentity {
    client_identity_with(|params| {
        params.not_before = rcgen::date_time_ymd(2000, 1, 1);
        params.not_after = rcgen::date_time_ymd(2001, 1, 1);
    })
}

/// Waits (briefly) for the provider to log a refused TLS handshake.
fn assert_refusal_logged(plugin: &Plugin) {
    let deadline = Instant::now() + Duration::from_secs(3);
    while !plugin.stderr().contains("TLS handshake refused") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        plugin.stderr().contains("TLS handshake refused"),
        "{}",
        plugin.stderr()
    );
}

fn expired_client_cert_refused_at_tls() {
    let id = terraform_client_identity();
    let expired = expired_client_identity();
    let plugin = Plugin::start(Some(&id.pem), &[]);
    let hs = plugin.handshake();
    let cert = hs.cert.clone().unwrap();
    runtime().block_on(async {
        let refused = first_bytes(&hs.address, client_tls_config(&cert, Some(&expired))).await;
        assert!(refused.is_err(), "an expired certificate got {refused:?}");
        // The provider still serves Terraform's own certificate afterwards.
        let ok = first_bytes(&hs.address, client_tls_config(&cert, Some(&id))).await;
        assert!(ok.is_ok(), "{ok:?}");
    });
    assert_refusal_logged(&plugin);

    // Pinned to an expired certificate (Terraform always sends a fresh
    // one), the provider still refuses it, as go-plugin's Go verifier does:
    // holding the key of an old certificate is not enough.
    let plugin = Plugin::start(Some(&expired.pem), &[]);
    let hs = plugin.handshake();
    let cert = hs.cert.clone().unwrap();
    let outcome = runtime().block_on(first_bytes(
        &hs.address,
        client_tls_config(&cert, Some(&expired)),
    ));
    assert!(
        outcome.is_err(),
        "the expired pinned certificate got {outcome:?}"
    );
    assert_refusal_logged(&plugin);
    assert!(
        plugin.stderr().contains("expired"),
        "refusal does not say why: {}",
        plugin.stderr()
    );
}

/// Presents a fixed certificate chain signed with a key of its own choosing
/// (no consistency check): a peer that copied Terraform's certificate but
/// does not hold its private key.
#[derive(Debug)]
struct ForgedClientCert(Arc<rustls::sign::CertifiedKey>);

impl rustls::client::ResolvesClientCert for ForgedClientCert {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[rustls::SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        Some(self.0.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

fn expected_cert_without_its_key_refused_at_tls() {
    let id = terraform_client_identity();
    let other_key = KeyPair::generate_for(&PKCS_ECDSA_P521_SHA512).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let signer = provider
        .key_provider
        .load_private_key(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            other_key.serialize_der(),
        )))
        .unwrap();
    let forged = rustls::sign::CertifiedKey::new(vec![id.cert.clone()], signer);
    let plugin = Plugin::start(Some(&id.pem), &[]);
    let hs = plugin.handshake();
    let server_cert = hs.cert.clone().unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(server_cert.clone()).unwrap();
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_client_cert_resolver(Arc::new(ForgedClientCert(Arc::new(forged))));
    config.alpn_protocols = vec![b"h2".to_vec()];
    runtime().block_on(async {
        let refused = first_bytes(&hs.address, Arc::new(config)).await;
        assert!(
            refused.is_err(),
            "the expected certificate without its key got {refused:?}"
        );
        // Control: the same certificate with its key is served.
        let ok = first_bytes(&hs.address, client_tls_config(&server_cert, Some(&id))).await;
        assert!(ok.is_ok(), "{ok:?}");
    });
    assert_refusal_logged(&plugin);
}

/// Calls Shutdown on a fresh connection and hangs up, as go-plugin does;
/// when the call started and whether its reply arrived.
fn shutdown(path: &Path, tls: Arc<rustls::ClientConfig>) -> (Instant, bool) {
    runtime().block_on(async {
        let ch = channel(path.to_owned(), Some(tls)).await;
        let started = Instant::now();
        let replied = GrpcControllerClient::new(ch)
            .shutdown(Empty {})
            .await
            .is_ok();
        (started, replied)
    })
}

fn shutdown_exits_fast_and_removes_socket() {
    let id = terraform_client_identity();
    let mut plugin = Plugin::start(Some(&id.pem), &[]);
    let hs = plugin.handshake();
    let cert = hs.cert.clone().unwrap();
    assert!(hs.address.exists());
    let (started, replied) = shutdown(&hs.address, client_tls_config(&cert, Some(&id)));
    let status = plugin
        .wait_exit(Duration::from_secs(2))
        .expect("process exited");
    let took = started.elapsed();
    // The process waits for the caller to hang up, so the reply always
    // gets out, and exits right then rather than after a fixed delay.
    assert!(replied, "Shutdown got no reply");
    assert!(took < Duration::from_millis(100), "exit took {took:?}");
    assert_eq!(status.code(), Some(0));
    assert!(!hs.address.exists(), "socket file left behind");
}

fn shutdown_with_connection_held_open_still_exits() {
    let id = terraform_client_identity();
    let mut plugin = Plugin::start(Some(&id.pem), &[]);
    let hs = plugin.handshake();
    let cert = hs.cert.clone().unwrap();
    let rt = runtime();
    let (started, ch) = rt.block_on(async {
        let ch = channel(
            hs.address.clone(),
            Some(client_tls_config(&cert, Some(&id))),
        )
        .await;
        let started = Instant::now();
        GrpcControllerClient::new(ch.clone())
            .shutdown(Empty {})
            .await
            .expect("Shutdown replied");
        (started, ch)
    });
    // The connection stays open (`ch` lives): the fallback timer ends it.
    let status = plugin
        .wait_exit(Duration::from_secs(2))
        .expect("process exited with a connection still open");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(200) && took < Duration::from_secs(1),
        "exit took {took:?}"
    );
    assert_eq!(status.code(), Some(0));
    drop(ch);
}

fn sigint(pid: u32) {
    let status = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn sigint_is_ignored() {
    let id = terraform_client_identity();
    let mut plugin = Plugin::start(Some(&id.pem), &[]);
    let hs = plugin.handshake();
    let cert = hs.cert.clone().unwrap();
    sigint(plugin.child.id());
    assert!(
        plugin.wait_exit(Duration::from_millis(300)).is_none(),
        "SIGINT killed it"
    );
    runtime().block_on(async {
        let ch = channel(
            hs.address.clone(),
            Some(client_tls_config(&cert, Some(&id))),
        )
        .await;
        assert_eq!(health(ch).await.unwrap(), ServingStatus::Serving as i32);
    });
}

fn plaintext_without_client_cert() {
    let plugin = Plugin::start(None, &[]);
    let hs = plugin.handshake();
    assert!(hs.cert.is_none(), "line: {:?}", plugin.line);
    // At the default level (warnings only), in hclog JSON, naming the cause.
    let stderr = wait_for_stderr(&plugin, "serving without TLS");
    let line = stderr
        .lines()
        .find(|l| l.contains("serving without TLS"))
        .unwrap_or_else(|| panic!("no plaintext warning in {stderr:?}"));
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(v["@level"], "warn", "{line}");
    assert!(
        v["@message"]
            .as_str()
            .unwrap()
            .contains("Terraform sent no client certificate"),
        "{line}"
    );
    runtime().block_on(async {
        let ch = channel(hs.address.clone(), None).await;
        assert_eq!(health(ch).await.unwrap(), ServingStatus::Serving as i32);
    });
}

fn debug_mode_prints_reattach_and_stops_on_sigint() {
    let mut plugin = Plugin::start(None, &["--debug"]);
    let line = plugin.line.trim().to_owned();
    let json = line
        .split_once("TF_REATTACH_PROVIDERS='")
        .and_then(|(_, rest)| rest.strip_suffix('\''))
        .unwrap_or_else(|| panic!("no reattach value in {line:?}"));
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    let p = &v[ADDRESS];
    assert_eq!(p["Protocol"], "grpc");
    assert_eq!(p["ProtocolVersion"], 6);
    assert_eq!(p["Pid"], plugin.child.id());
    assert_eq!(p["Test"], true);
    assert_eq!(p["Addr"]["Network"], "unix");
    let path = PathBuf::from(p["Addr"]["String"].as_str().unwrap());
    runtime().block_on(async {
        let ch = channel(path.clone(), None).await;
        assert_eq!(
            health(ch.clone()).await.unwrap(),
            ServingStatus::Serving as i32
        );
        // Shutdown does not end a debug server.
        let _ = GrpcControllerClient::new(ch.clone())
            .shutdown(Empty {})
            .await;
        assert_eq!(health(ch).await.unwrap(), ServingStatus::Serving as i32);
    });
    sigint(plugin.child.id());
    let status = plugin
        .wait_exit(Duration::from_secs(5))
        .expect("stopped on SIGINT");
    assert_eq!(status.code(), Some(0));
    assert!(!path.exists(), "socket left behind");
}

fn disable_plugin_tls_serves_plaintext() {
    let id = terraform_client_identity();
    let tmp = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env(CHILD_ENV, "1")
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env("PLUGIN_CLIENT_CERT", &id.pem)
        .env("TF_DISABLE_PLUGIN_TLS", "1")
        .env("TMPDIR", tmp.path())
        .env_remove("TF_LOG")
        .env_remove("TF_LOG_PROVIDER")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(line.trim_end().split('|').count(), 5, "line: {line:?}");
    assert!(
        stderr.contains(r#""@level":"warn""#) && stderr.contains("TF_DISABLE_PLUGIN_TLS is set"),
        "{stderr}"
    );
}

fn version_help_and_unknown_arguments() {
    let no_env: &[(&str, &str)] = &[];
    let (code, stdout, _) = run_args_to_exit(&["--version"], no_env, &[]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains(env!("CARGO_PKG_VERSION")), "{stdout}");
    let (code, stdout, _) = run_args_to_exit(&["--help"], no_env, &[]);
    assert_eq!(code, Some(0));
    assert!(
        stdout.contains("--debug") && stdout.contains(ADDRESS),
        "{stdout}"
    );
    let (code, stdout, stderr) = run_args_to_exit(&["--bogus"], no_env, &[]);
    assert_eq!(code, Some(2));
    assert_eq!(stdout, "");
    assert!(stderr.contains("--bogus"), "{stderr}");
}
