//! The client against local servers of the test's own making: a cloud that
//! hangs or keeps refusing (deadlines), a hostile endpoint (redirects,
//! headers, huge and slow bodies, hostile text), an endpoint that is not
//! there, and the CSS restore (not served by the emulator yet).

mod deadlines;
mod errors;
mod hostile;
mod restore;
mod stub;
