//! The client's one error type, [`Error`], and the reading of the cloud's
//! error answers (DWS `error_code`/`error_msg`, CSS `errCode`/`externalMessage`,
//! API gateway `APIGW.xxxx`, and non-JSON bodies such as HTML 5xx pages).

use std::time::Duration;

use thiserror::Error as ThisError;

/// Everything a call can fail with. Match on the variant; the `Display` text
/// names the operation, the cloud's code and message, the request id and
/// what to do about it. No variant ever carries a secret.
#[derive(Debug, Clone, PartialEq, ThisError)]
pub enum Error {
    /// The snapshot (or the cluster it lives on) does not exist.
    #[error("{what} was not found{}", detail(None, .code, "", .request_id))]
    NotFound {
        what: String,
        code: Option<String>,
        request_id: Option<String>,
    },
    /// The cloud refused the credentials or their permissions. Never retried:
    /// repeated signature failures lock the access key.
    #[error("{operation} failed: {}{}: {}", auth_head(*.status), detail(Some(*.status), .code, .message, .request_id), auth_hint(*.status))]
    Auth {
        operation: String,
        status: u16,
        code: Option<String>,
        message: String,
        request_id: Option<String>,
    },
    /// Throttled (HTTP 429 or `APIGW.0308`) and retries ran out.
    #[error("{operation} failed: the cloud throttled the request{}: retries are exhausted; try again later or lower -parallelism", detail(Some(*.status), .code, .message, .request_id))]
    Throttled {
        operation: String,
        status: u16,
        code: Option<String>,
        message: String,
        retry_after: Option<Duration>,
        request_id: Option<String>,
    },
    /// The cluster is busy with another operation (`DWS.7023`, `CSS.0011`)
    /// and retries ran out.
    #[error("{operation} failed: the cluster is busy with another operation{}: wait for it to finish and try again", detail(Some(*.status), .code, .message, .request_id))]
    Busy {
        operation: String,
        status: u16,
        code: Option<String>,
        message: String,
        request_id: Option<String>,
    },
    /// Any other error answer from the cloud.
    #[error("{operation} failed{}", detail(Some(*.status), .code, .message, .request_id))]
    Api {
        status: u16,
        code: Option<String>,
        message: String,
        request_id: Option<String>,
        operation: String,
    },
    /// A create was refused because the name is taken on that cluster by a
    /// snapshot that is not the one this call asked for.
    #[error("{operation} failed: a snapshot with that name already exists on the cluster (id {existing_id}) with a different description ({}): import it or choose another name", describe_descriptions(.existing_description, .wanted_description))]
    AlreadyExists {
        operation: String,
        existing_id: String,
        existing_description: Option<String>,
        wanted_description: Option<String>,
    },
    /// The request could not be sent or its answer was lost. `ambiguous`
    /// means the request may have reached the cloud and taken effect.
    #[error("{operation} failed: could not talk to the cloud: {reason}{}: check the endpoint, the network and any proxy", if *.ambiguous { " (the request may have taken effect)" } else { "" })]
    Transport {
        operation: String,
        reason: String,
        ambiguous: bool,
    },
    /// The endpoint's TLS certificate was refused. Never retried: it will
    /// not change by itself, and the request was never sent.
    #[error(
        "{operation} failed: the endpoint's TLS certificate was refused ({reason}): check the endpoint URL and the machine's CA certificates; set insecure = true only for test endpoints"
    )]
    Certificate { operation: String, reason: String },
    /// The cloud answered, but not in the expected shape.
    #[error("{operation} failed: the cloud's answer could not be read: {reason}{}", detail(None, &None, "", .request_id))]
    Decode {
        operation: String,
        reason: String,
        request_id: Option<String>,
    },
    /// No answer within the configured request timeout (the request may
    /// have taken effect).
    #[error(
        "{operation} failed: no answer within the request timeout (the request may have taken effect): check the network or raise the timeout"
    )]
    Timeout { operation: String },
    /// The caller's cancellation token fired.
    #[error("the operation was cancelled")]
    Cancelled,
    /// The client configuration is invalid.
    #[error("invalid configuration `{field}`: {reason}")]
    Config { field: String, reason: String },
}

