//! Outgoing mail through SES v2, text and HTML in one message.

use aws_sdk_sesv2::{
    error::{DisplayErrorContext, ProvideErrorMetadata},
    types::{Body, Content, Destination, EmailContent, Message},
};

use crate::{db::error::THROTTLED_RETRY_AFTER_SECS, error::ApiError};

#[derive(Clone)]
pub struct Mailer {
    pub ses: aws_sdk_sesv2::Client,
    /// `MAIL_FROM`: a verified identity (address or domain).
    pub from: String,
}

pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Mailer {
    /// Sends one mail. SES throttling becomes a 503 with `Retry-After`; any other failure a logged 500.
    pub async fn send(&self, mail: Mail) -> Result<(), ApiError> {
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
        let sent = self
            .ses
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(mail.to).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await;
        match sent {
            Ok(_) => Ok(()),
            Err(e)
                if matches!(
                    e.code(),
                    Some(
                        "TooManyRequestsException"
                            | "LimitExceededException"
                            | "SendingPausedException"
                    )
                ) =>
            {
                tracing::warn!(error = %DisplayErrorContext(&e), "SES is throttling");
                Err(ApiError::ServiceUnavailable {
                    retry_after_secs: THROTTLED_RETRY_AFTER_SECS,
                })
            }
            Err(e) => Err(ApiError::Unexpected(anyhow::anyhow!(
                "Failed to send mail: {}",
                DisplayErrorContext(&e)
            ))),
        }
    }
}
