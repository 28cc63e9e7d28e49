//! A hostile endpoint of the test's own making, through real Terraform (and,
//! for the msgpack bomb, the real provider binary over mTLS gRPC, as
//! Terraform talks to it): no signed request reaches another host, hostile
//! `Retry-After` values on a successful create do no harm, a 300 MiB answer
//! leaves the provider's memory alone, a dripped body is bounded by the
//! operation's timeout, a msgpack bomb is refused within bounded memory,
//! and a panic in a create becomes a diagnostic with the ID kept.
//!
//! Memory is the provider process's peak resident set (`VmHWM` in
//! `/proc/PID/status`), polled every 10 ms while it runs: the high-water
//! mark only grows, so the last reading before the process exits is its
//! peak, and each hostile answer here is followed by more work (a name
//! lookup, a second create, a wait), so the process outlives its peak.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hwsnap_plugin::proto::tfplugin6 as tf;
use hwsnap_plugin::proto::tfplugin6::provider_client::ProviderClient;
use rustls::pki_types::CertificateDer;
use serde_json::json;

use super::faults::{assert_converged, in_cloud, in_state};
use super::interrupts::{Spawned, providers_of, wait_until};
use super::stop_provider::ProviderProcess;
use crate::support::hcl::{self, CSS, DWS, snapshots_config};
use crate::support::{Emulator, EmulatorOptions, Workdir, flat, for_each_cli, terraform_clis};

const APPLY: [&str; 4] = ["apply", "-auto-approve", "-input=false", "-no-color"];
const TOKEN: &str = "tok3n-FOR-THE-THIEF-9c2e";
const MIB: u64 = 1 << 20;
/// The most a provider process may hold, whatever the endpoint sends.
const RSS_LIMIT_KIB: u64 = 64 * 1024;

fn assert_no_crash(out: &str) {
    for sign in ["panicked", "Plugin did not respond", "plugin exited"] {
        assert!(!out.contains(sign), "the provider crashed ({sign}):\n{out}");
    }
}

/// A server that answers every request `200 {}` and keeps each request's
/// head: a stand-in for whatever host a redirect points at.
struct Thief {
    url: String,
    heads: Arc<Mutex<Vec<String>>>,
    connections: Arc<AtomicUsize>,
}

impl Thief {
    fn start() -> Thief {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the thief");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let heads = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let (seen, count) = (heads.clone(), connections.clone());
        // Ends with the test process.
        std::thread::spawn(move || {
            for mut conn in listener.incoming().flatten() {
                count.fetch_add(1, Ordering::SeqCst);
                let mut buf = vec![0u8; 64 << 10];
                let n = conn.read(&mut buf).unwrap_or(0);
                seen.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(String::from_utf8_lossy(&buf[..n]).into_owned());
                let _ = conn.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
                );
            }
        });
        Thief {
            url,
            heads,
            connections,
        }
    }

    fn seen(&self) -> (usize, Vec<String>) {
        let heads = self.heads.lock().unwrap_or_else(|e| e.into_inner()).clone();
        (self.connections.load(Ordering::SeqCst), heads)
    }
}

/// One DWS snapshot under `provider "dws" {}`.
fn one_dws(emu: &Emulator, name: &str, extra: &str) -> String {
    format!(
        "{}{}",
        hcl::required_providers(&["dws"]),
        DWS.resource("s", &emu.dws_clusters()[0], name, extra)
    )
}

