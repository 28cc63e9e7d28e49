//! The provider block: credentials, region, endpoints and retry settings,
//! each with its `HW_*` environment fallback, validated before any API call.
//!
//! [`settings`] merges the block with an environment lookup (the process
//! environment in the provider, a map in tests), one small resolver per
//! kind of setting.

use hwsnap_cloud::{Client, Config, Credentials, Endpoints};
use hwsnap_framework::cty::{AttributePath, Value};
use hwsnap_framework::validators::{IntRange, Pattern, Validator};
use hwsnap_framework::{
    Attribute, Block, Diagnostics, Mode, NestedBlock, Nesting, Registry, Schema, async_trait,
};

use crate::data_sources::{CssIndexSnapshots, DwsSnapshots};
use crate::list_resources::{CssIndexSnapshotList, DwsSnapshotList};
use crate::resources::{CssIndexSnapshot, DwsSnapshot};

/// Which resource types a binary serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Serves {
    /// `terraform-provider-dws`: `dws_snapshot`.
    Dws,
    /// `terraform-provider-css`: `css_index_snapshot`.
    Css,
    /// `terraform-provider-hwsnap`: both.
    All,
}

impl Serves {
    /// The registry address Terraform knows this binary by.
    pub fn address(self) -> &'static str {
        match self {
            Serves::Dws => "registry.terraform.io/hwsnap/dws",
            Serves::Css => "registry.terraform.io/hwsnap/css",
            Serves::All => "registry.terraform.io/hwsnap/hwsnap",
        }
    }
}

/// The hwsnap provider.
pub struct HwsnapProvider {
    serves: Serves,
}

impl HwsnapProvider {
    pub fn new(serves: Serves) -> Self {
        Self { serves }
    }
}

/// One provider attribute and the environment variable it falls back to.
struct Setting {
    name: &'static str,
    env: &'static str,
}

const REGION: Setting = Setting {
    name: "region",
    env: "HW_REGION_NAME",
};
const ACCESS_KEY: Setting = Setting {
    name: "access_key",
    env: "HW_ACCESS_KEY",
};
const SECRET_KEY: Setting = Setting {
    name: "secret_key",
    env: "HW_SECRET_KEY",
};
const SECURITY_TOKEN: Setting = Setting {
    name: "security_token",
    env: "HW_SECURITY_TOKEN",
};
const PROJECT_ID: Setting = Setting {
    name: "project_id",
    env: "HW_PROJECT_ID",
};
const CLOUD: Setting = Setting {
    name: "cloud",
    env: "HW_CLOUD",
};
const INSECURE: Setting = Setting {
    name: "insecure",
    env: "HW_INSECURE",
};
const MAX_RETRIES: Setting = Setting {
    name: "max_retries",
    env: "HW_MAX_RETRIES",
};
const ENDPOINT_DWS: Setting = Setting {
    name: "dws",
    env: "HW_DWS_ENDPOINT",
};
const ENDPOINT_CSS: Setting = Setting {
    name: "css",
    env: "HW_CSS_ENDPOINT",
};
const ENDPOINT_IAM: Setting = Setting {
    name: "iam",
    env: "HW_IAM_ENDPOINT",
};

const DEFAULT_MAX_RETRIES: i64 = hwsnap_cloud::DEFAULT_MAX_RETRIES as i64;
const MAX_MAX_RETRIES: i64 = 100;

/// An endpoint override must normalise to a URL with a host.
struct EndpointUrl;

impl Validator for EndpointUrl {
    fn description(&self) -> String {
        "a URL such as https://dws.example.com (include https:// or http://)".into()
    }

    fn validate(&self, value: &Value) -> Result<(), String> {
        match value.as_str() {
            Some(s) => hwsnap_cloud::normalize_endpoint(s)
                .map(|_| ())
                .map_err(|e| {
                    format!(
                        "is not a usable endpoint ({e}): must be {}",
                        self.description()
                    )
                }),
            None => Ok(()),
        }
    }
}

