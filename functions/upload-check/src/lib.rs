//! The `upload-check` function: the byte check of presigned uploads (`upload::presigned`).
//!
//! The bucket sends an event for every object created under `quarantine/` to a queue; Lambda's event
//! source mapping hands this function batches of them (locally `devpoll` does, with the same
//! [`handle`]). For each new object it reads the upload's record and, while the upload is pending,
//! the object's first bytes: an image of the declared type (the same sniffing as `/upload/single`) is
//! copied to its public key and recorded `ready`; anything else is recorded `rejected`. The quarantined
//! object is deleted in every case, after the record, so a retry of a half-done check finds either the
//! object (and does it again) or the decision (and only deletes). A record already decided means the
//! same URL was used again: that object is deleted unread, and the decision stands.

use anyhow::Context;
use aws_config::SdkConfig;
use aws_sdk_s3::Client;
use serde::Deserialize;
use shared::{
    aws,
    config::{ConfigError, EnvReader, TableConfig},
    queue::{SqsBatchResponse, SqsEvent, each_record},
};
use upload::{
    image::ImageType,
    presigned::{PresignedUploads, UploadKey, UploadStatus},
};

/// Bytes read to recognise an image and its header: a PNG's `IHDR` ends at byte 33, but a JPEG's
/// frame header follows its metadata segments (EXIF, ICC profile: up to 64 KiB each) and an AVIF's
/// size sits in its `meta` box; a header past this is refused.
const SNIFF_BYTES: u64 = 512 * 1024;

pub struct Config {
    pub table: TableConfig,
    /// `UPLOAD_BUCKET`: events from any other bucket are refused.
    pub bucket: String,
}

impl Config {
    pub fn read(mut env: EnvReader) -> Result<Self, ConfigError> {
        let config = Config {
            table: TableConfig::read(&mut env),
            bucket: env.required("UPLOAD_BUCKET"),
        };
        env.finish()?;
        Ok(config)
    }
}

#[derive(Clone)]
pub struct CheckerState {
    s3: Client,
    uploads: PresignedUploads,
    bucket: String,
}

impl CheckerState {
    pub fn new(config: Config, sdk: &SdkConfig) -> Self {
        CheckerState {
            s3: aws::s3(sdk),
            uploads: PresignedUploads::new(aws::dynamodb(sdk), config.table.table_name),
            bucket: config.bucket,
        }
    }
}

/// An S3 event notification as the queue carries it. S3 also sends one `s3:TestEvent` without
/// records when the notification is set up: nothing to do.
#[derive(Deserialize)]
struct Notification {
    #[serde(rename = "Records", default)]
    records: Vec<Record>,
}

#[derive(Deserialize)]
struct Record {
    #[serde(rename = "eventName")]
    event_name: String,
    s3: Entity,
}

#[derive(Deserialize)]
struct Entity {
    bucket: Bucket,
    object: Object,
}

#[derive(Deserialize)]
struct Bucket {
    name: String,
}

#[derive(Deserialize)]
struct Object {
    /// URL-encoded, spaces as `+`.
    key: String,
}

/// Checks the object of every record; the records whose check did not finish are reported for a retry.
#[tracing::instrument(skip_all, fields(records = event.records.len()))]
pub async fn handle(state: &CheckerState, event: SqsEvent) -> SqsBatchResponse {
    each_record(event, |body| check_notification(state, body)).await
}

async fn check_notification(state: &CheckerState, body: String) -> anyhow::Result<()> {
    let notification: Notification =
        serde_json::from_str(&body).context("A queued record is not an S3 event notification")?;
    for record in notification.records {
        anyhow::ensure!(
            record.s3.bucket.name == state.bucket,
            "An event from another bucket"
        );
        if !record.event_name.starts_with("ObjectCreated:") {
            continue;
        }
        let key: String = form_urlencoded::parse(format!("k={}", record.s3.object.key).as_bytes())
            .map(|(_, key)| key.into_owned())
            .next()
            .unwrap_or_default();
        state.check(&key).await?;
    }
    Ok(())
}

impl CheckerState {
    /// Decides the upload at quarantine key `key` (once) and removes the quarantined object.
    #[tracing::instrument(skip_all, fields(key))]
    async fn check(&self, key: &str) -> anyhow::Result<()> {
        let Some(upload) = UploadKey::from_quarantined(key) else {
            tracing::warn!("An object in quarantine that no presign made; deleting it");
            return self.delete(key).await;
        };
        let pending = self
            .uploads
            .get(&upload.id)
            .await?
            .is_some_and(|record| record.status == UploadStatus::Pending);
        if pending {
            let Some(head) = self.first_bytes(key).await? else {
                // Already gone: a retry after the object was deleted, and so after the decision.
                return Ok(());
            };
            let status = if ImageType::detect(&head) == Some(upload.kind) {
                self.publish(key, &upload).await?;
                UploadStatus::Ready
            } else {
                UploadStatus::Rejected
            };
            self.uploads.decide(&upload.id, status).await?;
            tracing::info!(upload = %upload.id, ?status, "Presigned upload checked");
        }
        self.delete(key).await
    }

    /// The object's first bytes; `None` when it does not exist (any more).
    async fn first_bytes(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let object = self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .range(format!("bytes=0-{}", SNIFF_BYTES - 1))
            .send()
            .await;
        match object {
            Ok(object) => Ok(Some(
                object
                    .body
                    .collect()
                    .await
                    .context("Failed to read a quarantined upload")?
                    .to_vec(),
            )),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_no_such_key()) => Ok(None),
            Err(e) => Err(anyhow::anyhow!(
                "Failed to read a quarantined upload: {}",
                aws_sdk_s3::error::DisplayErrorContext(e)
            )),
        }
    }

    /// Copies the image to its public key, with the type, cache policy and metadata it was signed with.
    async fn publish(&self, key: &str, upload: &UploadKey) -> anyhow::Result<()> {
        self.s3
            .copy_object()
            .bucket(&self.bucket)
            .copy_source(format!("{}/{key}", self.bucket))
            .key(&upload.public)
            .send()
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "Failed to publish a checked upload: {}",
                    aws_sdk_s3::error::DisplayErrorContext(e)
                )
            })?;
        Ok(())
    }

    async fn delete(&self, key: &str) -> anyhow::Result<()> {
        self.s3
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "Failed to delete a quarantined upload: {}",
                    aws_sdk_s3::error::DisplayErrorContext(e)
                )
            })?;
        Ok(())
    }
}
