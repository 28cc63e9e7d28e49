//! The schema twin of `dws_snapshot`, for the bench only (see the
//! `hwsnap_twin` crate docs).
fn main() -> std::process::ExitCode {
    hwsnap_framework::serve(hwsnap_twin::Twin, hwsnap_twin::ADDRESS)
}
