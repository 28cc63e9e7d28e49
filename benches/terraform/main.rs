//! `cargo bench --bench terraform`: the provider measured against Terraform's
//! own floor (`terraform_data`, no provider process), a Go provider
//! (HashiCorp's `null`) and its schema twin (`terraform-provider-twin`:
//! `dws_snapshot`'s schema on the same framework, no API calls), side by
//! side in one run, in both shapes people write (`count` and one block per
//! resource); plus the cloud requests of refreshes and creates, counted from
//! the emulator's request log. `scripts/bench` builds everything, installs
//! the Go provider and calls this.
//!
//! The one design decision: every comparison is a ratio of medians measured
//! in the same run, with the contenders alternating round by round, because
//! absolute times on shared machines drift; absolute numbers are printed
//! only as context.
//!
//! Arguments: `--quick` (fewer runs), `--out FILE` (write the Markdown
//! report there), `--criterion DIR` (add the results `cargo bench --bench
//! micro` left in DIR), `--only SECTIONS` (comma-separated, of `startup`,
//! `main`, `cpu`, `scaling`, `requests`, `waiting`: a narrower run while
//! developing; the report then holds only those). Environment: `HWSNAP_BENCH_TERRAFORM` (the CLI),
//! `HWSNAP_BENCH_NULL_PROVIDER` (the Go `null` provider binary),
//! `HWSNAP_BENCH_NOTE` (a line added under the table).

mod emulator;
mod report;
mod rss;
mod startup;
mod stats;
mod workdir;

/// The Terraform side of the plugin's mTLS, shared with the transport
/// tests, and the emulator control client, shared with the acceptance tests.
use hwsnap_testkit::{http, mtls};

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use emulator::Emulator;
use report::{Report, Row};
use stats::median;
use workdir::{Contender, Shape, Workdir};

type Result<T> = std::result::Result<T, String>;

/// Terraform's default `-parallelism`, the same for every contender.
const N_MAIN: usize = 200;
const SCALES: [usize; 3] = [50, 200, 800];
/// The refreshes whose requests are counted: this many snapshots on one
/// cluster.
const REFRESH_N: usize = 100;
/// The target for the CSS refresh of `REFRESH_N`.
const CSS_REFRESH_MAX_REQUESTS: usize = 10;
const WAIT_RESOURCES: usize = 10;
const WAIT_CREATE_SECONDS: f64 = 3.0;
/// The timed commands, the same for every contender.
const APPLY: &[&str] = &["apply", "-auto-approve", "-input=false", "-no-color"];
const PLAN: &[&str] = &["plan", "-input=false", "-no-color", "-detailed-exitcode"];
const CONTENDERS: [Contender; 4] = [
    Contender::Floor,
    Contender::Null,
    Contender::Twin,
    Contender::Ours,
];
const SHAPES: [Shape; 2] = [Shape::Count, Shape::Blocks];
const SECTIONS: [&str; 6] = ["startup", "main", "cpu", "scaling", "requests", "waiting"];
/// The targets: parity with the Go provider in both shapes, and
/// provider CPU per resource against the Go provider's.
const PARITY: f64 = 1.0;
const CPU_VS_GO: f64 = 0.35;

struct Options {
    quick: bool,
    out: Option<PathBuf>,
    criterion: Option<PathBuf>,
    only: Vec<String>,
}

impl Options {
    fn runs(&self, section: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|s| s == section)
    }
}

struct Tools {
    terraform: PathBuf,
    provider: PathBuf,
    css_provider: PathBuf,
    twin: PathBuf,
    emulator: PathBuf,
    null_provider: PathBuf,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(rss::WRAP_ARG) {
        return rss::wrap(&args[1..]);
    }
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn options() -> Result<Options> {
    let mut opts = Options {
        quick: false,
        out: None,
        criterion: None,
        only: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--quick" => opts.quick = true,
            "--out" => opts.out = Some(args.next().ok_or("--out needs a file")?.into()),
            "--criterion" => {
                opts.criterion = Some(args.next().ok_or("--criterion needs a directory")?.into())
            }
            "--only" => {
                let list = args.next().ok_or("--only needs a list of sections")?;
                for section in list.split(',') {
                    if !SECTIONS.contains(&section) {
                        return Err(format!(
                            "--only: unknown section {section:?} (one of {})",
                            SECTIONS.join(", ")
                        ));
                    }
                    opts.only.push(section.to_owned());
                }
            }
            // cargo bench passes --bench; libtest-style filters are ignored.
            _ => {}
        }
    }
    Ok(opts)
}

