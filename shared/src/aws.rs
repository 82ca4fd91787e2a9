//! The AWS SDK's configuration for every client (DynamoDB, Secrets Manager), with
//! deadlines: while a service does not answer, a webhook gets 503 within Datadog's 15 s
//! (so Datadog retries) instead of hanging for as long as the outage lasts.

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;

/// Connecting (TCP and TLS).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// One attempt, request to response.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);
/// A whole call, retries included.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(8);

pub fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(ATTEMPT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(CALL_TIMEOUT)
        .build()
}

/// The standard environment (region, credentials, `AWS_ENDPOINT_URL_*` for the local
/// emulator) with the deadlines above.
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::from_env()
        .timeout_config(timeouts())
        .load()
        .await
}
