//! The action types (Terraform 1.14+), one file each, and what they share:
//! the `timeout` attribute, the `name`/`name_prefix` rules and generated
//! names, the checks across attributes, the create-wait-prune flow of the
//! two create actions ([`create_snapshot`], over a [`SnapshotTarget`] each
//! service implements), progress reporting ([`Reporter`]) and the actions'
//! wording of failures.
//!
//! The waiting itself is the resources' ([`crate::resources::create_then_wait`],
//! [`crate::resources::wait_ready`], [`crate::resources::delete_then_gone`]
//! and the status mappings): an action only words what happened as an
//! action, where nothing is kept in state and whatever was made stays in the
//! cloud.
//!
//! Progress messages, one line each, name the object and its ID as soon as
//! it is known:
//!
//! ```text
//! dws snapshot pre-upgrade-20261202T013512Z: creating on cluster 44b277eb-…
//! dws snapshot pre-upgrade-20261202T013512Z (2a4d0f86-…): created, waiting until AVAILABLE
//! dws snapshot pre-upgrade-20261202T013512Z (2a4d0f86-…): CREATING, 0 s
//! dws snapshot pre-upgrade-20261202T013512Z (2a4d0f86-…): CREATING, 30 s
//! dws snapshot pre-upgrade-20261201T090000Z (0c1e…): deleted (keep_last = 2)
//! dws snapshot pre-upgrade-20261202T013512Z (2a4d0f86-…): AVAILABLE after 41 s
//! ```

mod css_create_index_snapshot;
mod css_restore_index_snapshot;
mod dws_create_snapshot;

pub use css_create_index_snapshot::{
    Config as CssCreateIndexSnapshotConfig, CssCreateIndexSnapshot,
};
pub use css_restore_index_snapshot::{
    Config as CssRestoreIndexSnapshotConfig, CssRestoreIndexSnapshot,
};
pub use dws_create_snapshot::{Config as DwsCreateSnapshotConfig, DwsCreateSnapshot};

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use hwsnap_cloud::{Created, Error as CloudError, Fresh, Scope};
use hwsnap_framework::action::ProgressSink;
use hwsnap_framework::cty::{AttributePath, Value};
use hwsnap_framework::timeouts::format_duration;
use hwsnap_framework::validators::{Validator, parse_go_duration};
use hwsnap_framework::wait::WaitError;
use hwsnap_framework::{Diagnostic, Diagnostics};
use time::OffsetDateTime;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::resources::{
    CreateFailure, Ctx, DeleteFailure, NoTurn, Snapshot, WaitFailure, cloud_diagnostic,
    create_then_wait, delete_then_gone, scope,
};

/// How long an invoke waits unless `timeout` says otherwise.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// The longest silence between two progress messages while waiting.
pub(crate) const HEARTBEAT: Duration = Duration::from_secs(30);

/// The length of the UTC timestamp a `name_prefix` gets
/// (`20261202T013512Z`): the prefix may be the name's maximum length minus
/// this.
pub(crate) const STAMP_LENGTH: usize = 16;

/// `timeout`: a Go duration greater than zero.
pub(crate) struct PositiveDuration;

impl Validator for PositiveDuration {
    fn description(&self) -> String {
        "a duration greater than zero, such as \"30m\", \"1h30m\" or \"90s\"".into()
    }

    fn validate(&self, value: &Value) -> Result<(), String> {
        let Some(s) = value.as_str() else {
            return Ok(());
        };
        match parse_go_duration(s) {
            Ok(d) if d.is_zero() => Err(format!(
                "must be {}: {s:?} would give up at once",
                self.description()
            )),
            Ok(_) => Ok(()),
            Err(e) => Err(format!("is not usable: {e}")),
        }
    }
}

/// The invoke's timeout: the `timeout` attribute (validated already), or
/// [`DEFAULT_TIMEOUT`].
pub(crate) fn timeout_of(timeout: Option<&str>) -> Duration {
    timeout
        .and_then(|s| parse_go_duration(s).ok())
        .filter(|d| !d.is_zero())
        .unwrap_or(DEFAULT_TIMEOUT)
}

/// The UTC time as a name's suffix: `20261202T013512Z`, or
/// `20261202t013512z` where names are lower case.
pub(crate) fn stamp(t: OffsetDateTime, lowercase: bool) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let s = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    if lowercase { s.to_ascii_lowercase() } else { s }
}

