//! A small Terraform provider framework over the tfplugin6 service.
//!
//! Main types: [`Provider`] (the provider block, and the types it
//! [registers](Registry)), the four kinds of type — [`Resource`],
//! [`DataSource`], [`ListResource`] and [`Action`] — each with a typed
//! [`Model`] declared once with [`model!`], [`Ctx`] (what every operation
//! gets, deadline included), [`Diagnostics`], and [`Server`], which serves
//! them over tfplugin6 ([`serve`] runs a provider binary).
//!
//! The one design decision to know: every protocol rule and every piece of
//! plumbing — decoding and encoding values into models, unknowns during
//! plan, which paths force replacement, identities, import parsing, moves
//! and private state, "apply must return wholly known state", timeouts and
//! deadlines, waiting, cancellation by StopProvider, a panic becoming a
//! diagnostic — lives here, once. A type only decodes nothing: it gets its model, calls the cloud and
//! fills in its response; each operation gets a request and a pre-filled
//! response.
//!
//! # Adding a type
//!
//! **A resource.** Declare the model with [`model!`]: one field per
//! attribute, its doc comment the description, `= required()` /
//! `optional()` / `computed()` / `optional_computed()` with validators, plan
//! modifiers and `.identity()` for the attributes that identify an object.
//! Implement [`Resource`] for a unit struct: `type Model`, `TYPE_NAME`,
//! `TIMEOUTS` for the operations users may bound, then `create`, `read` and
//! `delete` (and `update` if an attribute can change in place), each a few
//! lines from the model to the cloud and back; `import` returns
//! [`import::passthrough`] or [`import::split`]. To accept `moved` blocks
//! from other resource types or providers, `moves` lists [`MoveSource`]s:
//! the same type under another provider, or another type read into a small
//! model of its state and mapped (see [`moves`]). What a later operation
//! must remember but the user never sees goes in [`Private`] state
//! (`req.private`, `resp.private`). Register it with
//! [`Registry::resource`] and add `docs/resources/NAME.md` with the
//! generated-part markers: the drift test fills it in.
//!
//! **A data source.** Declare one model holding the arguments (required or
//! optional) and what is found (computed); implement [`DataSource`] with
//! `TYPE_NAME` and `read`, whose response starts as the configuration, so
//! `read` only sets what it found. A field whose type is another model
//! holds one object, a `Vec` of them a list (e.g. every snapshot found, as
//! the resource's own model): Terraform and the docs see their attributes.
//! Register it with [`Registry::data_source`]; its page is
//! `docs/data-sources/NAME.md`.
//!
//! **A list resource.** It lists the objects of a managed resource, so it
//! names that resource (`type Resource`), which must be registered and have
//! identity attributes; the list shares its type name. Declare the model of
//! the list block's `config { … }` (`type Config`) and implement
//! [`ListResource::list`]: for each object found, `out.push(name,
//! model).await` with the resource's own model, and stop when it returns
//! `false` (Terraform's `limit` was reached). The framework derives each
//! identity, adds the full object only when Terraform asked for it, and
//! streams the results. Register it with [`Registry::list_resource`]; its
//! page is `docs/list-resources/NAME.md`.
//!
//! **An action.** Declare the model of the action's `config { … }` and
//! implement [`Action`]: `TYPE_NAME` (starting with the provider's name),
//! optionally `plan` (called only once the configuration is known) and
//! `invoke`, which sends progress with `progress.send(…)` as it goes and
//! puts errors in its response; the framework sends the final event and
//! ends the invoke soon after StopProvider. Declare an `invoke` timeout to
//! get a `timeouts` block and a deadline on [`Ctx`]. Register it with
//! [`Registry::action`]; its page is `docs/actions/NAME.md`.
//!
//! Whatever the kind, [`Server::try_new`] checks at start-up what the
//! compiler cannot (field types against modes, descriptions, import parts
//! against the identity, list resources against their resources), and
//! framework-level tests build types from closures (`server/tests.rs`).

pub mod action;
mod catch;
pub mod data_source;
pub mod diag;
pub mod docs;
pub mod import;
pub mod list_resource;
pub mod model;
pub mod moves;
pub mod plan;
pub mod plan_modifiers;
pub mod prelude;
pub mod private;
pub mod provider;
pub mod resource;
pub mod schema;
pub mod server;
pub mod timeouts;
pub mod validate;
pub mod validators;
pub mod wait;

use std::process::ExitCode;

pub use action::Action;
pub use async_trait::async_trait;
pub use data_source::DataSource;
pub use diag::{Diagnostic, Diagnostics, Severity};
pub use hwsnap_cty as cty;
pub use list_resource::{ListRequest, ListResource, ListSink};
pub use model::Model;
pub use moves::{MoveRequest, MoveResponse, MoveSource, ProviderName};
pub use private::Private;
pub use provider::{Provider, Registry};
pub use resource::{
    CreateRequest, CreateResponse, Ctx, DeleteRequest, DeleteResponse, ReadRequest, ReadResponse,
    Resource, UpdateRequest, UpdateResponse,
};
pub use schema::{Attribute, Block, Mode, NestedBlock, Nesting, Schema};
pub use server::{Server, SetupError};

/// Runs a provider binary: checks the provider's types ([`Server::try_new`];
/// on a mismatch it says what and exits 1), then the go-plugin handshake,
/// AutoMTLS and the tfplugin6 service until Terraform shuts it down.
/// `address` is the registry address Terraform knows the binary by.
pub fn serve<P: Provider>(provider: P, address: &str) -> ExitCode {
    match Server::try_new(provider) {
        Ok(server) => hwsnap_plugin::run(move || server, address),
        Err(e) => {
            eprintln!("{address}: {e}");
            ExitCode::from(1)
        }
    }
}
