//! The go-plugin start-up handshake: the magic cookie, protocol version
//! negotiation, and the one line printed on stdout that tells Terraform where
//! and how to connect.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;

/// Environment variable Terraform sets when it starts a provider.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
/// The value Terraform puts in [`MAGIC_COOKIE_KEY`].
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// The go-plugin core protocol version (first field of the handshake line).
pub const CORE_PROTOCOL_VERSION: u32 = 1;
/// The only plugin protocol version this crate serves.
pub const PROTOCOL_VERSION: u32 = 6;

/// Why a handshake cannot go ahead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    /// The binary was started by hand, not by Terraform.
    #[error(
        "this binary is a Terraform plugin: it is not meant to be run directly. \
         Run it through terraform (or pass --debug to start it for TF_REATTACH_PROVIDERS)"
    )]
    MissingCookie,
    /// Terraform offered protocol versions, none of which is 6.
    #[error(
        "Terraform offered plugin protocol versions {offered:?}, but this provider only \
         speaks protocol 6; use Terraform 1.0 or later"
    )]
    UnsupportedVersion {
        /// The raw `PLUGIN_PROTOCOL_VERSIONS` value.
        offered: String,
    },
}

/// Checks the magic cookie value taken from [`MAGIC_COOKIE_KEY`].
pub fn check_cookie(value: Option<&str>) -> Result<(), HandshakeError> {
    match value {
        Some(v) if v == MAGIC_COOKIE_VALUE => Ok(()),
        _ => Err(HandshakeError::MissingCookie),
    }
}

/// Picks the protocol version from `PLUGIN_PROTOCOL_VERSIONS` (a comma list
/// in any order). Absent or empty means an old client that does not
/// negotiate, and gets 6.
pub fn negotiate_version(offered: Option<&str>) -> Result<u32, HandshakeError> {
    let Some(raw) = offered.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(PROTOCOL_VERSION);
    };
    let served = raw
        .split(',')
        .filter_map(|v| v.trim().parse::<u32>().ok())
        .any(|v| v == PROTOCOL_VERSION);
    if served {
        Ok(PROTOCOL_VERSION)
    } else {
        Err(HandshakeError::UnsupportedVersion {
            offered: raw.to_owned(),
        })
    }
}

/// Where the server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenAddr {
    /// A unix domain socket at this path.
    Unix(PathBuf),
    /// A TCP socket (fallback when unix sockets are unavailable).
    Tcp(SocketAddr),
}

impl ListenAddr {
    /// The go-plugin network name: `unix` or `tcp`.
    pub fn network(&self) -> &'static str {
        match self {
            ListenAddr::Unix(_) => "unix",
            ListenAddr::Tcp(_) => "tcp",
        }
    }

    /// The address as go-plugin prints it.
    pub fn address(&self) -> String {
        match self {
            ListenAddr::Unix(path) => path.display().to_string(),
            ListenAddr::Tcp(addr) => addr.to_string(),
        }
    }
}

/// Builds the handshake line (without the trailing newline):
/// `1|6|unix|/path|grpc|<server cert>`; the certificate field is the DER in
/// standard base64 without padding, and is left out entirely in plaintext
/// mode.
pub fn handshake_line(version: u32, addr: &ListenAddr, server_cert_der: Option<&[u8]>) -> String {
    let mut line = format!(
        "{CORE_PROTOCOL_VERSION}|{version}|{}|{}|grpc",
        addr.network(),
        addr.address()
    );
    if let Some(der) = server_cert_der {
        line.push('|');
        line.push_str(&STANDARD_NO_PAD.encode(der));
    }
    line
}

/// Writes the handshake line plus newline to `out` and flushes it.
pub fn write_handshake_line(out: &mut impl Write, line: &str) -> std::io::Result<()> {
    out.write_all(line.as_bytes())?;
    out.write_all(b"\n")?;
    out.flush()
}

