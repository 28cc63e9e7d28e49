//! The mistakes a new user makes get a clear answer, through real Terraform:
//! a wrong secret key fails `plan` at configure (one request), unless
//! `skip_credentials_validation` says not to check; a locked key says when
//! it lifts; an unreachable endpoint names the setting its URL came from; a
//! bad `HW_DWS_ENDPOINT` leaves the css provider alone; an import from a
//! CSS cluster that does not exist says so; and `TF_LOG=DEBUG` shows the
//! resolved configuration once, retries counted from 1, fields in a stable
//! order and no HTTP library chatter.

use serde_json::json;

use crate::support::hcl::{self, CSS, DWS};
use crate::support::{Emulator, EmulatorOptions, Workdir, for_each_cli, terraform_clis};

const PLAN: [&str; 3] = ["plan", "-input=false", "-no-color"];
const WRONG_SECRET: &str = "wrongSecretKey0000000000000000000000000000";

/// One new DWS snapshot (nothing to read), with `provider` inside
/// `provider "dws" { … }`.
fn one_dws(emu: &Emulator, provider: &str) -> String {
    format!(
        "{}provider \"dws\" {{\n{provider}}}\n{}",
        hcl::required_providers(&["dws"]),
        DWS.resource("s", &emu.dws_clusters()[0], "nightly", "")
    )
}

