//! [`spawn`] and [`Running`]: serve [`crate::app`] on a socket with hyper
//! directly, one task per connection, so a drop fault can close a connection
//! without any HTTP answer (see [`crate::edge::ConnectionDrop`]).

use std::net::SocketAddr;

use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

use crate::edge::ConnectionDrop;
use crate::{AppState, Config, Error, app};

/// A running emulator.
#[derive(Debug)]
pub struct Running {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base_url: String,
    /// The bound address.
    pub local_addr: SocketAddr,
    /// DWS cluster ids known at start.
    pub dws_clusters: Vec<String>,
    /// CSS cluster ids known at start.
    pub css_clusters: Vec<String>,
    /// The shared state (for in-process inspection).
    pub state: AppState,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Running {
    /// Stops accepting, closes open connections and waits for the server task.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// Binds `config.listen` and serves the emulator in a tokio task. A
/// non-loopback address is refused ([`Error::Remote`]) unless
/// `config.allow_remote`.
pub async fn spawn(config: Config) -> Result<Running, Error> {
    if !config.allow_remote && !config.listen.ip().to_canonical().is_loopback() {
        return Err(Error::Remote {
            addr: config.listen,
        });
    }
    let state = AppState::new(&config)?;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| Error::Bind {
            addr: config.listen,
            source,
        })?;
    let local_addr = listener.local_addr().map_err(|source| Error::Bind {
        addr: config.listen,
        source,
    })?;
    let (dws_clusters, css_clusters) = {
        let e = state.lock();
        let ids = |s| {
            e.clusters
                .iter()
                .filter(|c| c.service == s)
                .map(|c| c.id.clone())
                .collect::<Vec<_>>()
        };
        (
            ids(crate::model::Service::Dws),
            ids(crate::model::Service::Css),
        )
    };
    let (stop, stopped) = oneshot::channel();
    let task = tokio::spawn(serve(listener, app(state.clone()), stopped));
    Ok(Running {
        base_url: format!("http://{local_addr}"),
        local_addr,
        dws_clusters,
        css_clusters,
        state,
        stop,
        task,
    })
}

async fn serve(listener: TcpListener, router: axum::Router, mut stopped: oneshot::Receiver<()>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    connections.spawn(serve_connection(stream, router.clone()));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

async fn serve_connection(stream: tokio::net::TcpStream, router: axum::Router) {
    let drop = ConnectionDrop::default();
    let signal = drop.0.clone();
    let service = hyper::service::service_fn(move |mut req: http::Request<Incoming>| {
        req.extensions_mut().insert(drop.clone());
        router.clone().oneshot(req.map(axum::body::Body::new))
    });
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        result = connection => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        }
        () = signal.notified() => {
            tracing::info!("fault injection: closing the connection without an answer");
            // Dropping the connection future closes the socket.
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn raw(addr: SocketAddr, request: &str) -> String {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(request.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.unwrap();
        String::from_utf8_lossy(&out).into_owned()
    }

    #[tokio::test]
    async fn serves_over_a_socket_and_drops_connections() {
        let running = spawn(Config::default()).await.unwrap();
        assert!(running.base_url.starts_with("http://127.0.0.1:"));
        assert_eq!(running.dws_clusters, Config::default().dws_clusters);
        let addr = running.local_addr;
        let state = raw(
            addr,
            "GET /_emulator/state HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await;
        assert!(state.starts_with("HTTP/1.1 200"), "{state}");
        assert!(state.contains(&running.css_clusters[0]));

        let unsigned = raw(
            addr,
            "GET /v3/projects HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await;
        assert!(unsigned.starts_with("HTTP/1.1 401"), "{unsigned}");
        assert!(unsigned.contains("APIGW.0301"));

        let fault = r#"{"path":"^/v3/projects$","kind":"drop_before","count":1}"#;
        let post = format!(
            "POST /_emulator/faults HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{fault}",
            fault.len()
        );
        assert!(raw(addr, &post).await.starts_with("HTTP/1.1 200"));
        let dropped = raw(
            addr,
            "GET /v3/projects HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await;
        assert_eq!(dropped, "", "the connection must close without any answer");
        let after = raw(
            addr,
            "GET /v3/projects HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await;
        assert!(
            after.starts_with("HTTP/1.1 401"),
            "the rule expired after one hit"
        );

        running.shutdown().await;
        assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    }

    #[tokio::test]
    async fn drop_after_creates_the_snapshot_but_sends_nothing() {
        let running = spawn(Config {
            create_seconds: 0.0,
            ..Config::default()
        })
        .await
        .unwrap();
        let addr = running.local_addr;
        install(
            addr,
            r#"{"path":"/snapshots$","method":"POST","kind":"drop_after","count":1}"#,
        )
        .await;
        let path = format!("/v1.0/{}/snapshots", crate::testutil::PID);
        let body = format!(
            r#"{{"snapshot":{{"name":"lost-answer","cluster_id":"{}"}}}}"#,
            running.dws_clusters[0]
        );
        let text = signed_text(addr, "POST", &path, &body);
        assert_eq!(raw(addr, &text).await, "", "no answer at all");
        let snapshots = running.state.lock().snapshots.clone();
        assert_eq!(snapshots.len(), 1);
        assert_eq!(snapshots[0].name, "lost-answer");
        running.shutdown().await;
    }

    /// A signed cloud request as raw HTTP/1.1 text (with `Connection: close`).
    fn signed_text(addr: SocketAddr, method: &'static str, path: &str, body: &str) -> String {
        let host = addr.to_string();
        let headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
        let req = hwsnap_sign::Request {
            method,
            host: &host,
            path,
            query: &[],
            headers: &headers,
            body: body.as_bytes(),
        };
        let mut text = format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        for (n, v) in hwsnap_sign::sign(
            &req,
            &crate::testutil::creds(),
            time::OffsetDateTime::now_utc(),
        ) {
            text.push_str(&format!("{n}: {v}\r\n"));
        }
        text.push_str("\r\n");
        text.push_str(body);
        text
    }

    async fn install(addr: SocketAddr, rule: &str) {
        let post = format!(
            "POST /_emulator/faults HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{rule}",
            rule.len()
        );
        assert!(raw(addr, &post).await.starts_with("HTTP/1.1 200"));
    }

    /// Sends `request` and reads for `wait`: what arrived, and whether the
    /// server closed the connection.
    async fn read_for(
        addr: SocketAddr,
        request: &str,
        wait: std::time::Duration,
    ) -> (Vec<u8>, bool) {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(request.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        let closed = tokio::time::timeout(wait, s.read_to_end(&mut out))
            .await
            .is_ok();
        (out, closed)
    }

    #[tokio::test]
    async fn hang_before_reads_but_never_answers_or_acts_and_hang_after_acts() {
        let running = spawn(Config {
            create_seconds: 0.0,
            ..Config::default()
        })
        .await
        .unwrap();
        let addr = running.local_addr;
        let path = format!("/v1.0/{}/snapshots", crate::testutil::PID);
        let body = |name: &str| {
            format!(
                r#"{{"snapshot":{{"name":"{name}","cluster_id":"{}"}}}}"#,
                running.dws_clusters[0]
            )
        };
        let wait = std::time::Duration::from_millis(600);
        install(
            addr,
            r#"{"path":"/snapshots$","method":"POST","kind":"hang_before","count":1}"#,
        )
        .await;
        let (got, closed) =
            read_for(addr, &signed_text(addr, "POST", &path, &body("hung")), wait).await;
        assert!(
            got.is_empty() && !closed,
            "no answer, connection open: {got:?} {closed}"
        );
        assert!(
            running.state.lock().snapshots.is_empty(),
            "hang_before does not act"
        );

        install(
            addr,
            r#"{"path":"/snapshots$","method":"POST","kind":"hang_after","count":1}"#,
        )
        .await;
        let (got, closed) = read_for(
            addr,
            &signed_text(addr, "POST", &path, &body("acted")),
            wait,
        )
        .await;
        assert!(
            got.is_empty() && !closed,
            "no answer, connection open: {got:?} {closed}"
        );
        let names: Vec<_> = running
            .state
            .lock()
            .snapshots
            .iter()
            .map(|s| s.name.clone())
            .collect();
        assert_eq!(names, ["acted"], "hang_after acts");

        let log = running.state.lock().requests().to_vec();
        let seen: Vec<_> = log.iter().map(|e| (e.status, e.fault)).collect();
        use crate::fault::FaultKind;
        assert_eq!(
            seen,
            [
                (0, Some(FaultKind::HangBefore)),
                (200, Some(FaultKind::HangAfter))
            ]
        );
        // The rules expired: the next create is answered.
        let (got, _) = read_for(
            addr,
            &signed_text(addr, "POST", &path, &body("answered")),
            wait * 5,
        )
        .await;
        assert!(
            got.starts_with(b"HTTP/1.1 200"),
            "{}",
            String::from_utf8_lossy(&got)
        );
        // Shutting down ends hung connections too.
        tokio::time::timeout(std::time::Duration::from_secs(5), running.shutdown())
            .await
            .expect("shutdown does not wait for hung requests");
    }

    #[tokio::test]
    async fn huge_body_without_content_length_is_chunked_on_the_wire() {
        let running = spawn(Config::default()).await.unwrap();
        let addr = running.local_addr;
        install(
            addr,
            r#"{"path":"^/v3/","kind":"huge_body","bytes":100000,"content_length":false}"#,
        )
        .await;
        let text = raw(
            addr,
            "GET /v3/projects HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await;
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let head = head.to_ascii_lowercase();
        assert!(head.starts_with("http/1.1 500"), "{head}");
        assert!(head.contains("transfer-encoding: chunked"), "{head}");
        assert!(!head.contains("content-length"), "{head}");
        assert!(body.len() > 100_000, "chunk framing around 100000 bytes");
        running.shutdown().await;
    }

    #[tokio::test]
    async fn refuses_a_non_loopback_address_unless_allowed() {
        let any: SocketAddr = "0.0.0.0:0".parse().unwrap();
        let err = spawn(Config {
            listen: any,
            ..Config::default()
        })
        .await
        .unwrap_err();
        assert!(
            matches!(err, Error::Remote { addr } if addr == any),
            "{err}"
        );
        assert!(err.to_string().contains("--allow-remote"), "{err}");
        let running = spawn(Config {
            listen: any,
            allow_remote: true,
            ..Config::default()
        })
        .await
        .unwrap();
        running.shutdown().await;
        for loopback in ["127.0.0.1:0", "127.0.0.2:0"] {
            let running = spawn(Config {
                listen: loopback.parse().unwrap(),
                ..Config::default()
            })
            .await
            .unwrap();
            running.shutdown().await;
        }
        // An IPv4-mapped loopback address counts as loopback.
        let mapped: SocketAddr = "[::ffff:127.0.0.1]:0".parse().unwrap();
        if let Err(e) = spawn(Config {
            listen: mapped,
            ..Config::default()
        })
        .await
        {
            assert!(matches!(e, Error::Bind { .. }), "refused as remote: {e}");
        }
    }
}
