//! Service endpoints: the default host for a service in a region, and the
//! normalisation of user overrides (private clouds, proxies, the emulator).

use crate::error::Error;

/// The services this client calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Dws,
    Css,
    Iam,
}

impl Service {
    /// The host prefix of the service (`dws`, `css`, `iam`).
    pub fn host_prefix(self) -> &'static str {
        match self {
            Service::Dws => "dws",
            Service::Css => "css",
            Service::Iam => "iam",
        }
    }
}

/// The default cloud domain.
pub const DEFAULT_CLOUD: &str = "myhuaweicloud.com";
const EU_CLOUD: &str = "myhuaweicloud.eu";

/// The endpoint a service answers at in a region, normalised (with a
/// trailing `/`): `https://{service}.{region}.{cloud}/`, where regions
/// starting `eu-west-1` use `myhuaweicloud.eu` when the cloud is the default
/// one, CSS in `cn-north-1` and `cn-east-2` answers at `es.{region}…`, and DWS
/// in `eu-west-101` at `.eu`.
pub fn default_endpoint(service: Service, region: &str, cloud: &str) -> String {
    let region = region.trim();
    let cloud = match cloud.trim().trim_matches('.') {
        "" => DEFAULT_CLOUD,
        other => other,
    };
    let is_default_cloud = cloud == DEFAULT_CLOUD;
    let cloud = match (service, region) {
        (Service::Dws, "eu-west-101") if is_default_cloud => EU_CLOUD,
        _ if is_default_cloud && region.starts_with("eu-west-1") => EU_CLOUD,
        _ => cloud,
    };
    let prefix = match (service, region) {
        (Service::Css, "cn-north-1" | "cn-east-2") => "es",
        _ => service.host_prefix(),
    };
    format!("https://{prefix}.{region}.{cloud}/")
}

/// Normalises an endpoint override: trims it, ends it with exactly one `/`,
/// and checks it has an `http` or `https` scheme and a host. A value without
/// a scheme is refused rather than guessed: whether a private endpoint
/// speaks TLS is not something to assume.
pub fn normalize_endpoint(s: &str) -> Result<String, Error> {
    parse_endpoint(s)
        .map(String::from)
        .map_err(|reason| Error::config("endpoint", reason))
}

/// [`normalize_endpoint`] as a URL; the error is the reason alone, so the
/// caller names the setting.
pub(crate) fn parse_endpoint(s: &str) -> Result<reqwest::Url, String> {
    let trimmed = s.trim();
    if trimmed.is_empty() {
        return Err("the endpoint is empty".to_owned());
    }
    if !trimmed.contains("://") {
        return Err(format!(
            "{trimmed:?} has no scheme: include https:// or http://, e.g. https://{trimmed}"
        ));
    }
    let mut url =
        reqwest::Url::parse(trimmed).map_err(|e| format!("{trimmed:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{trimmed:?} must use http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{trimmed:?} has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{trimmed:?} must not carry a query or fragment"));
    }
    let path = format!("{}/", url.path().trim_end_matches('/'));
    url.set_path(&path);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_pattern() {
        assert_eq!(
            default_endpoint(Service::Dws, "ap-southeast-1", DEFAULT_CLOUD),
            "https://dws.ap-southeast-1.myhuaweicloud.com/"
        );
        assert_eq!(
            default_endpoint(Service::Iam, "cn-north-4", ""),
            "https://iam.cn-north-4.myhuaweicloud.com/"
        );
        assert_eq!(
            default_endpoint(Service::Css, "af-south-1", "example.org"),
            "https://css.af-south-1.example.org/"
        );
    }

    #[test]
    fn eu_regions_use_eu_domain() {
        assert_eq!(
            default_endpoint(Service::Css, "eu-west-101", DEFAULT_CLOUD),
            "https://css.eu-west-101.myhuaweicloud.eu/"
        );
        assert_eq!(
            default_endpoint(Service::Dws, "eu-west-101", DEFAULT_CLOUD),
            "https://dws.eu-west-101.myhuaweicloud.eu/"
        );
        assert_eq!(
            default_endpoint(Service::Iam, "eu-west-0", DEFAULT_CLOUD),
            "https://iam.eu-west-0.myhuaweicloud.com/"
        );
        // A custom cloud is used as given.
        assert_eq!(
            default_endpoint(Service::Dws, "eu-west-101", "cloud.example"),
            "https://dws.eu-west-101.cloud.example/"
        );
    }

    #[test]
    fn css_exceptions_answer_at_es() {
        assert_eq!(
            default_endpoint(Service::Css, "cn-north-1", DEFAULT_CLOUD),
            "https://es.cn-north-1.myhuaweicloud.com/"
        );
        assert_eq!(
            default_endpoint(Service::Css, "cn-east-2", DEFAULT_CLOUD),
            "https://es.cn-east-2.myhuaweicloud.com/"
        );
        assert_eq!(
            default_endpoint(Service::Dws, "cn-north-1", DEFAULT_CLOUD),
            "https://dws.cn-north-1.myhuaweicloud.com/"
        );
    }

    #[test]
    fn normalisation() {
        assert_eq!(
            normalize_endpoint("  https://dws.example.com ")
                .ok()
                .as_deref(),
            Some("https://dws.example.com/")
        );
        assert_eq!(
            normalize_endpoint("http://127.0.0.1:8080").ok().as_deref(),
            Some("http://127.0.0.1:8080/")
        );
        assert_eq!(
            normalize_endpoint("https://proxy.example.com/dws///")
                .ok()
                .as_deref(),
            Some("https://proxy.example.com/dws/")
        );
        assert_eq!(
            normalize_endpoint("https://dws.example.com/")
                .ok()
                .as_deref(),
            Some("https://dws.example.com/")
        );
    }

    #[test]
    fn a_missing_scheme_is_refused_not_guessed() {
        let err = normalize_endpoint("dws.example.com").err();
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("include https:// or http://"), "{text}");
    }

    #[test]
    fn normalisation_rejects_bad_input() {
        for bad in [
            "",
            "   ",
            "https://",
            "ftp://x.example",
            "https://x.example/?a=b",
            "http://:80",
            "dws.example.com",
            "127.0.0.1:8080",
        ] {
            let err = normalize_endpoint(bad);
            assert!(
                matches!(err, Err(Error::Config { ref field, .. }) if field == "endpoint"),
                "{bad:?} gave {err:?}"
            );
        }
    }
}
