//! The `mailer` function: sends the mails the API put on the mail queue (`shared::mail`) through SES.
//!
//! Lambda's event source mapping hands it batches of queue messages; locally `devpoll` does the same
//! with the same [`handle`]. A message without a mail (a request for an email with no account) is
//! dropped; a mail SES refuses (throttling, an outage, a rejected address) is reported as a failed
//! record, comes back after the visibility timeout, and after a few tries lands in the dead-letter
//! queue. Nothing here logs a message body: it holds an address and, often, a one-time code.

use anyhow::Context;
use aws_config::SdkConfig;
use shared::{
    aws,
    config::{ConfigError, EnvReader},
    mail::{Mailer, Outgoing},
    queue::{SqsBatchResponse, SqsEvent, each_record},
};

pub struct Config {
    /// `MAIL_FROM`: the sender, an SES-verified address or one of a verified domain.
    pub mail_from: String,
}

impl Config {
    pub fn read(mut env: EnvReader) -> Result<Self, ConfigError> {
        let config = Config {
            mail_from: env.required("MAIL_FROM"),
        };
        env.finish()?;
        Ok(config)
    }
}

#[derive(Clone)]
pub struct MailerState {
    mailer: Mailer,
}

impl MailerState {
    pub fn new(config: Config, sdk: &SdkConfig) -> Self {
        MailerState {
            mailer: Mailer {
                ses: aws::ses(sdk),
                from: config.mail_from,
            },
        }
    }
}

/// Sends the mail of every record; the records whose mail was not sent are reported for a retry.
#[tracing::instrument(skip_all, fields(records = event.records.len()))]
pub async fn handle(state: &MailerState, event: SqsEvent) -> SqsBatchResponse {
    each_record(event, |body| deliver(state, body)).await
}

async fn deliver(state: &MailerState, body: String) -> anyhow::Result<()> {
    let outgoing: Outgoing =
        serde_json::from_str(&body).context("A queued message is not an outgoing mail")?;
    match outgoing.mail {
        Some(mail) => state.mailer.send(mail).await,
        None => Ok(()),
    }
}
