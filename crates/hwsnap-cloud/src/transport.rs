//! One signed HTTP exchange ([`Transport::attempt`]) and the same with the
//! retry policy applied ([`Transport::execute`]); creates and actions run
//! `attempt` under their own loops in [`crate::retry`].
//!
//! Every request is signed with `hwsnap_sign::sign` at the current time; the
//! `Authorization` and `X-Security-Token` values are marked sensitive, and
//! logs never carry them, the secret key or the security token.
//!
//! The endpoint is not trusted: redirects are never followed (a 3xx is
//! [`Error::Redirect`]), a successful answer is read up to
//! [`MAX_ANSWER_BYTES`] (a larger `Content-Length` is refused before
//! reading, a longer body is cut off), an error answer only up to its first
//! 64 KiB, and each attempt — connection, request and the whole body — ends
//! within the request timeout or what is left of the scope's deadline,
//! whichever is sooner.

use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use zeroize::Zeroize;

use crate::config::{Config, PerService};
use crate::endpoint::{Service, default_endpoint, parse_endpoint};
use crate::error::{
    CloudError, ERROR_BODY_BYTES, Error, ID_CHARS, OpKind, Operation, body_excerpt, clean_text,
};
use crate::retry::{RetryPolicy, parse_retry_after, verdict, with_retries};
use crate::scope::Scope;

/// The `Content-Type` of JSON request bodies.
pub const JSON_CONTENT_TYPE: &str = "application/json;charset=UTF-8";

/// The largest answer the client reads: 16 MiB. A larger one is
/// [`Error::TooLarge`].
pub const MAX_ANSWER_BYTES: u64 = 16 * 1024 * 1024;

static INSECURE_WARNING: Once = Once::new();

/// A request to make: what it is for, which service, the raw (unencoded)
/// path segments — after `v1.0/{project_id}/` when `in_project` — query
/// pairs and an optional JSON body.
#[derive(Debug)]
pub(crate) struct Call {
    pub op: Operation,
    pub method: Method,
    pub service: Service,
    pub in_project: bool,
    pub segments: Vec<String>,
    pub query: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

impl Call {
    /// A call under `{endpoint}/v1.0/{project_id}/`, the shape of every DWS
    /// and CSS call.
    pub(crate) fn project(service: Service, method: Method, op: Operation, path: &[&str]) -> Call {
        Call {
            in_project: true,
            ..Call::global(service, method, op, path)
        }
    }

    /// A call on `{endpoint}/{path}` (IAM).
    pub(crate) fn global(service: Service, method: Method, op: Operation, path: &[&str]) -> Call {
        Call {
            op,
            method,
            service,
            in_project: false,
            segments: path.iter().map(|s| (*s).to_owned()).collect(),
            query: Vec::new(),
            body: None,
        }
    }

    /// Adds a query pair.
    pub(crate) fn query(mut self, key: &str, value: impl ToString) -> Call {
        self.query.push((key.to_owned(), value.to_string()));
        self
    }

    /// Sets `body` as the JSON body.
    pub(crate) fn json<T: Serialize>(mut self, body: &T) -> Result<Call, Error> {
        let bytes = serde_json::to_vec(body).map_err(|e| Error::Decode {
            operation: self.op.description.clone(),
            reason: format!("cannot encode the request: {e}"),
            request_id: None,
        })?;
        self.body = Some(bytes);
        Ok(self)
    }
}

/// A successful (2xx) answer.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub request_id: Option<String>,
    pub body: Vec<u8>,
}

/// A service's endpoint and the words for where it came from.
struct Endpoint {
    url: Url,
    origin: String,
}

/// The HTTP side of the client: one pooled `reqwest::Client` (redirects
/// off), the credentials, the resolved endpoints and the retry policy.
pub(crate) struct Transport {
    http: reqwest::Client,
    credentials: hwsnap_sign::Credentials,
    endpoints: PerService<Endpoint>,
    request_timeout: Duration,
    pub(crate) policy: RetryPolicy,
}

