//! One-time codes for `email_confirmation` and `reset_password`: the item `OTP#<purpose>#<email>` /
//! `OTP`, whose only writer is [`CodeStore`].
//!
//! A code is stored only as an HMAC (keyed by a key derived from the auth function's signing key,
//! bound to purpose and email), lives 10 minutes, allows 5 wrong tries, and is consumed by a
//! conditional write in the same transaction as its effect ([`CodeConsumption`], committed by `UserStore`), so two racing
//! verifications cannot both win. Sending is limited per email and purpose to one per 60 s and 5 per
//! hour. No fixed code, no binding to IP or user agent.
//!
//! Wrong codes are also counted per email and purpose across codes (the item
//! `OTP#<purpose>#<email>` / `OTP_FAILURES`), since every send brings 5 fresh tries: after every 5
//! wrong codes verifying pauses, 15 minutes the first time and twice as long each time after, and the
//! owner is mailed. A guess is counted before it is compared, by a write conditioned on the count it
//! read, so concurrent guesses cannot slip past the pause. Only a right code clears the count; it is
//! forgotten a year after the last wrong one's pause. That bounds guesses to [`guesses_within`] a year.

use aws_sdk_dynamodb::{
    Client,
    types::{AttributeValue, Delete, TransactWriteItem, Update},
};
use hmac::{Hmac, KeyInit, Mac};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use shared::{
    FieldIssue, Lang,
    clock::now_secs,
    config::EnvReader,
    db::{Key, StoreError, StoreResultExt, get_record},
    mail::Mail,
};
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

use crate::{
    email::Email,
    tokens::{Pending, PendingKey},
};

pub const CODE_TTL_SECS: i64 = 10 * 60;
pub const MAX_WRONG_TRIES: u32 = 5;
pub const RESEND_AFTER_SECS: i64 = 60;
pub const MAX_SENDS_PER_HOUR: usize = 5;
const HOUR: i64 = 3600;
/// Wrong codes (per email and purpose, across codes) after which verifying pauses.
pub const WRONG_CODES_PER_PAUSE: u32 = 5;
/// The first pause; each later one doubles.
pub const FIRST_PAUSE_SECS: i64 = 15 * 60;
/// The count of wrong codes outlives the last one (and its pause) by a year, so waiting never resets
/// the bound.
const FAILURES_KEPT_SECS: i64 = 366 * 24 * HOUR;
const CODE_SK: &str = "OTP";
const FAILURES_SK: &str = "OTP_FAILURES";

/// The pause that the `failures`-th wrong code starts, if it starts one.
pub fn pause_after(failures: u32) -> Option<i64> {
    (failures > 0 && failures.is_multiple_of(WRONG_CODES_PER_PAUSE)).then(|| {
        let doublings = (failures / WRONG_CODES_PER_PAUSE - 1).min(32);
        FIRST_PAUSE_SECS.saturating_mul(1 << doublings)
    })
}

/// The most codes an attacker can try for one email and purpose within `secs`, guessing whenever
/// verifying is not paused (the README states it for a year).
pub fn guesses_within(secs: i64) -> u32 {
    let (mut guesses, mut at) = (0, 0i64);
    while at <= secs {
        guesses += 1;
        at += pause_after(guesses).unwrap_or(0);
    }
    guesses
}

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
    /// What [`OtpCode::parse`] accepts, as JSON Schema.
    pub fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        shared::api::schema::to_schema(
            serde_json::json!({"type": "string", "pattern": "^[0-9]{4,8}$"}),
        )
    }

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
    /// HMAC of the pending code; absent when none is pending. A code nobody was sent (the email has no
    /// account) is stored too, so that checking a guess costs the same either way.
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

/// The item `OTP#<purpose>#<email>` / `OTP_FAILURES`: wrong codes across codes, and the pause.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FailureRecord {
    failures: u32,
    #[serde(default)]
    paused_until: i64,
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
pub struct CodeConsumption([TransactWriteItem; 2]);

impl CodeConsumption {
    /// The code's consumption and the clearing of the wrong-code count.
    pub(crate) fn into_writes(self) -> [TransactWriteItem; 2] {
        self.0
    }
}

/// A wrong code that paused verifying: its owner is to be told (when the email has an account).
#[derive(Debug)]
pub struct PauseNotice {
    pub email: Email,
    purpose: Purpose,
    failures: u32,
    pause_secs: i64,
}

