use shared::{aws, config::EnvReader, telemetry};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let config = catalog::CatalogConfig::read(EnvReader::from_env())?;
    let state = catalog::CatalogState::new(config, &aws::sdk_config());
    lambda_http::run(offers::router(state)).await
}
