//! The release test: builds the release once with `scripts/release` (full
//! LTO, glibc 2.28, one SBOM per provider, SHA256SUMS signed with a
//! throwaway GnuPG key) and checks it the way the registry and a user
//! would: file names, SHA256SUMS, manifest, zip contents, glibc, size,
//! `--version`, the signatures, the SBOMs, and `terraform init` from a
//! packed filesystem mirror with Terraform 1.15 and 1.11 (no
//! `dev_overrides`), whose lock file must record the zip's own `h1:` hash,
//! then `apply` and `destroy` against the emulator.
//!
//! `test = false` in Cargo.toml, so `cargo test` leaves it out (a clean
//! release build takes minutes); `scripts/test --release`, which CI runs,
//! runs it with `cargo test --test release`. The build lands in
//! `target/dist` (kept between runs), the release in `target/tmp/release-test`.

#[allow(unused_imports)]
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use base64::Engine as _;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use support::{Emulator, EmulatorOptions, Workdir, for_each_cli};

/// The providers a release holds.
const NAMES: [&str; 3] = ["dws", "css", "hwsnap"];
/// The workspace version, which scripts/release reads from cargo metadata.
const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The largest a released binary may be.
const MAX_BINARY_BYTES: u64 = 20 * 1024 * 1024;
/// The newest glibc symbol version a released binary may need (RHEL 8).
const MAX_GLIBC: (u32, u32) = (2, 28);
/// Crates every provider binary runs on; each SBOM must list them.
const RUNTIME_CRATES: [&str; 5] = ["tokio", "tonic", "prost", "rustls", "reqwest"];
/// The workspace crates a provider binary is built from.
const WORKSPACE_CRATES: [&str; 5] = [
    "hwsnap-plugin",
    "hwsnap-cty",
    "hwsnap-framework",
    "hwsnap-sign",
    "hwsnap-cloud",
];
/// The one line scripts/release prints when it does not sign.
const UNSIGNED_NOTE: &str = "scripts/release: note: HWSNAP_RELEASE_GPG_KEY is not set, so the SHA256SUMS are not signed (no .sig files)";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// One release, built once for every test of this binary.
struct Release {
    /// The signed release (`scripts/release --dist`).
    dist: PathBuf,
    /// The same commit released again, unsigned, with `--mirror`.
    unsigned: PathBuf,
    /// What the unsigned run printed on stderr.
    unsigned_stderr: String,
    /// The packed mirror the unsigned run laid out.
    mirror: PathBuf,
    /// The CLI configuration block it printed on stdout.
    mirror_config: String,
    /// The GnuPG home holding the throwaway signing key.
    gnupg: PathBuf,
    /// Scratch space for the tests.
    work: PathBuf,
}

impl Release {
    fn base(name: &str) -> String {
        format!("terraform-provider-{name}_{VERSION}")
    }

    fn file(&self, name: &str, suffix: &str) -> PathBuf {
        self.dist.join(format!("{}_{suffix}", Release::base(name)))
    }

    fn zip(&self, name: &str) -> PathBuf {
        self.file(name, "linux_amd64.zip")
    }

    /// Where `name`'s zip was extracted.
    fn unzipped(&self, name: &str) -> PathBuf {
        self.work.join("unzipped").join(name)
    }

    /// The executable of `name`'s zip.
    fn binary(&self, name: &str) -> PathBuf {
        self.unzipped(name)
            .join(format!("terraform-provider-{name}_v{VERSION}"))
    }
}

fn release() -> &'static Release {
    static RELEASE: OnceLock<Release> = OnceLock::new();
    RELEASE.get_or_init(build_release)
}

