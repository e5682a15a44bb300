//! One-time codes for `email_confirmation` and `reset_password`: the item `OTP#<purpose>#<email>` /
//! `OTP`, whose only writer is [`CodeStore`].
//!
//! A code is stored only as an HMAC (keyed by a key derived from `JWT_SECRET`, bound to purpose and
//! email), lives 10 minutes, allows 5 wrong tries, and is consumed by a conditional write in the same
//! transaction as its effect ([`CodeConsumption`], committed by `UserStore`), so two racing
//! verifications cannot both win. Sending is limited per email and purpose to one per 60 s and 5 per
//! hour. No fixed code, no binding to IP or user agent.

use aws_sdk_dynamodb::{
    Client,
    types::{AttributeValue, TransactWriteItem, Update},
};
use hmac::{Hmac, KeyInit, Mac};
use rand::Rng;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use shared::{
    FieldIssue, Lang,
    auth::VerifierConfig,
    clock::now_secs,
    config::EnvReader,
    db::{Key, StoreError, StoreResultExt, get_record},
    mail::Mail,
};
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

use crate::email::Email;

pub const CODE_TTL_SECS: i64 = 10 * 60;
pub const MAX_WRONG_TRIES: u32 = 5;
pub const RESEND_AFTER_SECS: i64 = 60;
pub const MAX_SENDS_PER_HOUR: usize = 5;
const HOUR: i64 = 3600;

#[derive(Clone, Copy, Debug)]
pub struct OtpConfig {
    /// `OTP_LENGTH`, 4 to 8 digits (default 6; Belta's front-ends have 4 input boxes).
    pub length: u32,
}

impl OtpConfig {
    pub fn read(env: &mut EnvReader) -> Self {
        OtpConfig {
            length: env.checked("OTP_LENGTH", 6, "a whole number from 4 to 8", |n| {
                (4..=8).contains(n)
            }),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    EmailConfirmation,
    ResetPassword,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::EmailConfirmation => "email_confirmation",
            Purpose::ResetPassword => "reset_password",
        }
    }
}

/// A code as a client typed it: 4 to 8 digits (whatever `OTP_LENGTH` was when it was sent).
#[derive(Clone)]
pub struct OtpCode(String);

impl OtpCode {
    pub fn parse(raw: String) -> Result<Self, FieldIssue> {
        if (4..=8).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_digit()) {
            Ok(OtpCode(raw))
        } else {
            Err(FieldIssue::Invalid)
        }
    }
}

/// The item `OTP#<purpose>#<email>` / `OTP`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CodeRecord {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    /// HMAC of the pending code; absent when none is pending (or the email has no account).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    code_mac: Option<String>,
    code_expires_at: i64,
    attempts: u32,
    /// Unix seconds of the sends within the last hour, oldest first.
    sends: Vec<i64>,
    /// Bumped by every send: the condition that keeps two concurrent sends from both passing the limits.
    version: u64,
    expires_at: i64,
}

/// A code that was stored and must now be mailed (or withdrawn when the mail fails).
pub struct PendingCode {
    email: Email,
    purpose: Purpose,
    code: String,
    version: u64,
}

impl PendingCode {
    /// The mail that delivers the code, in the client's language.
    pub fn mail(&self, lang: Lang) -> Mail {
        code_mail(self.email.as_str(), &self.code, self.purpose, lang)
    }
}

/// The conditional write that consumes a checked code; `UserStore` commits it with the code's effect.
pub struct CodeConsumption(TransactWriteItem);

