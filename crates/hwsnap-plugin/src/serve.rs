//! The public entry points: [`run`] for a provider binary's `main`, and
//! [`serve`] which does the go-plugin dance (check, listen, print the
//! handshake line, serve gRPC until Terraform says Shutdown).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tokio_rustls::TlsAcceptor;
use tonic::transport::Server;

use crate::controller::{Controller, ShutdownAction};
use crate::handshake::{self, HandshakeError, ListenAddr};
use crate::listener::{self, Connections, SocketGuard};
use crate::proto::plugin::grpc_controller_server::GrpcControllerServer;
use crate::proto::plugin::grpc_stdio_server::GrpcStdioServer;
use crate::proto::tfplugin6::provider_server::{Provider, ProviderServer};
use crate::stdio::Stdio;
use crate::tls::{self, ServerIdentity, TlsError};

/// The name go-plugin health-checks.
pub const HEALTH_SERVICE: &str = "plugin";

/// How long after answering `Shutdown` the process exits even if the
/// client keeps its connection open (go-plugin closes it at once, and the
/// process exits then).
const EXIT_FALLBACK: Duration = Duration::from_millis(250);

/// What to serve and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeOptions {
    /// The provider's source address, e.g. `registry.terraform.io/hwsnap/dws`
    /// (used in the debug-mode `TF_REATTACH_PROVIDERS` line).
    pub provider_address: String,
    /// Debug mode: plaintext, no cookie, print `TF_REATTACH_PROVIDERS`,
    /// run until Ctrl-C.
    pub debug: bool,
}

/// Why serving failed.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Cookie or protocol version check failed.
    #[error(transparent)]
    Handshake(#[from] HandshakeError),
    /// Server certificate or TLS configuration failed.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// Neither a unix socket nor a TCP port could be bound.
    #[error("could not listen for Terraform: {0}")]
    Listen(#[source] std::io::Error),
    /// The handshake line could not be written.
    #[error("could not write the handshake to stdout: {0}")]
    Stdout(#[source] std::io::Error),
    /// The gRPC server stopped with an error.
    #[error("the gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// The process environment go-plugin communicates through.
#[derive(Debug, Clone, Default)]
struct PluginEnv {
    cookie: Option<String>,
    protocol_versions: Option<String>,
    client_cert: Option<String>,
    /// `TF_DISABLE_PLUGIN_TLS` was set (then `client_cert` is `None`).
    tls_disabled: bool,
    ports: (u16, u16),
    tmp_dir: PathBuf,
}

impl PluginEnv {
    fn from_process() -> Self {
        let var = |k: &str| std::env::var(k).ok();
        let tls_disabled = var("TF_DISABLE_PLUGIN_TLS").is_some_and(|v| !v.is_empty());
        let client_cert = if tls_disabled {
            None
        } else {
            var("PLUGIN_CLIENT_CERT").filter(|v| !v.trim().is_empty())
        };
        Self {
            cookie: var(handshake::MAGIC_COOKIE_KEY),
            protocol_versions: var("PLUGIN_PROTOCOL_VERSIONS"),
            client_cert,
            tls_disabled,
            ports: listener::port_range(
                var("PLUGIN_MIN_PORT").as_deref(),
                var("PLUGIN_MAX_PORT").as_deref(),
            ),
            tmp_dir: std::env::temp_dir(),
        }
    }
}

/// Everything a provider binary's `main` needs: parses `--debug`, `--help`
/// and `--version`, checks the cookie, initialises logging, builds the tokio
/// runtime and serves. Returns the process exit code (1 on any failure, with
/// a human message on stderr).
pub fn run<P, F>(make_provider: F, provider_address: &str) -> ExitCode
where
    F: FnOnce() -> P,
    P: Provider,
{
    let program = std::env::args()
        .next()
        .map(PathBuf::from)
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "terraform-provider".to_owned());
    let mut debug = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--debug" | "-debug" => debug = true,
            "-h" | "--help" | "-help" => {
                println!("{}", help_text(&program, provider_address));
                return ExitCode::SUCCESS;
            }
            "-v" | "--version" | "-version" => {
                println!("{program} {}", env!("CARGO_PKG_VERSION"));
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("{program}: unknown argument {other:?}; see --help");
                return ExitCode::from(2);
            }
        }
    }
    if !debug
        && let Err(err) =
            handshake::check_cookie(std::env::var(handshake::MAGIC_COOKIE_KEY).ok().as_deref())
    {
        eprintln!("{program}: {err}");
        return ExitCode::from(1);
    }
    crate::logging::init();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("{program}: could not start the async runtime: {err}");
            return ExitCode::from(1);
        }
    };
    let opts = ServeOptions {
        provider_address: provider_address.to_owned(),
        debug,
    };
    match runtime.block_on(serve(make_provider(), opts)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "provider server stopped");
            eprintln!("{program}: {err}");
            ExitCode::from(1)
        }
    }
}

