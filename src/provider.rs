//! The provider block: credentials, region, endpoints and retry settings,
//! each with its `HW_*` environment fallback, validated before any API call.

use std::sync::Arc;

use async_trait::async_trait;
use hwsnap_cloud::{Client, Config, Endpoints};
use hwsnap_cty::{AttributePath, Value};
use hwsnap_framework::validators::{IntRange, Pattern, Validator};
use hwsnap_framework::{
    Attribute, Block, Diagnostics, Mode, NestedBlock, Nesting, Resource, Schema,
};

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
    /// `Err(())` when the configured value is unknown (only during validation).
    fn resolve(&self, block: &Value) -> Result<Option<String>, ()> {
        match block.get_attr(self.name) {
            Some(v) if v.is_unknown() => Err(()),
            Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
            _ => Ok(std::env::var(self.env)
                .ok()
                .filter(|s| !s.trim().is_empty())),
        }
    }
}

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
    let from_env = block.get_attr(s.name).is_none_or(Value::is_null);
    if let (true, Some(v)) = (from_env, value)
        && let Err(reason) = validator.validate(&Value::string(v))
    {
        env_error(diags, s, path, &reason);
    }
}

/// Merges the provider block with the environment and checks what needs both.
/// Returns `None` while a deciding value is still unknown (validation before
/// apply), with no diagnostics.
fn settings(config: &Value, diags: &mut Diagnostics) -> Option<Settings> {
    let endpoints_cfg = config.get_attr("endpoints").cloned().unwrap_or(Value::Null);
    let endpoint = |s: &Setting, diags: &mut Diagnostics| -> Result<Option<String>, ()> {
        let v = s.resolve(&endpoints_cfg)?;
        let path = AttributePath::attr("endpoints").join_attr(s.name);
        check_from_env(s, &endpoints_cfg, v.as_deref(), &EndpointUrl, path, diags);
        Ok(v)
    };
    let region = REGION.resolve(config).ok()?;
    let access_key = ACCESS_KEY.resolve(config).ok()?;
    let secret_key = SECRET_KEY.resolve(config).ok()?;
    let security_token = SECURITY_TOKEN.resolve(config).ok()?;
    let project_id = PROJECT_ID.resolve(config).ok()?;
    let cloud = CLOUD
        .resolve(config)
        .ok()?
        .unwrap_or_else(|| hwsnap_cloud::endpoint::DEFAULT_CLOUD.to_string());
    let endpoints = Endpoints {
        dws: endpoint(&ENDPOINT_DWS, diags).ok()?,
        css: endpoint(&ENDPOINT_CSS, diags).ok()?,
        iam: endpoint(&ENDPOINT_IAM, diags).ok()?,
    };

    let insecure = match config.get_attr(INSECURE.name) {
        Some(v) if v.is_unknown() => return None,
        Some(Value::Bool(b)) => *b,
        _ => match std::env::var(INSECURE.env).ok().as_deref().map(str::trim) {
            None | Some("") => false,
            Some(s) if s.eq_ignore_ascii_case("true") || s == "1" => true,
            Some(s) if s.eq_ignore_ascii_case("false") || s == "0" => false,
            Some(_) => {
                env_error(
                    diags,
                    &INSECURE,
                    AttributePath::attr(INSECURE.name),
                    "must be true or false",
                );
                false
            }
        },
    };

    let max_retries = match config.get_attr(MAX_RETRIES.name) {
        Some(v) if v.is_unknown() => return None,
        Some(Value::Number(n)) => n.to_i64().unwrap_or(DEFAULT_MAX_RETRIES),
        _ => match std::env::var(MAX_RETRIES.env)
            .ok()
            .filter(|s| !s.trim().is_empty())
        {
            None => DEFAULT_MAX_RETRIES,
            Some(s) => match s.trim().parse::<i64>() {
                Ok(n) if (0..=MAX_MAX_RETRIES).contains(&n) => n,
                _ => {
                    env_error(
                        diags,
                        &MAX_RETRIES,
                        AttributePath::attr(MAX_RETRIES.name),
                        &format!("must be a whole number from 0 to {MAX_MAX_RETRIES}"),
                    );
                    DEFAULT_MAX_RETRIES
                }
            },
        },
    };

    check_from_env(
        &REGION,
        config,
        region.as_deref(),
        &region_pattern(),
        AttributePath::attr(REGION.name),
        diags,
    );

    match (&access_key, &secret_key) {
        (Some(_), None) => diags.attribute_error(
            AttributePath::attr(SECRET_KEY.name),
            "Missing secret_key",
            format!(
                "access_key is set but secret_key is not. Set both (or {} and {}).",
                ACCESS_KEY.env, SECRET_KEY.env
            ),
        ),
        (None, Some(_)) => diags.attribute_error(
            AttributePath::attr(ACCESS_KEY.name),
            "Missing access_key",
            format!(
                "secret_key is set but access_key is not. Set both (or {} and {}).",
                ACCESS_KEY.env, SECRET_KEY.env
            ),
        ),
        _ => {}
    }
    if security_token.is_some() && access_key.is_none() && secret_key.is_none() {
        diags.attribute_error(
            AttributePath::attr(SECURITY_TOKEN.name),
            "security_token without keys",
            "A security token belongs to temporary credentials: set access_key and secret_key too.",
        );
    }

    Some(Settings {
        region,
        access_key,
        secret_key,
        security_token,
        project_id,
        cloud,
        endpoints,
        insecure,
        max_retries: u32::try_from(max_retries).unwrap_or(0),
    })
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
                INSECURE.described("Skip verification of the cloud's TLS certificates. Only for test endpoints; a warning is logged."),
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
        settings(config, diags);
    }

    async fn configure(&self, config: &Value, diags: &mut Diagnostics) -> Option<Client> {
        let s = settings(config, diags)?;
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
        let mut credentials = hwsnap_sign::Credentials::new(ak, sk);
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
            tracing::warn!("insecure = true: TLS certificates of the cloud are not verified");
        }
        match Client::new(cfg) {
            Ok(client) => Some(client),
            Err(e) => {
                diags.error("Invalid provider configuration", e.to_string());
                None
            }
        }
    }

    fn resources(&self) -> Vec<Arc<dyn Resource<Client>>> {
        let dws: Arc<dyn Resource<Client>> = Arc::new(DwsSnapshot);
        let css: Arc<dyn Resource<Client>> = Arc::new(CssIndexSnapshot);
        match self.serves {
            Serves::Dws => vec![dws],
            Serves::Css => vec![css],
            Serves::All => vec![dws, css],
        }
    }
}
