//! Finding DWS snapshots: with a `cluster_id`, the cluster's list page by
//! page (newest first, as the cloud sorts it); without, the project's list
//! (one call). Filters: name, status, type.

use hwsnap_cloud::dws::DEFAULT_PAGE_SIZE;
use hwsnap_cloud::{
    Client, DwsPages, DwsSnapshot as Cloud, DwsSnapshotType, DwsSortKey, DwsStatus,
    Error as CloudError, ListDwsSnapshots, Scope, SortDir,
};
use hwsnap_framework::{Diagnostic, async_trait};
use regex::Regex;

use super::{Found, Search, name_regex, newest_first, set};
use crate::resources::DwsSnapshotModel;

/// The statuses a DWS snapshot can be in: what `status` accepts.
pub(crate) const STATUSES: &[&str] = &[
    "CREATING",
    "AVAILABLE",
    "UNAVAILABLE",
    "FROZEN",
    "POLICE_FROZEN",
    "RESTORING",
];

/// What `type` accepts: the SDK's `AUTO` and the console's `AUTOMATED`
/// mean the same.
pub(crate) const TYPES: &[&str] = &["MANUAL", "AUTO", "AUTOMATED"];

/// An example cluster ID for messages.
pub(crate) const CLUSTER_EXAMPLE: &str = "44b277eb-39be-4921-be31-3d61b43651d7";

