//! Listening and accepting: a unix socket in a private directory of
//! `$TMPDIR` (TCP on 127.0.0.1 inside `PLUGIN_MIN_PORT..=PLUGIN_MAX_PORT` as
//! a fallback), the guard that removes the socket and its directory, and the
//! accept loop that runs TLS handshakes off the accept path and hands
//! finished connections to tonic, counting the open ones so a requested
//! shutdown exits the moment Terraform hangs up.
//!
//! The socket's directory is created fresh with mode 0700 and the socket
//! itself is set to 0600, so no other user of the machine can connect, even
//! in the moment before the mode is set or when TLS is off.

use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_stream::wrappers::ReceiverStream;

use crate::handshake::ListenAddr;

/// go-plugin's default port range when `PLUGIN_MIN_PORT`/`MAX` are unset.
pub const DEFAULT_PORT_RANGE: (u16, u16) = (10000, 25000);

/// How long one client may take to finish its TLS handshake.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A bound listener of either kind.
#[derive(Debug)]
pub enum Listener {
    /// Unix domain socket.
    Unix(UnixListener),
    /// TCP socket on loopback.
    Tcp(TcpListener),
}

/// Removes a unix socket file when dropped.
#[derive(Debug)]
pub struct SocketGuard {
    path: Option<PathBuf>,
}

impl SocketGuard {
    /// Guards `path` (`None` guards nothing, for TCP).
    pub fn new(path: Option<PathBuf>) -> Self {
        Self { path }
    }
}

impl Drop for SocketGuard {
    fn drop(&mut self) {
        if let Some(path) = &self.path {
            remove_socket(path);
        }
    }
}

/// The prefix of the private directory a socket is made in.
const SOCKET_DIR_PREFIX: &str = "hwsnap-plugin-";

/// Removes a socket file, and the private directory [`bind_unix`] made for
/// it; a file or directory already gone is fine.
pub fn remove_socket(path: &Path) {
    if let Err(err) = std::fs::remove_file(path)
        && err.kind() != io::ErrorKind::NotFound
    {
        tracing::warn!(path = %path.display(), error = %err, "could not remove the plugin socket");
    }
    let ours = path.parent().filter(|dir| {
        dir.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with(SOCKET_DIR_PREFIX))
    });
    if let Some(dir) = ours
        && let Err(err) = std::fs::remove_dir(dir)
        && err.kind() != io::ErrorKind::NotFound
    {
        tracing::warn!(path = %dir.display(), error = %err, "could not remove the plugin socket directory");
    }
}

/// Binds a fresh `plugin<N>` socket in `dir`; on failure falls back to TCP.
pub fn bind(dir: &Path, ports: (u16, u16)) -> io::Result<(Listener, ListenAddr)> {
    match bind_unix(dir) {
        Ok((listener, path)) => Ok((Listener::Unix(listener), ListenAddr::Unix(path))),
        Err(err) => {
            tracing::debug!(error = %err, "unix socket unavailable, falling back to TCP");
            let (listener, addr) = bind_tcp(ports)?;
            Ok((Listener::Tcp(listener), ListenAddr::Tcp(addr)))
        }
    }
}

/// Binds a unix socket named `plugin<random digits>` in a fresh private
/// directory `hwsnap-plugin-<random>` of `dir`: created with mode 0700 (and
/// refused if the name exists, so nobody can have prepared it), the socket
/// set to 0600 right after binding. The private directory makes the short
/// window before that `chmod` harmless.
pub fn bind_unix(dir: &Path) -> io::Result<(UnixListener, PathBuf)> {
    let private = private_dir(dir)?;
    let path = private.join(format!("plugin{}", socket_suffix(0)));
    let bound = UnixListener::bind(&path).and_then(|listener| {
        set_mode(&path, 0o600)?;
        Ok(listener)
    });
    match bound {
        Ok(listener) => Ok((listener, path)),
        Err(err) => {
            remove_socket(&path);
            Err(err)
        }
    }
}

/// Creates `dir/hwsnap-plugin-<random>` with mode 0700, retrying on a name
/// already taken.
fn private_dir(dir: &Path) -> io::Result<PathBuf> {
    let mut last_err = io::Error::other("no directory name tried");
    for attempt in 0..16_u32 {
        let path = dir.join(format!("{SOCKET_DIR_PREFIX}{:010}", socket_suffix(attempt)));
        let mut builder = std::fs::DirBuilder::new();
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        match builder.create(&path) {
            // The umask can only take bits away; set it exactly anyway.
            Ok(()) => return set_mode(&path, 0o700).map(|()| path),
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => last_err = err,
            Err(err) => return Err(err),
        }
    }
    Err(last_err)
}

fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

fn socket_suffix(attempt: u32) -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default();
    let pid = u64::from(std::process::id());
    (nanos ^ (pid << 32) ^ u64::from(attempt).wrapping_mul(0x9e37_79b9_7f4a_7c15)) % 10_000_000_000
}

/// Binds the first free port on 127.0.0.1 within `min..=max`.
pub fn bind_tcp((min, max): (u16, u16)) -> io::Result<(TcpListener, std::net::SocketAddr)> {
    for port in min..=max {
        let Ok(std_listener) = std::net::TcpListener::bind(("127.0.0.1", port)) else {
            continue;
        };
        std_listener.set_nonblocking(true)?;
        let listener = TcpListener::from_std(std_listener)?;
        let addr = listener.local_addr()?;
        return Ok((listener, addr));
    }
    Err(io::Error::new(
        io::ErrorKind::AddrNotAvailable,
        format!("no free TCP port on 127.0.0.1 in {min}..={max}"),
    ))
}

/// Reads `PLUGIN_MIN_PORT`/`PLUGIN_MAX_PORT` values, defaulting each.
pub fn port_range(min: Option<&str>, max: Option<&str>) -> (u16, u16) {
    let parse =
        |v: Option<&str>, default: u16| v.and_then(|s| s.trim().parse().ok()).unwrap_or(default);
    (
        parse(min, DEFAULT_PORT_RANGE.0),
        parse(max, DEFAULT_PORT_RANGE.1),
    )
}

/// Anything a connection can be: plain or TLS, unix or TCP.
trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for T {}

/// Open connections and whether the process should end once none is left.
///
/// go-plugin's client calls `Shutdown`, then closes its connection, then
/// waits for the process to exit. Exiting when the last connection closes
/// (instead of after a fixed delay) means the reply has been read, and no
/// time is spent sleeping: Terraform starts a provider three or four times
/// per command, and waits for each one to end.
#[derive(Debug, Default)]
pub struct Connections {
    open: AtomicUsize,
    exit_when_idle: AtomicBool,
}

impl Connections {
    /// A new counter with no connection open.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Marks the process for exit once no connection is open; true when none
    /// is open already (the caller exits at once).
    pub fn exit_when_idle(&self) -> bool {
        self.exit_when_idle.store(true, Ordering::SeqCst);
        self.open.load(Ordering::SeqCst) == 0
    }

    fn track(self: &Arc<Self>) -> Tracked {
        self.open.fetch_add(1, Ordering::SeqCst);
        Tracked(self.clone())
    }
}

/// One open connection, counted in [`Connections`] until dropped.
struct Tracked(Arc<Connections>);

impl Drop for Tracked {
    fn drop(&mut self) {
        let was = self.0.open.fetch_sub(1, Ordering::SeqCst);
        if was == 1 && self.0.exit_when_idle.load(Ordering::SeqCst) {
            std::process::exit(0);
        }
    }
}

/// One accepted (and, with TLS, authenticated) connection.
pub struct Conn {
    io: Pin<Box<dyn Io>>,
    _tracked: Tracked,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Conn")
    }
}

