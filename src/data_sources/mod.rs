//! The data sources, for every Terraform version: `dws_snapshots` and
//! `css_index_snapshots` take the list resources' filters and export every
//! snapshot found (with every attribute its resource has), newest first,
//! and their IDs. Nothing found is an empty list, not an error.

mod css_index_snapshots;
mod dws_snapshots;

pub use css_index_snapshots::{CssIndexSnapshots, Model as CssIndexSnapshotsModel};
pub use dws_snapshots::{DwsSnapshots, Model as DwsSnapshotsModel};

use std::time::Duration;

use hwsnap_framework::timeouts::Timeout;

/// How long a data source may take to list unless `timeouts.read` says
/// otherwise.
pub(crate) const TIMEOUTS: &[Timeout] = &[Timeout {
    operation: "read",
    default: Duration::from_secs(5 * 60),
}];
