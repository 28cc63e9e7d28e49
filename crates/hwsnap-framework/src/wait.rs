//! Waiting for the cloud: poll until done, with adaptive backoff, bounded by
//! a timeout and cancelled by StopProvider. Written once for every resource.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

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

/// The delays between polls: the first check comes soon, later ones back off
/// to a cap, so short operations finish promptly and long ones cost few calls.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub first: Duration,
    pub factor: f64,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            first: Duration::from_millis(500),
            factor: 1.5,
            max: Duration::from_secs(10),
        }
    }
}

impl Backoff {
    /// The delay before poll number `n` (0-based).
    pub fn delay(&self, n: u32) -> Duration {
        let d = self.first.as_secs_f64() * self.factor.powi(n.min(64) as i32);
        Duration::from_secs_f64(d.min(self.max.as_secs_f64()))
    }
}

/// Calls `poll` after each backoff delay until it is ready, fails, the
/// timeout passes, or `cancel` fires. The last delay is shortened so the
/// final poll happens right at the deadline.
pub async fn until<T, E, F, Fut>(
    cancel: &CancellationToken,
    timeout: Duration,
    backoff: Backoff,
    mut poll: F,
) -> Result<T, WaitError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>, E>>,
{
    let start = Instant::now();
    let deadline = start + timeout;
    let mut last = String::from("not checked yet");
    for n in 0u32.. {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        let wake = (now + backoff.delay(n)).min(deadline);
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
    fn backoff_grows_to_a_cap() {
        let b = Backoff::default();
        assert_eq!(b.delay(0), Duration::from_millis(500));
        assert!(b.delay(1) > b.delay(0));
        assert_eq!(b.delay(40), Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn returns_when_ready() {
        let calls = AtomicU32::new(0);
        let r: Result<u32, WaitError<()>> = until(
            &CancellationToken::new(),
            Duration::from_secs(60),
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
            Duration::from_secs(5),
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
        let r: Result<(), WaitError<()>> = until(
            &cancel,
            Duration::from_secs(600),
            Backoff::default(),
            || async { Ok(Poll::Pending("x".into())) },
        )
        .await;
        assert!(matches!(r, Err(WaitError::Cancelled)));
        assert!(start.elapsed() < Duration::from_millis(400));
    }

    #[tokio::test(start_paused = true)]
    async fn failure_is_passed_through() {
        let r: Result<(), WaitError<&str>> = until(
            &CancellationToken::new(),
            Duration::from_secs(5),
            Backoff::default(),
            || async { Err("boom") },
        )
        .await;
        assert!(matches!(r, Err(WaitError::Failed("boom"))));
    }
}
