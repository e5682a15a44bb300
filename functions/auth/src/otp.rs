//! One-time codes for `email_confirmation` and `reset_password`.
//!
//! A code is stored only as an HMAC (keyed by a key derived from `JWT_SECRET`, bound to purpose and
//! email), lives 10 minutes, allows 5 wrong tries, and is consumed by a conditional write in the same
//! transaction as its effect, so two racing verifications cannot both win. Sending is limited per email
//! and purpose to one per 60 s and 5 per hour. Guest routes answer the same whether or not the email has
//! an account (and mail nothing for an unknown one). No fixed code, no binding to IP or user agent.

use std::collections::HashMap;

use aws_sdk_dynamodb::{
    Client,
    types::{AttributeValue, TransactWriteItem, Update},
};
use axum::{Json, extract::State, response::Response};
use hmac::{Hmac, KeyInit, Mac};
use http::StatusCode;
use rand::Rng;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use shared::{
    ApiError, ApiResult, FieldErrors, FieldIssue, Lang, Msg,
    auth::{AuthUser, Tokens},
    clock::now_secs,
    config::EnvReader,
    db::{Key, StoreError, StoreResultExt, get_record},
    extract::{JsonBody, Validate},
    mail::{Mail, Mailer},
    users::{UserRecord, normalize_email},
};
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

use crate::{
    AppState,
    account::{check_email, current_user},
    responses::{Success, no_store, success},
};

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

#[derive(Clone)]
pub struct CodeStore {
    db: Client,
    table: String,
    mac_key: [u8; 32],
    config: OtpConfig,
}

type HmacSha256 = Hmac<Sha256>;

impl CodeStore {
    pub fn new(db: Client, table: String, tokens: &Tokens, config: OtpConfig) -> Self {
        // A key of its own, derived from the JWT secret, so codes and tokens never share a key.
        let mut derive = <HmacSha256 as KeyInit>::new_from_slice(
            tokens.config.secret.expose_secret().as_bytes(),
        )
        .expect("HMAC takes any key length");
        derive.update(b"belta-shop one-time codes v1");
        let mac_key = derive.finalize().into_bytes().into();
        CodeStore {
            db,
            table,
            mac_key,
            config,
        }
    }

