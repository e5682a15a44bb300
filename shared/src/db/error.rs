//! What a failed DynamoDB call means for the request.
//!
//! The SDK's `to_string()` is only "service error", so every failure is logged with
//! `DisplayErrorContext` and the call's context, classified, and mapped to a status: a failed condition
//! is the caller's to interpret (409, 401, ...), throttling and timeouts are 503 with `Retry-After`,
//! and anything else is a 500 that tells the client nothing about our tables.

use std::fmt::Debug;

use aws_sdk_dynamodb::{
    error::{DisplayErrorContext, ProvideErrorMetadata, SdkError},
    operation::transact_write_items::TransactWriteItemsError,
};

use crate::{error::ApiError, i18n::Msg};

/// Seconds a client should wait after we were throttled.
pub const THROTTLED_RETRY_AFTER_SECS: u64 = 1;

const THROTTLING_CODES: [&str; 4] = [
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "ThrottlingError",
];

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A `ConditionExpression` was false: the item exists, is gone, or changed under us.
    #[error("conditional check failed")]
    ConditionFailed,
    /// A transaction was cancelled; one reason code per item, in request order (`"None"` for items
    /// that were fine, `"ConditionalCheckFailed"`, `"TransactionConflict"`, ...).
    #[error("transaction cancelled: {0:?}")]
    TransactionCanceled(Vec<String>),
    /// DynamoDB asked us to slow down.
    #[error("throttled by DynamoDB")]
    Throttled,
    /// DynamoDB did not answer in time (the SDK's connect timeout, or any timeout a client sets).
    #[error("DynamoDB did not answer in time")]
    TimedOut,
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl StoreError {
    /// Classifies any SDK error; `context` says what we were doing ("Failed to load the session").
    pub fn from_sdk<E, R>(error: SdkError<E, R>, context: &str) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: Debug + Send + Sync + 'static,
    {
        let timed_out = match &error {
            SdkError::TimeoutError(_) => true,
            SdkError::DispatchFailure(failure) => failure.is_timeout(),
            _ => false,
        };
        if timed_out {
            tracing::warn!(error = %DisplayErrorContext(&error), "{context}: timed out");
            return StoreError::TimedOut;
        }
        match error.code() {
            Some("ConditionalCheckFailedException") => StoreError::ConditionFailed,
            Some(code) if THROTTLING_CODES.contains(&code) => {
                tracing::warn!(error = %DisplayErrorContext(&error), "{context}: throttled");
                StoreError::Throttled
            }
            _ => StoreError::Other(anyhow::anyhow!(
                "{context}: {}",
                DisplayErrorContext(&error)
            )),
        }
    }

    /// Like [`StoreError::from_sdk`], keeping the per-item reasons of a cancelled transaction.
    pub fn from_transaction<R>(error: SdkError<TransactWriteItemsError, R>, context: &str) -> Self
    where
        R: Debug + Send + Sync + 'static,
    {
        if let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) =
            error.as_service_error()
        {
            let reasons: Vec<String> = cancelled
                .cancellation_reasons()
                .iter()
                .map(|r| r.code().unwrap_or("None").to_owned())
                .collect();
            if reasons
                .iter()
                .any(|r| THROTTLING_CODES.contains(&r.as_str()))
            {
                tracing::warn!(?reasons, "{context}: throttled");
                return StoreError::Throttled;
            }
            return StoreError::TransactionCanceled(reasons);
        }
        Self::from_sdk(error, context)
    }

    /// Whether the item at `index` of a transaction failed its condition.
    pub fn failed_condition_at(&self, index: usize) -> bool {
        match self {
            StoreError::TransactionCanceled(reasons) => reasons
                .get(index)
                .is_some_and(|r| r == "ConditionalCheckFailed"),
            _ => false,
        }
    }
}

