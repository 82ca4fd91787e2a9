//! The AWS SDK's configuration for every client (DynamoDB, Secrets Manager), with
//! deadlines: while a service does not answer, a webhook gets 503 within Datadog's 15 s
//! (so Datadog retries) instead of hanging for as long as the outage lasts; and the roots
//! its TLS trusts.

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// Connecting (TCP and TLS).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// One attempt, request to response.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);
/// A whole call, retries included.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(8);

/// The roots every AWS endpoint's certificate chains to (Amazon Trust Services: Amazon Root
/// CA 1–4 and Starfield Services Root G2), compiled in. The SDK's default client reads and
/// parses the system's whole root store (some 140 certificates, and here every file of
/// /etc/ssl/certs) before the first request: about half of a cold start's work.
const AMAZON_TRUST_SERVICES: &str = include_str!("../certs/amazon-trust-services.pem");

pub fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(ATTEMPT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(CALL_TIMEOUT)
        .build()
}

/// Which certificates the AWS clients trust.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Roots {
    /// The functions: Amazon Trust Services' roots, compiled in (the system's store in the
    /// China regions, which other operators run under certificates of their own).
    Amazon,
    /// The command line: the system's store, which on a workstation may hold the CA of a
    /// proxy that re-signs TLS.
    System,
}

fn trust_store(roots: Roots, region: Option<&str>) -> TrustStore {
    let china = region.is_some_and(|r| r.starts_with("cn-"));
    match roots {
        Roots::Amazon if !china => {
            TrustStore::empty().with_pem_certificate(AMAZON_TRUST_SERVICES.as_bytes())
        }
        _ => TrustStore::default(),
    }
}

/// The SDK's default HTTPS client (rustls with aws-lc, `proxies` (the environment's), the
/// timeouts the SDK passes in) with the trust store above.
fn https_client(roots: Roots, region: Option<&str>, proxies: ProxyConfig) -> SharedHttpClient {
    let tls = TlsContext::builder()
        .with_trust_store(trust_store(roots, region))
        .build()
        .expect("a trust store alone always makes a TLS context");
    Builder::new().build_with_connector_fn(move |settings, components| {
        // Called without settings and components only when a client is built, to load the
        // system's roots early; that connector is dropped. Built for real there, each AWS
        // client parsed the roots and made a TLS configuration once for nothing: a tenth
        // of a cold start's instructions before its first request (bench/findings.md).
        // The requests' own connectors are built with both, at the first request.
        if settings.is_none() && components.is_none() {
            return ConnectorBuilder::default().build_http();
        }
        let mut connector = ConnectorBuilder::default()
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::AwsLc,
            ))
            .tls_context(tls.clone());
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(proxies.clone()));
        connector.build()
    })
}

/// The standard environment (region, credentials, `AWS_ENDPOINT_URL_*` for the local
/// emulator) with the deadlines above, trusting `roots`.
pub async fn sdk_config(roots: Roots) -> aws_config::SdkConfig {
    let region = std::env::var("AWS_REGION")
        .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
        .ok();
    let loader = aws_config::from_env()
        .timeout_config(timeouts())
        .http_client(https_client(
            roots,
            region.as_deref(),
            ProxyConfig::from_env(),
        ));
    let environment = |name| std::env::var(name).ok();
    let loader = if credentials_in_environment(
        environment("AWS_ACCESS_KEY_ID"),
        environment("AWS_SECRET_ACCESS_KEY"),
    ) {
        // Where the default chain would take them from first (Lambda puts the role's
        // there): building the rest of it (profile files, web identity with its own STS
        // client, container and instance metadata) was an eighth of the intake's main
        // thread's instructions to its first answer (callgrind, bench/findings.md).
        loader.credentials_provider(
            aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
        )
    } else {
        loader
    };
    loader.load().await
}

