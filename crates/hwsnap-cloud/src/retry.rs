//! The retry policy, written once: which failures are retried, how long to
//! wait (capped exponential backoff with full jitter, `Retry-After`
//! honoured), cancellable sleeps, and the create loop that never blindly
//! repeats a create whose outcome is unknown.

use std::future::Future;
use std::time::Duration;

use crate::scope::Scope;
use rand::Rng;

use crate::error::Error;

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
    /// `Retry-After` (capped) when it gave one, otherwise the backoff.
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

/// Parses a `Retry-After` value: delay seconds, or an HTTP date (measured
/// from `now`).
pub fn parse_retry_after(value: &str, now: time::OffsetDateTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
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
        Error::Throttled { .. } | Error::Busy { .. } => (true, false),
        Error::Transport { ambiguous, .. } => (true, *ambiguous),
        Error::Timeout { .. } => (true, true),
        Error::Api {
            status: 500 | 502 | 503 | 504,
            ..
        } => (true, true),
        // A 2xx whose body could not be read: the call happened.
        Error::Decode { .. } => (false, true),
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

/// Sleeps `wait` unless `scope` fires first.
pub(crate) async fn sleep(wait: Duration, scope: &Scope) -> Result<(), Error> {
    tokio::select! {
        biased;
        () = scope.cancel().cancelled() => Err(Error::Cancelled),
        () = tokio::time::sleep(wait) => Ok(()),
    }
}

/// Runs an idempotent call, retrying retryable failures.
pub(crate) async fn with_retries<T, F, Fut>(
    policy: &RetryPolicy,
    scope: &Scope,
    mut call: F,
) -> Result<T, Error>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let mut attempt = 0;
    loop {
        if scope.cancel().is_cancelled() {
            return Err(Error::Cancelled);
        }
        let err = match call(attempt).await {
            Ok(value) => return Ok(value),
            Err(err) => err,
        };
        back_off(policy, scope, attempt, verdict(&err).retry, err, "retrying").await?;
        attempt += 1;
    }
}

/// After failed attempt number `attempt`: gives up with `err` when it may not
/// be retried or the retries are used up; else waits the policy's delay
/// (cancellable) before the caller tries again.
async fn back_off(
    policy: &RetryPolicy,
    scope: &Scope,
    attempt: u32,
    retry: bool,
    err: Error,
    what: &str,
) -> Result<(), Error> {
    if !retry || attempt >= policy.max_retries {
        return Err(err);
    }
    let wait = policy.timing.delay(attempt, &err);
    tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, error = %err, "{what}");
    sleep(wait, scope).await
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
/// - other retryable failures (429, busy, connection refused) → retry.
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
    let mut attempt = 0;
    loop {
        if scope.cancel().is_cancelled() {
            return Err(Error::Cancelled);
        }
        let err = match create(attempt).await {
            Ok(id) => {
                return Ok(Created { id, adopted: false });
            }
            Err(err) => err,
        };
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
                Err(lookup_err) => {
                    tracing::warn!(error = %lookup_err, "{operation}: could not check whether the snapshot exists");
                    return Err(err);
                }
            }
        }
        back_off(policy, scope, attempt, v.retry, err, "retrying create").await?;
        attempt += 1;
    }
}

#[cfg(test)]
mod tests {
    use tokio_util::sync::CancellationToken;

    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

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
        let out: Result<(), Error> = with_retries(&slow, &Scope::new(cancel.clone()), |_| async {
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
}
