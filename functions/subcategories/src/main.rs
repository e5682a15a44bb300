use shared::{aws, config::EnvReader, telemetry};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let config = subcategories::Config::read(EnvReader::from_env())?;
    let state = subcategories::AppState::new(config, &aws::sdk_config().await);
    lambda_http::run(subcategories::router(state)).await
}
