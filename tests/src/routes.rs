//! A stand-in for API Gateway: routes each request to the function that owns its path, following the
//! watch router in Cargo.toml (which the consistency test keeps identical to template.yaml).
//!
//! Matching is done here with `matchit` (the router axum and cargo-lambda use) and the request goes to
//! the function's router untouched, exactly as Lambda would receive it.

use std::{collections::BTreeMap, convert::Infallible, net::SocketAddr, sync::Arc};

use axum::{
    Router,
    body::Body,
    extract::{ConnectInfo, Request},
    response::{IntoResponse, Response},
};
use http::StatusCode;
use lambda_http::{
    aws_lambda_events::apigw::ApiGatewayV2httpRequestContext, request::RequestContext,
};
use tower::{ServiceExt, service_fn, util::BoxCloneSyncService};

use crate::watch_routes;

/// The whole API: every watch route served by the router of its function. `router_of` builds each
/// function's router once.
pub fn gateway(
    router_of: impl Fn(&str) -> Router,
) -> BoxCloneSyncService<Request<Body>, Response, Infallible> {
    let mut routers: BTreeMap<String, Router> = BTreeMap::new();
    let mut matcher = matchit::Router::new();
    for (path, methods) in watch_routes() {
        let mut targets = BTreeMap::new();
        for (method, function) in methods {
            let router = routers
                .entry(function.clone())
                .or_insert_with(|| router_of(&function))
                .clone();
            targets.insert(method, router);
        }
        matcher
            .insert(path, targets)
            .expect("watch routes do not conflict");
    }
    let matcher = Arc::new(matcher);
    BoxCloneSyncService::new(service_fn(move |mut request: Request<Body>| {
        let matcher = matcher.clone();
        async move {
            let context = request_context(&request);
            request
                .extensions_mut()
                .insert(RequestContext::ApiGatewayV2(context));
            let target = matcher.at(request.uri().path()).ok().and_then(|found| {
                let targets = found.value;
                targets
                    .get(request.method().as_str())
                    .or_else(|| targets.get("ANY"))
                    .cloned()
            });
            Ok(match target {
                Some(router) => router
                    .oneshot(request)
                    .await
                    .unwrap_or_else(|never| match never {}),
                // What API Gateway answers for a route it does not have.
                None => (
                    StatusCode::NOT_FOUND,
                    axum::Json(serde_json::json!({"message": "Not Found"})),
                )
                    .into_response(),
            })
        }
    }))
}

/// What API Gateway tells a function about a request: here, its method, path and source address.
fn request_context(request: &Request<Body>) -> ApiGatewayV2httpRequestContext {
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.http.method = request.method().clone();
    context.http.path = Some(request.uri().path().to_owned());
    context.http.source_ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip().to_string());
    context
}
