//! Presigned uploads and their check: where a presigned file lands, where it goes once its bytes are
//! known to be an image, and the item `UPLOAD#<id>` / `UPLOAD` that records the outcome, whose only
//! writer is [`PresignedUploads`].
//!
//! A presigned PUT can only write `quarantine/<public key>`, and only once (`If-None-Match: *` is
//! signed in). The S3 event of that write reaches the `upload-check` function through a queue; it
//! sniffs the bytes exactly as `/upload/single` does ([`ImageType::detect`]) and, for an image of the
//! declared type, copies it to its public key (`uploads/...`, the only prefix CloudFront serves);
//! anything else is deleted. Either way the outcome is decided once: a later object at the same
//! quarantine key (the same URL used again after the check) is deleted unread.

use aws_sdk_dynamodb::{Client, types::AttributeValue};
use serde::{Deserialize, Serialize};
use shared::{
    Id,
    clock::now_secs,
    db::{Key, StoreError, StoreResultExt, get_record},
};
use utoipa::ToSchema;

use crate::image::ImageType;

/// Where presigned uploads land until checked. Nothing reads this prefix but the checker.
pub const QUARANTINE_PREFIX: &str = "quarantine/";
/// Where images are served from (`uploads/<yyyy>/<mm>/<id>.<ext>`).
pub const PUBLIC_PREFIX: &str = "uploads/";
/// How long the outcome can be asked for after the upload URL expired.
const OUTCOME_KEPT_SECS: i64 = 24 * 3600;
const SK: &str = "UPLOAD";

/// Where a presigned upload stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UploadStatus {
    /// Not uploaded yet, or uploaded and not checked yet.
    Pending,
    /// An image of the declared type: served at its URL.
    Ready,
    /// Not an image of the declared type: deleted.
    Rejected,
}

/// A presigned upload's public key, and what the quarantine holds it under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadKey {
    pub id: Id,
    pub kind: ImageType,
    /// `uploads/<yyyy>/<mm>/<id>.<ext>`
    pub public: String,
}

impl UploadKey {
    pub fn new(id: Id, kind: ImageType, year: i32, month: u8) -> Self {
        UploadKey {
            id,
            kind,
            public: format!(
                "{PUBLIC_PREFIX}{year:04}/{month:02}/{id}.{}",
                kind.extension()
            ),
        }
    }

    /// `quarantine/uploads/<yyyy>/<mm>/<id>.<ext>`: where the browser puts the file.
    pub fn quarantined(&self) -> String {
        format!("{QUARANTINE_PREFIX}{}", self.public)
    }

    /// The upload a quarantine key belongs to; `None` for any key this module did not make.
    pub fn from_quarantined(key: &str) -> Option<Self> {
        let public = key.strip_prefix(QUARANTINE_PREFIX)?;
        let rest = public.strip_prefix(PUBLIC_PREFIX)?;
        let [year, month, file] = rest.split('/').collect::<Vec<_>>()[..] else {
            return None;
        };
        let (id, extension) = file.split_once('.')?;
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        let kind = ImageType::ALL
            .into_iter()
            .find(|kind| kind.extension() == extension)?;
        let month = month.parse().ok().filter(|_| digits(month, 2))?;
        let year = year.parse().ok().filter(|_| digits(year, 4))?;
        let upload = UploadKey::new(id.parse().ok()?, kind, year, month);
        (upload.public == public).then_some(upload)
    }
}

/// The item `UPLOAD#<id>` / `UPLOAD`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadRecord {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    pub status: UploadStatus,
    /// The public key the image has once ready.
    pub key: String,
    expires_at: i64,
}

#[derive(Clone)]
pub struct PresignedUploads {
    db: Client,
    table: String,
}

impl PresignedUploads {
    pub fn new(db: Client, table: impl Into<String>) -> Self {
        PresignedUploads {
            db,
            table: table.into(),
        }
    }

    fn key(id: &Id) -> Key {
        Key::new(format!("UPLOAD#{id}"), SK)
    }

    /// Records a presigned upload as pending until its URL has expired and a day more.
    pub async fn open(&self, upload: &UploadKey, url_expires_in: i64) -> Result<(), StoreError> {
        let key = Self::key(&upload.id);
        let record = UploadRecord {
            pk: key.pk,
            sk: key.sk,
            status: UploadStatus::Pending,
            key: upload.public.clone(),
            expires_at: now_secs() + url_expires_in + OUTCOME_KEPT_SECS,
        };
        let item = serde_dynamo::to_item(&record).map_err(|e| StoreError::Other(e.into()))?;
        self.db
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await
            .store_context("Failed to record a presigned upload")?;
        Ok(())
    }

    /// The upload's record, unless it is unknown or expired.
    pub async fn get(&self, id: &Id) -> Result<Option<UploadRecord>, StoreError> {
        let record: Option<UploadRecord> =
            get_record(&self.db, &self.table, &Self::key(id), "a presigned upload").await?;
        Ok(record.filter(|r| r.expires_at > now_secs()))
    }

    /// Decides a pending upload; `false` when it was decided already (the decision stands).
    pub async fn decide(&self, id: &Id, status: UploadStatus) -> Result<bool, StoreError> {
        let decided = self
            .db
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(id).to_attributes()))
            .update_expression("SET #status = :status")
            .condition_expression("#status = :pending")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":status", status_value(status))
            .expression_attribute_values(":pending", status_value(UploadStatus::Pending))
            .send()
            .await
            .store_context("Failed to record an upload's check");
        match decided {
            Ok(_) => Ok(true),
            Err(StoreError::ConditionFailed) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

fn status_value(status: UploadStatus) -> AttributeValue {
    let text = serde_json::to_value(status).expect("a unit variant serializes");
    AttributeValue::S(text.as_str().expect("as a string").to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quarantine_key_leads_back_to_its_upload_and_nothing_else_does() {
        let upload = UploadKey::new(Id::new(), ImageType::Png, 2026, 12);
        let quarantined = upload.quarantined();
        assert!(quarantined.starts_with("quarantine/uploads/2026/12/"));
        assert_eq!(
            UploadKey::from_quarantined(&quarantined),
            Some(upload.clone())
        );

        for other in [
            upload.public.clone(),
            format!("quarantine/{}x", upload.public),
            quarantined.replace(".png", ".svg"),
            quarantined.replace("/12/", "/1/"),
            quarantined.replace("uploads/", "uploads/../"),
            "quarantine/uploads/2026/12/not-an-id.png".to_owned(),
            "quarantine/".to_owned(),
        ] {
            assert_eq!(UploadKey::from_quarantined(&other), None, "{other}");
        }
    }

    #[test]
    fn statuses_are_stored_as_their_names() {
        assert_eq!(
            status_value(UploadStatus::Rejected),
            AttributeValue::S("rejected".into())
        );
    }
}
