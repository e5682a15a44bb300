use shared::{aws, config::EnvReader, telemetry};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let config = products::Config::read(EnvReader::from_env())?;
    let state = products::AppState::new(config, &aws::sdk_config().await);
    lambda_http::run(products::router(state)).await
}