impl Error {
    /// True for [`Error::NotFound`].
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }

    /// True when the cloud says the cluster itself does not exist (or is
    /// not visible to these credentials), as opposed to one snapshot.
    pub fn is_cluster_not_found(&self) -> bool {
        self.code().is_some_and(|c| CLUSTER_GONE_CODES.contains(&c))
    }

    /// The cloud's request id, when the failure came with one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::NotFound { request_id, .. }
            | Error::Auth { request_id, .. }
            | Error::Throttled { request_id, .. }
            | Error::Busy { request_id, .. }
            | Error::Api { request_id, .. }
            | Error::Decode { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// The cloud's error code (`DWS.5149`, `CSS.0015`, `APIGW.0301`, …).
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::NotFound { code, .. }
            | Error::Auth { code, .. }
            | Error::Throttled { code, .. }
            | Error::Busy { code, .. }
            | Error::Api { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    pub(crate) fn config(field: &str, reason: impl Into<String>) -> Self {
        Error::Config {
            field: field.to_owned(),
            reason: reason.into(),
        }
    }
}

fn detail(
    status: Option<u16>,
    code: &Option<String>,
    message: &str,
    request_id: &Option<String>,
) -> String {
    let mut parts = Vec::new();
    if let Some(status) = status {
        parts.push(format!("HTTP {status}"));
    }
    match (code.as_deref(), message.is_empty()) {
        (Some(code), false) => parts.push(format!("{code}: {message}")),
        (Some(code), true) => parts.push(code.to_owned()),
        (None, false) => parts.push(message.to_owned()),
        (None, true) => {}
    }
    if let Some(id) = request_id {
        parts.push(format!("request id {id}"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

fn auth_head(status: u16) -> &'static str {
    if status == 403 {
        "access was denied"
    } else {
        "the signature was refused"
    }
}

fn auth_hint(status: u16) -> &'static str {
    if status == 403 {
        "check that the IAM user behind access_key has permission for this service in this project"
    } else {
        "check access_key and secret_key (and security_token for temporary credentials) and that the system clock is correct"
    }
}

fn describe_descriptions(existing: &Option<String>, wanted: &Option<String>) -> String {
    format!(
        "{:?} on the cloud, {:?} wanted",
        existing.as_deref().unwrap_or(""),
        wanted.as_deref().unwrap_or("")
    )
}

/// Which kind of call failed: some codes mean "not found" only for reads and
/// deletes (`DWS.0001`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpKind {
    Create,
    Read,
    List,
    Delete,
}

/// What a call is doing, in words, for errors and logs.
#[derive(Debug, Clone)]
pub(crate) struct Operation {
    /// e.g. `create DWS snapshot "nightly" on cluster 44b2…`.
    pub description: String,
    /// What "not found" refers to, e.g. `DWS snapshot 5e1c…`.
    pub target: String,
    pub kind: OpKind,
}

impl Operation {
    pub(crate) fn new(kind: OpKind, description: String, target: String) -> Self {
        Operation {
            description,
            target,
            kind,
        }
    }
}

/// An error answer as read off the wire, before classification.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CloudError {
    pub status: u16,
    pub code: Option<String>,
    pub message: String,
    pub request_id: Option<String>,
    pub retry_after: Option<Duration>,
}

const BUSY_CODES: &[&str] = &["DWS.7023", "CSS.0011"];
/// Codes that say the cluster (not just the snapshot) is missing or hidden.
const CLUSTER_GONE_CODES: &[&str] = &["DWS.0047", "DWS.0015", "CSS.0015"];
/// Codes that say the snapshot is missing (besides the cluster-gone ones).
const SNAPSHOT_GONE_CODES: &[&str] = &["DWS.5149"];
const THROTTLE_CODES: &[&str] = &["APIGW.0308"];

impl CloudError {
    /// Reads an error answer: status, request id header (if any), body.
    pub(crate) fn parse(
        status: u16,
        header_request_id: Option<String>,
        retry_after: Option<Duration>,
        body: &[u8],
    ) -> Self {
        let parsed = parse_error_body(body);
        let message = match parsed.message {
            Some(m) if !m.is_empty() => m,
            _ if parsed.json => String::new(),
            _ => body_excerpt(body).unwrap_or_else(|| reason_phrase(status).to_owned()),
        };
        CloudError {
            status,
            code: parsed.code,
            message,
            request_id: header_request_id.or(parsed.request_id),
            retry_after,
        }
    }

    /// Turns the answer into the matching [`Error`] variant for `op`.
    pub(crate) fn classify(self, op: &Operation) -> Error {
        let code = self.code.as_deref().unwrap_or("");
        let gateway = code.starts_with("APIGW.");
        let not_found = SNAPSHOT_GONE_CODES.contains(&code)
            || CLUSTER_GONE_CODES.contains(&code)
            || (code == "DWS.0001" && matches!(op.kind, OpKind::Read | OpKind::Delete))
            || (self.status == 404 && !gateway);
        if not_found {
            return Error::NotFound {
                what: op.target.clone(),
                code: self.code,
                request_id: self.request_id,
            };
        }
        let operation = op.description.clone();
        if self.status == 429 || THROTTLE_CODES.contains(&code) {
            return Error::Throttled {
                operation,
                status: self.status,
                code: self.code,
                message: self.message,
                retry_after: self.retry_after,
                request_id: self.request_id,
            };
        }
        if BUSY_CODES.contains(&code) {
            return Error::Busy {
                operation,
                status: self.status,
                code: self.code,
                message: self.message,
                request_id: self.request_id,
            };
        }
        if self.status == 401 || code.starts_with("APIGW.03") {
            return Error::Auth {
                operation,
                status: self.status,
                code: self.code,
                message: self.message,
                request_id: self.request_id,
            };
        }
        Error::Api {
            status: self.status,
            code: self.code,
            message: self.message,
            request_id: self.request_id,
            operation,
        }
    }
}

#[derive(Debug, Default)]
struct ParsedBody {
    json: bool,
    code: Option<String>,
    message: Option<String>,
    request_id: Option<String>,
}

fn parse_error_body(body: &[u8]) -> ParsedBody {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(body)
    else {
        return ParsedBody::default();
    };
    let nested = match map.get("error") {
        Some(serde_json::Value::Object(inner)) => Some(inner),
        _ => None,
    };
    let pick = |keys: &[&str]| -> Option<String> {
        for source in std::iter::once(&map).chain(nested) {
            for key in keys {
                if let Some(v) = source.get(*key).and_then(scalar_text) {
                    return Some(v);
                }
            }
        }
        None
    };
    ParsedBody {
        json: true,
        code: pick(&["error_code", "errCode", "err_code", "code"]),
        message: pick(&[
            "error_msg",
            "externalMessage",
            "errMsg",
            "error_message",
            "message",
            "error_description",
        ]),
        request_id: pick(&["request_id", "requestId"]),
    }
}

fn scalar_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

const EXCERPT_CHARS: usize = 160;

/// A short, single-line excerpt of a non-JSON body: an HTML page's title (or
/// its text without tags), whitespace collapsed, at most 160 characters.
pub(crate) fn body_excerpt(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    let source: String = if lower.contains('<') && lower.contains('>') {
        match (lower.find("<title>"), lower.find("</title>")) {
            (Some(start), Some(end)) if end > start + 7 => text[start + 7..end].to_owned(),
            _ => strip_tags(text),
        }
    } else {
        text.to_owned()
    };
    let collapsed = source.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        return None;
    }
    if collapsed.chars().count() > EXCERPT_CHARS {
        let cut: String = collapsed.chars().take(EXCERPT_CHARS).collect();
        Some(format!("{cut}…"))
    } else {
        Some(collapsed)
    }
}

fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

fn reason_phrase(status: u16) -> &'static str {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("no error details")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(kind: OpKind) -> Operation {
        Operation::new(
            kind,
            "show DWS snapshot s-1".to_owned(),
            "DWS snapshot s-1".to_owned(),
        )
    }

    #[test]
    fn dws_body_is_read() {
        let e = CloudError::parse(
            400,
            None,
            None,
            br#"{"error_code":"DWS.5149","error_msg":"snapshot not found","request_id":"r-1"}"#,
        );
        assert_eq!(e.code.as_deref(), Some("DWS.5149"));
        assert_eq!(e.message, "snapshot not found");
        assert_eq!(e.request_id.as_deref(), Some("r-1"));
        let err = e.classify(&op(OpKind::Read));
        assert!(err.is_not_found());
        assert_eq!(err.request_id(), Some("r-1"));
    }

    #[test]
    fn css_camel_case_body_is_read() {
        let e = CloudError::parse(
            403,
            Some("hdr-1".to_owned()),
            None,
            br#"{"errCode":"CSS.0015","externalMessage":"No resources are found or the access is denied."}"#,
        );
        assert_eq!(e.code.as_deref(), Some("CSS.0015"));
        assert!(e.message.starts_with("No resources"));
        let err = e.classify(&op(OpKind::List));
        assert!(
            matches!(err, Error::NotFound { ref code, .. } if code.as_deref() == Some("CSS.0015"))
        );
        assert_eq!(err.request_id(), Some("hdr-1"));
    }

    #[test]
    fn gateway_signature_failure_is_auth_with_hint() {
        let e = CloudError::parse(
            401,
            None,
            None,
            br#"{"error_msg":"Incorrect IAM authentication information: verify aksk signature fail","error_code":"APIGW.0301","request_id":"abc"}"#,
        );
        let err = e.classify(&op(OpKind::Create));
        assert!(matches!(err, Error::Auth { status: 401, .. }));
        let text = err.to_string();
        assert!(text.contains("APIGW.0301"), "{text}");
        assert!(text.contains("request id abc"), "{text}");
        assert!(text.contains("check access_key and secret_key"), "{text}");
    }

    #[test]
    fn gateway_404_is_not_a_missing_snapshot() {
        let e = CloudError::parse(
            404,
            None,
            None,
            br#"{"error_code":"APIGW.0101","error_msg":"The API does not exist or has not been published in the environment"}"#,
        );
        assert!(matches!(
            e.classify(&op(OpKind::Read)),
            Error::Api { status: 404, .. }
        ));
    }

    #[test]
    fn dws_0001_is_not_found_only_for_read_and_delete() {
        let body = br#"{"error_code":"DWS.0001","error_msg":"bad"}"#;
        let read = CloudError::parse(400, None, None, body).classify(&op(OpKind::Delete));
        assert!(read.is_not_found());
        let create = CloudError::parse(400, None, None, body).classify(&op(OpKind::Create));
        assert!(matches!(create, Error::Api { status: 400, .. }));
    }

    #[test]
    fn cluster_gone_codes_are_not_found() {
        for code in ["DWS.0047", "DWS.0015"] {
            let body = format!(r#"{{"error_code":"{code}","error_msg":"cluster does not exist"}}"#);
            let err =
                CloudError::parse(403, None, None, body.as_bytes()).classify(&op(OpKind::List));
            assert!(err.is_not_found(), "{code}");
            assert!(err.is_cluster_not_found(), "{code}");
        }
        let snapshot_gone = CloudError::parse(
            400,
            None,
            None,
            br#"{"error_code":"DWS.5149","error_msg":"x"}"#,
        )
        .classify(&op(OpKind::Read));
        assert!(snapshot_gone.is_not_found() && !snapshot_gone.is_cluster_not_found());
    }

    #[test]
    fn busy_and_throttled_are_classified() {
        let busy = CloudError::parse(
            403,
            None,
            None,
            br#"{"error_code":"DWS.7023","error_msg":"busy"}"#,
        )
        .classify(&op(OpKind::Create));
        assert!(matches!(busy, Error::Busy { .. }));
        let css_busy = CloudError::parse(
            409,
            None,
            None,
            br#"{"errCode":"CSS.0011","externalMessage":"running"}"#,
        )
        .classify(&op(OpKind::Create));
        assert!(matches!(css_busy, Error::Busy { .. }));
        let throttled = CloudError::parse(429, None, Some(Duration::from_secs(3)), b"")
            .classify(&op(OpKind::List));
        assert!(matches!(
            throttled,
            Error::Throttled { retry_after: Some(d), .. } if d == Duration::from_secs(3)
        ));
    }

    #[test]
    fn html_5xx_becomes_short_excerpt() {
        let page = format!(
            "<html><head><title>502 Bad Gateway</title></head><body><h1>{}</h1></body></html>",
            "x".repeat(5000)
        );
        let e = CloudError::parse(502, None, None, page.as_bytes());
        assert_eq!(e.message, "502 Bad Gateway");
        assert_eq!(e.code, None);
        let err = e.classify(&op(OpKind::Read));
        assert!(matches!(err, Error::Api { status: 502, .. }));
        assert!(
            err.to_string().contains("HTTP 502, 502 Bad Gateway"),
            "{err}"
        );
    }

    #[test]
    fn html_without_title_is_stripped_and_truncated() {
        let page = format!(
            "<html><body><p>Service   down</p>{}</body></html>",
            "y ".repeat(400)
        );
        let excerpt = body_excerpt(page.as_bytes()).unwrap_or_default();
        assert!(excerpt.starts_with("Service down"), "{excerpt}");
        assert!(excerpt.chars().count() <= EXCERPT_CHARS + 1);
        assert!(excerpt.ends_with('…'));
    }

    #[test]
    fn empty_body_uses_reason_phrase() {
        let e = CloudError::parse(503, None, None, b"");
        assert_eq!(e.message, "Service Unavailable");
    }

    #[test]
    fn nested_iam_error_is_read() {
        let e = CloudError::parse(
            401,
            None,
            None,
            br#"{"error":{"code":401,"message":"The request you have made requires authentication.","title":"Unauthorized"}}"#,
        );
        assert_eq!(e.code.as_deref(), Some("401"));
        assert!(e.message.starts_with("The request"));
    }

    #[test]
    fn display_names_operation_code_and_request_id() {
        let err = Error::Api {
            status: 400,
            code: Some("DWS.0002".to_owned()),
            message: "invalid name".to_owned(),
            request_id: Some("req-9".to_owned()),
            operation: "create DWS snapshot \"nightly\" on cluster c-1".to_owned(),
        };
        assert_eq!(
            err.to_string(),
            "create DWS snapshot \"nightly\" on cluster c-1 failed (HTTP 400, DWS.0002: invalid name, request id req-9)"
        );
        assert_eq!(err.code(), Some("DWS.0002"));
    }
}
