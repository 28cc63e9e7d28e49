//! [`Client`]: cheap to clone (an `Arc` inside), holding one pooled HTTP
//! client, the cached project id, the per-cluster create locks and the
//! shared CSS list cache; and the one way a service module sends a call
//! ([`Client::send_json`], [`Client::send_create`]): resolve the project id
//! when the path needs it, then hand the call to the transport.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::de::DeserializeOwned;
use tokio::sync::{OnceCell, OwnedMutexGuard};

use crate::cache::ListCache;
use crate::config::Config;
use crate::css::{Css, CssSnapshot};
use crate::dws::{Dws, DwsSnapshot};
use crate::endpoint::Service;
use crate::error::Error;
use crate::iam;
use crate::retry::{Created, Existing, act_once, create_with_adoption};
use crate::scope::Scope;
use crate::transport::{Call, Reply, Transport, decode};

/// The Huawei Cloud client. Build one per provider configuration and clone
/// it freely; clones share the connection pool, the project id and the CSS
/// list cache.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Transport,
    region: String,
    project_id: OnceCell<String>,
    cluster_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    css_lists: ListCache<CssSnapshot>,
    dws_lists: ListCache<DwsSnapshot>,
    list_reuse: Duration,
}

/// Held while a snapshot of one cluster is being made; dropping it lets the
/// next create on that cluster (in this process) go ahead.
#[must_use = "the cluster is unlocked as soon as the guard is dropped"]
pub struct ClusterGuard {
    _guard: OwnedMutexGuard<()>,
}

impl std::fmt::Debug for ClusterGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClusterGuard")
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("region", &self.inner.region)
            .field("project_id", &self.inner.project_id.get())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Validates the configuration and builds the HTTP client. Makes no
    /// request.
    pub fn new(config: Config) -> Result<Client, Error> {
        let transport = Transport::new(&config)?;
        let project_id = match config.project_id.as_deref().map(str::trim) {
            Some("") => return Err(Error::config("project_id", "the project id is empty")),
            Some(id) => OnceCell::new_with(Some(id.to_owned())),
            None => OnceCell::new(),
        };
        Ok(Client {
            inner: Arc::new(Inner {
                transport,
                region: config.region,
                project_id,
                cluster_locks: Mutex::new(HashMap::new()),
                css_lists: ListCache::default(),
                dws_lists: ListCache::default(),
                list_reuse: config.list_reuse,
            }),
        })
    }

    /// The configured project id, or the one IAM gives for the region,
    /// looked up once and cached.
    pub async fn project_id(&self, scope: &Scope) -> Result<String, Error> {
        let inner = &self.inner;
        inner
            .project_id
            .get_or_try_init(|| async {
                let projects = iam::list_projects(&inner.transport, &inner.region, scope).await?;
                iam::pick_project(projects, &inner.region)
            })
            .await
            .cloned()
    }

    /// Checks the credentials with one cheap signed call, the IAM project
    /// lookup of the region (`GET /v3/projects?name={region}`), and fills
    /// the cached project id from it when none is configured. A refused
    /// signature is [`Error::Auth`] (or [`Error::KeyLocked`]); a region IAM
    /// does not know, without a configured project id, is
    /// [`Error::Config`] on `region`. With a configured project id the
    /// lookup's result is not needed and not checked.
    pub async fn check_credentials(&self, scope: &Scope) -> Result<(), Error> {
        let inner = &self.inner;
        let projects = iam::list_projects(&inner.transport, &inner.region, scope).await?;
        if inner.project_id.get().is_none() {
            let id = iam::pick_project(projects, &inner.region)?;
            // A concurrent lookup may have filled it first; both read IAM.
            let _ = inner.project_id.set(id);
        }
        Ok(())
    }

    /// The project id when it is known without a request: configured, or
    /// already looked up (by [`Client::check_credentials`] or a first call).
    pub fn cached_project_id(&self) -> Option<String> {
        self.inner.project_id.get().cloned()
    }

    /// The base URL `service`'s requests go to (the override, normalised,
    /// or the region's default), for logs. Makes no request.
    pub fn endpoint(&self, service: Service) -> String {
        self.inner.transport.endpoint_url(service).to_owned()
    }

    /// The region the client was configured for.
    pub fn region(&self) -> &str {
        &self.inner.region
    }

    /// DWS calls.
    pub fn dws(&self) -> Dws<'_> {
        Dws { client: self }
    }

    /// CSS calls.
    pub fn css(&self) -> Css<'_> {
        Css { client: self }
    }

    /// One snapshot at a time per cluster: creates on one cluster queue
    /// behind each other inside this process. Hold the guard from before the
    /// create until the snapshot has finished. The create calls do not take
    /// it themselves.
    pub async fn lock_cluster(&self, cluster_id: &str) -> ClusterGuard {
        let lock = {
            let mut locks = match self.inner.cluster_locks.lock() {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            };
            locks
                .entry(cluster_id.to_owned())
                .or_insert_with(|| Arc::new(tokio::sync::Mutex::new(())))
                .clone()
        };
        ClusterGuard {
            _guard: lock.lock_owned().await,
        }
    }

    /// The project id when `call`'s path needs one.
    async fn project_for(&self, call: &Call, scope: &Scope) -> Result<Option<String>, Error> {
        Ok(if call.in_project {
            Some(self.project_id(scope).await?)
        } else {
            None
        })
    }

    /// Sends an idempotent call under the retry policy.
    pub(crate) async fn send(&self, call: &Call, scope: &Scope) -> Result<Reply, Error> {
        let project = self.project_for(call, scope).await?;
        self.inner
            .transport
            .execute(call, project.as_deref(), scope)
            .await
    }

    /// [`Client::send`] and decode the JSON answer.
    pub(crate) async fn send_json<T: DeserializeOwned>(
        &self,
        call: &Call,
        scope: &Scope,
    ) -> Result<T, Error> {
        let reply = self.send(call, scope).await?;
        decode(&call.op, &reply)
    }

    /// Sends a create, never blindly repeated (see
    /// [`create_with_adoption`]): `lookup` resolves a lost answer by name,
    /// `id_of` reads the new id from the answer.
    pub(crate) async fn send_create<E, L, LF>(
        &self,
        call: &Call,
        scope: &Scope,
        description: Option<&str>,
        id_of: fn(E) -> String,
        lookup: L,
    ) -> Result<Created, Error>
    where
        E: DeserializeOwned,
        L: FnMut() -> LF,
        LF: Future<Output = Result<Option<Existing>, Error>>,
    {
        let project = self.project_for(call, scope).await?;
        let transport = &self.inner.transport;
        create_with_adoption(
            &transport.policy,
            scope,
            &call.op.description,
            description,
            |_| async {
                let reply = transport.attempt(call, project.as_deref(), scope).await?;
                Ok(id_of(decode(&call.op, &reply)?))
            },
            lookup,
        )
        .await
    }

    /// Sends a state change that is not a create and is never blindly
    /// repeated: after an ambiguous failure, `confirm` says whether it took
    /// effect (see [`act_once`]).
    pub(crate) async fn send_once<C, CF>(
        &self,
        call: &Call,
        scope: &Scope,
        check: &str,
        confirm: C,
    ) -> Result<(), Error>
    where
        C: FnMut() -> CF,
        CF: Future<Output = Result<bool, Error>>,
    {
        let project = self.project_for(call, scope).await?;
        let transport = &self.inner.transport;
        act_once(
            &transport.policy,
            scope,
            &call.op.description,
            check,
            || async {
                transport
                    .attempt(call, project.as_deref(), scope)
                    .await
                    .map(|_| ())
            },
            confirm,
        )
        .await
    }

    /// The CSS list cache, shared by all clones.
    pub(crate) fn css_lists(&self) -> &ListCache<CssSnapshot> {
        &self.inner.css_lists
    }

    /// The DWS per-cluster list cache, shared by all clones.
    pub(crate) fn dws_lists(&self) -> &ListCache<DwsSnapshot> {
        &self.inner.dws_lists
    }

    /// How old a cluster list a plain read may reuse ([`Config::list_reuse`]):
    /// what callers outside this crate pass as `Fresh::Within` to share it.
    pub fn list_reuse(&self) -> Duration {
        self.inner.list_reuse
    }
}