/// Whether the environment holds credentials: a key id and a secret, neither blank. The
/// default chain skips the environment otherwise, and so does `sdk_config`.
fn credentials_in_environment(key_id: Option<String>, secret: Option<String>) -> bool {
    let given = |v: Option<String>| v.is_some_and(|v| !v.trim().is_empty());
    given(key_id) && given(secret)
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use sha2::{Digest, Sha256};

    use super::*;

    /// Each certificate's DER, in the file's order.
    fn certificates(pem: &str) -> Vec<Vec<u8>> {
        pem.split("-----BEGIN CERTIFICATE-----")
            .skip(1)
            .map(|block| {
                let body = block
                    .split("-----END CERTIFICATE-----")
                    .next()
                    .expect("split always yields one part");
                let text: String = body.split_whitespace().collect();
                base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .expect("the compiled-in roots are base64")
            })
            .collect()
    }

    #[test]
    fn the_compiled_in_roots_are_the_five_amazon_trust_services_roots() {
        // AWS's published SHA-256 fingerprints (amazontrust.com/repository), not the file's
        // own comments: a changed certificate fails here.
        let published = [
            "8ecde6884f3d87b1125ba31ac3fcb13d7016de7f57cc904fe1cb97c6ae98196e",
            "1ba5b2aa8c65401a82960118f80bec4f62304d83cec4713a19c39c011ea46db4",
            "18ce6cfe7bf14e60b2e347b8dfe868cb31d02ebb3ada271569f50343b46db3a4",
            "e35d28419ed02025cfa69038cd623962458da5c695fbdea3c22b0bfb25897092",
            "568d6905a2c88708a4b3025190edcfedb1974a606a13c6e5290fcb2ae63edab5",
        ];
        let found: Vec<String> = certificates(AMAZON_TRUST_SERVICES)
            .iter()
            .map(|der| hex::encode(Sha256::digest(der)))
            .collect();
        assert_eq!(found, published);
    }

    #[test]
    fn credentials_are_taken_from_the_environment_only_when_both_halves_are_there() {
        let some = |v: &str| Some(v.to_owned());
        assert!(credentials_in_environment(
            some("ASIAEXAMPLE"),
            some("secret")
        ));
        assert!(!credentials_in_environment(None, some("secret")));
        assert!(!credentials_in_environment(some("ASIAEXAMPLE"), None));
        assert!(!credentials_in_environment(some("  "), some("secret")));
        assert!(!credentials_in_environment(some("ASIAEXAMPLE"), some("")));
    }

    #[test]
    fn functions_trust_amazon_roots_except_in_china_and_the_command_line_the_systems() {
        let native = |roots, region| {
            let store = format!("{:?}", trust_store(roots, region));
            store.contains("enable_native_roots: true")
        };
        for region in [None, Some("us-east-1"), Some("us-gov-west-1")] {
            assert!(!native(Roots::Amazon, region), "{region:?}");
            assert!(native(Roots::System, region), "{region:?}");
        }
        assert!(native(Roots::Amazon, Some("cn-north-1")));
    }

    /// A DynamoDB client of the functions' HTTPS client, sent to `https://127.0.0.1:port`
    /// straight, whatever proxy the machine names.
    fn loopback_client(port: u16) -> aws_sdk_dynamodb::Client {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version_latest()
            .http_client(https_client(
                Roots::Amazon,
                Some("us-east-1"),
                ProxyConfig::disabled(),
            ))
            .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::for_tests())
            .endpoint_url(format!("https://127.0.0.1:{port}"))
            .timeout_config(timeouts())
            .build();
        aws_sdk_dynamodb::Client::from_conf(config)
    }

    /// A request to an https endpoint goes out over TLS (its first bytes a handshake
    /// record, not `POST`), whatever connector the SDK had built while making the client.
    #[tokio::test]
    async fn a_request_to_an_https_endpoint_goes_out_over_tls() {
        use std::io::Read;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let port = listener.local_addr().expect("its address").port();
        let first_bytes = std::thread::spawn(move || {
            let (socket, _) = listener.accept().expect("a connection");
            socket
                .set_read_timeout(Some(std::time::Duration::from_secs(1)))
                .expect("a read timeout");
            let mut bytes = Vec::new();
            let _ = socket.take(3).read_to_end(&mut bytes);
            bytes
        });
        let sent = loopback_client(port)
            .describe_table()
            .table_name("t")
            .send()
            .await;
        assert!(sent.is_err(), "the listener never answers");
        // Should the client not have connected at all, this connection ends the wait (and
        // says nothing); else it waits in the backlog.
        let _late = std::net::TcpStream::connect(("127.0.0.1", port));
        let bytes = first_bytes.join().expect("the listener's thread");
        // A TLS record of type handshake (22), version 3.x.
        assert_eq!(
            bytes.get(..2),
            Some(&[0x16, 0x03][..]),
            "{:?}",
            String::from_utf8_lossy(&bytes)
        );
    }

    /// The client builds its TLS set-up from the compiled-in roots at the first request
    /// (the SDK panics on a root it cannot parse): a call to a closed port must come back
    /// as an ordinary connection error.
    #[tokio::test]
    async fn a_client_with_the_compiled_in_roots_makes_https_requests() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let error = loopback_client(port)
            .describe_table()
            .table_name("t")
            .send()
            .await
            .expect_err("nothing listens on the port");
        assert!(
            matches!(error, aws_sdk_dynamodb::error::SdkError::DispatchFailure(_)),
            "{error:?}"
        );
    }
}
