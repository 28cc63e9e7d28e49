//! `plugin.GRPCController`: Terraform calls `Shutdown` when it is done with
//! the provider and kills the process if it is still alive two seconds
//! later. What "shut down" means is given by the caller (normally: remove the
//! socket and exit the process), so the service itself stays testable.

use std::fmt;
use std::sync::Arc;

use tonic::{Request, Response, Status};

use crate::proto::plugin::Empty;
use crate::proto::plugin::grpc_controller_server::GrpcController;

/// The action run when `Shutdown` is called.
pub type ShutdownAction = Arc<dyn Fn() + Send + Sync>;

/// go-plugin's controller service.
#[derive(Clone)]
pub struct Controller {
    on_shutdown: ShutdownAction,
}

impl fmt::Debug for Controller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Controller").finish_non_exhaustive()
    }
}

impl Controller {
    /// A controller that runs `on_shutdown` on every `Shutdown` call. The
    /// action must not block: the reply is sent after it returns.
    pub fn new(on_shutdown: ShutdownAction) -> Self {
        Self { on_shutdown }
    }
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(&self, _request: Request<Empty>) -> Result<Response<Empty>, Status> {
        tracing::debug!("plugin shutdown requested by Terraform");
        (self.on_shutdown)();
        Ok(Response::new(Empty {}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn shutdown_runs_the_action_once_per_call() {
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = calls.clone();
        let controller = Controller::new(Arc::new(move || {
            seen.fetch_add(1, Ordering::SeqCst);
        }));
        controller.shutdown(Request::new(Empty {})).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        controller.shutdown(Request::new(Empty {})).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}