fn tools() -> Result<Tools> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let provider = PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-dws"));
    let bin_dir = provider
        .parent()
        .ok_or("provider binary has no directory")?;
    let terraform = std::env::var_os("HWSNAP_BENCH_TERRAFORM")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".tools/bin/terraform-1.15"));
    let null_provider = std::env::var_os("HWSNAP_BENCH_NULL_PROVIDER")
        .map(PathBuf::from)
        .ok_or("HWSNAP_BENCH_NULL_PROVIDER is not set (run scripts/bench)")?;
    // Binaries of other packages (the emulator, the twin) sit next to it.
    let tools = Tools {
        terraform,
        emulator: bin_dir.join("hwsnap-emulator"),
        twin: bin_dir.join("terraform-provider-twin"),
        css_provider: PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-css")),
        provider,
        null_provider,
    };
    for p in [
        &tools.terraform,
        &tools.provider,
        &tools.css_provider,
        &tools.twin,
        &tools.emulator,
        &tools.null_provider,
    ] {
        if !p.is_file() {
            return Err(format!(
                "{} is missing (scripts/bench builds and installs it)",
                p.display()
            ));
        }
    }
    Ok(tools)
}

fn run() -> Result<()> {
    let opts = options()?;
    let tools = tools()?;
    let runs = if opts.quick { 5 } else { 7 };
    let startup_runs = if opts.quick { 11 } else { 31 };
    // Every ratio in a full run is a median of at least 5 alternating runs;
    // --quick trades that for time in the scaling rows only.
    let scale_runs = if opts.quick { 1 } else { 5 };
    let cpu_runs = 5;
    let mut report = Report::new(&tools.terraform, opts.quick)?;

    if opts.runs("startup") {
        eprintln!("== 1. start-up: exec -> handshake line ({startup_runs} runs each)");
        startup_rows(&tools, startup_runs, &mut report)?;
    }

    let clusters = max_of(&SCALES).max(N_MAIN);
    let emu = Emulator::start(&tools.emulator, clusters)?;
    let tmp = tempfile::Builder::new()
        .prefix("hwsnap-bench-")
        .tempdir()
        .map_err(|e| format!("temp dir: {e}"))?;

    if opts.runs("main") {
        eprintln!("== 2. apply and refresh of {N_MAIN} resources, both shapes ({runs} rounds)");
        main_rows(&tools, &emu, tmp.path(), runs, &mut report)?;
    }
    if opts.runs("cpu") {
        eprintln!("== 3. where the CPU time goes ({cpu_runs} rounds)");
        cpu_rows(&tools, &emu, tmp.path(), cpu_runs, &mut report)?;
    }
    if opts.runs("scaling") {
        eprintln!("== 4. scaling ({scale_runs} runs per size)");
        scaling_rows(&tools, &emu, tmp.path(), scale_runs, &mut report)?;
    }
    if opts.runs("waiting") {
        eprintln!("== 5. waiting efficiency (create time {WAIT_CREATE_SECONDS} s)");
        waiting_rows(&tools, &emu, tmp.path(), &mut report)?;
    }
    if opts.runs("requests") {
        eprintln!("== 6. requests of a refresh of {REFRESH_N} snapshots on one cluster");
        requests_rows(&tools, &emu, tmp.path(), &mut report)?;
    }

    if let Some(dir) = &opts.criterion {
        report.micro(dir)?;
    }
    let text = report.markdown();
    println!("{text}");
    if let Some(out) = &opts.out {
        std::fs::write(out, &text).map_err(|e| format!("write {}: {e}", out.display()))?;
        eprintln!("wrote {}", out.display());
    }
    Ok(())
}