fn resolve(service: Service, config: &Config) -> Result<Endpoint, Error> {
    let field = format!("endpoints.{}", service.host_prefix());
    match config.endpoints.get(service) {
        Some(s) => Ok(Endpoint {
            url: parse_endpoint(s).map_err(|reason| Error::config(&field, reason))?,
            origin: config
                .endpoint_origins
                .get(service)
                .clone()
                .unwrap_or(field),
        }),
        None => {
            let text = default_endpoint(service, &config.region, &config.cloud);
            Ok(Endpoint {
                url: Url::parse(&text)
                    .map_err(|e| Error::config(&field, format!("{text:?} is not a URL: {e}")))?,
                origin: format!(
                    "region {:?} and cloud {:?} (the default endpoint; set {field} to use another)",
                    config.region, config.cloud
                ),
            })
        }
    }
}

impl Transport {
    pub(crate) fn new(config: &Config) -> Result<Self, Error> {
        if config.region.trim().is_empty()
            && (config.endpoints.dws.is_none()
                || config.endpoints.css.is_none()
                || (config.endpoints.iam.is_none() && config.project_id.is_none()))
        {
            return Err(Error::config(
                "region",
                "a region is required unless every endpoint is given",
            ));
        }
        if config.credentials.access_key.trim().is_empty() {
            return Err(Error::config("access_key", "the access key is empty"));
        }
        if config.credentials.secret_key().expose().is_empty() {
            return Err(Error::config("secret_key", "the secret key is empty"));
        }
        let endpoints = PerService {
            dws: resolve(Service::Dws, config)?,
            css: resolve(Service::Css, config)?,
            iam: resolve(Service::Iam, config)?,
        };
        if config.insecure {
            INSECURE_WARNING.call_once(|| {
                tracing::warn!(
                    "insecure = true: TLS certificates of the cloud endpoints are not verified"
                );
            });
        }
        let http = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .connect_timeout(config.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .tls_danger_accept_invalid_certs(config.insecure)
            .build()
            .map_err(|e| Error::config("tls", format!("cannot build the HTTP client: {e}")))?;
        Ok(Transport {
            http,
            credentials: config.credentials.clone(),
            endpoints,
            request_timeout: config.request_timeout,
            policy: RetryPolicy {
                max_retries: config.max_retries,
                timing: config.retry,
            },
        })
    }

    /// The base URL requests to `service` go to.
    pub(crate) fn endpoint_url(&self, service: Service) -> &str {
        self.endpoints.get(service).url.as_str()
    }

    /// The signed request for `call` (with `project` as the path's project
    /// id for project calls), and its raw path for logs.
    fn build(
        &self,
        call: &Call,
        project: Option<&str>,
    ) -> Result<(reqwest::RequestBuilder, String), Error> {
        let base = &self.endpoints.get(call.service).url;
        let prefix: Vec<&str> = match (call.in_project, project) {
            (true, Some(p)) => vec!["v1.0", p],
            (true, None) => {
                return Err(Error::config("project_id", "no project id is known"));
            }
            (false, _) => Vec::new(),
        };
        let segments: Vec<&str> = prefix
            .into_iter()
            .chain(call.segments.iter().map(String::as_str))
            .collect();
        let raw_path = format!("{}{}", base.path(), segments.join("/"));
        let encoded: Vec<String> = segments
            .iter()
            .map(|s| hwsnap_sign::encode_path_segment(s))
            .collect();
        let mut url = base.clone();
        url.set_path(&format!("{}{}", base.path(), encoded.join("/")));
        if call.query.is_empty() {
            url.set_query(None);
        } else {
            let query: Vec<String> = call
                .query
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}={}",
                        hwsnap_sign::encode_path_segment(k),
                        hwsnap_sign::encode_path_segment(v)
                    )
                })
                .collect();
            url.set_query(Some(&query.join("&")));
        }
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            (None, _) => {
                return Err(Error::config("endpoint", format!("{url} has no host")));
            }
        };
        let body = call.body.as_deref().unwrap_or_default();
        let mut unsigned: Vec<(String, String)> = Vec::new();
        if call.body.is_some() {
            unsigned.push(("Content-Type".to_owned(), JSON_CONTENT_TYPE.to_owned()));
        }
        let signed = hwsnap_sign::sign(
            &hwsnap_sign::Request {
                method: call.method.as_str(),
                host: &host,
                path: &raw_path,
                query: &call.query,
                headers: &unsigned,
                body,
            },
            &self.credentials,
            time::OffsetDateTime::now_utc(),
        );
        let mut headers = HeaderMap::new();
        if call.body.is_some() {
            headers.insert(
                reqwest::header::CONTENT_TYPE,
                HeaderValue::from_static(JSON_CONTENT_TYPE),
            );
        }
        for (name, mut text) in signed {
            let sensitive = name.eq_ignore_ascii_case("authorization")
                || name.eq_ignore_ascii_case("x-security-token");
            let parsed = HeaderValue::from_str(&text);
            // The token's copy is not left behind in freed memory.
            text.zeroize();
            let mut value = parsed.map_err(|_| {
                Error::config(
                    if name.eq_ignore_ascii_case("x-security-token") {
                        "security_token"
                    } else {
                        "access_key"
                    },
                    "contains characters that cannot be sent in an HTTP header",
                )
            })?;
            value.set_sensitive(sensitive);
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| Error::config("headers", e.to_string()))?;
            headers.insert(name, value);
        }
        let mut request = self.http.request(call.method.clone(), url).headers(headers);
        if let Some(bytes) = &call.body {
            request = request.body(bytes.clone());
        }
        Ok((request, raw_path))
    }

    /// One attempt: sign, send, read the answer, classify failures. Bounded
    /// by the request timeout and the scope's deadline, cancelled by its
    /// token.
    pub(crate) async fn attempt(
        &self,
        call: &Call,
        project: Option<&str>,
        scope: &Scope,
    ) -> Result<Reply, Error> {
        let budget = scope
            .remaining()
            .map_or(self.request_timeout, |left| left.min(self.request_timeout));
        let (request, raw_path) = self.build(call, project)?;
        tokio::select! {
            biased;
            () = scope.cancel().cancelled() => Err(Error::Cancelled),
            out = tokio::time::timeout(budget, self.exchange(request, call, &raw_path)) => match out {
                Ok(result) => result,
                Err(_elapsed) => {
                    tracing::debug!(
                        method = %call.method,
                        path = %raw_path,
                        duration_ms = u64::try_from(budget.as_millis()).unwrap_or(u64::MAX),
                        "cloud request got no answer in time"
                    );
                    Err(Error::Timeout {
                        operation: call.op.description.clone(),
                    })
                }
            },
        }
    }

    /// Sends the request and reads the answer within the caps.
    async fn exchange(
        &self,
        request: reqwest::RequestBuilder,
        call: &Call,
        raw_path: &str,
    ) -> Result<Reply, Error> {
        let op = &call.op;
        let endpoint = self.endpoints.get(call.service);
        let started = Instant::now();
        let elapsed_ms = || u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let mut response = match request.send().await {
            Ok(response) => response,
            Err(e) => {
                let err = transport_error(op, endpoint, &e);
                tracing::debug!(
                    method = %call.method,
                    path = %raw_path,
                    duration_ms = elapsed_ms(),
                    error = %err,
                    "cloud request failed"
                );
                return Err(err);
            }
        };
        let status = response.status().as_u16();
        let headers = response.headers();
        let request_id = ["x-request-id", "x-sdk-request-id", "x-openstack-request-id"]
            .iter()
            .find_map(|name| headers.get(*name))
            .and_then(|v| v.to_str().ok())
            .map(|v| clean_text(v, ID_CHARS))
            .filter(|v| !v.is_empty());
        tracing::debug!(
            method = %call.method,
            path = %raw_path,
            status,
            duration_ms = elapsed_ms(),
            request_id = request_id.as_deref().unwrap_or("-"),
            "cloud request"
        );
        if (300..400).contains(&status) {
            let location = headers
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| endpoint.url.join(v).ok())
                .and_then(|u| u.host_str().map(|h| clean_text(h, 253)));
            return Err(Error::Redirect {
                operation: op.description.clone(),
                status,
                location,
                origin: endpoint.origin.clone(),
            });
        }
        if !(200..300).contains(&status) {
            let retry_after = headers
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, time::OffsetDateTime::now_utc()));
            // Only the head of an error answer is read; a broken connection
            // after the status still leaves the status to report.
            let body = read_body(&mut response, ERROR_BODY_BYTES as u64)
                .await
                .unwrap_or_else(|partial| partial);
            return Err(CloudError::parse(status, request_id, retry_after, &body).classify(op));
        }
        let too_large = |length| Error::TooLarge {
            operation: op.description.clone(),
            limit: MAX_ANSWER_BYTES,
            length,
            request_id: request_id.clone(),
        };
        if let Some(length) = response.content_length().filter(|n| *n > MAX_ANSWER_BYTES) {
            return Err(too_large(Some(length)));
        }
        match read_body(&mut response, MAX_ANSWER_BYTES + 1).await {
            Ok(body) if body.len() as u64 > MAX_ANSWER_BYTES => Err(too_large(None)),
            Ok(body) => Ok(Reply { request_id, body }),
            Err(_) => Err(Error::Transport {
                operation: op.description.clone(),
                reason: "the connection broke while the answer was being read".to_owned(),
                // The request reached the cloud: whatever it did has been done.
                ambiguous: true,
            }),
        }
    }

    /// [`Transport::attempt`] under the retry policy. A delete whose earlier
    /// attempt may have worked treats a later "not found" as done.
    pub(crate) async fn execute(
        &self,
        call: &Call,
        project: Option<&str>,
        scope: &Scope,
    ) -> Result<Reply, Error> {
        let earlier_ambiguous = AtomicBool::new(false);
        let flag = &earlier_ambiguous;
        with_retries(&self.policy, scope, &call.op.description, |_| async move {
            match self.attempt(call, project, scope).await {
                Err(Error::NotFound { request_id, .. })
                    if call.op.kind == OpKind::Delete && flag.load(Ordering::Relaxed) =>
                {
                    Ok(Reply {
                        request_id,
                        body: Vec::new(),
                    })
                }
                Err(err) => {
                    flag.fetch_or(verdict(&err).ambiguous, Ordering::Relaxed);
                    Err(err)
                }
                ok => ok,
            }
        })
        .await
    }
}

