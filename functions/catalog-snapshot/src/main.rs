use lambda_runtime::{LambdaEvent, service_fn};
use shared::{aws, config::EnvReader, telemetry};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let config = catalog_snapshot::Config::read(EnvReader::from_env())?;
    let writer = catalog_snapshot::SnapshotWriter::new(config, &aws::sdk_config());
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        let writer = writer.clone();
        async move {
            // Boxed: the run's future (a whole catalogue load) is too deep to lay out inline.
            let run = Box::pin(catalog_snapshot::handle(&writer, event.payload));
            Ok::<_, lambda_runtime::Error>(run.await?)
        }
    }))
    .await
}
