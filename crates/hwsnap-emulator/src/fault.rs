//! Fault rules (`POST /_emulator/faults`): [`FaultSpec`] is the JSON a test
//! posts, checked once into a [`FaultAction`] when it is installed, so a bad
//! rule is a 400 at install time rather than a surprise on a later request;
//! [`Faults`] holds the installed rules and picks the one (if any) that fires
//! for a request. What each action does to the answer is in
//! [`crate::edge::apply_faults`].

use std::collections::BTreeMap;

use http::{HeaderName, HeaderValue, StatusCode};
use rand::Rng;
use regex::Regex;
use serde::{Deserialize, Serialize};

/// The kinds of fault, as posted and as logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// 429 with `Retry-After`.
    Throttle,
    /// 500 with an HTML body.
    Html500,
    /// 503 gateway JSON.
    Unavailable,
    /// Close the connection without answering or acting.
    DropBefore,
    /// Act, then close the connection without answering.
    DropAfter,
    /// Wait `latency_ms`, then answer normally.
    Latency,
    /// 200 with a raw, unparsable body.
    Garbage,
    /// Read the request, then never answer and never act; the connection
    /// stays open until the client gives up.
    HangBefore,
    /// Act, then never answer; the connection stays open.
    HangAfter,
    /// A 3xx (`status`, default 302) to `location`, without acting.
    Redirect,
    /// Act and answer normally, with `headers` added to the answer.
    ExtraHeader,
    /// Answer `status` (default 500) with a generated body of `bytes` bytes,
    /// streamed, with or without `Content-Length`; without acting.
    HugeBody,
    /// Act, then send the real answer's body at `bytes_per_second`.
    Drip,
}

/// A `Retry-After` value: a number of seconds, or any text (for clients
/// that must survive `1e20`, `NaN` or a date).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum RetryAfter {
    /// Whole seconds.
    Seconds(u64),
    /// Sent as given.
    Text(String),
}

/// A fault rule as posted to `/_emulator/faults`. Fields a kind does not use
/// are ignored; an unknown field is refused (a typo would otherwise install
/// a rule that silently does something else).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// Regex matched against the request path.
    pub path: String,
    /// Only this method, when given.
    pub method: Option<String>,
    /// What to do.
    pub kind: FaultKind,
    /// Probability of applying to a matching request (default 1).
    pub fraction: Option<f64>,
    /// The rule expires after this many hits.
    pub count: Option<u32>,
    /// `throttle`: the `Retry-After` header.
    pub retry_after: Option<RetryAfter>,
    /// `latency`: delay in ms (default 1000).
    pub latency_ms: Option<u64>,
    /// `garbage`: the raw 200 body.
    pub body: Option<String>,
    /// `redirect` (300–399, default 302) and `huge_body` (default 500): the status.
    pub status: Option<u16>,
    /// `redirect`: the `Location` header.
    pub location: Option<String>,
    /// `extra_header`: headers added to the real answer, name to value.
    pub headers: Option<BTreeMap<String, String>>,
    /// `huge_body`: body size in bytes.
    pub bytes: Option<u64>,
    /// `huge_body`: send `Content-Length` (default true); false streams it chunked.
    pub content_length: Option<bool>,
    /// `drip`: how fast the body goes out (>= 1).
    pub bytes_per_second: Option<u32>,
}