fn build_release() -> Release {
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("release-test");
    if work.exists() {
        fs::remove_dir_all(&work)
            .unwrap_or_else(|e| panic!("cannot clear {}: {e}", work.display()));
    }
    let gnupg = work.join("gnupg");
    fs::create_dir_all(&gnupg).unwrap_or_else(|e| panic!("cannot create {}: {e}", gnupg.display()));
    set_mode(&gnupg, 0o700);
    let key = make_signing_key(&gnupg);

    let dist = work.join("dist");
    let signed = Command::new(repo().join("scripts/release"))
        .arg("--dist")
        .arg(&dist)
        .env("GNUPGHOME", &gnupg)
        .env("HWSNAP_RELEASE_GPG_KEY", &key)
        .output()
        .unwrap_or_else(|e| panic!("cannot run scripts/release: {e}"));
    // The agent that signed is not needed any more (verifying needs none).
    let _ = gpg(&gnupg, &["--kill", "gpg-agent"], "gpgconf");
    expect_success("scripts/release --dist", &signed);

    let unsigned = work.join("unsigned");
    let mirror = work.join("mirror");
    let run = Command::new(repo().join("scripts/release"))
        .arg("--dist")
        .arg(&unsigned)
        .arg("--mirror")
        .arg(&mirror)
        .env_remove("HWSNAP_RELEASE_GPG_KEY")
        .output()
        .unwrap_or_else(|e| panic!("cannot run scripts/release: {e}"));
    expect_success("scripts/release --dist --mirror", &run);

    for name in NAMES {
        extract_zip(
            &dist.join(format!("{}_linux_amd64.zip", Release::base(name))),
            &work.join("unzipped").join(name),
        );
    }
    Release {
        dist,
        unsigned,
        unsigned_stderr: String::from_utf8_lossy(&run.stderr).into_owned(),
        mirror,
        mirror_config: String::from_utf8_lossy(&run.stdout).into_owned(),
        gnupg,
        work,
    }
}

/// A passphrase-less ed25519 signing key in `gnupg`; returns its fingerprint.
fn make_signing_key(gnupg: &Path) -> String {
    let out = gpg(
        gnupg,
        &[
            "--batch",
            "--passphrase",
            "",
            "--quick-generate-key",
            "hwsnap release test <release-test@hwsnap.invalid>",
            "ed25519",
            "sign",
            "1d",
        ],
        "gpg",
    );
    expect_success("gpg --quick-generate-key", &out);
    let list = gpg(
        gnupg,
        &["--batch", "--with-colons", "--list-secret-keys"],
        "gpg",
    );
    expect_success("gpg --list-secret-keys", &list);
    String::from_utf8_lossy(&list.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("fpr:"))
        .and_then(|rest| rest.split(':').find(|f| !f.is_empty()))
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("gpg listed no fingerprint:\n{}", show(&list)))
}

/// Run `program` (gpg, gpgconf) with GNUPGHOME=`gnupg`. gpg is needed:
/// a missing one fails the test with the install hint.
fn gpg(gnupg: &Path, args: &[&str], program: &str) -> Output {
    Command::new(program)
        .args(args)
        .env("GNUPGHOME", gnupg)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {program} ({e}); install gnupg (apt-get install gnupg)")
        })
}

fn show(out: &Output) -> String {
    format!(
        "exit: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn expect_success(what: &str, out: &Output) {
    assert!(out.status.success(), "{what} failed:\n{}", show(out));
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("cannot chmod {}: {e}", path.display()));
}

fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One zip entry, as Python's zipfile reads it (an independent reader).
#[derive(Debug, PartialEq)]
struct ZipEntry {
    name: String,
    mode: u32,
    date_time: Vec<u32>,
}

fn zip_entries(zip: &Path) -> Vec<ZipEntry> {
    let script = "import json, sys, zipfile\n\
        z = zipfile.ZipFile(sys.argv[1])\n\
        print(json.dumps([[i.filename, i.external_attr >> 16, list(i.date_time)] for i in z.infolist()]))";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(zip)
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3: {e}"));
    expect_success("python3 zipfile (list)", &out);
    let list: Vec<(String, u32, Vec<u32>)> = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad zip listing ({e}):\n{}", show(&out)));
    list.into_iter()
        .map(|(name, mode, date_time)| ZipEntry {
            name,
            mode,
            date_time,
        })
        .collect()
}