/// The logged cloud requests, by operation name.
fn operations(emu: &Emulator) -> Vec<String> {
    emu.requests()
        .iter()
        .map(|r| r["operation"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// A local port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

#[test]
fn a_wrong_secret_key_fails_plan_with_nothing_to_read() {
    for_each_cli(|cli| {
        let emu = Emulator::start(EmulatorOptions::default());
        let mut wd = Workdir::new(cli, &emu);
        wd.set_env("HW_SECRET_KEY", WRONG_SECRET);
        wd.write("main.tf", &one_dws(&emu, ""));
        let run = wd.expect_failure(&PLAN);
        let out = run.flat_output();
        run.assert_says(&[
            "Error: Invalid credentials",
            "look up the IAM project of region ap-southeast-1 failed: the signature was refused",
            "check access_key and secret_key",
        ]);
        assert!(!out.contains("wrongSecretKey"), "the key is not echoed");
        assert_eq!(operations(&emu), ["iam.list_projects"], "one request");

        // Skipped from the environment or the block: no request at all.
        emu.clear_requests();
        wd.set_env("HW_SKIP_CREDENTIALS_VALIDATION", "true");
        wd.expect_success(&PLAN);
        assert!(emu.requests().is_empty(), "{:?}", operations(&emu));
        wd.remove_env("HW_SKIP_CREDENTIALS_VALIDATION");
        wd.write(
            "main.tf",
            &one_dws(&emu, "  skip_credentials_validation = true\n"),
        );
        wd.expect_success(&PLAN);
        assert!(emu.requests().is_empty(), "{:?}", operations(&emu));
    });
}

#[test]
fn the_credential_check_costs_one_request_per_configure() {
    for_each_cli(|cli| {
        let emu = Emulator::start(EmulatorOptions::default());
        let mut wd = Workdir::new(cli, &emu);
        // No project ID: the check's answer fills the cache, so no call
        // looks it up a second time.
        wd.remove_env("HW_PROJECT_ID");
        let config = format!(
            "{}{}{}",
            hcl::required_providers(&["dws", "css"]),
            DWS.resource("d", &emu.dws_clusters()[0], "nightly", ""),
            CSS.resource("c", &emu.css_clusters()[0], "nightly", "")
        );
        wd.write("main.tf", &config);
        let iam = |emu: &Emulator| emu.request_count("iam.list_projects", None);
        wd.expect_success(&PLAN);
        assert_eq!(iam(&emu), 2, "plan: one check per provider");
        emu.clear_requests();
        wd.apply();
        assert_eq!(iam(&emu), 4, "apply: plan and apply phase, two providers");
        emu.clear_requests();
        wd.expect_success(&PLAN);
        assert_eq!(iam(&emu), 2, "the refresh reuses the checked project");
        assert_eq!(
            emu.requests().len(),
            4,
            "two checks, one DWS show, one CSS list"
        );
    });
}

#[test]
fn a_locked_key_says_when_it_lifts() {
    for_each_cli(|cli| {
        let emu = Emulator::start(EmulatorOptions::default());
        let mut wd = Workdir::new(cli, &emu);
        wd.set_env("HW_SECRET_KEY", WRONG_SECRET);
        wd.write("main.tf", &one_dws(&emu, ""));
        // Five refused signatures lock the key, as the gateway does.
        for _ in 0..5 {
            let out = wd.expect_failure(&PLAN).flat_output();
            assert!(out.contains("Invalid credentials"), "{out}");
        }
        let run = wd.expect_failure(&PLAN);
        run.assert_says(&[
            "Error: Access key locked",
            "the API gateway has locked this access key after repeated signature failures",
            "the lock lifts after about 5 minutes",
        ]);
        assert_eq!(emu.request_count("iam.list_projects", None), 6);
    });
}

#[test]
fn an_unreachable_endpoint_names_the_setting_behind_its_url() {
    let cli = &terraform_clis()[0];
    let emu = Emulator::start(EmulatorOptions::default());
    let mut wd = Workdir::new(cli, &emu);
    wd.set_env("HW_MAX_RETRIES", "1");
    let port = closed_port();
    let nowhere = format!("http://127.0.0.1:{port}");

    // DWS from the environment: the credential check (IAM) passes, the
    // create cannot connect.
    wd.set_env("HW_DWS_ENDPOINT", &nowhere);
    wd.write("main.tf", &one_dws(&emu, ""));
    let run = wd.apply_failure();
    run.assert_says(&[
        "Failed to create DWS snapshot \"nightly\"".to_owned(),
        format!("could not connect to {nowhere}"),
        "in 2 attempts over".to_owned(),
        "the URL comes from the environment variable HW_DWS_ENDPOINT".to_owned(),
    ]);

    // The same URL from the provider block.
    wd.remove_env("HW_DWS_ENDPOINT");
    let block = format!("  endpoints {{\n    dws = \"{nowhere}\"\n  }}\n");
    wd.write("main.tf", &one_dws(&emu, &block));
    let out = wd.apply_failure().flat_output();
    assert!(
        out.contains("the URL comes from endpoints.dws in the provider block"),
        "{out}"
    );

    // IAM unreachable: the check at configure says so, and how to skip it.
    wd.set_env("HW_DWS_ENDPOINT", emu.base_url());
    wd.set_env("HW_IAM_ENDPOINT", &nowhere);
    wd.write("main.tf", &one_dws(&emu, ""));
    let run = wd.expect_failure(&PLAN);
    run.assert_says(&[
        "Error: Cannot check the credentials",
        "the URL comes from the environment variable HW_IAM_ENDPOINT",
        "set skip_credentials_validation = true (or HW_SKIP_CREDENTIALS_VALIDATION=true)",
    ]);
    assert!(emu.snapshots(DWS.state_key).is_empty());
}

#[test]
fn a_bad_dws_endpoint_does_not_break_the_css_provider() {
    for_each_cli(|cli| {
        let emu = Emulator::start(EmulatorOptions::default());
        let mut wd = Workdir::new(cli, &emu);
        wd.set_env("HW_DWS_ENDPOINT", "dws.example.com");
        let css_only = format!(
            "{}{}",
            hcl::required_providers(&["css"]),
            CSS.resource("c", &emu.css_clusters()[0], "nightly", "")
        );
        wd.write("main.tf", &css_only);
        wd.apply();
        assert_eq!(emu.snapshots(CSS.state_key).len(), 1);
        // The dws provider, which uses it, refuses it with the setting's name.
        wd.write("main.tf", &one_dws(&emu, ""));
        let run = wd.expect_failure(&PLAN);
        run.assert_says(&[
            "Invalid endpoints.dws from the environment",
            "The environment variable HW_DWS_ENDPOINT is not a usable endpoint",
            "include https:// or http://, e.g. https://dws.example.com",
        ]);
    });
}

#[test]
fn importing_from_a_missing_css_cluster_says_so() {
    for_each_cli(|cli| {
        let emu = Emulator::start(EmulatorOptions::default());
        let wd = Workdir::new(cli, &emu);
        let cluster = "0b9e3c6a-1f6e-4c1b-9d0e-5c2f8a7d4e31";
        let snapshot = "6c3b1e34-1fbb-4b4e-9ae9-20d2cfc0e2fd";
        wd.write(
            "main.tf",
            &format!(
                "{}{}",
                hcl::required_providers(&["css"]),
                CSS.resource("s", cluster, "nightly", "")
            ),
        );
        let run = wd.expect_failure(&[
            "import",
            "-input=false",
            "-no-color",
            "css_index_snapshot.s",
            &format!("{cluster}/{snapshot}"),
        ]);
        let out = run.flat_output();
        assert!(
            out.contains(&format!("Error: CSS cluster {cluster} was not found")),
            "{run}"
        );
        assert!(
            out.contains("Check the cluster ID (the part before the /)"),
            "{run}"
        );
        assert!(
            !out.contains("Cannot import non-existent remote object"),
            "{run}"
        );
        assert!(wd.run(&["state", "list"]).stdout.trim().is_empty());
    });
}

/// The provider's own lines of a Terraform log (any of the three binaries).
fn provider_lines(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| {
            l.contains(": provider.terraform-provider-")
                || l.contains(" provider.terraform-provider-")
        })
        .collect()
}

/// HTTP library internals that must stay out of DEBUG.
const HTTP_CHATTER: [&str; 5] = [
    "starting new connection",
    "pooling idle connection",
    "reuse idle connection",
    "shouldn't retry",
    "connecting to 127.0.0.1",
];

#[test]
fn debug_logs_show_the_configuration_once_and_no_http_internals() {
    let cli = &terraform_clis()[0];
    let emu = Emulator::start(EmulatorOptions::default().create_seconds(0.2));
    let mut wd = Workdir::new(cli, &emu);
    wd.set_env("HW_SECURITY_TOKEN", "tok3n-NEVER-IN-LOGS");
    wd.set_env("TF_LOG", "DEBUG");
    wd.set_env(
        "TF_LOG_PATH",
        &wd.path().join("debug.log").display().to_string(),
    );
    wd.write("main.tf", &one_dws(&emu, ""));
    // One throttled status read, so the apply retries once.
    emu.add_fault(json!({
        "path": "^/v1.0/[^/]+/snapshots/[^/]+$",
        "method": "GET",
        "kind": "throttle",
        "retry_after": "0",
        "count": 1,
    }));
    wd.apply();
    let log = wd.read("debug.log");
    let lines = provider_lines(&log);
    assert!(!lines.is_empty(), "no provider lines in the log");

    // Once per configure: region, project and the endpoints this binary uses.
    let configuring = lines
        .iter()
        .filter(|l| l.contains("configuring provider"))
        .count();
    let configured: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains("provider configured:"))
        .collect();
    assert!(configuring >= 2, "plan and apply configure: {configuring}");
    assert_eq!(configured.len(), configuring, "{configured:#?}");
    let base = emu.base_url();
    for l in &configured {
        for want in [
            "region=ap-southeast-1".to_owned(),
            format!("project_id={}", emu.project_id()),
            format!("dws={base}/"),
            format!("iam={base}/"),
            "credentials_checked=true".to_owned(),
        ] {
            assert!(l.contains(&want), "no {want:?} in {l}");
        }
        assert!(
            !l.contains(" css="),
            "the dws provider uses no CSS endpoint: {l}"
        );
    }
    for secret in [emu.secret_key(), "tok3n-NEVER-IN-LOGS"] {
        assert!(!log.contains(secret), "a secret in the DEBUG log");
    }

    // Retries count from 1.
    let retry = lines
        .iter()
        .find(|l| l.contains("retrying read DWS snapshot"))
        .unwrap_or_else(|| panic!("no retry line:\n{}", lines.join("\n")));
    assert!(retry.contains("failed_attempt=1 next_attempt=2"), "{retry}");
    assert!(!log.contains("attempt=0"));

    // Fields in the declared order, on every cloud request line.
    let requests: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains("cloud request: "))
        .collect();
    assert!(requests.len() >= 4, "{requests:#?}");
    for l in &requests {
        let fields: Vec<&str> = l
            .split("cloud request: ")
            .nth(1)
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|kv| kv.split_once('=').map(|(k, _)| k))
            .take(5)
            .collect();
        assert_eq!(
            fields,
            ["method", "path", "status", "duration_ms", "request_id"],
            "{l}"
        );
    }

    // No HTTP library internals at DEBUG; under TRACE they show.
    for chatter in HTTP_CHATTER {
        assert!(
            !lines.iter().any(|l| l.contains(chatter)),
            "{chatter:?} at DEBUG"
        );
    }
    wd.set_env("TF_LOG", "TRACE");
    wd.set_env(
        "TF_LOG_PATH",
        &wd.path().join("trace.log").display().to_string(),
    );
    wd.expect_success(&PLAN);
    let trace = wd.read("trace.log");
    assert!(
        provider_lines(&trace)
            .iter()
            .any(|l| l.contains("starting new connection")),
        "the HTTP libraries' DEBUG shows under TRACE"
    );
}
