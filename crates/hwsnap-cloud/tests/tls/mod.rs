//! TLS: certificates are verified by default, and `insecure` skips it.
//! A one-shot HTTPS server with a throwaway self-signed certificate answers
//! the IAM project lookup.

use std::sync::Arc;
use std::time::Duration;

use hwsnap_cloud::{CancellationToken, Client, Config, Endpoints, Error, RetryTiming, Scope};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const BODY: &str = r#"{"projects":[{"id":"tls-project","name":"ap-southeast-1","enabled":true}]}"#;

/// Serves HTTPS on 127.0.0.1 until the task is dropped; returns the base URL.
async fn serve_self_signed()
-> Result<(String, tokio::task::JoinHandle<()>), Box<dyn std::error::Error>> {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])?;
    let cert = certified.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::try_from(certified.signing_key.serialize_der())?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)?;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let task = tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut seen = Vec::new();
                let mut buf = [0u8; 4096];
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{BODY}",
                    BODY.len()
                );
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    Ok((format!("https://localhost:{port}"), task))
}

fn config(base: &str, insecure: bool) -> Config {
    let mut config = Config::new("ap-southeast-1", hwsnap_sign::Credentials::new("AK", "SK"));
    config.endpoints = Endpoints {
        dws: Some(base.to_owned()),
        css: Some(base.to_owned()),
        iam: Some(base.to_owned()),
    };
    config.insecure = insecure;
    config.max_retries = 1;
    config.retry = RetryTiming::fast();
    config.request_timeout = Duration::from_secs(10);
    config
}

#[tokio::test]
async fn self_signed_certificate_is_refused_by_default() -> TestResult {
    let (base, server) = serve_self_signed().await?;
    let client = Client::new(config(&base, false))?;
    let err = client
        .project_id(&Scope::new(CancellationToken::new()))
        .await
        .err();
    server.abort();
    assert!(matches!(err, Some(Error::Certificate { .. })), "{err:?}");
    let text = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(text.to_ascii_lowercase().contains("certificate"), "{text}");
    Ok(())
}

#[tokio::test]
async fn insecure_skips_verification() -> TestResult {
    let (base, server) = serve_self_signed().await?;
    let client = Client::new(config(&base, true))?;
    let project = client
        .project_id(&Scope::new(CancellationToken::new()))
        .await;
    server.abort();
    assert_eq!(project?, "tls-project");
    Ok(())
}
