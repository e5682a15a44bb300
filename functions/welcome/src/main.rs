use shared::{config::EnvReader, telemetry};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let config = welcome::Config::read(EnvReader::from_env())?;
    lambda_http::run(welcome::router(config)).await
}
