//! hwsnap-cloud: the Huawei Cloud client for DWS cluster snapshots, CSS
//! index snapshots and IAM project lookup. It knows nothing of Terraform.
//!
//! Main types: [`Client`] (built from a [`Config`], cheap to clone) with
//! [`Client::dws`] → [`Dws`] and [`Client::css`] → [`Css`], the typed answers
//! [`DwsSnapshot`] and [`CssSnapshot`], the [`Scope`] every call runs under,
//! and the one matchable [`Error`].
//!
//! The design decision to know: **creates are never blindly retried.** Every
//! other call is retried under one policy ([`retry`]: 429 with `Retry-After`,
//! 5xx, busy codes, lost connections; never authentication failures). A
//! create whose outcome is unknown (timeout, lost answer, 5xx) is resolved by
//! looking the snapshot's name up on its cluster and adopting it
//! ([`Created::adopted`]); only when it is not there is the create repeated.
//! The same lookup turns "name already exists" into an adoption when the
//! description matches, so a re-run after a crash converges. A CSS restore
//! is never resent after a lost answer either ([`Css::restore_snapshot`]).
//!
//! Two more rules hold for every call:
//! - **The [`Scope`]'s deadline is a hard limit.** Each request's timeout is
//!   the smaller of [`Config::request_timeout`] and what is left; no retry,
//!   backoff or `Retry-After` wait runs past it; running out is
//!   [`Error::DeadlineExceeded`], saying what was seen last. A busy cluster
//!   is retried by the client alone, until the deadline.
//! - **The endpoint is not trusted.** Redirects are never followed, answers
//!   are read up to [`MAX_ANSWER_BYTES`], header values and error texts are
//!   parsed without panicking, cut short and stripped of control characters,
//!   and the signing headers are marked sensitive. Secrets are zeroized when
//!   the credentials are dropped.
//!
//! Every request is signed with [`hwsnap_sign::sign`]; secrets never reach
//! logs, errors or `Debug` output.
//!
//! ```no_run
//! # async fn demo() -> Result<(), hwsnap_cloud::Error> {
//! use std::time::Duration;
//! use hwsnap_cloud::{CancellationToken, Client, Config, CreateDwsSnapshot, Credentials, Scope};
//!
//! let creds = Credentials::new("AK", "SK");
//! let client = Client::new(Config::new("ap-southeast-1", creds))?;
//! let deadline = tokio::time::Instant::now() + Duration::from_secs(600);
//! let scope = Scope::new(CancellationToken::new()).with_deadline(deadline);
//! client.check_credentials(&scope).await?;
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

mod cache;
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

pub use cache::Fresh;
pub use client::{Client, ClusterGuard};
pub use config::{
    Config, DEFAULT_LIST_REUSE, DEFAULT_MAX_RETRIES, EndpointOrigins, Endpoints, PerService,
};
pub use css::{
    CreateCssSnapshot, Css, CssBackupMethod, CssBackupType, CssRestoreStatus, CssSnapshot,
    CssStatus, RestoreCssSnapshot,
};
pub use dws::{
    CreateDwsSnapshot, Datastore, Dws, DwsPage, DwsPages, DwsSnapshot, DwsSnapshotType, DwsSortKey,
    DwsStatus, ListDwsSnapshots, SortDir,
};
pub use endpoint::{Service, default_endpoint, normalize_endpoint};
pub use error::{Error, LastSeen};
pub use hwsnap_sign::Credentials;
pub use retry::{Created, RetryTiming};
pub use scope::Scope;
pub use tokio_util::sync::CancellationToken;
pub use transport::{JSON_CONTENT_TYPE, MAX_ANSWER_BYTES};
