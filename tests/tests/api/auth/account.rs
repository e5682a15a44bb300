//! Register, login (with lockout) and `me`.

use api_tests::{spawn_app, spawn_app_with, unique_email};
use reqwest::StatusCode;
use serde_json::json;
use shared::auth::Role;

use super::client::{Auth, field};

#[tokio::test]
async fn login_answers_belta_s_flat_body_with_real_expiry_dates() {
    let app = spawn_app().await;
    let email = unique_email();
    app.register(&email, "password-123").await;

    let answer = Auth::anonymous(&app)
        .login(&email.to_uppercase(), "password-123")
        .await;

    assert_eq!(answer.header("cache-control"), "no-store");
    let body = answer.ok();
    for field in [
        "_id",
        "fullName",
        "email",
        "confirmed",
        "role",
        "accessToken",
        "accessTokenExpireDate",
        "refreshToken",
        "refreshTokenExpireDate",
    ] {
        assert!(!body[field].is_null(), "{field} missing in {body}");
    }
    assert_eq!(
        (
            body["email"].as_str(),
            body["role"].as_str(),
            body["confirmed"].as_bool()
        ),
        (Some(email.as_str()), Some("client"), Some(false))
    );
    assert_eq!(body["provider"], "email", "Belta's clients read provider");
    assert_eq!(body["tokenType"], "Bearer");
    assert_eq!(body["expiresIn"], 900);
    let now = time::OffsetDateTime::now_utc();
    let parse = |field: &str| {
        time::OffsetDateTime::parse(
            body[field].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap()
    };
    let access_in = (parse("accessTokenExpireDate") - now).whole_seconds();
    let refresh_in = (parse("refreshTokenExpireDate") - now).whole_seconds();
    assert!(
        (890..=901).contains(&access_in),
        "access expires in {access_in}s"
    );
    assert!(
        (7 * 86400 - 10..=7 * 86400 + 1).contains(&refresh_in),
        "refresh expires in {refresh_in}s"
    );
}

#[tokio::test]
async fn registering_validates_every_field() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"email": "a@b.co", "password": "password-123"}),
            "fullName",
            "missing name",
        ),
        (
            json!({"fullName": "A", "email": "not-an-email", "password": "password-123"}),
            "email",
            "bad email",
        ),
        (
            json!({"fullName": "A", "email": "a@b.co", "password": "short"}),
            "password",
            "short password",
        ),
        (
            json!({"fullName": "A", "email": "a@b.co", "password": "x".repeat(129)}),
            "password",
            "long password",
        ),
        (
            json!({"fullName": "A", "email": "a@b.co", "password": 12345678}),
            "password",
            "number password",
        ),
        (
            json!({"fullName": "A", "email": "a@b.co", "password": "password-123", "role": "superuser"}),
            "role",
            "unknown role",
        ),
        (
            json!({"fullName": "\u{200b}", "email": "a@b.co", "password": "password-123"}),
            "fullName",
            "invisible name",
        ),
        (
            json!({"fullName": "Sara\u{202e}nimda", "email": "a@b.co", "password": "password-123"}),
            "fullName",
            "right-to-left override",
        ),
    ];
    let english = Auth::anonymous(&app).in_lang("en");
    for (body, field, why) in cases {
        let answer = english.register(&body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{why}");
        assert!(
            answer.body["fields"][field].is_array(),
            "{why}: {}",
            answer.text
        );
    }
}

#[tokio::test]
async fn an_email_registers_once_whatever_its_case_and_unknown_fields_are_not_stored() {
    let app = spawn_app().await;
    let auth = Auth::anonymous(&app);
    let email = unique_email();
    let first = auth
        .register(&json!({"fullName": "Sara", "email": email, "password": "password-123", "confirmed": true, "_id": "x"}))
        .await
        .created();
    assert_eq!(first, json!({"success": true}));

    let again = auth
        .register(&json!({"fullName": "Sara", "email": format!(" {} ", email.to_uppercase()), "password": "password-456"}))
        .await;

    again.fails(StatusCode::CONFLICT, "duplicate_email_error");
    let login = auth.login(&email, "password-123").await.ok();
    assert_eq!(
        login["confirmed"], false,
        "`confirmed` from the body was ignored"
    );
}