/// Reads the body in chunks, stopping once `limit` bytes are in (the rest
/// is never read); the error carries what was read before the connection
/// broke.
async fn read_body(response: &mut reqwest::Response, limit: u64) -> Result<Vec<u8>, Vec<u8>> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    // An announced length (already checked against the cap) sizes the
    // buffer once; only a body without one grows as it comes.
    let announced = response
        .content_length()
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(0);
    let mut body = Vec::with_capacity(announced.min(limit));
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = limit - body.len();
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if body.len() >= limit {
                    return Ok(body);
                }
            }
            Ok(None) => return Ok(body),
            Err(_) => return Err(body),
        }
    }
}

/// Decodes a JSON answer, or a [`Error::Decode`] naming the operation.
pub(crate) fn decode<T: DeserializeOwned>(op: &Operation, reply: &Reply) -> Result<T, Error> {
    serde_json::from_slice(&reply.body).map_err(|e| Error::Decode {
        operation: op.description.clone(),
        reason: match body_excerpt(&reply.body) {
            Some(excerpt) => format!("{e}; the answer began {excerpt:?}"),
            None => format!("{e}; the answer was empty"),
        },
        request_id: reply.request_id.clone(),
    })
}

/// The rustls certificate error behind a failed connection, if that is
/// what it was. The TLS stream wraps it in `io::Error`s (possibly nested),
/// whose `source()` skips the wrapped error, so each layer is peeled.
fn certificate_problem(e: &reqwest::Error) -> Option<&rustls::Error> {
    fn peel<'a>(mut err: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
        loop {
            if let Some(tls) = err.downcast_ref::<rustls::Error>() {
                return matches!(
                    tls,
                    rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
                )
                .then_some(tls);
            }
            let inner = err.downcast_ref::<std::io::Error>()?.get_ref()?;
            err = inner;
        }
    }
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        if let Some(tls) = peel(inner) {
            return Some(tls);
        }
        source = inner.source();
    }
    None
}