fn extract_zip(zip: &Path, dir: &Path) {
    let script = "import os, sys, zipfile\n\
        z = zipfile.ZipFile(sys.argv[1])\n\
        z.extractall(sys.argv[2])\n\
        [os.chmod(os.path.join(sys.argv[2], i.filename), i.external_attr >> 16 & 0o777) for i in z.infolist()]";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(zip)
        .arg(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3: {e}"));
    expect_success("python3 zipfile (extract)", &out);
}

/// Terraform's package hash `h1:` (Go's dirhash Hash1) of the files under
/// `dir`: base64 of the SHA-256 of the lines "<sha256 hex>  <name>\n",
/// one per file, sorted by slash-separated relative name.
fn h1_of_dir(dir: &Path) -> String {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
        let entries =
            fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
        for entry in entries {
            let path = entry
                .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
                .path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let name = path
                    .strip_prefix(root)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((name, path));
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files);
    h1(files
        .into_iter()
        .map(|(name, path)| (name, read(&path)))
        .collect())
}

fn h1(mut files: Vec<(String, Vec<u8>)>) -> String {
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut summary = String::new();
    for (name, bytes) in &files {
        summary.push_str(&format!("{}  {name}\n", sha256_hex(bytes)));
    }
    let digest = Sha256::digest(summary.as_bytes());
    format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The versions Cargo.lock holds for each crate.
fn locked_versions() -> BTreeMap<String, BTreeSet<String>> {
    let lock = String::from_utf8_lossy(&read(&repo().join("Cargo.lock"))).into_owned();
    let mut versions: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut name: Option<String> = None;
    for line in lock.lines() {
        let value = |key: &str| {
            line.strip_prefix(key)
                .and_then(|r| r.strip_prefix(" = \""))
                .and_then(|r| r.strip_suffix('"'))
                .map(str::to_owned)
        };
        if line == "[[package]]" {
            name = None;
        } else if let Some(n) = value("name") {
            name = Some(n);
        } else if let (Some(v), Some(n)) = (value("version"), name.take()) {
            versions.entry(n).or_default().insert(v);
        }
    }
    versions
}

/// The newest `GLIBC_x.y` that `readelf -V` lists as needed by `exe`.
fn max_glibc_needed(exe: &Path) -> Option<(u32, u32)> {
    let out = Command::new("readelf")
        .arg("-V")
        .arg(exe)
        .output()
        .unwrap_or_else(|e| panic!("cannot run readelf ({e}); install binutils"));
    expect_success("readelf -V", &out);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    // Only the needs (.gnu.version_r), not the symbols' own versions.
    let needs = text
        .split_once(".gnu.version_r")
        .map(|(_, rest)| rest)
        .unwrap_or("");
    needs
        .split_whitespace()
        .filter_map(|w| w.strip_prefix("GLIBC_"))
        .filter_map(|v| {
            let mut parts = v.split('.');
            let major = parts.next()?.parse().ok()?;
            let minor = parts.next().map_or(Some(0), |m| m.parse().ok())?;
            Some((major, minor))
        })
        .max()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn each_provider_has_its_files_and_no_other() {
    let r = release();
    let mut want = BTreeSet::new();
    for name in NAMES {
        for suffix in [
            "linux_amd64.zip",
            "manifest.json",
            "sbom.cdx.json",
            "SHA256SUMS",
            "SHA256SUMS.sig",
        ] {
            want.insert(format!("{}_{suffix}", Release::base(name)));
        }
    }
    let got: BTreeSet<String> = fs::read_dir(&r.dist)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", r.dist.display()))
        .map(|e| {
            e.unwrap_or_else(|e| panic!("cannot list {}: {e}", r.dist.display()))
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(got, want);
}

#[test]
fn sha256sums_cover_the_zip_the_manifest_and_the_sbom() {
    let r = release();
    for name in NAMES {
        let sums = String::from_utf8_lossy(&read(&r.file(name, "SHA256SUMS"))).into_owned();
        let mut listed = BTreeSet::new();
        for line in sums.lines() {
            let (hash, file) = line
                .split_once("  ")
                .unwrap_or_else(|| panic!("not a sha256sum line: {line:?}"));
            assert_eq!(
                hash,
                sha256_hex(&read(&r.dist.join(file))),
                "{file} in {name}'s SHA256SUMS"
            );
            listed.insert(file.to_owned());
        }
        let base = Release::base(name);
        let want: BTreeSet<String> = ["linux_amd64.zip", "manifest.json", "sbom.cdx.json"]
            .iter()
            .map(|s| format!("{base}_{s}"))
            .collect();
        assert_eq!(listed, want, "{sums}");
    }
}

#[test]
fn manifests_are_the_repository_manifest() {
    let r = release();
    let source = read(&repo().join("terraform-registry-manifest.json"));
    let parsed: Value = serde_json::from_slice(&source)
        .unwrap_or_else(|e| panic!("terraform-registry-manifest.json: {e}"));
    assert_eq!(
        parsed,
        json!({"version": 1, "metadata": {"protocol_versions": ["6.0"]}})
    );
    for name in NAMES {
        assert_eq!(read(&r.file(name, "manifest.json")), source, "{name}");
    }
}

#[test]
fn each_zip_holds_one_executable_with_fixed_metadata() {
    let r = release();
    let mut dates = BTreeSet::new();
    for name in NAMES {
        let entries = zip_entries(&r.zip(name));
        assert_eq!(entries.len(), 1, "{name}: {entries:?}");
        assert_eq!(
            entries[0].name,
            format!("terraform-provider-{name}_v{VERSION}")
        );
        assert_eq!(
            entries[0].mode, 0o100755,
            "{name}: a regular file, rwxr-xr-x"
        );
        dates.insert(entries[0].date_time.clone());
    }
    assert_eq!(dates.len(), 1, "one date for every zip: {dates:?}");
}

#[test]
fn binaries_need_glibc_2_28_at_most_and_are_small() {
    let r = release();
    for name in NAMES {
        let exe = r.binary(name);
        let glibc = max_glibc_needed(&exe);
        assert!(
            glibc.is_some_and(|v| v <= MAX_GLIBC),
            "{name} needs GLIBC_{glibc:?}, more than {MAX_GLIBC:?} (or none was found)"
        );
        let size = fs::metadata(&exe)
            .unwrap_or_else(|e| panic!("{}: {e}", exe.display()))
            .len();
        assert!(
            size <= MAX_BINARY_BYTES,
            "{name} is {size} bytes, over 20 MiB"
        );
        eprintln!("{name}: {size} bytes, needs GLIBC_{glibc:?}");
    }
}

#[test]
fn binaries_hold_no_build_path() {
    let r = release();
    let cargo_home = std::env::var("CARGO_HOME")
        .unwrap_or_else(|_| format!("{}/.cargo", std::env::var("HOME").unwrap_or_default()));
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap_or_else(|| panic!("CARGO_TARGET_TMPDIR has no parent"))
        .to_string_lossy()
        .into_owned();
    let repo = repo().to_string_lossy().into_owned();
    for name in NAMES {
        let bytes = read(&r.binary(name));
        for path in [&repo, &cargo_home, &target] {
            assert!(
                !contains(&bytes, path.as_bytes()),
                "{name} holds the build path {path}"
            );
        }
        assert!(
            contains(&bytes, b"/cargo/registry/src/"),
            "{name}: crate paths should be remapped to /cargo"
        );
    }
}

#[test]
fn binaries_answer_version_without_terraform() {
    let r = release();
    for name in NAMES {
        let out = Command::new(r.binary(name))
            .arg("--version")
            .env_clear()
            .output()
            .unwrap_or_else(|e| panic!("cannot run {name}: {e}"));
        expect_success(&format!("terraform-provider-{name} --version"), &out);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.starts_with(&format!("terraform-provider-{name}")) && stdout.contains(VERSION),
            "{name} --version printed {stdout:?}"
        );
    }
}

#[test]
fn signatures_verify_and_a_changed_sums_file_does_not() {
    let r = release();
    for name in NAMES {
        let sig = r.file(name, "SHA256SUMS.sig");
        let sums = r.file(name, "SHA256SUMS");
        assert!(
            !read(&sig).starts_with(b"-----BEGIN"),
            "{name}: the signature must be binary, not armored"
        );
        let ok = gpg(
            &r.gnupg,
            &[
                "--batch",
                "--verify",
                &sig.to_string_lossy(),
                &sums.to_string_lossy(),
            ],
            "gpg",
        );
        expect_success(&format!("gpg --verify {name}"), &ok);
        let changed = r.work.join(format!("{name}.changed-SHA256SUMS"));
        let mut bytes = read(&sums);
        bytes[0] = if bytes[0] == b'0' { b'1' } else { b'0' };
        fs::write(&changed, bytes).unwrap_or_else(|e| panic!("{e}"));
        let bad = gpg(
            &r.gnupg,
            &[
                "--batch",
                "--verify",
                &sig.to_string_lossy(),
                &changed.to_string_lossy(),
            ],
            "gpg",
        );
        assert!(
            !bad.status.success(),
            "{name}: a changed file verified:\n{}",
            show(&bad)
        );
    }
}

#[test]
fn without_a_key_there_is_no_signature_and_one_note() {
    let r = release();
    let sigs: Vec<String> = fs::read_dir(&r.unsigned)
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.ends_with(".sig"))
        .collect();
    assert!(sigs.is_empty(), "{sigs:?}");
    let notes = r
        .unsigned_stderr
        .lines()
        .filter(|l| l.contains("HWSNAP_RELEASE_GPG_KEY"))
        .collect::<Vec<_>>();
    assert_eq!(notes, [UNSIGNED_NOTE], "{}", r.unsigned_stderr);
}

#[test]
fn a_second_release_of_the_commit_has_the_same_bytes() {
    // Same target dir, so this checks the packaging (zip, SBOM, sums); the
    // clean-build check is `scripts/release --check-reproducible`.
    let r = release();
    for name in NAMES {
        for suffix in [
            "linux_amd64.zip",
            "manifest.json",
            "sbom.cdx.json",
            "SHA256SUMS",
        ] {
            let file = format!("{}_{suffix}", Release::base(name));
            assert!(
                read(&r.dist.join(&file)) == read(&r.unsigned.join(&file)),
                "{file} differs between two releases of one commit"
            );
        }
    }
}

#[test]
fn sboms_are_cyclonedx_and_list_the_crates_at_their_locked_versions() {
    let r = release();
    let locked = locked_versions();
    for name in NAMES {
        let path = r.file(name, "sbom.cdx.json");
        validate_cyclonedx(&path);
        let bom: Value = serde_json::from_slice(&read(&path))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(bom["bomFormat"], "CycloneDX");
        assert_eq!(bom["specVersion"], "1.5");
        let subject = &bom["metadata"]["component"];
        assert_eq!(subject["name"], format!("terraform-provider-{name}"));
        assert_eq!(subject["version"], VERSION);
        let components = bom["components"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: no components"));
        let mut listed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for c in components {
            let (Some(n), Some(v)) = (c["name"].as_str(), c["version"].as_str()) else {
                panic!("{name}: a component without name and version: {c}");
            };
            assert!(
                c["purl"]
                    .as_str()
                    .is_some_and(|p| p.starts_with(&format!("pkg:cargo/{n}@{v}"))),
                "{name}: {n} {v} has no cargo package URL: {c}"
            );
            let bom_ref = c["bom-ref"].as_str().unwrap_or_default();
            assert!(
                !bom_ref.contains(&*repo().to_string_lossy()),
                "{name}: bom-ref holds the checkout path: {bom_ref}"
            );
            listed.entry(n.to_owned()).or_default().insert(v.to_owned());
        }
        for krate in RUNTIME_CRATES.iter().chain(&WORKSPACE_CRATES) {
            let want = locked
                .get(*krate)
                .unwrap_or_else(|| panic!("{krate} is not in Cargo.lock"));
            assert_eq!(listed.get(*krate), Some(want), "{name}: {krate}");
        }
        for (n, versions) in &listed {
            let lock = locked.get(n).cloned().unwrap_or_default();
            assert!(
                versions.is_subset(&lock),
                "{name}: {n} {versions:?} is not what Cargo.lock holds ({lock:?})"
            );
        }
        assert!(
            !listed.contains_key("hwsnap-emulator"),
            "{name}: the emulator is a dev-dependency"
        );
        let sums = String::from_utf8_lossy(&read(&r.file(name, "SHA256SUMS"))).into_owned();
        let file = format!("{}_sbom.cdx.json", Release::base(name));
        assert!(
            sums.lines().any(|l| l.ends_with(&format!("  {file}"))),
            "{file} is not in SHA256SUMS:\n{sums}"
        );
    }
}

/// Validate against the CycloneDX 1.5 JSON schema, with the schema and
/// validator of `cyclonedx-python-lib` (in the release tools' venv).
fn validate_cyclonedx(path: &Path) {
    let python = repo().join(".tools/release-venv/bin/python");
    let script = "import sys\n\
        from cyclonedx.schema import SchemaVersion\n\
        from cyclonedx.validation.json import JsonStrictValidator\n\
        with open(sys.argv[1]) as f: error = JsonStrictValidator(SchemaVersion.V1_5).validate_str(f.read())\n\
        sys.exit(str(error) if error else 0)";
    let out = Command::new(&python)
        .args(["-c", script])
        .arg(path)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {} ({e}); scripts/release installs it",
                python.display()
            )
        });
    expect_success(
        &format!("CycloneDX 1.5 schema validation of {}", path.display()),
        &out,
    );
}

#[test]
fn the_mirror_config_names_the_packed_mirror() {
    let r = release();
    let mirror = r
        .mirror
        .canonicalize()
        .unwrap_or_else(|e| panic!("{}: {e}", r.mirror.display()));
    assert!(
        r.mirror_config
            .contains(&format!("path    = \"{}\"", mirror.display())),
        "{}",
        r.mirror_config
    );
    assert!(
        !r.mirror_config.contains("dev_overrides"),
        "{}",
        r.mirror_config
    );
    for name in NAMES {
        let zip = r.mirror.join(format!(
            "registry.terraform.io/hwsnap/{name}/terraform-provider-{name}_{VERSION}_linux_amd64.zip"
        ));
        assert!(read(&zip) == read(&r.zip(name)), "{}", zip.display());
    }
}

#[test]
fn a_zip_that_does_not_match_its_sums_is_refused() {
    let r = release();
    let from = r.work.join("tampered");
    fs::create_dir_all(&from).unwrap_or_else(|e| panic!("{e}"));
    for suffix in ["linux_amd64.zip", "SHA256SUMS"] {
        let file = format!("{}_{suffix}", Release::base("dws"));
        fs::copy(r.dist.join(&file), from.join(&file)).unwrap_or_else(|e| panic!("{e}"));
    }
    let zip = from.join(format!("{}_linux_amd64.zip", Release::base("dws")));
    let mut bytes = read(&zip);
    bytes.push(0);
    fs::write(&zip, bytes).unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new(repo().join("scripts/release"))
        .arg("--mirror")
        .arg(r.work.join("tampered-mirror"))
        .arg("--from")
        .arg(&from)
        .output()
        .unwrap_or_else(|e| panic!("cannot run scripts/release: {e}"));
    assert!(!out.status.success(), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!(
            "terraform-provider-dws_{VERSION}_linux_amd64.zip does not match"
        )),
        "{}",
        show(&out)
    );
    assert!(
        !r.work
            .join("tampered-mirror/registry.terraform.io/hwsnap/dws")
            .exists()
    );
}

