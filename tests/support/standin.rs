//! The stand-in for the official huaweicloud provider
//! (`crates/hwsnap-standin`), for the tests of `moved` blocks: built once per
//! test run with the cargo running the tests (a no-op when `cargo build
//! --workspace --bins` already built it), then served by a [`Workdir`]
//! through `dev_overrides` when a test asks ([`Workdir::serve_standin`]).
//!
//! [`Workdir`]: super::Workdir
//! [`Workdir::serve_standin`]: super::Workdir::serve_standin

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The official provider's address: what the stand-in is served as.
pub const OFFICIAL: &str = "registry.terraform.io/huaweicloud/huaweicloud";

const PACKAGE: &str = "hwsnap-standin";
const BINARY: &str = "terraform-provider-huaweicloud";

/// The stand-in's executable, built on first use with the profile of the
/// provider binaries under test.
pub fn executable() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(build)
}

fn build() -> PathBuf {
    let release = super::workdir::provider_dir().ends_with("release");
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args(["build", "--package", PACKAGE, "--bin", BINARY])
        .arg("--message-format=json-render-diagnostics")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    if release {
        cmd.arg("--release");
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run cargo to build {BINARY}: {e}"));
    assert!(
        out.status.success(),
        "building {BINARY} (cargo build -p {PACKAGE}) failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .unwrap_or_else(|| panic!("cargo build -p {PACKAGE} named no executable for {BINARY}"))
}

/// The provider type of a source address (`…/huaweicloud` → `huaweicloud`).
pub fn provider_type(address: &str) -> &str {
    address.rsplit('/').next().unwrap_or(address)
}
