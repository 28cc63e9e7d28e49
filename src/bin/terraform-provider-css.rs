//! Serves `css_index_snapshot` (source `hwsnap/css`).
fn main() -> std::process::ExitCode {
    hwsnap::main(hwsnap::Serves::Css)
}
