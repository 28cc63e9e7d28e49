//! One signed HTTP exchange ([`Transport::attempt`]) and the same with the
//! retry policy applied ([`Transport::execute`]). Every request is signed with
//! `hwsnap_sign::sign` at the current time; logs never carry the
//! `Authorization` header, the secret key or the security token.

use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::scope::Scope;
use reqwest::{Method, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::config::Config;
use crate::endpoint::{Service, default_endpoint, parse_endpoint};
use crate::error::{CloudError, Error, OpKind, Operation};
use crate::retry::{
    Created, Existing, RetryPolicy, create_with_adoption, parse_retry_after, verdict, with_retries,
};

/// The `Content-Type` of JSON request bodies.
pub const JSON_CONTENT_TYPE: &str = "application/json;charset=UTF-8";

static INSECURE_WARNING: Once = Once::new();

/// A request to make: which service, the raw (unencoded) path segments after
/// the endpoint, query pairs and an optional JSON body.
#[derive(Debug)]
pub(crate) struct Call<'a> {
    pub op: &'a Operation,
    pub method: Method,
    pub service: Service,
    pub segments: Vec<&'a str>,
    pub query: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

/// A successful (2xx) answer.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub request_id: Option<String>,
    pub body: Vec<u8>,
}

/// The HTTP side of the client: one pooled `reqwest::Client`, the
/// credentials, the resolved endpoints and the retry policy.
pub(crate) struct Transport {
    http: reqwest::Client,
    credentials: hwsnap_sign::Credentials,
    dws: Url,
    css: Url,
    iam: Url,
    pub policy: RetryPolicy,
}

