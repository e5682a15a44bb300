use shared::{aws, config::EnvReader, telemetry};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let config = orders::OrdersConfig::read_orders(EnvReader::from_env())?;
    let state = orders::OrdersState::new(config, &aws::sdk_config());
    lambda_http::run(orders_function::router(state)).await
}
