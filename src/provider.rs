//! The provider block: credentials, region, endpoints and retry settings,
//! each with its `HW_*` environment fallback, validated before any API call.
//!
//! [`settings`] merges the block with an environment lookup (the process
//! environment in the provider, a map in tests), one small resolver per
//! kind of setting.

use std::time::Duration;

use hwsnap_cloud::{
    CancellationToken, Client, Config, Credentials, EndpointOrigins, Endpoints,
    Error as CloudError, Scope, Service,
};
use hwsnap_framework::cty::{AttributePath, Value};
use hwsnap_framework::validators::{IntRange, Pattern, Validator};
use hwsnap_framework::{
    Attribute, Block, Diagnostic, Diagnostics, Mode, NestedBlock, Nesting, Registry, Schema,
    async_trait,
};

use crate::actions::{CssCreateIndexSnapshot, CssRestoreIndexSnapshot, DwsCreateSnapshot};
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

    /// Logs once per configuration what the provider talks to: region,
    /// project and the endpoints its types use (never a secret).
    fn log_configured(&self, client: &Client, region: &str, credentials_checked: bool) {
        let uses = |service: Service| {
            self.serves
                .endpoint_settings()
                .iter()
                .any(|s| s.name == service.host_prefix())
                .then(|| client.endpoint(service))
        };
        let project = client.cached_project_id();
        tracing::debug!(
            region,
            project_id = project.as_deref().unwrap_or("(looked up on first use)"),
            dws = uses(Service::Dws).as_deref(),
            css = uses(Service::Css).as_deref(),
            iam = uses(Service::Iam).as_deref(),
            credentials_checked,
            "provider configured"
        );
    }
}

/// One provider attribute and the environment variable it falls back to.
struct Setting {
    name: &'static str,
    env: &'static str,
    /// The nested block holding the attribute (`endpoints`), if any.
    within: Option<&'static str>,
}

const REGION: Setting = Setting {
    name: "region",
    env: "HW_REGION_NAME",
    within: None,
};
const ACCESS_KEY: Setting = Setting {
    name: "access_key",
    env: "HW_ACCESS_KEY",
    within: None,
};
const SECRET_KEY: Setting = Setting {
    name: "secret_key",
    env: "HW_SECRET_KEY",
    within: None,
};
const SECURITY_TOKEN: Setting = Setting {
    name: "security_token",
    env: "HW_SECURITY_TOKEN",
    within: None,
};
const PROJECT_ID: Setting = Setting {
    name: "project_id",
    env: "HW_PROJECT_ID",
    within: None,
};
const CLOUD: Setting = Setting {
    name: "cloud",
    env: "HW_CLOUD",
    within: None,
};
const INSECURE: Setting = Setting {
    name: "insecure",
    env: "HW_INSECURE",
    within: None,
};
const MAX_RETRIES: Setting = Setting {
    name: "max_retries",
    env: "HW_MAX_RETRIES",
    within: None,
};
const SKIP_CREDENTIALS_VALIDATION: Setting = Setting {
    name: "skip_credentials_validation",
    env: "HW_SKIP_CREDENTIALS_VALIDATION",
    within: None,
};
const ENDPOINT_DWS: Setting = Setting {
    name: "dws",
    env: "HW_DWS_ENDPOINT",
    within: Some("endpoints"),
};
const ENDPOINT_CSS: Setting = Setting {
    name: "css",
    env: "HW_CSS_ENDPOINT",
    within: Some("endpoints"),
};
const ENDPOINT_IAM: Setting = Setting {
    name: "iam",
    env: "HW_IAM_ENDPOINT",
    within: Some("endpoints"),
};

const DEFAULT_MAX_RETRIES: i64 = hwsnap_cloud::DEFAULT_MAX_RETRIES as i64;
const MAX_MAX_RETRIES: i64 = 100;

/// How long the credential check at configure may take, retries included.
const CREDENTIALS_CHECK_TIMEOUT: Duration = Duration::from_secs(60);

/// An endpoint override of one service must be a URL with a scheme and a
/// host; the rule text shows that service's own example.
struct EndpointUrl {
    /// `dws`, `css` or `iam`.
    service: &'static str,
}

impl Validator for EndpointUrl {
    fn description(&self) -> String {
        format!(
            "a URL such as https://{}.example.com, starting with https:// or http://",
            self.service
        )
    }

