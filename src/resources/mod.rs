//! The resource types, one file each, and the few pieces they share:
//! schema pieces, reading inputs, writing times, queueing on a cluster, and turning client
//! and wait errors into diagnostics.

mod css_index_snapshot;
mod dws_snapshot;

pub use css_index_snapshot::CssIndexSnapshot;
pub use dws_snapshot::DwsSnapshot;

use std::time::Duration;

use hwsnap_cloud::{Client, ClusterGuard, Created, Error as CloudError};
use hwsnap_cty::{AttributePath, Type, Value};
use hwsnap_framework::schema::{Attribute, Mode};
use hwsnap_framework::timeouts::Timeout;
use hwsnap_framework::validators::Pattern;
use hwsnap_framework::wait::{self, Backoff, Poll, WaitError};
use hwsnap_framework::{CreateResponse, Ctx, Diagnostic};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// How long a create and a delete may take unless `timeouts` says otherwise,
/// for both snapshot types.
pub(crate) const CREATE: Timeout = Timeout {
    operation: "create",
    default: Duration::from_secs(30 * 60),
};
pub(crate) const DELETE: Timeout = Timeout {
    operation: "delete",
    default: Duration::from_secs(10 * 60),
};

/// A computed attribute.
pub(crate) fn computed(name: &'static str, ty: Type, description: &str) -> Attribute {
    Attribute::new(name, ty, Mode::Computed, description)
}

/// A cluster ID must be a UUID; `example` goes into the message.
pub(crate) fn cluster_id_pattern(example: &str) -> Pattern {
    Pattern::new(
        r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
        format!("be a cluster ID (a UUID such as {example})"),
    )
}