#[test]
fn hostile_a_redirect_carries_no_signed_request_to_another_host() {
    for_each_cli(|cli| {
        let emu = Emulator::start(EmulatorOptions::default());
        let thief = Thief::start();
        let mut wd = Workdir::new(cli, &emu);
        wd.set_env("HW_SECURITY_TOKEN", TOKEN);
        wd.write("main.tf", &one_dws(&emu, "nightly", ""));

        // The create is redirected (302 to the thief, same path).
        emu.add_fault(json!({
            "path": "^/v1.0/[^/]+/snapshots$", "method": "POST", "kind": "redirect",
            "location": format!("{}/v1.0/{}/snapshots", thief.url, emu.project_id()),
        }));
        let run = wd.apply_failure();
        let out = run.flat_output();
        assert_no_crash(&out);
        let host = thief.url.trim_start_matches("http://");
        let host = host.split(':').next().unwrap_or_default();
        run.assert_says(&[
            "Failed to create DWS snapshot \"nightly\"".to_owned(),
            format!("the endpoint answered HTTP 302, a redirect to {host}"),
            "redirects are never followed".to_owned(),
            "check the endpoint settings (the environment variable HW_DWS_ENDPOINT)".to_owned(),
        ]);

        // The credential check at configure is redirected (301, to https).
        emu.control("DELETE", "faults", None);
        emu.add_fault(json!({
            "path": "^/v3/projects", "kind": "redirect", "status": 301,
            "location": format!("{}/v3/projects", thief.url.replace("http://", "https://")),
        }));
        let run = wd.expect_failure(&["plan", "-input=false", "-no-color"]);
        let out = run.flat_output();
        assert!(out.contains("Cannot check the credentials"), "{run}");
        assert!(out.contains("HTTP 301, a redirect to"), "{run}");
        assert!(out.contains("HW_IAM_ENDPOINT"), "{run}");

        let (connections, heads) = thief.seen();
        assert_eq!(connections, 0, "the thief was reached: {heads:#?}");
        assert!(emu.snapshots(DWS.state_key).is_empty());
        assert!(!out.contains(TOKEN));
    });
}

/// `Retry-After` values a hostile or broken endpoint might send.
const RETRY_AFTER: [&str; 10] = [
    "NaN",
    "inf",
    "-1",
    "1e20",
    "18446744073709551616",
    "Fri, 31 Dec 9999 23:59:59 GMT",
    "Tue, 01 Jan 1980 00:00:00 GMT",
    "soon, maybe",
    "0",
    "",
];

#[test]
fn hostile_retry_after_values_on_a_successful_create_do_no_harm() {
    for_each_cli(|cli| {
        let emu = Emulator::start(EmulatorOptions::default().clusters(5, 1));
        let wd = Workdir::new(cli, &emu);
        // Ten creates, each answered with the next value: rules of one path
        // fire in order, each expiring after one hit.
        for value in RETRY_AFTER {
            emu.add_fault(json!({
                "path": "^/v1.0/[^/]+/snapshots$", "method": "POST",
                "kind": "extra_header", "headers": { "Retry-After": value }, "count": 1,
            }));
        }
        let config = snapshots_config(&emu.dws_clusters(), &[], 2, "ra", "");
        wd.write("main.tf", &config);
        let started = Instant::now();
        let run = wd.apply();
        let took = started.elapsed();
        assert_no_crash(&run.output());
        let headed = emu
            .requests_for("dws.create_snapshot", None)
            .iter()
            .filter(|r| r["fault"] == "extra_header")
            .count();
        assert_eq!(headed, RETRY_AFTER.len(), "every value was sent");
        assert_converged(&wd, &emu.state(), RETRY_AFTER.len());
        println!(
            "{}: {} creates answered with hostile Retry-After values, applied in {:.1} s",
            cli.label(),
            RETRY_AFTER.len(),
            took.as_secs_f64()
        );
    });
}