/// What a fired rule does, with everything it needs already checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultAction {
    /// 429, with this `Retry-After` if any.
    Throttle {
        /// Header value.
        retry_after: Option<HeaderValue>,
    },
    /// 500 HTML.
    Html500,
    /// 503 gateway JSON.
    Unavailable,
    /// Close without acting.
    DropBefore,
    /// Act, then close.
    DropAfter,
    /// Delay, then answer.
    Latency {
        /// Delay in ms.
        ms: u64,
    },
    /// 200 with this body (or a default broken JSON).
    Garbage {
        /// The raw body.
        body: Option<String>,
    },
    /// Read the request, never answer, never act.
    HangBefore,
    /// Act, never answer.
    HangAfter,
    /// 3xx to `location`, without acting.
    Redirect {
        /// 300–399.
        status: StatusCode,
        /// `Location`.
        location: HeaderValue,
    },
    /// Act; add these headers to the answer.
    ExtraHeader {
        /// Added in order.
        headers: Vec<(HeaderName, HeaderValue)>,
    },
    /// Answer a generated body, without acting.
    HugeBody {
        /// Status of the answer.
        status: StatusCode,
        /// Body size.
        bytes: u64,
        /// Whether `Content-Length` is sent.
        content_length: bool,
    },
    /// Act, then send the body slowly.
    Drip {
        /// >= 1.
        bytes_per_second: u32,
    },
}

/// Why a rule was refused at install time.
#[derive(Debug, thiserror::Error)]
pub enum FaultError {
    /// `path` is not a regex.
    #[error("invalid path regex: {0}")]
    Regex(#[from] regex::Error),
    /// A field the kind needs is missing or out of range.
    #[error("{0}")]
    Invalid(String),
}

fn invalid(message: impl Into<String>) -> FaultError {
    FaultError::Invalid(message.into())
}

fn header_value(field: &str, value: &str) -> Result<HeaderValue, FaultError> {
    HeaderValue::from_str(value).map_err(|_| invalid(format!("{field}: not a valid header value")))
}

impl FaultSpec {
    /// Checks the fields `kind` needs and builds its action.
    pub fn action(&self) -> Result<FaultAction, FaultError> {
        Ok(match self.kind {
            FaultKind::Throttle => FaultAction::Throttle {
                retry_after: match &self.retry_after {
                    None => None,
                    Some(RetryAfter::Seconds(s)) => Some(HeaderValue::from(*s)),
                    Some(RetryAfter::Text(t)) => Some(header_value("retry_after", t)?),
                },
            },
            FaultKind::Html500 => FaultAction::Html500,
            FaultKind::Unavailable => FaultAction::Unavailable,
            FaultKind::DropBefore => FaultAction::DropBefore,
            FaultKind::DropAfter => FaultAction::DropAfter,
            FaultKind::Latency => FaultAction::Latency {
                ms: self.latency_ms.unwrap_or(1000),
            },
            FaultKind::Garbage => FaultAction::Garbage {
                body: self.body.clone(),
            },
            FaultKind::HangBefore => FaultAction::HangBefore,
            FaultKind::HangAfter => FaultAction::HangAfter,
            FaultKind::Redirect => {
                let status = self.status.unwrap_or(302);
                if !(300..=399).contains(&status) {
                    return Err(invalid("redirect: status must be 300 to 399"));
                }
                let location = self
                    .location
                    .as_deref()
                    .ok_or_else(|| invalid("redirect: location is required"))?;
                FaultAction::Redirect {
                    status: StatusCode::from_u16(status)
                        .map_err(|_| invalid("redirect: bad status"))?,
                    location: header_value("location", location)?,
                }
            }
            FaultKind::ExtraHeader => {
                let given = self
                    .headers
                    .as_ref()
                    .filter(|h| !h.is_empty())
                    .ok_or_else(|| invalid("extra_header: headers is required"))?;
                let mut headers = Vec::with_capacity(given.len());
                for (name, value) in given {
                    let name = HeaderName::from_bytes(name.as_bytes())
                        .map_err(|_| invalid(format!("headers: {name:?} is not a header name")))?;
                    headers.push((name, header_value("headers", value)?));
                }
                FaultAction::ExtraHeader { headers }
            }
            FaultKind::HugeBody => {
                let status = StatusCode::from_u16(self.status.unwrap_or(500))
                    .map_err(|_| invalid("huge_body: status must be 100 to 999"))?;
                FaultAction::HugeBody {
                    status,
                    bytes: self
                        .bytes
                        .ok_or_else(|| invalid("huge_body: bytes is required"))?,
                    content_length: self.content_length.unwrap_or(true),
                }
            }
            FaultKind::Drip => FaultAction::Drip {
                bytes_per_second: self
                    .bytes_per_second
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| invalid("drip: bytes_per_second >= 1 is required"))?,
            },
        })
    }
}

