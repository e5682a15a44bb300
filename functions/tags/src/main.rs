use shared::{aws, config::EnvReader, telemetry};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let config = tags::Config::read(EnvReader::from_env())?;
    let state = tags::AppState::new(config, &aws::sdk_config().await);
    lambda_http::run(tags::router(state)).await
}
