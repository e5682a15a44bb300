//! Outgoing mail, sent off the request path.
//!
//! A function that has a mail to send puts it on the mail queue ([`MailQueue::enqueue`], one SQS
//! `SendMessage`) and answers at once; the `mailer` function takes it from the queue and sends it
//! through SES ([`Mailer::send`]). So an answer never waits for SES, never depends on whether SES took
//! the mail, and costs the same whether or not there was a mail to send: a request with nothing to
//! send enqueues an [`Outgoing`] without a mail, which the mailer drops. A mail SES refuses is retried
//! by the queue and ends in its dead-letter queue.
//!
//! The message carries the rendered mail, one-time codes included: the queue is encrypted at rest and
//! keeps a message no longer than a code lives, and no code path logs a message body.

use aws_sdk_sesv2::{
    error::{DisplayErrorContext, ProvideErrorMetadata},
    types::{Body, Content, Destination, EmailContent, Message},
};
use serde::{Deserialize, Serialize};

use crate::{config::EnvReader, db::error::THROTTLED_RETRY_AFTER_SECS, error::ApiError};

/// One mail, rendered: text and HTML in one message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A message on the mail queue: a mail, or nothing (a request that must cost what a mail costs).
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outgoing {
    pub mail: Option<Mail>,
}

/// `MAIL_QUEUE_URL`: where functions put their mails.
#[derive(Clone, Debug)]
pub struct MailQueueConfig {
    pub queue_url: String,
}

impl MailQueueConfig {
    pub fn read(env: &mut EnvReader) -> Self {
        MailQueueConfig {
            queue_url: env.required("MAIL_QUEUE_URL"),
        }
    }
}

/// The sending side of the mail queue.
#[derive(Clone)]
pub struct MailQueue {
    pub sqs: aws_sdk_sqs::Client,
    pub queue_url: String,
}

impl MailQueue {
    pub fn new(config: MailQueueConfig, sqs: aws_sdk_sqs::Client) -> Self {
        MailQueue {
            sqs,
            queue_url: config.queue_url,
        }
    }

    /// Puts `mail` (or, with `None`, a message the mailer drops) on the queue: one `SendMessage`
    /// either way. SQS throttling becomes a 503 with `Retry-After`; any other failure a logged 500.
    pub async fn enqueue(&self, mail: Option<Mail>) -> Result<(), ApiError> {
        let body = serde_json::to_string(&Outgoing { mail }).map_err(anyhow::Error::from)?;
        let sent = self
            .sqs
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .send()
            .await;
        match sent {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.code(), Some("RequestThrottled" | "ThrottlingException")) => {
                tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(&e), "SQS is throttling");
                Err(ApiError::ServiceUnavailable {
                    retry_after_secs: THROTTLED_RETRY_AFTER_SECS,
                })
            }
            Err(e) => Err(ApiError::Unexpected(anyhow::anyhow!(
                "Failed to queue a mail: {}",
                aws_sdk_sqs::error::DisplayErrorContext(&e)
            ))),
        }
    }
}

/// The SES side: what the `mailer` function sends with.
#[derive(Clone)]
pub struct Mailer {
    pub ses: aws_sdk_sesv2::Client,
    /// `MAIL_FROM`: a verified identity (address or domain).
    pub from: String,
}

impl Mailer {
    /// Sends one mail. The error names SES's reason (throttling included: the queue retries later).
    pub async fn send(&self, mail: Mail) -> anyhow::Result<()> {
        let content = |data: String| {
            Content::builder()
                .data(data)
                .charset("UTF-8")
                .build()
                .expect("data is set")
        };
        let message = Message::builder()
            .subject(content(mail.subject))
            .body(
                Body::builder()
                    .text(content(mail.text))
                    .html(content(mail.html))
                    .build(),
            )
            .build();
        self.ses
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(mail.to).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("Failed to send a mail: {}", DisplayErrorContext(&e)))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_without_a_mail_reads_back_as_none() {
        let nothing = serde_json::to_string(&Outgoing { mail: None }).unwrap();
        assert_eq!(nothing, r#"{"mail":null}"#);
        let mail = Mail {
            to: "a@example.com".into(),
            subject: "s".into(),
            text: "t".into(),
            html: "<p>h</p>".into(),
        };
        let body = serde_json::to_string(&Outgoing {
            mail: Some(mail.clone()),
        })
        .unwrap();
        let read: Outgoing = serde_json::from_str(&body).unwrap();
        assert_eq!(read.mail, Some(mail));
    }
}
