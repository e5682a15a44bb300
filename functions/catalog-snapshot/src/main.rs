use lambda_runtime::{LambdaEvent, service_fn};
use shared::{aws, config::EnvReader, telemetry};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let config = catalog_snapshot::Config::read(EnvReader::from_env())?;
    let writer = catalog_snapshot::SnapshotWriter::new(config, &aws::sdk_config().await);
    // The scheduled event says nothing the run needs.
    lambda_runtime::run(service_fn(|_: LambdaEvent<serde_json::Value>| {
        let writer = writer.clone();
        async move {
            let outcome = writer.run().await?;
            Ok::<_, lambda_runtime::Error>(serde_json::json!({ "outcome": format!("{outcome:?}") }))
        }
    }))
    .await
}
