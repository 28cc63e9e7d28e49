//! # list "dws_snapshot"
//!
//! Finds existing DWS snapshots — of one cluster (its list, page by page)
//! or of the whole project — by name, status and type. Each result is a
//! `dws_snapshot` with its identity `{ id }`.

use hwsnap_cloud::Client;
use hwsnap_framework::{ListRequest, ListResource, ListSink, async_trait};

use crate::resources::{Ctx, DwsSnapshot, DwsSnapshotModel, scope};
use crate::search::dws::{DwsSearch, dws_filters};
use crate::search::stream;

dws_filters! {
    /// Finds existing GaussDB(DWS) snapshots, manual and automatic, to import them as
    /// `dws_snapshot` resources. Every filter is optional; results come newest first.
    pub struct Config {}
}

/// The `dws_snapshot` list resource type.
pub struct DwsSnapshotList;

#[async_trait]
impl ListResource<Client> for DwsSnapshotList {
    type Resource = DwsSnapshot;
    type Config = Config;

    async fn list(
        &self,
        ctx: &Ctx<'_>,
        req: ListRequest<Config>,
        out: &mut ListSink<'_, DwsSnapshotModel>,
    ) {
        let search = req.config.filter().map(|f| DwsSearch::new(ctx.data, f));
        stream(search, &scope(ctx), out).await
    }
}
