//! The consuming side of an SQS queue, as Lambda's event source mapping drives it: a batch of
//! records in ([`SqsEvent`]), the records that failed out ([`SqsBatchResponse`], with
//! `ReportBatchItemFailures`), so only those come back after the visibility timeout and, after the
//! queue's `maxReceiveCount`, land in its dead-letter queue. The functions that consume a queue
//! (`mailer`, `upload-check`) handle one record at a time through [`each_record`]; locally `devpoll`
//! receives the messages and calls the same handlers.

use std::future::Future;

pub use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};

/// Runs `handle` on every record's body, concurrently, and reports the ones that failed. A failure is
/// logged with the message id only: bodies may hold personal data or codes.
pub async fn each_record<F, Fut>(event: SqsEvent, handle: F) -> SqsBatchResponse
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let outcomes = futures_util::future::join_all(event.records.into_iter().map(|record| {
        let id = record.message_id.unwrap_or_default();
        let handled = handle(record.body.unwrap_or_default());
        async move { (id, handled.await) }
    }))
    .await;
    let mut response = SqsBatchResponse::default();
    for (id, outcome) in outcomes {
        if let Err(error) = outcome {
            tracing::error!(message_id = %id, error = format!("{error:#}"), "A queued record failed; it will be retried");
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_the_records_that_failed_are_reported() {
        let mut event = SqsEvent::default();
        for (id, body) in [("a", "ok"), ("b", "bad"), ("c", "ok")] {
            let mut record = SqsMessage::default();
            record.message_id = Some(id.into());
            record.body = Some(body.into());
            event.records.push(record);
        }
        let response = each_record(event, |body| async move {
            anyhow::ensure!(body == "ok", "not ok");
            Ok(())
        })
        .await;
        let failed: Vec<_> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(failed, ["b"]);
    }
}
