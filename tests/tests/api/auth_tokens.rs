//! Refresh rotation, the grace window, reuse detection, concurrency, token confusion, and sessions.

use api_tests::{StoreBarrier, TestApp, spawn_app, spawn_app_behind, spawn_app_with};
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::{
    Id,
    auth::{Role, session::SessionRecord},
};

async fn refresh(app: &TestApp, token: &str) -> reqwest::Response {
    app.post_json("/auth/refresh-token", json!({"token": token}))
        .await
}

fn field(body: &Value, name: &str) -> String {
    body[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} in {body}"))
        .to_owned()
}

async fn session_generation(app: &TestApp, login: &Value, session: &str) -> Option<u64> {
    let key = SessionRecord::key(
        &field(login, "_id").parse().unwrap(),
        &session.parse::<Id>().unwrap(),
    );
    let item = app
        .dynamodb
        .get_item()
        .table_name(&app.table_name)
        .set_key(Some(key.to_attributes()))
        .send()
        .await
        .unwrap()
        .item?;
    item["generation"].as_n().ok()?.parse().ok()
}

async fn current_session(app: &TestApp, access: &str) -> String {
    let sessions: Value = app
        .get_as("/auth/sessions", access)
        .await
        .json()
        .await
        .unwrap();
    let current = sessions
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == true)
        .expect("a current session");
    field(current, "_id")
}

#[tokio::test]
async fn refresh_rotates_and_answers_like_login_with_201() {
    let app = spawn_app().await;
    let (_, login) = app.signed_in(Role::Client).await;

    let response = refresh(&app, &field(&login, "refreshToken")).await;

    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["_id"], login["_id"]);
    assert_eq!(body["provider"], "email", "Belta's clients read provider");
    assert_ne!(body["refreshToken"], login["refreshToken"]);
    assert_eq!(
        app.get_as("/auth/me", &field(&body, "accessToken"))
            .await
            .status(),
        StatusCode::OK
    );
    let next = refresh(&app, &field(&body, "refreshToken")).await;
    assert_eq!(
        next.status(),
        StatusCode::CREATED,
        "the new refresh token works in turn"
    );
}

#[tokio::test]
async fn the_previous_token_still_works_inside_the_grace_window() {
    let app = spawn_app().await;
    let (_, login) = app.signed_in(Role::Client).await;
    let first = refresh(&app, &field(&login, "refreshToken"))
        .await
        .json::<Value>()
        .await
        .unwrap();

    let replay = refresh(&app, &field(&login, "refreshToken")).await;

    assert_eq!(replay.status(), StatusCode::CREATED);
    let replay: Value = replay.json().await.unwrap();
    let session = current_session(&app, &field(&first, "accessToken")).await;
    assert_eq!(
        session_generation(&app, &login, &session).await,
        Some(1),
        "the replay did not rotate again"
    );
    assert_eq!(
        refresh(&app, &field(&replay, "refreshToken"))
            .await
            .status(),
        StatusCode::CREATED,
        "the client is left with a working token"
    );
}