impl tonic::transport::server::Connected for Conn {
    type ConnectInfo = ();

    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.io.as_mut().poll_read(cx, buf)
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.io.as_mut().poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.as_mut().poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.as_mut().poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io.as_mut().poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

/// Starts the accept loop and returns the stream of ready connections.
/// With `tls`, each handshake runs in its own task; clients that fail it
/// (no certificate, the wrong one, a timeout) are dropped and logged, never
/// handed to gRPC. Every connection handed out is counted in `connections`
/// until it closes.
pub fn incoming(
    listener: Listener,
    tls: Option<TlsAcceptor>,
    connections: Arc<Connections>,
) -> ReceiverStream<Result<Conn, io::Error>> {
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            let accepted = match &listener {
                Listener::Unix(l) => l
                    .accept()
                    .await
                    .map(|(s, _)| Box::pin(s) as Pin<Box<dyn Io>>),
                Listener::Tcp(l) => l.accept().await.map(|(s, _)| {
                    let _ = s.set_nodelay(true);
                    Box::pin(s) as Pin<Box<dyn Io>>
                }),
            };
            let stream = match accepted {
                Ok(stream) => stream,
                Err(err) => {
                    tracing::warn!(error = %err, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            };
            if tx.is_closed() {
                break;
            }
            match &tls {
                None => {
                    let conn = Conn {
                        io: stream,
                        _tracked: connections.track(),
                    };
                    if tx.send(Ok(conn)).await.is_err() {
                        break;
                    }
                }
                Some(acceptor) => {
                    let acceptor = acceptor.clone();
                    let tx = tx.clone();
                    let connections = connections.clone();
                    tokio::spawn(async move {
                        let handshake =
                            tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream))
                                .await;
                        match handshake {
                            Ok(Ok(tls_stream)) => {
                                let conn = Conn {
                                    io: Box::pin(tls_stream),
                                    _tracked: connections.track(),
                                };
                                let _ = tx.send(Ok(conn)).await;
                            }
                            Ok(Err(err)) => {
                                tracing::warn!(error = %err, "TLS handshake refused");
                            }
                            Err(_) => tracing::warn!("TLS handshake timed out"),
                        }
                    });
                }
            }
        }
    });
    ReceiverStream::new(rx)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[tokio::test]
    async fn unix_socket_is_private_named_plugin_and_guard_removes_it() {
        let dir = tempfile::tempdir().unwrap();
        let (listener, addr) = bind(dir.path(), DEFAULT_PORT_RANGE).unwrap();
        let ListenAddr::Unix(path) = addr else {
            panic!("expected a unix socket, got {addr:?}");
        };
        assert!(matches!(listener, Listener::Unix(_)));
        assert!(path.starts_with(dir.path()));
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        assert!(name.starts_with("plugin"), "{name}");
        assert!(name[6..].chars().all(|c| c.is_ascii_digit()), "{name}");
        let private = path.parent().unwrap();
        assert_eq!(private.parent(), Some(dir.path()));
        assert_eq!(mode(private), 0o700, "the socket's directory is private");
        assert_eq!(mode(&path), 0o600, "the socket is private");
        {
            use std::os::unix::fs::FileTypeExt;
            assert!(std::fs::metadata(&path).unwrap().file_type().is_socket());
        }
        // It still accepts its owner.
        let _client = tokio::net::UnixStream::connect(&path).await.unwrap();
        drop(SocketGuard::new(Some(path.clone())));
        assert!(!path.exists());
        assert!(!private.exists(), "the private directory goes too");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[tokio::test]
    async fn each_socket_gets_its_own_directory() {
        let dir = tempfile::tempdir().unwrap();
        let (_a, a) = bind_unix(dir.path()).unwrap();
        let (_b, b) = bind_unix(dir.path()).unwrap();
        assert_ne!(a.parent(), b.parent());
        remove_socket(&a);
        assert!(b.exists(), "removing one leaves the other");
        remove_socket(&b);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn removing_a_socket_outside_a_private_directory_keeps_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plugin1");
        std::fs::write(&file, b"").unwrap();
        remove_socket(&file);
        assert!(!file.exists());
        assert!(dir.path().exists());
    }

    #[tokio::test]
    async fn missing_directory_falls_back_to_tcp_in_range() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("does-not-exist");
        let (listener, addr) = bind(&missing, (31000, 31100)).unwrap();
        assert!(matches!(listener, Listener::Tcp(_)));
        let ListenAddr::Tcp(sock) = addr else {
            panic!("expected tcp, got {addr:?}");
        };
        assert!(sock.ip().is_loopback());
        assert!((31000..=31100).contains(&sock.port()));
    }

    #[tokio::test]
    async fn tcp_skips_ports_in_use() {
        let (_held, first) = bind_tcp((0, 0)).unwrap();
        let port = first.port();
        let (_l, second) = bind_tcp((port, port.saturating_add(50))).unwrap();
        assert_ne!(second.port(), port);
    }

    #[test]
    fn port_range_defaults_and_parses() {
        assert_eq!(port_range(None, None), DEFAULT_PORT_RANGE);
        assert_eq!(port_range(Some("12000"), Some(" 12010")), (12000, 12010));
        assert_eq!(port_range(Some("x"), None), DEFAULT_PORT_RANGE);
    }

    #[test]
    fn removing_a_missing_socket_is_quiet() {
        let dir = tempfile::tempdir().unwrap();
        remove_socket(&dir.path().join("gone"));
    }
}
