//! One-time codes read back from the emulator's sent mail: confirmation, guest reset, limits.

use api_tests::{
    RequestLog, TestApp, queue_depth, spawn_app, spawn_app_logged, spawn_app_with, unique_email,
};
use aws_sdk_dynamodb::types::AttributeValue;
use reqwest::StatusCode;
use serde_json::json;
use shared::{clock::now_secs, db::Key};

use super::client::{Auth, field};

const CONFIRMATION: &str = "email_confirmation";
const RESET: &str = "reset_password";

/// Registers a client and logs it in (which mails a confirmation code); returns its email and access token.
async fn login_unconfirmed(app: &TestApp) -> (String, String) {
    let email = unique_email();
    app.register(&email, "password-123").await;
    let login = app.login(&email, "password-123").await;
    (email, field(&login, "accessToken"))
}

#[tokio::test]
async fn logging_in_unconfirmed_mails_a_code_that_confirms_the_email() {
    let app = spawn_app().await;
    let (email, access) = login_unconfirmed(&app).await;
    let me = Auth::anonymous(&app).with(&access);
    let code = app.last_code(&email).await;
    assert_eq!(code.len(), 6);
    assert!(code.bytes().all(|b| b.is_ascii_digit()));

    let verified = me.verify_otp(&code, CONFIRMATION).await.ok();

    assert_eq!(verified, json!({"success": true}));
    assert_eq!(me.me().await.ok()["confirmed"], true);
    let again = me.verify_otp(&code, CONFIRMATION).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED, "a code works once");
    let resend = me.send_otp(Some(CONFIRMATION)).await;
    assert_eq!(
        resend.status,
        StatusCode::CONFLICT,
        "nothing left to confirm"
    );
}

#[tokio::test]
async fn codes_are_mailed_in_the_requested_language() {
    let app = spawn_app().await;
    let email = unique_email();
    app.register(&email, "password-123").await;

    Auth::anonymous(&app)
        .in_lang("en-GB,en;q=0.8")
        .send_guest_otp(&email, None)
        .await;

    let mails = app.mails_to(&email).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].subject, "Reset your Belta Shop password");
    assert_eq!(mails[0].from, api_tests::MAIL_FROM);
}

#[tokio::test]
async fn a_resend_within_a_minute_waits_and_the_hourly_limit_holds() {
    let app = spawn_app().await;
    let (email, access) = login_unconfirmed(&app).await;
    let me = Auth::anonymous(&app).with(&access);

    let resend = me.send_otp(Some(CONFIRMATION)).await;
    assert_eq!(resend.status, StatusCode::TOO_MANY_REQUESTS);
    let retry_after = resend.retry_after();
    assert!((1..=60).contains(&retry_after), "{retry_after}");

    // Five sends in the last hour, the latest two minutes ago: the sixth must wait for the oldest to age out.
    let now = now_secs();
    let sends = [3000, 2000, 1000, 500, 120].map(|ago| AttributeValue::N((now - ago).to_string()));
    app.dynamodb
        .update_item()
        .table_name(&app.table_name)
        .set_key(Some(
            Key::new(format!("OTP#email_confirmation#{email}"), "OTP").to_attributes(),
        ))
        .update_expression("SET sends = :sends")
        .expression_attribute_values(":sends", AttributeValue::L(sends.to_vec()))
        .send()
        .await
        .unwrap();
    let sixth = me.send_otp(Some(CONFIRMATION)).await;
    assert_eq!(sixth.status, StatusCode::TOO_MANY_REQUESTS);
    let retry_after = sixth.retry_after();
    assert!(
        (595..=600).contains(&retry_after),
        "the oldest send ages out in 600 s, not {retry_after}"
    );
}

/// A code that is not `code`.
fn wrong_for(code: &str) -> &'static str {
    if code == "000000" { "111111" } else { "000000" }
}