#[tokio::test]
async fn replaying_a_spent_token_after_the_grace_window_revokes_the_session() {
    let app = spawn_app_with(&[("REFRESH_REUSE_GRACE_SECS", "0")]).await;
    let (_, login) = app.signed_in(Role::Client).await;
    let rotated: Value = refresh(&app, &field(&login, "refreshToken"))
        .await
        .json()
        .await
        .unwrap();

    let replay = refresh(&app, &field(&login, "refreshToken")).await;

    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        refresh(&app, &field(&rotated, "refreshToken"))
            .await
            .status(),
        StatusCode::UNAUTHORIZED,
        "the whole session is gone"
    );
    assert_eq!(
        app.get_as("/auth/me", &field(&rotated, "accessToken"))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn two_concurrent_refreshes_rotate_once_and_both_get_a_working_token() {
    // Both rotations are held at the store until the other one arrives: they provably race.
    let barrier = StoreBarrier::start("UpdateItem", 2).await;
    let app = spawn_app_behind(&barrier).await;
    let (_, login) = app.signed_in(Role::Client).await;
    let token = field(&login, "refreshToken");

    let (a, b) = tokio::join!(refresh(&app, &token), refresh(&app, &token));

    assert!(barrier.met(), "both rotations reached the store at once");
    assert_eq!(
        (a.status(), b.status()),
        (StatusCode::CREATED, StatusCode::CREATED)
    );
    let (a, b): (Value, Value) = (a.json().await.unwrap(), b.json().await.unwrap());
    let session = current_session(&app, &field(&a, "accessToken")).await;
    assert_eq!(
        session_generation(&app, &login, &session).await,
        Some(1),
        "exactly one rotation"
    );
    assert_eq!(
        refresh(&app, &field(&a, "refreshToken")).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        refresh(&app, &field(&b, "refreshToken")).await.status(),
        StatusCode::CREATED,
        "same chain, inside the grace window"
    );
}

#[tokio::test]
async fn token_kinds_never_substitute_for_each_other() {
    let app = spawn_app().await;
    let (_, login) = app.signed_in(Role::Client).await;
    let (access, refresh_token) = (field(&login, "accessToken"), field(&login, "refreshToken"));

    assert_eq!(
        refresh(&app, &access).await.status(),
        StatusCode::UNAUTHORIZED,
        "access as refresh"
    );
    assert_eq!(
        app.get_as("/auth/me", &refresh_token).await.status(),
        StatusCode::UNAUTHORIZED,
        "refresh as access"
    );
    let reset = app
        .post_json_as(
            "/auth/reset-password",
            &access,
            json!({"password": "new-password-1"}),
        )
        .await;
    assert_eq!(reset.status(), StatusCode::UNAUTHORIZED, "access as reset");
    let tampered = format!("{}x", &access[..access.len() - 1]);
    assert_eq!(
        app.get_as("/auth/me", &tampered).await.status(),
        StatusCode::UNAUTHORIZED,
        "bad signature"
    );
    let parts: Vec<&str> = access.split('.').collect();
    let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.", parts[1]);
    assert_eq!(
        app.get_as("/auth/me", &unsigned).await.status(),
        StatusCode::UNAUTHORIZED,
        "alg none"
    );
    assert_eq!(
        refresh(&app, "garbage").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn logout_ends_the_session_at_once() {
    let app = spawn_app().await;
    let (email, login) = app.signed_in(Role::Client).await;
    let other_device = app.login(&email, "password-123").await;
    let access = field(&login, "accessToken");

    let response = app.post_json_as("/auth/logout", &access, json!({})).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        app.get_as("/auth/me", &access).await.status(),
        StatusCode::UNAUTHORIZED,
        "access token dead at once"
    );
    assert_eq!(
        refresh(&app, &field(&login, "refreshToken")).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get_as("/auth/me", &field(&other_device, "accessToken"))
            .await
            .status(),
        StatusCode::OK,
        "other devices stay"
    );
}

#[tokio::test]
async fn logout_all_ends_every_session() {
    let app = spawn_app().await;
    let (email, first) = app.signed_in(Role::Client).await;
    let second = app.login(&email, "password-123").await;

    let response = app
        .post_json_as("/auth/logout-all", &field(&first, "accessToken"), json!({}))
        .await;

    assert_eq!(response.status(), StatusCode::OK);
    for login in [first, second] {
        assert_eq!(
            app.get_as("/auth/me", &field(&login, "accessToken"))
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            refresh(&app, &field(&login, "refreshToken")).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test]
async fn sessions_are_listed_per_device_and_can_be_ended_one_by_one() {
    let app = spawn_app().await;
    let (email, laptop) = app.signed_in(Role::Client).await;
    let phone_login = app
        .client
        .post(app.url("/auth/login"))
        .header("user-agent", "BeltaPhone/1.0")
        .json(&json!({"email": email, "password": "password-123"}))
        .send()
        .await
        .unwrap();
    let phone: Value = phone_login.json().await.unwrap();
    let laptop_access = field(&laptop, "accessToken");

    let sessions: Value = app
        .get_as("/auth/sessions", &laptop_access)
        .await
        .json()
        .await
        .unwrap();
    let sessions = sessions.as_array().unwrap().clone();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    let phone_session = sessions
        .iter()
        .find(|s| s["userAgent"] == "BeltaPhone/1.0")
        .expect("the phone's session");

    let ended = app
        .client
        .delete(app.url(&format!("/auth/sessions/{}", field(phone_session, "_id"))))
        .bearer_auth(&laptop_access)
        .send()
        .await
        .unwrap();

    assert_eq!(ended.status(), StatusCode::OK);
    assert_eq!(
        app.get_as("/auth/me", &field(&phone, "accessToken"))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get_as("/auth/me", &laptop_access).await.status(),
        StatusCode::OK
    );
    let again = app
        .client
        .delete(app.url(&format!("/auth/sessions/{}", field(phone_session, "_id"))))
        .bearer_auth(&laptop_access)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    let bad = app
        .client
        .delete(app.url("/auth/sessions/nope"))
        .bearer_auth(&laptop_access)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let foreign = app
        .client
        .delete(app.url(&format!("/auth/sessions/{}", Id::new())))
        .bearer_auth(&laptop_access)
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
}
