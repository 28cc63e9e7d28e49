//! [`Config`]: how an emulator is started, with the contract's defaults.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

/// Default access key.
pub const DEFAULT_ACCESS_KEY: &str = "HPUAEXAMPLEAK0000001";
/// Default secret key.
pub const DEFAULT_SECRET_KEY: &str = "exampleSecretKey0123456789abcdefghijklmn";
/// Default project id.
pub const DEFAULT_PROJECT_ID: &str = "0123456789abcdef0123456789abcdef";
/// Default region.
pub const DEFAULT_REGION: &str = "ap-southeast-1";
/// The DWS cluster seeded when none is configured (the API docs' example id).
pub const DEFAULT_DWS_CLUSTER: &str = "44b277eb-39be-4921-be31-3d61b43651d7";
/// The CSS cluster seeded when none is configured (the API docs' example id).
pub const DEFAULT_CSS_CLUSTER: &str = "ea244205-d641-45d9-9dcb-ab2236bcd07e";

/// Emulator configuration.
#[derive(Clone, PartialEq)]
pub struct Config {
    /// Address to bind; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Accepted (access key, secret key) pairs.
    pub credentials: Vec<(String, String)>,
    /// The only project id accepted in paths.
    pub project_id: String,
    /// The region, i.e. the IAM project name.
    pub region: String,
    /// DWS cluster ids.
    pub dws_clusters: Vec<String>,
    /// CSS cluster ids.
    pub css_clusters: Vec<String>,
    /// Seconds a new snapshot stays CREATING/BUILDING (0 and fractions allowed).
    pub create_seconds: f64,
    /// Where clusters and snapshots are persisted, if anywhere.
    pub state_file: Option<PathBuf>,
    /// Allow a non-loopback `listen` address (the control API is
    /// unauthenticated, so anyone who can reach the port controls the state).
    pub allow_remote: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            credentials: vec![(DEFAULT_ACCESS_KEY.to_owned(), DEFAULT_SECRET_KEY.to_owned())],
            project_id: DEFAULT_PROJECT_ID.to_owned(),
            region: DEFAULT_REGION.to_owned(),
            dws_clusters: vec![DEFAULT_DWS_CLUSTER.to_owned()],
            css_clusters: vec![DEFAULT_CSS_CLUSTER.to_owned()],
            create_seconds: 2.0,
            state_file: None,
            allow_remote: false,
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let access_keys: Vec<&str> = self.credentials.iter().map(|(ak, _)| ak.as_str()).collect();
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("access_keys", &access_keys)
            .field("project_id", &self.project_id)
            .field("region", &self.region)
            .field("dws_clusters", &self.dws_clusters)
            .field("css_clusters", &self.css_clusters)
            .field("create_seconds", &self.create_seconds)
            .field("state_file", &self.state_file)
            .field("allow_remote", &self.allow_remote)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_contract_and_debug_hides_secrets() {
        let c = Config::default();
        assert_eq!(c.listen.port(), 0);
        assert_eq!(c.dws_clusters.len(), 1);
        assert_eq!(c.css_clusters.len(), 1);
        assert!((c.create_seconds - 2.0).abs() < f64::EPSILON);
        let d = format!("{c:?}");
        assert!(d.contains(DEFAULT_ACCESS_KEY));
        assert!(!d.contains(DEFAULT_SECRET_KEY));
    }
}
