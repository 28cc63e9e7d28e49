//! AutoMTLS as go-plugin does it: a throwaway self-signed server certificate
//! made at every start, and a client verifier that accepts exactly one
//! certificate — the one Terraform passed in `PLUGIN_CLIENT_CERT`.
//!
//! Terraform's client certificate is a self-signed ECDSA P-521 certificate
//! marked `CA:TRUE`, so stock chain verification would reject it. The
//! verifier here compares DER bytes instead, checks the certificate's
//! validity dates (as go-plugin's Go verifier does), and checks the TLS
//! handshake signature so only the holder of the private key gets in.
//!
//! Two crypto libraries, on purpose ([`crypto_provider`]): *ring* does
//! everything that needs randomness (our key and certificate, key exchange,
//! handshake nonces), aws-lc-rs only verifies signatures, because *ring*
//! has no P-521. aws-lc's random generator seeds itself from CPU jitter
//! entropy on first use, about 30 ms of CPU — more than the rest of a
//! provider start-up; verifying needs no randomness, so it never starts.

use std::fmt;
use std::sync::Arc;

use rcgen::{
    CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyUsagePurpose,
    PKCS_ECDSA_P256_SHA256, PublicKeyData, SignatureAlgorithm, SigningKey,
};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, ServerConfig};

/// Errors building the TLS side of the transport.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The server certificate could not be generated.
    #[error("generating the server certificate failed: {0}")]
    CertGeneration(#[from] rcgen::Error),
    /// `PLUGIN_CLIENT_CERT` held no PEM certificate.
    #[error("PLUGIN_CLIENT_CERT does not contain a PEM certificate")]
    ClientCertPem,
    /// `PLUGIN_CLIENT_CERT` held a PEM block that is not an X.509
    /// certificate.
    #[error("PLUGIN_CLIENT_CERT is not a valid X.509 certificate: {0}")]
    ClientCertDer(String),
    /// rustls refused the configuration.
    #[error("building the TLS configuration failed: {0}")]
    Config(#[from] rustls::Error),
}

/// The server's certificate and private key for one process lifetime.
pub struct ServerIdentity {
    cert: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
}

impl fmt::Debug for ServerIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerIdentity")
            .field("cert_len", &self.cert.len())
            .field("key", &"<redacted>")
            .finish()
    }
}

impl ServerIdentity {
    /// Makes a fresh self-signed ECDSA P-256 certificate: SAN and CN
    /// `localhost` (the name go-plugin's client checks), EKU server and
    /// client auth, valid from a minute ago for ten years.
    pub fn generate() -> Result<Self, TlsError> {
        let key_pair = RingP256::generate()?;
        let mut params = CertificateParams::new(vec!["localhost".to_owned()])?;
        params
            .distinguished_name
            .push(DnType::OrganizationName, "hwsnap");
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        params.is_ca = IsCa::NoCa;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
            KeyUsagePurpose::KeyAgreement,
        ];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::minutes(1);
        params.not_after = now + time::Duration::days(3650);
        let cert = params.self_signed(&key_pair)?;
        Ok(Self {
            cert: cert.der().clone(),
            key: PrivatePkcs8KeyDer::from(key_pair.pkcs8),
        })
    }

    /// The certificate in DER, as it goes into the handshake line.
    pub fn cert_der(&self) -> &CertificateDer<'static> {
        &self.cert
    }
}

/// Parses the first certificate of a PEM document (`PLUGIN_CLIENT_CERT`).
pub fn parse_client_cert_pem(pem: &str) -> Result<CertificateDer<'static>, TlsError> {
    CertificateDer::from_pem_slice(pem.as_bytes()).map_err(|_| TlsError::ClientCertPem)
}

/// An ECDSA P-256 key made and used by *ring* (see the module doc), as
/// rcgen's signer for the self-signed certificate.
struct RingP256 {
    pair: EcdsaKeyPair,
    pkcs8: Vec<u8>,
    rng: SystemRandom,
}

