//! A panic inside a provider's operation becomes an error diagnostic, not a
//! dead plugin (defence in depth: the fix for a panic is still not to panic).
//! The message is the panic's own; nothing of the operation's input is added,
//! so no configuration value (secrets included) reaches it.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;

use crate::diag::Diagnostic;

/// Runs `fut`; a panic inside it becomes an "internal error" diagnostic
/// naming `operation` (e.g. `dws_snapshot create`). Whatever the operation
/// wrote to its response before it panicked stays there.
pub(crate) async fn catch<F: Future>(operation: &str, fut: F) -> Result<F::Output, Diagnostic> {
    AssertUnwindSafe(fut)
        .catch_unwind()
        .await
        .map_err(|payload| internal_error(operation, payload.as_ref()))
}

/// The diagnostic for a panic in `operation` with `payload`.
pub(crate) fn internal_error(operation: &str, payload: &(dyn Any + Send)) -> Diagnostic {
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("no message");
    tracing::error!(operation, message, "an operation panicked");
    Diagnostic::error(
        "Internal error in hwsnap",
        format!(
            "internal error in hwsnap: {operation} panicked ({message}), please report it to the \
             provider's maintainers with the Terraform log. What the operation had recorded \
             (such as a new object's ID) is kept."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_becomes_a_diagnostic_and_earlier_writes_stay() {
        let mut written = None;
        let r = catch("thing create", async {
            written = Some("id-1");
            if written.is_some() {
                panic!("boom at step 2");
            }
        })
        .await;
        let d: Diagnostic = match r {
            Err(d) => d,
            Ok(()) => unreachable!("the future panicked"),
        };
        assert!(d.detail.starts_with(
            "internal error in hwsnap: thing create panicked (boom at step 2), please report"
        ));
        assert_eq!(written, Some("id-1"));
        let ok = catch("x", async { 7 }).await;
        assert_eq!(ok.ok(), Some(7));
    }
}
