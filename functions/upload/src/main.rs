use shared::{aws, config::EnvReader, telemetry};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let config = upload::Config::read(EnvReader::from_env())?;
    let state = upload::AppState::new(config, &aws::sdk_config());
    lambda_http::run(upload::router(state)).await
}
