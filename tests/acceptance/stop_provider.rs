//! Ending waits early: StopProvider over gRPC against the real provider
//! binary, and `timeouts { create }` in real Terraform.
//!
//! The StopProvider test talks to `terraform-provider-hwsnap` the way
//! Terraform does (go-plugin handshake line, gRPC over the unix socket;
//! plaintext via `TF_DISABLE_PLUGIN_TLS`, since AutoMTLS is proven in
//! `hwsnap-plugin`'s transport tests): it configures the provider, plans
//! and fires six creates against snapshots that take 60 s, calls
//! StopProvider, and measures how soon each create returns.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hwsnap_cty::{Type, Value, msgpack};
use hwsnap_plugin::proto::tfplugin6 as tf;
use hwsnap_plugin::proto::tfplugin6::provider_client::ProviderClient;
use serde_json::json;
use tonic::transport::{Channel, Endpoint, Uri};

use super::faults::{in_cloud, in_state};
use crate::support::hcl::snapshots_config;
use crate::support::{Emulator, EmulatorOptions, TerraformCli, Workdir, for_each_cli};

/// go-plugin's handshake cookie for Terraform providers.
const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// A provider process serving on a unix socket, killed when dropped.
pub(super) struct ProviderProcess {
    pub(super) child: Child,
    pub(super) socket: PathBuf,
    /// The server certificate (DER) of the handshake line, when it serves
    /// over TLS.
    pub(super) server_cert: Option<Vec<u8>>,
    _tmp: tempfile::TempDir,
}

impl ProviderProcess {
    /// `terraform-provider-hwsnap` in plaintext (`TF_DISABLE_PLUGIN_TLS`).
    fn start(emu: &Emulator) -> ProviderProcess {
        Self::start_binary(emu, env!("CARGO_BIN_EXE_terraform-provider-hwsnap"), None)
    }

    /// `binary` started as Terraform starts it, pointed at `emu`: over
    /// AutoMTLS trusting `client_pem` when given, else in plaintext.
    pub(super) fn start_binary(
        emu: &Emulator,
        binary: &str,
        client_pem: Option<&str>,
    ) -> ProviderProcess {
        let tmp = tempfile::tempdir().expect("temp dir");
        let mut command = Command::new(binary);
        command
            .env_clear()
            .envs(emu.provider_env())
            .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
            .env("PLUGIN_PROTOCOL_VERSIONS", "6")
            .env("TMPDIR", tmp.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        match client_pem {
            Some(pem) => command.env("PLUGIN_CLIENT_CERT", pem),
            None => command.env("TF_DISABLE_PLUGIN_TLS", "1"),
        };
        let mut child = command.spawn().expect("start the provider");
        // Logs go to stderr; drain it so the provider never blocks on it.
        let mut stderr = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = stderr.read_to_end(&mut sink);
        });
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("handshake line");
        // 1|6|unix|/path/to/socket|grpc[|<server certificate, base64 DER>]
        let parts: Vec<&str> = line.trim_end().split('|').collect();
        let want = if client_pem.is_some() { 6 } else { 5 };
        assert_eq!(
            (parts.len(), parts.get(2).copied()),
            (want, Some("unix")),
            "{line:?}"
        );
        let server_cert = parts.get(5).map(|b64| {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(b64)
                .expect("base64 certificate")
        });
        ProviderProcess {
            child,
            socket: PathBuf::from(parts[3]),
            server_cert,
            _tmp: tmp,
        }
    }

    async fn client(&self) -> ProviderClient<Channel> {
        let socket = self.socket.clone();
        let connector = tower::service_fn(move |_: Uri| {
            let socket = socket.clone();
            async move {
                let stream = tokio::net::UnixStream::connect(socket).await?;
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(stream))
            }
        });
        let channel = Endpoint::try_from("http://localhost")
            .expect("endpoint")
            .connect_with_connector(connector)
            .await
            .expect("connect to the provider");
        ProviderClient::new(channel)
    }
}

impl Drop for ProviderProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn dynamic(value: &Value, ty: &Type) -> Option<tf::DynamicValue> {
    Some(tf::DynamicValue {
        msgpack: msgpack::encode(value, ty).expect("encode"),
        json: Vec::new(),
    })
}

