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
#[cfg(test)]
pub(crate) use {
    css_index_snapshot::tests::snapshot as css_test_snapshot,
    dws_snapshot::tests::snapshot as dws_test_snapshot,
};

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use hwsnap_cloud::error::secs;

use hwsnap_cloud::{
    Client, ClusterGuard, Created, CssRestoreStatus, CssSnapshot, CssStatus,
    DwsSnapshot as DwsCloudSnapshot, DwsStatus, Error as CloudError, Fresh, LastSeen, Scope,
};
use hwsnap_framework::cty::AttributePath;
use hwsnap_framework::timeouts::{Timeout, format_duration};
use hwsnap_framework::validators::Pattern;
use hwsnap_framework::wait::{self, Backoff, Poll, Progress, WaitError};
use hwsnap_framework::{Diagnostic, Diagnostics, ReadResponse};
use tokio::time::Instant;

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

/// The last status a wait read, and when: what a timeout reports it saw.
#[derive(Default)]
struct LastStatus(Mutex<Option<(String, Instant)>>);

impl LastStatus {
    fn record(&self, status: &str) {
        let mut last = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *last = Some((status.to_owned(), Instant::now()));
    }

    /// `status CREATING, read 3.2 s before the timeout`, if one was read.
    fn describe(&self) -> Option<String> {
        let last = self.0.lock().unwrap_or_else(|e| e.into_inner());
        last.as_ref().map(|(status, at)| {
            format!(
                "status {status}, read {} before the timeout",
                secs(Instant::now().saturating_duration_since(*at))
            )
        })
    }
}

/// `timeouts.create = 10s`: the operation's timeout and its value.
fn timeout_setting(ctx: &Ctx<'_>) -> String {
    match ctx.timeout {
        Some((operation, limit)) => format!("timeouts.{operation} = {}", format_duration(limit)),
        None => "the operation's timeout".to_owned(),
    }
}

/// `no answer from the cloud for 10 s (1 request over 10 s)`: what a call
/// that ran out of time saw last, and how hard it tried.
fn last_seen(last: &LastSeen, attempts: u32, waited: Duration) -> String {
    let requests = if attempts == 1 { "request" } else { "requests" };
    format!("{last} ({attempts} {requests} over {})", secs(waited))
}

/// What a create whose answer never came leaves behind.
fn unanswered_create(may_have_created: bool) -> &'static str {
    if may_have_created {
        "The snapshot may exist in the cloud without being in state; the next apply finds it by \
         name and adopts it."
    } else {
        "The cloud did not create it."
    }
}

/// A diagnostic for a create call (before any ID was known) that failed:
/// the deadline and an interrupt get words of their own, saying what may
/// exist; any other failure is the client's explanation.
fn create_diagnostic(ctx: &Ctx<'_>, what: &str, err: &CloudError) -> Diagnostic {
    match err {
        CloudError::DeadlineExceeded {
            waited,
            attempts,
            last,
            may_have_created,
            ..
        } => Diagnostic::error(
            format!("Timed out creating {what}"),
            format!(
                "{} ran out before the cloud answered the create: {}. {} Raise timeouts.create if \
                 the cloud needs longer.",
                timeout_setting(ctx),
                last_seen(last, *attempts, *waited),
                unanswered_create(*may_have_created)
            ),
        ),
        CloudError::Cancelled => Diagnostic::error(
            format!("Stopped creating {what}"),
            format!(
                "Terraform was interrupted before the cloud answered the create. {}",
                unanswered_create(true)
            ),
        ),
        e => cloud_diagnostic(&format!("Failed to create {what}"), e),
    }
}

/// A diagnostic for a delete call that failed: the deadline and an
/// interrupt say the snapshot stays in state; any other failure is the
/// client's explanation.
fn delete_diagnostic(ctx: &Ctx<'_>, what: &str, err: &CloudError) -> Diagnostic {
    match err {
        CloudError::DeadlineExceeded {
            waited,
            attempts,
            last,
            ..
        } => Diagnostic::error(
            format!("Timed out deleting {what}"),
            format!(
                "{} ran out before the cloud answered the delete: {}. It stays in state; the next \
                 destroy tries again. Raise timeouts.delete if the cloud needs longer.",
                timeout_setting(ctx),
                last_seen(last, *attempts, *waited)
            ),
        ),
        CloudError::Cancelled => Diagnostic::error(
            format!("Stopped deleting {what}"),
            format!(
                "Terraform was interrupted before the cloud answered the delete. {what} stays in \
                 state; the next destroy checks on it and deletes it if it is still there."
            ),
        ),
        e => cloud_diagnostic(&format!("Failed to delete {what}"), e),
    }
}