    fn mac(&self, purpose: Purpose, email: &str, code: &str) -> String {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.mac_key)
            .expect("HMAC takes any key length");
        mac.update(format!("{}\n{email}\n{code}", purpose.as_str()).as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    fn key(purpose: Purpose, email: &str) -> HashMap<String, AttributeValue> {
        Key::one_time_code(purpose.as_str(), email).to_attributes()
    }

    async fn load(&self, purpose: Purpose, email: &str) -> Result<Option<CodeRecord>, StoreError> {
        get_record(
            &self.db,
            &self.table,
            &Key::one_time_code(purpose.as_str(), email),
            "a one-time code",
        )
        .await
    }

    /// Sends a new code when the limits allow. With `deliver = false` (no such account, or nothing to
    /// confirm) the limits are counted and the answer is the same, but no code exists and no mail leaves.
    pub async fn send(
        &self,
        mailer: &Mailer,
        email: &str,
        purpose: Purpose,
        deliver: bool,
        lang: Lang,
    ) -> ApiResult<()> {
        let now = now_secs();
        let previous = self.load(purpose, email).await?;
        let previous_version = previous.as_ref().map(|r| r.version);
        let mut sends: Vec<i64> = previous.map(|r| r.sends).unwrap_or_default();
        sends.retain(|sent| now - sent < HOUR);
        let too_many = |retry_after_secs: i64| ApiError::TooManyRequests {
            msg: Msg::TooManyCodes,
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
        let key = Key::one_time_code(purpose.as_str(), email);
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
        let item = serde_dynamo::to_item(&record).map_err(anyhow::Error::from)?;
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
        if !deliver {
            return Ok(());
        }
        if let Err(error) = mailer.send(code_mail(email, &code, purpose, lang)).await {
            // An undelivered code must not stay usable; the send still counts against the limits.
            let withdrawn = self
                .db
                .update_item()
                .table_name(&self.table)
                .set_key(Some(Self::key(purpose, email)))
                .update_expression("REMOVE codeMac")
                .condition_expression("version = :v")
                .expression_attribute_values(":v", AttributeValue::N(version.to_string()))
                .send()
                .await;
            if let Err(e) = withdrawn {
                tracing::error!(error = %aws_sdk_dynamodb::error::DisplayErrorContext(&e), "Failed to withdraw an undelivered code");
            }
            return Err(error);
        }
        Ok(())
    }

    /// Checks `code`. A wrong code costs one of the 5 tries; a right one is returned as the write that
    /// consumes it, to be committed in one transaction with what the code unlocks.
    pub async fn check(
        &self,
        email: &str,
        purpose: Purpose,
        code: &str,
    ) -> ApiResult<TransactWriteItem> {
        let invalid = || ApiError::Unauthorized(Msg::InvalidOtp);
        let now = now_secs();
        let record = self.load(purpose, email).await?.ok_or_else(invalid)?;
        let Some(stored) = record
            .code_mac
            .filter(|_| record.code_expires_at > now && record.attempts < MAX_WRONG_TRIES)
        else {
            return Err(invalid());
        };
        let presented = self.mac(purpose, email, code);
        let matches: bool = presented.as_bytes().ct_eq(stored.as_bytes()).into();
        let mac_value = AttributeValue::S(stored);
        if !matches {
            let counted = self
                .db
                .update_item()
                .table_name(&self.table)
                .set_key(Some(Self::key(purpose, email)))
                .update_expression("ADD attempts :one")
                .condition_expression("codeMac = :mac")
                .expression_attribute_values(":one", AttributeValue::N("1".into()))
                .expression_attribute_values(":mac", mac_value)
                .send()
                .await
                .store_context("Failed to count a wrong code");
            return match counted {
                Ok(_) | Err(StoreError::ConditionFailed) => Err(invalid()),
                Err(e) => Err(e.into()),
            };
        }
        let consume = Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(purpose, email)))
            .update_expression("REMOVE codeMac")
            .condition_expression("codeMac = :mac AND attempts < :max AND codeExpiresAt > :now")
            .expression_attribute_values(":mac", mac_value)
            .expression_attribute_values(":max", AttributeValue::N(MAX_WRONG_TRIES.to_string()))
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .build()
            .map_err(anyhow::Error::from)?;
        Ok(TransactWriteItem::builder().update(consume).build())
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

// ---- handlers ------------------------------------------------------------------------------------

fn check_code_format(otp: &str, errors: &mut FieldErrors) {
    if !(4..=8).contains(&otp.len()) || !otp.bytes().all(|b| b.is_ascii_digit()) {
        errors.add("otp", FieldIssue::Invalid);
    }
}

#[derive(Deserialize, ToSchema)]
pub struct SendBody {
    purpose: Purpose,
}

impl Validate for SendBody {}

#[derive(Deserialize, ToSchema)]
pub struct VerifyBody {
    otp: String,
    purpose: Purpose,
}

impl Validate for VerifyBody {
    fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        check_code_format(&self.otp, &mut errors);
        errors.finish()
    }
}

#[derive(Deserialize, ToSchema)]
pub struct GuestSendBody {
    email: String,
    /// Defaults to `reset_password` (Belta's store sends no purpose from its resend button).
    purpose: Option<Purpose>,
}

impl Validate for GuestSendBody {
    fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        check_email(&self.email, &mut errors);
        errors.finish()
    }
}

#[derive(Deserialize, ToSchema)]
pub struct GuestVerifyBody {
    email: String,
    otp: String,
    purpose: Purpose,
}

impl Validate for GuestVerifyBody {
    fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        check_email(&self.email, &mut errors);
        check_code_format(&self.otp, &mut errors);
        errors.finish()
    }
}

/// Mails a code to the signed-in user.
#[utoipa::path(post, path = "/auth/send-otp", tag = "auth", request_body = SendBody, security(("bearer" = [])),
    responses((status = 200, body = Success), (status = 401), (status = 409), (status = 429)))]
pub async fn send_for_user(
    State(state): State<AppState>,
    caller: AuthUser,
    lang: Lang,
    JsonBody(body): JsonBody<SendBody>,
) -> ApiResult<Json<Success>> {
    let user = current_user(&state, &caller).await?;
    if body.purpose == Purpose::EmailConfirmation && user.confirmed {
        return Err(ApiError::Conflict(Msg::EmailAlreadyConfirmed));
    }
    state
        .codes
        .send(&state.mailer, &user.email, body.purpose, true, lang)
        .await?;
    Ok(success())
}

/// Mails a code to an email given in the body. Same answer whether or not it has an account.
#[utoipa::path(post, path = "/auth/send-guest-otp", tag = "auth", request_body = GuestSendBody,
    responses((status = 200, body = Success), (status = 400), (status = 429)))]
