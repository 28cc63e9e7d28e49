//! The retry policy, written once: which failures are retried, how long to
//! wait (capped exponential backoff with full jitter, `Retry-After`
//! honoured and clamped), and the create loop that never blindly repeats a
//! create whose outcome is unknown.
//!
//! Both loops run under a [`Scope`]: cancellation ends them at once, and the
//! deadline is a hard limit — no attempt starts after it, no wait ends past
//! it (a retry whose wait would is not made), and running out is
//! [`Error::DeadlineExceeded`] with what was seen last. Busy clusters
//! (`DWS.7023`, `CSS.0011`) are retried here and only here: until the
//! deadline when the scope has one, else up to `max_retries`.

use std::future::Future;
use std::time::Duration;

use rand::Rng;
use tokio::time::Instant;

use crate::error::Error;
use crate::scope::Scope;

/// Backoff timing. Tests use tiny values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryTiming {
    /// Cap of the first backoff; doubles each attempt.
    pub base: Duration,
    /// Cap of any backoff.
    pub max: Duration,
    /// Longest `Retry-After` honoured; longer values are cut to this.
    pub max_retry_after: Duration,
}

impl Default for RetryTiming {
    fn default() -> Self {
        RetryTiming {
            base: Duration::from_secs(1),
            max: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

impl RetryTiming {
    /// Millisecond timings for tests and local emulators.
    pub fn fast() -> Self {
        RetryTiming {
            base: Duration::from_millis(5),
            max: Duration::from_millis(20),
            max_retry_after: Duration::from_secs(5),
        }
    }

    /// The upper bound of the backoff before retry number `attempt` (0-based):
    /// `min(max, base * 2^attempt)`.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.max)
    }

    /// A full-jitter backoff: uniform in `[0, ceiling(attempt)]`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self.ceiling(attempt);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(rand::rng().random_range(0..=nanos))
    }

    /// The wait before retry number `attempt` after `err`: the server's
    /// `Retry-After` (clamped to `max_retry_after`) when it gave one,
    /// otherwise the backoff.
    pub(crate) fn delay(&self, attempt: u32, err: &Error) -> Duration {
        match err {
            Error::Throttled {
                retry_after: Some(wait),
                ..
            } => (*wait).min(self.max_retry_after),
            _ => self.backoff(attempt),
        }
    }
}

/// Parses a `Retry-After` value without ever panicking: delay seconds (any
/// number of digits; too many for `u64` reads as "very long"), decimal
/// seconds such as `1.5`, or an HTTP date measured from `now` (a past date
/// is zero). Anything else — `NaN`, `inf`, `-1`, `1e20`, garbage — is
/// `None`, and the caller falls back to its own backoff. The result is not
/// clamped here; [`RetryTiming::delay`] clamps it.
pub fn parse_retry_after(value: &str, now: time::OffsetDateTime) -> Option<Duration> {
    let value = value.trim();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let whole = |s: &str| s.parse::<u64>().unwrap_or(u64::MAX);
    if digits(value) {
        return Some(Duration::from_secs(whole(value)));
    }
    if let Some((int, frac)) = value.split_once('.') {
        if digits(int) && digits(frac) {
            let frac = &frac[..frac.len().min(9)];
            let scale = 10u32.pow(9 - frac.len() as u32);
            let nanos = frac.parse::<u32>().unwrap_or(0).saturating_mul(scale);
            return Some(Duration::new(whole(int), nanos.min(999_999_999)));
        }
        return None;
    }
    let at =
        time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc2822).ok()?;
    let wait = at - now;
    Some(if wait.is_negative() {
        Duration::ZERO
    } else {
        wait.unsigned_abs()
    })
}

/// How a failure is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Verdict {
    /// Worth another attempt.
    pub retry: bool,
    /// The request may have taken effect (matters for creates).
    pub ambiguous: bool,
}

