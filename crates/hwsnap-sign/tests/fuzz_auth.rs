//! Bounded fuzzing of what a server does with a received request:
//! `parse_authorization` on arbitrary headers and `verify` on mutated
//! signed requests. Never a panic; a mutated request never verifies unless
//! the mutation left everything the signature covers intact. Budget per
//! target: `HWSNAP_FUZZ_SECONDS` (1 s under `cargo test`).

use hwsnap_testkit::mutator;

use hwsnap_sign::{Credentials, Request, parse_authorization, sign, verify};
use time::macros::datetime;

const SECRET: &str = "exampleSecretKey0123456789abcdefghijklmn";

/// A signed request: (method, host, path, query, headers as received, body).
struct Signed {
    method: String,
    host: String,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Signed {
    fn new(method: &str, path: &str, query: &[(&str, &str)], body: &[u8], token: bool) -> Signed {
        let query: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let sent = vec![
            ("Content-Type".to_owned(), "application/json".to_owned()),
            ("X-Project-Id".to_owned(), "0123456789abcdef".to_owned()),
        ];
        let mut creds = Credentials::new("HPUAEXAMPLEAK0000001", SECRET);
        if token {
            creds = creds.with_security_token("tok/en+=");
        }
        let host = "127.0.0.1:8080".to_owned();
        let req = Request {
            method,
            host: &host,
            path,
            query: &query,
            headers: &sent,
            body,
        };
        let added = sign(&req, &creds, datetime!(2026-11-25 12:00:00 UTC));
        let mut headers = sent.clone();
        headers.push(("Host".to_owned(), host.clone()));
        headers.extend(added.into_iter().map(|(k, v)| (k.to_owned(), v)));
        Signed {
            method: method.to_owned(),
            host,
            path: path.to_owned(),
            query,
            headers,
            body: body.to_vec(),
        }
    }

    fn authorization(&self) -> &str {
        self.headers
            .iter()
            .find(|(k, _)| k == "Authorization")
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    }

    fn verifies(&self, authorization: &str) -> bool {
        let Ok(auth) = parse_authorization(authorization) else {
            return false;
        };
        let req = Request {
            method: &self.method,
            host: &self.host,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
            body: &self.body,
        };
        verify(&req, &auth, SECRET)
    }
}

fn requests() -> Vec<Signed> {
    vec![
        Signed::new(
            "POST",
            "/v1.0/0123456789abcdef/snapshots",
            &[],
            br#"{"snapshot":{"name":"nightly"}}"#,
            false,
        ),
        Signed::new(
            "GET",
            "/v1.0/0123456789abcdef/clusters/c-1/snapshots",
            &[("limit", "10"), ("sort_key", "name"), ("a b", "x/y")],
            b"",
            true,
        ),
        Signed::new(
            "DELETE",
            "/v1.0/p/clusters/c/index_snapshot/snäp id",
            &[],
            b"",
            false,
        ),
    ]
}

const DICT: &[&[u8]] = &[
    b"SDK-HMAC-SHA256 ",
    b"Access=",
    b"SignedHeaders=",
    b"Signature=",
    b", ",
    b",",
    b"=",
    b";",
    b"host;x-sdk-date",
    b"content-type;host;x-project-id;x-sdk-date",
    b"x-security-token",
    b"\xff\xfe",
    b" ",
];

#[test]
fn fuzz_parse_authorization() {
    let seeds: Vec<Vec<u8>> = requests()
        .iter()
        .map(|r| r.authorization().as_bytes().to_vec())
        .collect();
    let report = mutator::run("sign-parse-authorization", &seeds, DICT, |input| {
        let text = String::from_utf8_lossy(input);
        if let Ok(auth) = parse_authorization(&text) {
            assert!(!auth.access_key.is_empty());
            assert!(!auth.signature.is_empty());
            assert!(!auth.signed_headers.is_empty());
        }
    });
    assert!(report.executions > seeds.len() as u64);
}

/// A mutated Authorization header verifies only when it still lists the
/// same signed headers and signature (the parser trims whitespace and
/// lowercases header names, so such mutations exist).
#[test]
fn fuzz_verify_mutated_authorization() {
    let reqs = requests();
    for r in &reqs {
        assert!(
            r.verifies(r.authorization()),
            "the unmutated request verifies"
        );
    }
    let seeds: Vec<Vec<u8>> = reqs
        .iter()
        .map(|r| r.authorization().as_bytes().to_vec())
        .collect();
    let mut i = 0usize;
    mutator::run("sign-verify-authorization", &seeds, DICT, |input| {
        i += 1;
        let r = &reqs[i % reqs.len()];
        let text = String::from_utf8_lossy(input);
        if r.verifies(&text) {
            let (Ok(got), Ok(want)) = (
                parse_authorization(&text),
                parse_authorization(r.authorization()),
            ) else {
                panic!("verified without parsing");
            };
            // The access key is not covered by the signature (the server
            // picks the secret by it), and hex is case-insensitive; the
            // signed header list and the signature bytes must be the same.
            assert_eq!(got.signed_headers, want.signed_headers, "{text:?}");
            assert_eq!(
                got.signature.to_ascii_lowercase(),
                want.signature,
                "a different signature verified: {text:?}"
            );
        }
    });
}

/// Mutating anything the signature covers (body, path, a signed header's
/// value) breaks verification; nothing panics.
#[test]
fn fuzz_verify_mutated_request() {
    let reqs = requests();
    let seeds: Vec<Vec<u8>> = reqs.iter().map(|r| r.body.clone()).collect();
    let mut i = 0usize;
    mutator::run("sign-verify-request", &seeds, DICT, |input| {
        i += 1;
        // Every request gets each of the three kinds of mutation.
        let r = &reqs[(i / 3) % reqs.len()];
        let text = String::from_utf8_lossy(input).into_owned();
        let auth = r.authorization().to_owned();
        let mutated = match i % 3 {
            0 => Signed {
                body: input.to_vec(),
                ..r.clone_parts()
            },
            1 => Signed {
                path: text.clone(),
                ..r.clone_parts()
            },
            _ => {
                let mut s = r.clone_parts();
                if let Some(h) = s.headers.iter_mut().find(|(k, _)| k == "X-Project-Id") {
                    h.1 = text.clone();
                }
                s
            }
        };
        let unchanged = match i % 3 {
            0 => input == r.body.as_slice(),
            1 => text == r.path,
            // Header values are trimmed before signing.
            _ => text.trim() == "0123456789abcdef",
        };
        if mutated.verifies(&auth) {
            assert!(unchanged, "a changed request verified: {text:?}");
        }
    });
}

impl Signed {
    fn clone_parts(&self) -> Signed {
        Signed {
            method: self.method.clone(),
            host: self.host.clone(),
            path: self.path.clone(),
            query: self.query.clone(),
            headers: self.headers.clone(),
            body: self.body.clone(),
        }
    }
}
