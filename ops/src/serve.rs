//! The whole API in one local process: every function's real router, routed as API Gateway routes
//! (the watch router in Cargo.toml, which a test keeps identical to template.yaml), with what runs
//! beside the functions in AWS: the queues fed to their functions (devpoll) and a payment provider
//! (devpay). `ops serve` runs it for a fuzzer or a browser; the API tests (tests/src/lib.rs) serve
//! their own deployments through the same [`function_router`] and [`gateway`], so what a fuzzer
//! talks to is what the tests test.

use std::{collections::BTreeMap, convert::Infallible, net::SocketAddr, path::PathBuf, sync::Arc};

use aws_config::SdkConfig;
use axum::{
    Router,
    body::Body,
    extract::{ConnectInfo, Request},
    response::{IntoResponse, Response},
};
use http::StatusCode;
use identity::SigningKey;
use lambda_http::{
    aws_lambda_events::apigw::ApiGatewayV2httpRequestContext, request::RequestContext,
};
use serde::Deserialize;
use shared::config::EnvReader;
use tower::{ServiceExt, service_fn, util::BoxCloneSyncService};

/// The workspace's Cargo.toml, which holds the watch router.
pub const CARGO_TOML: &str = include_str!("../../Cargo.toml");

/// What each function is deployed with.
pub struct Deployed<'a> {
    /// The environment a function reads at its cold start (a fresh reader per function).
    pub env: &'a dyn Fn() -> EnvReader,
    /// The AWS configuration a function's clients use, by binary name.
    pub sdk_of: &'a dyn Fn(&str) -> SdkConfig,
    /// The key auth signs with, for a deployment with no Secrets Manager to read it from (the offline
    /// tests); `None`, auth reads its secret from init on, as deployed.
    pub signing_key: Option<&'a SigningKey>,
}

/// Every deployed function's router, by binary name, configured as its deployment would be.
/// Add a function here when its crate is added.
pub fn function_router(function: &str, deployed: &Deployed) -> anyhow::Result<Router> {
    let env = deployed.env;
    let sdk = (deployed.sdk_of)(function);
    let catalog = |router: fn(catalog::CatalogState) -> Router| -> anyhow::Result<Router> {
        let config = catalog::CatalogConfig::read(env())?;
        Ok(router(catalog::CatalogState::new(config, &sdk)))
    };
    Ok(match function {
        "welcome" => welcome::router(welcome::Config::read(env())?),
        "upload" => upload::router(upload::AppState::new(upload::Config::read(env())?, &sdk)),
        "auth" => {
            let config = auth::Config::read(env())?;
            auth::router(match deployed.signing_key {
                None => auth::AppState::new(config, &sdk),
                Some(key) => {
                    auth::AppState::with_key(config, &identity::Pending::ready(key.clone()), &sdk)
                }
            })
        }
        "products" => catalog(products::router)?,
        "brands" => catalog(brands::router)?,
        "categories" => catalog(categories::router)?,
        "subcategories" => catalog(subcategories::router)?,
        "labels" => catalog(labels::router)?,
        "tags" => catalog(tags::router)?,
        "offers" => catalog(offers::router)?,
        "carts" => carts::router(orders::OrdersState::new(
            orders::OrdersConfig::read(env())?,
            &sdk,
        )),
        "checkout" => checkout::router(orders::OrdersState::new(
            orders::OrdersConfig::read_checkout(env())?,
            &sdk,
        )),
        "orders" => orders_function::router(orders::OrdersState::new(
            orders::OrdersConfig::read_orders(env())?,
            &sdk,
        )),
        "users" => users::router(users::UsersState::new(users::Config::read(env())?, &sdk)),
        other => anyhow::bail!("no router registered in ops/src/serve.rs for function {other:?}"),
    })
}

/// The watch router of Cargo.toml: path pattern -> methods -> function (`ANY` for every method).
pub fn watch_routes() -> BTreeMap<String, BTreeMap<String, String>> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Target {
        Function(String),
        PerMethod(Vec<MethodTarget>),
    }
    #[derive(Deserialize)]
    struct MethodTarget {
        method: String,
        function: String,
    }
    let manifest: toml::Value = toml::from_str(CARGO_TOML).expect("Cargo.toml parses");
    let router = manifest["workspace"]["metadata"]["lambda"]["watch"]["router"].clone();
    let router: BTreeMap<String, Target> = router
        .try_into()
        .expect("watch router has the documented shape");
    router
        .into_iter()
        .map(|(path, target)| {
            let methods = match target {
                Target::Function(function) => BTreeMap::from([("ANY".to_owned(), function)]),
                Target::PerMethod(targets) => targets
                    .into_iter()
                    .map(|t| (t.method.to_uppercase(), t.function))
                    .collect(),
            };
            (path, methods)
        })
        .collect()
}

