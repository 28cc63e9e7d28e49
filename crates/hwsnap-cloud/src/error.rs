//! The client's one error type, [`Error`], what a call saw last when it ran
//! out of time ([`LastSeen`]), and the reading of the cloud's error answers
//! (DWS `error_code`/`error_msg`, CSS `errCode`/`externalMessage`, API
//! gateway `APIGW.xxxx`, and non-JSON bodies such as HTML 5xx pages).
//!
//! Text that comes from the network (messages, codes, request ids, body
//! excerpts) is cut short and stripped of control characters before it is
//! stored in an error, so a hostile answer cannot flood or forge a
//! diagnostic.

use std::fmt;
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
    /// The API gateway has locked the access key after repeated signature
    /// failures (`APIGW.0301`, "AK access failed to reach the limit"). It
    /// unlocks by itself after about 5 minutes. Never retried.
    #[error("{operation} failed: the API gateway has locked this access key after repeated signature failures{}: the lock lifts after about 5 minutes; check secret_key (and security_token) now, then wait 5 minutes before trying again, since every refused attempt extends the lock", detail(Some(*.status), .code, .message, .request_id))]
    KeyLocked {
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
    /// and retries ran out (without a deadline; with one, a busy cluster is
    /// retried until the deadline, see [`Error::DeadlineExceeded`]).
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
    /// The connection broke after the request was sent, or the answer was
    /// lost. `ambiguous` means the request may have reached the cloud and
    /// taken effect.
    #[error("{operation} failed: could not talk to the cloud: {reason}{}: check the endpoint, the network and any proxy", if *.ambiguous { " (the request may have taken effect)" } else { "" })]
    Transport {
        operation: String,
        reason: String,
        ambiguous: bool,
    },
    /// No connection could be made (refused, DNS failure, unreachable
    /// network): the request never left. `origin` says which setting
    /// produced the URL.
    #[error("{operation} failed: could not connect to {endpoint} ({reason}) in {attempts} attempt{} over {}: the URL comes from {origin}; check it, the network and any proxy", plural(*.attempts), secs(*.waited))]
    Unreachable {
        operation: String,
        /// Scheme, host and port of the endpoint.
        endpoint: String,
        /// Where the endpoint came from, e.g. `endpoints.dws / HW_DWS_ENDPOINT`.
        origin: String,
        reason: String,
        attempts: u32,
        waited: Duration,
    },
    /// The endpoint answered with a redirect (3xx). The client never follows
    /// redirects: the signed request and its security token must not go to
    /// another host.
    #[error("{operation} failed: the endpoint answered HTTP {status}, a redirect to {}; redirects are never followed: check the endpoint settings ({origin})", .location.as_deref().unwrap_or("an unnamed location"))]
    Redirect {
        operation: String,
        status: u16,
        /// The host the `Location` header names, if it names one.
        location: Option<String>,
        origin: String,
    },
    /// The answer was larger than the client reads ([`crate::MAX_ANSWER_BYTES`]).
    #[error("{operation} failed: the answer is larger than the {} MiB this client reads ({}){}: check the endpoint settings", .limit / (1024 * 1024), describe_length(*.length), detail(None, &None, "", .request_id))]
    TooLarge {
        operation: String,
        limit: u64,
        /// The announced `Content-Length`, when it was the reason.
        length: Option<u64>,
        request_id: Option<String>,
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
    /// have taken effect). Retried; the scope's deadline, when there is one,
    /// ends the retries with [`Error::DeadlineExceeded`].
    #[error(
        "{operation} failed: no answer within the request timeout (the request may have taken effect): check the network or raise the timeout"
    )]
    Timeout { operation: String },
    /// The [`crate::Scope`]'s deadline came before the call could finish:
    /// no request, retry or wait runs past it. `last` is what the call saw
    /// last; `waited` and `attempts` cover the whole call (all retries).
    #[error("{operation} did not finish before the deadline: {last}; {attempts} request{} over {}{}", plural(*.attempts), secs(*.waited), if *.may_have_created { "; the snapshot may exist in the cloud: the next apply finds it by name and adopts it" } else { "" })]
    DeadlineExceeded {
        operation: String,
        waited: Duration,
        attempts: u32,
        last: Box<LastSeen>,
        /// A create whose outcome is unknown: the snapshot may have been
        /// made, and a later create of the same name adopts it.
        may_have_created: bool,
    },
    /// A state change that is never blindly repeated (a CSS restore) may or
    /// may not have taken effect: its answer was lost, and the check that
    /// followed did not show it. It was not sent again.
    #[error(
        "{operation}: the outcome is unknown ({last}); it was not sent again, since repeating it could run it twice: check {check} before trying again"
    )]
    OutcomeUnknown {
        operation: String,
        last: Box<Error>,
        /// Where to look, e.g. `the restoreStatus of CSS snapshot …`.
        check: String,
    },
    /// The caller's cancellation token fired.
    #[error("the operation was cancelled")]
    Cancelled,
    /// The client configuration is invalid.
    #[error("invalid configuration `{field}`: {reason}")]
    Config { field: String, reason: String },
}