pub(crate) fn verdict(err: &Error) -> Verdict {
    let (retry, ambiguous) = match err {
        Error::Throttled { .. } | Error::Busy { .. } | Error::Unreachable { .. } => (true, false),
        Error::Transport { ambiguous, .. } => (true, *ambiguous),
        Error::Timeout { .. } => (true, true),
        Error::Api {
            status: 500 | 502 | 503 | 504,
            ..
        } => (true, true),
        // A 2xx whose body could not be read: the call happened.
        Error::Decode { .. } | Error::TooLarge { .. } => (false, true),
        _ => (false, false),
    };
    Verdict { retry, ambiguous }
}

/// How many times and how long to retry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetryPolicy {
    pub max_retries: u32,
    pub timing: RetryTiming,
}

/// The bookkeeping of one call's attempts under a [`Scope`]: how many were
/// made, since when the cloud has been silent, whether any may have taken
/// effect; and the one decision "give up, or wait and try again".
pub(crate) struct Tries<'a> {
    policy: &'a RetryPolicy,
    scope: &'a Scope,
    operation: &'a str,
    /// A create: running out of time says the snapshot may exist.
    creates: bool,
    started: Instant,
    attempts: u32,
    silent_since: Instant,
    ambiguous: bool,
    last: Option<Error>,
}

impl<'a> Tries<'a> {
    pub(crate) fn new(policy: &'a RetryPolicy, scope: &'a Scope, operation: &'a str) -> Self {
        let now = Instant::now();
        Tries {
            policy,
            scope,
            operation,
            creates: false,
            started: now,
            attempts: 0,
            silent_since: now,
            ambiguous: false,
            last: None,
        }
    }

    fn for_create(self) -> Self {
        Tries {
            creates: true,
            ..self
        }
    }

    /// Before an attempt: cancelled, or past the deadline, ends the call.
    pub(crate) fn begin(&mut self) -> Result<(), Error> {
        if self.scope.cancel().is_cancelled() {
            return Err(Error::Cancelled);
        }
        if self.scope.remaining() == Some(Duration::ZERO) {
            return Err(self.out_of_time(self.last.clone()));
        }
        self.attempts += 1;
        Ok(())
    }

    /// Records what a failed attempt shows: an answer ends the silence; a
    /// request that may have taken effect is remembered.
    fn note(&mut self, err: &Error) {
        if err.is_answer() {
            self.silent_since = Instant::now();
        }
        self.ambiguous |= verdict(err).ambiguous;
    }

    /// The deadline error, from the last failure seen (if any).
    fn out_of_time(&self, last: Option<Error>) -> Error {
        let now = Instant::now();
        Error::DeadlineExceeded {
            operation: self.operation.to_owned(),
            waited: now - self.started,
            attempts: self.attempts,
            last: Box::new(match last {
                Some(err) => err.last_seen(now - self.silent_since),
                None => crate::error::LastSeen::Nothing,
            }),
            may_have_created: self.creates && self.ambiguous,
        }
    }

    /// After a failed attempt: returns the error to give up with, or waits
    /// the policy's delay and returns `Ok(())` for another attempt. Running
    /// into the deadline (now, or by the end of the wait) gives up with
    /// [`Error::DeadlineExceeded`]; a busy cluster under a deadline is
    /// retried until it, ignoring `max_retries`.
    pub(crate) async fn failed(&mut self, err: Error, retry: bool) -> Result<(), Error> {
        self.note(&err);
        let err = self.counted(err);
        if !retry {
            return Err(err);
        }
        if self.scope.remaining() == Some(Duration::ZERO) {
            return Err(self.out_of_time(Some(err)));
        }
        let busy_until_deadline =
            matches!(err, Error::Busy { .. }) && self.scope.deadline().is_some();
        let retry_number = self.attempts.saturating_sub(1);
        if retry_number >= self.policy.max_retries && !busy_until_deadline {
            return Err(err);
        }
        let wait = self.policy.timing.delay(retry_number, &err);
        if self
            .scope
            .deadline()
            .is_some_and(|deadline| Instant::now() + wait >= deadline)
        {
            return Err(self.out_of_time(Some(err)));
        }
        // Attempts count from 1: the first request is attempt 1.
        tracing::debug!(
            failed_attempt = self.attempts,
            next_attempt = self.attempts + 1,
            wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
            error = %err,
            "retrying {}",
            self.operation
        );
        self.last = Some(err);
        tokio::select! {
            biased;
            () = self.scope.cancel().cancelled() => Err(Error::Cancelled),
            () = tokio::time::sleep(wait) => Ok(()),
        }
    }