fn help_text(program: &str, provider_address: &str) -> String {
    format!(
        "{program}: the Terraform provider {provider_address}.\n\n\
         This is a Terraform plugin; Terraform starts it. Run it by hand only to debug:\n\n  \
         --debug     serve without TLS and print TF_REATTACH_PROVIDERS for Terraform\n  \
         --version   print the version\n  \
         --help      print this text\n"
    )
}

/// Serves `provider` over go-plugin gRPC: checks the cookie and protocol
/// version (skipped in debug mode), listens, prints the handshake line, and
/// serves until `plugin.GRPCController/Shutdown` exits the process (or, in
/// debug mode, until Ctrl-C). The unix socket is removed on every way out.
pub async fn serve<P>(provider: P, opts: ServeOptions) -> Result<(), ServeError>
where
    P: Provider,
{
    serve_with_env(provider, opts, PluginEnv::from_process()).await
}

async fn serve_with_env<P>(
    provider: P,
    opts: ServeOptions,
    env: PluginEnv,
) -> Result<(), ServeError>
where
    P: Provider,
{
    let version = if opts.debug {
        handshake::PROTOCOL_VERSION
    } else {
        handshake::check_cookie(env.cookie.as_deref())?;
        handshake::negotiate_version(env.protocol_versions.as_deref())?
    };

    // TLS material first, so a bad PLUGIN_CLIENT_CERT fails before listening.
    let tls = match (&env.client_cert, opts.debug) {
        (Some(pem), false) => {
            let client_cert = tls::parse_client_cert_pem(pem)?;
            let identity = ServerIdentity::generate()?;
            let config = tls::server_config(&identity, client_cert)?;
            Some((identity, TlsAcceptor::from(config)))
        }
        _ => None,
    };
    if tls.is_none() && !opts.debug {
        warn_plaintext(env.tls_disabled);
    }

    let (listener, addr) = listener::bind(&env.tmp_dir, env.ports).map_err(ServeError::Listen)?;
    let socket_path = match &addr {
        ListenAddr::Unix(path) => Some(path.clone()),
        ListenAddr::Tcp(_) => None,
    };
    let _guard = SocketGuard::new(socket_path.clone());

    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_service_status(HEALTH_SERVICE, tonic_health::ServingStatus::Serving)
        .await;

    let connections = Connections::new();
    let controller = Controller::new(shutdown_action(
        socket_path,
        connections.clone(),
        opts.debug,
    ));
    let router = Server::builder()
        .add_service(health_service)
        .add_service(GrpcControllerServer::new(controller))
        .add_service(GrpcStdioServer::new(Stdio))
        .add_service(ProviderServer::new(provider));

    let cert_der = tls
        .as_ref()
        .map(|(identity, _)| identity.cert_der().to_vec());
    let incoming = listener::incoming(listener, tls.map(|(_, acceptor)| acceptor), connections);

    if opts.debug {
        let banner = handshake::debug_banner(&opts.provider_address, std::process::id(), &addr);
        let mut out = std::io::stdout().lock();
        out.write_all(banner.as_bytes())
            .and_then(|()| out.flush())
            .map_err(ServeError::Stdout)?;
        drop(out);
        tracing::info!(address = %addr.address(), "provider serving in debug mode");
        // Ctrl-C drops the server at once rather than waiting for attached
        // Terraform connections to drain.
        tokio::select! {
            served = router.serve_with_incoming(incoming) => served?,
            _ = tokio::signal::ctrl_c() => {
                tracing::info!("interrupted, stopping the provider");
            }
        }
        return Ok(());
    }

    ignore_sigint();
    let line = handshake::handshake_line(version, &addr, cert_der.as_deref());
    handshake::write_handshake_line(&mut std::io::stdout().lock(), &line)
        .map_err(ServeError::Stdout)?;
    tracing::debug!(
        network = addr.network(),
        address = %addr.address(),
        tls = cert_der.is_some(),
        "plugin server listening"
    );
    router.serve_with_incoming(incoming).await?;
    Ok(())
}

