//! # data "dws_snapshots"
//!
//! The DWS snapshots that exist — of one cluster, or of the whole project —
//! filtered by name, status and type: each with every attribute of a
//! `dws_snapshot`, newest first, and their IDs.

use hwsnap_cloud::Client;
use hwsnap_framework::data_source::{ReadRequest, ReadResponse};
use hwsnap_framework::model::computed;
use hwsnap_framework::timeouts::Timeout;
use hwsnap_framework::{DataSource, async_trait};

use super::TIMEOUTS;
use crate::resources::{Ctx, DwsSnapshotModel, scope};
use crate::search::all;
use crate::search::dws::{DwsSearch, dws_filters};

dws_filters! {
    /// The GaussDB(DWS) snapshots that exist, manual and automatic, filtered by cluster, name,
    /// status and type, newest first. A filter that matches nothing gives empty lists.
    pub struct Model {
        /// The snapshots found, newest first, each with every attribute of a `dws_snapshot`.
        snapshots: Option<Vec<DwsSnapshotModel>> = computed(),
        /// The IDs of the snapshots found, in the same order.
        ids: Option<Vec<String>> = computed(),
    }
}

/// The `dws_snapshots` data source type.
pub struct DwsSnapshots;

#[async_trait]
impl DataSource<Client> for DwsSnapshots {
    type Model = Model;
    const TYPE_NAME: &'static str = "dws_snapshots";
    const TIMEOUTS: &'static [Timeout] = TIMEOUTS;

    async fn read(&self, ctx: &Ctx<'_>, req: ReadRequest<Model>, resp: &mut ReadResponse<Model>) {
        let search = req.config.filter().map(|f| DwsSearch::new(ctx.data, f));
        match all(search, &scope(ctx)).await {
            Ok(found) => {
                resp.state.ids = Some(found.iter().filter_map(|s| s.id.clone()).collect());
                resp.state.snapshots = Some(found);
            }
            Err(d) => resp.diagnostics.push(d),
        }
    }
}
