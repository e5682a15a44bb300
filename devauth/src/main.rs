//! `devauth`: the local OAuth provider (see the library docs). Reads `DEVAUTH_ADDR`,
//! `DEVAUTH_CLIENT_SECRET` and the client ids; `make dev` starts it.

use devauth::{DevAuth, DevAuthConfig, SigningKey};
use shared::config::EnvReader;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shared::telemetry::init();
    let mut env = EnvReader::from_env();
    let config = DevAuthConfig::read(&mut env, SigningKey::generate()?);
    env.finish()?;
    let devauth = DevAuth::spawn(config).await?;
    tracing::info!(base_url = %devauth.base_url, "devauth listening");
    devauth.serve_forever().await?;
    Ok(())
}