/// Serving without TLS is allowed (old Terraform, or a user's choice) but
/// worth a WARN, which the default log level shows: then anything that can
/// reach the socket can call the provider with its credentials.
fn warn_plaintext(tls_disabled: bool) {
    if tls_disabled {
        tracing::warn!(
            "serving without TLS because TF_DISABLE_PLUGIN_TLS is set; \
             any local process that can reach the plugin socket can call the provider"
        );
    } else {
        tracing::warn!(
            "serving without TLS because Terraform sent no client certificate (PLUGIN_CLIENT_CERT); \
             any local process that can reach the plugin socket can call the provider"
        );
    }
}

/// What `Shutdown` does: in normal mode remove the socket and exit the
/// process as soon as the caller has hung up (so it has the reply), or
/// [`EXIT_FALLBACK`] after the reply if it keeps the connection open; in
/// debug mode only log (the user stops a debug server with Ctrl-C).
fn shutdown_action(
    socket_path: Option<PathBuf>,
    connections: Arc<Connections>,
    debug: bool,
) -> ShutdownAction {
    if debug {
        return Arc::new(|| tracing::info!("ignoring Shutdown in debug mode; press Ctrl-C"));
    }
    Arc::new(move || {
        if let Some(path) = &socket_path {
            listener::remove_socket(path);
        }
        if connections.exit_when_idle() {
            std::process::exit(0);
        }
        std::thread::spawn(|| {
            std::thread::sleep(EXIT_FALLBACK);
            std::process::exit(0);
        });
    })
}

/// Terraform handles Ctrl-C itself (and calls StopProvider); the provider
/// must survive the SIGINT the terminal sends to the whole process group.
fn ignore_sigint() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()) {
        Ok(mut sigint) => {
            tokio::spawn(async move {
                while sigint.recv().await.is_some() {
                    tracing::debug!("ignoring SIGINT; Terraform will call StopProvider");
                }
            });
        }
        Err(err) => tracing::warn!(error = %err, "could not install the SIGINT handler"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default)]
    struct NoopProvider;

    #[tonic::async_trait]
    impl Provider for NoopProvider {}

    fn opts() -> ServeOptions {
        ServeOptions {
            provider_address: "registry.terraform.io/hwsnap/test".into(),
            debug: false,
        }
    }

    #[tokio::test]
    async fn missing_cookie_is_refused_before_listening() {
        let dir = tempfile::tempdir().unwrap();
        let env = PluginEnv {
            tmp_dir: dir.path().to_owned(),
            ..PluginEnv::default()
        };
        let err = serve_with_env(NoopProvider, opts(), env).await.unwrap_err();
        assert!(matches!(
            err,
            ServeError::Handshake(HandshakeError::MissingCookie)
        ));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[tokio::test]
    async fn protocol_five_only_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let env = PluginEnv {
            cookie: Some(handshake::MAGIC_COOKIE_VALUE.into()),
            protocol_versions: Some("5".into()),
            tmp_dir: dir.path().to_owned(),
            ..PluginEnv::default()
        };
        let err = serve_with_env(NoopProvider, opts(), env).await.unwrap_err();
        assert!(matches!(
            err,
            ServeError::Handshake(HandshakeError::UnsupportedVersion { .. })
        ));
    }

    #[tokio::test]
    async fn bad_client_cert_is_refused_before_listening() {
        let dir = tempfile::tempdir().unwrap();
        let env = PluginEnv {
            cookie: Some(handshake::MAGIC_COOKIE_VALUE.into()),
            protocol_versions: Some("6".into()),
            client_cert: Some("garbage".into()),
            tmp_dir: dir.path().to_owned(),
            ..PluginEnv::default()
        };
        let err = serve_with_env(NoopProvider, opts(), env).await.unwrap_err();
        assert!(matches!(err, ServeError::Tls(TlsError::ClientCertPem)));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn debug_shutdown_does_not_exit() {
        // Would end the test process if it exited.
        shutdown_action(None, Connections::new(), true)();
    }

    #[test]
    fn help_mentions_debug_and_address() {
        let text = help_text("terraform-provider-dws", "registry.terraform.io/hwsnap/dws");
        assert!(text.contains("--debug"));
        assert!(text.contains("registry.terraform.io/hwsnap/dws"));
    }
}
