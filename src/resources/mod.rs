//! The resource types, one file each, and what they share: the timeouts,
//! the cluster-ID rule, what a snapshot's status means while waiting (one
//! mapping per service), the create-then-wait and delete-then-wait shapes,
//! and turning client and wait errors into diagnostics.

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

mod css_index_snapshot;
mod dws_snapshot;

pub use css_index_snapshot::{CssIndexSnapshot, Model as CssIndexSnapshotModel};
pub use dws_snapshot::{DwsSnapshot, Model as DwsSnapshotModel};
#[cfg(test)]
pub(crate) use {
    css_index_snapshot::tests::snapshot as css_test_snapshot,
    dws_snapshot::tests::snapshot as dws_test_snapshot,
};

use std::future::Future;
use std::time::Duration;

use hwsnap_cloud::{
    Client, ClusterGuard, Created, CssSnapshot, CssStatus, DwsSnapshot as DwsCloudSnapshot,
    DwsStatus, Error as CloudError, Fresh, Scope,
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
enum WaitFailure {
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

/// When a wait last looked at the cloud. Each look demands an answer
/// started after the previous one arrived (`Fresh::Since`), so a shared
/// list the wait has already seen, or an older one, is never taken as news:
/// not as proof that a snapshot is ready, nor that it is gone. Lists other
/// callers started since are shared.
struct LastLook(std::sync::Mutex<tokio::time::Instant>);

impl LastLook {
    /// Starts now: the create or delete being waited on has just answered.
    fn now() -> Self {
        Self(std::sync::Mutex::new(tokio::time::Instant::now()))
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

/// The common shape of every snapshot create: wait for this process's turn
/// on the cluster, create, record the ID in `id` at once, then poll `show`
/// until the snapshot is ready, all within the create's deadline. Returns
/// the ready snapshot; otherwise pushes a diagnostic, and whatever ID was
/// recorded stays in state. `show` gets how fresh its answer must be (see
/// [`LastLook`]).
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
    let _turn = match queue_on_cluster(ctx, cluster_id).await {
        Ok(turn) => turn,
        Err(d) => {
            diagnostics.push(d);
            return None;
        }
    };
    let created = match create().await {
        Ok(c) => c,
        Err(e) => {
            diagnostics.push(cloud_diagnostic(&format!("Failed to create {kind}"), &e));
            return None;
        }
    };
    *id = Some(created.id.clone());
    if created.adopted {
        tracing::info!(id = %created.id, name, "adopted the {kind} an earlier attempt created");
    }
    let last = LastLook::now();
    let poll = || async {
        let answer = show(created.id.clone(), last.fresh()).await;
        last.looked();
        let s = answer.map_err(WaitFailure::Cloud)?;
        match s.progress() {
            Progress::Ready => Ok(Poll::Ready(s)),
            Progress::Pending => Ok(Poll::Pending(s.status().to_owned())),
            Progress::Failed => Err(WaitFailure::Status(s.status().to_owned())),
        }
    };
    match wait::until(ctx.cancel, ctx.deadline, Backoff::default(), poll).await {
        Ok(s) => Some(s),
        Err(e) => {
            let what = format!("{kind} {name:?} ({})", created.id);
            diagnostics.push(wait_diagnostic(ctx, &what, e));
            None
        }
    }
}

/// Deletes a snapshot and waits until it is gone, within the delete's
/// deadline; pushes a diagnostic when it cannot.
///
/// A busy cluster (a snapshot still being made cannot be deleted yet) is
/// retried by the client, until the deadline of the scope `delete` runs
/// under; an already-missing snapshot counts as deleted. `show` finds the
/// snapshot while it still exists, in an answer as fresh as it is told
/// (see [`LastLook`]).
pub(crate) async fn delete_and_wait<S, Del, DelFut, Sh, ShFut>(
    ctx: &Ctx<'_>,
    what: &str,
    diagnostics: &mut Diagnostics,
    delete: Del,
    show: Sh,
) where
    S: Snapshot,
    Del: Fn() -> DelFut,
    DelFut: Future<Output = Result<(), CloudError>>,
    Sh: Fn(Fresh) -> ShFut,
    ShFut: Future<Output = Result<S, CloudError>>,
{
    let deleted = match delete().await {
        Ok(()) => Ok(()),
        Err(e) if e.is_not_found() => return,
        Err(e) => Err(cloud_diagnostic(&format!("Failed to delete {what}"), &e)),
    };
    let last = LastLook::now();
    let gone = match deleted {
        Ok(()) => wait::until(ctx.cancel, ctx.deadline, Backoff::default(), || async {
            let answer = show(last.fresh()).await;
            last.looked();
            match answer {
                Ok(s) => Ok(Poll::Pending(s.status().to_owned())),
                Err(e) if e.is_not_found() => Ok(Poll::Ready(())),
                Err(e) => Err(WaitFailure::Cloud(e)),
            }
        })
        .await
        .map_err(|e| wait_diagnostic(ctx, what, e)),
        Err(d) => Err(d),
    };
    if let Err(d) = gone {
        diagnostics.push(d);
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
async fn queue_on_cluster(ctx: &Ctx<'_>, cluster_id: &str) -> Result<ClusterGuard, Diagnostic> {
    let deadline = async {
        match ctx.deadline {
            Some(d) => tokio::time::sleep_until(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        guard = ctx.data.lock_cluster(cluster_id) => Ok(guard),
        _ = ctx.cancel.cancelled() => Err(Diagnostic::error(
            "Stopped before creating the snapshot",
            "Terraform was interrupted while this snapshot waited for its turn on the cluster; nothing was created.",
        )),
        _ = deadline => Err(Diagnostic::error(
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

    use std::sync::Mutex;

    use hwsnap_cloud::{CancellationToken, Config, Credentials};
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
        config.css_list_reuse = Duration::from_secs(3600);
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
    }
}