/// An installed fault rule.
#[derive(Debug, Clone)]
struct FaultRule {
    path: Regex,
    method: Option<String>,
    fraction: f64,
    kind: FaultKind,
    action: FaultAction,
    remaining: Option<u32>,
}

/// A fault that fired on one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiredFault {
    /// Its kind, for the request log.
    pub kind: FaultKind,
    /// What to do.
    pub action: FaultAction,
}

/// The installed rules, in installation order.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Vec<FaultRule>,
    next_id: u64,
}

impl Faults {
    /// Checks and installs a rule; returns its id (`fault-N`).
    pub fn add(&mut self, spec: FaultSpec) -> Result<String, FaultError> {
        let action = spec.action()?;
        let path = Regex::new(&spec.path)?;
        self.next_id += 1;
        self.rules.push(FaultRule {
            path,
            method: spec.method,
            fraction: spec.fraction.unwrap_or(1.0).clamp(0.0, 1.0),
            kind: spec.kind,
            action,
            remaining: spec.count,
        });
        Ok(format!("fault-{}", self.next_id))
    }

    /// Removes every rule.
    pub fn clear(&mut self) {
        self.rules.clear();
    }

    /// The fault (if any) that fires for this request; counts down and
    /// expires rules.
    ///
    /// One roll in `[0, 1)` is shared by the matching rules, taken in order:
    /// each rule owns the next `fraction` of the range, so several rules on
    /// the same path fire with their own fractions (which add up) instead of
    /// the first matching rule shadowing the rest.
    pub fn fire(&mut self, method: &str, path: &str) -> Option<FiredFault> {
        let roll = rand::rng().random::<f64>();
        self.fire_with_roll(method, path, roll)
    }