impl CodeConsumption {
    pub(crate) fn into_write(self) -> TransactWriteItem {
        self.0
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SendCodeError {
    /// The per-email limits (one per minute, five per hour) were hit.
    #[error("too many codes; retry after {retry_after_secs}s")]
    TooMany { retry_after_secs: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum CheckCodeError {
    /// Wrong, expired, spent, out of tries, or never sent: the client cannot tell which.
    #[error("invalid code")]
    Invalid,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Clone)]
pub struct CodeStore {
    db: Client,
    table: String,
    mac_key: [u8; 32],
    config: OtpConfig,
}

type HmacSha256 = Hmac<Sha256>;

impl CodeStore {
    pub fn new(
        db: Client,
        table: impl Into<String>,
        secret: &VerifierConfig,
        config: OtpConfig,
    ) -> Self {
        // A key of its own, derived from the JWT secret, so codes and tokens never share a key.
        let mut derive =
            <HmacSha256 as KeyInit>::new_from_slice(secret.secret.expose_secret().as_bytes())
                .expect("HMAC takes any key length");
        derive.update(b"belta-shop one-time codes v1");
        let mac_key = derive.finalize().into_bytes().into();
        CodeStore {
            db,
            table: table.into(),
            mac_key,
            config,
        }
    }

    fn mac(&self, purpose: Purpose, email: &Email, code: &str) -> String {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.mac_key)
            .expect("HMAC takes any key length");
        mac.update(format!("{}\n{email}\n{code}", purpose.as_str()).as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    fn key(purpose: Purpose, email: &Email) -> Key {
        Key::new(format!("OTP#{}#{email}", purpose.as_str()), "OTP")
    }

    async fn load(
        &self,
        purpose: Purpose,
        email: &Email,
    ) -> Result<Option<CodeRecord>, StoreError> {
        get_record(
            &self.db,
            &self.table,
            &Self::key(purpose, email),
            "a one-time code",
        )
        .await
    }

    /// Stores a new code when the limits allow and returns it for mailing. With `deliver = false` (no
    /// such account, or nothing to confirm) the limits are counted and the answer is the same, but no
    /// code exists and nothing is to be mailed.
    #[tracing::instrument(skip_all, fields(?purpose, deliver))]
    pub async fn open(
        &self,
        email: &Email,
        purpose: Purpose,
        deliver: bool,
    ) -> Result<Option<PendingCode>, SendCodeError> {
        let now = now_secs();
        let previous = self.load(purpose, email).await?;
        let previous_version = previous.as_ref().map(|r| r.version);
        let mut sends: Vec<i64> = previous.map(|r| r.sends).unwrap_or_default();
        sends.retain(|sent| now - sent < HOUR);
        let too_many = |retry_after_secs: i64| SendCodeError::TooMany {
            retry_after_secs: retry_after_secs.max(1) as u64,
        };
        if let Some(last) = sends.last().filter(|last| now - **last < RESEND_AFTER_SECS) {
            return Err(too_many(RESEND_AFTER_SECS - (now - last)));
        }
        if sends.len() >= MAX_SENDS_PER_HOUR {
            return Err(too_many(sends[0] + HOUR - now));
        }
        sends.push(now);

        let code = random_code(self.config.length);
        let key = Self::key(purpose, email);
        let version = previous_version.unwrap_or(0) + 1;
        let record = CodeRecord {
            pk: key.pk,
            sk: key.sk,
            code_mac: deliver.then(|| self.mac(purpose, email, &code)),
            code_expires_at: now + CODE_TTL_SECS,
            attempts: 0,
            sends,
            version,
            expires_at: now + HOUR,
        };
        let item = serde_dynamo::to_item(&record).map_err(|e| StoreError::Other(e.into()))?;
        let put = self
            .db
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item));
        let put = match previous_version {
            None => put.condition_expression("attribute_not_exists(PK)"),
            Some(v) => put
                .condition_expression("version = :v")
                .expression_attribute_values(":v", AttributeValue::N(v.to_string())),
        };
        match put
            .send()
            .await
            .store_context("Failed to store a one-time code")
        {
            Ok(_) => {}
            // A concurrent send for the same email and purpose got there first.
            Err(StoreError::ConditionFailed) => return Err(too_many(RESEND_AFTER_SECS)),
            Err(e) => return Err(e.into()),
        }
        Ok(deliver.then(|| PendingCode {
            email: email.clone(),
            purpose,
            code,
            version,
        }))
    }

    /// Makes an undelivered code unusable; the send still counts against the limits. Best effort: a
    /// failure is logged, and the code expires anyway.
    #[tracing::instrument(skip_all, fields(purpose = ?pending.purpose))]
    pub async fn withdraw(&self, pending: &PendingCode) {
        let withdrawn = self
            .db
            .update_item()
            .table_name(&self.table)
            .set_key(Some(
                Self::key(pending.purpose, &pending.email).to_attributes(),
            ))
            .update_expression("REMOVE codeMac")
            .condition_expression("version = :v")
            .expression_attribute_values(":v", AttributeValue::N(pending.version.to_string()))
            .send()
            .await;
        if let Err(e) = withdrawn {
            tracing::error!(error = %aws_sdk_dynamodb::error::DisplayErrorContext(&e), "Failed to withdraw an undelivered code");
        }
    }

    /// Checks `code`. A wrong code costs one of the 5 tries; a right one is returned as the write that
    /// consumes it, to be committed in one transaction with what the code unlocks.
    #[tracing::instrument(skip_all, fields(?purpose))]
    pub async fn check(
        &self,
        email: &Email,
        purpose: Purpose,
        code: &OtpCode,
    ) -> Result<CodeConsumption, CheckCodeError> {
        let now = now_secs();
        let record = self
            .load(purpose, email)
            .await?
            .ok_or(CheckCodeError::Invalid)?;
        let Some(stored) = record
            .code_mac
            .filter(|_| record.code_expires_at > now && record.attempts < MAX_WRONG_TRIES)
        else {
            return Err(CheckCodeError::Invalid);
        };
        let presented = self.mac(purpose, email, &code.0);
        let matches: bool = presented.as_bytes().ct_eq(stored.as_bytes()).into();
        let mac_value = AttributeValue::S(stored);
        let key = Self::key(purpose, email).to_attributes();
        if !matches {
            let counted = self
                .db
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key))
                .update_expression("ADD attempts :one")
                .condition_expression("codeMac = :mac")
                .expression_attribute_values(":one", AttributeValue::N("1".into()))
                .expression_attribute_values(":mac", mac_value)
                .send()
                .await
                .store_context("Failed to count a wrong code");
            return match counted {
                Ok(_) | Err(StoreError::ConditionFailed) => Err(CheckCodeError::Invalid),
                Err(e) => Err(e.into()),
            };
        }
        let consume = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression("REMOVE codeMac")
            .condition_expression("codeMac = :mac AND attempts < :max AND codeExpiresAt > :now")
            .expression_attribute_values(":mac", mac_value)
            .expression_attribute_values(":max", AttributeValue::N(MAX_WRONG_TRIES.to_string()))
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .build()
            .map_err(|e| StoreError::Other(e.into()))?;
        Ok(CodeConsumption(
            TransactWriteItem::builder().update(consume).build(),
        ))
    }
}