/// `VmHWM` of a process in KiB, while it exists.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Runs `terraform ARGS` in `wd` to its end, polling the peak RSS of every
/// provider process it starts; returns the output's success and the largest
/// peak seen (KiB).
fn run_measuring_providers(wd: &Workdir, args: &[&str]) -> (bool, u64, String) {
    let mut command = Spawned(wd.spawn(args));
    let mut peaks: std::collections::BTreeMap<u32, u64> = Default::default();
    let deadline = Instant::now() + Duration::from_secs(300);
    let status = loop {
        for pid in providers_of(command.pid()) {
            if let Some(kib) = peak_rss_kib(pid) {
                let peak = peaks.entry(pid).or_default();
                *peak = (*peak).max(kib);
            }
        }
        if let Some(status) = command.wait(Duration::from_millis(10)) {
            break status;
        }
        assert!(Instant::now() < deadline, "terraform still running");
    };
    let out = format!("{}{}", wd.read("spawned.stdout"), wd.read("spawned.stderr"));
    assert!(!peaks.is_empty(), "no provider process was seen:\n{out}");
    let max = peaks.values().copied().max().unwrap_or(0);
    (status.success(), max, out)
}

#[test]
fn hostile_a_300_mib_answer_leaves_the_providers_memory_alone() {
    let cli = &terraform_clis()[0];
    let emu = Emulator::start(EmulatorOptions::default());
    let wd = Workdir::new(cli, &emu);
    let config = format!(
        "{}{}{}",
        hcl::required_providers(&["dws", "css"]),
        DWS.resource("d", &emu.dws_clusters()[0], "big-answer", ""),
        CSS.resource("c", &emu.css_clusters()[0], "big-answer-css", "")
    );
    wd.write("main.tf", &config);
    // The first DWS create is answered 200 with 300 MiB, chunked (no
    // length: the client must stop reading); the first CSS create 500 with
    // 300 MiB and its Content-Length. Neither acted. The 500 is retried and
    // the CSS snapshot made; the 200 was a success the client could not
    // read, so it is never sent again blindly: the name lookup finds
    // nothing, the create fails clearly, and the next apply makes it.
    let bytes = 300 * MIB;
    emu.add_fault(json!({
        "path": "^/v1.0/[^/]+/snapshots$", "method": "POST", "kind": "huge_body",
        "bytes": bytes, "status": 200, "content_length": false, "count": 1,
    }));
    emu.add_fault(json!({
        "path": "/index_snapshot$", "method": "POST", "kind": "huge_body",
        "bytes": bytes, "status": 500, "count": 1,
    }));
    let (ok, peak, out) = run_measuring_providers(&wd, &APPLY);
    assert_no_crash(&out);
    assert!(!ok, "{out}");
    let out_flat = flat(&out);
    assert!(
        out_flat.contains("Failed to create DWS snapshot \"big-answer\"")
            && out_flat.contains("the answer is larger than the 16 MiB this client reads"),
        "{out}"
    );
    assert!(out.len() < 64 << 10, "the error does not echo the body");
    let huge = emu
        .requests()
        .iter()
        .filter(|r| r["fault"] == "huge_body")
        .count();
    assert_eq!(huge, 2, "both huge answers were sent");
    assert_eq!(
        emu.snapshots(CSS.state_key).len(),
        1,
        "the CSS create was retried"
    );
    assert!(emu.snapshots(DWS.state_key).is_empty());
    assert!(
        peak <= RSS_LIMIT_KIB,
        "a provider's peak RSS was {:.1} MiB",
        peak as f64 / 1024.0
    );
    wd.apply();
    assert_converged(&wd, &emu.state(), 2);
    println!(
        "{}: 300 MiB answers (chunked 200, announced 500): provider peak RSS {:.1} MiB",
        cli.label(),
        peak as f64 / 1024.0
    );
}