fn max_of(xs: &[usize]) -> usize {
    xs.iter().copied().max().unwrap_or(0)
}

fn startup_rows(tools: &Tools, runs: usize, report: &mut Report) -> Result<()> {
    let identity = startup::client_cert_pem()?;
    let mut ours = Vec::new();
    let mut go = Vec::new();
    for i in 0..runs {
        // Alternate which goes first so neither always runs on a warm cache.
        let order: [(&Path, &mut Vec<f64>); 2] = if i % 2 == 0 {
            [
                (&tools.provider, &mut ours),
                (&tools.null_provider, &mut go),
            ]
        } else {
            [
                (&tools.null_provider, &mut go),
                (&tools.provider, &mut ours),
            ]
        };
        for (bin, out) in order {
            out.push(ms(startup::time_to_handshake(bin, &identity)?));
        }
    }
    let (o, g) = (median(&ours), median(&go));
    report.push(Row::ratio(
        "1. Start-up: exec → handshake line",
        o,
        "Go `null`",
        g,
        "≤ 0.2",
        0.2,
    ));
    Ok(())
}

/// One working directory per shape and contender (named
/// `PREFIX<shape>-<label>`), each with `N_MAIN` resources; with `usage`,
/// providers run through the usage wrapper.
fn contender_dirs(
    tools: &Tools,
    emu: &Emulator,
    tmp: &Path,
    prefix: &str,
    usage: Option<&Path>,
) -> Result<Vec<Entry>> {
    let mut dirs = Vec::new();
    for shape in SHAPES {
        for c in CONTENDERS {
            let name = format!("{prefix}{}-{}", shape.label(), c.label());
            let wd = Workdir::new(tmp, &name, tools, emu, usage)?;
            wd.write_main(c, shape, N_MAIN, &emu.clusters)?;
            dirs.push(Entry { c, shape, wd });
        }
    }
    Ok(dirs)
}

/// A working directory of the comparison.
struct Entry {
    c: Contender,
    shape: Shape,
    wd: Workdir,
}

impl Entry {
    fn index(c: Contender, shape: Shape) -> usize {
        let s = SHAPES.iter().position(|x| *x == shape).unwrap_or(0);
        let i = CONTENDERS.iter().position(|x| *x == c).unwrap_or(0);
        s * CONTENDERS.len() + i
    }
}

/// Runs `f(round, index, entry)` for every entry in every round, the
/// order rotating round by round, each from an empty state (and for this
/// provider an emptied emulator).
fn alternate(
    dirs: &[Entry],
    emu: &Emulator,
    runs: usize,
    mut f: impl FnMut(usize, usize, &Entry) -> Result<()>,
) -> Result<()> {
    for round in 0..runs {
        for k in 0..dirs.len() {
            let idx = (round + k) % dirs.len();
            let e = &dirs[idx];
            e.wd.fresh_state()?;
            if e.c == Contender::Ours {
                emu.reset()?;
            }
            f(round, idx, e)?;
        }
    }
    Ok(())
}

