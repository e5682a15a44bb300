//! One-time codes read back from the emulator's sent mail: confirmation, guest reset, limits.

use api_tests::{TestApp, spawn_app, unique_email};
use aws_sdk_dynamodb::types::AttributeValue;
use reqwest::{StatusCode, header};
use serde_json::{Value, json};
use shared::{clock::now_secs, db::Key};

async fn login_unconfirmed(app: &TestApp) -> (String, Value) {
    let email = unique_email();
    app.register(&email, "password-123").await;
    let login = app.login(&email, "password-123").await;
    (email, login)
}

#[tokio::test]
async fn logging_in_unconfirmed_mails_a_code_that_confirms_the_email() {
    let app = spawn_app().await;
    let (email, login) = login_unconfirmed(&app).await;
    let access = login["accessToken"].as_str().unwrap();
    let code = app.last_code(&email).await;
    assert_eq!(code.len(), 6);
    assert!(code.bytes().all(|b| b.is_ascii_digit()));

    let verified = app
        .post_json_as(
            "/auth/verify-otp",
            access,
            json!({"otp": code, "purpose": "email_confirmation"}),
        )
        .await;

    assert_eq!(verified.status(), StatusCode::OK);
    assert_eq!(
        verified.json::<Value>().await.unwrap(),
        json!({"success": true})
    );
    assert_eq!(
        app.get_as("/auth/me", access)
            .await
            .json::<Value>()
            .await
            .unwrap()["confirmed"],
        true
    );
    let again = app
        .post_json_as(
            "/auth/verify-otp",
            access,
            json!({"otp": code, "purpose": "email_confirmation"}),
        )
        .await;
    assert_eq!(
        again.status(),
        StatusCode::UNAUTHORIZED,
        "a code works once"
    );
    let resend = app
        .post_json_as(
            "/auth/send-otp",
            access,
            json!({"purpose": "email_confirmation"}),
        )
        .await;
    assert_eq!(
        resend.status(),
        StatusCode::CONFLICT,
        "nothing left to confirm"
    );
}

#[tokio::test]
async fn codes_are_mailed_in_the_requested_language() {
    let app = spawn_app().await;
    let email = unique_email();
    app.register(&email, "password-123").await;

    app.client
        .post(app.url("/auth/send-guest-otp"))
        .header("accept-language", "en-GB,en;q=0.8")
        .json(&json!({"email": email}))
        .send()
        .await
        .unwrap();

    let mails = app.mails_to(&email).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].subject, "Reset your Belta Shop password");
    assert_eq!(mails[0].from, api_tests::MAIL_FROM);
}

