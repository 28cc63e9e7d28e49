//! The client against local servers of the test's own making: a cloud that
//! hangs or keeps refusing (deadlines), and a hostile endpoint (redirects,
//! headers, huge and slow bodies, hostile text).

mod deadlines;
mod hostile;
// Its close answer serves the restore tests next.
#[allow(dead_code)]
mod stub;