    fn validate(&self, value: &Value) -> Result<(), String> {
        let Some(s) = value.as_str() else {
            return Ok(());
        };
        match hwsnap_cloud::normalize_endpoint(s) {
            Ok(_) => Ok(()),
            Err(CloudError::Config { reason, .. }) => Err(format!(
                "is not a usable endpoint: {reason}. It must be {}",
                self.description()
            )),
            Err(e) => Err(format!(
                "is not a usable endpoint: {e}. It must be {}",
                self.description()
            )),
        }
    }
}

fn region_pattern() -> Pattern {
    Pattern::new(
        r"^[a-z]{2,}(-[a-z]+)+-[0-9]+$",
        "be a region name such as ap-southeast-1 or cn-north-4",
    )
}

/// Where a setting's value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// The provider block.
    Block,
    /// The `HW_*` environment variable.
    Env,
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

    /// The attribute's full name, e.g. `endpoints.dws`.
    fn label(&self) -> String {
        match self.within {
            Some(block) => format!("{block}.{}", self.name),
            None => self.name.to_owned(),
        }
    }

    /// The attribute's path in the provider block.
    fn path(&self) -> AttributePath {
        match self.within {
            Some(block) => AttributePath::attr(block).join_attr(self.name),
            None => AttributePath::attr(self.name),
        }
    }

    /// Where a value came from, in the words an error message uses.
    fn origin(&self, source: Source) -> String {
        match source {
            Source::Block => format!("{} in the provider block", self.label()),
            Source::Env => format!("the environment variable {}", self.env),
        }
    }

    /// The configured string, else the environment's (empty counts as
    /// unset), with where it came from. `block` is the object holding the
    /// attribute. `Err(Unknown)` when the configured value is unknown (only
    /// during validation).
    fn resolve_from(
        &self,
        block: &Value,
        env: Env<'_>,
    ) -> Result<Option<(String, Source)>, Unknown> {
        match block.get_attr(self.name) {
            Some(v) if v.is_unknown() => Err(Unknown),
            Some(Value::String(s)) if !s.is_empty() => Ok(Some((s.clone(), Source::Block))),
            _ => Ok(self.in_env(env).map(|v| (v, Source::Env))),
        }
    }

    /// [`Setting::resolve_from`] without the source.
    fn resolve(&self, block: &Value, env: Env<'_>) -> Result<Option<String>, Unknown> {
        Ok(self.resolve_from(block, env)?.map(|(v, _)| v))
    }

    /// The environment's value, when set and not blank.
    fn in_env(&self, env: Env<'_>) -> Option<String> {
        env(self.env).filter(|s| !s.trim().is_empty())
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

fn endpoint_attribute(s: &Setting, text: &str) -> Attribute {
    s.string(Mode::Optional, text)
        .validate(EndpointUrl { service: s.name })
}

fn endpoints_block() -> NestedBlock {
    NestedBlock {
        name: "endpoints",
        nesting: Nesting::Single,
        block: Block::new("Overrides of service endpoints, for private clouds, proxies or the local `hwsnap-emulator`.")
            .attribute(endpoint_attribute(&ENDPOINT_DWS, "The GaussDB(DWS) endpoint."))
            .attribute(endpoint_attribute(&ENDPOINT_CSS, "The Cloud Search Service endpoint."))
            .attribute(endpoint_attribute(&ENDPOINT_IAM, "The IAM endpoint, used to check the credentials and to look up the project ID.")),
    }
}

impl Serves {
    /// The endpoint settings this binary's types use: its service's and
    /// IAM's. Only these are read and checked, so a bad `HW_DWS_ENDPOINT`
    /// cannot break `terraform-provider-css`.
    fn endpoint_settings(self) -> &'static [Setting] {
        const DWS: &[Setting] = &[ENDPOINT_DWS, ENDPOINT_IAM];
        const CSS: &[Setting] = &[ENDPOINT_CSS, ENDPOINT_IAM];
        const ALL: &[Setting] = &[ENDPOINT_DWS, ENDPOINT_CSS, ENDPOINT_IAM];
        match self {
            Serves::Dws => DWS,
            Serves::Css => CSS,
            Serves::All => ALL,
        }
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
    /// Where each override in `endpoints` came from.
    endpoint_origins: EndpointOrigins,
    insecure: bool,
    skip_credentials_validation: bool,
    max_retries: u32,
}

fn env_error(diags: &mut Diagnostics, s: &Setting, why: &str) {
    diags.attribute_error(
        s.path(),
        format!("Invalid {} from the environment", s.label()),
        format!("The environment variable {} {why}.", s.env),
    );
}

/// The endpoint overrides this binary uses, each with where it came from,
/// and each checked when it came from the environment (configured values
/// were checked by the framework).
fn endpoints(
    config: &Value,
    env: Env<'_>,
    serves: Serves,
    diags: &mut Diagnostics,
) -> Result<(Endpoints, EndpointOrigins), Unknown> {
    let block = config.get_attr("endpoints").cloned().unwrap_or(Value::Null);
    let (mut endpoints, mut origins) = (Endpoints::default(), EndpointOrigins::default());
    for s in serves.endpoint_settings() {
        let Some((value, source)) = s.resolve_from(&block, env)? else {
            continue;
        };
        if source == Source::Env
            && let Err(reason) = (EndpointUrl { service: s.name }).validate(&Value::string(&value))
        {
            env_error(diags, s, &reason);
        }
        let (slot, origin) = match s.name {
            "dws" => (&mut endpoints.dws, &mut origins.dws),
            "css" => (&mut endpoints.css, &mut origins.css),
            _ => (&mut endpoints.iam, &mut origins.iam),
        };
        *slot = Some(value);
        *origin = Some(s.origin(source));
    }
    Ok((endpoints, origins))
}

/// A bool setting: the block's bool, else its environment variable
/// (`true`/`1`, `false`/`0`), else false.
fn flag(
    s: &Setting,
    config: &Value,
    env: Env<'_>,
    diags: &mut Diagnostics,
) -> Result<bool, Unknown> {
    match config.get_attr(s.name) {
        Some(v) if v.is_unknown() => Err(Unknown),
        Some(Value::Bool(b)) => Ok(*b),
        _ => Ok(match s.in_env(env).as_deref().map(str::trim) {
            None => false,
            Some(v) if v.eq_ignore_ascii_case("true") || v == "1" => true,
            Some(v) if v.eq_ignore_ascii_case("false") || v == "0" => false,
            Some(_) => {
                env_error(diags, s, "must be true or false");
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
                    let why = format!("must be a whole number from 0 to {MAX_MAX_RETRIES}");
                    env_error(diags, &MAX_RETRIES, &why);
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

/// Merges the provider block with the environment and checks what needs
/// both, for the endpoints `serves` uses. Returns `None` while a deciding
/// value is still unknown (validation before apply), with no diagnostics.
fn settings(
    config: &Value,
    env: Env<'_>,
    serves: Serves,
    diags: &mut Diagnostics,
) -> Option<Settings> {
    let resolve = |s: &Setting| s.resolve(config, env);
    let (endpoints, endpoint_origins) = endpoints(config, env, serves, diags).ok()?;
    let s = Settings {
        region: resolve(&REGION).ok()?,
        access_key: resolve(&ACCESS_KEY).ok()?,
        secret_key: resolve(&SECRET_KEY).ok()?,
        security_token: resolve(&SECURITY_TOKEN).ok()?,
        project_id: resolve(&PROJECT_ID).ok()?,
        cloud: resolve(&CLOUD)
            .ok()?
            .unwrap_or_else(|| hwsnap_cloud::endpoint::DEFAULT_CLOUD.to_string()),
        endpoints,
        endpoint_origins,
        insecure: flag(&INSECURE, config, env, diags).ok()?,
        skip_credentials_validation: flag(&SKIP_CREDENTIALS_VALIDATION, config, env, diags).ok()?,
        max_retries: max_retries(config, env, diags).ok()?,
    };
    if let Some((region, Source::Env)) = REGION.resolve_from(config, env).ok()?
        && let Err(reason) = region_pattern().validate(&Value::string(&region))
    {
        env_error(diags, &REGION, &reason);
    }
    check_credentials(&s, diags);
    Some(s)
}

/// The one diagnostic for a failed credential check at configure.
fn credentials_diagnostic(err: &CloudError) -> Diagnostic {
    let offline = format!(
        "To plan without reaching the cloud, set {} = true (or {}=true).",
        SKIP_CREDENTIALS_VALIDATION.name, SKIP_CREDENTIALS_VALIDATION.env
    );
    match err {
        CloudError::Auth { status: 403, .. } => {
            Diagnostic::error("Credentials not permitted", format!("{err}."))
        }
        CloudError::Auth { .. } => Diagnostic::error("Invalid credentials", format!("{err}.")),
        CloudError::KeyLocked { .. } => Diagnostic::error("Access key locked", format!("{err}.")),
        CloudError::Config { field, reason } if field == REGION.name => {
            Diagnostic::error("Invalid region", format!("{reason}.")).at(REGION.path())
        }
        _ => Diagnostic::error(
            "Cannot check the credentials",
            format!(
                "The provider checks the credentials when it is configured, and could not: {err}. {offline}"
            ),
        ),
    }
}

/// Checks the credentials with one signed IAM call (which also fills the
/// cached project id when none is configured); `false` after pushing the
/// diagnostic.
async fn credentials_work(client: &Client, diags: &mut Diagnostics) -> bool {
    let deadline = tokio::time::Instant::now() + CREDENTIALS_CHECK_TIMEOUT;
    let scope = Scope::new(CancellationToken::new()).with_deadline(deadline);
    match client.check_credentials(&scope).await {
        Ok(()) => true,
        Err(e) => {
            diags.push(credentials_diagnostic(&e));
            false
        }
    }
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
            .attribute(Attribute::bool(
                SKIP_CREDENTIALS_VALIDATION.name,
                Mode::Optional,
                SKIP_CREDENTIALS_VALIDATION.described("Skip the check of the credentials when the provider is configured (one signed IAM call per configuration), so that a plan with nothing to read makes no request. Default: `false`."),
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
        settings(config, &process_env, self.serves, diags);
    }

    async fn configure(&self, config: &Value, diags: &mut Diagnostics) -> Option<Client> {
        let s = settings(config, &process_env, self.serves, diags)?;
        if diags.has_errors() {
            return None;
        }
        let Some(region) = s.region else {
            diags.attribute_error(
                REGION.path(),
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
                ACCESS_KEY.path(),
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
        cfg.endpoint_origins = s.endpoint_origins;
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
        let region = cfg.region.clone();
        let client = match Client::new(cfg) {
            Ok(client) => client,
            Err(e) => {
                diags.error("Invalid provider configuration", e.to_string());
                return None;
            }
        };
        let checked = !s.skip_credentials_validation;
        if checked && !credentials_work(&client, diags).await {
            return None;
        }
        self.log_configured(&client, &region, checked);
        Some(client)
    }

    fn register(&self, types: &mut Registry<Client>) {
        if self.serves != Serves::Css {
            types.resource(DwsSnapshot);
            types.list_resource(DwsSnapshotList);
            types.data_source(DwsSnapshots);
            types.action(DwsCreateSnapshot);
        }
        if self.serves != Serves::Dws {
            types.resource(CssIndexSnapshot);
            types.list_resource(CssIndexSnapshotList);
            types.data_source(CssIndexSnapshots);
            types.action(CssCreateIndexSnapshot);
            types.action(CssRestoreIndexSnapshot);
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
        resolved_for(Serves::All, config, vars)
    }

    fn resolved_for(
        serves: Serves,
        config: &Value,
        vars: &[(&str, &str)],
    ) -> (Option<Settings>, Diagnostics) {
        let mut diags = Diagnostics::new();
        let s = settings(config, &env(vars), serves, &mut diags);
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
        let actions = |serves| {
            let pages = Server::new(HwsnapProvider::new(serves)).doc_pages();
            pages
                .into_iter()
                .filter_map(|p| p.path.strip_prefix("docs/actions/").map(str::to_owned))
                .collect::<Vec<_>>()
        };
        assert_eq!(actions(Serves::Dws), ["dws_create_snapshot.md"]);
        assert_eq!(
            actions(Serves::Css),
            [
                "css_create_index_snapshot.md",
                "css_restore_index_snapshot.md"
            ]
        );
        assert_eq!(actions(Serves::All).len(), 3);
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
        assert_eq!(
            summaries(&d),
            ["Invalid endpoints.dws from the environment"]
        );
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

    #[test]
    fn an_endpoint_without_a_scheme_is_refused_with_the_fix() {
        let (_, d) = resolved(&block(&[]), &[("HW_IAM_ENDPOINT", "iam.example.com")]);
        assert_eq!(
            summaries(&d),
            ["Invalid endpoints.iam from the environment"]
        );
        let detail = &d.0[0].detail;
        assert!(detail.contains("include https:// or http://"), "{detail}");
        assert!(detail.contains("https://iam.example.com"), "{detail}");
        assert!(
            !detail.contains("dws"),
            "an iam example, not a dws one: {detail}"
        );
    }

    #[test]
    fn each_endpoint_rule_shows_its_own_service() {
        for service in ["dws", "css", "iam"] {
            let rule = EndpointUrl { service }.description();
            assert!(
                rule.contains(&format!("https://{service}.example.com")),
                "{rule}"
            );
            for other in ["dws", "css", "iam"].iter().filter(|o| **o != service) {
                assert!(!rule.contains(other), "{rule}");
            }
        }
    }

    #[test]
    fn each_binary_reads_only_the_endpoints_it_uses() {
        let bad = [("HW_DWS_ENDPOINT", "dws.example.com")];
        let (s, d) = resolved_for(Serves::Css, &block(&[]), &bad);
        assert!(
            d.is_empty(),
            "the css provider never uses HW_DWS_ENDPOINT: {d:?}"
        );
        assert_eq!(s.unwrap().endpoints.dws, None);
        for serves in [Serves::Dws, Serves::All] {
            let (_, d) = resolved_for(serves, &block(&[]), &bad);
            assert_eq!(
                summaries(&d),
                ["Invalid endpoints.dws from the environment"]
            );
        }
        let (_, d) = resolved_for(Serves::Dws, &block(&[]), &[("HW_CSS_ENDPOINT", "x")]);
        assert!(d.is_empty(), "{d:?}");
        let (_, d) = resolved_for(Serves::Css, &block(&[]), &[("HW_IAM_ENDPOINT", "x")]);
        assert_eq!(
            summaries(&d),
            ["Invalid endpoints.iam from the environment"]
        );
    }

    #[test]
    fn endpoint_origins_say_where_each_value_came_from() {
        let mut endpoints = HwsnapProvider::new(Serves::All).schema().block.blocks[0]
            .block
            .null_object();
        endpoints.set_attr("css", Value::string("http://127.0.0.1:1"));
        let config = block(&[("endpoints", endpoints)]);
        let (s, d) = resolved(&config, &[("HW_DWS_ENDPOINT", "http://127.0.0.1:2")]);
        assert!(d.is_empty(), "{d:?}");
        let origins = s.unwrap().endpoint_origins;
        assert_eq!(
            origins.dws.as_deref(),
            Some("the environment variable HW_DWS_ENDPOINT")
        );
        assert_eq!(
            origins.css.as_deref(),
            Some("endpoints.css in the provider block")
        );
        assert_eq!(
            origins.iam, None,
            "the default: the client names region and cloud"
        );
    }

    #[test]
    fn skip_credentials_validation_from_block_or_environment() {
        let (s, _) = resolved(&block(&[]), &[]);
        assert!(!s.unwrap().skip_credentials_validation, "off by default");
        let (s, _) = resolved(&block(&[]), &[("HW_SKIP_CREDENTIALS_VALIDATION", "true")]);
        assert!(s.unwrap().skip_credentials_validation);
        let config = block(&[("skip_credentials_validation", Value::Bool(true))]);
        let (s, _) = resolved(&config, &[("HW_SKIP_CREDENTIALS_VALIDATION", "false")]);
        assert!(s.unwrap().skip_credentials_validation, "the block wins");
        let (_, d) = resolved(&block(&[]), &[("HW_SKIP_CREDENTIALS_VALIDATION", "yes")]);
        assert_eq!(
            summaries(&d),
            ["Invalid skip_credentials_validation from the environment"]
        );
    }

    #[test]
    fn a_failed_check_has_a_clear_summary() {
        let auth = CloudError::Auth {
            operation: "look up the IAM project of region r".into(),
            status: 401,
            code: Some("APIGW.0301".into()),
            message: "Incorrect IAM authentication information".into(),
            request_id: None,
        };
        let d = credentials_diagnostic(&auth);
        assert_eq!(d.summary, "Invalid credentials");
        assert!(
            d.detail.contains("check access_key and secret_key"),
            "{}",
            d.detail
        );
        let locked = CloudError::KeyLocked {
            operation: "look up the IAM project of region r".into(),
            status: 401,
            code: Some("APIGW.0301".into()),
            message: "access key locked".into(),
            request_id: None,
        };
        let d = credentials_diagnostic(&locked);
        assert_eq!(d.summary, "Access key locked");
        assert!(d.detail.contains("about 5 minutes"), "{}", d.detail);
        let gone = CloudError::Unreachable {
            operation: "look up".into(),
            endpoint: "http://127.0.0.1:9".into(),
            origin: "the environment variable HW_IAM_ENDPOINT".into(),
            reason: "connection refused".into(),
            attempts: 6,
            waited: Duration::from_secs(9),
        };
        let d = credentials_diagnostic(&gone);
        assert!(d.detail.contains("HW_IAM_ENDPOINT"), "{}", d.detail);
        assert!(
            d.detail.contains("skip_credentials_validation = true"),
            "{}",
            d.detail
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
            ("skip_credentials_validation", Value::Bool(true)),
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