#[cfg(test)]
mod tests {
    use tokio_util::sync::CancellationToken;

    use std::time::Duration;

    use super::*;

    fn client() -> Result<Client, Error> {
        let mut config = Config::new("ap-southeast-1", hwsnap_sign::Credentials::new("AK", "SK"));
        config.project_id = Some("p-1".to_owned());
        Client::new(config)
    }

    #[tokio::test]
    async fn configured_project_id_needs_no_request() -> Result<(), Error> {
        let c = client()?;
        assert_eq!(
            c.project_id(&Scope::new(CancellationToken::new())).await?,
            "p-1"
        );
        Ok(())
    }

    #[test]
    fn endpoints_and_a_configured_project_are_known_without_a_request() -> Result<(), Error> {
        let mut config = Config::new("ap-southeast-1", hwsnap_sign::Credentials::new("AK", "SK"));
        config.endpoints.dws = Some(" http://127.0.0.1:9/dws ".to_owned());
        let c = Client::new(config)?;
        assert_eq!(c.endpoint(Service::Dws), "http://127.0.0.1:9/dws/");
        assert_eq!(
            c.endpoint(Service::Css),
            "https://css.ap-southeast-1.myhuaweicloud.com/"
        );
        assert_eq!(c.cached_project_id(), None, "not looked up yet");
        assert_eq!(client()?.cached_project_id().as_deref(), Some("p-1"));
        Ok(())
    }

    #[test]
    fn empty_project_id_is_rejected() {
        let mut config = Config::new("r", hwsnap_sign::Credentials::new("AK", "SK"));
        config.project_id = Some(" ".to_owned());
        assert!(
            matches!(Client::new(config), Err(Error::Config { ref field, .. }) if field == "project_id")
        );
    }

    #[tokio::test]
    async fn cluster_lock_serialises_per_cluster_only() -> Result<(), Error> {
        let c = client()?;
        let held = c.lock_cluster("c-1").await;
        // Another cluster is free.
        let other = tokio::time::timeout(Duration::from_millis(100), c.lock_cluster("c-2")).await;
        assert!(other.is_ok());
        // The same cluster waits, even through a clone.
        let clone = c.clone();
        let waiting = tokio::spawn(async move { clone.lock_cluster("c-1").await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished());
        drop(held);
        let got = tokio::time::timeout(Duration::from_secs(2), waiting).await;
        assert!(matches!(got, Ok(Ok(_))));
        Ok(())
    }

    #[test]
    fn debug_shows_no_secret() -> Result<(), Error> {
        let mut config = Config::new("r", hwsnap_sign::Credentials::new("AK", "TOPSECRET"));
        config.project_id = Some("p".to_owned());
        let c = Client::new(config)?;
        assert!(!format!("{c:?}").contains("TOPSECRET"));
        Ok(())
    }
}