    fn fire_with_roll(&mut self, method: &str, path: &str, roll: f64) -> Option<FiredFault> {
        let mut covered = 0.0;
        let index = self.rules.iter().position(|r| {
            let matches = r.path.is_match(path)
                && r.method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(method));
            if !matches {
                return false;
            }
            covered += r.fraction;
            roll < covered
        })?;
        let rule = &mut self.rules[index];
        let fired = FiredFault {
            kind: rule.kind,
            action: rule.action.clone(),
        };
        if let Some(n) = rule.remaining.as_mut() {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.rules.remove(index);
            }
        }
        Some(fired)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(v: serde_json::Value) -> FaultSpec {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn faults_match_count_down_and_expire() {
        let mut f = Faults::default();
        let throttle = json!({"path": "/snapshots$", "method": "post", "kind": "throttle",
            "count": 2, "retry_after": 3});
        assert_eq!(f.add(spec(throttle.clone())).unwrap(), "fault-1");
        assert_eq!(f.fire("GET", "/v1.0/p/snapshots"), None);
        assert_eq!(f.fire("POST", "/v1.0/p/snapshots/x"), None);
        let fired = f.fire("POST", "/v1.0/p/snapshots").unwrap();
        assert_eq!(fired.kind, FaultKind::Throttle);
        assert_eq!(
            fired.action,
            FaultAction::Throttle {
                retry_after: Some(HeaderValue::from(3))
            }
        );
        assert!(f.fire("POST", "/v1.0/p/snapshots").is_some());
        assert_eq!(f.fire("POST", "/v1.0/p/snapshots"), None, "expired");
        let mut never = throttle.clone();
        never["fraction"] = json!(0.0);
        never["count"] = serde_json::Value::Null;
        f.add(spec(never)).unwrap();
        assert_eq!(f.fire("POST", "/v1.0/p/snapshots"), None);
        let mut broken = throttle;
        broken["path"] = json!("(");
        assert!(matches!(f.add(spec(broken)), Err(FaultError::Regex(_))));
    }

    #[test]
    fn fractions_of_rules_on_one_path_add_up() {
        let mut f = Faults::default();
        f.add(spec(
            json!({"path": ".*", "kind": "throttle", "fraction": 0.1}),
        ))
        .unwrap();
        f.add(spec(
            json!({"path": ".*", "kind": "html500", "fraction": 0.1}),
        ))
        .unwrap();
        let kind = |f: &mut Faults, roll| f.fire_with_roll("GET", "/x", roll).map(|f| f.kind);
        assert_eq!(kind(&mut f, 0.05), Some(FaultKind::Throttle));
        // The second rule is not shadowed by the first one's miss.
        assert_eq!(kind(&mut f, 0.15), Some(FaultKind::Html500));
        assert_eq!(kind(&mut f, 0.25), None);
        // Statistically: about 20% of requests fault, half of each kind.
        let fired: Vec<_> = (0..4000).filter_map(|_| f.fire("GET", "/x")).collect();
        assert!((600..1000).contains(&fired.len()), "{}", fired.len());
        let throttled = fired
            .iter()
            .filter(|f| f.kind == FaultKind::Throttle)
            .count();
        assert!((250..550).contains(&throttled), "{throttled}");
    }

    #[test]
    fn each_kind_checks_its_fields_at_install_time() {
        let ok = |v: serde_json::Value| spec(v).action().unwrap();
        let bad = |v: serde_json::Value| spec(v).action().unwrap_err().to_string();
        assert_eq!(
            ok(json!({"path": ".", "kind": "redirect", "location": "http://thief.test/x"})),
            FaultAction::Redirect {
                status: StatusCode::FOUND,
                location: HeaderValue::from_static("http://thief.test/x")
            }
        );
        assert!(bad(json!({"path": ".", "kind": "redirect"})).contains("location"));
        assert!(
            bad(json!({"path": ".", "kind": "redirect", "status": 200, "location": "x"}))
                .contains("300 to 399")
        );
        assert_eq!(
            ok(json!({"path": ".", "kind": "extra_header", "headers": {"Retry-After": "1e20"}})),
            FaultAction::ExtraHeader {
                headers: vec![(
                    HeaderName::from_static("retry-after"),
                    HeaderValue::from_static("1e20")
                )]
            }
        );
        assert!(
            bad(json!({"path": ".", "kind": "extra_header", "headers": {}})).contains("headers")
        );
        assert!(
            bad(json!({"path": ".", "kind": "extra_header", "headers": {"bad name": "x"}}))
                .contains("not a header name")
        );
        assert!(
            bad(json!({"path": ".", "kind": "extra_header", "headers": {"x": "a\nb"}}))
                .contains("header value")
        );
        assert_eq!(
            ok(json!({"path": ".", "kind": "huge_body", "bytes": 10, "content_length": false})),
            FaultAction::HugeBody {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                bytes: 10,
                content_length: false
            }
        );
        assert!(bad(json!({"path": ".", "kind": "huge_body"})).contains("bytes"));
        assert!(bad(json!({"path": ".", "kind": "drip", "bytes_per_second": 0})).contains(">= 1"));
        assert_eq!(
            ok(json!({"path": ".", "kind": "throttle", "retry_after": "NaN"})),
            FaultAction::Throttle {
                retry_after: Some(HeaderValue::from_static("NaN"))
            }
        );
        assert_eq!(
            ok(json!({"path": ".", "kind": "hang_before"})),
            FaultAction::HangBefore
        );
        // A typo is refused, not silently ignored.
        assert!(
            serde_json::from_value::<FaultSpec>(
                json!({"path": ".", "kind": "drip", "bytes_per_sec": 1})
            )
            .is_err()
        );
    }
}