impl PauseNotice {
    /// The mail that tells the owner, in the client's language.
    pub fn mail(&self, lang: Lang) -> Mail {
        pause_mail(self, lang)
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
    /// Invalid, and it paused verifying for this email and purpose: the owner is to be told. The
    /// client gets the same answer as for `Invalid`.
    #[error("invalid code; verifying paused")]
    InvalidAndPaused(PauseNotice),
    /// Verifying is paused after too many wrong codes, or a concurrent guess holds the count.
    #[error("too many wrong codes; retry after {retry_after_secs}s")]
    Paused { retry_after_secs: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Clone)]
pub struct CodeStore {
    db: Client,
    table: String,
    mac_key: Pending<[u8; 32]>,
    config: OtpConfig,
}

type HmacSha256 = Hmac<Sha256>;

impl CodeStore {
    /// Deletes of every code item that holds `email` (each purpose's code and wrong-code count), as
    /// items of a transaction another store commits (an account's deletion).
    pub(crate) fn erase_in_transaction(table: &str, email: &Email) -> Vec<TransactWriteItem> {
        [Purpose::EmailConfirmation, Purpose::ResetPassword]
            .into_iter()
            .flat_map(|purpose| {
                [
                    Self::key(purpose, email),
                    Self::failures_key(purpose, email),
                ]
            })
            .map(|key| {
                let delete = Delete::builder()
                    .table_name(table)
                    .set_key(Some(key.to_attributes()))
                    .build()
                    .expect("table and key are set");
                TransactWriteItem::builder().delete(delete).build()
            })
            .collect()
    }

    pub fn new(
        db: Client,
        table: impl Into<String>,
        signing: &PendingKey,
        config: OtpConfig,
    ) -> Self {
        // A key of its own, derived from the signing key, so codes and tokens never share a key.
        let mac_key = signing.map(|key| key.derive_key(b"belta-shop one-time codes v1"));
        CodeStore {
            db,
            table: table.into(),
            mac_key,
            config,
        }
    }

    async fn mac(&self, purpose: Purpose, email: &Email, code: &str) -> String {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&*self.mac_key.get().await)
            .expect("HMAC takes any key length");
        mac.update(format!("{}\n{email}\n{code}", purpose.as_str()).as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    fn key(purpose: Purpose, email: &Email) -> Key {
        Key::new(Self::pk(purpose, email), CODE_SK)
    }

    fn pk(purpose: Purpose, email: &Email) -> String {
        format!("OTP#{}#{email}", purpose.as_str())
    }

    fn failures_key(purpose: Purpose, email: &Email) -> Key {
        Key::new(Self::pk(purpose, email), FAILURES_SK)
    }

    /// The code item and the wrong-code count, in one Query.
    async fn load_with_failures(
        &self,
        purpose: Purpose,
        email: &Email,
    ) -> Result<(Option<CodeRecord>, FailureRecord), StoreError> {
        let output = self
            .db
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(Self::pk(purpose, email)))
            .consistent_read(true)
            .send()
            .await
            .store_context("Failed to load a one-time code")?;
        let (mut code, mut failures) = (None, FailureRecord::default());
        let malformed = |e: serde_dynamo::Error| StoreError::Other(e.into());
        for item in output.items.unwrap_or_default() {
            match item
                .get("SK")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
            {
                Some(CODE_SK) => code = Some(serde_dynamo::from_item(item).map_err(malformed)?),
                Some(FAILURES_SK) => failures = serde_dynamo::from_item(item).map_err(malformed)?,
                _ => {}
            }
        }
        Ok((code, failures))
    }

    /// Counts this guess as wrong before it is compared (a right code clears the count), conditioned
    /// on the count `seen`, so two concurrent guesses cannot both be counted as the same one. Returns
    /// the pause this guess starts if it turns out wrong.
    async fn reserve_guess(
        &self,
        purpose: Purpose,
        email: &Email,
        seen: &FailureRecord,
        now: i64,
    ) -> Result<Option<i64>, CheckCodeError> {
        let failures = seen.failures + 1;
        let pause = pause_after(failures);
        let update = self
            .db
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::failures_key(purpose, email).to_attributes()))
            .update_expression("SET failures = :failures, pausedUntil = :until, expiresAt = :kept")
            .condition_expression("attribute_not_exists(failures) OR failures = :seen")
            .expression_attribute_values(":failures", AttributeValue::N(failures.to_string()))
            .expression_attribute_values(":seen", AttributeValue::N(seen.failures.to_string()))
            .expression_attribute_values(
                ":until",
                AttributeValue::N((now + pause.unwrap_or(0)).to_string()),
            )
            .expression_attribute_values(
                ":kept",
                AttributeValue::N((now + pause.unwrap_or(0) + FAILURES_KEPT_SECS).to_string()),
            );
        match update
            .send()
            .await
            .store_context("Failed to count a code guess")
        {
            Ok(_) => Ok(pause),
            // A concurrent guess was counted first: this one is not compared at all.
            Err(StoreError::ConditionFailed) => Err(CheckCodeError::Paused {
                retry_after_secs: 1,
            }),
            Err(e) => Err(e.into()),
        }
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
    /// such account, or nothing to confirm) the limits are counted, the answer is the same and a code
    /// is stored all the same (so that guesses cost what they cost for an account), but nobody learns
    /// it: nothing is to be mailed.
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
            code_mac: Some(self.mac(purpose, email, &code).await),
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

