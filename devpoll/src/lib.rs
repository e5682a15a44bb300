//! `devpoll`: what AWS does between a queue and the function it feeds, for the local stack and the
//! tests. In AWS an event source mapping long-polls each queue, invokes the function with a batch
//! (an `SqsEvent`), and deletes the messages the function did not report as failed
//! (`ReportBatchItemFailures`); the others come back after the visibility timeout and, after the
//! queue's `maxReceiveCount`, move to its dead-letter queue. This crate does exactly that with the
//! SAME handler functions the Lambda mains call, so a queued mail or upload takes the production path.
//! It also stands in for EventBridge's schedules: it runs `catalog-snapshot` every
//! [`SNAPSHOT_EVERY`] when the stack keeps a snapshot object (`CATALOG_SNAPSHOT_BUCKET`).
//! It is never deployed (template.yaml wires the real mappings and schedules); `make dev` runs the
//! binary, the tests run [`Poller::start`] inside each test's API.

use std::{collections::HashSet, future::Future, pin::Pin, sync::Arc, time::Duration};

use aws_config::SdkConfig;
use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, MessageSystemAttributeName, QueueAttributeName,
};
use shared::{
    aws,
    config::EnvReader,
    queue::{SqsBatchResponse, SqsEvent, SqsMessage},
};
use tokio::task::JoinHandle;

/// How long one receive waits for a message (SQS long polling allows up to 20 s).
const WAIT_SECS: i32 = 10;

/// How often the local stack runs `catalog-snapshot` (the template's schedule is a parameter, every
/// five minutes by default): often enough to see the object follow the catalogue while developing.
pub const SNAPSHOT_EVERY: Duration = Duration::from_secs(60);

type Handler =
    Arc<dyn Fn(SqsEvent) -> Pin<Box<dyn Future<Output = SqsBatchResponse> + Send>> + Send + Sync>;

/// The queues and the functions they feed, read from the functions' own settings.
pub struct Poller {
    tasks: Vec<JoinHandle<()>>,
    /// `(queue URL, function)` of every queue polled.
    pub queues: Vec<(String, &'static str)>,
    /// The functions run on a schedule.
    pub scheduled: Vec<&'static str>,
}

impl Poller {
    /// Starts polling every queue: `MAIL_QUEUE_URL` for `mailer`, `UPLOAD_CHECK_QUEUE_URL` for
    /// `upload-check`. `env` gives each function the environment it would have in AWS (called once
    /// per function), and `sdk_of` the AWS configuration a function's clients use (the tests limit
    /// each function to its IAM policy through it).
    pub fn start(
        sdk: &SdkConfig,
        sdk_of: impl Fn(&str) -> SdkConfig,
        env: impl Fn() -> EnvReader,
    ) -> anyhow::Result<Poller> {
        let mut queue_env = env();
        let mail_queue = queue_env.required("MAIL_QUEUE_URL");
        let upload_check_queue = queue_env.required("UPLOAD_CHECK_QUEUE_URL");
        queue_env.finish()?;

        let mailer = mailer::MailerState::new(mailer::Config::read(env())?, &sdk_of("mailer"));
        let mailer: Handler = Arc::new(move |event| {
            let mailer = mailer.clone();
            Box::pin(async move { mailer::handle(&mailer, event).await })
        });

        let checker = upload_check::CheckerState::new(
            upload_check::Config::read(env())?,
            &sdk_of("upload-check"),
        );
        let checker: Handler = Arc::new(move |event| {
            let checker = checker.clone();
            Box::pin(async move { upload_check::handle(&checker, event).await })
        });

        let sqs = aws::sqs(sdk);
        let queues = [
            (mail_queue, "mailer", mailer),
            (upload_check_queue, "upload-check", checker),
        ];
        let mut scheduled = Vec::new();
        let mut tasks: Vec<JoinHandle<()>> = queues
            .iter()
            .map(|(url, _, handler)| tokio::spawn(poll(sqs.clone(), url.clone(), handler.clone())))
            .collect();
        if env()
            .optional("CATALOG_SNAPSHOT_BUCKET")
            .is_some_and(|b| !b.is_empty())
        {
            let writer = catalog_snapshot::SnapshotWriter::new(
                catalog_snapshot::Config::read(env())?,
                &sdk_of("catalog-snapshot"),
            );
            tasks.push(tokio::spawn(every(SNAPSHOT_EVERY, move || {
                let writer = writer.clone();
                async move {
                    if let Err(error) = writer.run().await {
                        tracing::warn!(
                            error = format!("{error:#}"),
                            "catalog-snapshot failed; the next run tries again"
                        );
                    }
                }
            })));
            scheduled.push("catalog-snapshot");
        }
        Ok(Poller {
            queues: queues
                .iter()
                .map(|(url, function, _)| (url.clone(), *function))
                .collect(),
            scheduled,
            tasks,
        })
    }
}

/// Runs `run` every `period`, the first time one period from now, as a rate schedule does.
async fn every<F, Fut>(period: Duration, run: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        run().await;
    }
}

impl Drop for Poller {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Receives batches from `queue_url` forever, hands each to `handler` as Lambda would, and deletes
/// what it did not report as failed.
async fn poll(sqs: aws_sdk_sqs::Client, queue_url: String, handler: Handler) {
    let arn = queue_arn(&sqs, &queue_url).await;
    loop {
        let received = sqs
            .receive_message()
            .queue_url(&queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(WAIT_SECS)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await;
        let messages = match received {
            Ok(output) => output.messages.unwrap_or_default(),
            Err(e) => {
                tracing::warn!(queue = %queue_url, error = %aws_sdk_sqs::error::DisplayErrorContext(&e), "Failed to receive; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if messages.is_empty() {
            continue;
        }
        let mut event = SqsEvent::default();
        let mut receipts = Vec::new();
        for message in messages {
            let mut record = SqsMessage::default();
            record.message_id = message.message_id.clone();
            record.receipt_handle = message.receipt_handle.clone();
            record.body = message.body;
            record.attributes = message
                .attributes
                .unwrap_or_default()
                .into_iter()
                .map(|(name, value)| (name.as_str().to_owned(), value))
                .collect();
            record.event_source = Some("aws:sqs".into());
            record.event_source_arn = arn.clone();
            event.records.push(record);
            receipts.push((message.message_id, message.receipt_handle));
        }
        let response = handler(event).await;
        let failed: HashSet<String> = response
            .batch_item_failures
            .into_iter()
            .map(|failure| failure.item_identifier)
            .collect();
        let entries: Vec<_> = receipts
            .into_iter()
            .enumerate()
            .filter_map(|(i, (id, receipt))| {
                let (id, receipt) = (id?, receipt?);
                (!failed.contains(&id)).then(|| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(receipt)
                        .build()
                        .expect("id and receipt are set")
                })
            })
            .collect();
        if entries.is_empty() {
            continue;
        }
        let deleted = sqs
            .delete_message_batch()
            .queue_url(&queue_url)
            .set_entries(Some(entries))
            .send()
            .await;
        if let Err(e) = deleted {
            tracing::warn!(queue = %queue_url, error = %aws_sdk_sqs::error::DisplayErrorContext(&e), "Failed to delete handled messages; they will come back");
        }
    }
}

/// The queue's ARN, which Lambda puts in every record's `eventSourceARN`.
async fn queue_arn(sqs: &aws_sdk_sqs::Client, queue_url: &str) -> Option<String> {
    sqs.get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .ok()?
        .attributes?
        .remove(&QueueAttributeName::QueueArn)
}
