//! `terraform query` (Terraform 1.14 and later, so these run on 1.15 only)
//! against snapshots made outside Terraform through the emulator's control
//! API, manual and automatic: each list finds exactly the snapshots its
//! filters match, newest first, with their identities in the `-json`
//! output; `limit` is honoured and stops the paging (fewer cloud requests);
//! `-generate-config-out` then `apply` adopts the snapshots without
//! creating anything, and the next plan is empty, with both provider
//! styles; a cluster that does not exist is an error saying so.
//!
//! [`World`] (the snapshots every test here and in `data_sources` starts
//! from) is shared with the data-source tests.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::support::hcl::{self, CSS, DWS, arg as line, list_block};
use crate::support::{Emulator, EmulatorOptions, Run, TerraformCli, Workdir, for_each_cli_from};

/// `terraform query` arrived in Terraform 1.14.
pub(super) const QUERY_SINCE: (u32, u32) = (1, 14);

/// One snapshot made outside Terraform.
#[derive(Clone, Debug)]
pub(super) struct Made {
    pub service: &'static str,
    pub cluster: String,
    pub name: String,
    pub id: String,
    pub automatic: bool,
    /// The status it was left in (forced after it was made, or finished).
    pub status: &'static str,
    pub started_ms: i64,
}

/// An emulator with two DWS clusters and one CSS cluster holding manual
/// and automatic snapshots made through the control API, at distinct start
/// times (so "newest first" is one order), some forced into a failed
/// status.
pub(super) struct World {
    pub emu: Emulator,
    pub dws: [String; 2],
    pub css: String,
    pub made: Vec<Made>,
}

impl World {
    pub(super) fn new() -> World {
        let emu = Emulator::start(EmulatorOptions::default().clusters(2, 1));
        let dws = emu.dws_clusters();
        let (dws, css) = (
            [dws[0].clone(), dws[1].clone()],
            emu.css_clusters()[0].clone(),
        );
        let mut world = World {
            emu,
            dws,
            css,
            made: Vec::new(),
        };
        let hour = 3_600_000;
        let base = now_ms() - 10 * 24 * hour;
        let (d0, d1, c0) = (
            world.dws[0].clone(),
            world.dws[1].clone(),
            world.css.clone(),
        );
        world.make("dws", &d0, "nightly-01", false, base + hour, None);
        world.make("dws", &d0, "nightly-02", false, base + 2 * hour, None);
        world.make(
            "dws",
            &d0,
            "weekly-01",
            false,
            base + 3 * hour,
            Some("UNAVAILABLE"),
        );
        world.make("dws", &d0, "auto-20261101", true, base + 4 * hour, None);
        world.make("dws", &d1, "nightly-03", false, base + 5 * hour, None);
        world.make("dws", &d1, "auto-20261102", true, base + 6 * hour, None);
        world.make("css", &c0, "nightly-01", false, base + hour, None);
        world.make(
            "css",
            &c0,
            "nightly-02",
            false,
            base + 2 * hour,
            Some("FAILED"),
        );
        world.make("css", &c0, "snapshot-auto-1", true, base + 3 * hour, None);
        world
    }

    /// Makes one snapshot, already finished, then forces `status` if given.
    fn make(
        &mut self,
        service: &'static str,
        cluster: &str,
        name: &str,
        automatic: bool,
        started_ms: i64,
        status: Option<&'static str>,
    ) {
        let mut body = json!({
            "service": service, "cluster_id": cluster, "name": name, "started_ms": started_ms,
        });
        if automatic {
            body["type"] = json!("AUTO");
        }
        let id = self.emu.add_snapshot_with(body)["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no id for {name}"))
            .to_owned();
        if let Some(status) = status {
            self.emu.control(
                "POST",
                &format!("snapshots/{id}/status"),
                Some(json!({ "status": status })),
            );
        }
        let done = if service == "dws" {
            "AVAILABLE"
        } else {
            "COMPLETED"
        };
        self.made.push(Made {
            service,
            cluster: cluster.to_owned(),
            name: name.to_owned(),
            id,
            automatic,
            status: status.unwrap_or(done),
            started_ms,
        });
    }

    /// The IDs of the snapshots `pick` chooses, newest first: what a list
    /// or data source must find, worked out apart from the provider.
    pub(super) fn expect(&self, pick: impl Fn(&Made) -> bool) -> Vec<String> {
        let mut chosen: Vec<&Made> = self.made.iter().filter(|m| pick(m)).collect();
        chosen.sort_by_key(|m| std::cmp::Reverse(m.started_ms));
        chosen.iter().map(|m| m.id.clone()).collect()
    }

    /// The snapshot made as `name` on `cluster`.
    pub(super) fn named(&self, cluster: &str, name: &str) -> &Made {
        self.made
            .iter()
            .find(|m| m.cluster == cluster && m.name == name)
            .unwrap_or_else(|| panic!("no {name} on {cluster}"))
    }
}

