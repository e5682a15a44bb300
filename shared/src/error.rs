//! The one error type of the API and its JSON shape.
//!
//! Every failure a client sees is `{ "error": <localized message>, "code": <stable_code>, "fields"?: {...} }`:
//! Belta's `{error}` shape, extended, never broken. Handlers return `Result<_, ApiError>`; the text is put in
//! the client's language by [`crate::http`]'s error layer, so handlers never carry a language around.

use std::collections::BTreeMap;

use axum::{
    Json,
    response::{IntoResponse, Response},
};
use http::{HeaderValue, StatusCode, header};
use serde_json::{Map, Value, json};

use crate::i18n::{FieldIssue, Lang, Msg};

pub type ApiResult<T, E = ApiError> = Result<T, E>;

/// Problems per request field, keyed by the field's path (`email`, `items[0].price`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<String, Vec<FieldIssue>>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(field: impl Into<String>, issue: FieldIssue) -> Self {
        let mut errors = Self::new();
        errors.add(field, issue);
        errors
    }

    pub fn add(&mut self, field: impl Into<String>, issue: FieldIssue) {
        self.0.entry(field.into()).or_default().push(issue);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &[FieldIssue])> {
        self.0
            .iter()
            .map(|(field, issues)| (field.as_str(), issues.as_slice()))
    }

    pub fn get(&self, field: &str) -> Option<&[FieldIssue]> {
        self.0.get(field).map(Vec::as_slice)
    }

    /// `Ok(())` when nothing was added, else these errors (which convert into the 400 naming every field).
    pub fn finish(self) -> Result<(), FieldErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }

    fn render(&self, lang: Lang) -> Value {
        let fields: Map<String, Value> = self
            .0
            .iter()
            .map(|(field, issues)| {
                let texts = issues.iter().map(|i| Value::String(i.text(lang))).collect();
                (field.clone(), Value::Array(texts))
            })
            .collect();
        Value::Object(fields)
    }
}

impl From<FieldErrors> for ApiError {
    fn from(fields: FieldErrors) -> Self {
        ApiError::Validation(fields)
    }
}

/// Everything that can go wrong in a request, each variant named after the status it answers.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 with `fields`: the body or query did not have the expected shape or values.
    #[error("validation failed: {0:?}")]
    Validation(FieldErrors),
    /// 400 for a request that is wrong as a whole (malformed JSON, a broken rule).
    #[error("bad request: {0:?}")]
    BadRequest(Msg),
    /// 401: no credentials, or credentials that are not (or no longer) valid.
    #[error("unauthorized: {0:?}")]
    Unauthorized(Msg),
    /// 403: valid credentials without the right to do this.
    #[error("forbidden: {0:?}")]
    Forbidden(Msg),
    /// 404: a missing item, or (with `Msg::RouteNotFound`) an unknown route.
    #[error("not found: {0:?}")]
    NotFound(Msg),
    /// 405: the route exists but not with this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 409: the request conflicts with the stored state (duplicate, concurrent change, delete rule).
    #[error("conflict: {0:?}")]
    Conflict(Msg),
    /// 400 or 409 with a message *and* `fields` naming what it is about (the products of a cart that
    /// cannot be bought as asked), for a rule broken by particular items rather than by a field's shape.
    #[error("rejected ({status}): {msg:?} {fields:?}")]
    Rejected {
        status: StatusCode,
        msg: Msg,
        fields: FieldErrors,
    },
    /// 413: the body (or one file in it) is over the configured limit.
    #[error("payload too large: {0:?}")]
    PayloadTooLarge(Msg),
    /// 415: a body or file in a type this route does not take.
    #[error("unsupported media type: {0:?}")]
    UnsupportedMediaType(Msg),
    /// 429 with `Retry-After`: a rate limit was hit.
    #[error("too many requests: {msg:?}, retry after {retry_after_secs}s")]
    TooManyRequests { msg: Msg, retry_after_secs: u64 },
    /// 502: a provider we depend on (the payment provider) refused our request; retrying will not help
    /// until we fix our side, so no `Retry-After`. The provider's own words are logged, never shown.
    #[error("bad gateway: {0:?}")]
    BadGateway(Msg),
    /// 503 with `Retry-After`: a dependency is throttling us; the client may retry.
    #[error("service unavailable, retry after {retry_after_secs}s")]
    ServiceUnavailable { retry_after_secs: u64 },
    /// 500: anything unexpected. The cause chain is logged once; the client only sees a generic message.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) | ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Rejected { status, .. } => *status,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            ApiError::ServiceUnavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The renderable part of the error. Unexpected errors are logged here, with their whole cause chain,
    /// and leave only a generic message behind.
    fn into_report(self) -> ErrorReport {
        let status = self.status();
        let (msg, fields, retry_after_secs) = match self {
            ApiError::Validation(fields) => (Msg::ValidationFailed, Some(fields), None),
            ApiError::Rejected { msg, fields, .. } => (msg, Some(fields), None),
            ApiError::BadRequest(msg)
            | ApiError::Unauthorized(msg)
            | ApiError::Forbidden(msg)
            | ApiError::NotFound(msg)
            | ApiError::Conflict(msg)
            | ApiError::PayloadTooLarge(msg)
            | ApiError::UnsupportedMediaType(msg)
            | ApiError::BadGateway(msg) => (msg, None, None),
            ApiError::MethodNotAllowed => (Msg::MethodNotAllowed, None, None),
            ApiError::TooManyRequests {
                msg,
                retry_after_secs,
            } => (msg, None, Some(retry_after_secs)),
            ApiError::ServiceUnavailable { retry_after_secs } => {
                (Msg::ServiceUnavailable, None, Some(retry_after_secs))
            }
            ApiError::Unexpected(error) => {
                tracing::error!(error = ?error, "request failed unexpectedly");
                (Msg::Internal, None, None)
            }
        };
        ErrorReport {
            status,
            msg,
            fields,
            retry_after_secs,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.into_report().into_response()
    }
}