impl From<StoreError> for ApiError {
    /// The default meaning of each failure. A caller for which a failed condition means something else
    /// (401 for a reused refresh token, 404 for a vanished item) matches on the `StoreError` first.
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::ConditionFailed | StoreError::TransactionCanceled(_) => {
                ApiError::Conflict(Msg::Conflict)
            }
            StoreError::Throttled | StoreError::TimedOut => ApiError::ServiceUnavailable {
                retry_after_secs: THROTTLED_RETRY_AFTER_SECS,
            },
            StoreError::Other(error) => ApiError::Unexpected(error),
        }
    }
}

/// `.store_context("Failed to ...")` on any SDK call's result.
pub trait StoreResultExt<T> {
    fn store_context(self, context: &str) -> Result<T, StoreError>;
}

impl<T, E, R> StoreResultExt<T> for Result<T, SdkError<E, R>>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: Debug + Send + Sync + 'static,
{
    fn store_context(self, context: &str) -> Result<T, StoreError> {
        self.map_err(|error| StoreError::from_sdk(error, context))
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::{
        config::http::HttpResponse, error::ErrorMetadata, operation::put_item::PutItemError,
        types::CancellationReason,
    };
    use aws_smithy_types::body::SdkBody;
    use http::StatusCode;

    use super::*;

    fn raw(status: u16) -> HttpResponse {
        HttpResponse::new(status.try_into().unwrap(), SdkBody::empty())
    }

    fn put_item_failure(code: &str) -> SdkError<PutItemError, HttpResponse> {
        let error = PutItemError::generic(
            ErrorMetadata::builder()
                .code(code)
                .message("details")
                .build(),
        );
        SdkError::service_error(error, raw(400))
    }

    #[test]
    fn conditional_failures_throttling_and_the_rest_are_told_apart() {
        let condition =
            StoreError::from_sdk(put_item_failure("ConditionalCheckFailedException"), "put");
        assert!(matches!(condition, StoreError::ConditionFailed));
        assert_eq!(ApiError::from(condition).status(), StatusCode::CONFLICT);

        for code in THROTTLING_CODES {
            let throttled = StoreError::from_sdk(put_item_failure(code), "put");
            assert!(matches!(throttled, StoreError::Throttled), "{code}");
            let api = ApiError::from(throttled);
            assert!(
                matches!(
                    api,
                    ApiError::ServiceUnavailable {
                        retry_after_secs: 1
                    }
                ),
                "{code}"
            );
        }

        let other = StoreError::from_sdk(put_item_failure("ValidationException"), "Failed to save");
        let StoreError::Other(inner) = &other else {
            panic!("{other:?}")
        };
        let logged = format!("{inner:?}");
        assert!(
            logged.contains("Failed to save") && logged.contains("ValidationException"),
            "{logged}"
        );
        assert_eq!(
            ApiError::from(other).status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[test]
    fn timeouts_are_a_503_with_retry_after() {
        let timed_out: SdkError<PutItemError, HttpResponse> =
            SdkError::timeout_error("attempt timeout");
        let error = StoreError::from_sdk(timed_out, "put");
        assert!(matches!(error, StoreError::TimedOut), "{error:?}");
        assert!(matches!(
            ApiError::from(error),
            ApiError::ServiceUnavailable {
                retry_after_secs: 1
            }
        ));
    }

    #[test]
    fn cancelled_transactions_keep_their_reasons() {
        let cancelled = aws_sdk_dynamodb::types::error::TransactionCanceledException::builder()
            .cancellation_reasons(CancellationReason::builder().code("None").build())
            .cancellation_reasons(
                CancellationReason::builder()
                    .code("ConditionalCheckFailed")
                    .build(),
            )
            .build();
        let error = SdkError::service_error(
            TransactWriteItemsError::TransactionCanceledException(cancelled),
            raw(400),
        );
        let store_error = StoreError::from_transaction(error, "transact");
        assert!(!store_error.failed_condition_at(0));
        assert!(store_error.failed_condition_at(1));
        assert_eq!(ApiError::from(store_error).status(), StatusCode::CONFLICT);
    }
}