#[tokio::test]
async fn only_an_admin_can_register_staff() {
    let app = spawn_app().await;
    let auth = Auth::anonymous(&app);
    let body = |email: &str| json!({"fullName": "Staff", "email": email, "password": "password-123", "role": "employee"});

    let anonymous = auth.register(&body(&unique_email())).await;
    let (_, client) = app.signed_in(Role::Client).await;
    let client_token = field(&client, "accessToken");
    let as_client = auth
        .with(&client_token)
        .register(&body(&unique_email()))
        .await;
    let (_, admin) = app.signed_in(Role::Admin).await;
    let admin_token = field(&admin, "accessToken");
    let employee = unique_email();
    let as_admin = auth.with(&admin_token).register(&body(&employee)).await;

    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(as_client.status, StatusCode::FORBIDDEN);
    assert_eq!(as_admin.status, StatusCode::CREATED);
    let login = auth.login(&employee, "password-123").await.ok();
    assert_eq!(login["role"], "employee");
}

#[tokio::test]
async fn an_unknown_email_and_a_wrong_password_get_the_same_answer() {
    let app = spawn_app().await;
    let auth = Auth::anonymous(&app);
    let email = unique_email();
    app.register(&email, "password-123").await;

    let wrong = auth.login(&email, "password-999").await;
    let unknown = auth.login(&unique_email(), "password-123").await;

    assert_eq!(
        (wrong.status, unknown.status),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(wrong.body["code"], "invalid_email_or_password");
}

#[tokio::test]
async fn five_failed_logins_lock_the_account_with_retry_after() {
    let app = spawn_app().await;
    let auth = Auth::anonymous(&app);
    let email = unique_email();
    app.register(&email, "password-123").await;
    for attempt in 1..=5 {
        let answer = auth.login(&email, "wrong-password").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }

    let locked = auth.login(&email, "password-123").await;

    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    let retry_after = locked.retry_after();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    assert_eq!(locked.body["code"], "too_many_login_attempts");
    let unknown = unique_email();
    for _ in 1..=5 {
        auth.login(&unknown, "wrong-password").await;
    }
    let unknown_locked = auth.login(&unknown, "wrong-password").await;
    assert_eq!(
        unknown_locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "unknown emails lock the same way"
    );
}

/// A login through `client`, as status and error code.
async fn login_from(
    app: &api_tests::TestApp,
    client: &reqwest::Client,
    email: &str,
    password: &str,
) -> (StatusCode, String) {
    post_login(
        client.clone(),
        app.url("/auth/login"),
        email.to_owned(),
        password.to_owned(),
    )
    .await
}

async fn post_login(
    client: reqwest::Client,
    url: String,
    email: String,
    password: String,
) -> (StatusCode, String) {
    let response = client
        .post(url)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("request sent");
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    (status, body["code"].as_str().unwrap_or_default().to_owned())
}

/// Fails before the reservation: every concurrent guess read the same open window and was checked.
#[tokio::test]
async fn twenty_concurrent_wrong_passwords_get_at_most_five_checks() {
    let app = spawn_app().await;
    let email = unique_email();
    app.register(&email, "password-123").await;
    let (first, _) = login_from(&app, &app.client, &email, "wrong-password").await;
    assert_eq!(first, StatusCode::UNAUTHORIZED);

    let mut guesses = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let url = app.url("/auth/login");
        guesses.spawn(post_login(
            app.client.clone(),
            url,
            email.clone(),
            "wrong-password".into(),
        ));
    }
    let answers = guesses.join_all().await;

    let checked = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::UNAUTHORIZED)
        .count();
    assert!(
        checked <= 4,
        "{checked} more checked after the first: {answers:?}"
    );
    assert!(
        answers
            .iter()
            .all(|(status, code)| *status == StatusCode::UNAUTHORIZED
                || (*status == StatusCode::TOO_MANY_REQUESTS && code == "too_many_login_attempts")),
        "{answers:?}"
    );
}

