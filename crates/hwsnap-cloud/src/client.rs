//! [`Client`]: cheap to clone (an `Arc` inside), holding one pooled HTTP
//! client, the cached project id and the per-cluster create locks.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::scope::Scope;
use tokio::sync::{OnceCell, OwnedMutexGuard};

use crate::config::Config;
use crate::css::Css;
use crate::dws::Dws;
use crate::error::Error;
use crate::iam;
use crate::transport::Transport;

/// The Huawei Cloud client. Build one per provider configuration and clone
/// it freely; clones share the connection pool and the project id.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Transport,
    region: String,
    project_id: OnceCell<String>,
    cluster_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
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
            }),
        })
    }

    /// The configured project id, or the one IAM gives for the region,
    /// looked up once and cached.
    pub async fn project_id(&self, scope: &Scope) -> Result<String, Error> {
        let inner = &self.inner;
        inner
            .project_id
            .get_or_try_init(|| iam::resolve_project_id(&inner.transport, &inner.region, scope))
            .await
            .cloned()
    }

    /// The region this client is for.
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

    pub(crate) fn transport(&self) -> &Transport {
        &self.inner.transport
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
