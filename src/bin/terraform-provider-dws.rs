//! Serves `dws_snapshot` (source `hwsnap/dws`).
fn main() -> std::process::ExitCode {
    hwsnap::main(hwsnap::Serves::Dws)
}
