//! Store errors, and which of them a retry can cure.

use aws_sdk_dynamodb::error::{BuildError, ProvideErrorMetadata, SdkError};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Throttled, overloaded or unreachable: a retry can help.
    #[error("DynamoDB {operation} failed, retry later: {message}")]
    Unavailable {
        operation: &'static str,
        message: String,
    },
    /// No connection, no credentials, or no answer in time: said plainly, with what to
    /// check (retrying helps only once that is fixed, so it is still retryable for
    /// senders).
    #[error("cannot reach DynamoDB for {operation}: {message}")]
    Unreachable {
        operation: &'static str,
        message: String,
    },
    /// The request itself is wrong (missing table, bad expression): a retry cannot help.
    #[error("DynamoDB refused {operation}: {message}")]
    Rejected {
        operation: &'static str,
        message: String,
    },
    /// An item in the table that does not decode.
    #[error("item {key} has a bad `{field}`: {message}")]
    BadItem {
        key: String,
        field: String,
        message: String,
    },
    /// Other writers kept winning the race for this alert.
    #[error("alert {key} kept changing under {attempts} attempts to apply the signal")]
    Contention { key: String, attempts: u32 },
    #[error("store configuration: {message}")]
    Config { message: String },
}

impl StoreError {
    /// Whether the same request could succeed later (answer 5xx, let the sender retry).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            StoreError::Unavailable { .. }
                | StoreError::Unreachable { .. }
                | StoreError::Contention { .. }
        )
    }
}

/// Error codes that mean "try again": throttling, capacity, transient conflicts.
const RETRYABLE_CODES: &[&str] = &[
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionConflictException",
    "TransactionInProgressException",
    "TransactionCanceledException",
];

pub(super) fn classify<E, R>(operation: &'static str, err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match &err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let code = e.code().unwrap_or("Unknown");
            let message = format!("{code}: {}", e.message().unwrap_or("no message"));
            if RETRYABLE_CODES.contains(&code) {
                StoreError::Unavailable { operation, message }
            } else {
                StoreError::Rejected { operation, message }
            }
        }
        SdkError::ConstructionFailure(_) => StoreError::Rejected {
            operation,
            message: format!("{}", aws_sdk_dynamodb::error::DisplayErrorContext(&err)),
        },
        // Timeouts, connection failures, missing credentials, unreadable responses.
        _ => {
            let detail = format!("{}", aws_sdk_dynamodb::error::DisplayErrorContext(&err));
            match unreachable_reason(&detail) {
                Some(reason) => StoreError::Unreachable {
                    operation,
                    message: reason,
                },
                None => StoreError::Unavailable {
                    operation,
                    message: detail.chars().take(300).collect(),
                },
            }
        }
    }
}

/// What the SDK's long error chain means for the person who has to fix it.
fn unreachable_reason(detail: &str) -> Option<String> {
    let lower = detail.to_ascii_lowercase();
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
        .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
        .map(|e| format!(" at {e}"))
        .unwrap_or_default();
    if lower.contains("credentials") {
        Some("no AWS credentials were found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (any values for the local emulator)".into())
    } else if lower.contains("connection refused")
        || lower.contains("dns error")
        || lower.contains("failed to lookup")
    {
        Some(format!(
            "nothing answers{endpoint} (connection refused): start the emulator (`make local`) or check AWS_ENDPOINT_URL_DYNAMODB and AWS_REGION"
        ))
    } else if lower.contains("timeout") || lower.contains("timed out") {
        Some(format!(
            "no answer in time{endpoint}: check the network, the endpoint and the region"
        ))
    } else {
        None
    }
}

pub(super) fn build(err: BuildError) -> StoreError {
    StoreError::Rejected {
        operation: "build request",
        message: err.to_string(),
    }
}