/// Sets attributes of one of `email`'s items for email confirmation (`OTP` or `OTP_FAILURES`), as if
/// time had passed.
async fn age(app: &TestApp, email: &str, sk: &str, set: &str, value: AttributeValue) {
    app.dynamodb
        .update_item()
        .table_name(&app.table_name)
        .set_key(Some(
            Key::new(format!("OTP#email_confirmation#{email}"), sk).to_attributes(),
        ))
        .update_expression(format!("SET {set} = :value"))
        .expression_attribute_values(":value", value)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn five_wrong_codes_burn_the_code() {
    let app = spawn_app().await;
    let (email, access) = login_unconfirmed(&app).await;
    let me = Auth::anonymous(&app).with(&access);
    let code = app.last_code(&email).await;
    for attempt in 1..=5 {
        let answer = me.verify_otp(wrong_for(&code), CONFIRMATION).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    // The pause that five wrong codes start is over; the code itself stays burnt.
    let past = AttributeValue::N((now_secs() - 1).to_string());
    age(&app, &email, "OTP_FAILURES", "pausedUntil", past).await;

    let right = me.verify_otp(&code, CONFIRMATION).await;

    right.fails(StatusCode::UNAUTHORIZED, "invalid_otp");
}

/// Fails before the count across codes: every resend brought five fresh tries and nothing paused.
#[tokio::test]
async fn wrong_codes_across_resends_pause_verifying_longer_each_time_and_tell_the_owner() {
    let app = spawn_app().await;
    let (email, access) = login_unconfirmed(&app).await;
    let me = Auth::anonymous(&app).with(&access).in_lang("en");
    let mails_before = app.mails_to(&email).await.len();
    let code = app.last_code(&email).await;

    for attempt in 1..=5 {
        let answer = me.verify_otp(wrong_for(&code), CONFIRMATION).await;
        answer.fails(StatusCode::UNAUTHORIZED, "invalid_otp");
        assert!(attempt < 5 || app.mails_to(&email).await.len() == mails_before + 1);
    }
    let mails = app.mails_to(&email).await;
    assert_eq!(
        mails.last().unwrap().subject,
        "Wrong codes for your Belta Shop email confirmation",
        "the owner is told when verifying pauses"
    );
    let paused = me.verify_otp(&code, CONFIRMATION).await;
    let retry_after = paused.retry_after();
    paused.fails(StatusCode::TOO_MANY_REQUESTS, "too_many_wrong_codes");
    assert!((895..=900).contains(&retry_after), "{retry_after}");

    // The pause is over and a minute has passed: a resend brings a new code, but not five fresh tries
    // before the next, twice as long, pause.
    let past = || AttributeValue::N((now_secs() - 61).to_string());
    age(&app, &email, "OTP_FAILURES", "pausedUntil", past()).await;
    age(
        &app,
        &email,
        "OTP",
        "sends",
        AttributeValue::L(vec![past()]),
    )
    .await;
    me.send_otp(Some(CONFIRMATION)).await.ok();
    let code = app.last_code(&email).await;
    for _ in 1..=5 {
        let answer = me.verify_otp(wrong_for(&code), CONFIRMATION).await;
        answer.fails(StatusCode::UNAUTHORIZED, "invalid_otp");
    }
    let paused = me.verify_otp(&code, CONFIRMATION).await;
    let retry_after = paused.retry_after();
    paused.fails(StatusCode::TOO_MANY_REQUESTS, "too_many_wrong_codes");
    assert!((1795..=1800).contains(&retry_after), "{retry_after}");
    assert_eq!(app.mails_to(&email).await.len(), mails_before + 3);

    // A right code after the pause works and clears the count.
    age(&app, &email, "OTP_FAILURES", "pausedUntil", past()).await;
    age(
        &app,
        &email,
        "OTP",
        "sends",
        AttributeValue::L(vec![past()]),
    )
    .await;
    me.send_otp(Some(CONFIRMATION)).await.ok();
    let code = app.last_code(&email).await;
    me.verify_otp(&code, CONFIRMATION).await.ok();
    let failures = app
        .dynamodb
        .get_item()
        .table_name(&app.table_name)
        .set_key(Some(
            Key::new(format!("OTP#email_confirmation#{email}"), "OTP_FAILURES").to_attributes(),
        ))
        .send()
        .await
        .unwrap();
    assert!(failures.item.is_none(), "a right code clears the count");
}

#[tokio::test]
async fn codes_are_stored_only_as_a_mac() {
    let app = spawn_app().await;
    let (email, _) = login_unconfirmed(&app).await;
    let code = app.last_code(&email).await;

    let item = app
        .dynamodb
        .get_item()
        .table_name(&app.table_name)
        .set_key(Some(
            Key::new(format!("OTP#email_confirmation#{email}"), "OTP").to_attributes(),
        ))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();

    let stored = format!("{item:?}");
    assert!(
        !stored.contains(&format!("\"{code}\"")),
        "the code itself is not at rest: {stored}"
    );
    assert_eq!(item["codeMac"].as_s().unwrap().len(), 64);
}

#[tokio::test]
async fn the_guest_reset_flow_sets_a_new_password_once_and_ends_every_session() {
    let app = spawn_app().await;
    let guest = Auth::anonymous(&app);
    let (email, old_session_access) = login_unconfirmed(&app).await;
    let before = app.mails_to(&email).await.len();

    guest.send_guest_otp(&email, None).await.ok();
    assert_eq!(app.mails_to(&email).await.len(), before + 1);
    let code = app.last_code(&email).await;
    let verified = guest.verify_guest_otp(&email, &code, RESET).await;
    assert_eq!(verified.header("cache-control"), "no-store");
    let reset_token = field(&verified.ok(), "resetPasswordToken");
    let resetting = guest.with(&reset_token);

    assert_eq!(
        resetting.me().await.status,
        StatusCode::UNAUTHORIZED,
        "a reset token is no access token"
    );
    let same = resetting.reset_password("password-123").await;
    assert_eq!(same.status, StatusCode::CONFLICT);
    resetting.reset_password("brand-new-pass").await.ok();

    assert_eq!(
        guest.login(&email, "password-123").await.status,
        StatusCode::UNAUTHORIZED
    );
    guest.login(&email, "brand-new-pass").await.ok();
    assert_eq!(
        guest.with(&old_session_access).me().await.status,
        StatusCode::UNAUTHORIZED,
        "old sessions ended"
    );
    let twice = resetting.reset_password("another-pass-1").await;
    assert_eq!(
        twice.status,
        StatusCode::UNAUTHORIZED,
        "a reset token works once"
    );
}

#[tokio::test]
async fn guest_routes_do_not_reveal_whether_an_email_has_an_account() {
    let app = spawn_app().await;
    let guest = Auth::anonymous(&app);
    let known = unique_email();
    app.register(&known, "password-123").await;
    let unknown = unique_email();

    let for_known = guest.send_guest_otp(&known, Some(RESET)).await;
    let for_unknown = guest.send_guest_otp(&unknown, Some(RESET)).await;

    assert_eq!(
        (for_known.status, for_unknown.status),
        (StatusCode::OK, StatusCode::OK)
    );
    assert_eq!(for_known.text, for_unknown.text);
    assert!(
        app.mails_to(&unknown).await.is_empty(),
        "no mail for an unknown address"
    );
    let again = guest.send_guest_otp(&unknown, Some(RESET)).await;
    assert_eq!(
        again.status,
        StatusCode::TOO_MANY_REQUESTS,
        "limits count unknown emails too"
    );
    let verify = guest.verify_guest_otp(&unknown, "123456", RESET).await;
    verify.fails(StatusCode::UNAUTHORIZED, "invalid_otp");
}

/// Sending a guest code, and guessing one up to the guess that pauses verifying, make the same
/// requests in the same order for an email with an account as for one without: the reads, the code's
/// writes and one queued message each time (for the unknown email, a message the mailer drops). So
/// neither the answer nor its timing tells whether an account exists.
#[tokio::test]
async fn guest_codes_cost_the_same_requests_whether_or_not_the_email_has_an_account() {
    let log = RequestLog::start().await;
    let app = spawn_app_logged(&log).await;
    let guest = Auth::anonymous(&app);
    let known = unique_email();
    app.register(&known, "password-123").await;
    let unknown = unique_email();

    for purpose in [RESET, CONFIRMATION] {
        log.take();
        let for_known = guest.send_guest_otp(&known, Some(purpose)).await;
        let known_requests = log.take();
        let for_unknown = guest.send_guest_otp(&unknown, Some(purpose)).await;
        let unknown_requests = log.take();

        assert_eq!(
            (for_known.status, &for_known.text),
            (for_unknown.status, &for_unknown.text)
        );
        assert_eq!(known_requests, unknown_requests, "send, {purpose}");
        assert_eq!(
            known_requests,
            ["GetItem", "GetItem", "GetItem", "PutItem", "SendMessage"],
            "two reads for the account, the code's read and write, one queued message"
        );
    }
    for attempt in 1..=5 {
        let for_known = guest.verify_guest_otp(&known, "000000", RESET).await;
        let known_requests = log.take();
        let for_unknown = guest.verify_guest_otp(&unknown, "000000", RESET).await;
        let unknown_requests = log.take();

        assert_eq!(
            (for_known.status, &for_known.text),
            (for_unknown.status, &for_unknown.text)
        );
        assert_eq!(known_requests, unknown_requests, "wrong code {attempt}");
    }

    let mails = app.mails_to(&known).await;
    assert_eq!(
        mails.len(),
        3,
        "the account got its two codes and the pause notice: {mails:?}"
    );
    assert!(app.mails_to(&unknown).await.is_empty());
}

/// When SES refuses mail, the answer is the one it always is, for an account and for an unknown
/// email alike: the mail left the request path. The refused mail is not lost: the queue gives it to
/// the mailer again, and after the last try keeps it in the dead-letter queue.
#[tokio::test]
async fn an_ses_failure_changes_no_answer_and_the_mail_ends_in_the_dead_letter_queue() {
    // No SES identity exists for this sender's domain: SES refuses every mail from it.
    let app = spawn_app_with(&[("MAIL_FROM", "no-reply@unverified.belta.test")]).await;
    let guest = Auth::anonymous(&app);
    let known = unique_email();
    app.register(&known, "password-123").await;
    let sqs = shared::aws::sqs(&app.sdk_config);
    sqs.set_queue_attributes()
        .queue_url(&app.mail_queue.url)
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout,
            "1",
        )
        .send()
        .await
        .unwrap();

    let for_known = guest.send_guest_otp(&known, Some(RESET)).await;
    let for_unknown = guest.send_guest_otp(&unique_email(), Some(RESET)).await;

    assert_eq!(
        (for_known.status, &for_known.text),
        (StatusCode::OK, &for_unknown.text)
    );
    let dead_letters = sqs
        .get_queue_url()
        .queue_name(format!("{}-mail-dlq", app.table_name))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let started = std::time::Instant::now();
    while queue_depth(&app.sdk_config, &dead_letters).await != (1, 0) {
        assert!(
            started.elapsed().as_secs() < 20,
            "the refused mail reached the dead-letter queue"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(app.mails_to(&known).await.is_empty(), "SES sent nothing");
}

#[tokio::test]
async fn code_routes_validate_their_bodies() {
    let app = spawn_app().await;
    let (_, access) = login_unconfirmed(&app).await;
    let me = Auth::anonymous(&app).with(&access);
    let answers = [
        (
            "a code with a letter",
            me.verify_otp("12a456", CONFIRMATION).await,
            "otp",
        ),
        (
            "an unknown purpose",
            me.verify_otp("123456", "wire_money").await,
            "purpose",
        ),
        ("no purpose", me.send_otp(None).await, "purpose"),
    ];
    for (why, answer, field) in answers {
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{why}");
        assert!(
            answer.body["fields"][field].is_array(),
            "{why}: {}",
            answer.text
        );
    }
    let bad_email = Auth::anonymous(&app).send_guest_otp("nope", None).await;
    assert_eq!(bad_email.status, StatusCode::BAD_REQUEST);
    let no_token = Auth::anonymous(&app).send_otp(Some(CONFIRMATION)).await;
    assert_eq!(no_token.status, StatusCode::UNAUTHORIZED);
}