fn errors(diags: &[tf::Diagnostic]) -> Vec<String> {
    diags
        .iter()
        .filter(|d| d.severity == tf::diagnostic::Severity::Error as i32)
        .map(|d| format!("{}: {}", d.summary, d.detail))
        .collect()
}

/// What one create returned, and when.
struct Outcome {
    type_name: &'static str,
    after_stop: Duration,
    id: Option<String>,
    errors: Vec<String>,
}

async fn stop_in_flight_creates(emu: &Emulator) -> Vec<Outcome> {
    let server = hwsnap_framework::Server::new(hwsnap::HwsnapProvider::new(hwsnap::Serves::All));
    let provider = ProviderProcess::start(emu);
    let mut client = provider.client().await;

    let provider_ty = server.provider_schema().value_type();
    let configured = client
        .configure_provider(tf::configure_provider::Request {
            terraform_version: "1.15.5".into(),
            config: dynamic(&server.provider_schema().block.null_object(), &provider_ty),
            client_capabilities: None,
        })
        .await
        .expect("ConfigureProvider")
        .into_inner();
    assert!(
        errors(&configured.diagnostics).is_empty(),
        "{:?}",
        configured.diagnostics
    );

    // One create per cluster, so every one of them is waiting (none queued).
    let mut targets = Vec::new();
    for cluster in emu.dws_clusters() {
        targets.push(("dws_snapshot", cluster));
    }
    for cluster in emu.css_clusters() {
        targets.push(("css_index_snapshot", cluster));
    }
    let mut creates = Vec::new();
    for (i, (type_name, cluster)) in targets.into_iter().enumerate() {
        let schema = server.resource_schema(type_name).expect("served type");
        let ty = schema.value_type();
        let mut config = schema.block.null_object();
        config.set_attr("cluster_id", Value::string(cluster));
        config.set_attr("name", Value::string(format!("stop-{i}")));
        let planned = client
            .plan_resource_change(tf::plan_resource_change::Request {
                type_name: type_name.into(),
                prior_state: dynamic(&Value::Null, &ty),
                proposed_new_state: dynamic(&config, &ty),
                config: dynamic(&config, &ty),
                ..Default::default()
            })
            .await
            .expect("PlanResourceChange")
            .into_inner();
        assert!(errors(&planned.diagnostics).is_empty(), "{:?}", planned);
        let request = tf::apply_resource_change::Request {
            type_name: type_name.into(),
            prior_state: dynamic(&Value::Null, &ty),
            planned_state: planned.planned_state,
            config: dynamic(&config, &ty),
            planned_private: planned.planned_private,
            ..Default::default()
        };
        let mut client = client.clone();
        creates.push(tokio::spawn(async move {
            let resp = client.apply_resource_change(request).await;
            (type_name, ty, resp, Instant::now())
        }));
    }

    // Wait until every create has reached the cloud and is polling.
    let deadline = Instant::now() + Duration::from_secs(30);
    while in_cloud(&emu.state()).len() < creates.len() {
        assert!(
            Instant::now() < deadline,
            "the creates never reached the cloud"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(
        creates.iter().all(|c| !c.is_finished()),
        "a create returned before StopProvider"
    );

    let stopped_at = Instant::now();
    let stop = client
        .stop_provider(tf::stop_provider::Request {})
        .await
        .expect("StopProvider")
        .into_inner();
    assert_eq!(stop.error, "", "StopProvider answered an error");

    let mut outcomes = Vec::new();
    for create in creates {
        let (type_name, ty, resp, returned_at) = create.await.expect("create task");
        let resp = resp.expect("ApplyResourceChange answered").into_inner();
        let state = resp
            .new_state
            .as_ref()
            .map(|d| msgpack::decode(&d.msgpack, &ty).expect("new state decodes"))
            .unwrap_or(Value::Null);
        outcomes.push(Outcome {
            type_name,
            after_stop: returned_at.saturating_duration_since(stopped_at),
            id: state
                .get_attr("id")
                .and_then(Value::as_str)
                .map(str::to_owned),
            errors: errors(&resp.diagnostics),
        });
    }
    outcomes
}

#[test]
fn stop_provider_cancels_every_wait_within_a_second() {
    let emu = Emulator::start(
        EmulatorOptions::default()
            .create_seconds(60.0)
            .clusters(3, 3),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let outcomes = runtime.block_on(stop_in_flight_creates(&emu));
    let cloud = in_cloud(&emu.state());
    assert_eq!(outcomes.len(), 6);
    assert_eq!(cloud.len(), 6);
    for o in &outcomes {
        assert!(
            o.after_stop < Duration::from_secs(1),
            "{} returned {:?} after StopProvider",
            o.type_name,
            o.after_stop
        );
        assert!(
            o.errors.iter().any(|e| e.starts_with("Stopped waiting")),
            "{}: no cancellation error: {:?}",
            o.type_name,
            o.errors
        );
        let id =
            o.id.as_deref()
                .unwrap_or_else(|| panic!("{}: the new state has no snapshot ID", o.type_name));
        assert!(cloud.contains_key(id), "{id} is not in the cloud");
    }
    let slowest = outcomes
        .iter()
        .map(|o| o.after_stop)
        .max()
        .unwrap_or_default();
    println!(
        "StopProvider: 6 creates returned within {:.0} ms (slowest)",
        slowest.as_secs_f64() * 1000.0
    );
}

// ---- timeouts ----------------------------------------------------------------

/// A create timeout of 2 s against snapshots that take 12 s: the apply fails
/// at the timeout (not at the create time) with both IDs in state,
/// tainted; a later apply with a 60 s timeout replaces them cleanly (the
/// delete waits out the still-busy cluster). The 5 s vs 60 s would
/// prove the same and make the replacement wait ~55 s for the busy cluster;
/// 12 s leaves room for a loaded machine's slow `terraform` start.
fn create_timeout_then_replace(cli: &TerraformCli) {
    let emu = Emulator::start(
        EmulatorOptions::default()
            .create_seconds(12.0)
            .clusters(1, 1),
    );
    let wd = Workdir::new(cli, &emu);
    let (dws, css) = (emu.dws_clusters(), emu.css_clusters());
    let short = "  timeouts {\n    create = \"2s\"\n  }\n";
    wd.write("main.tf", &snapshots_config(&dws, &css, 1, "slow", short));
    let started = Instant::now();
    let run = wd.apply_failure();
    let failed_after = started.elapsed();
    assert!(run.output().contains("Timed out waiting"), "{run}");
    assert!(
        failed_after < Duration::from_secs(9),
        "the 2 s timeout took {failed_after:?}"
    );
    let state = in_state(&wd);
    let cloud = in_cloud(&emu.state());
    assert_eq!(state.len(), 2, "{state:#?}");
    assert!(state.iter().all(|r| r.tainted), "{state:#?}");
    for r in &state {
        let id = r.id.as_deref().expect("ID kept in state");
        assert_eq!(
            cloud.get(id).map(|(_, s)| s.as_str()),
            Some(if r.address.starts_with("dws") {
                "CREATING"
            } else {
                "BUILDING"
            }),
            "{cloud:#?}"
        );
    }

    let long = "  timeouts {\n    create = \"60s\"\n  }\n";
    wd.write("main.tf", &snapshots_config(&dws, &css, 1, "slow", long));
    emu.control("POST", "settings", Some(json!({"create_seconds": 0.5})));
    wd.apply();
    super::faults::assert_converged(&wd, &emu.state(), 2);
    let replaced = in_cloud(&emu.state());
    assert!(
        state
            .iter()
            .all(|r| !replaced.contains_key(r.id.as_deref().unwrap_or_default())),
        "a tainted snapshot survived the replacement"
    );
    wd.expect_empty_plan();
    println!(
        "{}: create timeout 2 s (create time 12 s) failed after {:.1} s",
        cli.label(),
        failed_after.as_secs_f64()
    );
}

#[test]
fn stop_provider_create_timeout_taints_then_replaces() {
    for_each_cli(create_timeout_then_replace);
}
