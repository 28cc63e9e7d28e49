//! `cargo bench --bench terraform`: the provider measured against Terraform's
//! own floor (`terraform_data`, no provider process) and a Go provider
//! (HashiCorp's `null`), side by side in one run. `scripts/bench` builds
//! everything, installs the Go provider and calls this.
//!
//! The one design decision: every comparison is a ratio of medians measured
//! in the same run, with the contenders alternating round by round, because
//! absolute times on shared machines drift; absolute numbers are printed
//! only as context.
//!
//! Arguments: `--quick` (fewer runs), `--out FILE` (write the Markdown
//! report there), `--criterion DIR` (add the results `cargo bench --bench
//! micro` left in DIR). Environment: `HWSNAP_BENCH_TERRAFORM` (the CLI),
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
use workdir::{Contender, Workdir};

type Result<T> = std::result::Result<T, String>;

/// Terraform's default `-parallelism`, the same for every contender.
const N_MAIN: usize = 200;
const SCALES: [usize; 3] = [50, 200, 800];
const WAIT_RESOURCES: usize = 10;
const WAIT_CREATE_SECONDS: f64 = 3.0;
/// The timed commands, the same for every contender.
const APPLY: &[&str] = &["apply", "-auto-approve", "-input=false", "-no-color"];
const PLAN: &[&str] = &["plan", "-input=false", "-no-color", "-detailed-exitcode"];
const CONTENDERS: [Contender; 3] = [Contender::Floor, Contender::Null, Contender::Ours];

struct Options {
    quick: bool,
    out: Option<PathBuf>,
    criterion: Option<PathBuf>,
}