    /// `err` with this call's attempt count and time filled in, where the
    /// error reports them.
    fn counted(&self, err: Error) -> Error {
        match err {
            Error::Unreachable {
                operation,
                endpoint,
                origin,
                reason,
                ..
            } => Error::Unreachable {
                operation,
                endpoint,
                origin,
                reason,
                attempts: self.attempts,
                waited: Instant::now() - self.started,
            },
            other => other,
        }
    }
}

/// Runs an idempotent call, retrying retryable failures within `scope`.
pub(crate) async fn with_retries<T, F, Fut>(
    policy: &RetryPolicy,
    scope: &Scope,
    operation: &str,
    mut call: F,
) -> Result<T, Error>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let mut tries = Tries::new(policy, scope, operation);
    loop {
        tries.begin()?;
        let err = match call(tries.attempts - 1).await {
            Ok(value) => return Ok(value),
            Err(err) => err,
        };
        let retry = verdict(&err).retry;
        tries.failed(err, retry).await?;
    }
}

/// The answer to a create: the snapshot's id, and whether it was found
/// already existing (a lost answer, or a re-run after a crash) rather than
/// made by this call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub id: String,
    pub adopted: bool,
}

/// A snapshot found by name while resolving a create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Existing {
    pub id: String,
    pub description: Option<String>,
}

fn same_description(a: Option<&str>, b: Option<&str>) -> bool {
    a.unwrap_or("").trim() == b.unwrap_or("").trim()
}

/// Creates without ever blindly repeating a create that may have worked.
///
/// - success → `Created { adopted: false }`;
/// - ambiguous failure (timeout, lost answer, 5xx, unreadable 2xx) → look
///   the name up; adopt a match, otherwise retry (if retryable);
/// - 400/409 refusal → look the name up: adopt a match with the same
///   description, report [`Error::AlreadyExists`] for a different one,
///   otherwise return the refusal;
/// - other retryable failures (429, busy, connection refused) → retry;
/// - the deadline running out after an ambiguous failure (no time left to
///   look) → [`Error::DeadlineExceeded`] with `may_have_created`: the next
///   create of that name finds and adopts the snapshot.
pub(crate) async fn create_with_adoption<C, CF, L, LF>(
    policy: &RetryPolicy,
    scope: &Scope,
    operation: &str,
    description: Option<&str>,
    mut create: C,
    mut lookup: L,
) -> Result<Created, Error>
where
    C: FnMut(u32) -> CF,
    CF: Future<Output = Result<String, Error>>,
    L: FnMut() -> LF,
    LF: Future<Output = Result<Option<Existing>, Error>>,
{
    let adopt = |existing: Existing| -> Result<Created, Error> {
        if same_description(existing.description.as_deref(), description) {
            tracing::info!(id = %existing.id, "{operation}: adopted the existing snapshot of that name");
            Ok(Created {
                id: existing.id,
                adopted: true,
            })
        } else {
            Err(Error::AlreadyExists {
                operation: operation.to_owned(),
                existing_id: existing.id,
                existing_description: existing.description,
                wanted_description: description.map(str::to_owned),
            })
        }
    };
    let mut tries = Tries::new(policy, scope, operation).for_create();
    loop {
        tries.begin()?;
        let err = match create(tries.attempts - 1).await {
            Ok(id) => {
                return Ok(Created { id, adopted: false });
            }
            Err(err) => err,
        };
        tries.note(&err);
        let v = verdict(&err);
        let refused = matches!(
            err,
            Error::Api {
                status: 400 | 409,
                ..
            }
        );
        if v.ambiguous || refused {
            match lookup().await {
                Ok(Some(existing)) => return adopt(existing),
                Ok(None) => {}
                Err(Error::Cancelled) => return Err(Error::Cancelled),
                Err(Error::DeadlineExceeded { .. }) => return Err(tries.out_of_time(Some(err))),
                Err(lookup_err) => {
                    tracing::warn!(error = %lookup_err, "{operation}: could not check whether the snapshot exists");
                    return Err(err);
                }
            }
        }
        tries.failed(err, v.retry).await?;
    }
}

