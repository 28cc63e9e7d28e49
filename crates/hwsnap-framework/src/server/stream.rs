//! Server-streaming answers (ListResource, InvokeAction): a producer future
//! sends events into a channel while the stream Terraform reads drains it.
//! The producer runs inside the stream, so when Terraform stops reading
//! (e.g. at a list's `limit`) the producer is dropped with it.

use std::future::Future;
use std::pin::Pin;

use futures::{Stream, StreamExt};
use tokio::sync::mpsc;
use tonic::Status;

pub(super) type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// How many events may wait for Terraform to read them.
const BUFFER: usize = 16;

/// A stream of what `produce` sends through the sender it is given, mapped
/// by `wire`, ending when `produce` has finished and everything sent was
/// read.
pub(super) fn drive<E, T, F, Fut>(
    produce: F,
    wire: impl Fn(E) -> T + Send + 'static,
) -> BoxStream<T>
where
    E: Send + 'static,
    T: Send + 'static,
    F: FnOnce(mpsc::Sender<E>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = mpsc::channel(BUFFER);
    let run = futures::stream::once(produce(tx)).filter_map(|()| async { None });
    let events =
        futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|e| (e, rx)) });
    Box::pin(futures::stream::select(run, events).map(move |e| Ok(wire(e))))
}
