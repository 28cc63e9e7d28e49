//! `plugin.GRPCStdio`: go-plugin's channel for forwarding a plugin's
//! stdout/stderr to the host. This provider logs straight to stderr (which
//! Terraform reads itself) and never writes to stdout after the handshake,
//! so the stream is held open and stays silent.

use futures::StreamExt;
use tonic::codegen::BoxStream;
use tonic::{Request, Response, Status};

use crate::proto::plugin::StdioData;
use crate::proto::plugin::grpc_stdio_server::GrpcStdio;

/// The stdio service: one open stream that sends nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stdio;

#[tonic::async_trait]
impl GrpcStdio for Stdio {
    async fn stream_stdio(
        &self,
        _request: Request<()>,
    ) -> Result<Response<BoxStream<StdioData>>, Status> {
        Ok(Response::new(
            futures::stream::pending::<Result<StdioData, Status>>().boxed(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn stream_stays_open_and_silent() {
        let mut stream = Stdio
            .stream_stdio(Request::new(()))
            .await
            .unwrap()
            .into_inner();
        let next = tokio::time::timeout(Duration::from_millis(50), stream.next()).await;
        assert!(next.is_err(), "stream yielded or ended: {next:?}");
    }
}