/// Runs a state change that is not a create and must never be blindly
/// repeated (a CSS restore). Failures that certainly did not take effect
/// (throttled, busy, no connection) are retried as usual. After an ambiguous
/// one (lost answer, timeout, 5xx) `confirm` is asked whether the change is
/// visible: yes counts as done; no, or no way to tell, is
/// [`Error::OutcomeUnknown`] — the change is not sent again.
pub(crate) async fn act_once<A, AF, C, CF>(
    policy: &RetryPolicy,
    scope: &Scope,
    operation: &str,
    check: &str,
    mut act: A,
    mut confirm: C,
) -> Result<(), Error>
where
    A: FnMut() -> AF,
    AF: Future<Output = Result<(), Error>>,
    C: FnMut() -> CF,
    CF: Future<Output = Result<bool, Error>>,
{
    let mut tries = Tries::new(policy, scope, operation);
    loop {
        tries.begin()?;
        let err = match act().await {
            Ok(()) => return Ok(()),
            Err(err) => err,
        };
        let v = verdict(&err);
        if v.ambiguous {
            return match confirm().await {
                Ok(true) => {
                    tracing::info!("{operation}: the answer was lost, but the change is visible");
                    Ok(())
                }
                Err(Error::Cancelled) => Err(Error::Cancelled),
                Ok(false) | Err(_) => Err(Error::OutcomeUnknown {
                    operation: operation.to_owned(),
                    last: Box::new(err),
                    check: check.to_owned(),
                }),
            };
        }
        tries.failed(err, v.retry).await?;
    }
}

#[cfg(test)]
mod tests {
    use tokio_util::sync::CancellationToken;

    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use tokio::time::Instant;

    fn policy(max_retries: u32) -> RetryPolicy {
        RetryPolicy {
            max_retries,
            timing: RetryTiming {
                base: Duration::from_millis(1),
                max: Duration::from_millis(2),
                max_retry_after: Duration::from_millis(50),
            },
        }
    }

    fn api(status: u16) -> Error {
        Error::Api {
            status,
            code: None,
            message: String::new(),
            request_id: None,
            operation: "op".to_owned(),
        }
    }

    fn transport(ambiguous: bool) -> Error {
        Error::Transport {
            operation: "op".to_owned(),
            reason: "reset".to_owned(),
            ambiguous,
        }
    }

    #[test]
    fn refused_certificates_are_final() {
        let v = verdict(&Error::Certificate {
            operation: "op".to_owned(),
            reason: "invalid peer certificate: UnknownIssuer".to_owned(),
        });
        assert!(!v.retry && !v.ambiguous, "{v:?}");
    }

    #[test]
    fn backoff_stays_within_capped_ceiling() {
        let timing = RetryTiming {
            base: Duration::from_millis(100),
            max: Duration::from_secs(2),
            max_retry_after: Duration::from_secs(10),
        };
        assert_eq!(timing.ceiling(0), Duration::from_millis(100));
        assert_eq!(timing.ceiling(3), Duration::from_millis(800));
        assert_eq!(timing.ceiling(5), Duration::from_secs(2));
        assert_eq!(timing.ceiling(200), Duration::from_secs(2));
        for attempt in 0..40 {
            for _ in 0..50 {
                assert!(timing.backoff(attempt) <= timing.ceiling(attempt));
            }
        }
        // Full jitter actually varies.
        let samples: std::collections::HashSet<_> = (0..50).map(|_| timing.backoff(4)).collect();
        assert!(samples.len() > 1);
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let timing = RetryTiming {
            base: Duration::from_millis(1),
            max: Duration::from_millis(1),
            max_retry_after: Duration::from_secs(60),
        };
        let throttled = |secs| Error::Throttled {
            operation: "op".to_owned(),
            status: 429,
            code: None,
            message: String::new(),
            retry_after: Some(Duration::from_secs(secs)),
            request_id: None,
        };
        assert_eq!(timing.delay(0, &throttled(7)), Duration::from_secs(7));
        assert_eq!(timing.delay(0, &throttled(3600)), Duration::from_secs(60));
    }

