//! A local HTTP/1.1 server of the test's own making, answering each request
//! as the test says: a normal answer, never (a hanging cloud), a body
//! dripped slowly, an endless body, a dropped connection. It records what it
//! received and how many bytes it managed to send.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hwsnap_cloud::{CancellationToken, Config, Credentials, Endpoints, RetryTiming, Scope};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The security token every stub test signs with; it must never travel
/// anywhere it should not.
pub const TOKEN: &str = "TOKEN-THAT-MUST-STAY-HOME";

/// One request as the stub read it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What to do with a request.
pub enum Act {
    /// Read it, then never answer (the connection stays open).
    Hang,
    /// Send these bytes (a whole HTTP answer) and close.
    Reply(Vec<u8>),
    /// Read it, then close the connection without a word.
    Close,
    /// Send `head`, then `body` one byte every `every`.
    Drip {
        head: Vec<u8>,
        body: Vec<u8>,
        every: Duration,
    },
    /// Send `head`, then `chunk` again and again until `limit` bytes of body
    /// are out (or the client goes away).
    Stream {
        head: Vec<u8>,
        chunk: Vec<u8>,
        limit: u64,
    },
}

type Decide = dyn Fn(&Seen, usize) -> Act + Send + Sync;

/// A running stub; dropping it stops it.
pub struct Stub {
    pub base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    written: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Stub {
    /// Serves on 127.0.0.1:0; `decide` gets each request and its index
    /// (0-based, in arrival order).
    pub async fn serve(decide: impl Fn(&Seen, usize) -> Act + Send + Sync + 'static) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a local port");
        let port = listener.local_addr().expect("local address").port();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let written = Arc::new(AtomicU64::new(0));
        let decide: Arc<Decide> = Arc::new(decide);
        let (s, w) = (seen.clone(), written.clone());
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (seen, written, decide) = (s.clone(), w.clone(), decide.clone());
                tokio::spawn(async move { handle(tcp, seen, written, decide).await });
            }
        });
        Stub {
            base: format!("http://127.0.0.1:{port}"),
            seen,
            written,
            task,
        }
    }

    /// The requests received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// Body bytes sent so far by `Stream` and `Drip` answers.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::SeqCst)
    }
}

async fn handle(
    mut tcp: TcpStream,
    seen: Arc<Mutex<Vec<Seen>>>,
    written: Arc<AtomicU64>,
    decide: Arc<Decide>,
) {
    let Some(request) = read_request(&mut tcp).await else {
        return;
    };
    let index = {
        let Ok(mut all) = seen.lock() else { return };
        all.push(request.clone());
        all.len() - 1
    };
    match decide(&request, index) {
        Act::Hang => std::future::pending::<()>().await,
        Act::Close => {}
        Act::Reply(bytes) => {
            let _ = tcp.write_all(&bytes).await;
            let _ = tcp.shutdown().await;
        }
        Act::Drip { head, body, every } => {
            if tcp.write_all(&head).await.is_err() {
                return;
            }
            for byte in body {
                tokio::time::sleep(every).await;
                if tcp.write_all(&[byte]).await.is_err() {
                    return;
                }
                written.fetch_add(1, Ordering::SeqCst);
            }
        }
        Act::Stream { head, chunk, limit } => {
            if tcp.write_all(&head).await.is_err() {
                return;
            }
            let mut sent = 0u64;
            while sent < limit {
                if tcp.write_all(&chunk).await.is_err() {
                    return;
                }
                sent += chunk.len() as u64;
                written.fetch_add(chunk.len() as u64, Ordering::SeqCst);
            }
        }
    }
}

async fn read_request(tcp: &mut TcpStream) -> Option<Seen> {
    let mut buf = Vec::new();
    let mut piece = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = tcp.read(&mut piece).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&piece[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let path = first.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = tcp.read(&mut piece).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&piece[..n]);
    }
    Some(Seen {
        method,
        path,
        headers,
        body,
    })
}

/// A whole answer: status line, the given headers, `Content-Length`,
/// `Connection: close`, and `body`.
pub fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} Stub\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!(
        "Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    out.into_bytes()
}

/// [`answer`] with a JSON body and no extra headers.
pub fn json(status: u16, body: &str) -> Act {
    Act::Reply(answer(status, &[], body))
}

/// A client configuration for `base`: every endpoint there, a known project
/// (no IAM lookup), temporary credentials with [`TOKEN`], fast retries.
pub fn config(base: &str) -> Config {
    let mut config = Config::new(
        "ap-southeast-1",
        Credentials::new("AK", "SK").with_security_token(TOKEN),
    );
    config.endpoints = Endpoints {
        dws: Some(base.to_owned()),
        css: Some(base.to_owned()),
        iam: Some(base.to_owned()),
    };
    config.project_id = Some("p".to_owned());
    config.retry = RetryTiming::fast();
    config.max_retries = 2;
    config
}

/// A scope without a deadline.
pub fn open_scope() -> Scope {
    Scope::new(CancellationToken::new())
}

/// A scope ending `secs` from now.
pub fn scope_for(secs: u64) -> Scope {
    open_scope().with_deadline(tokio::time::Instant::now() + Duration::from_secs(secs))
}