/// `prefix` plus the UTC time, unique per invocation: when an earlier
/// invocation in this process already took this second's name on the
/// cluster, it waits for the next second.
pub(crate) async fn generated_name(cluster_id: &str, prefix: &str, lowercase: bool) -> String {
    static TAKEN: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    loop {
        let now = OffsetDateTime::now_utc();
        let name = format!("{prefix}{}", stamp(now, lowercase));
        let key = format!("{cluster_id}/{}", name.to_ascii_lowercase());
        if TAKEN
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key)
        {
            return name;
        }
        let rest_of_second = 1_000_000_000u32.saturating_sub(now.nanosecond());
        tokio::time::sleep(Duration::from_nanos(u64::from(rest_of_second) + 1_000_000)).await;
    }
}

/// How a create action names its snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Naming {
    /// `name`: exactly this.
    Exact(String),
    /// `name_prefix`: the prefix and the UTC time; then keep the newest
    /// `keep_last` snapshots with this prefix.
    Prefix {
        prefix: String,
        keep_last: Option<u64>,
    },
}

impl Naming {
    /// From a decoded config; the rules were checked by validation, but an
    /// invoke does not rely on it.
    pub(crate) fn of(
        name: Option<String>,
        name_prefix: Option<String>,
        keep_last: Option<i64>,
    ) -> Result<Naming, Diagnostic> {
        let keep_last = match keep_last.map(u64::try_from) {
            None => None,
            Some(Ok(n)) if n >= 1 => Some(n),
            Some(_) => {
                return Err(Diagnostic::error(
                    "Invalid value for keep_last",
                    "keep_last must be a whole number of at least 1.",
                )
                .at(AttributePath::attr("keep_last")));
            }
        };
        match (name, name_prefix, keep_last) {
            (Some(name), None, None) => Ok(Naming::Exact(name)),
            (None, Some(prefix), keep_last) => Ok(Naming::Prefix { prefix, keep_last }),
            (Some(_), None, Some(_)) => Err(keep_last_needs_prefix()),
            (Some(_), Some(_), _) => Err(conflicting_names()),
            (None, None, _) => Err(missing_name()),
        }
    }
}

/// Whether a configuration sets an attribute, as far as is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Given {
    No,
    Yes,
    Unknown,
}

fn given(config: &Value, attr: &str) -> Given {
    match config.get_attr(attr) {
        None => Given::No,
        Some(v) if v.is_null() => Given::No,
        Some(v) if v.is_unknown() => Given::Unknown,
        Some(_) => Given::Yes,
    }
}

fn conflicting_names() -> Diagnostic {
    Diagnostic::error(
        "Conflicting name and name_prefix",
        "Set either name (the exact name) or name_prefix (a prefix to which the invocation's UTC \
         time is appended), not both.",
    )
    .at(AttributePath::attr("name_prefix"))
}

fn missing_name() -> Diagnostic {
    Diagnostic::error(
        "Missing name or name_prefix",
        "Set name (the exact name) or name_prefix (a prefix to which the invocation's UTC time \
         is appended, such as \"pre-upgrade-\").",
    )
    .at(AttributePath::attr("name"))
}

fn keep_last_needs_prefix() -> Diagnostic {
    Diagnostic::error(
        "keep_last needs name_prefix",
        "keep_last deletes the oldest snapshots whose names start with name_prefix; with an \
         exact name there is nothing to keep the last of. Set name_prefix instead of name, or \
         remove keep_last.",
    )
    .at(AttributePath::attr("keep_last"))
}

/// The create actions' rules across attributes: exactly one of `name` and
/// `name_prefix`; `keep_last` only with `name_prefix`. Unknown values are
/// checked once known.
pub(crate) fn check_naming(config: &Value, diags: &mut Diagnostics) {
    let (name, prefix) = (given(config, "name"), given(config, "name_prefix"));
    match (name, prefix) {
        (Given::Yes, Given::Yes) => diags.push(conflicting_names()),
        (Given::No, Given::No) => diags.push(missing_name()),
        _ => {}
    }
    if given(config, "keep_last") == Given::Yes && prefix == Given::No {
        diags.push(keep_last_needs_prefix());
    }
}