pub async fn send_for_guest(
    State(state): State<AppState>,
    lang: Lang,
    JsonBody(body): JsonBody<GuestSendBody>,
) -> ApiResult<Json<Success>> {
    let email = normalize_email(&body.email);
    let purpose = body.purpose.unwrap_or(Purpose::ResetPassword);
    let user = state.users.find_by_email(&email).await?;
    let deliver = user.is_some_and(|u| !(purpose == Purpose::EmailConfirmation && u.confirmed));
    state
        .codes
        .send(&state.mailer, &email, purpose, deliver, lang)
        .await?;
    Ok(success())
}

/// Verifies the signed-in user's code.
#[utoipa::path(post, path = "/auth/verify-otp", tag = "auth", request_body = VerifyBody, security(("bearer" = [])),
    responses((status = 200, description = "`{success: true}`, plus `resetPasswordToken` for `reset_password`"), (status = 401)))]
pub async fn verify_for_user(
    State(state): State<AppState>,
    caller: AuthUser,
    JsonBody(body): JsonBody<VerifyBody>,
) -> ApiResult<Response> {
    let user = current_user(&state, &caller).await?;
    redeem(&state, &user, body.purpose, &body.otp).await
}

/// Verifies a code for an email given in the body. Unknown emails get the same 401 as a wrong code.
#[utoipa::path(post, path = "/auth/verify-guest-otp", tag = "auth", request_body = GuestVerifyBody,
    responses((status = 200, description = "`{success: true}`, plus `resetPasswordToken` for `reset_password`"), (status = 400), (status = 401)))]
pub async fn verify_for_guest(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<GuestVerifyBody>,
) -> ApiResult<Response> {
    let email = normalize_email(&body.email);
    let consume = state.codes.check(&email, body.purpose, &body.otp).await?;
    let user = state.users.find_by_email(&email).await?;
    let user = user.ok_or(ApiError::Unauthorized(Msg::InvalidOtp))?;
    apply(&state, &user, body.purpose, consume).await
}

async fn redeem(
    state: &AppState,
    user: &UserRecord,
    purpose: Purpose,
    otp: &str,
) -> ApiResult<Response> {
    let consume = state.codes.check(&user.email, purpose, otp).await?;
    apply(state, user, purpose, consume).await
}

/// Consumes the code and applies its effect in one transaction: confirm the email, or open a
/// password-reset grant (stored as a hash) and hand out the reset token that redeems it.
async fn apply(
    state: &AppState,
    user: &UserRecord,
    purpose: Purpose,
    consume: TransactWriteItem,
) -> ApiResult<Response> {
    let users = &state.users;
    let (effect, grant) = match purpose {
        Purpose::EmailConfirmation => (
            Update::builder()
                .update_expression("SET confirmed = :yes, updatedAt = :now")
                .expression_attribute_values(":yes", AttributeValue::Bool(true)),
            None,
        ),
        Purpose::ResetPassword => {
            let grant = hex::encode(rand::random::<[u8; 32]>());
            let update = Update::builder()
                .update_expression("SET resetGrantHash = :grant, updatedAt = :now")
                .expression_attribute_values(
                    ":grant",
                    AttributeValue::S(hex::encode(Sha256::digest(grant.as_bytes()))),
                );
            (update, Some(grant))
        }
    };
    let effect = effect
        .table_name(&users.table)
        .set_key(Some(Key::user(&user.id).to_attributes()))
        .condition_expression("attribute_exists(PK)")
        .expression_attribute_values(
            ":now",
            AttributeValue::N(shared::clock::now_millis().to_string()),
        )
        .build()
        .map_err(anyhow::Error::from)?;
    let written = users
        .db
        .transact_write_items()
        .transact_items(consume)
        .transact_items(TransactWriteItem::builder().update(effect).build())
        .send()
        .await
        .map_err(|e| StoreError::from_transaction(e, "Failed to redeem a code"));
    match written {
        Ok(_) => {}
        // Another request consumed the code first, or the account vanished.
        Err(StoreError::TransactionCanceled(_)) => {
            return Err(ApiError::Unauthorized(Msg::InvalidOtp));
        }
        Err(e) => return Err(e.into()),
    }
    match grant {
        None => Ok(no_store(StatusCode::OK, Success { success: true })),
        Some(grant) => {
            let token = state.tokens().reset(user.id, user.role, grant)?;
            Ok(no_store(
                StatusCode::OK,
                serde_json::json!({"success": true, "resetPasswordToken": token.token}),
            ))
        }
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
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
        }
    }
}