fn transport_error(op: &Operation, endpoint: &Endpoint, e: &reqwest::Error) -> Error {
    // reqwest's own text names the full URL; the causes say what happened.
    let mut reason = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        let text = inner.to_string();
        if !reason.contains(&text) {
            if !reason.is_empty() {
                reason.push_str(": ");
            }
            reason.push_str(&text);
        }
        source = inner.source();
    }
    if reason.is_empty() {
        reason = e.to_string();
    }
    let reason = clean_text(&reason, 300);
    if let Some(problem) = certificate_problem(e) {
        return Error::Certificate {
            operation: op.description.clone(),
            reason: problem.to_string(),
        };
    }
    if e.is_connect() {
        // The request never left: no connection was made.
        return Error::Unreachable {
            operation: op.description.clone(),
            endpoint: endpoint.url.origin().ascii_serialization(),
            origin: endpoint.origin.clone(),
            reason,
            attempts: 1,
            waited: Duration::ZERO,
        };
    }
    Error::Transport {
        operation: op.description.clone(),
        reason,
        ambiguous: true,
    }
}

#[cfg(test)]
mod tests {
    use tokio_util::sync::CancellationToken;

    use super::*;

    fn config() -> Config {
        Config::new("ap-southeast-1", hwsnap_sign::Credentials::new("AK", "SK"))
    }

