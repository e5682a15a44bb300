use shared::{aws, config::EnvReader, telemetry};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let config = offers::Config::read(EnvReader::from_env())?;
    let state = offers::AppState::new(config, &aws::sdk_config().await);
    lambda_http::run(offers::router(state)).await
}