/// A diagnostic for a wait that ended without the wanted status. On a
/// timeout it names the operation's timeout, its value and what was seen
/// last: the last status read, then the client's last view (an answer, or
/// how long the cloud had been silent).
fn wait_diagnostic(
    ctx: &Ctx<'_>,
    what: &str,
    seen: &LastStatus,
    err: WaitError<WaitFailure>,
) -> Diagnostic {
    let (operation, kept) = match ctx.timeout {
        Some(("delete", _)) => ("delete", "It stays in state; the next destroy tries again."),
        _ => (
            "create",
            "Terraform keeps it in state as tainted; the next apply replaces it.",
        ),
    };
    let timed_out = |last: String| {
        Diagnostic::error(
            format!("Timed out waiting for {what} to {operation}"),
            format!(
                "{} ran out. Last seen: {last}. {kept} Raise timeouts.{operation} if the cluster \
                 needs longer.",
                timeout_setting(ctx)
            ),
        )
    };
    match err {
        WaitError::TimedOut { .. } => timed_out(
            seen.describe()
                .unwrap_or_else(|| "no status could be read before the timeout".to_owned()),
        ),
        // The operation's deadline ran out inside the client (the last
        // check could not be made in time): the wait timed out.
        WaitError::Failed(WaitFailure::Cloud(CloudError::DeadlineExceeded {
            waited,
            attempts,
            last,
            ..
        })) => {
            let client = last_seen(&last, attempts, waited);
            timed_out(match seen.describe() {
                Some(status) => format!("{status}; then {client}"),
                None => client,
            })
        }
        WaitError::Cancelled | WaitError::Failed(WaitFailure::Cloud(CloudError::Cancelled)) => {
            Diagnostic::error(
                format!("Stopped waiting for {what} to {operation}"),
                format!(
                    "Terraform was interrupted. {what} is kept in state; the next apply checks on it."
                ),
            )
        }
        WaitError::Failed(WaitFailure::Status(status)) => Diagnostic::error(
            format!("{what} ended in status {status}"),
            format!(
                "The cloud reports {what} as {status}, so it is not usable. It is kept in state as tainted; \
                 the next apply deletes it and creates a new one."
            ),
        ),
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

/// When a wait last looked at the cloud. Each look demands an answer
/// started after the previous one arrived (`Fresh::Since`), so a shared
/// list the wait has already seen, or an older one, is never taken as news:
/// not as proof that a snapshot is ready, nor that it is gone. Lists other
/// callers started since are shared.
struct LastLook(Mutex<tokio::time::Instant>);

impl LastLook {
    /// Starts now: the create or delete being waited on has just answered.
    fn now() -> Self {
        Self(Mutex::new(tokio::time::Instant::now()))
    }

    /// How fresh the next look must be.
    fn fresh(&self) -> Fresh {
        Fresh::Since(*self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Records that an answer arrived.
    fn looked(&self) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = tokio::time::Instant::now();
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
/// ends. `show` gets the ID and how fresh its answer must be (see
/// [`LastLook`]).
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
    Sh: Fn(String, Fresh) -> ShFut,
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
    wait_ready(ctx, |fresh| show(id.clone(), fresh), pending)
        .await
        .map_err(|error| CreateFailure::Wait { id, error })
}

/// Polls `show` with the adaptive backoff until what it finds is ready by
/// its [`Snapshot::progress`], within the operation's deadline, ended early
/// by StopProvider; `pending` hears each status that is not final yet.
/// Each look at the cloud must be newer than the last one (see
/// [`LastLook`]); the first must start after this call.
pub(crate) async fn wait_ready<S, Sh, ShFut>(
    ctx: &Ctx<'_>,
    show: Sh,
    pending: impl Fn(&str),
) -> Result<S, WaitError<WaitFailure>>
where
    S: Snapshot,
    Sh: Fn(Fresh) -> ShFut,
    ShFut: Future<Output = Result<S, CloudError>>,
{
    let last = LastLook::now();
    let poll = || async {
        let answer = show(last.fresh()).await;
        last.looked();
        let s = answer.map_err(WaitFailure::Cloud)?;
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
    Sh: Fn(String, Fresh) -> ShFut,
    ShFut: Future<Output = Result<S, CloudError>>,
{
    let NewSnapshot {
        kind,
        name,
        cluster_id,
    } = new;
    let record = |c: &Created| {
        *id = Some(c.id.clone());
        test_hooks::after_create_recorded_its_id();
    };
    let seen = LastStatus::default();
    let pending = |status: &str| seen.record(status);
    let d = match create_then_wait(ctx, cluster_id, (create, record), (show, pending)).await {
        Ok(s) => return Some(s),
        Err(CreateFailure::NoTurn(why)) => no_turn_diagnostic(ctx, cluster_id, why),
        Err(CreateFailure::Create(e)) => create_diagnostic(ctx, &format!("{kind} {name:?}"), &e),
        Err(CreateFailure::Wait { id, error }) => {
            wait_diagnostic(ctx, &format!("{kind} {name:?} ({id})"), &seen, error)
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
/// snapshot while it still exists, in an answer as fresh as it is told
/// (see [`LastLook`]); `pending` hears each status it still reports.
pub(crate) async fn delete_then_gone<S, Del, DelFut, Sh, ShFut>(
    ctx: &Ctx<'_>,
    delete: Del,
    show: Sh,
    pending: impl Fn(&str),
) -> Result<(), DeleteFailure>
where
    S: Snapshot,
    Del: FnOnce() -> DelFut,
    DelFut: Future<Output = Result<(), CloudError>>,
    Sh: Fn(Fresh) -> ShFut,
    ShFut: Future<Output = Result<S, CloudError>>,
{
    match delete().await {
        Ok(()) => {}
        Err(e) if e.is_not_found() => return Ok(()),
        Err(e) => return Err(DeleteFailure::Delete(e)),
    }
    let last = LastLook::now();
    wait::until(ctx.cancel, ctx.deadline, Backoff::default(), || async {
        let answer = show(last.fresh()).await;
        last.looked();
        match answer {
            Ok(s) => {
                pending(s.status());
                Ok(Poll::Pending(s.status().to_owned()))
            }
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
    Sh: Fn(Fresh) -> ShFut,
    ShFut: Future<Output = Result<S, CloudError>>,
{
    let seen = LastStatus::default();
    match delete_then_gone(ctx, delete, show, |status| seen.record(status)).await {
        Ok(()) => {}
        Err(DeleteFailure::Delete(e)) => diagnostics.push(delete_diagnostic(ctx, what, &e)),
        Err(DeleteFailure::Wait(e)) => diagnostics.push(wait_diagnostic(ctx, what, &seen, e)),
    }
}

/// Hooks for the acceptance tests, compiled into debug builds only: a
/// release build has none, so no user can trigger them.
mod test_hooks {
    /// The variable naming the hook to fire (debug builds only).
    #[cfg(debug_assertions)]
    const ENV: &str = "HWSNAP_TEST_PANIC";

    /// With `HWSNAP_TEST_PANIC=after-create` (debug builds only), panics
    /// right after a create recorded its ID, to show end to end that a
    /// panic becomes a diagnostic and the ID stays in state.
    pub(super) fn after_create_recorded_its_id() {
        #[cfg(debug_assertions)]
        if std::env::var(ENV).as_deref() == Ok("after-create") {
            panic!("test hook {ENV}=after-create fired");
        }
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
fn no_turn_diagnostic(ctx: &Ctx<'_>, cluster_id: &str, why: NoTurn) -> Diagnostic {
    match why {
        NoTurn::Stopped => Diagnostic::error(
            "Stopped before creating the snapshot",
            "Terraform was interrupted while this snapshot waited for its turn on the cluster; nothing was created.",
        ),
        NoTurn::OutOfTime => Diagnostic::error(
            "Timed out waiting for the cluster",
            format!(
                "{} ran out while other snapshots of cluster {cluster_id} were being made (the cloud \
                 makes one at a time); nothing was created. Raise timeouts.create or create fewer \
                 snapshots of one cluster at a time.",
                timeout_setting(ctx)
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hwsnap_cloud::{CancellationToken, Config, Credentials};

    fn client() -> Client {
        let mut config = Config::new("ap-southeast-1", Credentials::new("AK", "SK"));
        config.project_id = Some("p-1".into());
        Client::new(config).expect("client")
    }

    /// A deadline error as the client gives it after a hung request.
    fn hung(may_have_created: bool) -> CloudError {
        CloudError::DeadlineExceeded {
            operation: "create DWS snapshot \"nightly\" on cluster c".into(),
            waited: Duration::from_secs(10),
            attempts: 1,
            last: Box::new(LastSeen::NoAnswer {
                waited: Duration::from_secs(10),
            }),
            may_have_created,
        }
    }

    #[test]
    fn an_unanswered_create_names_the_timeout_and_what_may_exist() {
        let (client, cancel) = (client(), CancellationToken::new());
        let ctx = Ctx::new(&client, &cancel, Some(("create", Duration::from_secs(10))));
        let d = create_diagnostic(&ctx, "DWS snapshot \"nightly\"", &hung(true));
        assert_eq!(d.summary, "Timed out creating DWS snapshot \"nightly\"");
        assert!(
            d.detail.starts_with(
                "timeouts.create = 10s ran out before the cloud answered the create: \
                 no answer from the cloud for 10 s (1 request over 10 s). The snapshot may exist"
            ),
            "{}",
            d.detail
        );
        assert!(d.detail.contains("adopts it"), "{}", d.detail);
        let d = create_diagnostic(&ctx, "DWS snapshot \"nightly\"", &hung(false));
        assert!(
            d.detail.contains("The cloud did not create it."),
            "{}",
            d.detail
        );
        let d = create_diagnostic(&ctx, "DWS snapshot \"nightly\"", &CloudError::Cancelled);
        assert_eq!(d.summary, "Stopped creating DWS snapshot \"nightly\"");
        assert!(d.detail.contains("adopts it"), "{}", d.detail);
    }

    #[test]
    fn a_timed_out_wait_says_what_it_saw_last() {
        let (client, cancel) = (client(), CancellationToken::new());
        let ctx = Ctx::new(&client, &cancel, Some(("create", Duration::from_secs(10))));
        let what = "DWS snapshot \"nightly\" (s-1)";
        // The deadline passed before any status was read.
        let never = WaitError::TimedOut {
            elapsed: Duration::ZERO,
            last: "not checked yet".into(),
        };
        let d = wait_diagnostic(&ctx, what, &LastStatus::default(), never);
        assert_eq!(d.summary, format!("Timed out waiting for {what} to create"));
        assert!(
            d.detail.starts_with(
                "timeouts.create = 10s ran out. Last seen: no status could be read before the timeout."
            ),
            "{}",
            d.detail
        );
        assert!(!d.detail.contains("within 0s") && !d.detail.contains("not checked yet"));
        // A status was read, then the cloud went silent.
        let seen = LastStatus::default();
        seen.record("CREATING");
        let silent = WaitError::Failed(WaitFailure::Cloud(hung(false)));
        let d = wait_diagnostic(&ctx, what, &seen, silent);
        assert!(
            d.detail.contains("Last seen: status CREATING, read ")
                && d.detail.contains(
                    "before the timeout; then no answer from the cloud for 10 s (1 request over 10 s)."
                ),
            "{}",
            d.detail
        );
        assert!(
            d.detail.contains("kept in state as tainted")
                || d.detail.contains("keeps it in state as tainted")
        );
    }

    #[test]
    fn an_unanswered_delete_stays_in_state() {
        let (client, cancel) = (client(), CancellationToken::new());
        let ctx = Ctx::new(&client, &cancel, Some(("delete", Duration::from_secs(10))));
        let d = delete_diagnostic(&ctx, "DWS snapshot s-1", &hung(false));
        assert_eq!(d.summary, "Timed out deleting DWS snapshot s-1");
        assert!(
            d.detail.starts_with(
                "timeouts.delete = 10s ran out before the cloud answered the delete: no answer from the cloud for 10 s"
            ) && d.detail.contains("It stays in state"),
            "{}",
            d.detail
        );
        let d = delete_diagnostic(&ctx, "DWS snapshot s-1", &CloudError::Cancelled);
        assert_eq!(d.summary, "Stopped deleting DWS snapshot s-1");
    }

    use hwsnap_framework::{CreateRequest, CreateResponse, Resource};
    use tokio::time::Instant;

    /// A client for the waits' own logic: no call reaches a network.
    fn offline_client() -> Client {
        let mut config = Config::new("ap-southeast-1", Credentials::new("AK", "SK"));
        config.project_id = Some("p-1".into());
        Client::new(config).unwrap()
    }

    fn css(status: CssStatus) -> CssSnapshot {
        CssSnapshot {
            status,
            ..css_test_snapshot()
        }
    }

    /// Each look's demand (`Fresh`) and when its answer came.
    type Looks = Mutex<Vec<(Fresh, Instant)>>;

    /// Every demand is `Since` a time at or after the previous answer (the
    /// first: after the create or delete answered).
    fn assert_each_look_is_newer(started: Instant, looks: &Looks) {
        let looks = looks.lock().unwrap();
        assert!(looks.len() >= 3, "{looks:?}");
        let mut previous = started;
        for (fresh, answered) in looks.iter() {
            match fresh {
                Fresh::Since(at) => assert!(*at >= previous, "{at:?} is before {previous:?}"),
                other => panic!("a wait asked for {other:?}"),
            }
            previous = *answered;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_create_wait_never_takes_a_list_older_than_its_last_look() {
        let (client, cancel) = (offline_client(), CancellationToken::new());
        let ctx = Ctx::new(&client, &cancel, Some(("create", Duration::from_secs(600))));
        let (mut id, mut diags) = (None, Diagnostics::new());
        let created = Mutex::new(None);
        let looks = Looks::default();
        let ready = create_and_wait(
            &ctx,
            (&mut id, &mut diags),
            NewSnapshot::new("CSS index snapshot", "nightly", "c"),
            || async {
                tokio::time::sleep(Duration::from_secs(1)).await;
                *created.lock().unwrap() = Some(Instant::now());
                Ok(Created {
                    id: "s-1".into(),
                    adopted: false,
                })
            },
            |_, fresh| {
                let looks = &looks;
                async move {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    let mut looks = looks.lock().unwrap();
                    looks.push((fresh, Instant::now()));
                    let status = if looks.len() < 4 {
                        CssStatus::Building
                    } else {
                        CssStatus::Completed
                    };
                    Ok(css(status))
                }
            },
        )
        .await;
        assert!(ready.is_some(), "{diags:?}");
        assert_eq!(id.as_deref(), Some("s-1"));
        assert_each_look_is_newer(created.lock().unwrap().unwrap(), &looks);
    }

    #[tokio::test(start_paused = true)]
    async fn a_delete_wait_never_takes_a_list_older_than_its_last_look() {
        let (client, cancel) = (offline_client(), CancellationToken::new());
        let ctx = Ctx::new(&client, &cancel, Some(("delete", Duration::from_secs(600))));
        let mut diags = Diagnostics::new();
        let deleted = Mutex::new(None);
        let looks = Looks::default();
        delete_and_wait(
            &ctx,
            "CSS index snapshot s-1",
            &mut diags,
            || async {
                *deleted.lock().unwrap() = Some(Instant::now());
                Ok(())
            },
            |fresh| {
                let looks = &looks;
                async move {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    let mut looks = looks.lock().unwrap();
                    looks.push((fresh, Instant::now()));
                    if looks.len() < 4 {
                        Ok(css(CssStatus::Completed))
                    } else {
                        Err(CloudError::NotFound {
                            what: "CSS snapshot s-1".into(),
                            code: None,
                            request_id: None,
                        })
                    }
                }
            },
        )
        .await;
        assert!(diags.is_empty(), "{diags:?}");
        assert_each_look_is_newer(deleted.lock().unwrap().unwrap(), &looks);
    }

    /// Against the emulator, with CSS lists reusable for an hour: the wait
    /// still sees the snapshot finish, because it never takes the list it
    /// already saw (BUILDING) as news.
    #[tokio::test]
    async fn a_create_wait_sees_the_end_through_a_long_lived_shared_list() {
        let emu = hwsnap_emulator::spawn(hwsnap_emulator::Config {
            create_seconds: 0.5,
            ..hwsnap_emulator::Config::default()
        })
        .await
        .unwrap();
        let defaults = hwsnap_emulator::Config::default();
        let (ak, sk) = defaults.credentials[0].clone();
        let mut config = Config::new(defaults.region.clone(), Credentials::new(ak, sk));
        config.project_id = Some(defaults.project_id.clone());
        config.endpoints.css = Some(emu.base_url.clone());
        config.list_reuse = Duration::from_secs(3600);
        let client = Client::new(config).unwrap();
        let cancel = CancellationToken::new();
        let ctx = Ctx::new(&client, &cancel, Some(("create", Duration::from_secs(20))));
        let planned = CssIndexSnapshotModel {
            cluster_id: emu.css_clusters[0].clone(),
            name: "nightly".into(),
            description: None,
            indices: None,
            id: None,
            status: None,
            backup_method: None,
            total_shards: None,
            failed_shards: None,
            bucket_name: None,
            started_at: None,
            finished_at: None,
            cluster_name: None,
        };
        let mut resp = CreateResponse {
            state: planned.clone(),
            private: Default::default(),
            diagnostics: Diagnostics::new(),
        };
        let started = std::time::Instant::now();
        let req = CreateRequest {
            config: planned.clone(),
            planned,
        };
        CssIndexSnapshot.create(&ctx, req, &mut resp).await;
        assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
        assert_eq!(resp.state.status.as_deref(), Some("COMPLETED"));
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        emu.shutdown().await;
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
