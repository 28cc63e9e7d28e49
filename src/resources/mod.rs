//! The resource types, one file each, and what they share with each other
//! and with the actions (`crate::actions`): the timeouts, the cluster-ID
//! rule, what a snapshot's status means while waiting (one mapping per
//! service, and one for a CSS restore), the create-then-wait and
//! delete-then-wait shapes — [`create_then_wait`] and [`delete_then_gone`]
//! with typed outcomes, worded as diagnostics by each caller — and turning
//! client and wait errors into diagnostics.

/// Declares a snapshot type's model: its own attributes, then the ones every
/// snapshot type has, written once here.
macro_rules! snapshot_model {
    ($(#[$($meta:tt)*])* pub struct Model { $($own:tt)* }) => {
        hwsnap_framework::model! {
            $(#[$($meta)*])*
            pub struct Model {
                $($own)*
                /// When the snapshot started (RFC 3339).
                started_at: Option<OffsetDateTime> = computed(),
                /// When the snapshot finished (RFC 3339).
                finished_at: Option<OffsetDateTime> = computed(),
                /// The name of the cluster.
                cluster_name: Option<String> = computed(),
            }
        }
    };
}

pub(crate) mod css_index_snapshot;
pub(crate) mod dws_snapshot;
mod moved;

pub use css_index_snapshot::{CssIndexSnapshot, Model as CssIndexSnapshotModel};
pub use dws_snapshot::{DwsSnapshot, Model as DwsSnapshotModel};

use std::future::Future;
use std::time::Duration;

use hwsnap_cloud::{
    Client, ClusterGuard, Created, CssRestoreStatus, CssSnapshot, CssStatus,
    DwsSnapshot as DwsCloudSnapshot, DwsStatus, Error as CloudError, Scope,
};
use hwsnap_framework::cty::AttributePath;
use hwsnap_framework::timeouts::{Timeout, format_duration};
use hwsnap_framework::validators::Pattern;
use hwsnap_framework::wait::{self, Backoff, Poll, Progress, WaitError};
use hwsnap_framework::{Diagnostic, Diagnostics, ReadResponse};

/// What every operation of this provider gets (see [`hwsnap_framework::Ctx`]).
pub type Ctx<'a> = hwsnap_framework::Ctx<'a, Client>;

/// How long a create and a delete may take unless `timeouts` says otherwise,
/// for both snapshot types.
pub(crate) const TIMEOUTS: &[Timeout] = &[
    Timeout {
        operation: "create",
        default: Duration::from_secs(30 * 60),
    },
    Timeout {
        operation: "delete",
        default: Duration::from_secs(10 * 60),
    },
];

/// The bounds of an operation's cloud calls: StopProvider's token and the
/// operation's deadline.
pub fn scope(ctx: &Ctx<'_>) -> Scope {
    let scope = Scope::new(ctx.cancel.clone());
    match ctx.deadline {
        Some(deadline) => scope.with_deadline(deadline),
        None => scope,
    }
}

/// A cluster ID must be a UUID; `example` goes into the message.
pub(crate) fn cluster_id_pattern(example: &str) -> Pattern {
    Pattern::new(
        r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
        format!("be a cluster ID (a UUID such as {example})"),
    )
}

/// A snapshot as a cloud service reports it, as far as waiting goes: what
/// its status means (ready, keep waiting, failed) and what to call it.
/// One mapping per service, here.
pub(crate) trait Snapshot {
    fn progress(&self) -> Progress;
    fn status(&self) -> &str;
}

impl Snapshot for DwsCloudSnapshot {
    fn progress(&self) -> Progress {
        match self.status {
            DwsStatus::Available => Progress::Ready,
            DwsStatus::Creating => Progress::Pending,
            _ => Progress::Failed,
        }
    }

    fn status(&self) -> &str {
        self.status.as_str()
    }
}

impl Snapshot for CssSnapshot {
    fn progress(&self) -> Progress {
        match self.status {
            CssStatus::Completed => Progress::Ready,
            CssStatus::Building => Progress::Pending,
            _ => Progress::Failed,
        }
    }

    fn status(&self) -> &str {
        self.status.as_str()
    }
}

/// A CSS snapshot as far as a restore of it goes: its `restoreStatus`
/// (`success` is ready, `failed` is final; `none` — not begun yet — and
/// `restoring` are pending, and so is a word the cloud has not used before).
#[derive(Debug, Clone)]
pub(crate) struct CssRestore(pub CssSnapshot);

impl Snapshot for CssRestore {
    fn progress(&self) -> Progress {
        match self.0.restore_status {
            Some(CssRestoreStatus::Success) => Progress::Ready,
            Some(CssRestoreStatus::Failed) => Progress::Failed,
            _ => Progress::Pending,
        }
    }

    fn status(&self) -> &str {
        self.0
            .restore_status
            .as_ref()
            .map_or("NONE", CssRestoreStatus::as_str)
    }
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

/// Why a wait failed before its deadline.
#[derive(Debug)]
pub(crate) enum WaitFailure {
    /// The object reached a status it will not leave.
    Status(String),
    /// The cloud call to check on it failed.
    Cloud(CloudError),
}

/// A diagnostic for a wait that ended without the wanted status. On a
/// timeout it names the operation's timeout and its value.
fn wait_diagnostic(ctx: &Ctx<'_>, what: &str, err: WaitError<WaitFailure>) -> Diagnostic {
    let (operation, kept) = match ctx.timeout {
        Some(("delete", _)) => ("delete", "It stays in state; the next destroy tries again."),
        _ => (
            "create",
            "Terraform keeps it in state as tainted; the next apply replaces it.",
        ),
    };
    match err {
        WaitError::TimedOut { elapsed, last } => {
            let limit = ctx.timeout.map_or(elapsed, |(_, d)| d);
            Diagnostic::error(
                format!("Timed out waiting for {what} to {operation}"),
                format!(
                    "{what} did not finish within timeouts.{operation} = {} (last status: {last}). {kept} \
                     Raise timeouts.{operation} if the cluster needs longer.",
                    format_duration(limit)
                ),
            )
        }
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
            let limit = ctx
                .timeout
                .map_or(String::new(), |(_, d)| format!(" = {}", format_duration(d)));
            Diagnostic::error(
                format!("Timed out waiting for {what} to {operation}"),
                format!(
                    "timeouts.{operation}{limit} ran out: {e}. {kept} Raise timeouts.{operation} if the cluster needs longer."
                ),
            )
        }
        WaitError::Failed(WaitFailure::Cloud(e)) => {
            cloud_diagnostic(&format!("Failed to check {what}"), &e)
        }
    }
}

/// What a create makes: for messages, and to queue on the cluster.
pub(crate) struct NewSnapshot<'a> {
    /// "DWS snapshot" or "CSS index snapshot".
    kind: &'a str,
    name: &'a str,
    cluster_id: &'a str,
}

impl<'a> NewSnapshot<'a> {
    /// A `kind` snapshot named `name` of cluster `cluster_id`.
    pub fn new(kind: &'a str, name: &'a str, cluster_id: &'a str) -> Self {
        Self {
            kind,
            name,
            cluster_id,
        }
    }
}

/// Why no turn on the cluster came: nothing was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NoTurn {
    /// StopProvider came first.
    Stopped,
    /// The operation's deadline came first.
    OutOfTime,
}