/// The lock file's `hashes` for `source`, and its version.
fn locked_provider(lock: &str, source: &str) -> (String, Vec<String>) {
    let start = lock
        .find(&format!("provider \"{source}\" {{"))
        .unwrap_or_else(|| panic!("no {source} in the lock file:\n{lock}"));
    let block = &lock[start..];
    let block = &block[..block.find("\n}").unwrap_or(block.len())];
    let version = block
        .lines()
        .find_map(|l| l.trim().strip_prefix("version"))
        .and_then(|r| r.split('"').nth(1))
        .unwrap_or_else(|| panic!("no version in {block}"))
        .to_owned();
    let hashes = block
        .split('"')
        .filter(|s| s.starts_with("h1:") || s.starts_with("zh:"))
        .map(str::to_owned)
        .collect();
    (version, hashes)
}

#[test]
fn terraform_installs_the_release_from_a_packed_mirror_and_applies_with_it() {
    let r = release();
    for_each_cli(|cli| {
        let emu = Emulator::start(EmulatorOptions::default());
        let wd = Workdir::new(cli, &emu);
        // The printed block, and nothing else: no dev_overrides.
        wd.write(".terraformrc", &r.mirror_config);
        wd.write(
            "main.tf",
            &format!(
                r#"
terraform {{
  required_providers {{
    dws = {{ source = "hwsnap/dws", version = "{VERSION}" }}
    css = {{ source = "hwsnap/css", version = "{VERSION}" }}
  }}
}}

resource "dws_snapshot" "s" {{
  cluster_id = "{dws}"
  name       = "from-the-release"
}}

resource "css_index_snapshot" "s" {{
  cluster_id = "{css}"
  name       = "from-the-release"
}}
"#,
                dws = emu.dws_clusters()[0],
                css = emu.css_clusters()[0],
            ),
        );
        let init = wd.expect_success(&["init", "-input=false", "-no-color"]);
        assert!(!init.output().contains("development overrides"), "{init}");
        let lock = wd.read(".terraform.lock.hcl");
        for name in ["dws", "css"] {
            let (version, hashes) =
                locked_provider(&lock, &format!("registry.terraform.io/hwsnap/{name}"));
            assert_eq!(version, VERSION, "{lock}");
            let want = h1_of_dir(&r.unzipped(name));
            assert_eq!(
                hashes,
                std::slice::from_ref(&want),
                "{name}: the lock's hashes:\n{lock}"
            );
            // Terraform unpacked the very zip: the same files, the same hash.
            let installed = wd.path().join(format!(
                ".terraform/providers/registry.terraform.io/hwsnap/{name}/{VERSION}/linux_amd64"
            ));
            assert_eq!(h1_of_dir(&installed), want, "{}", installed.display());
        }
        wd.apply();
        assert_eq!(emu.snapshots("dws_snapshots").len(), 1);
        assert_eq!(emu.snapshots("css_snapshots").len(), 1);
        wd.destroy();
        assert!(emu.snapshots("dws_snapshots").is_empty());
        assert!(emu.snapshots("css_snapshots").is_empty());
    });
}