fn main_rows(
    tools: &Tools,
    emu: &Emulator,
    tmp: &Path,
    runs: usize,
    report: &mut Report,
) -> Result<()> {
    let dirs = contender_dirs(tools, emu, tmp, "", None)?;
    let mut apply = vec![Vec::new(); dirs.len()];
    let mut plan = vec![Vec::new(); dirs.len()];
    alternate(&dirs, emu, runs, |round, idx, e| {
        let a = e.wd.timed(APPLY)?;
        let p = e.wd.timed(PLAN)?;
        if e.c == Contender::Ours {
            let made = emu.snapshot_count()?;
            if made != N_MAIN {
                return Err(format!("apply made {made} snapshots, not {N_MAIN}"));
            }
        }
        eprintln!(
            "   round {round} {:>6} {:>6}: apply {:>7.0} ms, plan {:>7.0} ms",
            e.shape.label(),
            e.c.label(),
            ms(a),
            ms(p)
        );
        apply[idx].push(ms(a));
        plan[idx].push(ms(p));
        Ok(())
    })?;
    let apply: Vec<f64> = apply.iter().map(|v| median(v)).collect();
    let plan: Vec<f64> = plan.iter().map(|v| median(v)).collect();
    let at = |v: &[f64], c, shape| v[Entry::index(c, shape)];
    let (null, twin, ours, floor) = (
        Contender::Null,
        Contender::Twin,
        Contender::Ours,
        Contender::Floor,
    );
    for shape in SHAPES {
        let what = format!("{N_MAIN} resources, {}", shape.name());
        report.push(Row::ratio(
            &format!("2. Apply {what}: hwsnap / Go `null`"),
            at(&apply, ours, shape),
            "`null_resource`",
            at(&apply, null, shape),
            "≤ 1.0",
            PARITY,
        ));
    }
    // The context rows: (command, its medians, measure, contender, reference, its name).
    let context = [
        (
            "Apply",
            &apply,
            "hwsnap / twin (real work)",
            ours,
            twin,
            "twin",
        ),
        (
            "Apply",
            &apply,
            "twin / Go `null` (schema + framework)",
            twin,
            null,
            "`null_resource`",
        ),
        (
            "Apply",
            &apply,
            "hwsnap / floor",
            ours,
            floor,
            "`terraform_data`",
        ),
        (
            "Refresh (plan)",
            &plan,
            "hwsnap / Go `null`",
            ours,
            null,
            "`null_resource`",
        ),
    ];
    for shape in SHAPES {
        let what = format!("{N_MAIN} resources, {}", shape.name());
        for (command, v, measure, a, b, b_name) in context {
            report.push(Row::context(
                &format!("2. {command} {what}: {measure}"),
                at(v, a, shape),
                b_name,
                at(v, b, shape),
            ));
        }
    }
    let mut t = String::from("| Command | Shape |");
    for c in CONTENDERS {
        let _ = write!(t, " {} |", c.name());
    }
    t.push_str(" hwsnap / Go `null` |\n|---|---|");
    t.push_str(&"---:|".repeat(CONTENDERS.len() + 1));
    t.push('\n');
    for (command, v) in [("apply", &apply), ("plan", &plan)] {
        for shape in SHAPES {
            let _ = write!(t, "| `{command}` | {} |", shape.name());
            for c in CONTENDERS {
                let _ = write!(t, " {:.0} ms |", at(v, c, shape));
            }
            let _ = writeln!(t, " {:.3}× |", at(v, ours, shape) / at(v, null, shape));
        }
    }
    report.push_shapes(t);
    Ok(())
}

