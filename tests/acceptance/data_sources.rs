//! The data sources `dws_snapshots` and `css_index_snapshots`, with
//! Terraform 1.15 and 1.11, against snapshots made outside Terraform (the
//! `query` tests' [`World`]): each filter gives exactly the snapshots it
//! matches, newest first, in `ids` and `snapshots`; an element holds every
//! attribute of its resource, equal to the state an import reads; nothing
//! matched is an empty list; the reads and data sources of one CSS cluster
//! share one list; a cluster that does not exist is an error saying so.

use serde_json::Value;

use super::query::{MISSING_CLUSTER, Made, World, says_the_cluster_was_not_found};
use crate::support::hcl::{self, CSS, DWS};
use crate::support::{Emulator, EmulatorOptions, Workdir, for_each_cli};

/// A `data "TYPE" "label"` block with the given `name = value` arguments.
fn data(ty: &str, label: &str, args: &[(&str, &str)]) -> String {
    let args: String = args.iter().map(|(k, v)| hcl::arg(k, v)).collect();
    hcl::data_block(ty, label, &args)
}

/// The data sources and what each must find.
fn cases(w: &World) -> Vec<(String, String, Vec<String>)> {
    let (d0, d1, c0) = (w.dws[0].as_str(), w.dws[1].as_str(), w.css.as_str());
    let dws = |m: &Made, c: &str| m.service == "dws" && m.cluster == c;
    let css = |m: &Made| m.service == "css";
    let auto = w.expect(|m| m.service == "dws" && m.automatic);
    let ds = |label: &str, args: &[(&str, &str)], want: Vec<String>, css: bool| {
        let ty = if css {
            "css_index_snapshots"
        } else {
            "dws_snapshots"
        };
        (format!("{ty}.{label}"), data(ty, label, args), want)
    };
    vec![
        ds(
            "cluster",
            &[("cluster_id", d0)],
            w.expect(|m| dws(m, d0)),
            false,
        ),
        ds(
            "nightly",
            &[("cluster_id", d0), ("name_regex", "^nightly-")],
            w.expect(|m| dws(m, d0) && m.name.starts_with("nightly-")),
            false,
        ),
        ds("auto", &[("type", "AUTO")], auto.clone(), false),
        ds("automated", &[("type", "AUTOMATED")], auto, false),
        ds(
            "unavailable",
            &[("status", "UNAVAILABLE")],
            w.expect(|m| m.service == "dws" && m.status == "UNAVAILABLE"),
            false,
        ),
        ds(
            "second_manual",
            &[("cluster_id", d1), ("type", "MANUAL")],
            w.expect(|m| dws(m, d1) && !m.automatic),
            false,
        ),
        ds("nothing", &[("name_regex", "^nothing$")], Vec::new(), false),
        ds("all", &[("cluster_id", c0)], w.expect(css), true),
        ds(
            "auto",
            &[("cluster_id", c0), ("backup_method", "auto")],
            w.expect(|m| css(m) && m.automatic),
            true,
        ),
        ds(
            "nightly_ok",
            &[
                ("cluster_id", c0),
                ("name_regex", "^nightly"),
                ("status", "COMPLETED"),
            ],
            w.expect(|m| css(m) && m.name.starts_with("nightly") && m.status == "COMPLETED"),
            true,
        ),
        ds(
            "none",
            &[("cluster_id", c0), ("status", "BUILDING")],
            Vec::new(),
            true,
        ),
    ]
}

/// The state's attributes without `timeouts`, which lives only in Terraform.
fn without_timeouts(mut v: Value) -> Value {
    if let Some(m) = v.as_object_mut() {
        m.remove("timeouts");
    }
    v
}

#[test]
fn data_sources_find_exactly_what_each_filter_matches() {
    for_each_cli(|cli| {
        let w = World::new();
        let wd = Workdir::new(cli, &w.emu);
        let cases = cases(&w);
        let (dws_one, css_one) = (
            w.named(&w.dws[0], "nightly-01"),
            w.named(&w.css, "nightly-01"),
        );
        let mut config = hcl::required_providers(&["dws", "css"]);
        for (_, block, _) in &cases {
            config.push_str(block);
        }
        let ids: Vec<String> = cases
            .iter()
            .map(|(address, _, _)| format!("    \"{address}\" = data.{address}.ids\n"))
            .collect();
        config.push_str(&format!(
            "\noutput \"ids\" {{\n  value = {{\n{}  }}\n}}\n",
            ids.concat()
        ));
        config.push_str(
            "\noutput \"empty\" {\n  value = data.dws_snapshots.nothing.snapshots\n}\n\
             \noutput \"dws_one\" {\n  value = [for s in data.dws_snapshots.cluster.snapshots : s if s.name == \"nightly-01\"][0]\n}\n\
             \noutput \"css_one\" {\n  value = [for s in data.css_index_snapshots.all.snapshots : s if s.name == \"nightly-01\"][0]\n}\n",
        );
        // The same two snapshots imported as resources, to compare with.
        config.push_str(&DWS.resource("one", &w.dws[0], "nightly-01", ""));
        config.push_str(&hcl::import_block(
            "dws_snapshot.one",
            "",
            &format!("id = \"{}\"", dws_one.id),
        ));
        config.push_str(&CSS.resource("one", &w.css, "nightly-01", ""));
        config.push_str(&hcl::import_block(
            "css_index_snapshot.one",
            "",
            &format!("id = \"{}\"", CSS.import_id(&w.css, &css_one.id)),
        ));
        wd.write("main.tf", &config);
        wd.apply();

        let out = wd.expect_success(&["output", "-json", "-no-color"]);
        let outputs: Value =
            serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out}"));
        for (address, _, want) in &cases {
            let got: Vec<String> = outputs["ids"]["value"][address]
                .as_array()
                .unwrap_or_else(|| panic!("no ids for {address}: {outputs:#}"))
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            assert_eq!(&got, want, "{address}");
        }
        assert_eq!(
            outputs["empty"]["value"],
            serde_json::json!([]),
            "nothing found is an empty list"
        );
        for (output, resource) in [
            ("dws_one", "dws_snapshot.one"),
            ("css_one", "css_index_snapshot.one"),
        ] {
            let element = &outputs[output]["value"];
            let state = without_timeouts(wd.state_values(resource));
            assert_eq!(element, &state, "{output} holds what an import reads");
            assert!(
                element["status"].is_string() && element["started_at"].is_string(),
                "{element}"
            );
        }

        // One list of the CSS cluster serves its four data sources and the
        // resource's refresh.
        w.emu.clear_requests();
        assert_eq!(wd.plan_exit_code(), 0);
        assert_eq!(w.emu.request_count("css.list_snapshots", Some(&w.css)), 1);
    });
}

#[test]
fn a_data_source_on_a_cluster_that_does_not_exist_says_so() {
    for_each_cli(|cli| {
        let emu = Emulator::start(EmulatorOptions::default());
        let wd = Workdir::new(cli, &emu);
        for (ty, word) in [("dws_snapshots", "DWS"), ("css_index_snapshots", "CSS")] {
            wd.write(
                "main.tf",
                &(hcl::required_providers(&["dws", "css"])
                    + &data(ty, "gone", &[("cluster_id", MISSING_CLUSTER)])),
            );
            let run = wd.expect_failure(&["plan", "-input=false", "-no-color"]);
            says_the_cluster_was_not_found(&run, word);
        }
    });
}