impl RingP256 {
    fn generate() -> Result<Self, rcgen::Error> {
        let rng = SystemRandom::new();
        let alg = &ECDSA_P256_SHA256_ASN1_SIGNING;
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &rng)
            .map_err(|_| rcgen::Error::RingUnspecified)?
            .as_ref()
            .to_vec();
        let pair = EcdsaKeyPair::from_pkcs8(alg, &pkcs8, &rng)
            .map_err(|e| rcgen::Error::RingKeyRejected(e.to_string()))?;
        Ok(Self { pair, pkcs8, rng })
    }
}

impl PublicKeyData for RingP256 {
    fn der_bytes(&self) -> &[u8] {
        self.pair.public_key().as_ref()
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &PKCS_ECDSA_P256_SHA256
    }
}

impl SigningKey for RingP256 {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        self.pair
            .sign(&self.rng, msg)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| rcgen::Error::RingUnspecified)
    }
}

/// The crypto provider used throughout: *ring* for key exchange, ciphers,
/// our signatures and randomness; aws-lc-rs's signature verification, which
/// has P-521 (Terraform's client key).
pub fn crypto_provider() -> Arc<CryptoProvider> {
    let aws_lc = rustls::crypto::aws_lc_rs::default_provider();
    Arc::new(CryptoProvider {
        signature_verification_algorithms: aws_lc.signature_verification_algorithms,
        ..rustls::crypto::ring::default_provider()
    })
}

/// A server configuration that requires the client to present exactly
/// `client_cert`, offers ALPN `h2`, and serves `identity`.
pub fn server_config(
    identity: &ServerIdentity,
    client_cert: CertificateDer<'static>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = crypto_provider();
    let verifier = Arc::new(ExactClientCert::new(client_cert, provider.clone())?);
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![identity.cert.clone()],
            PrivateKeyDer::Pkcs8(identity.key.clone_key()),
        )?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}

/// Accepts one client certificate, byte for byte, while it is valid (its
/// `notBefore`..`notAfter`), and checks that the peer signed the handshake
/// with its key. No client certificate is an error.
#[derive(Debug)]
pub struct ExactClientCert {
    expected: CertificateDer<'static>,
    /// `notBefore` and `notAfter` of `expected`, Unix seconds.
    valid: (i64, i64),
    provider: Arc<CryptoProvider>,
}

impl ExactClientCert {
    /// A verifier for `expected`, checking signatures with `provider`; an
    /// error when `expected` is not a parsable X.509 certificate.
    pub fn new(
        expected: CertificateDer<'static>,
        provider: Arc<CryptoProvider>,
    ) -> Result<Self, TlsError> {
        let (_, cert) = x509_parser::parse_x509_certificate(expected.as_ref())
            .map_err(|e| TlsError::ClientCertDer(e.to_string()))?;
        let validity = cert.validity();
        let valid = (
            validity.not_before.timestamp(),
            validity.not_after.timestamp(),
        );
        Ok(Self {
            expected,
            valid,
            provider,
        })
    }
}