    #[test]
    fn retry_after_parsing() {
        let now = time::macros::datetime!(2015-10-21 07:28:00 UTC);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("1.5", now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-4", now), None);
    }

    #[test]
    fn verdicts() {
        assert_eq!(
            verdict(&api(503)),
            Verdict {
                retry: true,
                ambiguous: true
            }
        );
        assert_eq!(
            verdict(&api(400)),
            Verdict {
                retry: false,
                ambiguous: false
            }
        );
        assert_eq!(
            verdict(&transport(false)),
            Verdict {
                retry: true,
                ambiguous: false
            }
        );
        assert_eq!(
            verdict(&transport(true)),
            Verdict {
                retry: true,
                ambiguous: true
            }
        );
        let auth = Error::Auth {
            operation: "op".to_owned(),
            status: 401,
            code: Some("APIGW.0301".to_owned()),
            message: String::new(),
            request_id: None,
        };
        assert!(!verdict(&auth).retry);
    }

    #[tokio::test]
    async fn retries_until_success_and_gives_up_after_max() {
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let out = with_retries(
            &policy(3),
            &Scope::new(CancellationToken::new()),
            "op",
            move |_| {
                let c = c.clone();
                async move {
                    if c.fetch_add(1, Ordering::SeqCst) < 2 {
                        Err(api(502))
                    } else {
                        Ok(7)
                    }
                }
            },
        )
        .await;
        assert_eq!(out, Ok(7));
        assert_eq!(calls.load(Ordering::SeqCst), 3);

        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let out: Result<(), Error> = with_retries(
            &policy(2),
            &Scope::new(CancellationToken::new()),
            "op",
            move |_| {
                c.fetch_add(1, Ordering::SeqCst);
                async { Err(api(503)) }
            },
        )
        .await;
        assert!(matches!(out, Err(Error::Api { status: 503, .. })));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn auth_failure_is_never_retried() {
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let out: Result<(), Error> = with_retries(
            &policy(5),
            &Scope::new(CancellationToken::new()),
            "op",
            move |_| {
                c.fetch_add(1, Ordering::SeqCst);
                async {
                    Err(Error::Auth {
                        operation: "op".to_owned(),
                        status: 401,
                        code: None,
                        message: String::new(),
                        request_id: None,
                    })
                }
            },
        )
        .await;
        assert!(matches!(out, Err(Error::Auth { .. })));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn cancellation_interrupts_backoff() {
        let cancel = CancellationToken::new();
        let slow = RetryPolicy {
            max_retries: 5,
            timing: RetryTiming {
                base: Duration::from_secs(30),
                max: Duration::from_secs(30),
                max_retry_after: Duration::from_secs(30),
            },
        };
        let trigger = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            trigger.cancel();
        });
        let started = std::time::Instant::now();
        // Full jitter may pick a tiny wait; keep failing so a long wait comes.
        let out: Result<(), Error> =
            with_retries(&slow, &Scope::new(cancel.clone()), "op", |_| async {
                Err(api(503))
            })
            .await;
        assert!(matches!(
            out,
            Err(Error::Cancelled) | Err(Error::Api { .. })
        ));
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    async fn run_create(
        results: Vec<Result<String, Error>>,
        found: Option<Existing>,
        description: Option<&str>,
    ) -> (Result<Created, Error>, u32, u32) {
        let creates = Arc::new(AtomicU32::new(0));
        let lookups = Arc::new(AtomicU32::new(0));
        let results = Arc::new(std::sync::Mutex::new(results.into_iter()));
        let (c, l) = (creates.clone(), lookups.clone());
        let out = create_with_adoption(
            &policy(3),
            &Scope::new(CancellationToken::new()),
            "create snapshot",
            description,
            move |_| {
                c.fetch_add(1, Ordering::SeqCst);
                let next = results
                    .lock()
                    .ok()
                    .and_then(|mut it| it.next())
                    .unwrap_or(Ok("fallback".to_owned()));
                async move { next }
            },
            move || {
                l.fetch_add(1, Ordering::SeqCst);
                let found = found.clone();
                async move { Ok(found) }
            },
        )
        .await;
        (
            out,
            creates.load(Ordering::SeqCst),
            lookups.load(Ordering::SeqCst),
        )
    }

    fn existing(description: &str) -> Existing {
        Existing {
            id: "snap-1".to_owned(),
            description: Some(description.to_owned()),
        }
    }

    #[tokio::test]
    async fn lost_answer_is_adopted_without_second_create() {
        let (out, creates, lookups) =
            run_create(vec![Err(transport(true))], Some(existing("d")), Some("d")).await;
        assert_eq!(
            out,
            Ok(Created {
                id: "snap-1".to_owned(),
                adopted: true
            })
        );
        assert_eq!((creates, lookups), (1, 1));
    }

    #[tokio::test]
    async fn ambiguous_failure_with_nothing_found_retries_create() {
        let (out, creates, lookups) =
            run_create(vec![Err(api(500)), Ok("new".to_owned())], None, Some("d")).await;
        assert_eq!(
            out,
            Ok(Created {
                id: "new".to_owned(),
                adopted: false
            })
        );
        assert_eq!((creates, lookups), (2, 1));
    }

    #[tokio::test]
    async fn unambiguous_failures_retry_without_lookup() {
        let (out, creates, lookups) = run_create(
            vec![
                Err(transport(false)),
                Err(transport(false)),
                Ok("new".to_owned()),
            ],
            Some(existing("d")),
            Some("d"),
        )
        .await;
        assert_eq!(
            out,
            Ok(Created {
                id: "new".to_owned(),
                adopted: false
            })
        );
        assert_eq!((creates, lookups), (3, 0));
    }

    #[tokio::test]
    async fn name_taken_with_same_description_is_adopted() {
        let (out, _, _) = run_create(vec![Err(api(400))], Some(existing("")), None).await;
        assert_eq!(
            out,
            Ok(Created {
                id: "snap-1".to_owned(),
                adopted: true
            })
        );
    }

    #[tokio::test]
    async fn name_taken_with_other_description_is_a_clear_error() {
        let (out, creates, _) =
            run_create(vec![Err(api(409))], Some(existing("theirs")), Some("mine")).await;
        assert_eq!(creates, 1);
        let err = out.err();
        assert!(
            matches!(err, Some(Error::AlreadyExists { ref existing_id, .. }) if existing_id == "snap-1")
        );
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            text.contains("\"theirs\" on the cloud, \"mine\" wanted"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn plain_refusal_is_returned() {
        let (out, creates, lookups) = run_create(vec![Err(api(400))], None, None).await;
        assert!(matches!(out, Err(Error::Api { status: 400, .. })));
        assert_eq!((creates, lookups), (1, 1));
    }

    #[test]
    fn hostile_retry_after_values_never_panic_and_clamp() {
        let now = time::macros::datetime!(2026-01-02 03:04:05 UTC);
        let timing = RetryTiming {
            base: Duration::from_millis(1),
            max: Duration::from_millis(1),
            max_retry_after: Duration::from_secs(120),
        };
        let cap = timing.max_retry_after;
        // (value, parsed, wait after clamping; None = the backoff is used)
        let table: &[(&str, Option<Duration>)] = &[
            ("NaN", None),
            ("nan", None),
            ("inf", None),
            ("-inf", None),
            ("infinity", None),
            ("-1", None),
            ("-0", None),
            ("1e20", None),
            ("1E3", None),
            ("0x10", None),
            ("+5", None),
            ("", None),
            ("   ", None),
            ("5 s", None),
            ("1.", None),
            (".5", None),
            ("1.2.3", None),
            ("garbage", None),
            ("\u{0}\u{7f}", None),
            ("Wed, 99 Oct 2015 07:28:00 GMT", None),
            ("18446744073709551616", Some(cap)),
            ("99999999999999999999999999999999", Some(cap)),
            ("18446744073709551615.999999999999", Some(cap)),
            ("1.0000000001", Some(Duration::from_secs(1))),
            ("7", Some(Duration::from_secs(7))),
            ("0.25", Some(Duration::from_millis(250))),
            ("Fri, 31 Dec 9999 23:59:59 GMT", Some(cap)),
            ("Thu, 01 Jan 1970 00:00:00 GMT", Some(Duration::ZERO)),
            (
                "Fri, 02 Jan 2026 03:04:35 GMT",
                Some(Duration::from_secs(30)),
            ),
        ];
        for (value, want) in table {
            let parsed = parse_retry_after(value, now);
            let throttled = Error::Throttled {
                operation: "op".to_owned(),
                status: 429,
                code: None,
                message: String::new(),
                retry_after: parsed,
                request_id: None,
            };
            let wait = timing.delay(0, &throttled);
            match want {
                Some(w) => assert_eq!(wait, *w, "{value:?} parsed as {parsed:?}"),
                None => assert!(parsed.is_none(), "{value:?} parsed as {parsed:?}"),
            }
            assert!(wait <= cap, "{value:?}");
        }
    }

    fn busy() -> Error {
        Error::Busy {
            operation: "op".to_owned(),
            status: 403,
            code: Some("DWS.7023".to_owned()),
            message: "cluster busy".to_owned(),
            request_id: None,
        }
    }

    fn deadline_scope(secs: u64) -> Scope {
        Scope::new(CancellationToken::new())
            .with_deadline(Instant::now() + Duration::from_secs(secs))
    }

    fn slow_policy(max_retries: u32) -> RetryPolicy {
        RetryPolicy {
            max_retries,
            timing: RetryTiming {
                base: Duration::from_secs(2),
                max: Duration::from_secs(8),
                max_retry_after: Duration::from_secs(60),
            },
        }
    }

    #[tokio::test(start_paused = true)]
    async fn busy_is_retried_until_the_deadline_not_past_it() {
        let scope = deadline_scope(60);
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let started = Instant::now();
        let out: Result<(), Error> = with_retries(&slow_policy(2), &scope, "delete x", move |_| {
            c.fetch_add(1, Ordering::SeqCst);
            async { Err(busy()) }
        })
        .await;
        let elapsed = started.elapsed();
        // Far more than max_retries + 1 attempts: busy lasts until the deadline.
        assert!(calls.load(Ordering::SeqCst) > 3, "{calls:?}");
        assert!(elapsed <= Duration::from_secs(60), "{elapsed:?}");
        let err = out.err();
        let Some(Error::DeadlineExceeded {
            attempts,
            ref last,
            waited,
            ..
        }) = err
        else {
            panic!("{err:?}");
        };
        assert_eq!(attempts, calls.load(Ordering::SeqCst));
        assert!(waited <= Duration::from_secs(60));
        let text = err.as_ref().map(ToString::to_string).unwrap_or_default();
        assert!(
            text.starts_with("delete x did not finish before the deadline: the cloud's last answer was HTTP 403, DWS.7023: cluster busy;"),
            "{text} ({last:?})"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn busy_without_deadline_stops_after_max_retries() {
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let out: Result<(), Error> = with_retries(
            &slow_policy(2),
            &Scope::new(CancellationToken::new()),
            "op",
            move |_| {
                c.fetch_add(1, Ordering::SeqCst);
                async { Err(busy()) }
            },
        )
        .await;
        assert!(matches!(out, Err(Error::Busy { .. })), "{out:?}");
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_after_past_the_deadline_is_not_waited_for() {
        let scope = deadline_scope(10);
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let started = Instant::now();
        let out: Result<(), Error> = with_retries(&slow_policy(5), &scope, "list", move |_| {
            c.fetch_add(1, Ordering::SeqCst);
            async {
                Err(Error::Throttled {
                    operation: "list".to_owned(),
                    status: 429,
                    code: None,
                    message: String::new(),
                    retry_after: Some(Duration::from_secs(30)),
                    request_id: None,
                })
            }
        })
        .await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(
            started.elapsed() < Duration::from_millis(1),
            "{:?}",
            started.elapsed()
        );
        assert!(
            matches!(out, Err(Error::DeadlineExceeded { attempts: 1, .. })),
            "{out:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_is_sent_after_the_deadline() {
        let scope = deadline_scope(1);
        tokio::time::advance(Duration::from_secs(2)).await;
        let out: Result<(), Error> = with_retries(&slow_policy(5), &scope, "show x", |_| async {
            panic!("no attempt may start after the deadline")
        })
        .await;
        let text = out.err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            text,
            "show x did not finish before the deadline: no request could be made in time; 0 requests over 0.0 s"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn create_timing_out_at_the_deadline_says_it_may_exist() {
        let scope = deadline_scope(10);
        let lookups = Arc::new(AtomicU32::new(0));
        let l = lookups.clone();
        let out = create_with_adoption(
            &slow_policy(5),
            &scope,
            "create DWS snapshot \"n\" on cluster c",
            None,
            |_| async {
                // The request hangs until the deadline cuts it.
                tokio::time::sleep(Duration::from_secs(10)).await;
                Err::<String, _>(Error::Timeout {
                    operation: "create".to_owned(),
                })
            },
            move || {
                l.fetch_add(1, Ordering::SeqCst);
                async {
                    Err(Error::DeadlineExceeded {
                        operation: "list".to_owned(),
                        waited: Duration::ZERO,
                        attempts: 0,
                        last: Box::new(crate::error::LastSeen::Nothing),
                        may_have_created: false,
                    })
                }
            },
        )
        .await;
        let Err(Error::DeadlineExceeded {
            may_have_created,
            attempts,
            ref last,
            ..
        }) = out
        else {
            panic!("{out:?}");
        };
        assert!(may_have_created);
        assert_eq!(attempts, 1);
        assert_eq!(
            **last,
            crate::error::LastSeen::NoAnswer {
                waited: Duration::from_secs(10)
            }
        );
        assert_eq!(lookups.load(Ordering::SeqCst), 1);
        let text = out.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("no answer from the cloud for 10 s"), "{text}");
        assert!(
            text.contains("the next apply finds it by name and adopts it"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn an_action_with_a_lost_answer_is_never_resent() {
        for (visible, want_ok) in [(true, true), (false, false)] {
            let acts = Arc::new(AtomicU32::new(0));
            let a = acts.clone();
            let out = act_once(
                &policy(5),
                &Scope::new(CancellationToken::new()),
                "restore CSS snapshot s",
                "the restoreStatus of CSS snapshot s",
                move || {
                    a.fetch_add(1, Ordering::SeqCst);
                    async { Err(transport(true)) }
                },
                move || async move { Ok(visible) },
            )
            .await;
            assert_eq!(acts.load(Ordering::SeqCst), 1);
            assert_eq!(out.is_ok(), want_ok, "{out:?}");
            if let Err(err) = out {
                assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err:?}");
                let text = err.to_string();
                assert!(text.contains("it was not sent again"), "{text}");
                assert!(
                    text.contains("check the restoreStatus of CSS snapshot s"),
                    "{text}"
                );
            }
        }
    }

    #[tokio::test]
    async fn an_action_refused_as_busy_is_retried() {
        let acts = Arc::new(AtomicU32::new(0));
        let a = acts.clone();
        let out = act_once(
            &policy(5),
            &Scope::new(CancellationToken::new()),
            "restore",
            "it",
            move || {
                let n = a.fetch_add(1, Ordering::SeqCst);
                async move { if n < 2 { Err(busy()) } else { Ok(()) } }
            },
            || async { Ok(false) },
        )
        .await;
        assert_eq!(out, Ok(()));
        assert_eq!(acts.load(Ordering::SeqCst), 3);
    }
}