/// What a call saw last before its deadline ran out.
#[derive(Debug, Clone, PartialEq)]
pub enum LastSeen {
    /// The deadline had passed before any request was made.
    Nothing,
    /// The cloud has not answered for `waited` (the last request hung, or
    /// timed out, since the last answer or the start of the call).
    NoAnswer { waited: Duration },
    /// The cloud's last answer, an error (busy, throttled, 5xx, …).
    Answer {
        status: u16,
        code: Option<String>,
        message: String,
        request_id: Option<String>,
    },
    /// The last attempt failed without an answer (no connection, TLS, a
    /// broken connection): the error itself.
    Failure(Box<Error>),
}

impl fmt::Display for LastSeen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LastSeen::Nothing => f.write_str("no request could be made in time"),
            LastSeen::NoAnswer { waited } => {
                write!(f, "no answer from the cloud for {}", secs(*waited))
            }
            LastSeen::Answer {
                status,
                code,
                message,
                request_id,
            } => write!(
                f,
                "the cloud's last answer was {}",
                detail_parts(Some(*status), code, message, request_id)
            ),
            LastSeen::Failure(err) => write!(f, "the last attempt failed: {err}"),
        }
    }
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

    /// The cloud's error code (`DWS.5149`, `CSS.0015`, `APIGW.0301`, …).
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::NotFound { code, .. }
            | Error::Auth { code, .. }
            | Error::KeyLocked { code, .. }
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

    /// An HTTP answer the cloud gave (as opposed to no answer at all).
    pub(crate) fn is_answer(&self) -> bool {
        matches!(
            self,
            Error::NotFound { .. }
                | Error::Auth { .. }
                | Error::KeyLocked { .. }
                | Error::Throttled { .. }
                | Error::Busy { .. }
                | Error::Api { .. }
                | Error::Redirect { .. }
                | Error::TooLarge { .. }
                | Error::Decode { .. }
        )
    }

    /// What this failure shows of the cloud, for [`Error::DeadlineExceeded`];
    /// `silent_for` is how long the cloud has not answered.
    pub(crate) fn last_seen(self, silent_for: Duration) -> LastSeen {
        match self {
            Error::Timeout { .. } => LastSeen::NoAnswer { waited: silent_for },
            Error::Auth {
                status,
                code,
                message,
                request_id,
                ..
            }
            | Error::KeyLocked {
                status,
                code,
                message,
                request_id,
                ..
            }
            | Error::Throttled {
                status,
                code,
                message,
                request_id,
                ..
            }
            | Error::Busy {
                status,
                code,
                message,
                request_id,
                ..
            }
            | Error::Api {
                status,
                code,
                message,
                request_id,
                ..
            } => LastSeen::Answer {
                status,
                code,
                message,
                request_id,
            },
            other => LastSeen::Failure(Box::new(other)),
        }
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A duration for people: `0.4 s`, `12 s` (as errors write it).
pub fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 10.0 {
        format!("{s:.1} s")
    } else {
        format!("{} s", d.as_secs())
    }
}

fn describe_length(length: Option<u64>) -> String {
    match length {
        Some(n) => format!("it announced {n} bytes"),
        None => "it was cut off while reading".to_owned(),
    }
}

fn detail(
    status: Option<u16>,
    code: &Option<String>,
    message: &str,
    request_id: &Option<String>,
) -> String {
    let parts = detail_parts(status, code, message, request_id);
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({parts})")
    }
}

