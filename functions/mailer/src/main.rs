use lambda_runtime::{LambdaEvent, service_fn};
use shared::{aws, config::EnvReader, queue::SqsEvent, telemetry};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let config = mailer::Config::read(EnvReader::from_env())?;
    let state = mailer::MailerState::new(config, &aws::sdk_config());
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let state = state.clone();
        async move { Ok::<_, lambda_runtime::Error>(mailer::handle(&state, event.payload).await) }
    }))
    .await
}
