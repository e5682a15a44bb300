use shared::{aws, config::EnvReader, telemetry};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let config = auth::Config::read(EnvReader::from_env())?;
    let state = auth::AppState::new(config, &aws::sdk_config());
    lambda_http::run(auth::router(state)).await
}