/// `HTTP 400, DWS.0002: invalid name, request id r-1` (the parts present).
fn detail_parts(
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
    parts.join(", ")
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
/// deletes (`DWS.0001`); creates and actions are never blindly repeated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpKind {
    Create,
    Read,
    List,
    Delete,
    /// A state change that is not a create (a CSS restore).
    Action,
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
const THROTTLE_CODES: &[&str] = &["APIGW.0308", "APIG.0308"];
/// How the gateway words a locked access key: Huawei's documentation
/// ("AK access failed to reach the limit,forbidden") and the emulator
/// ("access key locked after repeated signature failures"), lower case.
const LOCKED_PHRASES: &[&str] = &["reach the limit", "access key locked", "ak locked"];

/// Longest cloud message kept in an error.
pub(crate) const MESSAGE_CHARS: usize = 512;
/// Longest error code or request id kept.
pub(crate) const ID_CHARS: usize = 128;

impl CloudError {
    /// Reads an error answer: status, request id header (if any), body (only
    /// its first bytes are read; see [`ERROR_BODY_BYTES`]).
    pub(crate) fn parse(
        status: u16,
        header_request_id: Option<String>,
        retry_after: Option<Duration>,
        body: &[u8],
    ) -> Self {
        let parsed = parse_error_body(body);
        let message = match parsed.message {
            Some(m) if !m.is_empty() => clean_text(&m, MESSAGE_CHARS),
            _ if parsed.json => String::new(),
            _ => body_excerpt(body).unwrap_or_else(|| reason_phrase(status).to_owned()),
        };
        CloudError {
            status,
            code: parsed.code.map(|c| clean_text(&c, ID_CHARS)),
            message,
            request_id: header_request_id
                .or(parsed.request_id)
                .map(|r| clean_text(&r, ID_CHARS))
                .filter(|r| !r.is_empty()),
            retry_after,
        }
    }

    /// Turns the answer into the matching [`Error`] variant for `op`.
    pub(crate) fn classify(self, op: &Operation) -> Error {
        let code = self.code.as_deref().unwrap_or("");
        let gateway = code.starts_with("APIGW.") || code.starts_with("APIG.");
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
        let auth_code = code.starts_with("APIGW.03") || code.starts_with("APIG.03");
        if self.status == 401 || auth_code {
            let lower = self.message.to_ascii_lowercase();
            let locked = LOCKED_PHRASES.iter().any(|p| lower.contains(p));
            let (status, code, message, request_id) =
                (self.status, self.code, self.message, self.request_id);
            return if locked {
                Error::KeyLocked {
                    operation,
                    status,
                    code,
                    message,
                    request_id,
                }
            } else {
                Error::Auth {
                    operation,
                    status,
                    code,
                    message,
                    request_id,
                }
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

/// How much of an error answer is read at all: enough for any real error
/// JSON; the rest of a larger body is never read.
pub(crate) const ERROR_BODY_BYTES: usize = 64 * 1024;
/// How much of a body an excerpt looks at.
const EXCERPT_SOURCE_BYTES: usize = 4 * 1024;
const EXCERPT_CHARS: usize = 160;

/// Text from the network made safe to show: control characters (newlines,
/// escapes, bidi controls…) become spaces, whitespace runs collapse to one
/// space, and more than `max` characters are cut with `…`.
pub(crate) fn clean_text(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max * 4 + 4));
    let mut count = 0;
    let mut pending_space = false;
    for c in s.chars() {
        let c = if c.is_control() || is_format_control(c) {
            ' '
        } else {
            c
        };
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        let needed = 1 + usize::from(pending_space);
        if count + needed > max {
            out.push('…');
            return out;
        }
        if pending_space {
            out.push(' ');
            count += 1;
            pending_space = false;
        }
        out.push(c);
        count += 1;
    }
    out
}

/// Unicode format controls that reorder or hide text (bidi overrides,
/// zero-width characters), which `char::is_control` does not cover.
fn is_format_control(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// A short, single-line excerpt of a non-JSON body, from its first 4 KiB
/// only: an HTML page's title (or its text without tags), cleaned with
/// [`clean_text`], at most 160 characters.
pub(crate) fn body_excerpt(body: &[u8]) -> Option<String> {
    let head = &body[..body.len().min(EXCERPT_SOURCE_BYTES)];
    let text = String::from_utf8_lossy(head);
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
    let cleaned = clean_text(&source, EXCERPT_CHARS);
    (!cleaned.is_empty()).then_some(cleaned)
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
        assert!(err.to_string().contains("request id r-1"), "{err}");
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
        assert!(err.to_string().contains("request id hdr-1"), "{err}");
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

    #[test]
    fn locked_key_says_so_and_when_it_lifts() {
        // Huawei's documented wording, and the emulator's.
        for body in [
            br#"{"error_msg":"Incorrect IAM authentication information: AK access failed to reach the limit,forbidden.","error_code":"APIGW.0301","request_id":"r"}"#.as_slice(),
            br#"{"error_msg":"Incorrect IAM authentication information: access key locked after repeated signature failures","error_code":"APIGW.0301"}"#.as_slice(),
            br#"{"error_msg":"Incorrect IAM authentication information: AK access failed to reach the limit,forbidden.","error_code":"APIG.0301"}"#.as_slice(),
        ] {
            let err = CloudError::parse(401, None, None, body).classify(&op(OpKind::Read));
            assert!(matches!(err, Error::KeyLocked { status: 401, .. }), "{err:?}");
            let text = err.to_string();
            assert!(text.contains("locked this access key"), "{text}");
            assert!(text.contains("about 5 minutes"), "{text}");
        }
        // A plain signature failure is not a lock.
        let err = CloudError::parse(
            401,
            None,
            None,
            br#"{"error_msg":"Incorrect IAM authentication information: verify aksk signature fail","error_code":"APIGW.0301"}"#,
        )
        .classify(&op(OpKind::Read));
        assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    }

    #[test]
    fn hostile_message_is_cut_and_stripped() {
        let evil = format!(
            r#"{{"error_code":"DWS.0002\u001b[31m","error_msg":"line one\nline two\r\u001b[2J\u202eevil {}","request_id":"id\nforged"}}"#,
            "x".repeat(10_000)
        );
        let e = CloudError::parse(400, None, None, evil.as_bytes());
        assert!(
            !e.message.chars().any(|c| c.is_control()),
            "{:?}",
            e.message
        );
        assert!(!e.message.contains('\u{202e}'));
        assert!(
            e.message.starts_with("line one line two [2J evil x"),
            "{:?}",
            e.message
        );
        assert!(e.message.chars().count() <= MESSAGE_CHARS + 1);
        assert!(e.message.ends_with('…'));
        assert_eq!(e.code.as_deref(), Some("DWS.0002 [31m"));
        assert_eq!(e.request_id.as_deref(), Some("id forged"));
        let text = e.classify(&op(OpKind::Create)).to_string();
        assert!(!text.contains('\n') && text.len() < 1200, "{text}");
    }

    #[test]
    fn clean_text_edges() {
        assert_eq!(clean_text("  a \t b  ", 10), "a b");
        assert_eq!(clean_text("abcdef", 3), "abc…");
        assert_eq!(clean_text("ab cd", 4), "ab c…");
        assert_eq!(clean_text("\u{0}\u{7}", 5), "");
        assert_eq!(clean_text("héllo wörld", 20), "héllo wörld");
    }

    #[test]
    fn excerpt_reads_only_the_head_of_a_huge_body() {
        let mut body = b"<html><body>start ".to_vec();
        body.extend(std::iter::repeat_n(b'z', 1 << 20));
        body.extend_from_slice(b" TAIL</body></html>");
        let excerpt = body_excerpt(&body).unwrap_or_default();
        assert!(excerpt.starts_with("start zzz"), "{excerpt}");
        assert!(!excerpt.contains("TAIL"));
    }

    #[test]
    fn last_seen_describes_answers_and_silence() {
        let busy = CloudError::parse(
            403,
            None,
            None,
            br#"{"error_code":"DWS.7023","error_msg":"busy"}"#,
        )
        .classify(&op(OpKind::Delete));
        let seen = busy.last_seen(Duration::from_secs(3));
        assert_eq!(
            seen.to_string(),
            "the cloud's last answer was HTTP 403, DWS.7023: busy"
        );
        let silent = Error::Timeout {
            operation: "x".to_owned(),
        }
        .last_seen(Duration::from_secs(42));
        assert_eq!(silent.to_string(), "no answer from the cloud for 42 s");
        let err = Error::DeadlineExceeded {
            operation: "create DWS snapshot \"a\" on cluster c".to_owned(),
            waited: Duration::from_millis(10_200),
            attempts: 1,
            last: Box::new(silent),
            may_have_created: true,
        };
        assert_eq!(
            err.to_string(),
            "create DWS snapshot \"a\" on cluster c did not finish before the deadline: no answer from the cloud for 42 s; \
             1 request over 10 s; the snapshot may exist in the cloud: the next apply finds it by name and adopts it"
        );
    }
}
