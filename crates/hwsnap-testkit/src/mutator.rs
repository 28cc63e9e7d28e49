//! A small, dependency-free mutation fuzzer for time-bounded runs inside
//! plain `cargo test` (cargo-fuzz needs a nightly compiler, which the build
//! machines do not have). Main items: [`run`] (drive a target for a time
//! budget) and [`Rng`] (xorshift, seeded from `HWSNAP_FUZZ_SEED` or the
//! clock, printed so a run can be replayed).
//!
//! The one design decision: no coverage feedback. Inputs are valid seeds
//! (real encodings made by the code under test) mutated with byte flips,
//! inserts, deletions, splices, interesting bytes and dictionary tokens, so
//! most of them are "almost valid" and reach deep into the decoders. A
//! panicking input is reported with its bytes (escaped) and seed; every
//! finding becomes a regression test next to the target.
//!
//! Used by `crates/*/tests/fuzz_*.rs` and `tests/acceptance/bad_input.rs`;
//! `scripts/fuzz` runs them with a longer budget (`HWSNAP_FUZZ_SECONDS`,
//! default 1 s per target under `cargo test`).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

/// Seconds per target: `HWSNAP_FUZZ_SECONDS`, else 1.
pub fn budget() -> Duration {
    std::env::var("HWSNAP_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .map_or(Duration::from_secs(1), Duration::from_secs_f64)
}

/// xorshift64*: fast, reproducible, good enough to pick mutations.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    /// From `HWSNAP_FUZZ_SEED`, else from the clock.
    pub fn from_env() -> Rng {
        let seed = std::env::var("HWSNAP_FUZZ_SEED")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
            });
        Rng::new(seed)
    }

    pub fn seed(&self) -> u64 {
        self.0
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-ish in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

const INTERESTING: [u8; 16] = [
    0x00, 0x01, 0x7f, 0x80, 0xff, 0xc0, 0xc1, 0xd9, 0xdc, 0xdd, 0xde, 0xdf, b'"', b'\\', b'{', b'[',
];

/// One mutation of `input` (1–4 edits), using `dict` tokens and `others`
/// for splicing.
pub fn mutate(rng: &mut Rng, input: &[u8], others: &[Vec<u8>], dict: &[&[u8]]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(9) {
            0 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] ^= 1 << rng.below(8);
            }
            1 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] = INTERESTING[rng.below(INTERESTING.len())];
            }
            2 => out.insert(at, rng.next_u64() as u8),
            3 if !out.is_empty() => {
                let len = 1 + rng.below(out.len().min(16));
                let start = rng.below(out.len() - len + 1);
                out.drain(start..start + len);
            }
            4 if !dict.is_empty() => {
                let token = dict[rng.below(dict.len())];
                out.splice(at..at, token.iter().copied());
            }
            5 if !others.is_empty() => {
                let other = &others[rng.below(others.len())];
                let from = rng.below(other.len() + 1);
                out.truncate(at);
                out.extend_from_slice(&other[from..]);
            }
            6 if !out.is_empty() => {
                // Duplicate a chunk: repeated structure (nesting, lists).
                let len = 1 + rng.below(out.len().min(32));
                let start = rng.below(out.len() - len + 1);
                let chunk = out[start..start + len].to_vec();
                out.splice(at..at, chunk);
            }
            7 => out.truncate(at),
            _ => {
                let n = rng.below(8);
                for _ in 0..n {
                    out.insert(at.min(out.len()), rng.next_u64() as u8);
                }
            }
        }
        if out.len() > 1 << 16 {
            out.truncate(1 << 16);
        }
    }
    out
}

/// What a bounded run did.
#[derive(Debug)]
pub struct Report {
    pub name: String,
    pub executions: u64,
    pub elapsed: Duration,
    pub seed: u64,
}

/// Feeds `target` the seeds, then mutations of them, until the budget is
/// spent. Panics (with the input, escaped, and the seed) when the target
/// panics. Prints and returns the number of executions.
pub fn run(name: &str, seeds: &[Vec<u8>], dict: &[&[u8]], mut target: impl FnMut(&[u8])) -> Report {
    let budget = budget();
    let mut rng = Rng::from_env();
    let seed = rng.seed();
    let started = Instant::now();
    let mut executions = 0u64;
    let mut check = |input: &[u8], executions: &mut u64| {
        *executions += 1;
        if catch_unwind(AssertUnwindSafe(|| target(input))).is_err() {
            panic!(
                "fuzz target {name} failed on input {:?} (bytes {:02x?}); replay with HWSNAP_FUZZ_SEED={seed}",
                String::from_utf8_lossy(input),
                input
            );
        }
    };
    for s in seeds {
        check(s, &mut executions);
    }
    let empty: Vec<u8> = Vec::new();
    while started.elapsed() < budget {
        // A batch between clock reads.
        for _ in 0..64 {
            let base = if seeds.is_empty() {
                &empty
            } else {
                &seeds[rng.below(seeds.len())]
            };
            let input = mutate(&mut rng, base, seeds, dict);
            check(&input, &mut executions);
        }
    }
    let report = Report {
        name: name.to_owned(),
        executions,
        elapsed: started.elapsed(),
        seed,
    };
    eprintln!(
        "fuzz {}: {} executions in {:.1}s (seed {})",
        report.name,
        report.executions,
        report.elapsed.as_secs_f64(),
        report.seed
    );
    if let Ok(path) = std::env::var("HWSNAP_FUZZ_REPORT") {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = writeln!(
                f,
                "{}\t{}\t{:.1}\t{}",
                report.name,
                report.executions,
                report.elapsed.as_secs_f64(),
                report.seed
            );
        }
    }
    report
}