/// Two attributes that only work together: one without the other is an
/// error at the missing one.
pub(crate) fn both_or_neither(config: &Value, a: &str, b: &str, diags: &mut Diagnostics) {
    for (set, missing) in [(a, b), (b, a)] {
        if given(config, set) == Given::Yes && given(config, missing) == Given::No {
            diags.push(
                Diagnostic::error(
                    format!("{set} needs {missing}"),
                    format!("{a} and {b} work together: set both, or neither."),
                )
                .at(AttributePath::attr(missing)),
            );
        }
    }
}

/// A plan-time check that a cluster exists: `checked` is the answer of one
/// cheap call on it.
pub(crate) fn check_cluster<T>(
    what: &str,
    attribute: &str,
    checked: Result<T, CloudError>,
    diags: &mut Diagnostics,
) -> Option<T> {
    match checked {
        Ok(t) => Some(t),
        Err(e) => {
            let summary = if e.is_not_found() || e.is_cluster_not_found() {
                format!("{what} not found")
            } else {
                format!("Could not check {what}")
            };
            let detail = format!("{e}. Check {attribute}; the action did not run.");
            let d = Diagnostic::error(summary, detail).at(AttributePath::attr(attribute));
            diags.push(d);
            None
        }
    }
}

/// Whole seconds the way progress messages show them: `40 s`, `2 min 5 s`.
pub(crate) fn seconds(d: Duration) -> String {
    let s = d.as_secs();
    if s < 60 {
        format!("{s} s")
    } else {
        format!("{} min {} s", s / 60, s % 60)
    }
}

/// What a wait tells its [`Reporter`], in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Event {
    /// The cloud answered the create with this ID.
    Created { id: String, adopted: bool },
    /// A check found this status.
    Pending(String),
}

/// Sends an invoke's progress: a line when the ID becomes known, on every
/// change of status, and at least every [`HEARTBEAT`] while waiting. Each
/// line starts with what is being waited for (`dws snapshot NAME (ID)`).
pub(crate) struct Reporter<'a> {
    sink: &'a ProgressSink,
    what: String,
    id: Option<String>,
    /// The last status reported, e.g. `CREATING`.
    status: String,
    /// What the wait waits for, e.g. `AVAILABLE`.
    ready: &'static str,
    started: Instant,
    last_sent: Instant,
}

impl<'a> Reporter<'a> {
    /// Reports on `what` (e.g. `dws snapshot nightly`), known by `id` once
    /// it has one, until it is `ready`, starting in `status`.
    pub(crate) fn new(
        sink: &'a ProgressSink,
        what: String,
        id: Option<String>,
        status: &str,
        ready: &'static str,
    ) -> Self {
        let now = Instant::now();
        Self {
            sink,
            what,
            id,
            status: status.to_owned(),
            ready,
            started: now,
            last_sent: now,
        }
    }

    /// `what (id)`, or `what` before the ID is known.
    pub(crate) fn label(&self) -> String {
        match &self.id {
            Some(id) => format!("{} ({id})", self.what),
            None => self.what.clone(),
        }
    }

    pub(crate) fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    pub(crate) fn status(&self) -> &str {
        &self.status
    }

    /// How long since the invoke started.
    pub(crate) fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Sends `label: text`.
    pub(crate) async fn say(&mut self, text: &str) {
        self.sink.send(format!("{}: {text}", self.label())).await;
        self.last_sent = Instant::now();
    }

    /// Sends the current status and how long it has been: `CREATING, 40 s`.
    async fn beat(&mut self) {
        let text = format!("{}, {}", self.status, seconds(self.elapsed()));
        self.say(&text).await;
    }

    async fn on(&mut self, event: Event) {
        match event {
            Event::Created { id, adopted } => {
                self.id = Some(id);
                let how = if adopted {
                    "adopted (an earlier attempt of this create made it)"
                } else {
                    "created"
                };
                let text = format!("{how}, waiting until {}", self.ready);
                self.say(&text).await;
            }
            Event::Pending(status) if status != self.status => {
                self.status = status;
                self.beat().await;
            }
            Event::Pending(_) => {}
        }
    }

    /// Runs `work`, reporting the `events` it sends as they come and a
    /// heartbeat every [`HEARTBEAT`] of silence; every event sent before
    /// `work` ended is reported before this returns.
    pub(crate) async fn watch<T>(
        &mut self,
        mut events: mpsc::UnboundedReceiver<Event>,
        work: impl Future<Output = T>,
    ) -> T {
        tokio::pin!(work);
        loop {
            let next_beat = self.last_sent + HEARTBEAT;
            tokio::select! {
                biased;
                out = &mut work => {
                    while let Ok(event) = events.try_recv() {
                        self.on(event).await;
                    }
                    return out;
                }
                Some(event) = events.recv() => self.on(event).await,
                () = tokio::time::sleep_until(next_beat) => self.beat().await,
            }
        }
    }
}