/// CPU time of Terraform, the provider and the emulator for the apply and
/// the plan of `N_MAIN` resources, per shape and contender: what bounds the
/// ratios above. Runs apart from the timed rounds because the providers run
/// through the usage wrapper here.
fn cpu_rows(
    tools: &Tools,
    emu: &Emulator,
    tmp: &Path,
    runs: usize,
    report: &mut Report,
) -> Result<()> {
    let usage_file = tmp.join("cpu-usage");
    let dirs = contender_dirs(tools, emu, tmp, "cpu-", Some(&usage_file))?;
    // [entry][command] -> samples of (terraform, provider, emulator) ms
    let mut samples = vec![[Vec::new(), Vec::new()]; dirs.len()];
    alternate(&dirs, emu, runs, |_, idx, e| {
        for (j, args) in [APPLY, PLAN].into_iter().enumerate() {
            let _ = std::fs::remove_file(&usage_file);
            let emu_before = emu.cpu_ms()?;
            let (_, total) = e.wd.timed_cpu(args)?;
            let emulator = emu.cpu_ms()? - emu_before;
            let provider = rss::read(&usage_file)?.cpu_ms;
            samples[idx][j].push((total - provider, provider, emulator));
        }
        Ok(())
    })?;
    let mut t = String::from(
        "| Command, 200 resources | Shape | Contender | Terraform | Provider | Emulator | Total | Provider per resource |\n|---|---|---|---:|---:|---:|---:|---:|\n",
    );
    // [entry][command] -> (terraform, provider, emulator)
    let mut parts = vec![[(0.0, 0.0, 0.0); 2]; dirs.len()];
    for (j, command) in ["apply", "plan"].into_iter().enumerate() {
        for (idx, e) in dirs.iter().enumerate() {
            let part = |f: fn(&(f64, f64, f64)) -> f64| {
                median(&samples[idx][j].iter().map(f).collect::<Vec<_>>())
            };
            let (tf, prov, em) = (part(|s| s.0), part(|s| s.1), part(|s| s.2));
            parts[idx][j] = (tf, prov, em);
            let dash = |v: f64, unit: &str| {
                if v == 0.0 {
                    "—".to_owned()
                } else {
                    format!("{v:.0} {unit}")
                }
            };
            let per = if prov == 0.0 {
                "—".to_owned()
            } else {
                format!("{:.2} ms", prov / N_MAIN as f64)
            };
            let _ = writeln!(
                t,
                "| `{command}` | {} | {} | {tf:.0} ms | {} | {} | {:.0} ms | {per} |",
                e.shape.name(),
                e.c.name(),
                dash(prov, "ms"),
                dash(em, "ms"),
                tf + prov + em
            );
        }
    }
    report.push_cpu(t);
    let at = |c, shape, j: usize| parts[Entry::index(c, shape)][j];
    for shape in SHAPES {
        let (ours, go) = (
            at(Contender::Ours, shape, 0).1,
            at(Contender::Null, shape, 0).1,
        );
        report.push(Row::ratio(
            &format!(
                "3. Provider CPU per resource, apply {N_MAIN}, {}: hwsnap / Go `null`",
                shape.name()
            ),
            ours / N_MAIN as f64,
            "Go `null`",
            go / N_MAIN as f64,
            "≤ 0.35×",
            CPU_VS_GO,
        ));
    }
    let tf = |c, shape, j| at(c, shape, j).0;
    let mut note = String::from("CPU: Terraform's own CPU time when it drives");
    for shape in SHAPES {
        let ratio = |c, j| tf(Contender::Ours, shape, j) / tf(c, shape, j);
        let twin = |j| tf(Contender::Twin, shape, j) / tf(Contender::Null, shape, j);
        let _ = write!(
            note,
            " {}: this provider is {:.2}× (apply) / {:.2}× (plan) its time for `terraform_data` and {:.2}× / {:.2}× its time for Go `null`; the twin {:.2}× / {:.2}× Go `null`'s;",
            shape.name(),
            ratio(Contender::Floor, 0),
            ratio(Contender::Floor, 1),
            ratio(Contender::Null, 0),
            ratio(Contender::Null, 1),
            twin(0),
            twin(1),
        );
    }
    note.push_str(" the difference between the twin and Go `null` is the work of handling a larger schema, as the twin makes no request. Terraform's time counts the usage wrapper (about 1 ms per provider start). Emulator CPU is read in clock ticks (10 ms).");
    report.note(note);
    Ok(())
}