fn random_code(length: u32) -> String {
    let mut rng = rand::rng();
    (0..length)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

fn code_mail(to: &str, code: &str, purpose: Purpose, lang: Lang) -> Mail {
    let minutes = CODE_TTL_SECS / 60;
    let (subject, intro) = match (purpose, lang) {
        (Purpose::EmailConfirmation, Lang::Ar) => (
            "تأكيد بريدك الإلكتروني في متجر بلتا",
            "رمز تأكيد بريدك الإلكتروني هو",
        ),
        (Purpose::EmailConfirmation, Lang::En) => (
            "Confirm your email for Belta Shop",
            "Your email confirmation code is",
        ),
        (Purpose::ResetPassword, Lang::Ar) => (
            "إعادة تعيين كلمة المرور في متجر بلتا",
            "رمز إعادة تعيين كلمة المرور هو",
        ),
        (Purpose::ResetPassword, Lang::En) => (
            "Reset your Belta Shop password",
            "Your password reset code is",
        ),
    };
    let (expiry, ignore) = match lang {
        Lang::Ar => (
            format!("ينتهي خلال {minutes} دقائق."),
            "إذا لم تطلب هذا الرمز فتجاهل هذه الرسالة.",
        ),
        Lang::En => (
            format!("It expires in {minutes} minutes."),
            "If you did not ask for it, ignore this mail.",
        ),
    };
    let dir = if lang == Lang::Ar { "rtl" } else { "ltr" };
    Mail {
        to: to.to_owned(),
        subject: subject.to_owned(),
        text: format!("{intro}: {code}\n{expiry}\n{ignore}\n"),
        html: format!(
            "<div dir=\"{dir}\" lang=\"{}\"><p>{intro}:</p><p style=\"font-size:24px;letter-spacing:4px\"><b>{code}</b></p><p>{expiry}</p><p>{ignore}</p></div>",
            lang.tag()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_digits_of_the_configured_length() {
        for length in 4..=8 {
            let code = random_code(length);
            assert_eq!(code.len(), length as usize);
            assert!(OtpCode::parse(code).is_ok());
        }
    }

    #[test]
    fn a_typed_code_is_4_to_8_digits() {
        for bad in ["123", "123456789", "12a4", "", "１２３４"] {
            assert!(OtpCode::parse(bad.into()).is_err(), "{bad}");
        }
    }
}