/// What differs between the two services for the create actions: one
/// cluster's snapshots, and the words for them.
#[hwsnap_framework::async_trait]
pub(crate) trait SnapshotTarget: Send + Sync {
    type Snapshot: Snapshot + Send + Sync + 'static;
    /// `DWS snapshot`: in diagnostics.
    const KIND: &'static str;
    /// `dws snapshot`: in progress messages.
    const LABEL: &'static str;
    /// The status of a finished snapshot: `AVAILABLE`.
    const READY: &'static str;
    /// Names are lower case (CSS): so is the generated timestamp.
    const LOWERCASE: bool;
    /// The resource type that could manage a snapshot like this one.
    const RESOURCE: &'static str;

    fn cluster_id(&self) -> &str;
    /// Creates a snapshot named `name` (adopting one an earlier attempt of
    /// this call made).
    async fn create(&self, name: &str, scope: &Scope) -> Result<Created, CloudError>;
    /// The snapshot, in an answer at least as fresh as `fresh` (for CSS, a
    /// shared list of the cluster).
    async fn show(
        &self,
        id: &str,
        fresh: Fresh,
        scope: &Scope,
    ) -> Result<Self::Snapshot, CloudError>;
    /// The cluster's manual snapshots, for `keep_last`.
    async fn manual_snapshots(&self, scope: &Scope) -> Result<Vec<Listed>, CloudError>;
    async fn delete(&self, id: &str, scope: &Scope) -> Result<(), CloudError>;
}

/// A manual snapshot of a cluster, as `keep_last` looks at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Listed {
    pub id: String,
    pub name: String,
    pub started: Option<OffsetDateTime>,
    /// Still being made or restored: never deleted.
    pub busy: bool,
}

/// Which of `listed` to delete so that `keep_last` snapshots named
/// `prefix…` remain, counting the new one (`new_id`, whether or not the
/// list shows it yet): the oldest first (by start time, then name), never
/// one that is busy, never one without the prefix.
pub(crate) fn to_delete<'l>(
    listed: &'l [Listed],
    prefix: &str,
    keep_last: u64,
    new_id: &str,
) -> Vec<&'l Listed> {
    let mut others: Vec<&Listed> = listed
        .iter()
        .filter(|s| s.id != new_id && s.name.starts_with(prefix))
        .collect();
    others.sort_by(|a, b| (a.started, &a.name).cmp(&(b.started, &b.name)));
    let keep_others = usize::try_from(keep_last.saturating_sub(1)).unwrap_or(usize::MAX);
    let excess = others.len().saturating_sub(keep_others);
    others
        .into_iter()
        .take(excess)
        .filter(|s| !s.busy)
        .collect()
}

