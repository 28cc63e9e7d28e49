//! The plugin core through real Terraform: schemas of all three provider
//! addresses, validation errors that name the attribute, provider-block
//! diagnostics, and clean provider shutdowns.

use serde_json::Value;

use crate::support::hcl;
use crate::support::{Emulator, EmulatorOptions, TerraformCli, Workdir, for_each_cli};

const DWS_CLUSTER: &str = "44b277eb-39be-4921-be31-3d61b43651d7";

fn header() -> String {
    hcl::required_providers(&["dws"])
}

fn schema_json(wd: &Workdir) -> Value {
    let run = wd.expect_success(&["providers", "schema", "-json"]);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("schema JSON ({e}):\n{run}"))
}

#[test]
fn schemas_of_all_three_sources() {
    for_each_cli(|cli| {
        let emu = Emulator::start(EmulatorOptions::default());
        let wd = Workdir::new(cli, &emu);
        wd.write(
            "main.tf",
            r#"terraform {
  required_providers {
    dws    = { source = "hwsnap/dws" }
    css    = { source = "hwsnap/css" }
    hwsnap = { source = "hwsnap/hwsnap" }
  }
}
"#,
        );
        let schemas = schema_json(&wd);
        let providers = &schemas["provider_schemas"];
        let served = |addr: &str| -> Vec<String> {
            let mut v: Vec<String> = providers[addr]["resource_schemas"]
                .as_object()
                .unwrap_or_else(|| panic!("no resource schemas for {addr}: {providers:#}"))
                .keys()
                .cloned()
                .collect();
            v.sort();
            v
        };
        assert_eq!(served("registry.terraform.io/hwsnap/dws"), ["dws_snapshot"]);
        assert_eq!(
            served("registry.terraform.io/hwsnap/css"),
            ["css_index_snapshot"]
        );
        assert_eq!(
            served("registry.terraform.io/hwsnap/hwsnap"),
            ["css_index_snapshot", "dws_snapshot"]
        );

        for addr in ["dws", "css", "hwsnap"] {
            let p = &providers[format!("registry.terraform.io/hwsnap/{addr}")]["provider"]["block"];
            let attrs = &p["attributes"];
            assert_eq!(attrs["secret_key"]["sensitive"], true, "{p:#}");
            assert_eq!(attrs["security_token"]["sensitive"], true, "{p:#}");
            assert_eq!(attrs["access_key"]["optional"], true);
            assert_eq!(attrs["max_retries"]["type"], "number");
            assert!(p["block_types"]["endpoints"]["block"]["attributes"]["dws"].is_object());
            for (name, a) in attrs.as_object().expect("attributes") {
                let d = a["description"].as_str().unwrap_or_default();
                assert!(d.contains("HW_"), "{name} names no env fallback: {d}");
            }
        }

        let dws = &providers["registry.terraform.io/hwsnap/dws"]["resource_schemas"]["dws_snapshot"]
            ["block"];
        assert_eq!(dws["attributes"]["name"]["required"], true);
        assert_eq!(dws["attributes"]["id"]["computed"], true);
        assert_eq!(dws["attributes"]["size"]["type"], "number");
        assert_eq!(dws["block_types"]["timeouts"]["nesting_mode"], "single");
        let css = &providers["registry.terraform.io/hwsnap/css"]["resource_schemas"]["css_index_snapshot"]
            ["block"];
        assert_eq!(css["attributes"]["indices"]["optional"], true);
        assert_eq!(css["attributes"]["indices"]["computed"], true);
        for block in [dws, css] {
            for (name, a) in block["attributes"].as_object().expect("attributes") {
                let d = a["description"].as_str().unwrap_or_default();
                assert!(d.len() > 10, "{name} has no description");
                assert_eq!(a["description_kind"], "markdown", "{name}");
            }
        }
    });
}

fn validate_errors(cli: &TerraformCli, hcl: &str) -> String {
    let emu = Emulator::start(EmulatorOptions::default());
    let wd = Workdir::new(cli, &emu);
    wd.write("main.tf", hcl);
    let run = wd.expect_failure(&["validate", "-no-color"]);
    assert!(emu.requests().is_empty(), "validate called the cloud");
    run.output()
}

#[test]
fn validate_names_the_bad_attribute() {
    for_each_cli(|cli| {
        let out = validate_errors(
            cli,
            &format!(
                "{}resource \"dws_snapshot\" \"s\" {{\n  cluster_id = \"{DWS_CLUSTER}\"\n  name = \"1bad\"\n}}\n",
                header()
            ),
        );
        assert!(out.contains("Invalid value for name"), "{out}");
        assert!(out.contains("must start with a letter"), "{out}");
        assert!(
            out.contains("name = \"1bad\""),
            "the diagnostic points at the line: {out}"
        );

        let emu = Emulator::start(EmulatorOptions::default());
        let wd = Workdir::new(cli, &emu);
        wd.write(
            "main.tf",
            &format!(
                "{}resource \"dws_snapshot\" \"s\" {{\n  cluster_id = \"{DWS_CLUSTER}\"\n  name = \"good-name\"\n}}\n",
                header()
            ),
        );
        wd.expect_success(&["validate", "-no-color"]);
    });
}

#[test]
fn provider_block_errors_name_the_attribute() {
    for_each_cli(|cli| {
        let emu = Emulator::start(EmulatorOptions::default());
        let mut wd = Workdir::new(cli, &emu);
        wd.remove_env("HW_SECRET_KEY");
        wd.write(
            "main.tf",
            &format!(
                "{}provider \"dws\" {{\n  max_retries = -1\n  endpoints {{\n    dws = \"https://\"\n  }}\n}}\n\
                 resource \"dws_snapshot\" \"s\" {{\n  cluster_id = \"{DWS_CLUSTER}\"\n  name = \"good-name\"\n}}\n",
                header()
            ),
        );
        let run = wd.expect_failure(&["plan", "-no-color"]);
        let out = run.output();
        assert!(out.contains("Invalid value for max_retries"), "{out}");
        assert!(out.contains("Invalid value for endpoints.dws"), "{out}");
        wd.write(
            "main.tf",
            &format!(
                "{}resource \"dws_snapshot\" \"s\" {{\n  cluster_id = \"{DWS_CLUSTER}\"\n  name = \"good-name\"\n}}\n",
                header()
            ),
        );
        let run = wd.expect_failure(&["plan", "-no-color"]);
        assert!(run.output().contains("Missing secret_key"), "{run}");
        assert!(
            emu.requests().is_empty(),
            "no API call on bad configuration"
        );
    });
}

#[test]
fn ten_plans_without_slow_shutdowns() {
    for_each_cli(|cli| {
        let emu = Emulator::start(EmulatorOptions::default());
        let mut wd = Workdir::new(cli, &emu);
        wd.set_env("TF_LOG", "DEBUG");
        wd.write(
            "main.tf",
            "terraform {\n  required_providers {\n    hwsnap = { source = \"hwsnap/hwsnap\" }\n  }\n}\nprovider \"hwsnap\" {}\n",
        );
        for i in 0..10 {
            let started = std::time::Instant::now();
            let run = wd.expect_success(&["plan", "-no-color"]);
            assert!(
                !run.stderr.contains("plugin failed to exit gracefully"),
                "run {i}: {}",
                run.stderr
            );
            assert!(
                run.stderr.contains("provider.hwsnap")
                    || run.stderr.contains("provider.terraform-provider-hwsnap"),
                "TF_LOG=DEBUG shows provider lines"
            );
            assert!(started.elapsed().as_secs() < 10);
        }
    });
}
