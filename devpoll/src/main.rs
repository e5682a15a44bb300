//! `devpoll`: polls the local stack's queues and runs the queue functions' handlers on them (see the
//! library docs). Reads the queue URLs and the functions' settings from the environment (local.env);
//! answers `GET /` on `DEVPOLL_ADDR` with the queues it polls, so `make dev` knows it is up.

use axum::{Json, Router, routing::get};
use shared::config::EnvReader;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shared::telemetry::init();
    let mut env = EnvReader::from_env();
    let addr = env.required("DEVPOLL_ADDR");
    env.finish()?;
    let sdk = shared::aws::sdk_config_from_default_chain().await;
    let poller = devpoll::Poller::start(&sdk, |_| sdk.clone(), EnvReader::from_env)?;
    let queues: Vec<_> = poller
        .queues
        .iter()
        .map(|(url, function)| serde_json::json!({"queue": url, "function": function}))
        .collect();
    tracing::info!(queues = ?poller.queues, scheduled = ?poller.scheduled, "devpoll polling");
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    let status = Router::new().route(
        "/",
        get(move || {
            let queues = queues.clone();
            async move { Json(serde_json::json!({"polling": queues})) }
        }),
    );
    axum::serve(listener, status).await?;
    drop(poller);
    Ok(())
}