/// A create action: name the snapshot, create it in turn on its cluster,
/// wait until it is ready while reporting progress, then (for `keep_last`)
/// delete the oldest snapshots with the prefix. The last progress message
/// names the snapshot and its ID; failures are errors naming the ID (the
/// snapshot stays in the cloud) and how long the action waited.
pub(crate) async fn create_snapshot<T: SnapshotTarget>(
    ctx: &Ctx<'_>,
    target: &T,
    naming: Result<Naming, Diagnostic>,
    progress: &ProgressSink,
    diagnostics: &mut Diagnostics,
) {
    let naming = match naming {
        Ok(n) => n,
        Err(d) => return diagnostics.push(d),
    };
    let cluster_id = target.cluster_id();
    let name = match &naming {
        Naming::Exact(name) => name.clone(),
        Naming::Prefix { prefix, .. } => generated_name(cluster_id, prefix, T::LOWERCASE).await,
    };
    let scope = &scope(ctx);
    let start = format!("creating on cluster {cluster_id}");
    let what = format!("{} {name}", T::LABEL);
    let mut reporter = Reporter::new(progress, what, None, &start, T::READY);
    reporter.say(&start).await;

    let (tx, rx) = mpsc::unbounded_channel();
    let created = |c: &Created| {
        let _ = tx.send(Event::Created {
            id: c.id.clone(),
            adopted: c.adopted,
        });
    };
    let pending = |status: &str| {
        let _ = tx.send(Event::Pending(status.to_owned()));
    };
    let work = create_then_wait(
        ctx,
        cluster_id,
        (|| target.create(&name, scope), created),
        (
            |id: String, fresh| async move { target.show(&id, fresh, scope).await },
            pending,
        ),
    );
    let outcome = reporter.watch(rx, work).await;
    let id = match outcome {
        Ok(_) => reporter.id().unwrap_or_default().to_owned(),
        Err(failure) => {
            if let CreateFailure::Wait { error, .. } = &failure {
                let text = format!(
                    "{} after {}; the snapshot stays in the cloud",
                    ended(error, reporter.status()),
                    seconds(reporter.elapsed())
                );
                reporter.say(&text).await;
            }
            let new = (cluster_id, name.as_str());
            diagnostics.push(create_failure::<T>(ctx, &reporter, new, failure));
            return;
        }
    };
    if let Naming::Prefix {
        prefix,
        keep_last: Some(keep_last),
    } = &naming
    {
        let keep = KeepLast {
            prefix,
            keep_last: *keep_last,
            new: (&name, &id),
        };
        prune(ctx, target, keep, &mut reporter, diagnostics).await;
    }
    let text = format!("{} after {}", T::READY, seconds(reporter.elapsed()));
    reporter.say(&text).await;
}

/// What `keep_last` keeps: the newest `keep_last` snapshots named
/// `prefix…`, `new` (name and ID) among them.
struct KeepLast<'a> {
    prefix: &'a str,
    keep_last: u64,
    new: (&'a str, &'a str),
}

/// Deletes the oldest manual snapshots named `prefix…` until `keep_last`
/// remain. A snapshot that cannot be deleted is a warning: the new one is
/// ready, and the next invoke tries again.
async fn prune<T: SnapshotTarget>(
    ctx: &Ctx<'_>,
    target: &T,
    keep: KeepLast<'_>,
    reporter: &mut Reporter<'_>,
    diagnostics: &mut Diagnostics,
) {
    let scope = &scope(ctx);
    let (new_name, new_id) = keep.new;
    let then = format!(
        "The new {} {new_name} ({new_id}) is {}; the next invoke tries again.",
        T::KIND,
        T::READY
    );
    let listed = match target.manual_snapshots(scope).await {
        Ok(l) => l,
        Err(e) => {
            let mut d = cloud_diagnostic(
                &format!(
                    "Could not list the snapshots of cluster {} for keep_last",
                    target.cluster_id()
                ),
                &e,
            );
            d.severity = hwsnap_framework::Severity::Warning;
            d.detail = format!("{}. Nothing was deleted. {then}", d.detail);
            diagnostics.push(d);
            return;
        }
    };
    for old in to_delete(&listed, keep.prefix, keep.keep_last, new_id) {
        let label = format!("{} {} ({})", T::LABEL, old.name, old.id);
        let deleted = delete_then_gone(
            ctx,
            || target.delete(&old.id, scope),
            |fresh| target.show(&old.id, fresh, scope),
            |_| {},
        )
        .await;
        match deleted {
            Ok(()) => {
                let text = format!("{label}: deleted (keep_last = {})", keep.keep_last);
                reporter.sink.send(text).await;
            }
            Err(failure) => {
                let why = match failure {
                    DeleteFailure::Delete(e)
                    | DeleteFailure::Wait(WaitError::Failed(WaitFailure::Cloud(e))) => {
                        e.to_string()
                    }
                    DeleteFailure::Wait(WaitError::TimedOut { last, .. }) => {
                        format!("The timeout ran out while it was still {last}")
                    }
                    DeleteFailure::Wait(WaitError::Cancelled) => {
                        "Terraform was interrupted while it was being deleted".to_owned()
                    }
                    DeleteFailure::Wait(WaitError::Failed(WaitFailure::Status(status))) => {
                        format!("It is {status}")
                    }
                };
                diagnostics.push(Diagnostic::warning(
                    format!("Could not delete the older {label} for keep_last"),
                    format!("{why}. {then}"),
                ));
            }
        }
    }
}

/// The invoke's timeout as configured, for messages (`30m`).
fn limit(ctx: &Ctx<'_>) -> String {
    format_duration(ctx.timeout.map_or(DEFAULT_TIMEOUT, |(_, d)| d))
}