impl ClientCertVerifier for ExactClientCert {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() != self.expected.as_ref() {
            tracing::warn!("refused a TLS client presenting an unexpected certificate");
            return Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ));
        }
        let now = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
        let (not_before, not_after) = self.valid;
        if now < not_before {
            tracing::warn!("refused a TLS client certificate that is not valid yet");
            return Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidYet,
            ));
        }
        if now > not_after {
            tracing::warn!("refused an expired TLS client certificate");
            return Err(rustls::Error::InvalidCertificate(CertificateError::Expired));
        }
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{KeyPair, PKCS_ECDSA_P521_SHA512};

    /// A certificate shaped like Terraform's: self-signed P-521, CA:TRUE.
    fn terraform_like_cert() -> (String, CertificateDer<'static>) {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P521_SHA512).unwrap();
        let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).unwrap();
        (cert.pem(), cert.der().clone())
    }

    #[test]
    fn each_identity_is_fresh() {
        let a = ServerIdentity::generate().unwrap();
        let b = ServerIdentity::generate().unwrap();
        assert_ne!(a.cert_der().as_ref(), b.cert_der().as_ref());
    }

    #[test]
    fn identity_debug_hides_the_key() {
        let id = ServerIdentity::generate().unwrap();
        let text = format!("{id:?}");
        assert!(text.contains("<redacted>"), "{text}");
        assert!(!text.contains("key: ["), "{text}");
    }

    #[test]
    fn pem_parsing_roundtrips_and_rejects_garbage() {
        let (pem, der) = terraform_like_cert();
        assert_eq!(parse_client_cert_pem(&pem).unwrap(), der);
        assert!(matches!(
            parse_client_cert_pem("not a pem"),
            Err(TlsError::ClientCertPem)
        ));
    }

    #[test]
    fn verifier_accepts_only_the_exact_certificate() {
        let (_, expected) = terraform_like_cert();
        let (_, other) = terraform_like_cert();
        let v = ExactClientCert::new(expected.clone(), crypto_provider()).unwrap();
        assert!(v.client_auth_mandatory());
        assert!(v.offer_client_auth());
        assert!(
            v.verify_client_cert(&expected, &[], UnixTime::now())
                .is_ok()
        );
        let err = v
            .verify_client_cert(&other, &[], UnixTime::now())
            .unwrap_err();
        assert!(matches!(
            err,
            rustls::Error::InvalidCertificate(CertificateError::ApplicationVerificationFailure)
        ));
    }

    #[test]
    fn verifier_refuses_the_exact_certificate_outside_its_dates() {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P521_SHA512).unwrap();
        let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params.not_before = rcgen::date_time_ymd(2030, 1, 1);
        params.not_after = rcgen::date_time_ymd(2031, 1, 1);
        let cert = params.self_signed(&key).unwrap().der().clone();
        let v = ExactClientCert::new(cert.clone(), crypto_provider()).unwrap();
        let at = |y: i32| {
            let t = rcgen::date_time_ymd(y, 6, 1).unix_timestamp();
            UnixTime::since_unix_epoch(std::time::Duration::from_secs(t as u64))
        };
        assert!(v.verify_client_cert(&cert, &[], at(2030)).is_ok());
        assert!(matches!(
            v.verify_client_cert(&cert, &[], at(2029)).unwrap_err(),
            rustls::Error::InvalidCertificate(CertificateError::NotValidYet)
        ));
        assert!(matches!(
            v.verify_client_cert(&cert, &[], at(2031)).unwrap_err(),
            rustls::Error::InvalidCertificate(CertificateError::Expired)
        ));
    }

    #[test]
    fn a_pem_block_that_is_not_a_certificate_is_refused_at_start() {
        let garbage = CertificateDer::from(b"not DER".to_vec());
        let err = ExactClientCert::new(garbage.clone(), crypto_provider()).unwrap_err();
        assert!(matches!(err, TlsError::ClientCertDer(_)), "{err}");
        let id = ServerIdentity::generate().unwrap();
        assert!(matches!(
            server_config(&id, garbage),
            Err(TlsError::ClientCertDer(_))
        ));
    }

    #[test]
    fn verifier_supports_p521_sha512() {
        let (_, cert) = terraform_like_cert();
        let v = ExactClientCert::new(cert, crypto_provider()).unwrap();
        assert!(
            v.supported_verify_schemes()
                .contains(&rustls::SignatureScheme::ECDSA_NISTP521_SHA512)
        );
    }

    #[test]
    fn server_config_offers_h2() {
        let id = ServerIdentity::generate().unwrap();
        let (_, client) = terraform_like_cert();
        let cfg = server_config(&id, client).unwrap();
        assert_eq!(cfg.alpn_protocols, vec![b"h2".to_vec()]);
    }
}
