//! A small Terraform resource framework over the tfplugin6 service.
//!
//! Main types: [`Provider`] and [`Resource`] (what a provider implements),
//! [`Schema`](schema::Schema) with [`validators`] and [`plan_modifiers`],
//! [`Diagnostics`], and [`Server`], which serves them over tfplugin6.
//!
//! The one design decision to know: every protocol rule and every piece of
//! plumbing — decoding and encoding values, unknowns during plan, which paths
//! force replacement, identities, "apply must return wholly known state",
//! timeouts and waiting, cancellation by StopProvider — lives here, once. A
//! resource only decodes its model, calls the cloud and writes its state;
//! each operation gets a request and a pre-filled response.

pub mod diag;
pub mod docs;
pub mod plan;
pub mod plan_modifiers;
pub mod provider;
pub mod resource;
pub mod schema;
pub mod server;
pub mod timeouts;
pub mod validate;
pub mod validators;
pub mod wait;

pub use diag::{Diagnostic, Diagnostics, Severity};
pub use provider::Provider;
pub use resource::{
    CreateRequest, CreateResponse, Ctx, DeleteRequest, DeleteResponse, ImportRequest,
    ImportResponse, ReadRequest, ReadResponse, Resource, UpdateRequest, UpdateResponse,
};
pub use schema::{
    Attribute, Block, IdentityAttribute, IdentitySchema, Mode, NestedBlock, Nesting, Schema,
};
pub use server::Server;
