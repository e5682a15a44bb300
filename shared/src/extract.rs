//! Request extractors: a validated JSON body, validated query parameters, an id in the path, the language,
//! the source address, the domain API Gateway was called on.
//!
//! Each turns a bad request into an [`ApiError`] that names what is wrong, so handlers only ever see
//! well-formed, validated values. Unknown JSON fields are ignored (Belta's clients send some) and, since
//! bodies land in typed structs, never stored.

use std::convert::Infallible;

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Path, Request},
};
use http::{StatusCode, header, request::Parts};
use serde::de::DeserializeOwned;

pub mod de;

use crate::{
    edge::EdgeSecret,
    error::{ApiError, FieldErrors},
    i18n::{FieldIssue, JsonKind, Lang, Msg},
    id::Id,
};

/// Range and format checks that types cannot express. Runs after a body or query deserialized.
pub trait Validate {
    fn validate(&self) -> Result<(), FieldErrors> {
        Ok(())
    }
}

/// A JSON request body of type `T`, validated.
///
/// - a `Content-Type` other than JSON: 415; a body over the router's limit: 413;
/// - malformed JSON: 400 `malformed_json`; valid JSON that is not an object: 400 naming `body`; a missing field or a wrong type: 400 `validation_failed` naming
///   the field; then `T::validate`. An empty body reads as `{}`, so its missing fields get named too.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T, S> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned + Validate,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let declared_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(is_json_media_type);
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            match rejection.status() {
                StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge(Msg::PayloadTooLarge),
                _ => ApiError::BadRequest(Msg::MalformedJson),
            }
        })?;
        let is_blank = bytes.iter().all(u8::is_ascii_whitespace);
        if !is_blank && declared_json != Some(true) {
            return Err(ApiError::UnsupportedMediaType(Msg::UnsupportedMediaType));
        }
        let value = parse_json::<T>(if is_blank { b"{}" } else { &bytes })?;
        value.validate().map_err(ApiError::Validation)?;
        Ok(JsonBody(value))
    }
}

fn is_json_media_type(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json") || subtype.to_ascii_lowercase().ends_with("+json"))
}

/// Deserializes a JSON body: malformed JSON is a 400 `malformed_json`; valid JSON that is not an object
/// names `body`; a field that does not fit `T` is named with its problem (see [`de`]).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value = de::Json::parse(bytes).map_err(|_| ApiError::BadRequest(Msg::MalformedJson))?;
    // serde would read a JSON array into a struct field by field; every body of this API is an object.
    if !matches!(value, de::Json::Object(_)) {
        return Err(FieldErrors::single("body", FieldIssue::WrongType(JsonKind::Object)).into());
    }
    de::deserialize(de::Input::Json(value)).map_err(field_error)
}

/// Deserializes a query string: a value that does not fit `T` names its parameter (see [`de`]).
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let pairs = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    de::deserialize(de::Input::Query(pairs)).map_err(field_error)
}

/// The 400 naming the field and its issue.
fn field_error(problem: de::FieldProblem) -> ApiError {
    let (field, issue) = problem.into_issue();
    ApiError::Validation(FieldErrors::single(field, issue))
}

/// Query parameters of type `T`, validated. A value that does not parse names its parameter (400).
#[derive(Debug)]
pub struct QueryParams<T>(pub T);

impl<T, S> FromRequestParts<S> for QueryParams<T>
where
    T: DeserializeOwned + Validate,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let value: T = parse_query(query)?;
        value.validate().map_err(ApiError::Validation)?;
        Ok(QueryParams(value))
    }
}