fn region_pattern() -> Pattern {
    Pattern::new(
        r"^[a-z]{2,}(-[a-z]+)+-[0-9]+$",
        "be a region name such as ap-southeast-1 or cn-north-4",
    )
}

impl Setting {
    fn described(&self, text: &str) -> String {
        format!(
            "{text} Falls back to the `{}` environment variable.",
            self.env
        )
    }

    fn string(&self, mode: Mode, text: &str) -> Attribute {
        Attribute::string(self.name, mode, self.described(text))
    }

    /// The configured string, else the environment's (empty counts as unset).
    /// `Err(Unknown)` when the configured value is unknown (only during
    /// validation).
    fn resolve(&self, block: &Value, env: Env<'_>) -> Result<Option<String>, Unknown> {
        match block.get_attr(self.name) {
            Some(v) if v.is_unknown() => Err(Unknown),
            Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
            _ => Ok(self.in_env(env)),
        }
    }

    /// The environment's value, when set and not blank.
    fn in_env(&self, env: Env<'_>) -> Option<String> {
        env(self.env).filter(|s| !s.trim().is_empty())
    }

    /// Whether the block leaves this setting to the environment.
    fn unset_in(&self, block: &Value) -> bool {
        block.get_attr(self.name).is_none_or(Value::is_null)
    }
}

/// Where settings not in the provider block come from: `HW_*` name to value.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment.
fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// A deciding value is still unknown (validation before apply): nothing to
/// check yet.
#[derive(Debug)]
struct Unknown;

fn endpoints_block() -> NestedBlock {
    NestedBlock {
        name: "endpoints",
        nesting: Nesting::Single,
        block: Block::new("Overrides of service endpoints, for private clouds, proxies or the local `hwsnap-emulator`.")
            .attribute(ENDPOINT_DWS.string(Mode::Optional, "The GaussDB(DWS) endpoint.").validate(EndpointUrl))
            .attribute(ENDPOINT_CSS.string(Mode::Optional, "The Cloud Search Service endpoint.").validate(EndpointUrl))
            .attribute(ENDPOINT_IAM.string(Mode::Optional, "The IAM endpoint, used to look up the project ID.").validate(EndpointUrl)),
    }
}

/// The provider settings after merging configuration and environment.
struct Settings {
    region: Option<String>,
    access_key: Option<String>,
    secret_key: Option<String>,
    security_token: Option<String>,
    project_id: Option<String>,
    cloud: String,
    endpoints: Endpoints,
    insecure: bool,
    max_retries: u32,
}

fn env_error(diags: &mut Diagnostics, s: &Setting, path: AttributePath, why: &str) {
    diags.attribute_error(
        path,
        format!("Invalid {} from the environment", s.name),
        format!("The environment variable {} {why}.", s.env),
    );
}

/// Checks a value that came from the environment with the attribute's
/// validator; configured values were already checked by the framework.
fn check_from_env(
    s: &Setting,
    block: &Value,
    value: Option<&str>,
    validator: &dyn Validator,
    path: AttributePath,
    diags: &mut Diagnostics,
) {
    if let (true, Some(v)) = (s.unset_in(block), value)
        && let Err(reason) = validator.validate(&Value::string(v))
    {
        env_error(diags, s, path, &reason);
    }
}

/// The `endpoints { … }` overrides, each checked when it came from the
/// environment.
fn endpoints(config: &Value, env: Env<'_>, diags: &mut Diagnostics) -> Result<Endpoints, Unknown> {
    let block = config.get_attr("endpoints").cloned().unwrap_or(Value::Null);
    let mut endpoint = |s: &Setting| -> Result<Option<String>, Unknown> {
        let v = s.resolve(&block, env)?;
        let path = AttributePath::attr("endpoints").join_attr(s.name);
        check_from_env(s, &block, v.as_deref(), &EndpointUrl, path, diags);
        Ok(v)
    };
    Ok(Endpoints {
        dws: endpoint(&ENDPOINT_DWS)?,
        css: endpoint(&ENDPOINT_CSS)?,
        iam: endpoint(&ENDPOINT_IAM)?,
    })
}