fn resolve(service: Service, overridden: Option<&String>, config: &Config) -> Result<Url, Error> {
    let field = format!("endpoints.{}", service.host_prefix());
    match overridden {
        Some(s) => parse_endpoint(s).map_err(|reason| Error::config(&field, reason)),
        None => {
            let text = default_endpoint(service, &config.region, &config.cloud);
            Url::parse(&text)
                .map_err(|e| Error::config(&field, format!("{text:?} is not a URL: {e}")))
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
        let dws = resolve(Service::Dws, config.endpoints.dws.as_ref(), config)?;
        let css = resolve(Service::Css, config.endpoints.css.as_ref(), config)?;
        let iam = resolve(Service::Iam, config.endpoints.iam.as_ref(), config)?;
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
            .timeout(config.request_timeout)
            .tls_danger_accept_invalid_certs(config.insecure)
            .build()
            .map_err(|e| Error::config("tls", format!("cannot build the HTTP client: {e}")))?;
        Ok(Transport {
            http,
            credentials: config.credentials.clone(),
            dws,
            css,
            iam,
            policy: RetryPolicy {
                max_retries: config.max_retries,
                timing: config.retry,
            },
        })
    }

    fn base(&self, service: Service) -> &Url {
        match service {
            Service::Dws => &self.dws,
            Service::Css => &self.css,
            Service::Iam => &self.iam,
        }
    }

    /// One attempt: sign, send, read the whole answer, classify failures.
    pub(crate) async fn attempt(&self, call: &Call<'_>, scope: &Scope) -> Result<Reply, Error> {
        tokio::select! {
            biased;
            () = scope.cancel().cancelled() => Err(Error::Cancelled),
            out = self.attempt_uncancelled(call) => out,
        }
    }

    async fn attempt_uncancelled(&self, call: &Call<'_>) -> Result<Reply, Error> {
        let op = call.op;
        let base = self.base(call.service);
        let raw_path = format!("{}{}", base.path(), call.segments.join("/"));
        let encoded: Vec<String> = call
            .segments
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
        let mut headers: Vec<(String, String)> = Vec::new();
        if call.body.is_some() {
            headers.push(("Content-Type".to_owned(), JSON_CONTENT_TYPE.to_owned()));
        }
        let signed = hwsnap_sign::sign(
            &hwsnap_sign::Request {
                method: call.method.as_str(),
                host: &host,
                path: &raw_path,
                query: &call.query,
                headers: &headers,
                body,
            },
            &self.credentials,
            time::OffsetDateTime::now_utc(),
        );
        let mut request = self.http.request(call.method.clone(), url);
        for (name, value) in headers.iter() {
            request = request.header(name.as_str(), value.as_str());
        }
        for (name, value) in signed {
            request = request.header(name, value);
        }
        if let Some(bytes) = &call.body {
            request = request.body(bytes.clone());
        }

        let started = Instant::now();
        let outcome = self.exchange(request, op).await;
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match &outcome {
            Ok((status, request_id, _, _)) => tracing::debug!(
                method = %call.method,
                path = %raw_path,
                status = *status,
                duration_ms = elapsed_ms,
                request_id = request_id.as_deref().unwrap_or("-"),
                "cloud request"
            ),
            Err(err) => tracing::debug!(
                method = %call.method,
                path = %raw_path,
                duration_ms = elapsed_ms,
                error = %err,
                "cloud request failed"
            ),
        }
        let (status, request_id, retry_after, body) = outcome?;
        if (200..300).contains(&status) {
            Ok(Reply { request_id, body })
        } else {
            Err(CloudError::parse(status, request_id, retry_after, &body).classify(op))
        }
    }

    #[allow(clippy::type_complexity)]
    async fn exchange(
        &self,
        request: reqwest::RequestBuilder,
        op: &Operation,
    ) -> Result<(u16, Option<String>, Option<Duration>, Vec<u8>), Error> {
        let response = request.send().await.map_err(|e| transport_error(op, &e))?;
        let status = response.status().as_u16();
        let headers = response.headers();
        let request_id = ["x-request-id", "x-sdk-request-id", "x-openstack-request-id"]
            .iter()
            .find_map(|name| headers.get(*name))
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let retry_after = headers
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, time::OffsetDateTime::now_utc()));
        let body = response.bytes().await.map_err(|e| {
            // The request reached the cloud: whatever it did has been done.
            let mut err = transport_error(op, &e);
            if let Error::Transport { ambiguous, .. } = &mut err {
                *ambiguous = true;
            }
            err
        })?;
        Ok((status, request_id, retry_after, body.to_vec()))
    }

    /// [`Transport::attempt`] under the retry policy. A delete whose earlier
    /// attempt may have worked treats a later "not found" as done.
    pub(crate) async fn execute(&self, call: &Call<'_>, scope: &Scope) -> Result<Reply, Error> {
        let earlier_ambiguous = AtomicBool::new(false);
        let flag = &earlier_ambiguous;
        with_retries(&self.policy, scope, |_| async move {
            match self.attempt(call, scope).await {
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

    /// [`Transport::execute`] and decode the JSON answer.
    pub(crate) async fn execute_json<T: DeserializeOwned>(
        &self,
        call: &Call<'_>,
        scope: &Scope,
    ) -> Result<T, Error> {
        let reply = self.execute(call, scope).await?;
        decode(call.op, &reply)
    }

    /// Sends a create `call`, which is never blindly repeated: after an
    /// ambiguous failure `lookup` finds out whether the cloud made the
    /// snapshot anyway (see [`create_with_adoption`]). `id_of` takes the new
    /// ID out of the decoded answer.
    pub(crate) async fn create<E, L, LF>(
        &self,
        call: &Call<'_>,
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
        create_with_adoption(
            &self.policy,
            scope,
            &call.op.description,
            description,
            |_| async move {
                let reply = self.attempt(call, scope).await?;
                Ok(id_of(decode(call.op, &reply)?))
            },
            lookup,
        )
        .await
    }
}

/// `body` as the JSON of `op`'s request.
pub(crate) fn encode<T: Serialize>(op: &Operation, body: &T) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(body).map_err(|e| Error::Decode {
        operation: op.description.clone(),
        reason: format!("cannot encode the request: {e}"),
        request_id: None,
    })
}

/// Decodes a JSON answer, or a [`Error::Decode`] naming the operation.
pub(crate) fn decode<T: DeserializeOwned>(op: &Operation, reply: &Reply) -> Result<T, Error> {
    serde_json::from_slice(&reply.body).map_err(|e| Error::Decode {
        operation: op.description.clone(),
        reason: match crate::error::body_excerpt(&reply.body) {
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

fn transport_error(op: &Operation, e: &reqwest::Error) -> Error {
    let mut reason = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        let text = inner.to_string();
        if !reason.contains(&text) {
            reason.push_str(": ");
            reason.push_str(&text);
        }
        source = inner.source();
    }
    if let Some(problem) = certificate_problem(e) {
        return Error::Certificate {
            operation: op.description.clone(),
            reason: problem.to_string(),
        };
    }
    if e.is_timeout() && !e.is_connect() {
        return Error::Timeout {
            operation: op.description.clone(),
        };
    }
    Error::Transport {
        operation: op.description.clone(),
        reason,
        // A refused or failed connection never carried the request.
        ambiguous: !e.is_connect(),
    }
}

#[cfg(test)]
mod tests {
    use tokio_util::sync::CancellationToken;

    use super::*;

    fn config() -> Config {
        Config::new("ap-southeast-1", hwsnap_sign::Credentials::new("AK", "SK"))
    }

    #[test]
    fn endpoints_resolve_to_defaults_or_overrides() -> Result<(), Error> {
        let mut c = config();
        c.endpoints.css = Some("127.0.0.1:9000/prefix".to_owned());
        let t = Transport::new(&c)?;
        assert_eq!(
            t.dws.as_str(),
            "https://dws.ap-southeast-1.myhuaweicloud.com/"
        );
        assert_eq!(t.css.as_str(), "https://127.0.0.1:9000/prefix/");
        assert_eq!(
            t.iam.as_str(),
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
        assert_eq!(err.as_ref().and_then(Error::request_id), Some("r"));
    }

    #[tokio::test]
    async fn refused_connection_is_unambiguous_transport_error() -> Result<(), Error> {
        // Bind then drop a listener so the port is very likely closed.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or(9);
        let mut c = config();
        c.endpoints.dws = Some(format!("http://127.0.0.1:{port}"));
        let t = Transport::new(&c)?;
        let op = Operation::new(
            OpKind::List,
            "list DWS snapshots".to_owned(),
            "x".to_owned(),
        );
        let call = Call {
            op: &op,
            method: Method::GET,
            service: Service::Dws,
            segments: vec!["v1.0", "p", "snapshots"],
            query: Vec::new(),
            body: None,
        };
        let err = t
            .attempt(&call, &Scope::new(CancellationToken::new()))
            .await
            .err();
        assert!(
            matches!(
                err,
                Some(Error::Transport {
                    ambiguous: false,
                    ..
                })
            ),
            "{err:?}"
        );
        Ok(())
    }
}