    fn list_call() -> Call {
        Call::global(
            Service::Dws,
            Method::GET,
            Operation::new(
                OpKind::List,
                "list DWS snapshots".to_owned(),
                "x".to_owned(),
            ),
            &["v1.0", "p", "snapshots"],
        )
    }

    #[test]
    fn endpoints_resolve_to_defaults_or_overrides() -> Result<(), Error> {
        let mut c = config();
        c.endpoints.css = Some("https://127.0.0.1:9000/prefix".to_owned());
        c.endpoint_origins.css = Some("endpoints.css / HW_CSS_ENDPOINT".to_owned());
        let t = Transport::new(&c)?;
        assert_eq!(
            t.endpoints.dws.url.as_str(),
            "https://dws.ap-southeast-1.myhuaweicloud.com/"
        );
        assert_eq!(
            t.endpoints.dws.origin,
            "region \"ap-southeast-1\" and cloud \"myhuaweicloud.com\" (the default endpoint; set endpoints.dws to use another)"
        );
        assert_eq!(
            t.endpoints.css.url.as_str(),
            "https://127.0.0.1:9000/prefix/"
        );
        assert_eq!(t.endpoints.css.origin, "endpoints.css / HW_CSS_ENDPOINT");
        assert_eq!(
            t.endpoints.iam.url.as_str(),
            "https://iam.ap-southeast-1.myhuaweicloud.com/"
        );
        Ok(())
    }

