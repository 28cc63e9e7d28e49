//! Criterion micro-benchmarks (`cargo bench --bench micro`): the hot paths a
//! Terraform run crosses per resource — msgpack decode/encode of a
//! `dws_snapshot` state, `SDK-HMAC-SHA256` request signing, and one whole
//! PlanResourceChange round trip over the real transport (the release
//! provider binary, its go-plugin handshake, AutoMTLS over a unix socket,
//! HTTP/2 gRPC).
//!
//! The one design decision: the round trip talks to the provider binary
//! exactly as Terraform does, so the number includes TLS, HTTP/2 framing,
//! protobuf and the framework's plan — not an in-process shortcut.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use hwsnap::resources::DwsSnapshot;
use hwsnap_cloud::Client;
use hwsnap_cty::{Number, Type, Value, msgpack};
use hwsnap_plugin::proto::tfplugin6 as tf;
use hwsnap_plugin::proto::tfplugin6::provider_client::ProviderClient;
use rustls::pki_types::CertificateDer;
use tonic::transport::Channel;

/// The Terraform side of the mTLS, shared with the transport tests.
use hwsnap_testkit::mtls::{ClientIdentity, channel, client_tls_config, terraform_client_identity};

/// The state type of `dws_snapshot`, from its schema.
fn state_type() -> Type {
    hwsnap_framework::resource::schema::<Client, DwsSnapshot>().value_type()
}

/// A plausible value of `ty`: every attribute set, one element per collection.
fn sample(ty: &Type, name: &str) -> Value {
    match ty {
        Type::String => Value::string(format!("{name}-2a4d0f86-67cd-408a-8b66-017454fb7793")),
        Type::Number => Value::Number(Number::from(1_764_072_000_i64)),
        Type::Bool => Value::Bool(true),
        Type::Dynamic => Value::Dynamic(Box::new(Type::String), Box::new(Value::string(name))),
        Type::List(e) => Value::List(vec![sample(e, name)]),
        Type::Set(e) => Value::Set(vec![sample(e, name)]),
        Type::Map(e) => Value::Map([("k".to_owned(), sample(e, name))].into()),
        Type::Tuple(es) => Value::Tuple(es.iter().map(|e| sample(e, name)).collect()),
        Type::Object { attrs, .. } => Value::Object(
            attrs
                .iter()
                .map(|(k, t)| (k.clone(), sample(t, k)))
                .collect(),
        ),
    }
}

fn codec(c: &mut Criterion) {
    let ty = state_type();
    let value = sample(&ty, "state");
    let bytes = msgpack::encode(&value, &ty).expect("encode sample state");
    assert_eq!(msgpack::decode(&bytes, &ty).expect("decode"), value);
    let mut g = c.benchmark_group("msgpack_dws_snapshot_state");
    g.bench_function("encode", |b| {
        b.iter(|| msgpack::encode(std::hint::black_box(&value), &ty))
    });
    g.bench_function("decode", |b| {
        b.iter(|| msgpack::decode(std::hint::black_box(&bytes), &ty))
    });
    g.finish();
}

fn signing(c: &mut Criterion) {
    let creds = hwsnap_sign::Credentials::new(
        "HPUAEXAMPLEAK0000001",
        "exampleSecretKey0123456789abcdefghijklmn",
    );
    let headers = vec![
        ("Content-Type".to_owned(), "application/json".to_owned()),
        (
            "X-Project-Id".to_owned(),
            "0123456789abcdef0123456789abcdef".to_owned(),
        ),
    ];
    let body = br#"{"snapshot":{"name":"nightly","cluster_id":"44b277eb-39be-4921-be31-3d61b43651d7","description":"bench"}}"#;
    let query = Vec::new();
    let req = hwsnap_sign::Request {
        method: "POST",
        host: "dws.ap-southeast-1.myhuaweicloud.com",
        path: "/v1.0/0123456789abcdef0123456789abcdef/snapshots",
        query: &query,
        headers: &headers,
        body,
    };
    let at = time::macros::datetime!(2026-11-25 12:00:00 UTC);
    c.bench_function("sign_dws_create_request", |b| {
        b.iter(|| hwsnap_sign::sign(std::hint::black_box(&req), &creds, at))
    });
}

/// The release provider binary, started as Terraform starts it.
struct Provider {
    child: Child,
    socket: PathBuf,
    server_cert: CertificateDer<'static>,
    _tmp: tempfile::TempDir,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_provider(id: &ClientIdentity) -> Provider {
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_terraform-provider-dws"))
        .env_clear()
        .env("TMPDIR", tmp.path())
        .env(
            "TF_PLUGIN_MAGIC_COOKIE",
            "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
        )
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_CLIENT_CERT", &id.pem)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the provider (cargo bench builds it)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("handshake line");
    let f: Vec<&str> = line.trim_end().split('|').collect();
    assert!(
        f.len() == 6 && f[2] == "unix",
        "unexpected handshake {line:?}"
    );
    let der = STANDARD_NO_PAD.decode(f[5]).expect("server cert base64");
    Provider {
        child,
        socket: PathBuf::from(f[3]),
        server_cert: CertificateDer::from(der),
        _tmp: tmp,
    }
}

async fn connect(p: &Provider, id: &ClientIdentity) -> ProviderClient<Channel> {
    let tls = client_tls_config(&p.server_cert, Some(id));
    ProviderClient::new(channel(p.socket.clone(), Some(tls)).await)
}

fn plan_round_trip(c: &mut Criterion) {
    let ty = state_type();
    let Type::Object { attrs, .. } = &ty else {
        panic!("state type is an object")
    };
    // A create: no prior state; the config sets the arguments, the rest null.
    let mut config: std::collections::BTreeMap<String, Value> =
        attrs.keys().map(|k| (k.clone(), Value::Null)).collect();
    config.insert(
        "cluster_id".into(),
        Value::string("44b277eb-39be-4921-be31-3d61b43651d7"),
    );
    config.insert("name".into(), Value::string("nightly"));
    let config = Value::Object(config);
    let dv = |v: &Value| tf::DynamicValue {
        msgpack: msgpack::encode(v, &ty).expect("encode"),
        json: Vec::new(),
    };
    let request = tf::plan_resource_change::Request {
        type_name: "dws_snapshot".into(),
        prior_state: Some(dv(&Value::Null)),
        proposed_new_state: Some(dv(&config)),
        config: Some(dv(&config)),
        ..Default::default()
    };

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let id = terraform_client_identity();
    let provider = start_provider(&id);
    let mut client = rt.block_on(async {
        let mut client = connect(&provider, &id).await;
        client
            .get_provider_schema(tf::get_provider_schema::Request::default())
            .await
            .expect("GetProviderSchema");
        client
    });
    let first = rt
        .block_on(client.plan_resource_change(request.clone()))
        .expect("PlanResourceChange")
        .into_inner();
    assert!(
        first.diagnostics.is_empty(),
        "plan diagnostics: {:?}",
        first.diagnostics
    );
    let planned = msgpack::decode(&first.planned_state.expect("planned state").msgpack, &ty)
        .expect("planned state decodes");
    assert!(planned.get_attr("id").is_some_and(Value::is_unknown));

    c.bench_function("plan_resource_change_round_trip", |b| {
        b.iter(|| {
            rt.block_on(client.plan_resource_change(request.clone()))
                .expect("PlanResourceChange")
        })
    });
}

criterion_group!(benches, codec, signing, plan_round_trip);
criterion_main!(benches);