fn scaling_rows(
    tools: &Tools,
    emu: &Emulator,
    tmp: &Path,
    runs: usize,
    report: &mut Report,
) -> Result<()> {
    let usage_file = tmp.join("provider-usage");
    let ours = Workdir::new(tmp, "scale-ours", tools, emu, Some(&usage_file))?;
    let floor = Workdir::new(tmp, "scale-floor", tools, emu, None)?;
    let mut ours_ms = Vec::new();
    let mut floor_ms = Vec::new();
    let mut peaks = Vec::new();
    let mut cpus = Vec::new();
    for n in SCALES {
        ours.write_main(Contender::Ours, Shape::Count, n, &emu.clusters)?;
        floor.write_main(Contender::Floor, Shape::Count, n, &emu.clusters)?;
        let (mut o, mut f, mut peak, mut cpu) = (Vec::new(), Vec::new(), 0u64, Vec::new());
        for _ in 0..runs {
            floor.fresh_state()?;
            f.push(ms(floor.timed(APPLY)?));
            ours.fresh_state()?;
            emu.reset()?;
            let _ = std::fs::remove_file(&usage_file);
            o.push(ms(ours.timed(APPLY)?));
            let usage = rss::read(&usage_file)?;
            if usage.processes == 0 {
                return Err("the usage wrapper recorded no provider process".into());
            }
            peak = peak.max(usage.peak_kib);
            cpu.push(usage.cpu_ms);
        }
        eprintln!(
            "   N={n:>4}: ours {:>7.0} ms, floor {:>7.0} ms, provider peak RSS {:.1} MiB, provider CPU {:.0} ms",
            median(&o),
            median(&f),
            mib(peak),
            median(&cpu)
        );
        ours_ms.push(median(&o));
        floor_ms.push(median(&f));
        peaks.push(peak);
        cpus.push(median(&cpu));
    }
    report.push_scaling(&SCALES, &ours_ms, &floor_ms, &peaks, &cpus);
    let last = peaks.last().copied().unwrap_or(0);
    report.push(Row::value(
        &format!("4. Provider peak RSS at N = {}", max_of(&SCALES)),
        mib(last),
        "MiB",
        "≤ 30 MiB",
        mib(last) <= 30.0,
    ));
    // Flat means the provider's own work per resource does not grow with N:
    // its CPU time per resource at the largest N against the middle one.
    // (Wall time per resource is in the table; Terraform's own grows.)
    let per = |i: usize| cpus[i] / SCALES[i] as f64;
    let growth = per(2) / per(1);
    let floor_growth = stats::slope_growth(&SCALES, &floor_ms);
    let ours_growth = stats::slope_growth(&SCALES, &ours_ms);
    report.push(Row::value(
        "4. Provider CPU per resource, N = 800 vs 200",
        growth,
        "×",
        "flat (≤ 1.25×)",
        growth <= 1.25,
    ));
    report.note(format!(
        "Scaling: the wall-time cost per added resource between N = 200 and 800, divided by the one between 50 and 200, is {ours_growth:.2}× with this provider and {floor_growth:.2}× for `terraform_data` (Terraform alone, no provider): the super-linear part is Terraform's. The provider's CPU time per resource is {:.2} ms at N = 200 and {:.2} ms at N = 800.",
        per(1),
        per(2)
    ));
    Ok(())
}

