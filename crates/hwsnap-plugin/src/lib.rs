//! The Terraform side of the wire: generated tfplugin6 and go-plugin stubs
//! ([`proto`]) and the go-plugin transport that serves them ([`serve`],
//! [`run`], [`ServeOptions`], [`ServeError`]).
//!
//! The one design decision to know: the transport trusts exactly one client
//! certificate, the one Terraform passes in `PLUGIN_CLIENT_CERT`, compared
//! byte for byte in a custom rustls verifier (aws-lc-rs, for Terraform's
//! P-521 key) that still checks the handshake signature — any other client,
//! or none, is refused at the TLS layer. The server certificate is a fresh
//! throwaway per start.
//!
//! The stubs are generated at build time from `proto/*.proto` with protox
//! (no system protoc). Server traits have default methods that answer
//! `Unimplemented`, and server-streaming methods return
//! [`tonic::codegen::BoxStream`], so a provider implements only the RPCs it
//! supports.
//!
//! Files, one job each: [`handshake`] (cookie, version, stdout line), [`tls`]
//! (server cert, client verifier), [`listener`] (socket, accept loop),
//! [`controller`] / [`stdio`] (go-plugin side services; health comes from
//! tonic-health), [`logging`] (hclog JSON on stderr), `serve` (entry points).

pub mod controller;
pub mod handshake;
pub mod listener;
pub mod logging;
mod serve;
pub mod stdio;
pub mod tls;

pub use serve::{HEALTH_SERVICE, ServeError, ServeOptions, run, serve};

/// Generated protobuf messages and gRPC stubs (clients and servers).
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod proto {
    /// Terraform plugin protocol 6.10 (`tfplugin6`).
    pub mod tfplugin6 {
        tonic::include_proto!("tfplugin6");
    }
    /// go-plugin's side services (`plugin`): controller and stdio.
    pub mod plugin {
        tonic::include_proto!("plugin");
    }
}
