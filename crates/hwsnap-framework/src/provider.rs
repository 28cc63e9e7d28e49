//! The `Provider` trait: the provider's own schema and configuration, and
//! the resources it serves.

use std::sync::Arc;

use async_trait::async_trait;
use hwsnap_cty::Value;

use crate::diag::Diagnostics;
use crate::resource::Resource;
use crate::schema::Schema;

#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// What configuration produces and every resource operation receives.
    type Data: Send + Sync + 'static;

    /// The provider block's schema.
    fn schema(&self) -> Schema;

    /// Checks of the provider block beyond per-attribute validators. The
    /// config may hold unknown values.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Builds the provider's data from its configuration. Returns `None`
    /// with error diagnostics when it cannot.
    async fn configure(&self, config: &Value, diags: &mut Diagnostics) -> Option<Self::Data>;

    /// The resource types served.
    fn resources(&self) -> Vec<Arc<dyn Resource<Self::Data>>>;
}
