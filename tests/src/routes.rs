//! A stand-in for API Gateway: routes each request to the function that owns its path, following the
//! watch router in Cargo.toml (which the consistency test keeps identical to template.yaml).

use std::collections::BTreeMap;

use axum::{
    Router,
    routing::{MethodFilter, MethodRouter},
};

use crate::watch_routes;

/// The whole API: every watch route served by the router of its function. `router_of` builds a
/// function's router once; requests reach it with the full original path, as on an HTTP API's
/// `$default` stage.
pub fn gateway(router_of: impl Fn(&str) -> Router) -> Router {
    let mut routers: BTreeMap<String, Router> = BTreeMap::new();
    let mut gateway = Router::new();
    for (path, methods) in watch_routes() {
        let mut method_router = MethodRouter::new();
        for (method, function) in methods {
            let router = routers
                .entry(function.clone())
                .or_insert_with(|| router_of(&function))
                .clone();
            // `into_service` because axum refuses a plain `Router` as a route's service.
            let service = router.into_service();
            method_router = match method.as_str() {
                "ANY" => method_router.fallback_service(service),
                other => {
                    let filter =
                        MethodFilter::try_from(other.parse::<http::Method>().expect("a method"))
                            .expect("a routable method");
                    method_router.on_service(filter, service)
                }
            };
        }
        gateway = gateway.route(&path, method_router);
    }
    gateway
}