/// Fails before the per-address key: failures from anywhere locked the owner out everywhere.
#[tokio::test]
async fn failures_from_one_address_do_not_lock_the_owner_out_elsewhere_but_the_email_has_a_ceiling()
{
    let app = spawn_app().await;
    let email = unique_email();
    app.register(&email, "password-123").await;
    let attacker = app.client_from("127.0.0.2");
    for _ in 1..=5 {
        login_from(&app, &attacker, &email, "wrong-password").await;
    }
    let (locked, code) = login_from(&app, &attacker, &email, "password-123").await;
    assert_eq!(
        (locked, code.as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "too_many_login_attempts")
    );

    let (owner, _) = login_from(&app, &app.client_from("127.0.0.3"), &email, "password-123").await;
    assert_eq!(
        owner,
        StatusCode::OK,
        "the owner's address has its own window"
    );

    // Guesses spread over addresses: the email's ceiling of 25 attempts a window holds them all.
    for address in 10..15 {
        let client = app.client_from(&format!("127.0.1.{address}"));
        for _ in 1..=5 {
            login_from(&app, &client, &email, "wrong-password").await;
        }
    }
    let (ceiling, code) =
        login_from(&app, &app.client_from("127.0.2.1"), &email, "password-123").await;
    assert_eq!(
        (ceiling, code.as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "too_many_login_attempts")
    );
}

/// What the test's CloudFront sends in `X-Origin-Verify` (`ORIGIN_VERIFY_SECRET`).
const EDGE_SECRET: &str = "edge-secret-0123456789abcdefghijklmnop";

/// A login as CloudFront passes it on: the viewer in `CloudFront-Viewer-Address`, and `proof` (the
/// secret, or what a client guessed) in `X-Origin-Verify`.
async fn login_through_edge(
    app: &api_tests::TestApp,
    client: &reqwest::Client,
    email: &str,
    password: &str,
    viewer: &str,
    proof: Option<&str>,
) -> (StatusCode, String) {
    let mut request = client
        .post(app.url("/auth/login"))
        .header("cloudfront-viewer-address", viewer)
        .json(&json!({"email": email, "password": password}));
    if let Some(proof) = proof {
        request = request.header("x-origin-verify", proof);
    }
    let response = request.send().await.expect("request sent");
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    (status, body["code"].as_str().unwrap_or_default().to_owned())
}

/// Fails before `SourceIp` read CloudFront's viewer address: behind CloudFront every viewer of one edge
/// server shared one window, so five wrong passwords from anyone there locked the owner out there too.
#[tokio::test]
async fn behind_cloudfront_login_attempts_are_counted_per_viewer() {
    let app = spawn_app_with(&[("ORIGIN_VERIFY_SECRET", EDGE_SECRET)]).await;
    // Every request comes from one socket address, the edge server's.
    let edge = app.client_from("127.0.0.5");
    let email = unique_email();
    app.register(&email, "password-123").await;

    // One viewer, IPv6 as CloudFront writes it, from a new port each time.
    for port in 40001..=40005 {
        let viewer = format!("2001:db8::7:{port}");
        login_through_edge(
            &app,
            &edge,
            &email,
            "wrong-password",
            &viewer,
            Some(EDGE_SECRET),
        )
        .await;
    }
    let viewer = "2001:db8::7:40006";
    let locked = login_through_edge(
        &app,
        &edge,
        &email,
        "password-123",
        viewer,
        Some(EDGE_SECRET),
    )
    .await;
    let other_viewer = "198.51.100.7:5000";
    let (other, _) = login_through_edge(
        &app,
        &edge,
        &email,
        "password-123",
        other_viewer,
        Some(EDGE_SECRET),
    )
    .await;

    assert_eq!(
        (locked.0, locked.1.as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "too_many_login_attempts"),
        "the viewer is locked, whatever its port"
    );
    assert_eq!(
        other,
        StatusCode::OK,
        "another viewer of the same edge server has its own window"
    );
}