#[test]
fn hostile_a_dripped_answer_is_bounded_by_the_timeout() {
    let cli = &terraform_clis()[0];
    let emu = Emulator::start(EmulatorOptions::default());
    let wd = Workdir::new(cli, &emu);
    let timeouts = "  timeouts {\n    create = \"8s\"\n  }\n";
    wd.write("main.tf", &one_dws(&emu, "dripped", timeouts));
    // The create acts, then sends its answer one byte per second.
    emu.add_fault(json!({
        "path": "^/v1.0/[^/]+/snapshots$", "method": "POST", "kind": "drip",
        "bytes_per_second": 1, "count": 1,
    }));
    let mut apply = Spawned(wd.spawn(&APPLY));
    wait_until(Duration::from_secs(60), "the create", || {
        emu.request_count("dws.create_snapshot", None) == 1
    });
    let dripping = Instant::now();
    let status = apply
        .wait(Duration::from_secs(60))
        .unwrap_or_else(|| panic!("the apply is still running"));
    let took = dripping.elapsed();
    let out = format!("{}{}", wd.read("spawned.stdout"), wd.read("spawned.stderr"));
    let out_flat = flat(&out);
    assert!(!status.success(), "{out}");
    assert!(
        took <= Duration::from_secs(8 + 5),
        "ended after {took:?}:\n{out}"
    );
    assert!(
        out_flat.contains("Timed out creating DWS snapshot \"dripped\"")
            && out_flat
                .contains("timeouts.create = 8s ran out before the cloud answered the create"),
        "{out}"
    );
    // The snapshot was made; the next apply adopts it by name.
    let made: Vec<String> = in_cloud(&emu.state()).into_keys().collect();
    assert_eq!(made.len(), 1);
    assert!(in_state(&wd).is_empty());
    wd.apply();
    assert_converged(&wd, &emu.state(), 1);
    assert_eq!(in_cloud(&emu.state()).into_keys().collect::<Vec<_>>(), made);
    println!(
        "{}: a create answer dripped at 1 B/s ended the apply {:.1} s after the create (timeout 8 s)",
        cli.label(),
        took.as_secs_f64()
    );
}

#[test]
fn hostile_a_panic_in_a_create_keeps_the_id() {
    let cli = &terraform_clis()[0];
    let emu = Emulator::start(EmulatorOptions::default());
    let mut wd = Workdir::new(cli, &emu);
    wd.write("main.tf", &one_dws(&emu, "panicky", ""));
    // A debug-build hook (compiled out of release builds): panic right after
    // the create recorded its ID.
    wd.set_env("HWSNAP_TEST_PANIC", "after-create");
    let run = wd.apply_failure();
    let out = run.flat_output();
    run.assert_says(&[
        "Error: Internal error in hwsnap",
        "internal error in hwsnap: dws_snapshot create panicked",
        "please report it",
        "is kept",
    ]);
    assert!(!out.contains("Plugin did not respond"), "{run}");
    let made: Vec<String> = in_cloud(&emu.state()).into_keys().collect();
    let state = in_state(&wd);
    assert_eq!(made.len(), 1);
    assert_eq!(state.len(), 1, "{state:#?}");
    assert_eq!(
        state[0].id.as_deref(),
        Some(made[0].as_str()),
        "the ID is kept"
    );
    assert!(state[0].tainted);
    wd.remove_env("HWSNAP_TEST_PANIC");
    wd.apply();
    assert_converged(&wd, &emu.state(), 1);
}

// ---- a msgpack bomb over the real transport ---------------------------------

/// A msgpack array32 header claiming `n` elements, followed by `nils` nils.
fn array_of_nils(n: u32, nils: usize) -> Vec<u8> {
    let mut b = vec![0xdd];
    b.extend_from_slice(&n.to_be_bytes());
    b.resize(5 + nils, 0xc0);
    b
}

/// The hostile messages: (what, msgpack).
fn bombs() -> Vec<(&'static str, Vec<u8>)> {
    let body = 4 * MIB as usize - 64 * 1024;
    let mut map_lie = vec![0xdf];
    map_lie.extend_from_slice(&u32::MAX.to_be_bytes());
    let mut object = vec![0x81, 0xa4];
    object.extend_from_slice(b"name");
    object.extend(array_of_nils(u32::try_from(body).unwrap_or(u32::MAX), body));
    vec![
        (
            "an array of 4 million nils",
            array_of_nils(u32::try_from(body).unwrap_or(0), body),
        ),
        (
            "an array claiming 4 billion elements",
            array_of_nils(u32::MAX, 16),
        ),
        ("a map claiming 4 billion entries", map_lie),
        ("4 million nils where a string belongs", object),
        ("nesting 1 million deep", vec![0x91; MIB as usize]),
    ]
}

