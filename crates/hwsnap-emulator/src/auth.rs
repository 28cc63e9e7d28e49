//! [`authenticate`]: the API gateway's AK/SK check, as middleware in front of
//! every cloud route. The signature is recomputed with [`hwsnap_sign::verify`]
//! over the request exactly as received (method, decoded path, decoded query
//! pairs, the listed headers, body bytes). Unknown AK, bad signature, a date
//! more than 15 minutes off, or a locked AK answer 401; five failures in a
//! row lock the AK for five minutes.

use axum::body::{Body, to_bytes};
use axum::extract::{RawPathParams, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::error::ApiError;
use crate::state::{AppState, now_ms};

/// Largest body the emulator reads.
pub const MAX_BODY: usize = 1 << 20;
/// Allowed clock skew of `X-Sdk-Date`.
pub const MAX_SKEW_MS: i64 = 15 * 60 * 1000;

/// Percent-decodes `s`; with `plus_is_space`, `+` becomes a space (query strings).
pub fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Splits a raw query string into decoded pairs.
pub fn parse_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k, true), percent_decode(v, true))
        })
        .collect()
}

/// Checks the request's signature, then (as the gateway does) that the
/// path's `{project_id}`, where the route has one, is the configured
/// project, before passing it on.
pub async fn authenticate(
    State(state): State<AppState>,
    params: RawPathParams,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let (parts, body) = req.into_parts();
    let body = to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| ApiError::Auth("request body unreadable"))?;

    let header = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::Auth("Authorization not found"))?;
    let auth = hwsnap_sign::parse_authorization(header)
        .map_err(|_| ApiError::Auth("Authorization format is incorrect"))?;

    let now = now_ms();
    let secret = {
        let emulator = state.lock();
        if emulator.is_locked(&auth.access_key, now) {
            return Err(ApiError::Locked);
        }
        emulator.secret_for(&auth.access_key)
    };
    let Some(secret) = secret else {
        state.lock().auth_failed(&auth.access_key, now);
        return Err(ApiError::Auth("access key does not exist"));
    };

    let date = parts
        .headers
        .get("x-sdk-date")
        .and_then(|v| v.to_str().ok());
    let Some(date) = date.and_then(hwsnap_sign::parse_sdk_date) else {
        state.lock().auth_failed(&auth.access_key, now);
        return Err(ApiError::Date("X-Sdk-Date missing or malformed"));
    };
    let date_ms = i64::try_from(date.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
    if (date_ms - now).abs() > MAX_SKEW_MS {
        state.lock().auth_failed(&auth.access_key, now);
        return Err(ApiError::Date(
            "signature expired: X-Sdk-Date is more than 15 minutes from the server time",
        ));
    }

    let mut headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let host = host
        .or_else(|| parts.uri.authority().map(|a| a.as_str().to_owned()))
        .unwrap_or_default();
    if parts.headers.get(http::header::HOST).is_none() {
        headers.push(("host".to_owned(), host.clone()));
    }
    let path = percent_decode(parts.uri.path(), false);
    let query = parse_query(parts.uri.query().unwrap_or(""));
    let request = hwsnap_sign::Request {
        method: parts.method.as_str(),
        host: &host,
        path: &path,
        query: &query,
        headers: &headers,
        body: &body,
    };
    if !hwsnap_sign::verify(&request, &auth, &secret) {
        state.lock().auth_failed(&auth.access_key, now);
        return Err(ApiError::Auth("verify aksk signature fail"));
    }
    let project_ok = {
        let mut emulator = state.lock();
        emulator.auth_succeeded(&auth.access_key);
        params
            .iter()
            .all(|(k, v)| k != "project_id" || v == emulator.project_id)
    };
    if !project_ok {
        return Err(ApiError::ProjectMismatch);
    }
    Ok(next.run(Request::from_parts(parts, Body::from(body))).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding() {
        assert_eq!(percent_decode("/a%20b/%2Fc", false), "/a b//c");
        assert_eq!(percent_decode("a+b", false), "a+b");
        assert_eq!(percent_decode("a+b%2", true), "a b%2");
        assert_eq!(percent_decode("%zz%41", true), "%zzA");
        assert_eq!(
            parse_query("name=a%20b%2Fc~d%2Ae&x&y=1+2"),
            vec![
                ("name".to_owned(), "a b/c~d*e".to_owned()),
                ("x".to_owned(), String::new()),
                ("y".to_owned(), "1 2".to_owned())
            ]
        );
        assert!(parse_query("").is_empty());
    }
}