/// A known, non-empty string attribute of an object value.
pub(crate) fn text(v: &Value, name: &str) -> Option<String> {
    v.get_attr(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A timestamp as RFC 3339 (UTC), or null.
pub(crate) fn timestamp(t: Option<OffsetDateTime>) -> Value {
    t.and_then(|t| t.to_offset(time::UtcOffset::UTC).format(&Rfc3339).ok())
        .map_or(Value::Null, Value::String)
}

/// An optional cloud string where empty means unset.
pub(crate) fn optional_text(s: Option<&str>) -> Value {
    s.filter(|s| !s.is_empty())
        .map_or(Value::Null, Value::string)
}

/// The attribute a cloud error is about, when it is about one.
fn error_path(err: &CloudError) -> Option<AttributePath> {
    match err {
        CloudError::AlreadyExists { .. } => Some(AttributePath::attr("name")),
        e if e.is_cluster_not_found() => Some(AttributePath::attr("cluster_id")),
        _ => None,
    }
}

/// A diagnostic for a failed cloud call: a plain summary, the client's
/// explanation (operation, code, request id, what to do) as detail.
pub(crate) fn cloud_diagnostic(summary: &str, err: &CloudError) -> Diagnostic {
    let d = Diagnostic::error(summary, err.to_string());
    match error_path(err) {
        Some(p) => d.at(p),
        None => d,
    }
}

/// A diagnostic for a wait that ended without the wanted status.
pub(crate) fn wait_diagnostic(
    what: &str,
    operation: &str,
    err: WaitError<WaitFailure>,
) -> Diagnostic {
    match err {
        WaitError::TimedOut { elapsed, last } => Diagnostic::error(
            format!("Timed out waiting for {what} to {operation}"),
            format!(
                "{what} did not finish within {}s (last status: {last}). Terraform keeps it in state as \
                 tainted; the next apply replaces it. Raise timeouts.{operation} if the cluster needs longer.",
                elapsed.as_secs()
            ),
        ),
        WaitError::Cancelled => Diagnostic::error(
            format!("Stopped waiting for {what} to {operation}"),
            format!(
                "Terraform was interrupted. {what} is kept in state; the next apply checks on it."
            ),
        ),
        WaitError::Failed(WaitFailure::Status(status)) => Diagnostic::error(
            format!("{what} ended in status {status}"),
            format!(
                "The cloud reports {what} as {status}, so it is not usable. It is kept in state as tainted; \
                 the next apply deletes it and creates a new one."
            ),
        ),
        // The operation's deadline ran out inside the client (the last
        // check could not be made in time): the wait timed out.
        WaitError::Failed(WaitFailure::Cloud(e @ CloudError::DeadlineExceeded { .. })) => {
            Diagnostic::error(
                format!("Timed out waiting for {what} to {operation}"),
                format!(
                    "{e}. Terraform keeps it in state as tainted; the next apply replaces it. \
                     Raise timeouts.{operation} if the cluster needs longer."
                ),
            )
        }
        WaitError::Failed(WaitFailure::Cloud(e)) => {
            cloud_diagnostic(&format!("Failed to check {what}"), &e)
        }
    }
}

/// Why a wait failed before its deadline.
#[derive(Debug)]
pub(crate) enum WaitFailure {
    /// The object reached a status it will not leave.
    Status(String),
    /// The cloud call to check on it failed.
    Cloud(CloudError),
}

impl From<CloudError> for WaitFailure {
    fn from(e: CloudError) -> Self {
        WaitFailure::Cloud(e)
    }
}

/// Deletes a snapshot and waits until it is gone, within `timeout`.
///
/// A busy cluster (a snapshot still being made cannot be deleted yet) is
/// retried by the client, until the deadline of the scope `delete` runs
/// under; an already-missing snapshot counts as deleted. `status` reports
/// the snapshot's current status, or `None` once it is gone.
pub(crate) async fn delete_and_wait<Del, DelFut, St, StFut>(
    what: &str,
    cancel: &CancellationToken,
    timeout: Duration,
    delete: Del,
    status: St,
) -> Result<(), Diagnostic>
where
    Del: Fn() -> DelFut,
    DelFut: std::future::Future<Output = Result<(), CloudError>>,
    St: Fn() -> StFut,
    StFut: std::future::Future<Output = Result<Option<String>, CloudError>>,
{
    let deadline = Instant::now() + timeout;
    match delete().await {
        Ok(()) => {}
        Err(e) if e.is_not_found() => return Ok(()),
        Err(e) => return Err(cloud_diagnostic(&format!("Failed to delete {what}"), &e)),
    }
    let remaining = deadline.saturating_duration_since(Instant::now());
    wait::until(cancel, remaining, Backoff::default(), || async {
        match status().await {
            Ok(Some(s)) => Ok(Poll::Pending(s)),
            Ok(None) => Ok(Poll::Ready(())),
            Err(e) if e.is_not_found() => Ok(Poll::Ready(())),
            Err(e) => Err(WaitFailure::Cloud(e)),
        }
    })
    .await
    .map_err(|e| wait_diagnostic(what, "delete", e))
}

/// What a create makes: for messages, and to queue on the cluster.
pub(crate) struct NewSnapshot<'a> {
    /// "DWS snapshot" or "CSS index snapshot".
    pub kind: &'a str,
    pub name: &'a str,
    pub cluster_id: &'a str,
    /// The create timeout, covering the queue and the wait.
    pub timeout: Duration,
}

/// The common shape of every snapshot create: wait for this process's turn
/// on the cluster, create, record the ID in state at once, then poll until
/// the snapshot is ready. Returns the ready snapshot; otherwise pushes a
/// diagnostic, and whatever ID was recorded stays in state.
pub(crate) async fn create_and_wait<S, Cr, CrFut, Po, PoFut>(
    ctx: &Ctx<'_, Client>,
    resp: &mut CreateResponse,
    new: NewSnapshot<'_>,
    create: Cr,
    poll: Po,
) -> Option<S>
where
    Cr: FnOnce() -> CrFut,
    CrFut: std::future::Future<Output = Result<Created, CloudError>>,
    Po: Fn(String) -> PoFut,
    PoFut: std::future::Future<Output = Result<Poll<S>, WaitFailure>>,
{
    let NewSnapshot {
        kind,
        name,
        cluster_id,
        timeout,
    } = new;
    let deadline = Instant::now() + timeout;
    let _turn = match queue_on_cluster(ctx.data, cluster_id, ctx.cancel, deadline).await {
        Ok(turn) => turn,
        Err(d) => {
            resp.diagnostics.push(d);
            return None;
        }
    };
    let created = match create().await {
        Ok(c) => c,
        Err(e) => {
            resp.diagnostics
                .push(cloud_diagnostic(&format!("Failed to create {kind}"), &e));
            return None;
        }
    };
    resp.state.set_attr("id", Value::string(&created.id));
    if created.adopted {
        tracing::info!(id = %created.id, name, "adopted the {kind} an earlier attempt created");
    }
    let remaining = deadline.saturating_duration_since(Instant::now());
    let id = created.id;
    match wait::until(ctx.cancel, remaining, Backoff::default(), || {
        poll(id.clone())
    })
    .await
    {
        Ok(s) => Some(s),
        Err(e) => {
            let what = format!("{kind} {name:?} ({id})");
            resp.diagnostics.push(wait_diagnostic(&what, "create", e));
            None
        }
    }
}

/// Waits for this process's turn on a cluster (the cloud makes one snapshot
/// per cluster at a time), within the operation's deadline.
async fn queue_on_cluster(
    client: &Client,
    cluster_id: &str,
    cancel: &CancellationToken,
    deadline: Instant,
) -> Result<ClusterGuard, Diagnostic> {
    tokio::select! {
        guard = client.lock_cluster(cluster_id) => Ok(guard),
        _ = cancel.cancelled() => Err(Diagnostic::error(
            "Stopped before creating the snapshot",
            "Terraform was interrupted while this snapshot waited for its turn on the cluster; nothing was created.",
        )),
        _ = tokio::time::sleep_until(deadline) => Err(Diagnostic::error(
            "Timed out waiting for the cluster",
            format!(
                "Other snapshots of cluster {cluster_id} took the whole create timeout; nothing was created. \
                 Raise timeouts.create or create fewer snapshots of one cluster at a time."
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc() {
        let t = OffsetDateTime::from_unix_timestamp(1_764_072_000).unwrap();
        assert_eq!(timestamp(Some(t)), Value::string("2025-11-25T12:00:00Z"));
        assert_eq!(timestamp(None), Value::Null);
    }

    #[test]
    fn cluster_errors_point_at_cluster_id() {
        let e = CloudError::NotFound {
            what: "cluster x".into(),
            code: Some("DWS.0047".into()),
            request_id: Some("req-1".into()),
        };
        let d = cloud_diagnostic("Failed to create DWS snapshot", &e);
        assert_eq!(d.path, Some(AttributePath::attr("cluster_id")));
        assert!(d.detail.contains("req-1"), "{}", d.detail);
    }
}