/// The `{id}` of a path such as `/products/{id}`, which must be a 24-hex id (400 otherwise).
#[derive(Debug, Clone, Copy)]
pub struct PathId(pub Id);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let invalid = || ApiError::Validation(FieldErrors::single("id", FieldIssue::InvalidId));
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| invalid())?;
        raw.parse().map(PathId).map_err(|_| invalid())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Lang::from_headers(&parts.headers))
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Signup {
        email: String,
        age: u32,
        tags: Option<Vec<String>>,
        address: Option<Address>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Address {
        city: String,
    }

    fn issue_of(body: &str) -> (String, FieldIssue) {
        match parse_json::<Signup>(body.as_bytes()) {
            Err(ApiError::Validation(fields)) => {
                let (field, issues) = fields.iter().next().unwrap();
                (field.to_owned(), issues[0].clone())
            }
            other => panic!("expected a validation error for {body}, got {other:?}"),
        }
    }

    #[test]
    fn data_errors_name_the_field_and_the_problem() {
        let cases = [
            (
                r#"{"age": 3}"#,
                "email",
                FieldIssue::Required,
                "missing field",
            ),
            (
                r#"{"email": null, "age": 3}"#,
                "email",
                FieldIssue::Required,
                "null field",
            ),
            (
                r#"{"email": 5, "age": 3}"#,
                "email",
                FieldIssue::WrongType(JsonKind::String),
                "number for a string",
            ),
            (
                r#"{"email": "a", "age": "x"}"#,
                "age",
                FieldIssue::WrongType(JsonKind::Integer),
                "string for an integer",
            ),
            (
                r#"{"email": "a", "age": -1}"#,
                "age",
                FieldIssue::Invalid,
                "negative for unsigned",
            ),
            (
                r#"{"email": "a", "age": 1, "tags": [1]}"#,
                "tags[0]",
                FieldIssue::WrongType(JsonKind::String),
                "nested array element",
            ),
            (
                r#"{"email": "a", "age": 1, "address": {}}"#,
                "address.city",
                FieldIssue::Required,
                "nested missing field",
            ),
            (
                r#""text""#,
                "body",
                FieldIssue::WrongType(JsonKind::Object),
                "string body",
            ),
        ];
        for (body, field, issue, why) in cases {
            assert_eq!(issue_of(body), (field.to_owned(), issue), "{why}");
        }
    }

    #[test]
    fn syntax_errors_and_trailing_garbage_are_malformed_json() {
        for body in [r#"{"email": "#, "{,}", r#"{"email":"a","age":1} x"#, "nul"] {
            assert!(
                matches!(
                    parse_json::<Signup>(body.as_bytes()),
                    Err(ApiError::BadRequest(Msg::MalformedJson))
                ),
                "{body}"
            );
        }
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let parsed: Signup =
            parse_json(br#"{"email":"a","age":1,"role":"admin","confirmed":true}"#).unwrap();
        assert_eq!(parsed.email, "a");
    }

    #[test]
    fn json_media_types_are_recognised() {
        for (value, expected) in [
            ("application/json", true),
            ("application/json; charset=utf-8", true),
            ("Application/JSON", true),
            ("application/merge-patch+json", true),
            ("text/plain", false),
            ("application/x-www-form-urlencoded", false),
            ("json", false),
        ] {
            assert_eq!(is_json_media_type(value), expected, "{value}");
        }
    }
}

/// The caller's address: the viewer CloudFront reports on a request that proves it came through
/// CloudFront ([`crate::edge`]), else the address API Gateway saw (`requestContext.http.sourceIp`,
/// which lambda_http puts in the request's extensions); `None` when the request came through neither.
/// A client cannot choose it: a header counts only with the secret only CloudFront sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for SourceIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        use lambda_http::request::RequestContext;
        let viewer = parts
            .extensions
            .get::<EdgeSecret>()
            .and_then(|secret| secret.viewer(&parts.headers));
        if let Some(viewer) = viewer {
            return Ok(SourceIp(Some(viewer.to_string())));
        }
        Ok(SourceIp(match parts.extensions.get::<RequestContext>() {
            Some(RequestContext::ApiGatewayV2(context)) => context.http.source_ip.clone(),
            _ => None,
        }))
    }
}

/// The domain name API Gateway received the request on (`requestContext.domainName`: the API's
/// execute-api domain, or its custom domain), which lambda_http puts in the request's extensions;
/// `None` when the request did not come through API Gateway. API Gateway sets it, not the client,
/// unlike the Host header. Behind CloudFront it is still API Gateway's own domain (CloudFront sends
/// API Gateway's Host, not the viewer's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayDomain(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for GatewayDomain {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        use lambda_http::request::RequestContext;
        Ok(GatewayDomain(
            match parts.extensions.get::<RequestContext>() {
                Some(RequestContext::ApiGatewayV2(context)) => context.domain_name.clone(),
                _ => None,
            },
        ))
    }
}