#[tokio::test]
async fn a_resend_within_a_minute_waits_and_the_hourly_limit_holds() {
    let app = spawn_app().await;
    let (email, login) = login_unconfirmed(&app).await;
    let access = login["accessToken"].as_str().unwrap();

    let resend = app
        .post_json_as(
            "/auth/send-otp",
            access,
            json!({"purpose": "email_confirmation"}),
        )
        .await;
    assert_eq!(resend.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = resend.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
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
    let sixth = app
        .post_json_as(
            "/auth/send-otp",
            access,
            json!({"purpose": "email_confirmation"}),
        )
        .await;
    assert_eq!(sixth.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: i64 = sixth.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (595..=600).contains(&retry_after),
        "the oldest send ages out in 600 s, not {retry_after}"
    );
}

#[tokio::test]
async fn five_wrong_codes_burn_the_code() {
    let app = spawn_app().await;
    let (email, login) = login_unconfirmed(&app).await;
    let access = login["accessToken"].as_str().unwrap();
    let code = app.last_code(&email).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for attempt in 1..=5 {
        let response = app
            .post_json_as(
                "/auth/verify-otp",
                access,
                json!({"otp": wrong, "purpose": "email_confirmation"}),
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
    }

    let right = app
        .post_json_as(
            "/auth/verify-otp",
            access,
            json!({"otp": code, "purpose": "email_confirmation"}),
        )
        .await;

    assert_eq!(right.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(right.json::<Value>().await.unwrap()["code"], "invalid_otp");
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
    let (email, login) = login_unconfirmed(&app).await;
    let old_session_access = login["accessToken"].as_str().unwrap().to_owned();
    let before = app.mails_to(&email).await.len();

    let sent = app
        .post_json("/auth/send-guest-otp", json!({"email": email}))
        .await;
    assert_eq!(sent.status(), StatusCode::OK);
    assert_eq!(app.mails_to(&email).await.len(), before + 1);
    let code = app.last_code(&email).await;
    let verified = app
        .post_json(
            "/auth/verify-guest-otp",
            json!({"email": email, "otp": code, "purpose": "reset_password"}),
        )
        .await;
    assert_eq!(verified.status(), StatusCode::OK);
    assert_eq!(verified.headers()[header::CACHE_CONTROL], "no-store");
    let reset_token = verified.json::<Value>().await.unwrap()["resetPasswordToken"]
        .as_str()
        .unwrap()
        .to_owned();

    assert_eq!(
        app.get_as("/auth/me", &reset_token).await.status(),
        StatusCode::UNAUTHORIZED,
        "a reset token is no access token"
    );
    let same = app
        .post_json_as(
            "/auth/reset-password",
            &reset_token,
            json!({"password": "password-123"}),
        )
        .await;
    assert_eq!(same.status(), StatusCode::CONFLICT);
    let reset = app
        .post_json_as(
            "/auth/reset-password",
            &reset_token,
            json!({"password": "brand-new-pass"}),
        )
        .await;
    assert_eq!(reset.status(), StatusCode::OK);

    assert_eq!(
        app.post_json(
            "/auth/login",
            json!({"email": email, "password": "password-123"})
        )
        .await
        .status(),
        StatusCode::UNAUTHORIZED
    );
    app.login(&email, "brand-new-pass").await;
    assert_eq!(
        app.get_as("/auth/me", &old_session_access).await.status(),
        StatusCode::UNAUTHORIZED,
        "old sessions ended"
    );
    let twice = app
        .post_json_as(
            "/auth/reset-password",
            &reset_token,
            json!({"password": "another-pass-1"}),
        )
        .await;
    assert_eq!(
        twice.status(),
        StatusCode::UNAUTHORIZED,
        "a reset token works once"
    );
}

#[tokio::test]
async fn guest_routes_do_not_reveal_whether_an_email_has_an_account() {
    let app = spawn_app().await;
    let known = unique_email();
    app.register(&known, "password-123").await;
    let unknown = unique_email();

    let for_known = app
        .post_json(
            "/auth/send-guest-otp",
            json!({"email": known, "purpose": "reset_password"}),
        )
        .await;
    let for_unknown = app
        .post_json(
            "/auth/send-guest-otp",
            json!({"email": unknown, "purpose": "reset_password"}),
        )
        .await;

    assert_eq!(
        (for_known.status(), for_unknown.status()),
        (StatusCode::OK, StatusCode::OK)
    );
    assert_eq!(
        for_known.text().await.unwrap(),
        for_unknown.text().await.unwrap()
    );
    assert!(
        app.mails_to(&unknown).await.is_empty(),
        "no mail for an unknown address"
    );
    let again = app
        .post_json(
            "/auth/send-guest-otp",
            json!({"email": unknown, "purpose": "reset_password"}),
        )
        .await;
    assert_eq!(
        again.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "limits count unknown emails too"
    );
    let verify = app
        .post_json(
            "/auth/verify-guest-otp",
            json!({"email": unknown, "otp": "123456", "purpose": "reset_password"}),
        )
        .await;
    assert_eq!(verify.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(verify.json::<Value>().await.unwrap()["code"], "invalid_otp");
}

#[tokio::test]
async fn code_routes_validate_their_bodies() {
    let app = spawn_app().await;
    let (_, login) = login_unconfirmed(&app).await;
    let access = login["accessToken"].as_str().unwrap();
    let cases = [
        (
            "/auth/verify-otp",
            json!({"otp": "12a456", "purpose": "email_confirmation"}),
            "otp",
        ),
        (
            "/auth/verify-otp",
            json!({"otp": "123456", "purpose": "wire_money"}),
            "purpose",
        ),
        ("/auth/send-otp", json!({}), "purpose"),
    ];
    for (path, body, field) in cases {
        let response = app.post_json_as(path, access, body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path} {field}");
        assert!(
            response.json::<Value>().await.unwrap()["fields"][field].is_array(),
            "{path} {field}"
        );
    }
    let bad_email = app
        .post_json("/auth/send-guest-otp", json!({"email": "nope"}))
        .await;
    assert_eq!(bad_email.status(), StatusCode::BAD_REQUEST);
    let no_token = app
        .post_json("/auth/send-otp", json!({"purpose": "email_confirmation"}))
        .await;
    assert_eq!(no_token.status(), StatusCode::UNAUTHORIZED);
}