/// A stand-in for API Gateway: every watch route served by the router of its function, which
/// `router_of` builds once per function. Matching is done here with `matchit` (the router axum and
/// cargo-lambda use) and the request goes to the function's router untouched, exactly as Lambda
/// would receive it, with the request context API Gateway adds.
pub fn gateway(
    router_of: impl Fn(&str) -> anyhow::Result<Router>,
) -> anyhow::Result<BoxCloneSyncService<Request<Body>, Response, Infallible>> {
    let mut routers: BTreeMap<String, Router> = BTreeMap::new();
    let mut matcher = matchit::Router::new();
    for (path, methods) in watch_routes() {
        let mut targets = BTreeMap::new();
        for (method, function) in methods {
            let router = match routers.get(&function) {
                Some(router) => router.clone(),
                None => {
                    let router = router_of(&function)
                        .map_err(|e| e.context(format!("function {function}")))?;
                    routers.insert(function.clone(), router.clone());
                    router
                }
            };
            targets.insert(method, router);
        }
        matcher.insert(path, targets)?;
    }
    let matcher = Arc::new(matcher);
    Ok(BoxCloneSyncService::new(service_fn(
        move |mut request: Request<Body>| {
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
        },
    )))
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

/// Serves `gateway` on `listener` until `shutdown` completes, with each peer's address (which the
/// API Gateway stand-in passes on as `sourceIp`).
pub async fn serve(
    listener: tokio::net::TcpListener,
    gateway: BoxCloneSyncService<Request<Body>, Response, Infallible>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // A fallback service sees the request as it came: no routing (and no path parameters) of its own.
    let api = Router::new().fallback_service(gateway);
    axum::serve(
        listener,
        api.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// `ops serve`: where to listen and where to say so.
pub struct ServeOptions {
    /// 0 picks a free port.
    pub port: u16,
    /// Also written here (the base URL and a newline) once the API answers.
    pub url_file: Option<PathBuf>,
}

/// Serves the whole API on `127.0.0.1:<port>` against the deployment the environment describes
/// (local.env and `ops bootstrap`'s resources: the table, the queues, the secrets), until SIGINT or
/// SIGTERM. Auth reads its signing key from `TOKEN_SIGNING_SECRET_ID` as at a cold start; devpoll
/// feeds the mail and upload-check queues to their functions; with `DEVPAY_SECRET_KEY` and
/// `DEVPAY_WEBHOOK_SECRET` (the keys `ops bootstrap --local-payment-keys` wrote into the payment
/// secret), devpay runs on a free port in the same process and `PAYMENT_API_URL` names it.
/// `PUBLIC_API_URL` is this server's own address, where payment pages send browsers back.
pub async fn run(options: ServeOptions) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", options.port)).await?;
    let address = format!("http://{}", listener.local_addr()?);
    let mut overrides = vec![("PUBLIC_API_URL".to_owned(), address.clone())];

    let devpay_keys = (
        std::env::var("DEVPAY_SECRET_KEY"),
        std::env::var("DEVPAY_WEBHOOK_SECRET"),
    );
    let _devpay = match devpay_keys {
        (Ok(secret_key), Ok(webhook_secret)) => {
            let devpay = devpay::DevPay::spawn(devpay::DevPayConfig {
                addr: "127.0.0.1:0".parse()?,
                secret_key,
                webhook_secret,
                webhook_url: Some(format!("{address}/checkout/webhook")),
            })
            .await?;
            overrides.push(("PAYMENT_API_URL".to_owned(), devpay.base_url.clone()));
            println!("devpay: {}", devpay.base_url);
            Some(devpay)
        }
        _ => None,
    };

    let env = move || {
        let mut vars: Vec<(String, String)> = std::env::vars().collect();
        vars.extend(overrides.iter().cloned());
        EnvReader::from_pairs(vars)
    };
    let sdk = shared::aws::sdk_config_from_default_chain().await;
    let sdk_of = |_: &str| sdk.clone();
    let deployed = Deployed {
        env: &env,
        sdk_of: &sdk_of,
        signing_key: None,
    };
    let gateway = gateway(|function| function_router(function, &deployed))?;
    let poller = devpoll::Poller::start(&sdk, sdk_of, &env)?;

    println!("serving the API on {address}");
    if let Some(path) = &options.url_file {
        std::fs::write(path, format!("{address}\n"))?;
    }
    serve(listener, gateway, stop_signal()).await?;
    drop(poller);
    println!("stopped");
    Ok(())
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("a SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