/// An action's error for a create of `name` on `cluster_id` that did not
/// end with a ready snapshot.
fn create_failure<T: SnapshotTarget>(
    ctx: &Ctx<'_>,
    reporter: &Reporter<'_>,
    (cluster_id, name): (&str, &str),
    failure: CreateFailure,
) -> Diagnostic {
    let kind = T::KIND;
    match failure {
        CreateFailure::NoTurn(NoTurn::Stopped) => Diagnostic::error(
            format!("Stopped before creating the {kind}"),
            format!(
                "Terraform was interrupted while the {kind} {name} waited for its turn on cluster \
                 {cluster_id}; nothing was created."
            ),
        ),
        CreateFailure::NoTurn(NoTurn::OutOfTime) => Diagnostic::error(
            format!("Timed out waiting for cluster {cluster_id}"),
            format!(
                "Other snapshots of cluster {cluster_id} took the whole timeout = \"{}\"; nothing was \
                 created. Raise timeout or make fewer snapshots of one cluster at a time.",
                limit(ctx)
            ),
        ),
        CreateFailure::Create(e) => {
            let mut d = cloud_diagnostic(&format!("Failed to create {kind} {name}"), &e);
            d.detail = if surely_not_made(&e) {
                format!("{}. Nothing was created.", d.detail)
            } else {
                format!(
                    "{}. The {kind} may exist all the same: look for {name} on cluster {cluster_id}.",
                    d.detail
                )
            };
            d
        }
        CreateFailure::Wait { id, error } => {
            let what = format!("{kind} {name} ({id})");
            let kept = format!(
                "It stays in the cloud: delete it there, or adopt it with an import block into a {} \
                 resource.",
                T::RESOURCE
            );
            wait_failure(ctx, reporter, &what, error, &kept)
        }
    }
}

/// Whether a failed create certainly made nothing: the cloud refused it, or
/// the request never left. A lost answer or a deadline after sending may
/// have made the snapshot.
fn surely_not_made(e: &CloudError) -> bool {
    match e {
        CloudError::Transport { ambiguous, .. } => !ambiguous,
        CloudError::DeadlineExceeded {
            may_have_created, ..
        } => !may_have_created,
        CloudError::NotFound { .. }
        | CloudError::Auth { .. }
        | CloudError::KeyLocked { .. }
        | CloudError::Throttled { .. }
        | CloudError::Busy { .. }
        | CloudError::Api { .. }
        | CloudError::AlreadyExists { .. }
        | CloudError::Unreachable { .. }
        | CloudError::Redirect { .. }
        | CloudError::Certificate { .. }
        | CloudError::Config { .. } => true,
        _ => false,
    }
}

/// How a wait ended, in a few words for the last progress line: `FAILED`,
/// `still CREATING, stopped waiting`.
pub(crate) fn ended(error: &WaitError<WaitFailure>, last: &str) -> String {
    match error {
        WaitError::TimedOut { .. }
        | WaitError::Failed(WaitFailure::Cloud(CloudError::DeadlineExceeded { .. })) => {
            format!("still {last}, timed out")
        }
        WaitError::Cancelled => format!("still {last}, stopped waiting"),
        WaitError::Failed(WaitFailure::Status(status)) => status.clone(),
        WaitError::Failed(WaitFailure::Cloud(_)) => format!("{last}, could not be checked"),
    }
}

/// An action's error for a wait that ended without `reporter.ready`:
/// names `what` (with its ID), how long the action waited, and what
/// became of it (`kept`).
pub(crate) fn wait_failure(
    ctx: &Ctx<'_>,
    reporter: &Reporter<'_>,
    what: &str,
    error: WaitError<WaitFailure>,
    kept: &str,
) -> Diagnostic {
    let waited = seconds(reporter.elapsed());
    let (ready, last) = (reporter.ready, reporter.status());
    match error {
        WaitError::TimedOut { last, .. } => timed_out(ctx, what, ready, &waited, &last, kept),
        WaitError::Failed(WaitFailure::Cloud(e @ CloudError::DeadlineExceeded { .. })) => {
            timed_out(ctx, what, ready, &waited, &e.to_string(), kept)
        }
        WaitError::Cancelled => Diagnostic::error(
            format!("Stopped waiting for {what}"),
            format!("Terraform was interrupted after {waited}, when it was {last}. {kept}"),
        ),
        WaitError::Failed(WaitFailure::Status(status)) => Diagnostic::error(
            format!("{} ended in status {status}", capitalized(what)),
            format!(
                "The cloud reports it as {status} after {waited}, so it did not become {ready}. {kept}"
            ),
        ),
        WaitError::Failed(WaitFailure::Cloud(e)) => {
            let mut d = cloud_diagnostic(&format!("Failed to check {what}"), &e);
            d.detail = format!("{} (after waiting {waited}). {kept}", d.detail);
            d
        }
    }
}

