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

/// Binds `config.listen` and serves the emulator in a tokio task.
pub async fn spawn(config: Config) -> Result<Running, Error> {
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
        let fault = r#"{"path":"/snapshots$","method":"POST","kind":"drop_after","count":1}"#;
        let post = format!(
            "POST /_emulator/faults HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{fault}",
            fault.len()
        );
        assert!(raw(addr, &post).await.starts_with("HTTP/1.1 200"));

        let path = format!("/v1.0/{}/snapshots", crate::testutil::PID);
        let body = format!(
            r#"{{"snapshot":{{"name":"lost-answer","cluster_id":"{}"}}}}"#,
            running.dws_clusters[0]
        );
        let host = addr.to_string();
        let headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
        let req = hwsnap_sign::Request {
            method: "POST",
            host: &host,
            path: &path,
            query: &[],
            headers: &headers,
            body: body.as_bytes(),
        };
        let mut text = format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
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
        text.push_str(&body);
        assert_eq!(raw(addr, &text).await, "", "no answer at all");
        let snapshots = running.state.lock().snapshots.clone();
        assert_eq!(snapshots.len(), 1);
        assert_eq!(snapshots[0].name, "lost-answer");
        running.shutdown().await;
    }
}