struct Tools {
    terraform: PathBuf,
    provider: PathBuf,
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
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--quick" => opts.quick = true,
            "--out" => opts.out = Some(args.next().ok_or("--out needs a file")?.into()),
            "--criterion" => {
                opts.criterion = Some(args.next().ok_or("--criterion needs a directory")?.into())
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
    let tools = Tools {
        terraform,
        emulator: bin_dir.join("hwsnap-emulator"),
        provider,
        null_provider,
    };
    for p in [
        &tools.terraform,
        &tools.provider,
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

    eprintln!("== 1. start-up: exec -> handshake line ({startup_runs} runs each)");
    startup_rows(&tools, startup_runs, &mut report)?;

    let clusters = max_of(&SCALES).max(N_MAIN);
    let emu = Emulator::start(&tools.emulator, clusters)?;
    let tmp = tempfile::Builder::new()
        .prefix("hwsnap-bench-")
        .tempdir()
        .map_err(|e| format!("temp dir: {e}"))?;

    eprintln!("== 2+3. apply and refresh of {N_MAIN} resources ({runs} rounds)");
    main_rows(&tools, &emu, tmp.path(), runs, &mut report)?;

    eprintln!("== 2+3. where the CPU time goes ({cpu_runs} rounds)");
    cpu_rows(&tools, &emu, tmp.path(), cpu_runs, &mut report)?;

    eprintln!("== 4. scaling ({scale_runs} runs per size)");
    scaling_rows(&tools, &emu, tmp.path(), scale_runs, &mut report)?;

    eprintln!("== 5. waiting efficiency (create time {WAIT_CREATE_SECONDS} s)");
    waiting_rows(&tools, &emu, tmp.path(), &mut report)?;

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

/// One working directory per contender (named `PREFIX<label>`), each with
/// `N_MAIN` resources; with `usage`, providers run through the usage wrapper.
fn contender_dirs(
    tools: &Tools,
    emu: &Emulator,
    tmp: &Path,
    prefix: &str,
    usage: Option<&Path>,
) -> Result<Vec<(Contender, Workdir)>> {
    CONTENDERS
        .into_iter()
        .map(|c| {
            let wd = Workdir::new(tmp, &format!("{prefix}{}", c.label()), tools, emu, usage)?;
            wd.write_main(c, N_MAIN, &emu.clusters)?;
            Ok((c, wd))
        })
        .collect()
}

/// Runs `f(round, index, contender, dir)` for every contender in every
/// round, the order rotating round by round, each from an empty state (and
/// for this provider an emptied emulator).
fn alternate(
    dirs: &[(Contender, Workdir)],
    emu: &Emulator,
    runs: usize,
    mut f: impl FnMut(usize, usize, Contender, &Workdir) -> Result<()>,
) -> Result<()> {
    for round in 0..runs {
        for k in 0..dirs.len() {
            let idx = (round + k) % dirs.len();
            let (c, wd) = &dirs[idx];
            wd.fresh_state()?;
            if *c == Contender::Ours {
                emu.reset()?;
            }
            f(round, idx, *c, wd)?;
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
    let mut apply = [Vec::new(), Vec::new(), Vec::new()];
    let mut plan = [Vec::new(), Vec::new(), Vec::new()];
    alternate(&dirs, emu, runs, |round, idx, c, wd| {
        let a = wd.timed(APPLY)?;
        let p = wd.timed(PLAN)?;
        if c == Contender::Ours {
            let made = emu.snapshot_count()?;
            if made != N_MAIN {
                return Err(format!("apply made {made} snapshots, not {N_MAIN}"));
            }
        }
        eprintln!(
            "   round {round} {:>6}: apply {:>7.0} ms, plan {:>7.0} ms",
            c.label(),
            ms(a),
            ms(p)
        );
        apply[idx].push(ms(a));
        plan[idx].push(ms(p));
        Ok(())
    })?;
    let [floor_a, null_a, ours_a] = apply.map(|v| median(&v));
    let [floor_p, _, ours_p] = plan.map(|v| median(&v));
    let what = format!("{N_MAIN} resources");
    report.push(Row::ratio(
        &format!("2. Apply {what} / floor"),
        ours_a,
        "`terraform_data`",
        floor_a,
        "≤ 1.25",
        1.25,
    ));
    report.push(Row::ratio(
        &format!("2. Apply {what} / Go"),
        ours_a,
        "`null_resource`",
        null_a,
        "≤ 0.8",
        0.8,
    ));
    report.push(Row::ratio(
        &format!("3. Refresh (plan) {what} / floor"),
        ours_p,
        "`terraform_data`",
        floor_p,
        "≤ 1.25",
        1.25,
    ));
    Ok(())
}

/// CPU time of Terraform, the provider and the emulator for the apply and
/// the plan of `N_MAIN` resources, per contender: what bounds the ratios
/// above. Runs apart from the timed rounds because the providers run
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
    // [contender][command] -> samples of (terraform, provider, emulator) ms
    let mut samples = vec![[Vec::new(), Vec::new()]; CONTENDERS.len()];
    alternate(&dirs, emu, runs, |_, idx, _, wd| {
        for (j, args) in [APPLY, PLAN].into_iter().enumerate() {
            let _ = std::fs::remove_file(&usage_file);
            let emu_before = emu.cpu_ms()?;
            let (_, total) = wd.timed_cpu(args)?;
            let emulator = emu.cpu_ms()? - emu_before;
            let provider = rss::read(&usage_file)?.cpu_ms;
            samples[idx][j].push((total - provider, provider, emulator));
        }
        Ok(())
    })?;
    let mut t = String::from(
        "| Command, 200 resources | Contender | Terraform | Provider | Emulator | Total |\n|---|---|---:|---:|---:|---:|\n",
    );
    let mut terraform = [[0.0; 2]; 3];
    for (j, command) in ["apply", "plan"].into_iter().enumerate() {
        for (idx, c) in CONTENDERS.iter().enumerate() {
            let part = |f: fn(&(f64, f64, f64)) -> f64| {
                median(&samples[idx][j].iter().map(f).collect::<Vec<_>>())
            };
            let (tf, prov, em) = (part(|s| s.0), part(|s| s.1), part(|s| s.2));
            terraform[idx][j] = tf;
            let name = match c {
                Contender::Floor => "`terraform_data`",
                Contender::Null => "Go `null`",
                Contender::Ours => "hwsnap",
            };
            let dash = |v: f64| {
                if v == 0.0 {
                    "—".to_owned()
                } else {
                    format!("{v:.0} ms")
                }
            };
            let _ = writeln!(
                t,
                "| `{command}` | {name} | {tf:.0} ms | {} | {} | {:.0} ms |",
                dash(prov),
                dash(em),
                tf + prov + em
            );
        }
    }
    report.push_cpu(t);
    report.note(format!(
        "CPU: Terraform's own CPU time when it drives this provider is {:.2}× (apply) and {:.2}× (plan) its time for `terraform_data`, and {:.2}× / {:.2}× its time for the Go `null` provider: the work of talking to any provider process and of handling a larger schema. It counts the usage wrapper (about 1 ms per provider start). Emulator CPU is read in clock ticks (10 ms).",
        terraform[2][0] / terraform[0][0],
        terraform[2][1] / terraform[0][1],
        terraform[2][0] / terraform[1][0],
        terraform[2][1] / terraform[1][1],
    ));
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
        ours.write_main(Contender::Ours, n, &emu.clusters)?;
        floor.write_main(Contender::Floor, n, &emu.clusters)?;
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
    wd.write_main(Contender::Ours, WAIT_RESOURCES, &emu.clusters)?;
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