/// Why a create-then-wait ended without a ready snapshot.
#[derive(Debug)]
pub(crate) enum CreateFailure {
    /// Waiting for the turn on the cluster ended: nothing was created.
    NoTurn(NoTurn),
    /// The create call failed: nothing was created.
    Create(CloudError),
    /// The snapshot `id` exists, but waiting for it to be ready ended.
    Wait {
        id: String,
        error: WaitError<WaitFailure>,
    },
}

/// The common shape of every snapshot create: wait for this process's turn
/// on `cluster_id`, create, tell `created` the ID at once, then poll `show`
/// until the snapshot is ready (telling `pending` each status on the way),
/// all within the operation's deadline. The turn is held until the wait
/// ends.
pub(crate) async fn create_then_wait<S, Cr, CrFut, Sh, ShFut>(
    ctx: &Ctx<'_>,
    cluster_id: &str,
    (create, created): (Cr, impl FnOnce(&Created)),
    (show, pending): (Sh, impl Fn(&str)),
) -> Result<S, CreateFailure>
where
    S: Snapshot,
    Cr: FnOnce() -> CrFut,
    CrFut: Future<Output = Result<Created, CloudError>>,
    Sh: Fn(String) -> ShFut,
    ShFut: Future<Output = Result<S, CloudError>>,
{
    let _turn = queue_on_cluster(ctx, cluster_id)
        .await
        .map_err(CreateFailure::NoTurn)?;
    let made = create().await.map_err(CreateFailure::Create)?;
    if made.adopted {
        tracing::info!(id = %made.id, cluster_id, "adopted the snapshot an earlier attempt created");
    }
    created(&made);
    let id = made.id;
    wait_ready(ctx, || show(id.clone()), pending)
        .await
        .map_err(|error| CreateFailure::Wait { id, error })
}

