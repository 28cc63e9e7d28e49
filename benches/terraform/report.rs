//! The results table (Markdown) and the machine it was measured on.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use crate::Result;

/// One line of the table.
pub struct Row {
    measure: String,
    ours: String,
    reference: String,
    result: String,
    target: String,
    /// `None`: context, no target.
    met: Option<bool>,
}

impl Row {
    /// `ours / reference` (both in ms), met when at most `limit`.
    pub fn ratio(
        measure: &str,
        ours_ms: f64,
        reference: &str,
        reference_ms: f64,
        target: &str,
        limit: f64,
    ) -> Row {
        let r = ours_ms / reference_ms;
        Row {
            measure: measure.to_owned(),
            ours: format!("{ours_ms:.1} ms"),
            reference: format!("{reference}: {reference_ms:.1} ms"),
            result: format!("{r:.3}×"),
            target: target.to_owned(),
            met: Some(r <= limit),
        }
    }

    /// `ours / reference` (both in ms) as context, with no target.
    pub fn context(measure: &str, ours_ms: f64, reference: &str, reference_ms: f64) -> Row {
        Row {
            target: "context".to_owned(),
            met: None,
            ..Row::ratio(measure, ours_ms, reference, reference_ms, "", f64::INFINITY)
        }
    }

    /// A count or other absolute value as context, with no target.
    pub fn value_context(measure: &str, value: f64, unit: &str) -> Row {
        Row {
            target: "context".to_owned(),
            met: None,
            ..Row::value(measure, value, unit, "", true)
        }
    }

    /// An absolute value.
    pub fn value(measure: &str, value: f64, unit: &str, target: &str, met: bool) -> Row {
        Row {
            measure: measure.to_owned(),
            ours: format!("{value:.2} {unit}").trim_end().to_owned(),
            reference: "—".to_owned(),
            result: format!("{value:.2} {unit}").trim_end().to_owned(),
            target: target.to_owned(),
            met: Some(met),
        }
    }
}

/// The criterion benches of `benches/micro.rs`, by id.
const MICRO: [(&str, &str); 4] = [
    (
        "msgpack_dws_snapshot_state/decode",
        "msgpack decode of a `dws_snapshot` state",
    ),
    (
        "msgpack_dws_snapshot_state/encode",
        "msgpack encode of a `dws_snapshot` state",
    ),
    (
        "sign_dws_create_request",
        "SDK-HMAC-SHA256 signing of a DWS create request",
    ),
    (
        "plan_resource_change_round_trip",
        "PlanResourceChange round trip (mTLS gRPC, unix socket)",
    ),
];

fn human_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

pub struct Report {
    rows: Vec<Row>,
    micro: String,
    scaling: String,
    shapes: String,
    requests: String,
    cpu: String,
    notes: Vec<String>,
    machine: String,
}

fn first_line(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "unknown".into())
}

fn proc_field(file: &str, key: &str) -> String {
    std::fs::read_to_string(file)
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}

