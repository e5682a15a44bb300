use shared::{aws, config::EnvReader, telemetry};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let config = brands::Config::read(EnvReader::from_env())?;
    let state = brands::AppState::new(config, &aws::sdk_config().await);
    lambda_http::run(brands::router(state)).await
}
