use shared::{aws, config::EnvReader, telemetry};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let config = categories::Config::read(EnvReader::from_env())?;
    let state = categories::AppState::new(config, &aws::sdk_config().await);
    lambda_http::run(categories::router(state)).await
}