pub(super) fn now_ms() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
}

/// One result of `terraform query -json`.
#[derive(Debug, Clone)]
struct Listed {
    identity: Value,
    display_name: String,
    resource_object: Value,
}

/// `terraform query -json ARGS…`, expected to succeed: the results by list
/// address, in the order they came.
fn query(wd: &Workdir, args: &[&str]) -> BTreeMap<String, Vec<Listed>> {
    let mut all = vec!["query", "-json", "-no-color"];
    all.extend_from_slice(args);
    let run = wd.expect_success(&all);
    let mut found: BTreeMap<String, Vec<Listed>> = BTreeMap::new();
    for line in run.stdout.lines() {
        let Ok(event) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if event["type"] == "list_start" {
            let address = event["list_start"]["address"].as_str().unwrap_or_default();
            found.entry(address.to_owned()).or_default();
        }
        if event["type"] != "list_resource_found" {
            continue;
        }
        let f = &event["list_resource_found"];
        let address = f["address"].as_str().unwrap_or_default().to_owned();
        found.entry(address).or_default().push(Listed {
            identity: f["identity"].clone(),
            display_name: f["display_name"].as_str().unwrap_or_default().to_owned(),
            resource_object: f["resource_object"].clone(),
        });
    }
    found
}

/// The `id`s of a list's results.
fn ids(found: &BTreeMap<String, Vec<Listed>>, address: &str) -> Vec<String> {
    found
        .get(address)
        .unwrap_or_else(|| panic!("no list {address} ran: {found:?}"))
        .iter()
        .map(|r| r.identity["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn query_finds_exactly_what_each_filter_matches() {
    for_each_cli_from(QUERY_SINCE, |cli| {
        let w = World::new();
        let wd = Workdir::new(cli, &w.emu);
        wd.write("main.tf", &hcl::required_providers(&["dws", "css"]));
        let (d0, d1, c0) = (&w.dws[0], &w.dws[1], &w.css);
        let dws =
            |label: &str, config: String| list_block(DWS.ty, label, "provider = dws\n", &config);
        let css = |label: &str, config: String| {
            list_block(
                CSS.ty,
                label,
                "provider = css\n",
                &(line("cluster_id", c0) + &config),
            )
        };
        let lists = [
            dws("cluster", line("cluster_id", d0)),
            dws(
                "nightly",
                line("cluster_id", d0) + &line("name_regex", "^nightly-"),
            ),
            dws("project_auto", line("type", "AUTO")),
            dws("project_automated", line("type", "AUTOMATED")),
            dws("project_unavailable", line("status", "UNAVAILABLE")),
            dws(
                "second_manual",
                line("cluster_id", d1) + &line("type", "MANUAL"),
            ),
            dws("nothing", line("name_regex", "^nothing$")),
            css("all", String::new()),
            css("auto", line("backup_method", "auto")),
            css("manual", line("backup_method", "manual")),
            css(
                "nightly_ok",
                line("name_regex", "^nightly") + &line("status", "COMPLETED"),
            ),
        ];
        wd.write("find.tfquery.hcl", &lists.concat());
        let found = query(&wd, &[]);

        let dws_in = |c: &str| {
            let c = c.to_owned();
            move |m: &Made| m.service == "dws" && m.cluster == c
        };
        let css_only = |m: &Made| m.service == "css";
        let want: [(&str, Vec<String>); 11] = [
            ("dws_snapshot.cluster", w.expect(dws_in(d0))),
            (
                "dws_snapshot.nightly",
                w.expect(|m| dws_in(d0)(m) && m.name.starts_with("nightly-")),
            ),
            (
                "dws_snapshot.project_auto",
                w.expect(|m| m.service == "dws" && m.automatic),
            ),
            (
                "dws_snapshot.project_automated",
                w.expect(|m| m.service == "dws" && m.automatic),
            ),
            (
                "dws_snapshot.project_unavailable",
                w.expect(|m| m.service == "dws" && m.status == "UNAVAILABLE"),
            ),
            (
                "dws_snapshot.second_manual",
                w.expect(|m| dws_in(d1)(m) && !m.automatic),
            ),
            ("dws_snapshot.nothing", Vec::new()),
            ("css_index_snapshot.all", w.expect(css_only)),
            (
                "css_index_snapshot.auto",
                w.expect(|m| css_only(m) && m.automatic),
            ),
            (
                "css_index_snapshot.manual",
                w.expect(|m| css_only(m) && !m.automatic),
            ),
            (
                "css_index_snapshot.nightly_ok",
                w.expect(|m| {
                    css_only(m) && m.name.starts_with("nightly") && m.status == "COMPLETED"
                }),
            ),
        ];
        for (list, expected) in &want {
            assert_eq!(&ids(&found, &format!("list.{list}")), expected, "{list}");
        }
        assert_eq!(
            want[1].1.len(),
            2,
            "the fixture has two nightlies on the first cluster"
        );
        assert_eq!(
            want[2].1.len(),
            2,
            "and an automatic snapshot on each DWS cluster"
        );

        // The identities are the resources' own, the labels say what people need.
        let css_all = &found["list.css_index_snapshot.all"];
        assert!(
            css_all
                .iter()
                .all(|r| r.identity["cluster_id"] == c0.as_str())
        );
        let state = w.emu.state();
        let cluster_name = |key: &str, id: &str| -> String {
            state[key]
                .as_array()
                .and_then(|cs| cs.iter().find(|c| c["id"] == id))
                .and_then(|c| c["name"].as_str())
                .unwrap_or_default()
                .to_owned()
        };
        let weekly = &found["list.dws_snapshot.project_unavailable"][0];
        let started = &state["dws_snapshots"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["name"] == "weekly-01"))
            .map(|s| s["started"].clone())
            .unwrap_or_default();
        assert_eq!(
            weekly.display_name,
            format!(
                "weekly-01 (cluster {}, UNAVAILABLE, {})",
                cluster_name("dws_clusters", d0),
                started.as_str().unwrap_or_default()
            )
        );
        assert!(
            css_all[0].display_name.starts_with(&format!(
                "snapshot-auto-1 (cluster {}, COMPLETED, ",
                cluster_name("css_clusters", c0)
            )),
            "{css_all:?}"
        );
        assert!(weekly.resource_object.is_null(), "not asked for");
    });
}

#[test]
fn limit_is_honoured_and_stops_the_paging() {
    for_each_cli_from(QUERY_SINCE, |cli| {
        let emu = Emulator::start(EmulatorOptions::default());
        let cluster = emu.dws_clusters()[0].clone();
        let base = now_ms() - 86_400_000;
        for i in 0..250 {
            emu.add_snapshot_with(json!({
                "service": "dws", "cluster_id": cluster, "name": format!("bulk-{i:03}"),
                "started_ms": base + i * 1000,
            }));
        }
        let css = emu.css_clusters()[0].clone();
        for i in 0..3 {
            emu.add_snapshot("css", &css, &format!("bulk-{i}"));
        }
        let wd = Workdir::new(cli, &emu);
        wd.write("main.tf", &hcl::required_providers(&["dws", "css"]));
        for (limit, found, pages) in [(5, 5, 1), (150, 150, 2), (1000, 250, 3)] {
            emu.clear_requests();
            let mut lists = list_block(
                DWS.ty,
                "bulk",
                &format!("provider = dws\nlimit    = {limit}\n"),
                &line("cluster_id", &cluster),
            );
            lists.push_str(&list_block(
                CSS.ty,
                "two",
                "provider = css\nlimit    = 2\n",
                &line("cluster_id", &css),
            ));
            wd.write("bulk.tfquery.hcl", &lists);
            let results = query(&wd, &[]);
            let got = ids(&results, "list.dws_snapshot.bulk");
            assert_eq!(got.len(), found, "limit {limit}");
            let names: Vec<&str> = results["list.dws_snapshot.bulk"]
                .iter()
                .map(|r| r.display_name.split(' ').next().unwrap_or_default())
                .collect();
            assert_eq!(names[0], "bulk-249", "newest first");
            assert_eq!(names[found - 1], format!("bulk-{:03}", 250 - found));
            assert_eq!(
                emu.request_count("dws.list_cluster_snapshots", Some(&cluster)),
                pages,
                "limit {limit}: pages of 100 read"
            );
            assert_eq!(ids(&results, "list.css_index_snapshot.two").len(), 2);
        }
    });
}

/// The operations the emulator logged since the last clear.
fn operations(emu: &Emulator) -> Vec<String> {
    emu.requests()
        .iter()
        .map(|r| r["operation"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// `query -generate-config-out` writes import and resource blocks with the
/// arguments only; `apply` adopts every snapshot without creating one; the
/// next plan is empty; the state equals each result's `resource_object`.
fn generate_then_apply(cli: &TerraformCli, style: Style) {
    let w = World::new();
    let indexed = w.emu.add_snapshot_with(json!({
        "service": "css", "cluster_id": w.css, "name": "logs-only", "indices": "logs-*",
    }))["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let wd = Workdir::new(cli, &w.emu);
    let (header, provider) = match style {
        Style::Split => (hcl::required_providers(&["dws", "css"]), None),
        Style::Single => (hcl::required_providers(&["hwsnap"]), Some("hwsnap")),
    };
    wd.write("main.tf", &header);
    let meta = |local: &str| format!("provider = {}\n", provider.unwrap_or(local));
    let lists = list_block(
        DWS.ty,
        "first",
        &meta("dws"),
        &line("cluster_id", &w.dws[0]),
    ) + &list_block(CSS.ty, "logs", &meta("css"), &line("cluster_id", &w.css));
    wd.write("adopt.tfquery.hcl", &lists);

    let shown = query(&wd, &["-generate-config-out=generated.tf"]);
    let generated = wd.read("generated.tf");
    let dws_ids = w.expect(|m| m.service == "dws" && m.cluster == w.dws[0]);
    let css_count = w.expect(|m| m.service == "css").len() + 1;
    assert_eq!(
        generated.matches("\nimport {").count(),
        dws_ids.len() + css_count,
        "{generated}"
    );
    for computed in [
        "status",
        "timeouts",
        "cluster_name",
        "started_at",
        "backup_method",
        "bucket_name",
    ] {
        assert!(!generated.contains(computed), "{computed} in:\n{generated}");
    }
    assert!(
        generated.contains("name        = \"weekly-01\""),
        "{generated}"
    );
    assert!(
        generated.contains("indices     = \"logs-*\""),
        "{generated}"
    );
    assert_eq!(
        generated.matches("indices").count(),
        1,
        "only where not *:\n{generated}"
    );
    if let Some(p) = provider {
        assert!(
            generated.contains(&format!("provider    = {p}")),
            "{generated}"
        );
    }

    let before = (
        w.emu.snapshots("dws_snapshots").len(),
        w.emu.snapshots("css_snapshots").len(),
    );
    w.emu.clear_requests();
    let run = wd.apply();
    let adopted = dws_ids.len() + css_count;
    assert!(
        run.stdout.contains(&format!(
            "Resources: {adopted} imported, 0 added, 0 changed, 0 destroyed"
        )),
        "{run}"
    );
    let ops = operations(&w.emu);
    assert!(ops.iter().all(|o| !o.contains("create")), "{ops:?}");
    let after = (
        w.emu.snapshots("dws_snapshots").len(),
        w.emu.snapshots("css_snapshots").len(),
    );
    assert_eq!(before, after, "nothing made in the cloud");
    assert_eq!(wd.plan_exit_code(), 0, "the next plan is empty");

    // What the list sent (include_resource is forced by -generate-config-out)
    // equals what the import's read put in state.
    let state = wd.state_json();
    let resources = state["values"]["root_module"]["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default();

    for r in shown.values().flatten() {
        let id = &r.identity["id"];
        let in_state = resources
            .iter()
            .find(|s| &s["values"]["id"] == id)
            .unwrap_or_else(|| panic!("{id} not adopted: {state:#}"));
        assert_eq!(in_state["values"], r.resource_object, "{id}");
        let local = if in_state["type"] == DWS.ty {
            "dws"
        } else {
            "css"
        };
        let source = format!("registry.terraform.io/hwsnap/{}", provider.unwrap_or(local));
        assert_eq!(in_state["provider_name"], source.as_str());
    }
    assert!(
        resources
            .iter()
            .any(|r| r["values"]["id"] == indexed.as_str())
    );
}

#[derive(Clone, Copy)]
enum Style {
    /// The dws and css providers.
    Split,
    /// The hwsnap provider with `provider = hwsnap`.
    Single,
}

#[test]
fn generated_config_adopts_without_creating_and_plans_empty() {
    for_each_cli_from(QUERY_SINCE, |cli| generate_then_apply(cli, Style::Split));
}

#[test]
fn generated_config_adopts_with_the_single_provider() {
    for_each_cli_from(QUERY_SINCE, |cli| generate_then_apply(cli, Style::Single));
}

/// `plan -generate-config-out` for an `import` block takes the same path:
/// arguments only.
#[test]
fn import_blocks_generate_the_same_configuration() {
    for_each_cli_from(QUERY_SINCE, |cli| {
        let w = World::new();
        let snap = w.named(&w.css, "snapshot-auto-1");
        let wd = Workdir::new(cli, &w.emu);
        wd.write(
            "main.tf",
            &(hcl::required_providers(&["css"])
                + &hcl::import_block(
                    "css_index_snapshot.auto",
                    "",
                    &format!("identity = {}", CSS.identity(&w.css, &snap.id)),
                )),
        );
        wd.expect_success(&["plan", "-no-color", "-generate-config-out=generated.tf"]);
        let generated = wd.read("generated.tf");
        assert!(
            generated.contains("name        = \"snapshot-auto-1\""),
            "{generated}"
        );
        for computed in ["status", "timeouts", "indices", "total_shards"] {
            assert!(!generated.contains(computed), "{computed} in:\n{generated}");
        }
        wd.apply();
        assert_eq!(wd.plan_exit_code(), 0);
    });
}

/// A cluster ID no cluster has.
pub(super) const MISSING_CLUSTER: &str = "0d4f5ff0-8a4e-4b7e-9c39-3b7a1f0e2d11";

/// The run failed saying the `service` ("DWS", "CSS") cluster
/// [`MISSING_CLUSTER`] was not found, pointing at the `cluster_id` line.
pub(super) fn says_the_cluster_was_not_found(run: &Run, service: &str) {
    let out = run.output();
    let said = format!("{service} cluster {MISSING_CLUSTER} was not found");
    assert!(out.contains(&said), "{out}");
    assert!(
        out.contains("cluster_id = \""),
        "points at the attribute: {out}"
    );
}

#[test]
fn a_cluster_that_does_not_exist_is_an_error_saying_so() {
    for_each_cli_from(QUERY_SINCE, |cli| {
        let emu = Emulator::start(EmulatorOptions::default());
        let wd = Workdir::new(cli, &emu);
        wd.write("main.tf", &hcl::required_providers(&["dws", "css"]));
        for (kind, word) in [(DWS, "DWS"), (CSS, "CSS")] {
            wd.write(
                "find.tfquery.hcl",
                &list_block(
                    kind.ty,
                    "gone",
                    &format!("provider = {}\n", kind.local),
                    &line("cluster_id", MISSING_CLUSTER),
                ),
            );
            let run = wd.expect_failure(&["query", "-no-color"]);
            says_the_cluster_was_not_found(&run, word);
        }
    });
}

/// Refreshing many CSS snapshots of one cluster costs one list, shared by
/// every read (issue 15 §1): 100 snapshots adopted with the generated
/// configuration, then a plan.
#[test]
fn refreshing_a_hundred_css_snapshots_lists_the_cluster_once() {
    for_each_cli_from(QUERY_SINCE, |cli| {
        let emu = Emulator::start(EmulatorOptions::default());
        let css = emu.css_clusters()[0].clone();
        for i in 0..100 {
            emu.add_snapshot("css", &css, &format!("bulk-{i:03}"));
        }
        let wd = Workdir::new(cli, &emu);
        wd.write("main.tf", &hcl::required_providers(&["css"]));
        wd.write(
            "bulk.tfquery.hcl",
            &list_block(
                CSS.ty,
                "bulk",
                "provider = css\nlimit    = 1000\n",
                &line("cluster_id", &css),
            ),
        );
        wd.expect_success(&["query", "-no-color", "-generate-config-out=generated.tf"]);
        wd.apply();
        emu.clear_requests();
        assert_eq!(wd.plan_exit_code(), 0);
        let lists = emu.request_count("css.list_snapshots", Some(&css));
        eprintln!(
            "{}: refreshing 100 CSS snapshots of one cluster: {lists} list request(s)",
            cli.label()
        );
        assert!(lists <= 2, "{lists} lists for 100 reads");
    });
}
