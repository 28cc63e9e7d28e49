//! The `Resource` trait and the request/response pair of each operation.
//!
//! Each response starts pre-filled (create: the planned state; read: the
//! current state; import: an all-null object), so a resource changes only
//! what it must. Protocol rules — wholly known state after apply, an ID after
//! create, identities — are checked by the server, not by resources.

use async_trait::async_trait;
use hwsnap_cty::Value;
use tokio_util::sync::CancellationToken;

use crate::diag::{Diagnostic, Diagnostics};
use crate::schema::{IdentitySchema, Schema};

/// What every operation gets: the configured provider's data (e.g. the
/// cloud client) and a token cancelled by StopProvider.
pub struct Ctx<'a, D> {
    pub data: &'a D,
    pub cancel: &'a CancellationToken,
}

pub struct CreateRequest {
    pub config: Value,
    pub planned: Value,
}

pub struct CreateResponse {
    /// Starts as the planned state. Set the ID as soon as the cloud returns
    /// it: on error, whatever is here (unknowns nulled) is still saved, and
    /// Terraform marks the resource tainted.
    pub state: Value,
    pub diagnostics: Diagnostics,
}

pub struct ReadRequest {
    pub state: Value,
}

pub struct ReadResponse {
    /// Starts as the current state.
    pub state: Value,
    pub diagnostics: Diagnostics,
}

impl ReadResponse {
    /// The object is gone outside Terraform: drop it from state with a
    /// warning, so the next plan creates it again.
    pub fn gone(&mut self, what: &str) {
        self.state = Value::Null;
        self.diagnostics.push(Diagnostic::warning(
            format!("{what} no longer exists"),
            format!(
                "{what} was deleted outside Terraform. It has been removed from the state; \
                 the next plan will create it again."
            ),
        ));
    }
}

pub struct UpdateRequest {
    pub config: Value,
    pub prior: Value,
    pub planned: Value,
}

pub struct UpdateResponse {
    /// Starts as the planned state.
    pub state: Value,
    pub diagnostics: Diagnostics,
}

pub struct DeleteRequest {
    pub prior: Value,
}

#[derive(Default)]
pub struct DeleteResponse {
    pub diagnostics: Diagnostics,
}

pub struct ImportRequest {
    /// The import ID (`terraform import ADDR ID` or an `import` block's `id`).
    pub id: Option<String>,
    /// The identity object of an `import` block's `identity` (Terraform 1.12+).
    pub identity: Option<Value>,
}

pub struct ImportResponse {
    /// Starts as an all-null object of the resource's type. Set what ReadResource
    /// needs (usually the ID); Terraform reads the rest right after.
    pub state: Value,
    pub diagnostics: Diagnostics,
}

/// A managed resource type.
#[async_trait]
pub trait Resource<D: Send + Sync>: Send + Sync {
    /// The resource type name, e.g. `dws_snapshot`.
    fn type_name(&self) -> &'static str;

    fn schema(&self) -> Schema;

    /// The identity schema, for resources that support identity (Terraform
    /// 1.12+). Each identity attribute names a state attribute: the framework
    /// derives the identity of every state it returns from them.
    fn identity_schema(&self) -> Option<IdentitySchema> {
        None
    }

    /// Checks across attributes, beyond each attribute's validators.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    async fn create(&self, ctx: &Ctx<'_, D>, req: CreateRequest, resp: &mut CreateResponse);

    async fn read(&self, ctx: &Ctx<'_, D>, req: ReadRequest, resp: &mut ReadResponse);

    /// In-place update. Only attributes without `RequiresReplace` can change
    /// in place; the default accepts the planned state (right for attributes
    /// that live only in Terraform, such as `timeouts`).
    async fn update(&self, _ctx: &Ctx<'_, D>, _req: UpdateRequest, _resp: &mut UpdateResponse) {}

    async fn delete(&self, ctx: &Ctx<'_, D>, req: DeleteRequest, resp: &mut DeleteResponse);

    /// Import by ID or identity. The default says the type cannot be imported.
    fn import(&self, _req: ImportRequest, resp: &mut ImportResponse) {
        resp.diagnostics.error(
            format!("{} cannot be imported", self.type_name()),
            "This resource type does not support import.",
        );
    }
}