/// `what` at the start of a sentence.
fn capitalized(what: &str) -> String {
    let mut chars = what.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn timed_out(
    ctx: &Ctx<'_>,
    what: &str,
    ready: &str,
    waited: &str,
    last: &str,
    kept: &str,
) -> Diagnostic {
    Diagnostic::error(
        format!("Timed out waiting for {what}"),
        format!(
            "{what} was not {ready} after {waited} (timeout = \"{}\"; last seen: {last}). {kept} \
             Raise timeout if the cluster needs longer.",
            limit(ctx)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn names_get_the_utc_time() {
        let t = datetime!(2026-12-02 09:35:12 +08:00);
        assert_eq!(stamp(t, false), "20261202T013512Z");
        assert_eq!(stamp(t, true), "20261202t013512z");
        assert_eq!(stamp(t, false).len(), STAMP_LENGTH);
    }

    #[tokio::test]
    async fn generated_names_are_unique_per_cluster() {
        let a = generated_name("c-1", "pre-", false).await;
        let b = generated_name("c-1", "pre-", false).await;
        let other = generated_name("c-2", "pre-", false).await;
        assert_ne!(a, b, "the second waits for the next second");
        assert!(a.starts_with("pre-") && a.len() == 4 + STAMP_LENGTH, "{a}");
        assert!(other.starts_with("pre-"));
    }

    #[test]
    fn timeouts_are_positive_durations() {
        let v = PositiveDuration;
        assert!(v.validate(&Value::string("90s")).is_ok());
        assert!(
            v.validate(&Value::string("0s"))
                .unwrap_err()
                .contains("greater than zero")
        );
        assert!(
            v.validate(&Value::string("soon"))
                .unwrap_err()
                .contains("not a duration")
        );
        assert_eq!(timeout_of(None), DEFAULT_TIMEOUT);
        assert_eq!(timeout_of(Some("2m")), Duration::from_secs(120));
    }

    fn config(pairs: &[(&str, Value)]) -> Value {
        let mut v = Value::Object(Default::default());
        for name in ["name", "name_prefix", "keep_last"] {
            v.set_attr(name, Value::Null);
        }
        for (k, x) in pairs {
            v.set_attr(k, x.clone());
        }
        v
    }

    fn summaries(config: &Value) -> Vec<String> {
        let mut d = Diagnostics::new();
        check_naming(config, &mut d);
        d.iter().map(|d| d.summary.clone()).collect()
    }

    #[test]
    fn exactly_one_name_and_keep_last_only_with_a_prefix() {
        let s = |v: &str| Value::string(v);
        assert_eq!(
            summaries(&config(&[("name", s("a-b-c"))])),
            Vec::<String>::new()
        );
        assert!(
            summaries(&config(&[
                ("name_prefix", s("p-")),
                ("keep_last", Value::from(2))
            ]))
            .is_empty()
        );
        assert_eq!(
            summaries(&config(&[("name", s("abcd")), ("name_prefix", s("p-"))])),
            ["Conflicting name and name_prefix"]
        );
        assert_eq!(summaries(&config(&[])), ["Missing name or name_prefix"]);
        assert_eq!(
            summaries(&config(&[
                ("name", s("abcd")),
                ("keep_last", Value::from(2))
            ])),
            ["keep_last needs name_prefix"]
        );
        // Unknown values are checked once known.
        assert!(summaries(&config(&[("name", Value::unknown())])).is_empty());
        assert!(
            summaries(&config(&[
                ("name_prefix", Value::unknown()),
                ("keep_last", Value::from(1))
            ]))
            .is_empty()
        );
    }

    #[test]
    fn naming_from_a_decoded_config() {
        assert_eq!(
            Naming::of(Some("abcd".into()), None, None),
            Ok(Naming::Exact("abcd".into()))
        );
        assert_eq!(
            Naming::of(None, Some("p-".into()), Some(3)),
            Ok(Naming::Prefix {
                prefix: "p-".into(),
                keep_last: Some(3)
            })
        );
        assert!(Naming::of(None, Some("p-".into()), Some(0)).is_err());
        assert!(Naming::of(None, None, None).is_err());
    }

    fn listed(id: &str, name: &str, minute: u8, busy: bool) -> Listed {
        Listed {
            id: id.into(),
            name: name.into(),
            started: Some(
                datetime!(2026-12-02 01:00:00 UTC) + Duration::from_secs(60 * u64::from(minute)),
            ),
            busy,
        }
    }

    #[test]
    fn keep_last_deletes_only_the_oldest_with_the_prefix() {
        let all = [
            listed("new", "pre-4", 4, false),
            listed("a", "pre-1", 1, false),
            listed("hand", "made-by-hand", 0, false),
            listed("b", "pre-2", 2, false),
            listed("c", "pre-3", 3, false),
        ];
        let ids = |v: Vec<&Listed>| v.into_iter().map(|s| s.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(to_delete(&all, "pre-", 2, "new")), ["a", "b"]);
        assert_eq!(ids(to_delete(&all, "pre-", 1, "new")), ["a", "b", "c"]);
        assert!(to_delete(&all, "pre-", 4, "new").is_empty());
        assert!(to_delete(&all, "pre-", 10, "new").is_empty());
        // The new snapshot counts even when the list does not show it yet.
        assert_eq!(ids(to_delete(&all[1..], "pre-", 2, "new")), ["a", "b"]);
        // A busy one is kept.
        let busy = [
            listed("a", "pre-1", 1, true),
            listed("b", "pre-2", 2, false),
        ];
        assert_eq!(ids(to_delete(&busy, "pre-", 1, "new")), ["b"]);
    }

    /// The schedule of progress lines: the ID as soon as it is known, each
    /// change of status, a heartbeat after 30 s of silence, and every event
    /// sent before the work ended.
    #[tokio::test(start_paused = true)]
    async fn progress_on_every_change_and_at_least_every_30_s() {
        let (sink, mut rx) = ProgressSink::channel(64);
        let mut reporter = Reporter::new(
            &sink,
            "dws snapshot nightly".into(),
            None,
            "creating on cluster c-1",
            "AVAILABLE",
        );
        let (tx, events) = mpsc::unbounded_channel();
        let work = async {
            let send = |e| tx.send(e).unwrap();
            send(Event::Created {
                id: "id-1".into(),
                adopted: false,
            });
            tokio::time::sleep(Duration::from_secs(1)).await;
            send(Event::Pending("CREATING".into()));
            tokio::time::sleep(Duration::from_secs(5)).await;
            send(Event::Pending("CREATING".into()));
            tokio::time::sleep(Duration::from_secs(64)).await;
            send(Event::Pending("FROZEN".into()));
            7
        };
        assert_eq!(reporter.watch(events, work).await, 7);
        drop(sink);
        let mut lines = Vec::new();
        while let Some(line) = rx.recv().await {
            lines.push(line);
        }
        assert_eq!(
            lines,
            [
                "dws snapshot nightly (id-1): created, waiting until AVAILABLE",
                "dws snapshot nightly (id-1): CREATING, 1 s",
                "dws snapshot nightly (id-1): CREATING, 31 s",
                "dws snapshot nightly (id-1): CREATING, 1 min 1 s",
                "dws snapshot nightly (id-1): FROZEN, 1 min 10 s",
            ]
        );
    }

    #[test]
    fn only_a_refused_create_certainly_made_nothing() {
        let transport = |ambiguous| CloudError::Transport {
            operation: "create".into(),
            reason: "reset".into(),
            ambiguous,
        };
        assert!(surely_not_made(&transport(false)));
        assert!(!surely_not_made(&transport(true)));
        assert!(surely_not_made(&CloudError::NotFound {
            what: "DWS cluster c".into(),
            code: Some("DWS.0047".into()),
            request_id: None,
        }));
        assert!(!surely_not_made(&CloudError::Timeout {
            operation: "create".into()
        }));
        assert!(!surely_not_made(&CloudError::Cancelled));
    }

    #[test]
    fn seconds_read_like_a_clock() {
        assert_eq!(seconds(Duration::from_millis(40_900)), "40 s");
        assert_eq!(seconds(Duration::from_secs(125)), "2 min 5 s");
    }
}
