use shared::{aws, config::EnvReader, telemetry};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let config = auth::Config::read(EnvReader::from_env())?;
    let sdk = aws::sdk_config();
    let signing = auth::load_signing_key(&config, &sdk).await?;
    let state = auth::AppState::new(config, &signing, &sdk);
    lambda_http::run(auth::router(state)).await
}