/// Fails if `CloudFront-Viewer-Address` is believed without CloudFront's secret: a client calling the
/// API directly would pick a new address per guess and never be locked.
#[tokio::test]
async fn without_cloudfront_s_secret_a_viewer_address_is_only_a_client_s_claim() {
    let configured = spawn_app_with(&[("ORIGIN_VERIFY_SECRET", EDGE_SECRET)]).await;
    let unconfigured = spawn_app().await;
    let wrong = "x".repeat(EDGE_SECRET.len());
    for (app, proofs, why) in [
        (
            &configured,
            [
                None,
                Some(wrong.as_str()),
                Some(&EDGE_SECRET[1..]),
                Some(""),
            ],
            "a missing or wrong secret",
        ),
        (
            &unconfigured,
            [None, Some(EDGE_SECRET), Some(wrong.as_str()), Some("")],
            "no secret configured (the local stack)",
        ),
    ] {
        let email = unique_email();
        app.register(&email, "password-123").await;
        let caller = app.client_from("127.0.0.6");
        for (n, proof) in proofs.into_iter().chain([None]).enumerate() {
            let forged = format!("203.0.113.{n}:443");
            login_through_edge(app, &caller, &email, "wrong-password", &forged, proof).await;
        }

        let locked = login_through_edge(
            app,
            &caller,
            &email,
            "password-123",
            "203.0.113.99:443",
            proofs[1],
        )
        .await;
        let (elsewhere, _) =
            login_from(app, &app.client_from("127.0.0.7"), &email, "password-123").await;

        assert_eq!(
            (locked.0, locked.1.as_str()),
            (StatusCode::TOO_MANY_REQUESTS, "too_many_login_attempts"),
            "{why}: the guesses count against the caller's own address"
        );
        assert_eq!(elsewhere, StatusCode::OK, "{why}: and only against it");
    }
}

#[tokio::test]
async fn a_successful_login_clears_earlier_failures() {
    let app = spawn_app().await;
    let auth = Auth::anonymous(&app);
    let email = unique_email();
    app.register(&email, "password-123").await;
    for _ in 1..=2 {
        for _ in 1..=4 {
            auth.login(&email, "wrong-password").await;
        }
        auth.login(&email, "password-123").await.ok();
    }
}

#[tokio::test]
async fn a_login_needs_both_fields() {
    let app = spawn_app().await;
    let answer = Auth::anonymous(&app)
        .login_with(&json!({"email": "a@b.co"}))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.body["fields"]["password"].is_array());
}

