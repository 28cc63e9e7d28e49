//! Acceptance tests: the real Terraform CLIs (1.15 and 1.11, from
//! `scripts/install-terraform`) drive the provider binaries cargo built
//! against an in-process emulator. One integration-test binary; each area of
//! tests is a module under `tests/acceptance/`, and every test owns its
//! emulator and temp dir, so they run in parallel.
//!
//! Run with `cargo test --test acceptance` (after `scripts/install-terraform`).

mod support;

mod acceptance {
    mod actions;
    mod bad_input;
    mod data_sources;
    mod docs;
    mod examples;
    mod faults;
    mod hostile;
    mod interrupts;
    mod lifecycle;
    mod moved;
    mod new_user;
    mod query;
    mod refresh;
    mod schema;
    mod security;
    mod smoke;
    mod stop_provider;
    mod timeouts;
}
