//! Serves both `dws_snapshot` and `css_index_snapshot` (source `hwsnap/hwsnap`).
fn main() -> std::process::ExitCode {
    hwsnap::main(hwsnap::Serves::All)
}