/// What a client is told about an error, kept in the response's extensions so that the error layer can
/// render it again in the client's language.
#[derive(Clone, Debug)]
pub struct ErrorReport {
    status: StatusCode,
    msg: Msg,
    fields: Option<FieldErrors>,
    retry_after_secs: Option<u64>,
}

impl ErrorReport {
    pub fn render(&self, lang: Lang) -> Response {
        let mut body = json!({ "error": self.msg.text(lang), "code": self.msg.code() });
        if let Some(fields) = &self.fields {
            body["fields"] = fields.render(lang);
        }
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_LANGUAGE,
            HeaderValue::from_static(lang.tag()),
        );
        if let Some(secs) = self.retry_after_secs {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response.extensions_mut().insert(self.clone());
        response
    }
}

impl IntoResponse for ErrorReport {
    /// Rendered in the default language; the error layer re-renders it when the client wants another.
    fn into_response(self) -> Response {
        self.render(Lang::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_json(response: Response) -> Value {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn validation_errors_name_each_field_in_the_requested_language() {
        let mut fields = FieldErrors::new();
        fields.add("email", FieldIssue::Required);
        fields.add("price", FieldIssue::TooManyDecimals);
        let response = ApiError::Validation(fields).into_response();
        let report = response.extensions().get::<ErrorReport>().unwrap().clone();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);

        let english = body_json(report.render(Lang::En)).await;
        assert_eq!(english["code"], "validation_failed");
        assert_eq!(english["error"], "Some fields are invalid.");
        assert_eq!(english["fields"]["email"][0], "This field is required.");
        assert_eq!(
            english["fields"]["price"][0],
            "At most two decimal places are allowed."
        );

        let arabic = body_json(response).await;
        assert_eq!(arabic["fields"]["email"][0], "هذا الحقل مطلوب.");
    }

    #[tokio::test]
    async fn unexpected_errors_do_not_leak_their_cause() {
        let error = anyhow::anyhow!("secret table name belta-prod").context("Failed to load user");
        let response = ApiError::Unexpected(error).into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = body_json(response).await;
        assert_eq!(
            body,
            json!({"error": "حدث خطأ غير متوقع.", "code": "internal_error"})
        );
    }

    #[tokio::test]
    async fn throttling_carries_retry_after() {
        let response = ApiError::ServiceUnavailable {
            retry_after_secs: 2,
        }
        .into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "2");
    }
}
