//! terraform-provider-hwsnap: Huawei Cloud snapshots for Terraform.
//!
//! Main types: [`HwsnapProvider`] (the provider block and its resource
//! types), the resources [`resources::DwsSnapshot`] and
//! [`resources::CssIndexSnapshot`], the list resources of the same names
//! ([`list_resources`], for `terraform query`), the data sources
//! [`data_sources::DwsSnapshots`] and [`data_sources::CssIndexSnapshots`],
//! which share one search of existing snapshots, the actions
//! [`actions::DwsCreateSnapshot`], [`actions::CssCreateIndexSnapshot`] and
//! [`actions::CssRestoreIndexSnapshot`], and [`main`], which each of the
//! three thin binaries calls with the types it serves.
//!
//! The one design decision to know: one library, three binaries. Terraform
//! takes a resource type's prefix as its provider's local name, so
//! `terraform-provider-dws` serves `dws_snapshot` (source `hwsnap/dws`),
//! `terraform-provider-css` serves `css_index_snapshot` (source `hwsnap/css`),
//! and `terraform-provider-hwsnap` serves both for users who prefer one
//! provider with the `provider` meta-argument.

pub mod actions;
pub mod data_sources;
pub mod list_resources;
pub mod provider;
pub mod resources;
mod search;

use std::process::ExitCode;

pub use provider::{HwsnapProvider, Serves};

/// Runs a provider binary serving `serves`: the go-plugin handshake, AutoMTLS
/// and the tfplugin6 service, until Terraform shuts it down.
pub fn main(serves: Serves) -> ExitCode {
    hwsnap_framework::serve(HwsnapProvider::new(serves), serves.address())
}