/// Polls `show` with the adaptive backoff until what it finds is ready by
/// its [`Snapshot::progress`], within the operation's deadline, ended early
/// by StopProvider; `pending` hears each status that is not final yet.
pub(crate) async fn wait_ready<S, Sh, ShFut>(
    ctx: &Ctx<'_>,
    show: Sh,
    pending: impl Fn(&str),
) -> Result<S, WaitError<WaitFailure>>
where
    S: Snapshot,
    Sh: Fn() -> ShFut,
    ShFut: Future<Output = Result<S, CloudError>>,
{
    let poll = || async {
        let s = show().await.map_err(WaitFailure::Cloud)?;
        match s.progress() {
            Progress::Ready => Ok(Poll::Ready(s)),
            Progress::Pending => {
                pending(s.status());
                Ok(Poll::Pending(s.status().to_owned()))
            }
            Progress::Failed => Err(WaitFailure::Status(s.status().to_owned())),
        }
    };
    wait::until(ctx.cancel, ctx.deadline, Backoff::default(), poll).await
}

/// A resource's create: [`create_then_wait`], recording the ID in `id` as
/// soon as the cloud returns it. Returns the ready snapshot; otherwise
/// pushes a diagnostic, and whatever ID was recorded stays in state.
pub(crate) async fn create_and_wait<S, Cr, CrFut, Sh, ShFut>(
    ctx: &Ctx<'_>,
    (id, diagnostics): (&mut Option<String>, &mut Diagnostics),
    new: NewSnapshot<'_>,
    create: Cr,
    show: Sh,
) -> Option<S>
where
    S: Snapshot,
    Cr: FnOnce() -> CrFut,
    CrFut: Future<Output = Result<Created, CloudError>>,
    Sh: Fn(String) -> ShFut,
    ShFut: Future<Output = Result<S, CloudError>>,
{
    let NewSnapshot {
        kind,
        name,
        cluster_id,
    } = new;
    let record = |c: &Created| *id = Some(c.id.clone());
    let d = match create_then_wait(ctx, cluster_id, (create, record), (show, |_| {})).await {
        Ok(s) => return Some(s),
        Err(CreateFailure::NoTurn(why)) => no_turn_diagnostic(cluster_id, why),
        Err(CreateFailure::Create(e)) => cloud_diagnostic(&format!("Failed to create {kind}"), &e),
        Err(CreateFailure::Wait { id, error }) => {
            wait_diagnostic(ctx, &format!("{kind} {name:?} ({id})"), error)
        }
    };
    diagnostics.push(d);
    None
}

/// Why a delete-then-wait did not see the snapshot gone.
#[derive(Debug)]
pub(crate) enum DeleteFailure {
    /// The delete call failed.
    Delete(CloudError),
    /// The delete was accepted, but waiting for the snapshot to go ended.
    Wait(WaitError<WaitFailure>),
}

/// Deletes a snapshot and waits until it is gone, within the operation's
/// deadline.
///
/// A busy cluster (a snapshot still being made cannot be deleted yet) is
/// retried by the client, until the deadline of the scope `delete` runs
/// under; an already-missing snapshot counts as deleted. `show` finds the
/// snapshot while it still exists.
pub(crate) async fn delete_then_gone<S, Del, DelFut, Sh, ShFut>(
    ctx: &Ctx<'_>,
    delete: Del,
    show: Sh,
) -> Result<(), DeleteFailure>
where
    S: Snapshot,
    Del: FnOnce() -> DelFut,
    DelFut: Future<Output = Result<(), CloudError>>,
    Sh: Fn() -> ShFut,
    ShFut: Future<Output = Result<S, CloudError>>,
{
    match delete().await {
        Ok(()) => {}
        Err(e) if e.is_not_found() => return Ok(()),
        Err(e) => return Err(DeleteFailure::Delete(e)),
    }
    wait::until(ctx.cancel, ctx.deadline, Backoff::default(), || async {
        match show().await {
            Ok(s) => Ok(Poll::Pending(s.status().to_owned())),
            Err(e) if e.is_not_found() => Ok(Poll::Ready(())),
            Err(e) => Err(WaitFailure::Cloud(e)),
        }
    })
    .await
    .map_err(DeleteFailure::Wait)
}

