use shared::{aws, config::EnvReader, telemetry};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let config = users::Config::read(EnvReader::from_env())?;
    let state = users::UsersState::new(config, &aws::sdk_config());
    lambda_http::run(users::router(state)).await
}