#[test]
fn hostile_a_msgpack_bomb_is_refused_within_bounded_memory() {
    let emu = Emulator::start(EmulatorOptions::default());
    let identity = hwsnap_testkit::mtls::terraform_client_identity();
    let provider = ProviderProcess::start_binary(
        &emu,
        env!("CARGO_BIN_EXE_terraform-provider-dws"),
        Some(&identity.pem),
    );
    let pid = provider.child.id();
    let server_cert = CertificateDer::from(provider.server_cert.clone().expect("TLS"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let tls = hwsnap_testkit::mtls::client_tls_config(&server_cert, Some(&identity));
    let before = peak_rss_kib(pid).unwrap_or(0);
    let outcomes: Vec<(String, Result<Vec<String>, String>)> = rt.block_on(async {
        let channel = hwsnap_testkit::mtls::channel(provider.socket.clone(), Some(tls)).await;
        let mut client = ProviderClient::new(channel);
        let mut outcomes = Vec::new();
        for (what, msgpack) in bombs() {
            let request = tf::validate_resource_config::Request {
                type_name: "dws_snapshot".into(),
                config: Some(tf::DynamicValue {
                    msgpack,
                    json: Vec::new(),
                }),
                ..Default::default()
            };
            let answer = client
                .validate_resource_config(request)
                .await
                .map(|r| {
                    r.into_inner()
                        .diagnostics
                        .iter()
                        .map(|d| format!("{}: {}", d.summary, d.detail))
                        .collect()
                })
                .map_err(|status| status.to_string());
            outcomes.push((what.to_owned(), answer));
        }
        // A message over gRPC's 4 MiB limit is refused by the transport.
        let too_big = tf::validate_resource_config::Request {
            type_name: "dws_snapshot".into(),
            config: Some(tf::DynamicValue {
                msgpack: array_of_nils(0, 5 * MIB as usize),
                json: Vec::new(),
            }),
            ..Default::default()
        };
        let refused = client.validate_resource_config(too_big).await;
        outcomes.push((
            "a 5 MiB message".to_owned(),
            refused.map(|_| Vec::new()).map_err(|s| s.to_string()),
        ));
        // The provider still answers.
        let schema = client
            .get_provider_schema(tf::get_provider_schema::Request::default())
            .await;
        assert!(schema.is_ok(), "the provider stopped answering: {schema:?}");
        outcomes
    });
    let peak = peak_rss_kib(pid).unwrap_or(u64::MAX);
    for (what, outcome) in &outcomes {
        match (what.as_str(), outcome) {
            ("a 5 MiB message", Err(status)) => {
                assert!(
                    status.to_lowercase().contains("message"),
                    "{what}: {status}"
                )
            }
            (_, Ok(errors)) => assert!(
                errors.iter().any(|e| e.contains("dws_snapshot")
                    || e.contains("decode")
                    || e.contains("Invalid")),
                "{what}: refused with a diagnostic: {errors:?}"
            ),
            (_, other) => panic!("{what}: {other:?}"),
        }
    }
    assert!(
        peak <= RSS_LIMIT_KIB,
        "the provider's peak RSS was {:.1} MiB",
        peak as f64 / 1024.0
    );
    println!(
        "msgpack bombs: provider peak RSS {:.1} MiB (before: {:.1} MiB); refusals: {}",
        peak as f64 / 1024.0,
        before as f64 / 1024.0,
        outcomes
            .iter()
            .map(|(w, o)| format!(
                "{w}: {}",
                match o {
                    Ok(d) => d.first().cloned().unwrap_or_default(),
                    Err(s) => s.clone(),
                }
            ))
            .collect::<Vec<_>>()
            .join(" | ")
    );
}
