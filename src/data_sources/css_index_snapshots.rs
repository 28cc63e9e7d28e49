//! # data "css_index_snapshots"
//!
//! The index snapshots of one CSS cluster, filtered by name, status and
//! backup method: each with every attribute of a `css_index_snapshot`,
//! newest first, and their IDs.

use hwsnap_cloud::Client;
use hwsnap_framework::data_source::{ReadRequest, ReadResponse};
use hwsnap_framework::model::computed;
use hwsnap_framework::timeouts::Timeout;
use hwsnap_framework::{DataSource, async_trait};

use super::TIMEOUTS;
use crate::resources::{CssIndexSnapshotModel, Ctx, scope};
use crate::search::all;
use crate::search::css::{CssSearch, css_filters};

css_filters! {
    /// The index snapshots of a Cloud Search Service cluster, manual and automatic, filtered by
    /// name, status and backup method, newest first. A filter that matches nothing gives empty
    /// lists.
    pub struct Model {
        /// The snapshots found, newest first, each with every attribute of a
        /// `css_index_snapshot`.
        snapshots: Option<Vec<CssIndexSnapshotModel>> = computed(),
        /// The IDs of the snapshots found, in the same order.
        ids: Option<Vec<String>> = computed(),
    }
}

/// The `css_index_snapshots` data source type.
pub struct CssIndexSnapshots;

#[async_trait]
impl DataSource<Client> for CssIndexSnapshots {
    type Model = Model;
    const TYPE_NAME: &'static str = "css_index_snapshots";
    const TIMEOUTS: &'static [Timeout] = TIMEOUTS;

    async fn read(&self, ctx: &Ctx<'_>, req: ReadRequest<Model>, resp: &mut ReadResponse<Model>) {
        let search = req.config.filter().map(|f| CssSearch::new(ctx.data, f));
        match all(search, &scope(ctx)).await {
            Ok(found) => {
                resp.state.ids = Some(found.iter().filter_map(|s| s.id.clone()).collect());
                resp.state.snapshots = Some(found);
            }
            Err(d) => resp.diagnostics.push(d),
        }
    }
}