/// Declares a model with the DWS filters (`cluster_id`, `name_regex`,
/// `status`, `type`), then the model's own fields; and its `filter()`.
/// The list resource's config and the data source both use it, so the two
/// take the same arguments with the same rules and words.
macro_rules! dws_filters {
    ($(#[$($meta:tt)*])* pub struct $name:ident { $($own:tt)* }) => {
        hwsnap_framework::model! {
            $(#[$($meta)*])*
            pub struct $name {
                /// Only the snapshots of this DWS cluster, read from the cluster's own list page by
                /// page. Unset: every DWS snapshot of the project.
                cluster_id: Option<String> = hwsnap_framework::model::optional()
                    .validate($crate::resources::cluster_id_pattern($crate::search::dws::CLUSTER_EXAMPLE)),
                /// Only the snapshots whose name matches this regular expression (RE2 syntax,
                /// unanchored: `^nightly-` matches names starting with `nightly-`).
                name_regex: Option<String> = hwsnap_framework::model::optional()
                    .validate(hwsnap_framework::validators::IsRegex),
                /// Only the snapshots in this status.
                status: Option<String> = hwsnap_framework::model::optional()
                    .validate(hwsnap_framework::validators::OneOf($crate::search::dws::STATUSES)),
                /// Only manual snapshots (`MANUAL`) or only those the cluster's snapshot policy made
                /// (`AUTO`, or the cloud's other spelling `AUTOMATED`).
                r#type: Option<String> = hwsnap_framework::model::optional()
                    .validate(hwsnap_framework::validators::OneOf($crate::search::dws::TYPES)),
                $($own)*
            }
        }

        impl $name {
            /// The search these filters ask for.
            pub(crate) fn filter(&self) -> Result<$crate::search::dws::Filter, hwsnap_framework::Diagnostic> {
                $crate::search::dws::Filter::new(
                    self.cluster_id.as_deref(),
                    self.name_regex.as_deref(),
                    self.status.as_deref(),
                    self.r#type.as_deref(),
                )
            }
        }
    };
}
pub(crate) use dws_filters;

/// Which DWS snapshots to find.
#[derive(Debug)]
pub(crate) struct Filter {
    cluster_id: Option<String>,
    name: Option<Regex>,
    status: Option<DwsStatus>,
    kind: Option<DwsSnapshotType>,
}

impl Filter {
    /// The filters as configured (each already validated; empty strings
    /// count as unset).
    pub(crate) fn new(
        cluster_id: Option<&str>,
        name: Option<&str>,
        status: Option<&str>,
        kind: Option<&str>,
    ) -> Result<Self, Diagnostic> {
        Ok(Self {
            cluster_id: set(cluster_id).map(str::to_owned),
            name: name_regex(set(name))?,
            status: set(status).map(DwsStatus::parse),
            kind: set(kind).map(DwsSnapshotType::parse),
        })
    }

    fn matches(&self, s: &Cloud) -> bool {
        self.name.as_ref().is_none_or(|r| r.is_match(&s.name))
            && self.status.as_ref().is_none_or(|st| *st == s.status)
            && self
                .kind
                .as_ref()
                .is_none_or(|k| s.snapshot_type.as_ref() == Some(k))
    }

    /// The matching snapshots of a list, as found.
    fn found(&self, snapshots: &[Cloud]) -> Vec<Found<DwsSnapshotModel>> {
        let cluster = self.cluster_id.as_deref().unwrap_or_default();
        snapshots
            .iter()
            .filter(|s| self.matches(s))
            .map(|s| {
                let model = DwsSnapshotModel::from_cloud(s, cluster);
                let cluster = model
                    .cluster_name
                    .clone()
                    .unwrap_or(model.cluster_id.clone());
                let status = model.status.clone().unwrap_or_default();
                Found::new(model, &s.name, &cluster, &status, s.started)
            })
            .collect()
    }
}

/// A search of DWS snapshots (see the module doc).
pub(crate) struct DwsSearch<'a> {
    client: &'a Client,
    filter: Filter,
    /// The cluster's pages, once started.
    pages: Option<DwsPages<'a>>,
    done: bool,
}

impl<'a> DwsSearch<'a> {
    pub(crate) fn new(client: &'a Client, filter: Filter) -> Self {
        Self {
            client,
            filter,
            pages: None,
            done: false,
        }
    }
}

#[async_trait]
impl Search for DwsSearch<'_> {
    type Model = DwsSnapshotModel;
    const WHAT: &'static str = "DWS snapshots";

    async fn next(&mut self, scope: &Scope) -> Result<Option<Vec<Found<Self::Model>>>, CloudError> {
        if self.done {
            return Ok(None);
        }
        let Some(cluster_id) = self.filter.cluster_id.clone() else {
            // The project's list: one call, in the cloud's order.
            self.done = true;
            let all = self.client.dws().list_snapshots(scope).await?;
            let mut found = self.filter.found(&all);
            newest_first(&mut found);
            return Ok(Some(found));
        };
        let dws = self.client.dws();
        let pages = self.pages.get_or_insert_with(|| {
            dws.cluster_pages(ListDwsSnapshots {
                cluster_id,
                page_size: DEFAULT_PAGE_SIZE,
                sort: Some((DwsSortKey::Started, SortDir::Desc)),
            })
        });
        match pages.next(scope).await? {
            Some(page) => Ok(Some(self.filter.found(&page.snapshots))),
            None => {
                self.done = true;
                Ok(None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(name: &str, status: DwsStatus, kind: Option<DwsSnapshotType>) -> Cloud {
        Cloud {
            name: name.into(),
            status,
            snapshot_type: kind,
            ..crate::resources::dws_test_snapshot()
        }
    }

    #[test]
    fn filters_by_name_status_and_either_spelling_of_automatic() {
        use DwsSnapshotType::{Automated, Manual};
        let all = [
            snapshot("nightly-1", DwsStatus::Available, Some(Manual)),
            snapshot("nightly-2", DwsStatus::Creating, Some(Manual)),
            snapshot("auto-1", DwsStatus::Available, Some(Automated)),
            snapshot("other", DwsStatus::Available, None),
        ];
        let names = |f: Filter| -> Vec<String> {
            f.found(&all).into_iter().map(|f| f.model.name).collect()
        };
        let f = |n, s, k| Filter::new(None, n, s, k).unwrap();
        assert_eq!(
            names(f(Some("^nightly-"), None, None)),
            ["nightly-1", "nightly-2"]
        );
        assert_eq!(names(f(None, Some("CREATING"), None)), ["nightly-2"]);
        assert_eq!(names(f(None, None, Some("AUTO"))), ["auto-1"]);
        assert_eq!(names(f(None, None, Some("AUTOMATED"))), ["auto-1"]);
        assert_eq!(
            names(f(None, Some("AVAILABLE"), Some("MANUAL"))),
            ["nightly-1"]
        );
        assert_eq!(
            names(f(Some(""), Some(""), None)).len(),
            4,
            "empty is unset"
        );
        assert!(names(f(Some("^none$"), None, None)).is_empty());
    }

    #[test]
    fn found_snapshots_are_the_resource_model_with_a_label() {
        let f = Filter::new(None, None, None, None).unwrap();
        let found = f.found(&[crate::resources::dws_test_snapshot()]);
        let one = &found[0];
        assert_eq!(
            one.model,
            DwsSnapshotModel::from_cloud(&crate::resources::dws_test_snapshot(), "")
        );
        assert_eq!(
            one.display_name,
            "nightly (cluster dws-1, AVAILABLE, 2025-11-25T12:00:00Z)"
        );
    }
}
