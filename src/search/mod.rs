//! Finding the snapshots that exist, written once for the list resources
//! (`terraform query`) and the data sources: the filters both take (one
//! macro per service declares them in both models), the cloud's lists read
//! page by page, and each snapshot as its resource's own model — the same
//! conversion a read uses, so a listed object equals what a read after
//! import gives — with a label for people.
//!
//! A [`Search`] hands out what it found one page at a time: a list resource
//! stops asking once Terraform's `limit` is reached, so no further page is
//! requested ([`stream`]); a data source takes every page ([`all`]). Results
//! come newest first.

pub(crate) mod css;
pub(crate) mod dws;

use hwsnap_cloud::{Error as CloudError, Scope};
use hwsnap_framework::cty::AttributePath;
use hwsnap_framework::{Diagnostic, ListSink, Model, async_trait};
use regex::Regex;
use time::OffsetDateTime;
use time::macros::format_description;

use crate::resources::cloud_diagnostic;

/// One snapshot found: its resource's model and a label for people.
pub(crate) struct Found<M> {
    pub model: M,
    pub display_name: String,
    started: Option<OffsetDateTime>,
}

impl<M> Found<M> {
    /// A snapshot named `name` of cluster `cluster` (its name, else its ID),
    /// in `status`, started at `started`.
    fn new(
        model: M,
        name: &str,
        cluster: &str,
        status: &str,
        started: Option<OffsetDateTime>,
    ) -> Self {
        Self {
            model,
            display_name: display_name(name, cluster, status, started),
            started,
        }
    }
}

/// `nightly-01 (cluster my-dws, AVAILABLE, 2026-11-30T02:00:00Z)`; the time
/// is left out when the cloud gives none.
fn display_name(
    name: &str,
    cluster: &str,
    status: &str,
    started: Option<OffsetDateTime>,
) -> String {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    let when = started
        .and_then(|t| t.to_offset(time::UtcOffset::UTC).format(&format).ok())
        .map(|t| format!(", {t}"))
        .unwrap_or_default();
    format!("{name} (cluster {cluster}, {status}{when})")
}

/// Newest first; snapshots without a start time last, ties in the cloud's
/// order.
fn newest_first<M>(found: &mut [Found<M>]) {
    found.sort_by_key(|f| std::cmp::Reverse(f.started));
}

/// A filter's value; empty counts as unset.
fn set(v: Option<&str>) -> Option<&str> {
    v.filter(|v| !v.is_empty())
}

/// The `name_regex` filter, compiled. Validation has refused a bad one
/// already; a value that reaches here unchecked gets the same words.
fn name_regex(pattern: Option<&str>) -> Result<Option<Regex>, Diagnostic> {
    use hwsnap_framework::validators::{IsRegex, Validator};
    let Some(pattern) = pattern else {
        return Ok(None);
    };
    Regex::new(pattern).map(Some).map_err(|_| {
        let why = IsRegex
            .validate(&hwsnap_framework::cty::Value::string(pattern))
            .err()
            .unwrap_or_default();
        Diagnostic::error(
            "Invalid value for name_regex",
            format!("The value of name_regex {why}."),
        )
        .at(AttributePath::attr("name_regex"))
    })
}

/// The snapshots of one search, page by page.
#[async_trait]
pub(crate) trait Search: Send {
    /// The listed resource's model.
    type Model: Model;

    /// What is searched, for messages: "DWS snapshots".
    const WHAT: &'static str;

    /// The next page's matching snapshots (possibly none), or `None` after
    /// the last page.
    async fn next(&mut self, scope: &Scope) -> Result<Option<Vec<Found<Self::Model>>>, CloudError>;
}

fn failed<S: Search>(e: &CloudError) -> Diagnostic {
    cloud_diagnostic(&format!("Failed to list {}", S::WHAT), e)
}

/// Every snapshot the search (or its filters' error) finds, newest first
/// (for a data source).
pub(crate) async fn all<S: Search>(
    search: Result<S, Diagnostic>,
    scope: &Scope,
) -> Result<Vec<S::Model>, Diagnostic> {
    let mut search = search?;
    let mut found = Vec::new();
    while let Some(page) = search.next(scope).await.map_err(|e| failed::<S>(&e))? {
        found.extend(page);
    }
    newest_first(&mut found);
    Ok(found.into_iter().map(|f| f.model).collect())
}

/// Sends each snapshot the search finds to Terraform as it is found, and
/// stops calling the cloud as soon as Terraform has read enough (for a list
/// resource). Its filters' error, or a failed call, is a diagnostic.
pub(crate) async fn stream<S: Search>(
    search: Result<S, Diagnostic>,
    scope: &Scope,
    out: &mut ListSink<'_, S::Model>,
) {
    let mut search = match search {
        Ok(s) => s,
        Err(d) => return out.diagnostic(d).await,
    };
    loop {
        match search.next(scope).await {
            Ok(Some(page)) => {
                for f in page {
                    if !out.push(f.display_name, f.model).await {
                        return;
                    }
                }
            }
            Ok(None) => return,
            Err(e) => return out.diagnostic(failed::<S>(&e)).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_say_cluster_status_and_start() {
        let t = OffsetDateTime::from_unix_timestamp(1_796_004_000).ok();
        assert_eq!(
            display_name("nightly-01", "my-dws", "AVAILABLE", t),
            "nightly-01 (cluster my-dws, AVAILABLE, 2026-11-30T02:00:00Z)"
        );
        assert_eq!(
            display_name("n", "c", "BUILDING", None),
            "n (cluster c, BUILDING)"
        );
    }

    #[test]
    fn newest_come_first_and_undated_last() {
        let at = |s| OffsetDateTime::from_unix_timestamp(s).ok();
        let mut found: Vec<Found<&str>> = [
            ("old", at(1)),
            ("none", None),
            ("new", at(9)),
            ("mid", at(5)),
        ]
        .into_iter()
        .map(|(n, t)| Found::new(n, n, "c", "S", t))
        .collect();
        newest_first(&mut found);
        let order: Vec<&str> = found.iter().map(|f| f.model).collect();
        assert_eq!(order, ["new", "mid", "old", "none"]);
    }

    #[test]
    fn a_bad_regex_is_refused_at_its_attribute() {
        assert!(name_regex(None).unwrap().is_none());
        assert!(name_regex(Some("^n")).unwrap().unwrap().is_match("nightly"));
        let d = name_regex(Some("(")).unwrap_err();
        assert_eq!(d.path, Some(AttributePath::attr("name_regex")));
        assert!(d.detail.contains("unclosed group"), "{}", d.detail);
    }
}
