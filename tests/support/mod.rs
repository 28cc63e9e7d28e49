//! Acceptance-test harness, in the manner of terraform-plugin-testing: the
//! main types are [`TerraformCli`] (one installed Terraform CLI),
//! [`Emulator`] (an in-process `hwsnap-emulator` on its own port and runtime)
//! and [`Workdir`] (a temp dir with a CLI config whose `dev_overrides` point
//! at the provider binaries cargo built, where `terraform` runs as a child
//! process with a clean environment); [`hcl`] writes the configurations
//! (headers, resource and import blocks, and [`hcl::Kind`], what differs
//! between the two resource types); [`standin`] builds the stand-in for the
//! official huaweicloud provider that [`Workdir::serve_standin`] serves.
//!
//! The one design decision: every test owns its emulator and its temp dir, so
//! tests run in parallel, and a missing Terraform CLI fails the run loudly
//! (`run scripts/install-terraform`) instead of skipping.
//!
//! ```ignore
//! // Once per Terraform CLI (1.15 and 1.11), concurrently:
//! support::for_each_cli(|cli| {
//!     let emu = Emulator::start(EmulatorOptions::default());
//!     let wd = Workdir::new(cli, &emu);
//!     let cluster = &emu.dws_clusters()[0];
//!     let config = hcl::required_providers(&["dws"]) + &DWS.resource("s", cluster, "nightly", "");
//!     wd.write("main.tf", &config); // resource "dws_snapshot" "s" { cluster_id = …, name = "nightly" }
//!     wd.apply();
//!     assert_eq!(emu.snapshots(DWS.state_key).len(), 1);
//! });
//! ```
#![allow(dead_code)] // each test module uses a different part of the harness

mod cli;
mod emulator;
pub mod hcl;
mod process;
pub mod standin;
pub mod workdir;

// Re-exports for the test modules; not every module uses every one.
#[allow(unused_imports)]
pub use cli::{TerraformCli, for_each_cli, for_each_cli_from, terraform_clis};
pub use emulator::{Emulator, EmulatorOptions, control_at};
#[allow(unused_imports)]
pub use process::{Run, flat};
pub use workdir::Workdir;
