//! Smoke tests of the harness itself: they need the Terraform CLIs and the
//! emulator, but no working provider.

use serde_json::json;

use crate::support::{Emulator, EmulatorOptions, Workdir, for_each_cli, terraform_clis};

#[test]
fn both_terraform_minors_are_installed() {
    let minors: Vec<(u32, u32)> = terraform_clis()
        .iter()
        .map(|c| (c.major, c.minor))
        .collect();
    assert_eq!(minors, [(1, 15), (1, 11)]);
}

#[test]
fn each_cli_prints_its_version_line() {
    for cli in terraform_clis() {
        let emu = Emulator::start(EmulatorOptions::default());
        let wd = Workdir::new(cli, &emu);
        let run = wd.expect_success(&["version"]);
        let first = run.stdout.lines().next().unwrap_or_default();
        assert_eq!(first, format!("Terraform v{}", cli.version), "{run}");
        assert!(
            first.starts_with(&format!("Terraform v{}.{}.", cli.major, cli.minor)),
            "{run}"
        );
    }
}

#[test]
fn emulator_state_lists_the_seeded_clusters() {
    let emu = Emulator::start(EmulatorOptions::default());
    let state = emu.state();
    assert_eq!(state["project_id"], emu.project_id(), "{state}");
    assert_eq!(state["region"], emu.region(), "{state}");
    assert_eq!(emu.dws_clusters().len(), 1, "{state}");
    assert_eq!(emu.css_clusters().len(), 1, "{state}");
    assert_eq!(state["dws_snapshots"], json!([]), "{state}");
    assert_eq!(state["css_snapshots"], json!([]), "{state}");
    assert!(emu.requests().is_empty(), "control calls are not logged");
}

#[test]
fn emulator_options_choose_the_clusters() {
    let emu = Emulator::start(EmulatorOptions::default().clusters(3, 0));
    let dws = emu.dws_clusters();
    assert_eq!(dws.len(), 3, "{dws:?}");
    assert!(emu.css_clusters().is_empty());
    let mut unique = dws.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 3, "cluster ids must differ: {dws:?}");
}

#[test]
fn emulators_are_independent() {
    let a = Emulator::start(EmulatorOptions::default());
    let b = Emulator::start(EmulatorOptions::default());
    assert_ne!(a.base_url(), b.base_url());
    a.add_cluster("css");
    assert_eq!(a.css_clusters().len(), 2);
    assert_eq!(b.css_clusters().len(), 1);
}

#[test]
fn workdir_environment_points_at_the_emulator() {
    let cli = &terraform_clis()[0];
    let emu = Emulator::start(EmulatorOptions::default());
    let wd = Workdir::new(cli, &emu);
    let env = |key: &str| {
        wd.env()
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{key} not set"))
    };
    for key in ["HW_DWS_ENDPOINT", "HW_CSS_ENDPOINT", "HW_IAM_ENDPOINT"] {
        assert_eq!(env(key), emu.base_url());
    }
    assert_eq!(env("HW_ACCESS_KEY"), emu.access_key());
    assert_eq!(env("HW_PROJECT_ID"), emu.project_id());
    assert_eq!(env("TF_IN_AUTOMATION"), "1");
    assert!(
        wd.env().iter().all(|(k, _)| k != "TF_LOG"),
        "TF_LOG is unset unless asked"
    );
    assert!(env("HOME").starts_with(&wd.path().display().to_string()));
    let debug = format!("{wd:?}");
    assert!(
        !debug.contains(emu.secret_key()),
        "secret key leaked into Debug: {debug}"
    );
}

#[test]
fn workdir_cli_config_is_valid_for_each_cli() {
    for_each_cli(|cli| {
        let emu = Emulator::start(EmulatorOptions::default());
        let wd = Workdir::new(cli, &emu);
        let run = wd.expect_success(&["version"]);
        assert!(
            !run.output().contains("problems with the CLI configuration"),
            "{run}"
        );
    });
}

#[test]
fn for_each_cli_names_the_failing_cli() {
    let panic = std::panic::catch_unwind(|| {
        for_each_cli(|cli| assert!(cli.minor != 11, "deliberate failure"));
    })
    .expect_err("a failing CLI must fail for_each_cli");
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        message.contains("failed with 1 of 2 Terraform CLIs"),
        "{message}"
    );
    assert!(message.contains("terraform 1.11."), "{message}");
    assert!(message.contains("deliberate failure"), "{message}");
    assert!(!message.contains("terraform 1.15."), "{message}");
}

#[test]
fn workdir_dev_overrides_are_in_effect_for_each_cli() {
    // Whether the provider binary works yet or not, Terraform must announce
    // that it takes the hwsnap providers from cargo's build directory.
    for_each_cli(|cli| {
        let emu = Emulator::start(EmulatorOptions::default());
        let wd = Workdir::new(cli, &emu);
        wd.write(
            "main.tf",
            r#"
terraform {
  required_providers {
    hwsnap = { source = "hwsnap/hwsnap" }
  }
}
"#,
        );
        let run = wd.run(&["plan", "-input=false", "-no-color"]);
        let out = run.output();
        assert!(!run.timed_out, "{run}");
        assert!(
            out.contains("Provider development overrides are in effect"),
            "{run}"
        );
        let dir = crate::support::workdir::provider_dir();
        assert!(
            out.contains(&format!("hwsnap/hwsnap in {}", dir.display())),
            "{run}"
        );
    });
}

#[test]
fn control_api_calls_round_trip() {
    let emu = Emulator::start(EmulatorOptions::default());
    let id = emu.add_fault(json!({"path": "^/v1\\.0/", "kind": "throttle", "count": 1}));
    assert!(!id.is_null(), "a fault rule has an id");
    emu.control("POST", "settings", Some(json!({"create_seconds": 0.5})));
    emu.control("DELETE", "faults", None);
    emu.clear_requests();
    emu.reset();
    assert!(emu.requests().is_empty());
    assert_eq!(emu.dws_clusters().len(), 1, "reset keeps the clusters");
}

#[test]
#[should_panic(expected = "answered 404")]
fn control_api_errors_panic_with_the_status() {
    let emu = Emulator::start(EmulatorOptions::default());
    emu.control("DELETE", "snapshots/no-such-snapshot", None);
}
