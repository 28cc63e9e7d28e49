//! Finding CSS index snapshots: one cluster's list (CSS has no paging and
//! no filters), taken from the client's shared per-cluster list, so reads,
//! data sources and list results of one cluster in one command share one
//! request. Filters: name, status, backup method.

use hwsnap_cloud::{
    Client, CssBackupMethod, CssSnapshot as Cloud, CssStatus, Error as CloudError, Fresh, Scope,
};
use hwsnap_framework::{Diagnostic, async_trait};
use regex::Regex;

use super::{Found, Search, name_regex, newest_first, set};
use crate::resources::CssIndexSnapshotModel;

/// The statuses a CSS snapshot can be in: what `status` accepts.
pub(crate) const STATUSES: &[&str] = &["BUILDING", "COMPLETED", "FAILED", "PART_FAILED"];

/// What `backup_method` accepts.
pub(crate) const METHODS: &[&str] = &["manual", "auto"];

/// An example cluster ID for messages.
pub(crate) const CLUSTER_EXAMPLE: &str = "4f3deec3-efa8-4598-bf91-560aad1377a3";

/// Declares a model with the CSS filters (`cluster_id`, required;
/// `name_regex`, `status`, `backup_method`), then the model's own fields;
/// and its `filter()`. Used by the list resource's config and the data
/// source alike.
macro_rules! css_filters {
    ($(#[$($meta:tt)*])* pub struct $name:ident { $($own:tt)* }) => {
        hwsnap_framework::model! {
            $(#[$($meta)*])*
            pub struct $name {
                /// The CSS cluster whose index snapshots to find.
                cluster_id: String = hwsnap_framework::model::required()
                    .validate($crate::resources::cluster_id_pattern($crate::search::css::CLUSTER_EXAMPLE)),
                /// Only the snapshots whose name matches this regular expression (RE2 syntax,
                /// unanchored: `^nightly-` matches names starting with `nightly-`).
                name_regex: Option<String> = hwsnap_framework::model::optional()
                    .validate(hwsnap_framework::validators::IsRegex),
                /// Only the snapshots in this status.
                status: Option<String> = hwsnap_framework::model::optional()
                    .validate(hwsnap_framework::validators::OneOf($crate::search::css::STATUSES)),
                /// Only manual snapshots (`manual`) or only those the cluster's snapshot policy made
                /// (`auto`).
                backup_method: Option<String> = hwsnap_framework::model::optional()
                    .validate(hwsnap_framework::validators::OneOf($crate::search::css::METHODS)),
                $($own)*
            }
        }

        impl $name {
            /// The search these filters ask for.
            pub(crate) fn filter(&self) -> Result<$crate::search::css::Filter, hwsnap_framework::Diagnostic> {
                $crate::search::css::Filter::new(
                    &self.cluster_id,
                    self.name_regex.as_deref(),
                    self.status.as_deref(),
                    self.backup_method.as_deref(),
                )
            }
        }
    };
}
pub(crate) use css_filters;

/// Which CSS index snapshots to find.
#[derive(Debug)]
pub(crate) struct Filter {
    cluster_id: String,
    name: Option<Regex>,
    status: Option<CssStatus>,
    method: Option<CssBackupMethod>,
}

impl Filter {
    /// The filters as configured (each already validated; empty strings
    /// count as unset).
    pub(crate) fn new(
        cluster_id: &str,
        name: Option<&str>,
        status: Option<&str>,
        method: Option<&str>,
    ) -> Result<Self, Diagnostic> {
        Ok(Self {
            cluster_id: cluster_id.to_owned(),
            name: name_regex(set(name))?,
            status: set(status).map(CssStatus::parse),
            method: set(method).map(CssBackupMethod::parse),
        })
    }

    fn matches(&self, s: &Cloud) -> bool {
        self.name.as_ref().is_none_or(|r| r.is_match(&s.name))
            && self.status.as_ref().is_none_or(|st| *st == s.status)
            && self
                .method
                .as_ref()
                .is_none_or(|m| s.backup_method.as_ref() == Some(m))
    }

    /// The matching snapshots of the cluster's list, newest first.
    fn found(&self, snapshots: &[Cloud]) -> Vec<Found<CssIndexSnapshotModel>> {
        let mut found: Vec<_> = snapshots
            .iter()
            .filter(|s| self.matches(s))
            .map(|s| {
                let model = CssIndexSnapshotModel::from_cloud(s, &self.cluster_id, None);
                let cluster = model
                    .cluster_name
                    .clone()
                    .unwrap_or(self.cluster_id.clone());
                let status = model.status.clone().unwrap_or_default();
                Found::new(model, &s.name, &cluster, &status, s.start_time)
            })
            .collect();
        newest_first(&mut found);
        found
    }
}

/// A search of one cluster's CSS index snapshots (see the module doc).
pub(crate) struct CssSearch<'a> {
    client: &'a Client,
    filter: Filter,
    done: bool,
}

impl<'a> CssSearch<'a> {
    pub(crate) fn new(client: &'a Client, filter: Filter) -> Self {
        Self {
            client,
            filter,
            done: false,
        }
    }
}

#[async_trait]
impl Search for CssSearch<'_> {
    type Model = CssIndexSnapshotModel;
    const WHAT: &'static str = "CSS index snapshots";

    async fn next(&mut self, scope: &Scope) -> Result<Option<Vec<Found<Self::Model>>>, CloudError> {
        if self.done {
            return Ok(None);
        }
        self.done = true;
        let fresh = Fresh::Within(self.client.list_reuse());
        let all = self
            .client
            .css()
            .list_snapshots(&self.filter.cluster_id, fresh, scope)
            .await?;
        Ok(Some(self.filter.found(&all)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(name: &str, status: CssStatus, method: CssBackupMethod, started: i64) -> Cloud {
        Cloud {
            name: name.into(),
            status,
            backup_method: Some(method),
            start_time: time::OffsetDateTime::from_unix_timestamp(started).ok(),
            ..crate::resources::css_test_snapshot()
        }
    }

    #[test]
    fn filters_and_sorts_newest_first() {
        use CssBackupMethod::{Auto, Manual};
        let all = [
            snapshot("nightly-1", CssStatus::Completed, Manual, 100),
            snapshot("nightly-2", CssStatus::Building, Manual, 300),
            snapshot("snapshot-auto", CssStatus::Completed, Auto, 200),
        ];
        let names = |f: Filter| -> Vec<String> {
            f.found(&all).into_iter().map(|f| f.model.name).collect()
        };
        let f = |n, s, m| Filter::new("c", n, s, m).unwrap();
        assert_eq!(
            names(f(None, None, None)),
            ["nightly-2", "snapshot-auto", "nightly-1"]
        );
        assert_eq!(
            names(f(Some("^nightly"), Some("COMPLETED"), None)),
            ["nightly-1"]
        );
        assert_eq!(names(f(None, None, Some("auto"))), ["snapshot-auto"]);
        assert_eq!(names(f(None, Some("FAILED"), None)).len(), 0);
    }

    #[test]
    fn found_snapshots_are_what_a_read_after_import_gives() {
        let f = Filter::new("c", None, None, None).unwrap();
        let cloud = crate::resources::css_test_snapshot();
        let found = f.found(std::slice::from_ref(&cloud));
        // A read after import starts with no indices: the cloud's are taken.
        assert_eq!(
            found[0].model,
            CssIndexSnapshotModel::from_cloud(&cloud, "c", None)
        );
        assert_eq!(found[0].model.cluster_id, "c");
        assert_eq!(
            found[0].display_name,
            "nightly (cluster css-1, COMPLETED, 2025-11-25T12:00:00Z)"
        );
    }
}
