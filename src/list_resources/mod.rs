//! The list resources, for `terraform query` (Terraform 1.14 and later):
//! one per resource type, named like it, finding existing snapshots so they
//! can be imported. Each is a few lines over the crate's search of
//! snapshots (shared with the data sources): its config holds the search's
//! filters; the framework derives each result's identity, adds the full
//! object when asked, and stops at `limit`.

mod css_index_snapshot;
mod dws_snapshot;

pub use css_index_snapshot::{Config as CssIndexSnapshotListConfig, CssIndexSnapshotList};
pub use dws_snapshot::{Config as DwsSnapshotListConfig, DwsSnapshotList};
