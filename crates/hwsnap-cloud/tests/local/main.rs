//! The client against local servers of the test's own making: a cloud that
//! hangs or keeps refusing (deadlines).

mod deadlines;
// Its drip, stream and close answers serve the hostile-endpoint tests next.
#[allow(dead_code)]
mod stub;
