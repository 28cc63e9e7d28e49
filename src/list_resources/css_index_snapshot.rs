//! # list "css_index_snapshot"
//!
//! Finds the existing index snapshots of one CSS cluster by name, status
//! and backup method. Each result is a `css_index_snapshot` with its
//! identity `{ cluster_id, id }`.

use hwsnap_cloud::Client;
use hwsnap_framework::{ListRequest, ListResource, ListSink, async_trait};

use crate::resources::{CssIndexSnapshot, CssIndexSnapshotModel, Ctx, scope};
use crate::search::css::{CssSearch, css_filters};
use crate::search::stream;

css_filters! {
    /// Finds the existing index snapshots of a Cloud Search Service cluster, manual and
    /// automatic, to import them as `css_index_snapshot` resources. Results come newest first.
    pub struct Config {}
}

/// The `css_index_snapshot` list resource type.
pub struct CssIndexSnapshotList;

#[async_trait]
impl ListResource<Client> for CssIndexSnapshotList {
    type Resource = CssIndexSnapshot;
    type Config = Config;

    async fn list(
        &self,
        ctx: &Ctx<'_>,
        req: ListRequest<Config>,
        out: &mut ListSink<'_, CssIndexSnapshotModel>,
    ) {
        let search = req.config.filter().map(|f| CssSearch::new(ctx.data, f));
        stream(search, &scope(ctx), out).await
    }
}
