//! [`Scope`]: what bounds one operation's cloud calls — a cancellation token
//! (Terraform's StopProvider) and an optional deadline (the operation's
//! `timeouts` value). Every public client call takes one.

use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// The bounds of one operation's cloud calls: cancelled when the token
/// fires, and (when a deadline is set) never running past it. Cheap to
/// clone; clones share the token.
#[derive(Clone, Debug)]
pub struct Scope {
    cancel: CancellationToken,
    deadline: Option<Instant>,
}

impl Scope {
    /// A scope ended only by `cancel`: no deadline.
    pub fn new(cancel: CancellationToken) -> Scope {
        Scope {
            cancel,
            deadline: None,
        }
    }

    /// The same scope, ending at `deadline` at the latest.
    pub fn with_deadline(self, deadline: Instant) -> Scope {
        Scope {
            deadline: Some(deadline),
            ..self
        }
    }

    /// The cancellation token.
    pub fn cancel(&self) -> &CancellationToken {
        &self.cancel
    }

    /// The deadline, if there is one.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Time left before the deadline (zero once it has passed); `None`
    /// without a deadline.
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn remaining_counts_down_to_zero() {
        let scope = Scope::new(CancellationToken::new());
        assert_eq!(scope.deadline(), None);
        assert_eq!(scope.remaining(), None);
        let scope = scope.with_deadline(Instant::now() + Duration::from_secs(10));
        assert_eq!(scope.remaining(), Some(Duration::from_secs(10)));
        tokio::time::advance(Duration::from_secs(4)).await;
        assert_eq!(scope.remaining(), Some(Duration::from_secs(6)));
        tokio::time::advance(Duration::from_secs(60)).await;
        assert_eq!(scope.remaining(), Some(Duration::ZERO));
    }

    #[test]
    fn clones_share_the_token() {
        let scope = Scope::new(CancellationToken::new());
        let clone = scope.clone();
        scope.cancel().cancel();
        assert!(clone.cancel().is_cancelled());
    }
}
