//! Test helpers shared by the workspace's tests and benches, as one
//! dev-only crate instead of files included by path: [`mtls`] (Terraform's
//! side of the plugin's AutoMTLS and a gRPC channel to a provider),
//! [`mutator`] (a bounded, dependency-free mutation fuzzer for plain
//! `cargo test`) and [`http`] (a minimal blocking HTTP/1.1 client for the
//! emulator's control API).
//!
//! The one design decision: nothing here depends on a crate of this
//! workspace, so any crate can take it as a dev-dependency without a cycle.
//! Test code may panic freely: a helper that cannot do its job fails the
//! test that called it.

pub mod http;
pub mod mtls;
pub mod mutator;
