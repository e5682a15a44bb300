//! Register, login (with lockout) and `me`.

use api_tests::{spawn_app, unique_email};
use reqwest::{StatusCode, header};
use serde_json::{Value, json};
use shared::auth::Role;

#[tokio::test]
async fn login_answers_belta_s_flat_body_with_real_expiry_dates() {
    let app = spawn_app().await;
    let email = unique_email();
    app.register(&email, "password-123").await;

    let response = app
        .post_json(
            "/auth/login",
            json!({"email": email.to_uppercase(), "password": "password-123"}),
        )
        .await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    let body: Value = response.json().await.unwrap();
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
    ];
    for (body, field, why) in cases {
        let response = app
            .client
            .post(app.url("/auth/register"))
            .header("accept-language", "en")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{why}");
        let body: Value = response.json().await.unwrap();
        assert!(body["fields"][field].is_array(), "{why}: {body}");
    }
}

#[tokio::test]
async fn an_email_registers_once_whatever_its_case_and_unknown_fields_are_not_stored() {
    let app = spawn_app().await;
    let email = unique_email();
    let first = app
        .post_json("/auth/register", json!({"fullName": "Sara", "email": email, "password": "password-123", "confirmed": true, "_id": "x"}))
        .await;
    assert_eq!(first.status(), StatusCode::CREATED);
    assert_eq!(
        first.json::<Value>().await.unwrap(),
        json!({"success": true})
    );

    let again = app.post_json("/auth/register", json!({"fullName": "Sara", "email": format!(" {} ", email.to_uppercase()), "password": "password-456"})).await;

    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert_eq!(
        again.json::<Value>().await.unwrap()["code"],
        "duplicate_email_error"
    );
    let login = app.login(&email, "password-123").await;
    assert_eq!(
        login["confirmed"], false,
        "`confirmed` from the body was ignored"
    );
}

#[tokio::test]
async fn only_an_admin_can_register_staff() {
    let app = spawn_app().await;
    let body = |email: &str| json!({"fullName": "Staff", "email": email, "password": "password-123", "role": "employee"});

    let anonymous = app.post_json("/auth/register", body(&unique_email())).await;
    let (_, client) = app.signed_in(Role::Client).await;
    let as_client = app
        .post_json_as(
            "/auth/register",
            client["accessToken"].as_str().unwrap(),
            body(&unique_email()),
        )
        .await;
    let (_, admin) = app.signed_in(Role::Admin).await;
    let employee = unique_email();
    let as_admin = app
        .post_json_as(
            "/auth/register",
            admin["accessToken"].as_str().unwrap(),
            body(&employee),
        )
        .await;

    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(as_client.status(), StatusCode::FORBIDDEN);
    assert_eq!(as_admin.status(), StatusCode::CREATED);
    assert_eq!(
        app.login(&employee, "password-123").await["role"],
        "employee"
    );
}

#[tokio::test]
async fn unknown_email_and_wrong_password_get_the_same_answer() {
    let app = spawn_app().await;
    let email = unique_email();
    app.register(&email, "password-123").await;

    let wrong = app
        .post_json(
            "/auth/login",
            json!({"email": email, "password": "password-999"}),
        )
        .await;
    let unknown = app
        .post_json(
            "/auth/login",
            json!({"email": unique_email(), "password": "password-123"}),
        )
        .await;

    assert_eq!(
        (wrong.status(), unknown.status()),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    let (wrong, unknown): (Value, Value) =
        (wrong.json().await.unwrap(), unknown.json().await.unwrap());
    assert_eq!(wrong, unknown);
    assert_eq!(wrong["code"], "invalid_email_or_password");
}

#[tokio::test]
async fn five_failed_logins_lock_the_account_with_retry_after() {
    let app = spawn_app().await;
    let email = unique_email();
    app.register(&email, "password-123").await;
    for attempt in 1..=5 {
        let response = app
            .post_json(
                "/auth/login",
                json!({"email": email, "password": "wrong-password"}),
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
    }

    let locked = app
        .post_json(
            "/auth/login",
            json!({"email": email, "password": "password-123"}),
        )
        .await;

    assert_eq!(
        locked.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    let retry_after: u64 = locked.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    assert_eq!(
        locked.json::<Value>().await.unwrap()["code"],
        "too_many_login_attempts"
    );
    let unknown = unique_email();
    for _ in 1..=5 {
        app.post_json(
            "/auth/login",
            json!({"email": unknown, "password": "wrong-password"}),
        )
        .await;
    }
    let unknown_locked = app
        .post_json(
            "/auth/login",
            json!({"email": unknown, "password": "wrong-password"}),
        )
        .await;
    assert_eq!(
        unknown_locked.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "unknown emails lock the same way"
    );
}

#[tokio::test]
async fn a_successful_login_clears_earlier_failures() {
    let app = spawn_app().await;
    let email = unique_email();
    app.register(&email, "password-123").await;
    for _ in 1..=4 {
        app.post_json(
            "/auth/login",
            json!({"email": email, "password": "wrong-password"}),
        )
        .await;
    }
    app.login(&email, "password-123").await;
    for _ in 1..=4 {
        app.post_json(
            "/auth/login",
            json!({"email": email, "password": "wrong-password"}),
        )
        .await;
    }
    app.login(&email, "password-123").await;
}

#[tokio::test]
async fn login_needs_both_fields() {
    let app = spawn_app().await;
    let response = app
        .post_json("/auth/login", json!({"email": "a@b.co"}))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.json::<Value>().await.unwrap()["fields"]["password"].is_array());
}

#[tokio::test]
async fn me_shows_the_current_user_and_needs_a_valid_access_token() {
    let app = spawn_app().await;
    let (email, login) = app.signed_in(Role::Employee).await;

    let me = app
        .get_as("/auth/me", login["accessToken"].as_str().unwrap())
        .await;
    let anonymous = app.get("/auth/me").send().await.unwrap();
    let garbage = app.get_as("/auth/me", "not.a.jwt").await;
    let basic = app
        .get("/auth/me")
        .header("authorization", "Basic abc")
        .send()
        .await
        .unwrap();

    assert_eq!(me.status(), StatusCode::OK);
    let me: Value = me.json().await.unwrap();
    assert_eq!(
        (me["email"].as_str(), me["role"].as_str(), me["_id"].clone()),
        (Some(email.as_str()), Some("employee"), login["_id"].clone())
    );
    assert!(me.get("passwordHash").is_none() && me.get("password").is_none());
    for response in [anonymous, garbage, basic] {
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
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
    let login = app.login(&email, "admin-password").await;
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

    let response = app
        .client
        .post(app.url("/auth/login"))
        .header("accept-language", "en")
        .json(&json!({"email": unique_email(), "password": "password-123"}))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body = response.text().await.unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"error": "Something went wrong on our side.", "code": "internal_error"})
    );
    assert!(
        !body.contains(&app.table_name) && !body.contains("ResourceNotFound"),
        "{body}"
    );
}
