//! hwsnap-cloud: the Huawei Cloud client for DWS cluster snapshots, CSS
//! index snapshots and IAM project lookup. It knows nothing of Terraform.
//!
//! Main types: [`Client`] (built from a [`Config`], cheap to clone) with
//! [`Client::dws`] → [`Dws`] and [`Client::css`] → [`Css`], the typed answers
//! [`DwsSnapshot`] and [`CssSnapshot`], and the one matchable [`Error`].
//!
//! The design decision to know: **creates are never blindly retried.** Every
//! other call is retried under one policy ([`retry`]: 429 with `Retry-After`,
//! 5xx, busy codes, lost connections; never authentication failures). A
//! create whose outcome is unknown (timeout, lost answer, 5xx) is resolved by
//! looking the snapshot's name up on its cluster and adopting it
//! ([`Created::adopted`]); only when it is not there is the create repeated.
//! The same lookup turns "name already exists" into an adoption when the
//! description matches, so a re-run after a crash converges.
//!
//! Every request is signed with [`hwsnap_sign::sign`]; secrets never reach
//! logs, errors or `Debug` output.
//!
//! ```no_run
//! # async fn demo() -> Result<(), hwsnap_cloud::Error> {
//! use hwsnap_cloud::{CancellationToken, Client, Config, CreateDwsSnapshot, Credentials, Scope};
//!
//! let creds = Credentials::new("AK", "SK");
//! let client = Client::new(Config::new("ap-southeast-1", creds))?;
//! let scope = Scope::new(CancellationToken::new());
//! let _guard = client.lock_cluster("44b277eb-39be-4921-be31-3d61b43651d7").await;
//! let created = client
//!     .dws()
//!     .create_snapshot(
//!         &CreateDwsSnapshot {
//!             name: "nightly".into(),
//!             cluster_id: "44b277eb-39be-4921-be31-3d61b43651d7".into(),
//!             description: None,
//!         },
//!         &scope,
//!     )
//!     .await?;
//! let snapshot = client.dws().show_snapshot(&created.id, &scope).await?;
//! println!("{} is {}", snapshot.id, snapshot.status.as_str());
//! # Ok(()) }
//! ```

mod client;
pub mod config;
pub mod css;
pub mod dws;
pub mod endpoint;
pub mod error;
pub mod iam;
pub mod retry;
pub mod scope;
mod transport;
pub mod wire;

pub use client::{Client, ClusterGuard};
pub use config::{Config, DEFAULT_MAX_RETRIES, Endpoints};
pub use css::{CreateCssSnapshot, Css, CssSnapshot, CssStatus};
pub use dws::{CreateDwsSnapshot, Datastore, Dws, DwsSnapshot, DwsSnapshotType, DwsStatus};
pub use endpoint::{Service, default_endpoint, normalize_endpoint};
pub use error::Error;
pub use hwsnap_sign::Credentials;
pub use retry::{Created, RetryTiming};
pub use scope::Scope;
pub use tokio_util::sync::CancellationToken;
pub use transport::JSON_CONTENT_TYPE;
