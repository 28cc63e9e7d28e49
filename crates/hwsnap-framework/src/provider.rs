//! The `Provider` trait: the provider's own schema and configuration, and
//! the types it serves, registered in a [`Registry`].

use std::sync::Arc;

use async_trait::async_trait;
use hwsnap_cty::Value;

use crate::action::{Action, AnyAction, TypedAction};
use crate::data_source::{AnyDataSource, DataSource, TypedDataSource};
use crate::diag::Diagnostics;
use crate::list_resource::{AnyList, ListResource, TypedList};
use crate::resource::{AnyResource, Resource, Typed};
use crate::schema::Schema;

#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// What configuration produces and every operation receives.
    type Data: Send + Sync + 'static;

    /// The provider block's schema.
    fn schema(&self) -> Schema;

    /// Checks of the provider block beyond per-attribute validators. The
    /// config may hold unknown values.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Builds the provider's data from its configuration. Returns `None`
    /// with error diagnostics when it cannot; warnings reach the user in
    /// plan and apply output.
    async fn configure(&self, config: &Value, diags: &mut Diagnostics) -> Option<Self::Data>;

    /// The resource, data source, list resource and action types served.
    fn register(&self, types: &mut Registry<Self::Data>);
}

/// The types a provider serves, by kind.
pub struct Registry<D> {
    pub(crate) resources: Vec<Arc<dyn AnyResource<D>>>,
    pub(crate) data_sources: Vec<Arc<dyn AnyDataSource<D>>>,
    pub(crate) lists: Vec<Arc<dyn AnyList<D>>>,
    pub(crate) actions: Vec<Arc<dyn AnyAction<D>>>,
}

impl<D: Send + Sync + 'static> Registry<D> {
    pub(crate) fn new() -> Self {
        Self {
            resources: Vec::new(),
            data_sources: Vec::new(),
            lists: Vec::new(),
            actions: Vec::new(),
        }
    }

    pub fn resource<R: Resource<D>>(&mut self, r: R) -> &mut Self {
        self.resources.push(Arc::new(Typed::new(r)));
        self
    }

    pub fn data_source<S: DataSource<D>>(&mut self, s: S) -> &mut Self {
        self.data_sources.push(Arc::new(TypedDataSource(s)));
        self
    }

    /// A list resource; its managed resource must be registered too, with
    /// an identity.
    pub fn list_resource<L: ListResource<D>>(&mut self, l: L) -> &mut Self {
        self.lists.push(Arc::new(TypedList(l)));
        self
    }

    pub fn action<A: Action<D>>(&mut self, a: A) -> &mut Self {
        self.actions.push(Arc::new(TypedAction(a)));
        self
    }
}
