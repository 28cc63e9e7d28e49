//! [`Config`]: everything a [`crate::Client`] needs, with defaults; its
//! `Debug` never shows the secret key or security token.

use std::fmt;
use std::time::Duration;

use crate::endpoint::{DEFAULT_CLOUD, Service};
use crate::retry::RetryTiming;

/// One value per service this client calls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PerService<T> {
    pub dws: T,
    pub css: T,
    pub iam: T,
}

impl<T> PerService<T> {
    /// The value for `service`.
    pub fn get(&self, service: Service) -> &T {
        match service {
            Service::Dws => &self.dws,
            Service::Css => &self.css,
            Service::Iam => &self.iam,
        }
    }
}

/// Per-service endpoint overrides; `None` means the region's default host.
pub type Endpoints = PerService<Option<String>>;

/// Where each endpoint override came from, in the words a user would look
/// for, e.g. `endpoints.dws / HW_DWS_ENDPOINT`; named in errors about the
/// endpoint (unreachable, redirecting). `None` with an override says
/// `endpoints.{service}`; without an override the error says the URL is the
/// default derived from `region` and `cloud`.
pub type EndpointOrigins = PerService<Option<String>>;

/// Client configuration. Build with [`Config::new`] and adjust fields.
#[derive(Clone)]
pub struct Config {
    pub region: String,
    pub credentials: hwsnap_sign::Credentials,
    /// When `None`, resolved once through IAM from the region.
    pub project_id: Option<String>,
    /// Cloud domain, default `myhuaweicloud.com`.
    pub cloud: String,
    pub endpoints: Endpoints,
    /// Where the overrides in `endpoints` came from, for error messages.
    pub endpoint_origins: EndpointOrigins,
    /// Skip TLS certificate verification (logged as a warning).
    pub insecure: bool,
    /// Retries after the first attempt for retryable failures.
    pub max_retries: u32,
    pub retry: RetryTiming,
    pub user_agent: String,
    pub connect_timeout: Duration,
    /// The longest one request may take, connection and answer included.
    /// A [`crate::Scope`] deadline shortens it.
    pub request_timeout: Duration,
    /// How old a cluster's shared snapshot list may be for a read
    /// ([`crate::Css::find_snapshot`], [`crate::Dws::find_snapshot`]) to
    /// reuse it instead of listing again (see [`crate::css`]).
    pub list_reuse: Duration,
}

/// Retries after the first attempt when nothing else is configured.
pub const DEFAULT_MAX_RETRIES: u32 = 5;

/// How old a shared cluster list a read reuses by default.
pub const DEFAULT_LIST_REUSE: Duration = Duration::from_secs(2);

/// The default `User-Agent`.
pub fn default_user_agent() -> String {
    format!("terraform-provider-hwsnap/{}", env!("CARGO_PKG_VERSION"))
}

impl Config {
    /// A configuration with defaults: default cloud, no overrides, TLS
    /// verified, 5 retries (1 s base, 30 s cap), 10 s connect and 60 s request
    /// timeouts, CSS lists reused for 2 s.
    pub fn new(region: impl Into<String>, credentials: hwsnap_sign::Credentials) -> Self {
        Config {
            region: region.into(),
            credentials,
            project_id: None,
            cloud: DEFAULT_CLOUD.to_owned(),
            endpoints: Endpoints::default(),
            endpoint_origins: EndpointOrigins::default(),
            insecure: false,
            max_retries: DEFAULT_MAX_RETRIES,
            retry: RetryTiming::default(),
            user_agent: default_user_agent(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            list_reuse: DEFAULT_LIST_REUSE,
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("region", &self.region)
            .field("access_key", &self.credentials.access_key)
            .field("secret_key", &"<redacted>")
            .field(
                "security_token",
                &self.credentials.security_token().map(|_| "<redacted>"),
            )
            .field("project_id", &self.project_id)
            .field("cloud", &self.cloud)
            .field("endpoints", &self.endpoints)
            .field("endpoint_origins", &self.endpoint_origins)
            .field("insecure", &self.insecure)
            .field("max_retries", &self.max_retries)
            .field("retry", &self.retry)
            .field("user_agent", &self.user_agent)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("list_reuse", &self.list_reuse)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets() {
        let creds = hwsnap_sign::Credentials::new("AKVISIBLE", "super-secret-key")
            .with_security_token("token-secret-value");
        let config = Config::new("ap-southeast-1", creds);
        let text = format!("{config:?}");
        assert!(text.contains("AKVISIBLE"));
        assert!(!text.contains("super-secret-key"), "{text}");
        assert!(!text.contains("token-secret-value"), "{text}");
    }

    #[test]
    fn defaults() {
        let config = Config::new("r", hwsnap_sign::Credentials::new("a", "s"));
        assert_eq!(config.cloud, "myhuaweicloud.com");
        assert!(config.user_agent.starts_with("terraform-provider-hwsnap/"));
        assert!(!config.insecure);
        assert_eq!(config.max_retries, 5);
    }
}
