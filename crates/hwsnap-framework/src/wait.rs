//! Waiting for the cloud: poll until done, with adaptive backoff, bounded by
//! the operation's deadline and cancelled by StopProvider. Written once for
//! every resource; what a status means ([`Progress`]) is said once per
//! service by the provider.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// What an object's status means to someone waiting for it to be ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Done: stop waiting.
    Ready,
    /// Still changing by itself: keep waiting.
    Pending,
    /// In a status it will not leave by itself: stop, with an error.
    Failed,
}

/// What one poll found.
#[derive(Debug)]
pub enum Poll<T> {
    /// Finished, with the result.
    Ready(T),
    /// Not yet; the text (e.g. the current status) is reported on timeout.
    Pending(String),
}

/// Why waiting stopped without a result.
#[derive(Debug, thiserror::Error)]
pub enum WaitError<E> {
    #[error("timed out after {elapsed:?} (last seen: {last})")]
    TimedOut { elapsed: Duration, last: String },
    #[error("cancelled: Terraform asked the provider to stop")]
    Cancelled,
    #[error(transparent)]
    Failed(E),
}

/// The delays between polls: the first check comes at once (an operation
/// that is already done costs no waiting), the second soon after, later ones
/// back off to a cap, so short operations finish promptly and long ones cost
/// few calls. The default checks at 0, 0.5, 1.5, 3.5, 7.5 s…, then every 10 s:
/// a snapshot ready after 3 s is seen at 3.5 s with four reads.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// Delay before the first check; zero checks at once.
    pub first: Duration,
    /// Delay before the second check; each later one grows by `factor`.
    pub then: Duration,
    pub factor: f64,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            first: Duration::ZERO,
            then: Duration::from_millis(500),
            factor: 2.0,
            max: Duration::from_secs(10),
        }
    }
}

impl Backoff {
    /// For retrying a call the cloud just refused (e.g. busy): the first
    /// retry waits too, instead of asking again at once.
    pub fn retry() -> Self {
        let d = Self::default();
        Self { first: d.then, ..d }
    }

    /// The delay before poll number `n` (0-based).
    pub fn delay(&self, n: u32) -> Duration {
        let Some(k) = n.checked_sub(1) else {
            return self.first.min(self.max);
        };
        let d = self.then.as_secs_f64() * self.factor.powi(k.min(64) as i32);
        Duration::from_secs_f64(d.min(self.max.as_secs_f64()))
    }
}

/// Calls `poll` after each backoff delay (the default's first is zero)
/// until it is ready, fails, the deadline passes, or `cancel` fires. The last
/// delay is shortened so the final poll happens right at the deadline. No
/// deadline waits as long as it takes.
pub async fn until<T, E, F, Fut>(
    cancel: &CancellationToken,
    deadline: Option<Instant>,
    backoff: Backoff,
    mut poll: F,
) -> Result<T, WaitError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>, E>>,
{
    let start = Instant::now();
    let mut last = String::from("not checked yet");
    for n in 0u32.. {
        let now = Instant::now();
        if deadline.is_some_and(|d| now >= d) {
            break;
        }
        let wake = now + backoff.delay(n);
        let wake = deadline.map_or(wake, |d| wake.min(d));
        tokio::select! {
            _ = cancel.cancelled() => return Err(WaitError::Cancelled),
            _ = tokio::time::sleep_until(wake) => {}
        }
        let result = tokio::select! {
            _ = cancel.cancelled() => return Err(WaitError::Cancelled),
            r = poll() => r,
        };
        match result.map_err(WaitError::Failed)? {
            Poll::Ready(v) => return Ok(v),
            Poll::Pending(status) => last = status,
        }
    }
    Err(WaitError::TimedOut {
        elapsed: start.elapsed(),
        last,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn backoff_checks_at_once_then_grows_to_a_cap() {
        let b = Backoff::default();
        assert_eq!(b.delay(0), Duration::ZERO);
        assert_eq!(b.delay(1), Duration::from_millis(500));
        assert!(b.delay(2) > b.delay(1));
        assert_eq!(b.delay(40), Duration::from_secs(10));
        let r = Backoff::retry();
        assert_eq!(r.delay(0), Duration::from_millis(500));
        assert_eq!(r.delay(1), Duration::from_millis(500));
    }

    /// The schedule the waiting benchmark holds us to: something ready
    /// after 3 s is seen within 1 s, with at most 4 reads (5 requests with
    /// the create).
    #[tokio::test(start_paused = true)]
    async fn three_second_operation_is_seen_within_a_second_in_four_reads() {
        let start = Instant::now();
        let calls = AtomicU32::new(0);
        let r: Result<(), WaitError<()>> = until(
            &CancellationToken::new(),
            Some(Instant::now() + Duration::from_secs(60)),
            Backoff::default(),
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Ok(if start.elapsed() >= Duration::from_secs(3) {
                    Poll::Ready(())
                } else {
                    Poll::Pending("CREATING".into())
                })
            },
        )
        .await;
        assert!(r.is_ok());
        let lag = start.elapsed() - Duration::from_secs(3);
        assert!(lag <= Duration::from_secs(1), "seen {lag:?} late");
        assert!(calls.load(Ordering::SeqCst) <= 4, "{calls:?} reads");
    }

    #[tokio::test(start_paused = true)]
    async fn ready_at_once_takes_no_time() {
        let start = Instant::now();
        let r: Result<u8, WaitError<()>> = until(
            &CancellationToken::new(),
            Some(Instant::now() + Duration::from_secs(60)),
            Backoff::default(),
            || async { Ok(Poll::Ready(7)) },
        )
        .await;
        assert_eq!(r.unwrap(), 7);
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn returns_when_ready() {
        let calls = AtomicU32::new(0);
        let r: Result<u32, WaitError<()>> = until(
            &CancellationToken::new(),
            Some(Instant::now() + Duration::from_secs(60)),
            Backoff::default(),
            || async {
                let n = calls.fetch_add(1, Ordering::SeqCst);
                Ok(if n == 2 {
                    Poll::Ready(n)
                } else {
                    Poll::Pending(format!("n={n}"))
                })
            },
        )
        .await;
        assert_eq!(r.unwrap(), 2);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn times_out_with_last_status() {
        let r: Result<(), WaitError<()>> = until(
            &CancellationToken::new(),
            Some(Instant::now() + Duration::from_secs(5)),
            Backoff::default(),
            || async { Ok(Poll::Pending("CREATING".into())) },
        )
        .await;
        match r {
            Err(WaitError::TimedOut { last, elapsed }) => {
                assert_eq!(last, "CREATING");
                assert!(elapsed >= Duration::from_secs(5) && elapsed < Duration::from_secs(6));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[tokio::test]
    async fn cancel_stops_promptly() {
        let cancel = CancellationToken::new();
        let c2 = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            c2.cancel();
        });
        let start = std::time::Instant::now();
        let r: Result<(), WaitError<()>> = until(&cancel, None, Backoff::default(), || async {
            Ok(Poll::Pending("x".into()))
        })
        .await;
        assert!(matches!(r, Err(WaitError::Cancelled)));
        assert!(start.elapsed() < Duration::from_millis(400));
    }

    #[tokio::test(start_paused = true)]
    async fn failure_is_passed_through() {
        let r: Result<(), WaitError<&str>> = until(
            &CancellationToken::new(),
            Some(Instant::now() + Duration::from_secs(5)),
            Backoff::default(),
            || async { Err("boom") },
        )
        .await;
        assert!(matches!(r, Err(WaitError::Failed("boom"))));
    }
}