/// `insecure`: the block's bool, else `HW_INSECURE` (`true`/`1`,
/// `false`/`0`), else false.
fn insecure(config: &Value, env: Env<'_>, diags: &mut Diagnostics) -> Result<bool, Unknown> {
    match config.get_attr(INSECURE.name) {
        Some(v) if v.is_unknown() => Err(Unknown),
        Some(Value::Bool(b)) => Ok(*b),
        _ => Ok(match INSECURE.in_env(env).as_deref().map(str::trim) {
            None => false,
            Some(s) if s.eq_ignore_ascii_case("true") || s == "1" => true,
            Some(s) if s.eq_ignore_ascii_case("false") || s == "0" => false,
            Some(_) => {
                let path = AttributePath::attr(INSECURE.name);
                env_error(diags, &INSECURE, path, "must be true or false");
                false
            }
        }),
    }
}

/// `max_retries`: the block's number, else `HW_MAX_RETRIES`, else the
/// client's default.
fn max_retries(config: &Value, env: Env<'_>, diags: &mut Diagnostics) -> Result<u32, Unknown> {
    let n = match config.get_attr(MAX_RETRIES.name) {
        Some(v) if v.is_unknown() => return Err(Unknown),
        Some(Value::Number(n)) => n.to_i64().unwrap_or(DEFAULT_MAX_RETRIES),
        _ => match MAX_RETRIES.in_env(env) {
            None => DEFAULT_MAX_RETRIES,
            Some(s) => match s.trim().parse::<i64>() {
                Ok(n) if (0..=MAX_MAX_RETRIES).contains(&n) => n,
                _ => {
                    let path = AttributePath::attr(MAX_RETRIES.name);
                    let why = format!("must be a whole number from 0 to {MAX_MAX_RETRIES}");
                    env_error(diags, &MAX_RETRIES, path, &why);
                    DEFAULT_MAX_RETRIES
                }
            },
        },
    };
    Ok(u32::try_from(n).unwrap_or(0))
}

/// Keys come in pairs, and a security token needs them.
fn check_credentials(s: &Settings, diags: &mut Diagnostics) {
    let both = format!("Set both (or {} and {}).", ACCESS_KEY.env, SECRET_KEY.env);
    match (&s.access_key, &s.secret_key) {
        (Some(_), None) => diags.attribute_error(
            AttributePath::attr(SECRET_KEY.name),
            "Missing secret_key",
            format!("access_key is set but secret_key is not. {both}"),
        ),
        (None, Some(_)) => diags.attribute_error(
            AttributePath::attr(ACCESS_KEY.name),
            "Missing access_key",
            format!("secret_key is set but access_key is not. {both}"),
        ),
        _ => {}
    }
    if s.security_token.is_some() && s.access_key.is_none() && s.secret_key.is_none() {
        diags.attribute_error(
            AttributePath::attr(SECURITY_TOKEN.name),
            "security_token without keys",
            "A security token belongs to temporary credentials: set access_key and secret_key too.",
        );
    }
}

/// Merges the provider block with the environment and checks what needs both.
/// Returns `None` while a deciding value is still unknown (validation before
/// apply), with no diagnostics.
fn settings(config: &Value, env: Env<'_>, diags: &mut Diagnostics) -> Option<Settings> {
    let resolve = |s: &Setting| s.resolve(config, env);
    let s = Settings {
        region: resolve(&REGION).ok()?,
        access_key: resolve(&ACCESS_KEY).ok()?,
        secret_key: resolve(&SECRET_KEY).ok()?,
        security_token: resolve(&SECURITY_TOKEN).ok()?,
        project_id: resolve(&PROJECT_ID).ok()?,
        cloud: resolve(&CLOUD)
            .ok()?
            .unwrap_or_else(|| hwsnap_cloud::endpoint::DEFAULT_CLOUD.to_string()),
        endpoints: endpoints(config, env, diags).ok()?,
        insecure: insecure(config, env, diags).ok()?,
        max_retries: max_retries(config, env, diags).ok()?,
    };
    let region_path = AttributePath::attr(REGION.name);
    check_from_env(
        &REGION,
        config,
        s.region.as_deref(),
        &region_pattern(),
        region_path,
        diags,
    );
    check_credentials(&s, diags);
    Some(s)
}

