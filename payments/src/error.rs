//! What can go wrong with a payment, and what a client is told about it.

use shared::{ApiError, Msg};

/// Seconds a client should wait when the provider is unreachable: longer than for DynamoDB throttling,
/// (1 s), since a provider outage or timeout rarely clears within a second.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 5;

/// Each case is one a caller acts on differently. Details (the provider's message, the SDK's cause)
/// are logged where they happen; none carries a secret.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// The provider answered 4xx: our request, our key or the state it refers to was wrong. Its message
    /// is for our logs, not for clients.
    #[error("the payment provider refused the request ({status}): {message}")]
    Rejected { status: u16, message: String },
    /// A session id that is not well formed, or one the provider does not know.
    #[error("unknown payment session")]
    UnknownSession,
    /// 5xx, timeout or network failure: retrying later may work (requests carry idempotency keys).
    #[error("the payment provider is unavailable")]
    Unavailable,
    /// A webhook whose signature header is missing, malformed, stale or does not match.
    #[error("bad webhook signature")]
    BadSignature,
    /// A correctly signed webhook whose body is not an event we can read.
    #[error("malformed webhook event")]
    MalformedEvent,
    /// The provider keys could not be read from Secrets Manager or did not parse.
    #[error("the payment provider keys could not be read")]
    Secret,
}

impl From<PaymentError> for ApiError {
    fn from(error: PaymentError) -> Self {
        match error {
            PaymentError::Rejected { .. } => ApiError::BadGateway(Msg::PaymentProviderError),
            PaymentError::UnknownSession => ApiError::NotFound(Msg::PaymentSessionNotFound),
            PaymentError::Unavailable => ApiError::ServiceUnavailable {
                retry_after_secs: UNAVAILABLE_RETRY_AFTER_SECS,
            },
            PaymentError::BadSignature => ApiError::BadRequest(Msg::BadWebhookSignature),
            PaymentError::MalformedEvent => ApiError::BadRequest(Msg::MalformedJson),
            // Our configuration or Secrets Manager, already logged with its cause: a plain 500.
            PaymentError::Secret => {
                ApiError::Unexpected(anyhow::anyhow!("Failed to read the payment provider keys"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use http::StatusCode;

    use super::*;

    #[test]
    fn provider_trouble_is_502_or_503_and_signatures_400() {
        let cases = [
            (
                PaymentError::Rejected {
                    status: 401,
                    message: "Invalid API Key provided: sk_test_****1234".into(),
                },
                StatusCode::BAD_GATEWAY,
            ),
            (PaymentError::Unavailable, StatusCode::SERVICE_UNAVAILABLE),
            (PaymentError::UnknownSession, StatusCode::NOT_FOUND),
            (PaymentError::BadSignature, StatusCode::BAD_REQUEST),
            (PaymentError::MalformedEvent, StatusCode::BAD_REQUEST),
            (PaymentError::Secret, StatusCode::INTERNAL_SERVER_ERROR),
        ];
        for (error, status) in cases {
            let name = format!("{error:?}");
            assert_eq!(ApiError::from(error).status(), status, "{name}");
        }
    }
}