    /// Checks `code`. A wrong code costs one of the code's 5 tries and counts towards a pause; a
    /// right one is returned as the write that consumes it (and clears the count), to be committed in
    /// one transaction with what the code unlocks.
    #[tracing::instrument(skip_all, fields(?purpose))]
    pub async fn check(
        &self,
        email: &Email,
        purpose: Purpose,
        code: &OtpCode,
    ) -> Result<CodeConsumption, CheckCodeError> {
        let now = now_secs();
        let (record, failures) = self.load_with_failures(purpose, email).await?;
        if failures.paused_until > now {
            return Err(CheckCodeError::Paused {
                retry_after_secs: (failures.paused_until - now) as u64,
            });
        }
        let pause = self.reserve_guess(purpose, email, &failures, now).await?;
        let wrong = || match pause {
            Some(pause_secs) => CheckCodeError::InvalidAndPaused(PauseNotice {
                email: email.clone(),
                purpose,
                failures: failures.failures + 1,
                pause_secs,
            }),
            None => CheckCodeError::Invalid,
        };
        let Some(stored) = record.and_then(|record| {
            record
                .code_mac
                .filter(|_| record.code_expires_at > now && record.attempts < MAX_WRONG_TRIES)
        }) else {
            return Err(wrong());
        };
        let presented = self.mac(purpose, email, &code.0).await;
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
                Ok(_) | Err(StoreError::ConditionFailed) => Err(wrong()),
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
        let clear = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(Self::failures_key(purpose, email).to_attributes()))
            .build()
            .map_err(|e| StoreError::Other(e.into()))?;
        Ok(CodeConsumption([
            TransactWriteItem::builder().update(consume).build(),
            TransactWriteItem::builder().delete(clear).build(),
        ]))
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

fn pause_mail(notice: &PauseNotice, lang: Lang) -> Mail {
    let minutes = notice.pause_secs / 60;
    let failures = notice.failures;
    let (subject, text) = match (notice.purpose, lang) {
        (Purpose::EmailConfirmation, Lang::Ar) => (
            "رموز خاطئة لتأكيد بريدك في متجر بلتا",
            format!(
                "أُدخل {failures} رمزًا خاطئًا لتأكيد بريدك الإلكتروني. أوقفنا التحقق من الرموز {minutes} دقيقة."
            ),
        ),
        (Purpose::EmailConfirmation, Lang::En) => (
            "Wrong codes for your Belta Shop email confirmation",
            format!(
                "{failures} wrong codes were entered to confirm your email. We paused checking codes for {minutes} minutes."
            ),
        ),
        (Purpose::ResetPassword, Lang::Ar) => (
            "رموز خاطئة لإعادة تعيين كلمة المرور في متجر بلتا",
            format!(
                "أُدخل {failures} رمزًا خاطئًا لإعادة تعيين كلمة مرورك. أوقفنا التحقق من الرموز {minutes} دقيقة."
            ),
        ),
        (Purpose::ResetPassword, Lang::En) => (
            "Wrong codes for your Belta Shop password reset",
            format!(
                "{failures} wrong codes were entered to reset your password. We paused checking codes for {minutes} minutes."
            ),
        ),
    };
    let safe = match lang {
        Lang::Ar => {
            "لم يُقبل أي رمز، وما زال بإمكانك الدخول بكلمة مرورك. إذا لم تكن أنت فلا حاجة لفعل شيء."
        }
        Lang::En => {
            "No code was accepted and you can still sign in with your password. If it was not you, nothing needs to be done."
        }
    };
    let dir = if lang == Lang::Ar { "rtl" } else { "ltr" };
    Mail {
        to: notice.email.as_str().to_owned(),
        subject: subject.to_owned(),
        html: format!(
            "<div dir=\"{dir}\" lang=\"{}\"><p>{text}</p><p>{safe}</p></div>",
            lang.tag()
        ),
        text: format!("{text}\n{safe}\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fifth_wrong_code_pauses_twice_as_long_as_the_last() {
        assert_eq!(pause_after(4), None);
        assert_eq!(pause_after(5), Some(15 * 60));
        assert_eq!(pause_after(10), Some(30 * 60));
        assert_eq!(pause_after(15), Some(60 * 60));
        assert!(pause_after(5000).is_some_and(|secs| secs > 0));
    }

    #[test]
    fn a_year_allows_tens_of_guesses_per_email_and_purpose() {
        const YEAR: i64 = 365 * 24 * HOUR;
        assert_eq!(guesses_within(YEAR), 80);
        assert_eq!(guesses_within(10 * YEAR), 95);
        // The README's odds of guessing one code in a year: 80 / 10^4 and 80 / 10^6.
        assert_eq!(f64::from(guesses_within(YEAR)) / 1e4, 0.008);
    }

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