#[async_trait]
impl hwsnap_framework::Provider for HwsnapProvider {
    type Data = Client;

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new(
                "The hwsnap provider manages Huawei Cloud snapshots: GaussDB(DWS) cluster snapshots \
                 and Cloud Search Service index snapshots. It signs requests with an access key \
                 (AK/SK) and needs a region.",
            )
            .attribute(
                REGION
                    .string(Mode::Optional, "The region, such as `ap-southeast-1`. Required here or in the environment.")
                    .validate(region_pattern()),
            )
            .attribute(ACCESS_KEY.string(Mode::Optional, "The access key ID (AK). Set together with `secret_key`."))
            .attribute(
                SECRET_KEY
                    .string(Mode::Optional, "The secret access key (SK). Set together with `access_key`.")
                    .sensitive(),
            )
            .attribute(
                SECURITY_TOKEN
                    .string(Mode::Optional, "The security token of temporary credentials, sent as `X-Security-Token`.")
                    .sensitive(),
            )
            .attribute(
                PROJECT_ID
                    .string(Mode::Optional, "The project ID. When unset it is looked up once through IAM from the region.")
                    .validate(Pattern::new(r"^[0-9A-Za-z-]{1,64}$", "be a project ID (letters, digits and -)")),
            )
            .attribute(
                CLOUD
                    .string(Mode::Optional, "The cloud's domain name. Default: `myhuaweicloud.com`.")
                    .validate(Pattern::new(
                        r"^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$",
                        "be a domain name such as myhuaweicloud.com",
                    )),
            )
            .attribute(Attribute::bool(
                INSECURE.name,
                Mode::Optional,
                INSECURE.described("Skip verification of the cloud's TLS certificates. Only for test endpoints; plan and apply show a warning."),
            ))
            .attribute(
                Attribute::number(
                    MAX_RETRIES.name,
                    Mode::Optional,
                    MAX_RETRIES.described("How often a throttled, busy or failed request is retried. Authentication failures are never retried. Default: `5`."),
                )
                .validate(IntRange { min: 0, max: MAX_MAX_RETRIES }),
            )
            .block(endpoints_block()),
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        settings(config, &process_env, diags);
    }

    async fn configure(&self, config: &Value, diags: &mut Diagnostics) -> Option<Client> {
        let s = settings(config, &process_env, diags)?;
        if diags.has_errors() {
            return None;
        }
        let Some(region) = s.region else {
            diags.attribute_error(
                AttributePath::attr(REGION.name),
                "Missing region",
                format!(
                    "Set region in the provider block or {} in the environment.",
                    REGION.env
                ),
            );
            return None;
        };
        let (Some(ak), Some(sk)) = (s.access_key, s.secret_key) else {
            diags.attribute_error(
                AttributePath::attr(ACCESS_KEY.name),
                "Missing credentials",
                format!(
                    "Set access_key and secret_key in the provider block, or {} and {} in the environment.",
                    ACCESS_KEY.env, SECRET_KEY.env
                ),
            );
            return None;
        };
        let mut credentials = Credentials::new(ak, sk);
        if let Some(token) = s.security_token {
            credentials = credentials.with_security_token(token);
        }
        let mut cfg = Config::new(region, credentials);
        cfg.project_id = s.project_id;
        cfg.cloud = s.cloud;
        cfg.endpoints = s.endpoints;
        cfg.insecure = s.insecure;
        cfg.max_retries = s.max_retries;
        if cfg.insecure {
            // The client logs it once; this shows it in plan and apply output.
            diags.warning(
                "TLS certificates are not verified",
                "insecure = true: hwsnap does not check the cloud endpoints' TLS certificates, so anyone \
                 on the network path can read and change its requests. Use it only for test endpoints.",
            );
        }
        match Client::new(cfg) {
            Ok(client) => Some(client),
            Err(e) => {
                diags.error("Invalid provider configuration", e.to_string());
                None
            }
        }
    }

    fn register(&self, types: &mut Registry<Client>) {
        if self.serves != Serves::Css {
            types.resource(DwsSnapshot);
            types.list_resource(DwsSnapshotList);
            types.data_source(DwsSnapshots);
        }
        if self.serves != Serves::Dws {
            types.resource(CssIndexSnapshot);
            types.list_resource(CssIndexSnapshotList);
            types.data_source(CssIndexSnapshots);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use hwsnap_framework::{Provider, Server};

    use super::*;

    /// An environment of the given variables only.
    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn block(pairs: &[(&str, Value)]) -> Value {
        let mut v = HwsnapProvider::new(Serves::All)
            .schema()
            .block
            .null_object();
        for (k, x) in pairs {
            v.set_attr(k, x.clone());
        }
        v
    }

    fn resolved(config: &Value, vars: &[(&str, &str)]) -> (Option<Settings>, Diagnostics) {
        let mut diags = Diagnostics::new();
        let s = settings(config, &env(vars), &mut diags);
        (s, diags)
    }

    fn summaries(d: &Diagnostics) -> Vec<&str> {
        d.iter().map(|d| d.summary.as_str()).collect()
    }

    #[test]
    fn every_served_set_of_types_fits_together() {
        for serves in [Serves::Dws, Serves::Css, Serves::All] {
            let server = Server::try_new(HwsnapProvider::new(serves));
            assert!(server.is_ok(), "{serves:?}: {:?}", server.err());
        }
        let all = Server::new(HwsnapProvider::new(Serves::All));
        assert_eq!(all.resource_types(), ["css_index_snapshot", "dws_snapshot"]);
    }

    #[test]
    fn the_block_wins_over_the_environment() {
        let config = block(&[("region", Value::string("cn-north-4"))]);
        let (s, d) = resolved(
            &config,
            &[
                ("HW_REGION_NAME", "ap-southeast-1"),
                ("HW_PROJECT_ID", "p-1"),
            ],
        );
        let s = s.unwrap();
        assert!(d.is_empty());
        assert_eq!(s.region.as_deref(), Some("cn-north-4"));
        assert_eq!(s.project_id.as_deref(), Some("p-1"), "from the environment");
        assert_eq!(s.cloud, hwsnap_cloud::endpoint::DEFAULT_CLOUD);
        assert_eq!(s.max_retries, hwsnap_cloud::DEFAULT_MAX_RETRIES);
        assert!(!s.insecure);
    }

    #[test]
    fn blank_environment_values_count_as_unset() {
        let (s, _) = resolved(&block(&[]), &[("HW_REGION_NAME", "  "), ("HW_CLOUD", "")]);
        let s = s.unwrap();
        assert_eq!(s.region, None);
        assert_eq!(s.cloud, hwsnap_cloud::endpoint::DEFAULT_CLOUD);
    }

    #[test]
    fn unknown_values_defer_every_check() {
        for attr in ["region", "insecure", "max_retries"] {
            let (s, d) = resolved(
                &block(&[(attr, Value::unknown())]),
                &[("HW_MAX_RETRIES", "x")],
            );
            assert!(s.is_none(), "{attr}");
            assert!(d.is_empty(), "{attr}: {d:?}");
        }
    }

    #[test]
    fn insecure_and_max_retries_from_the_environment() {
        for (text, want) in [("true", true), ("1", true), ("FALSE", false), ("0", false)] {
            let (s, d) = resolved(&block(&[]), &[("HW_INSECURE", text)]);
            assert_eq!(s.unwrap().insecure, want, "{text}");
            assert!(d.is_empty());
        }
        let (_, d) = resolved(&block(&[]), &[("HW_INSECURE", "yes")]);
        assert_eq!(summaries(&d), ["Invalid insecure from the environment"]);

        let (s, _) = resolved(&block(&[]), &[("HW_MAX_RETRIES", " 7 ")]);
        assert_eq!(s.unwrap().max_retries, 7);
        for bad in ["-1", "101", "2.5", "many"] {
            let (s, d) = resolved(&block(&[]), &[("HW_MAX_RETRIES", bad)]);
            assert_eq!(
                summaries(&d),
                ["Invalid max_retries from the environment"],
                "{bad}"
            );
            assert_eq!(s.unwrap().max_retries, hwsnap_cloud::DEFAULT_MAX_RETRIES);
        }
        let (s, _) = resolved(&block(&[("max_retries", Value::Number(0i64.into()))]), &[]);
        assert_eq!(s.unwrap().max_retries, 0);
    }

    #[test]
    fn environment_values_meet_the_attribute_rules() {
        let (_, d) = resolved(&block(&[]), &[("HW_REGION_NAME", "Mars")]);
        assert_eq!(summaries(&d), ["Invalid region from the environment"]);
        assert_eq!(d.0[0].path, Some(AttributePath::attr("region")));
        let (s, d) = resolved(&block(&[]), &[("HW_DWS_ENDPOINT", "http://")]);
        assert_eq!(summaries(&d), ["Invalid dws from the environment"]);
        assert_eq!(
            d.0[0].path,
            Some(AttributePath::attr("endpoints").join_attr("dws"))
        );
        assert_eq!(s.unwrap().endpoints.dws.as_deref(), Some("http://"));
        let (s, d) = resolved(&block(&[]), &[("HW_CSS_ENDPOINT", "http://127.0.0.1:9")]);
        assert!(d.is_empty());
        assert_eq!(
            s.unwrap().endpoints.css.as_deref(),
            Some("http://127.0.0.1:9")
        );
    }

    #[tokio::test]
    async fn insecure_is_a_warning_in_plan_and_apply_output() {
        use hwsnap_framework::Severity;
        let config = block(&[
            ("region", Value::string("ap-southeast-1")),
            ("access_key", Value::string("AK")),
            ("secret_key", Value::string("SK")),
            ("project_id", Value::string("p-1")),
            ("insecure", Value::Bool(true)),
        ]);
        let mut diags = Diagnostics::new();
        let client = HwsnapProvider::new(Serves::All)
            .configure(&config, &mut diags)
            .await;
        assert!(client.is_some());
        let warnings: Vec<_> = diags
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .collect();
        assert_eq!(warnings.len(), 1, "{diags:?}");
        assert!(warnings[0].detail.starts_with("insecure = true"));
        assert!(!diags.has_errors());
    }

    #[test]
    fn keys_come_in_pairs() {
        let (_, d) = resolved(&block(&[]), &[("HW_ACCESS_KEY", "AK")]);
        assert_eq!(summaries(&d), ["Missing secret_key"]);
        let (_, d) = resolved(&block(&[("secret_key", Value::string("SK"))]), &[]);
        assert_eq!(summaries(&d), ["Missing access_key"]);
        assert!(
            !format!("{d:?}").contains("SK\""),
            "the secret is not echoed"
        );
        let (_, d) = resolved(&block(&[]), &[("HW_SECURITY_TOKEN", "t")]);
        assert_eq!(summaries(&d), ["security_token without keys"]);
        let (s, d) = resolved(
            &block(&[]),
            &[
                ("HW_ACCESS_KEY", "AK"),
                ("HW_SECRET_KEY", "SK"),
                ("HW_SECURITY_TOKEN", "t"),
            ],
        );
        assert!(d.is_empty());
        assert_eq!(s.unwrap().security_token.as_deref(), Some("t"));
    }
}
