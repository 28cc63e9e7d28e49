//! The stand-in for `huaweicloud/huaweicloud`, for tests only (see the
//! `hwsnap_standin` crate docs).
fn main() -> std::process::ExitCode {
    hwsnap_framework::serve(hwsnap_standin::Standin, hwsnap_standin::ADDRESS)
}
