//! The client against local servers of the test's own making: a cloud that
//! hangs or keeps refusing (deadlines), a hostile endpoint (redirects,
//! headers, huge and slow bodies, hostile text), and an endpoint that is not
//! there.

mod deadlines;
mod errors;
mod hostile;
// Its close answer serves the restore tests next.
#[allow(dead_code)]
mod stub;
