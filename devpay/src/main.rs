//! `devpay`: the local payment provider (see the library docs). Reads `DEVPAY_ADDR`,
//! `DEVPAY_SECRET_KEY`, `DEVPAY_WEBHOOK_SECRET` and `DEVPAY_WEBHOOK_URL`; `make dev` starts it.

use devpay::{DevPay, DevPayConfig};
use shared::config::EnvReader;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shared::telemetry::init();
    let mut env = EnvReader::from_env();
    let config = DevPayConfig::read(&mut env);
    env.finish()?;
    let webhook = config.webhook_url.clone();
    let devpay = DevPay::spawn(config).await?;
    tracing::info!(base_url = %devpay.base_url, webhook_url = ?webhook, "devpay listening");
    devpay.serve_forever().await?;
    Ok(())
}
