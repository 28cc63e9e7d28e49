//! Discovery of the Terraform CLIs installed by `scripts/install-terraform`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The Terraform minors every acceptance test runs against, newest first.
pub const REQUIRED_MINORS: [(u32, u32); 2] = [(1, 15), (1, 11)];

/// Environment variable naming the directory that holds `terraform-1.15`,
/// `terraform-1.11`, …; defaults to `<repo>/.tools/bin`.
pub const DIR_ENV: &str = "HWSNAP_TERRAFORM_DIR";

/// One Terraform CLI executable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TerraformCli {
    /// The executable, e.g. `<repo>/.tools/bin/terraform-1.15`.
    pub path: PathBuf,
    /// The full version it reports, e.g. `"1.15.5"`.
    pub version: String,
    /// Its major version (1).
    pub major: u32,
    /// Its minor version, e.g. 15.
    pub minor: u32,
}

impl TerraformCli {
    /// A short label for messages, e.g. `terraform 1.15.5`.
    pub fn label(&self) -> String {
        format!("terraform {}", self.version)
    }

    /// Probe `path` by running `path version -json`.
    fn probe(path: &Path) -> Result<TerraformCli, String> {
        let out = Command::new(path)
            .args(["version", "-json"])
            .env_remove("TF_CLI_CONFIG_FILE")
            .env("CHECKPOINT_DISABLE", "1")
            .output()
            .map_err(|e| format!("cannot run {}: {e}", path.display()))?;
        if !out.status.success() {
            return Err(format!(
                "{} version -json exited with {}: {}",
                path.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let json: serde_json::Value = serde_json::from_slice(&out.stdout)
            .map_err(|e| format!("{} version -json printed no JSON: {e}", path.display()))?;
        let version = json["terraform_version"]
            .as_str()
            .ok_or_else(|| format!("{} version -json has no terraform_version", path.display()))?
            .to_owned();
        let (major, minor) = parse_major_minor(&version)
            .ok_or_else(|| format!("{}: unparsable version {version:?}", path.display()))?;
        Ok(TerraformCli {
            path: path.to_owned(),
            version,
            major,
            minor,
        })
    }
}

/// `"1.15.5"` → `(1, 15)`.
fn parse_major_minor(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// The directory holding the CLIs: `$HWSNAP_TERRAFORM_DIR` or `<repo>/.tools/bin`.
pub fn cli_dir() -> PathBuf {
    match std::env::var_os(DIR_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(".tools")
            .join("bin"),
    }
}

fn discover(dir: &Path) -> Result<Vec<TerraformCli>, String> {
    REQUIRED_MINORS
        .iter()
        .map(|&(major, minor)| {
            let path = dir.join(format!("terraform-{major}.{minor}"));
            if !path.exists() {
                return Err(format!("{} is missing", path.display()));
            }
            let cli = TerraformCli::probe(&path)?;
            if (cli.major, cli.minor) != (major, minor) {
                return Err(format!(
                    "{} reports Terraform {}, expected {major}.{minor}.x",
                    path.display(),
                    cli.version
                ));
            }
            Ok(cli)
        })
        .collect()
}

/// Every required Terraform CLI (1.15 and 1.11), newest first.
///
/// Panics with a clear message when one is missing or broken: acceptance
/// tests never skip. Probed once per test binary.
pub fn terraform_clis() -> &'static [TerraformCli] {
    static CLIS: OnceLock<Result<Vec<TerraformCli>, String>> = OnceLock::new();
    match CLIS.get_or_init(|| discover(&cli_dir())) {
        Ok(clis) => clis,
        Err(why) => panic!(
            "Terraform CLIs for the acceptance tests are not available: {why}\n\
             run scripts/install-terraform (or set {DIR_ENV} to a directory \
             holding terraform-1.15 and terraform-1.11)"
        ),
    }
}

/// Run `test` once per required CLI, concurrently (one thread each), and
/// fail naming every CLI whose run panicked.
///
/// ```ignore
/// for_each_cli(|cli| {
///     let emu = Emulator::start(EmulatorOptions::default());
///     Workdir::new(cli, &emu).apply();
/// });
/// ```
pub fn for_each_cli(test: impl Fn(&TerraformCli) + Sync) {
    let clis = terraform_clis();
    let test = &test;
    let failures: Vec<String> = std::thread::scope(|scope| {
        let running: Vec<_> = clis
            .iter()
            .map(|cli| (cli, scope.spawn(move || test(cli))))
            .collect();
        running
            .into_iter()
            .filter_map(|(cli, handle)| {
                handle
                    .join()
                    .err()
                    .map(|panic| format!("{}: {}", cli.label(), panic_message(panic.as_ref())))
            })
            .collect()
    });
    assert!(
        failures.is_empty(),
        "failed with {} of {} Terraform CLIs:\n{}",
        failures.len(),
        clis.len(),
        failures.join("\n")
    );
}

/// [`for_each_cli`] over the required CLIs of Terraform `min` (major,
/// minor) or later only: for features older CLIs do not have, such as
/// `terraform query` (1.14). Fails when no required CLI is that new.
pub fn for_each_cli_from(min: (u32, u32), test: impl Fn(&TerraformCli) + Sync) {
    let new_enough = |cli: &TerraformCli| (cli.major, cli.minor) >= min;
    assert!(
        terraform_clis().iter().any(new_enough),
        "no required Terraform CLI is {}.{} or later",
        min.0,
        min.1
    );
    for_each_cli(|cli| {
        if new_enough(cli) {
            test(cli)
        }
    });
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else {
        "(non-string panic)".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_major_minor() {
        assert_eq!(parse_major_minor("1.15.5"), Some((1, 15)));
        assert_eq!(parse_major_minor("1.11.4-beta1"), Some((1, 11)));
        assert_eq!(parse_major_minor("garbage"), None);
    }

    #[test]
    fn panic_messages_are_recovered() {
        let panic = std::panic::catch_unwind(|| panic!("boom {}", 1)).unwrap_err();
        assert_eq!(panic_message(panic.as_ref()), "boom 1");
    }

    #[test]
    fn missing_dir_is_a_clear_error() {
        let err = discover(Path::new("/nonexistent/hwsnap-tf")).unwrap_err();
        assert!(err.contains("terraform-1.15 is missing"), "{err}");
    }
}