#[tokio::test]
async fn me_shows_the_current_user_and_needs_a_valid_access_token() {
    let app = spawn_app().await;
    let auth = Auth::anonymous(&app);
    let (email, login) = app.signed_in(Role::Employee).await;
    let access = field(&login, "accessToken");

    let me = auth.with(&access).me().await;
    let anonymous = auth.me().await;
    let garbage = auth.with("not.a.jwt").me().await;
    let basic = app
        .get("/auth/me")
        .header("authorization", "Basic abc")
        .send()
        .await
        .unwrap()
        .status();

    let me = me.ok();
    assert_eq!(
        (me["email"].as_str(), me["role"].as_str(), me["_id"].clone()),
        (Some(email.as_str()), Some("employee"), login["_id"].clone())
    );
    assert!(me.get("passwordHash").is_none() && me.get("password").is_none());
    for status in [anonymous.status, garbage.status, basic] {
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn the_operations_cli_creates_the_first_admin_once() {
    let app = spawn_app().await;
    let users = identity::UserStore::new(app.dynamodb.clone(), &app.table_name);
    let email = unique_email();

    let created = ops::accounts::create_admin(&users, &email, "Owner", "admin-password".into())
        .await
        .unwrap();
    let again = ops::accounts::create_admin(&users, &email, "Owner", "other-password".into())
        .await
        .unwrap();
    let short = ops::accounts::create_admin(&users, &unique_email(), "Owner", "short".into()).await;

    assert!(created && !again, "created once, then left alone");
    assert!(short.is_err(), "weak passwords are refused");
    let login = Auth::anonymous(&app)
        .login(&email, "admin-password")
        .await
        .ok();
    assert_eq!(
        (login["role"].as_str(), login["confirmed"].as_bool()),
        (Some("admin"), Some(true))
    );
}

#[tokio::test]
async fn a_broken_store_answers_a_generic_500_that_leaks_nothing() {
    let app = spawn_app().await;
    app.dynamodb
        .delete_table()
        .table_name(&app.table_name)
        .send()
        .await
        .unwrap();

    let answer = Auth::anonymous(&app)
        .in_lang("en")
        .login(&unique_email(), "password-123")
        .await;

    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        answer.body,
        json!({"error": "Something went wrong on our side.", "code": "internal_error"})
    );
    assert!(
        !answer.text.contains(&app.table_name) && !answer.text.contains("ResourceNotFound"),
        "{}",
        answer.text
    );
}

/// Password hashes live on the email marker (`EMAIL#`, which only auth may read), never on the profile
/// (`USER#`, which carts, checkout, orders and users read); `ops users reindex` moves an older
/// profile's hash.
#[tokio::test]
async fn a_password_hash_lives_on_the_email_marker_and_reindex_moves_older_ones_there() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let app = spawn_app().await;
    let (email, login) = app.signed_in(Role::Client).await;
    let user_id = field(&login, "_id");
    let item = |pk: String, sk: &'static str| {
        let (dynamodb, table) = (app.dynamodb.clone(), app.table_name.clone());
        async move {
            dynamodb
                .get_item()
                .table_name(table)
                .key("PK", AttributeValue::S(pk))
                .key("SK", AttributeValue::S(sk.into()))
                .consistent_read(true)
                .send()
                .await
                .unwrap()
                .item
                .unwrap()
        }
    };
    let (profile_pk, marker_pk) = (format!("USER#{user_id}"), format!("EMAIL#{email}"));
    let profile = item(profile_pk.clone(), "PROFILE").await;
    let marker = item(marker_pk.clone(), "EMAIL").await;
    assert!(!profile.contains_key("passwordHash"), "{profile:?}");
    let hash = marker["passwordHash"].as_s().unwrap().clone();
    assert!(hash.starts_with("$argon2id$"));

    // An account as an older version stored it: the hash on the profile.
    app.dynamodb
        .update_item()
        .table_name(&app.table_name)
        .key("PK", AttributeValue::S(profile_pk.clone()))
        .key("SK", AttributeValue::S("PROFILE".into()))
        .update_expression("SET passwordHash = :hash")
        .expression_attribute_values(":hash", AttributeValue::S(hash.clone()))
        .send()
        .await
        .unwrap();
    app.dynamodb
        .update_item()
        .table_name(&app.table_name)
        .key("PK", AttributeValue::S(marker_pk.clone()))
        .key("SK", AttributeValue::S("EMAIL".into()))
        .update_expression("REMOVE passwordHash")
        .send()
        .await
        .unwrap();
    let auth = Auth::anonymous(&app);
    assert_eq!(
        auth.login(&email, "password-123").await.status,
        StatusCode::UNAUTHORIZED,
        "login reads the marker only"
    );

    let report = ops::users::run(
        app.dynamodb.clone(),
        &app.table_name,
        ops::users::UsersAction::Reindex,
    )
    .await
    .unwrap();

    assert!(
        report[0].ends_with("1 password hashes moved onto their email markers"),
        "{report:?}"
    );
    assert!(
        !item(profile_pk, "PROFILE")
            .await
            .contains_key("passwordHash")
    );
    assert_eq!(
        item(marker_pk, "EMAIL").await["passwordHash"]
            .as_s()
            .unwrap(),
        &hash
    );
    auth.login(&email, "password-123").await.ok();
}
