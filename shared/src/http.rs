//! What every function's router gets around its routes: JSON 404/405, panics turned into a generic 500,
//! the body limit, one log line per request, errors rendered in the client's language, and
//! `Cache-Control: no-store` unless a route set its own.

use std::{any::Any, time::Instant};

use axum::{
    Extension, Router,
    extract::{DefaultBodyLimit, Request},
    middleware::{self, Next},
    response::{IntoResponse, Response},
};
use http::{HeaderValue, header};
use tower_http::catch_panic::CatchPanicLayer;

use crate::{
    config::HttpConfig,
    error::{ApiError, ErrorReport},
    i18n::{Lang, Msg},
};

/// Wraps a function's routes (state already applied) into the service that Lambda or a test serves.
pub fn api(routes: Router, config: &HttpConfig) -> Router {
    let routes = match &config.edge_secret {
        // What `SourceIp` checks a request against before believing CloudFront's viewer address.
        Some(secret) => routes.layer(Extension(secret.clone())),
        None => routes,
    };
    routes
        .fallback(|| async { ApiError::NotFound(Msg::RouteNotFound) })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(middleware::from_fn(log_request))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(middleware::from_fn(localize_errors))
}

/// Renders error bodies in the client's language. Responses vary with `Accept-Language` (public
/// catalogue reads are localized too), which caches must know.
async fn localize_errors(request: Request, next: Next) -> Response {
    let lang = Lang::from_headers(request.headers());
    let mut response = next.run(request).await;
    if lang != Lang::default()
        && let Some(report) = response.extensions().get::<ErrorReport>()
    {
        response = report.render(lang);
    }
    let headers = response.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("accept-language"));
    // API answers are personal or change with every write: no cache keeps one unless its route says
    // how (public catalogue reads, the JWKS).
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// One structured line per request (the Lambda runtime's span adds the `requestId`). Only the method and
/// the path are logged: query strings, headers and bodies can carry tokens, codes and passwords.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        %method,
        path,
        status = response.status().as_u16(),
        duration_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    response
}

fn panic_response(payload: Box<dyn Any + Send + 'static>) -> Response {
    let detail = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_owned());
    ApiError::Unexpected(anyhow::anyhow!("handler panicked: {detail}")).into_response()
}