/// The `TF_REATTACH_PROVIDERS` JSON value for debug mode.
pub fn reattach_json(provider_address: &str, pid: u32, addr: &ListenAddr) -> String {
    let mut providers = serde_json::Map::new();
    providers.insert(
        provider_address.to_owned(),
        serde_json::json!({
            "Protocol": "grpc",
            "ProtocolVersion": PROTOCOL_VERSION,
            "Pid": pid,
            "Test": true,
            "Addr": { "Network": addr.network(), "String": addr.address() },
        }),
    );
    serde_json::Value::Object(providers).to_string()
}

/// The human text printed on stdout in debug mode.
pub fn debug_banner(provider_address: &str, pid: u32, addr: &ListenAddr) -> String {
    format!(
        "Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable with the following:\n\n\tTF_REATTACH_PROVIDERS='{}'\n\nPress Ctrl-C to stop the provider.\n",
        reattach_json(provider_address, pid, addr)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_must_match_exactly() {
        assert_eq!(check_cookie(Some(MAGIC_COOKIE_VALUE)), Ok(()));
        assert_eq!(check_cookie(None), Err(HandshakeError::MissingCookie));
        assert_eq!(check_cookie(Some("")), Err(HandshakeError::MissingCookie));
        assert_eq!(
            check_cookie(Some(&MAGIC_COOKIE_VALUE[1..])),
            Err(HandshakeError::MissingCookie)
        );
    }

    #[test]
    fn cookie_message_is_for_humans() {
        let msg = HandshakeError::MissingCookie.to_string();
        assert!(msg.contains("plugin"), "{msg}");
        assert!(msg.contains("terraform"), "{msg}");
    }

    #[test]
    fn negotiation_picks_six_in_any_order() {
        assert_eq!(negotiate_version(Some("5,6")), Ok(6));
        assert_eq!(negotiate_version(Some("6,5")), Ok(6));
        assert_eq!(negotiate_version(Some(" 6 ")), Ok(6));
        assert_eq!(negotiate_version(Some("4, 6, 7")), Ok(6));
        assert_eq!(negotiate_version(None), Ok(6));
        assert_eq!(negotiate_version(Some("")), Ok(6));
    }

    #[test]
    fn negotiation_refuses_without_six() {
        let err = negotiate_version(Some("4,5")).unwrap_err();
        assert_eq!(
            err,
            HandshakeError::UnsupportedVersion {
                offered: "4,5".into()
            }
        );
        assert!(err.to_string().contains("protocol 6"));
        assert!(negotiate_version(Some("60")).is_err());
    }

    #[test]
    fn line_with_certificate_is_unpadded_standard_base64() {
        let addr = ListenAddr::Unix(PathBuf::from("/tmp/plugin42"));
        // 0xfb 0xff encodes with '+' and '/' in the standard alphabet and
        // would need one '=' of padding.
        let line = handshake_line(6, &addr, Some(&[0xfb, 0xff]));
        assert_eq!(line, "1|6|unix|/tmp/plugin42|grpc|+/8");
    }

    #[test]
    fn line_without_certificate_has_five_fields() {
        let addr = ListenAddr::Tcp("127.0.0.1:10001".parse().unwrap());
        assert_eq!(
            handshake_line(6, &addr, None),
            "1|6|tcp|127.0.0.1:10001|grpc"
        );
    }

    #[test]
    fn written_line_ends_in_one_newline() {
        let mut buf = Vec::new();
        write_handshake_line(&mut buf, "1|6|unix|/x|grpc").unwrap();
        assert_eq!(buf, b"1|6|unix|/x|grpc\n");
    }

    #[test]
    fn reattach_json_has_go_plugin_shape() {
        let addr = ListenAddr::Unix(PathBuf::from("/tmp/plugin7"));
        let json = reattach_json("registry.terraform.io/hwsnap/dws", 1234, &addr);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let p = &v["registry.terraform.io/hwsnap/dws"];
        assert_eq!(p["Protocol"], "grpc");
        assert_eq!(p["ProtocolVersion"], 6);
        assert_eq!(p["Pid"], 1234);
        assert_eq!(p["Test"], true);
        assert_eq!(p["Addr"]["Network"], "unix");
        assert_eq!(p["Addr"]["String"], "/tmp/plugin7");
        assert!(debug_banner("a/b/c", 1, &addr).contains("TF_REATTACH_PROVIDERS='{"));
    }
}