fn waiting_rows(tools: &Tools, emu: &Emulator, tmp: &Path, report: &mut Report) -> Result<()> {
    let wd = Workdir::new(tmp, "waiting", tools, emu, None)?;
    wd.write_main(Contender::Ours, Shape::Count, WAIT_RESOURCES, &emu.clusters)?;
    wd.fresh_state()?;
    emu.reset()?;
    emu.set_create_seconds(WAIT_CREATE_SECONDS)?;
    let out = wd.output(&["apply", "-auto-approve", "-input=false", "-json"]);
    emu.set_create_seconds(0.0)?;
    let out = out?;
    let (requests, checks) = emu.request_counts()?;
    let lags = workdir::completion_lags(&out, WAIT_CREATE_SECONDS)?;
    if lags.len() != WAIT_RESOURCES {
        return Err(format!(
            "expected {WAIT_RESOURCES} completed creates, found {}",
            lags.len()
        ));
    }
    let lag = median(&lags);
    let worst = lags.iter().copied().fold(0.0, f64::max);
    report.push(Row::value(
        "5. Lag: available → Terraform done (median; max in note)",
        lag,
        "ms",
        "≤ 1000 ms",
        worst <= 1000.0,
    ));
    let per = requests as f64 / WAIT_RESOURCES as f64;
    report.push(Row::value(
        "5. API requests per snapshot created",
        per,
        "",
        "≤ 5",
        per <= 5.0,
    ));
    report.note(format!(
        "Waiting: {WAIT_RESOURCES} snapshots with a {WAIT_CREATE_SECONDS} s create time; lag = Terraform's `apply_complete` time − (its `apply_start` time + {WAIT_CREATE_SECONDS} s), an upper bound on the true lag (it includes the create call itself); max {worst:.0} ms. Requests: every snapshot request in the emulator's log during the apply ({requests}), divided by {WAIT_RESOURCES}; besides them, the providers' credential checks at configure ({checks}, one per provider process, a cost per command)."
    ));
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// `ops` counted by operation, most frequent first: `"css.list_snapshots
/// ×100, iam.list_projects ×1"`.
fn by_operation(ops: &[String]) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for op in ops {
        match counts.iter_mut().find(|(o, _)| o == op) {
            Some((_, n)) => *n += 1,
            None => counts.push((op, 1)),
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let parts: Vec<String> = counts.iter().map(|(o, n)| format!("`{o}` ×{n}")).collect();
    if parts.is_empty() {
        "none".to_owned()
    } else {
        parts.join(", ")
    }
}

/// What one service's create and refresh of `REFRESH_N` snapshots on one
/// cluster asked of the cloud.
struct Requests {
    create: Vec<String>,
    refresh: Vec<String>,
}

/// Applies `tf` (`REFRESH_N` snapshots on one cluster) to an emptied
/// emulator, then plans it again (the refresh), logging each command's
/// requests apart.
fn create_then_refresh(
    wd: &Workdir,
    emu: &Emulator,
    tf: &str,
    count: impl Fn() -> Result<usize>,
) -> Result<Requests> {
    wd.write_tf(tf)?;
    wd.fresh_state()?;
    emu.reset()?;
    wd.timed(APPLY)?;
    let made = count()?;
    if made != REFRESH_N {
        return Err(format!("apply made {made} snapshots, not {REFRESH_N}"));
    }
    let create = emu.operations()?;
    emu.clear_requests()?;
    wd.timed(PLAN)?;
    let refresh = emu.operations()?;
    Ok(Requests { create, refresh })
}

fn requests_rows(tools: &Tools, emu: &Emulator, tmp: &Path, report: &mut Report) -> Result<()> {
    let wd = Workdir::new(tmp, "requests", tools, emu, None)?;
    let css = create_then_refresh(
        &wd,
        emu,
        &workdir::css_tf(REFRESH_N, &emu.css_cluster),
        || emu.css_snapshot_count(),
    )?;
    let one_cluster = &emu.clusters[..1];
    let dws_tf = workdir::main_tf(Contender::Ours, Shape::Count, REFRESH_N, one_cluster);
    let dws = create_then_refresh(&wd, emu, &dws_tf, || emu.snapshot_count())?;
    let mut t = String::from("| Command | Requests | By operation |\n|---|---:|---|\n");
    for (service, r) in [("CSS", &css), ("DWS", &dws)] {
        for (command, ops) in [
            ("apply (create)", &r.create),
            ("plan (refresh)", &r.refresh),
        ] {
            let _ = writeln!(
                t,
                "| {service}: {command} of {REFRESH_N} snapshots on one cluster | {} | {} |",
                ops.len(),
                by_operation(ops)
            );
        }
    }
    report.push_requests(t);
    let n = css.refresh.len();
    report.push(Row::value(
        &format!("6. CSS refresh (plan) of {REFRESH_N} snapshots on one cluster: cloud requests"),
        n as f64,
        "",
        &format!("≤ {CSS_REFRESH_MAX_REQUESTS}"),
        n <= CSS_REFRESH_MAX_REQUESTS,
    ));
    report.push(Row::value_context(
        &format!("6. DWS refresh (plan) of {REFRESH_N} snapshots on one cluster: cloud requests"),
        dws.refresh.len() as f64,
        "",
    ));
    for (service, r) in [("CSS", &css), ("DWS", &dws)] {
        let snapshot_calls = r
            .create
            .iter()
            .filter(|op| *op != emulator::CREDENTIAL_CHECK)
            .count();
        report.push(Row::value_context(
            &format!("6. {service}: API requests per snapshot created (create time 0)"),
            snapshot_calls as f64 / REFRESH_N as f64,
            "",
        ));
    }
    report.note(format!(
        "Requests: each service's {REFRESH_N} snapshots are made on one cluster by an apply (create time 0), then refreshed by a `terraform plan`; every cloud request of each command is counted from the emulator's request log, the providers' credential checks at configure (`{}`, one per provider process that configures) included. Per snapshot created: the apply's requests without the credential checks, divided by {REFRESH_N}.",
        emulator::CREDENTIAL_CHECK
    ));
    Ok(())
}
