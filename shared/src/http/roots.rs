//! Which certificate roots the HTTPS clients of the functions trust: the vendors' APIs
//! (Datadog, Slack, PagerDuty) and the prober's model endpoints.
//!
//! reqwest's default verifier reads the system's whole root store each time a client is
//! built: on Debian every file of /etc/ssl/certs, some 140 certificates parsed, per client.
//! The escalator builds two before its first event, and that was over half of its init
//! (bench/findings.md). The functions trust Mozilla's roots compiled in instead
//! (webpki-roots: the list the browsers ship, already parsed), set up once per process.
//! The command line keeps the system's store, which on a workstation may hold the CA of a
//! proxy that re-signs TLS. A function whose operator sets `SSL_CERT_FILE` or
//! `SSL_CERT_DIR` (a model endpoint under a private CA, an inspecting egress proxy) gets
//! reqwest's default back, which then reads exactly what those name. The AWS clients have
//! roots of their own (`crate::aws`): Amazon's, whatever these say.

use std::ffi::OsString;
use std::sync::{Arc, OnceLock};

static COMPILED_IN: OnceLock<rustls::ClientConfig> = OnceLock::new();

/// From now on, the HTTP clients this process builds trust the compiled-in roots, unless
/// the environment names a store of its own. The functions call it at cold start.
pub fn trust_compiled_in_roots() {
    let own_file = std::env::var_os("SSL_CERT_FILE");
    let own_dir = std::env::var_os("SSL_CERT_DIR");
    if !names_own_store(own_file, own_dir) {
        COMPILED_IN.get_or_init(|| tls_config(compiled_in_roots()));
    }
}

/// The TLS configuration for a new client: `None` is reqwest's default (the system's store).
pub(super) fn chosen() -> Option<rustls::ClientConfig> {
    COMPILED_IN.get().cloned()
}

/// Whether `SSL_CERT_FILE` or `SSL_CERT_DIR` names a store. A blank value counts as
/// unset here (the template cannot set one on purpose).
fn names_own_store(cert_file: Option<OsString>, cert_dir: Option<OsString>) -> bool {
    [cert_file, cert_dir]
        .into_iter()
        .any(|v| v.is_some_and(|v| !v.is_empty()))
}

fn compiled_in_roots() -> rustls::RootCertStore {
    rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    }
}

/// What reqwest would configure itself for HTTP/1 (the only version its features here
/// allow), with `roots` in place of the platform's verifier.
fn tls_config(roots: rustls::RootCertStore) -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("aws-lc-rs supports TLS 1.2 and 1.3")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpListener;

    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

    use super::*;
    use crate::http::Timeouts;
    use crate::http::client::build_with;

    const TEST_CA: &[u8] = include_bytes!("../../tests/fixtures/tls/ca.der");
    const SERVER_CERT: &[u8] = include_bytes!("../../tests/fixtures/tls/server.der");
    const SERVER_KEY: &[u8] = include_bytes!("../../tests/fixtures/tls/server.key.der");

    /// A TLS server on loopback presenting `localhost` signed by the test CA, answering
    /// each connection with `204 No Content`; its address.
    fn server() -> String {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(SERVER_CERT.to_vec())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(SERVER_KEY.to_vec())),
            )
            .unwrap();
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for socket in listener.incoming().flatten() {
                let connection = rustls::ServerConnection::new(config.clone()).unwrap();
                let mut tls = rustls::StreamOwned::new(connection, socket);
                let mut head = [0u8; 1024];
                if tls.read(&mut head).is_ok() {
                    let _ = tls.write_all(
                        b"HTTP/1.1 204 No Content\r\nconnection: close\r\ncontent-length: 0\r\n\r\n",
                    );
                    tls.conn.send_close_notify();
                    let _ = tls.flush();
                }
            }
        });
        format!("https://localhost:{port}/")
    }

    async fn get(url: &str, tls: rustls::ClientConfig) -> Result<reqwest::StatusCode, String> {
        let client = build_with(Timeouts::default(), Some(tls)).unwrap();
        match client.get(url).send().await {
            Ok(answer) => Ok(answer.status()),
            Err(e) => {
                let mut chain = e.to_string();
                let mut source = std::error::Error::source(&e);
                while let Some(s) = source {
                    chain.push_str(&format!(": {s}"));
                    source = s.source();
                }
                Err(chain)
            }
        }
    }

    fn test_ca_roots() -> rustls::RootCertStore {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(CertificateDer::from(TEST_CA.to_vec())).unwrap();
        roots
    }

    #[tokio::test]
    async fn a_client_completes_the_handshake_under_roots_that_hold_the_servers_ca() {
        assert_eq!(
            get(&server(), tls_config(test_ca_roots())).await,
            Ok(reqwest::StatusCode::NO_CONTENT)
        );
    }

    #[tokio::test]
    async fn the_compiled_in_roots_refuse_a_certificate_no_public_ca_signed() {
        let refused = get(&server(), tls_config(compiled_in_roots()))
            .await
            .unwrap_err();
        assert!(refused.contains("UnknownIssuer"), "{refused}");
    }

    #[tokio::test]
    async fn every_client_built_after_the_choice_trusts_the_chosen_roots() {
        // Process-wide, as in a function (no other test of this binary makes the choice):
        // roots holding the test CA stand in for the compiled-in ones, so a completed
        // handshake shows `build_client` used them; reqwest's default would refuse it.
        COMPILED_IN.get_or_init(|| tls_config(test_ca_roots()));
        let client = crate::http::build_client(Timeouts::default()).unwrap();
        let answer = client.get(server()).send().await.map(|a| a.status());
        assert_eq!(answer.ok(), Some(reqwest::StatusCode::NO_CONTENT));
    }

    #[test]
    fn the_compiled_in_roots_are_mozillas_whole_list() {
        let roots = compiled_in_roots();
        assert_eq!(roots.len(), webpki_roots::TLS_SERVER_ROOTS.len());
        assert!(roots.len() > 100, "{} roots", roots.len());
    }

    #[test]
    fn an_operators_own_store_is_kept() {
        let set = |v: &str| Some(OsString::from(v));
        assert!(!names_own_store(None, None));
        assert!(!names_own_store(set(""), set("")));
        assert!(names_own_store(set("/etc/proxy-ca.pem"), None));
        assert!(names_own_store(None, set("/etc/ssl/certs")));
    }
}