/// A resource's delete: [`delete_then_gone`], pushing a diagnostic when it
/// cannot.
pub(crate) async fn delete_and_wait<S, Del, DelFut, Sh, ShFut>(
    ctx: &Ctx<'_>,
    what: &str,
    diagnostics: &mut Diagnostics,
    delete: Del,
    show: Sh,
) where
    S: Snapshot,
    Del: FnOnce() -> DelFut,
    DelFut: Future<Output = Result<(), CloudError>>,
    Sh: Fn() -> ShFut,
    ShFut: Future<Output = Result<S, CloudError>>,
{
    match delete_then_gone(ctx, delete, show).await {
        Ok(()) => {}
        Err(DeleteFailure::Delete(e)) => {
            diagnostics.push(cloud_diagnostic(&format!("Failed to delete {what}"), &e))
        }
        Err(DeleteFailure::Wait(e)) => diagnostics.push(wait_diagnostic(ctx, what, e)),
    }
}

/// What a read found: the snapshot, or — after recording that it is gone
/// or why the read failed — nothing.
pub(crate) fn found<S, M>(
    resp: &mut ReadResponse<M>,
    what: &str,
    result: Result<S, CloudError>,
) -> Option<S> {
    match result {
        Ok(s) => Some(s),
        Err(e) if e.is_not_found() => {
            resp.gone(what);
            None
        }
        Err(e) => {
            resp.diagnostics
                .push(cloud_diagnostic(&format!("Failed to read {what}"), &e));
            None
        }
    }
}

/// Waits for this process's turn on a cluster (the cloud makes one snapshot
/// per cluster at a time), within the operation's deadline.
async fn queue_on_cluster(ctx: &Ctx<'_>, cluster_id: &str) -> Result<ClusterGuard, NoTurn> {
    let deadline = async {
        match ctx.deadline {
            Some(d) => tokio::time::sleep_until(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        guard = ctx.data.lock_cluster(cluster_id) => Ok(guard),
        _ = ctx.cancel.cancelled() => Err(NoTurn::Stopped),
        _ = deadline => Err(NoTurn::OutOfTime),
    }
}

/// A resource's diagnostic for a create that got no turn on its cluster.
fn no_turn_diagnostic(cluster_id: &str, why: NoTurn) -> Diagnostic {
    match why {
        NoTurn::Stopped => Diagnostic::error(
            "Stopped before creating the snapshot",
            "Terraform was interrupted while this snapshot waited for its turn on the cluster; nothing was created.",
        ),
        NoTurn::OutOfTime => Diagnostic::error(
            "Timed out waiting for the cluster",
            format!(
                "Other snapshots of cluster {cluster_id} took the whole create timeout; nothing was created. \
                 Raise timeouts.create or create fewer snapshots of one cluster at a time."
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn one_status_mapping_per_service() {
        let dws = |status| DwsCloudSnapshot {
            status,
            ..dws_snapshot::tests::snapshot()
        };
        assert_eq!(dws(DwsStatus::Available).progress(), Progress::Ready);
        assert_eq!(dws(DwsStatus::Creating).progress(), Progress::Pending);
        for failed in [
            DwsStatus::Unavailable,
            DwsStatus::Frozen,
            DwsStatus::PoliceFrozen,
            DwsStatus::Other("WEIRD".into()),
        ] {
            assert_eq!(dws(failed).progress(), Progress::Failed);
        }
        let css = |status| CssSnapshot {
            status,
            ..css_index_snapshot::tests::snapshot()
        };
        assert_eq!(css(CssStatus::Completed).progress(), Progress::Ready);
        assert_eq!(css(CssStatus::Building).progress(), Progress::Pending);
        assert_eq!(css(CssStatus::PartFailed).progress(), Progress::Failed);
        assert_eq!(css(CssStatus::Failed).status(), "FAILED");
        let restore = |word: Option<&str>| {
            CssRestore(CssSnapshot {
                restore_status: word.map(CssRestoreStatus::parse),
                ..css_index_snapshot::tests::snapshot()
            })
        };
        assert_eq!(restore(Some("success")).progress(), Progress::Ready);
        assert_eq!(restore(Some("failed")).progress(), Progress::Failed);
        for pending in [None, Some("none"), Some("restoring"), Some("queued")] {
            assert_eq!(
                restore(pending).progress(),
                Progress::Pending,
                "{pending:?}"
            );
        }
        assert_eq!(restore(None).status(), "NONE");
        assert_eq!(restore(Some("restoring")).status(), "RESTORING");
    }
}