    #[test]
    fn bad_override_is_a_config_error() {
        let mut c = config();
        c.endpoints.dws = Some("   ".to_owned());
        assert!(matches!(
            Transport::new(&c),
            Err(Error::Config { ref field, .. }) if field == "endpoints.dws"
        ));
        c.endpoints.dws = Some("dws.example.com".to_owned());
        let err = Transport::new(&c).err();
        assert!(
            matches!(err, Some(Error::Config { ref field, ref reason }) if field == "endpoints.dws" && reason.contains("include https:// or http://")),
            "{err:?}"
        );
    }

    #[test]
    fn empty_credentials_are_config_errors() {
        let c = Config::new("r", hwsnap_sign::Credentials::new("", "SK"));
        assert!(
            matches!(Transport::new(&c), Err(Error::Config { ref field, .. }) if field == "access_key")
        );
        let c = Config::new("r", hwsnap_sign::Credentials::new("AK", ""));
        assert!(
            matches!(Transport::new(&c), Err(Error::Config { ref field, .. }) if field == "secret_key")
        );
    }

    #[test]
    fn a_token_that_cannot_be_a_header_is_refused_without_showing_it() -> Result<(), Error> {
        let c = Config::new(
            "r",
            hwsnap_sign::Credentials::new("AK", "SK").with_security_token("tok\nen-secret"),
        );
        let t = Transport::new(&c)?;
        let err = t.build(&list_call(), None).err();
        assert!(
            matches!(err, Some(Error::Config { ref field, .. }) if field == "security_token"),
            "{err:?}"
        );
        assert!(!format!("{err:?}").contains("en-secret"));
        Ok(())
    }

    #[test]
    fn signing_headers_are_marked_sensitive() -> Result<(), Box<dyn std::error::Error>> {
        let c = Config::new(
            "ap-southeast-1",
            hwsnap_sign::Credentials::new("AK", "SK").with_security_token("TOKEN"),
        );
        let t = Transport::new(&c)?;
        let (builder, _) = t.build(&list_call(), None)?;
        let request = builder.build()?;
        let headers = request.headers();
        for name in ["authorization", "x-security-token"] {
            let value = headers.get(name).ok_or(name)?;
            assert!(value.is_sensitive(), "{name}");
        }
        let date = headers.get("x-sdk-date").ok_or("x-sdk-date")?;
        assert!(!date.is_sensitive());
        // Debug output of the request does not show them either.
        let shown = format!("{request:?} {headers:?}");
        assert!(
            !shown.contains("TOKEN") && !shown.contains("Signature="),
            "{shown}"
        );
        Ok(())
    }

    #[test]
    fn decode_error_names_operation_and_excerpt() {
        let op = Operation::new(
            OpKind::Read,
            "show DWS snapshot x".to_owned(),
            "x".to_owned(),
        );
        let reply = Reply {
            request_id: Some("r".to_owned()),
            body: b"<html>oops</html>".to_vec(),
        };
        let err = decode::<serde_json::Value>(&op, &reply).err();
        let text = err.as_ref().map(ToString::to_string).unwrap_or_default();
        assert!(text.starts_with("show DWS snapshot x failed"), "{text}");
        assert!(text.contains("oops"), "{text}");
        assert!(text.contains("request id r"), "{text}");
    }

    #[tokio::test]
    async fn refused_connection_is_unreachable_naming_the_origin() -> Result<(), Error> {
        // Bind then drop a listener so the port is very likely closed.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or(9);
        let mut c = config();
        c.endpoints.dws = Some(format!("http://127.0.0.1:{port}"));
        c.endpoint_origins.dws = Some("endpoints.dws / HW_DWS_ENDPOINT".to_owned());
        let t = Transport::new(&c)?;
        let err = t
            .attempt(&list_call(), None, &Scope::new(CancellationToken::new()))
            .await
            .err();
        assert!(
            matches!(err, Some(Error::Unreachable { ref origin, .. }) if origin == "endpoints.dws / HW_DWS_ENDPOINT"),
            "{err:?}"
        );
        assert!(!verdict(err.as_ref().ok_or(Error::Cancelled)?).ambiguous);
        Ok(())
    }
}