impl Report {
    pub fn new(terraform: &Path, quick: bool) -> Result<Report> {
        let cpus = std::thread::available_parallelism().map_or(0, usize::from);
        let date = first_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"]);
        let machine = format!(
            "- Date: {date}{}\n- CPU: {} ({cpus} CPUs available)\n- Memory: {}\n- Kernel: {}\n- Terraform: {}\n- Rust: {}\n",
            if quick { " (`--quick`)" } else { "" },
            proc_field("/proc/cpuinfo", "model name"),
            proc_field("/proc/meminfo", "MemTotal"),
            std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|s| s.trim().to_owned())
                .unwrap_or_default(),
            first_line(&terraform.display().to_string(), &["version"]),
            first_line("rustc", &["--version"]),
        );
        Ok(Report {
            rows: Vec::new(),
            scaling: String::new(),
            shapes: String::new(),
            requests: String::new(),
            cpu: String::new(),
            micro: String::new(),
            notes: Vec::new(),
            machine,
        })
    }

    pub fn push(&mut self, row: Row) {
        eprintln!(
            "   {} | {} | {} | {} | {}",
            row.measure,
            row.ours,
            row.result,
            row.target,
            match row.met {
                Some(true) => "met",
                Some(false) => "MISSED",
                None => "",
            }
        );
        self.rows.push(row);
    }

    pub fn note(&mut self, text: String) {
        self.notes.push(text);
    }

    /// The scaling sub-table: apply time, per-resource time, peak RSS.
    pub fn push_scaling(
        &mut self,
        n: &[usize],
        ours_ms: &[f64],
        floor_ms: &[f64],
        rss_kib: &[u64],
        cpu_ms: &[f64],
    ) {
        let mut t = String::from(
            "| N | hwsnap apply | per resource | `terraform_data` apply | per resource | hwsnap / floor | provider CPU per resource | provider peak RSS |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for i in 0..n
            .len()
            .min(ours_ms.len())
            .min(floor_ms.len())
            .min(rss_kib.len())
            .min(cpu_ms.len())
        {
            let _ = writeln!(
                t,
                "| {} | {:.0} ms | {:.1} ms | {:.0} ms | {:.1} ms | {:.2}× | {:.2} ms | {:.1} MiB |",
                n[i],
                ours_ms[i],
                ours_ms[i] / n[i] as f64,
                floor_ms[i],
                floor_ms[i] / n[i] as f64,
                ours_ms[i] / floor_ms[i],
                cpu_ms[i] / n[i] as f64,
                rss_kib[i] as f64 / 1024.0
            );
        }
        self.scaling = t;
    }

    /// The CPU split sub-table, already formatted.
    pub fn push_cpu(&mut self, table: String) {
        self.cpu = table;
    }

    /// The wall times of every contender in both shapes, already formatted.
    pub fn push_shapes(&mut self, table: String) {
        self.shapes = table;
    }

    /// The request counts by operation, already formatted.
    pub fn push_requests(&mut self, table: String) {
        self.requests = table;
    }

    /// The micro table from criterion's `DIR/<id>/new/estimates.json`.
    pub fn micro(&mut self, dir: &Path) -> Result<()> {
        let mut t = String::from("| Micro bench (criterion) | median | mean |\n|---|---:|---:|\n");
        for (id, what) in MICRO {
            let file = dir.join(id).join("new/estimates.json");
            let text = std::fs::read_to_string(&file).map_err(|e| {
                format!(
                    "{}: {e} (did cargo bench --bench micro run?)",
                    file.display()
                )
            })?;
            let v: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
            let est = |k: &str| v[k]["point_estimate"].as_f64().unwrap_or(f64::NAN);
            let _ = writeln!(
                t,
                "| {what} | {} | {} |",
                human_ns(est("median")),
                human_ns(est("mean"))
            );
        }
        self.micro = t;
        Ok(())
    }

    pub fn markdown(&self) -> String {
        let mut s = String::from(
            "| Measure | hwsnap | Reference | Result | Target | Met |\n|---|---:|---|---:|---|---|\n",
        );
        for r in &self.rows {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} |",
                r.measure,
                r.ours,
                r.reference,
                r.result,
                r.target,
                match r.met {
                    Some(true) => "yes",
                    Some(false) => "**no**",
                    None => "—",
                }
            );
        }
        if !self.shapes.is_empty() {
            s.push_str("\nWall time of every contender in both shapes (medians of the alternating rounds):\n\n");
            s.push_str(&self.shapes);
        }
        if !self.requests.is_empty() {
            s.push_str("\nCloud requests, counted from the emulator's request log (`GET /_emulator/requests`), by operation:\n\n");
            s.push_str(&self.requests);
        }
        if !self.scaling.is_empty() {
            s.push_str("\nScaling (medians):\n\n");
            s.push_str(&self.scaling);
        }
        if !self.cpu.is_empty() {
            s.push_str(
                "\nWhere the CPU time goes, per command (medians; Terraform, the provider and the emulator share the machine's CPUs):\n\n",
            );
            s.push_str(&self.cpu);
        }
        if !self.micro.is_empty() {
            s.push('\n');
            s.push_str(&self.micro);
        }
        if !self.notes.is_empty() {
            s.push('\n');
            for n in &self.notes {
                let _ = writeln!(s, "- {n}");
            }
        }
        if let Ok(note) = std::env::var("HWSNAP_BENCH_NOTE") {
            let _ = writeln!(s, "- {note}");
        }
        s.push_str("\nMachine:\n\n");
        s.push_str(&self.machine);
        s
    }
}
