//! The Terraform side of the plugin's mTLS, for tests and benches: a client
//! identity made the way go-plugin makes Terraform's, the rustls client
//! config that trusts the provider's handshake certificate, and a gRPC
//! channel over the provider's unix socket.
//!
//! Used by `crates/hwsnap-plugin/tests/transport.rs`, the acceptance tests
//! and the benches, so all of them speak to the provider the same way.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, PKCS_ECDSA_P521_SHA512,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use tokio::net::UnixStream;
use tonic::transport::{Channel, Endpoint, Uri};

/// A client identity made the way go-plugin makes Terraform's: self-signed
/// ECDSA P-521 / SHA-512, CA:TRUE, SAN localhost, EKU client+server.
pub struct ClientIdentity {
    /// The certificate as PEM, for `PLUGIN_CLIENT_CERT`.
    pub pem: String,
    pub cert: CertificateDer<'static>,
    pub key: PrivatePkcs8KeyDer<'static>,
}

/// A fresh Terraform-shaped client identity.
pub fn terraform_client_identity() -> ClientIdentity {
    client_identity_with(|_| {})
}

/// A Terraform-shaped client identity with `edit` applied to its
/// certificate parameters before signing (dates, usages, …).
pub fn client_identity_with(edit: impl FnOnce(&mut CertificateParams)) -> ClientIdentity {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P521_SHA512).expect("P-521 key");
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
    params
        .distinguished_name
        .push(DnType::OrganizationName, "HashiCorp");
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::KeyAgreement,
        KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ClientAuth,
        ExtendedKeyUsagePurpose::ServerAuth,
    ];
    edit(&mut params);
    let cert = params.self_signed(&key).expect("self-signed certificate");
    ClientIdentity {
        pem: cert.pem(),
        cert: cert.der().clone(),
        key: PrivatePkcs8KeyDer::from(key.serialize_der()),
    }
}

/// A client config that trusts exactly `server_cert` (the one in the
/// handshake line), offers `identity` when given, and speaks h2.
pub fn client_tls_config(
    server_cert: &CertificateDer<'static>,
    identity: Option<&ClientIdentity>,
) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(server_cert.clone())
        .expect("server certificate as root");
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_root_certificates(roots);
    let mut config = match identity {
        Some(id) => builder
            .with_client_auth_cert(
                vec![id.cert.clone()],
                PrivateKeyDer::Pkcs8(id.key.clone_key()),
            )
            .expect("client certificate"),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    Arc::new(config)
}

/// A TLS connection to the socket at `path`, server name `localhost`.
pub async fn tls_connect(
    path: &Path,
    config: Arc<rustls::ClientConfig>,
) -> std::io::Result<tokio_rustls::client::TlsStream<UnixStream>> {
    let stream = UnixStream::connect(path).await?;
    let name = ServerName::try_from("localhost").map_err(std::io::Error::other)?;
    tokio_rustls::TlsConnector::from(config)
        .connect(name, stream)
        .await
}

trait IoStream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> IoStream for T {}

/// A gRPC channel to the socket at `path`: over TLS with `tls`, plaintext
/// without.
pub async fn channel(path: PathBuf, tls: Option<Arc<rustls::ClientConfig>>) -> Channel {
    let connector = tower::service_fn(move |_: Uri| {
        let path = path.clone();
        let tls = tls.clone();
        async move {
            let io: Box<dyn IoStream> = match tls {
                Some(cfg) => Box::new(tls_connect(&path, cfg).await?),
                None => Box::new(UnixStream::connect(&path).await?),
            };
            Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(io))
        }
    });
    Endpoint::try_from("http://localhost")
        .expect("endpoint")
        .connect_with_connector(connector)
        .await
        .expect("connect to the provider")
}
