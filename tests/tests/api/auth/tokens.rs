//! Refresh rotation, the grace window, reuse detection, concurrency, token confusion, and sessions.

use api_tests::{StoreBarrier, TestApp, spawn_app, spawn_app_behind, spawn_app_with};
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::{
    Id,
    auth::{Role, session::SessionRecord},
};

use super::client::{Auth, field};

/// The stored generation of the session (how many times it rotated).
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

/// The `_id` of the session `access` belongs to.
async fn current_session(app: &TestApp, access: &str) -> String {
    let sessions = Auth::anonymous(app).with(access).sessions().await.ok();
    let current = sessions
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == true)
        .expect("a current session");
    field(current, "_id")
}

#[tokio::test]
async fn a_refresh_rotates_and_answers_like_login_with_201() {
    let app = spawn_app().await;
    let auth = Auth::anonymous(&app);
    let (_, login) = app.signed_in(Role::Client).await;

    let answer = auth.refresh(&field(&login, "refreshToken")).await;

    assert_eq!(answer.header("cache-control"), "no-store");
    let body = answer.created();
    assert_eq!(body["_id"], login["_id"]);
    assert_eq!(body["provider"], "email", "Belta's clients read provider");
    assert_ne!(body["refreshToken"], login["refreshToken"]);
    auth.with(&field(&body, "accessToken")).me().await.ok();
    let next = auth.refresh(&field(&body, "refreshToken")).await;
    assert_eq!(
        next.status,
        StatusCode::CREATED,
        "the new refresh token works in turn"
    );
}

#[tokio::test]
async fn the_previous_token_still_works_inside_the_grace_window() {
    let app = spawn_app().await;
    let auth = Auth::anonymous(&app);
    let (_, login) = app.signed_in(Role::Client).await;
    let first = auth.refresh(&field(&login, "refreshToken")).await.body;

    let replay = auth.refresh(&field(&login, "refreshToken")).await.created();

    let session = current_session(&app, &field(&first, "accessToken")).await;
    assert_eq!(
        session_generation(&app, &login, &session).await,
        Some(1),
        "the replay did not rotate again"
    );
    assert_eq!(
        auth.refresh(&field(&replay, "refreshToken")).await.status,
        StatusCode::CREATED,
        "the client is left with a working token"
    );
}

#[tokio::test]
async fn a_refresh_token_used_twice_after_the_grace_window_revokes_the_session() {
    let app = spawn_app_with(&[("REFRESH_REUSE_GRACE_SECS", "0")]).await;
    let auth = Auth::anonymous(&app);
    let (_, login) = app.signed_in(Role::Client).await;
    let rotated = auth.refresh(&field(&login, "refreshToken")).await.body;

    let replay = auth.refresh(&field(&login, "refreshToken")).await;

    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        auth.refresh(&field(&rotated, "refreshToken")).await.status,
        StatusCode::UNAUTHORIZED,
        "the whole session is gone"
    );
    assert_eq!(
        auth.with(&field(&rotated, "accessToken")).me().await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn two_concurrent_refreshes_rotate_once_and_both_get_a_working_token() {
    // Both rotations are held at the store until the other one arrives: they provably race.
    let barrier = StoreBarrier::start("UpdateItem", 2).await;
    let app = spawn_app_behind(&barrier).await;
    let auth = Auth::anonymous(&app);
    let (_, login) = app.signed_in(Role::Client).await;
    let token = field(&login, "refreshToken");

    let (a, b) = tokio::join!(auth.refresh(&token), auth.refresh(&token));

    assert!(barrier.met(), "both rotations reached the store at once");
    assert_eq!(
        (a.status, b.status),
        (StatusCode::CREATED, StatusCode::CREATED)
    );
    let (a, b) = (a.body, b.body);
    let session = current_session(&app, &field(&a, "accessToken")).await;
    assert_eq!(
        session_generation(&app, &login, &session).await,
        Some(1),
        "exactly one rotation"
    );
    assert_eq!(
        auth.refresh(&field(&a, "refreshToken")).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        auth.refresh(&field(&b, "refreshToken")).await.status,
        StatusCode::CREATED,
        "same chain, inside the grace window"
    );
}

#[tokio::test]
async fn token_kinds_never_substitute_for_each_other() {
    let app = spawn_app().await;
    let auth = Auth::anonymous(&app);
    let (_, login) = app.signed_in(Role::Client).await;
    let (access, refresh_token) = (field(&login, "accessToken"), field(&login, "refreshToken"));

    assert_eq!(
        auth.refresh(&access).await.status,
        StatusCode::UNAUTHORIZED,
        "access as refresh"
    );
    assert_eq!(
        auth.with(&refresh_token).me().await.status,
        StatusCode::UNAUTHORIZED,
        "refresh as access"
    );
    assert_eq!(
        auth.with(&access)
            .reset_password("new-password-1")
            .await
            .status,
        StatusCode::UNAUTHORIZED,
        "access as reset"
    );
    let tampered = format!("{}x", &access[..access.len() - 1]);
    assert_eq!(
        auth.with(&tampered).me().await.status,
        StatusCode::UNAUTHORIZED,
        "bad signature"
    );
    let parts: Vec<&str> = access.split('.').collect();
    let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.", parts[1]);
    assert_eq!(
        auth.with(&unsigned).me().await.status,
        StatusCode::UNAUTHORIZED,
        "alg none"
    );
    assert_eq!(
        auth.refresh("garbage").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn logout_ends_the_session_at_once() {
    let app = spawn_app().await;
    let auth = Auth::anonymous(&app);
    let (email, login) = app.signed_in(Role::Client).await;
    let other_device = app.login(&email, "password-123").await;
    let access = field(&login, "accessToken");

    auth.with(&access).logout().await.ok();

    assert_eq!(
        auth.with(&access).me().await.status,
        StatusCode::UNAUTHORIZED,
        "access token dead at once"
    );
    assert_eq!(
        auth.refresh(&field(&login, "refreshToken")).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        auth.with(&field(&other_device, "accessToken"))
            .me()
            .await
            .status,
        StatusCode::OK,
        "other devices stay"
    );
}

#[tokio::test]
async fn logout_all_ends_every_session() {
    let app = spawn_app().await;
    let auth = Auth::anonymous(&app);
    let (email, first) = app.signed_in(Role::Client).await;
    let second = app.login(&email, "password-123").await;

    auth.with(&field(&first, "accessToken"))
        .logout_all()
        .await
        .ok();

    for login in [first, second] {
        assert_eq!(
            auth.with(&field(&login, "accessToken")).me().await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            auth.refresh(&field(&login, "refreshToken")).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test]
async fn sessions_are_listed_per_device_and_can_be_ended_one_by_one() {
    let app = spawn_app().await;
    let auth = Auth::anonymous(&app);
    let (email, laptop) = app.signed_in(Role::Client).await;
    let phone = auth
        .on_device("BeltaPhone/1.0")
        .login(&email, "password-123")
        .await
        .body;
    let laptop_access = field(&laptop, "accessToken");
    let on_laptop = auth.with(&laptop_access);

    let sessions = on_laptop.sessions().await.body;
    let sessions = sessions.as_array().unwrap().clone();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    let phone_session = sessions
        .iter()
        .find(|s| s["userAgent"] == "BeltaPhone/1.0")
        .expect("the phone's session");
    let phone_session = field(phone_session, "_id");

    on_laptop.end_session(&phone_session).await.ok();

    assert_eq!(
        auth.with(&field(&phone, "accessToken")).me().await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(on_laptop.me().await.status, StatusCode::OK);
    let again = on_laptop.end_session(&phone_session).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let bad = on_laptop.end_session("nope").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let foreign = on_laptop.end_session(&Id::new().to_string()).await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
}

/// Fails before the cap: sessions piled up without end, and ending them all stopped fitting one
/// transaction with a password change.
#[tokio::test]
async fn a_login_beyond_the_session_cap_ends_the_least_recently_used_session() {
    let app = spawn_app().await;
    let auth = Auth::anonymous(&app);
    let (email, login) = app.signed_in(Role::Client).await;
    let user: Id = field(&login, "_id").parse().unwrap();
    let store = identity::SessionStore::new(app.dynamodb.clone(), &app.table_name);
    let users = identity::UserStore::new(app.dynamodb.clone(), &app.table_name);
    let account = users.get(&user).await.unwrap().unwrap();
    let cap = identity::sessions::MAX_SESSIONS_PER_USER;
    let now = shared::clock::now_secs();
    let mut older = Vec::new();
    for n in 1..cap as i64 {
        let mut session = SessionRecord::new(user, Role::Client, None, now - 5000 + n, 86_400);
        session.last_used_at = now - 5000 + n;
        store
            .create(&session, users.session_guard(&account), &[])
            .await
            .unwrap();
        older.push(session.session_id.to_string());
    }

    let newest = auth.login(&email, "password-123").await.ok();

    let listed = auth
        .with(&field(&newest, "accessToken"))
        .sessions()
        .await
        .ok();
    let ids: Vec<String> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|s| field(s, "_id"))
        .collect();
    assert_eq!(ids.len(), cap, "{ids:?}");
    assert!(
        !ids.contains(&older[0]),
        "the least recently used one ended"
    );
    assert!(ids.contains(&older[1]));
    assert_eq!(
        auth.with(&field(&login, "accessToken")).me().await.status,
        StatusCode::OK,
        "the first login was used more recently than the ones added"
    );
}

#[tokio::test]
async fn reset_password_checks_the_token_before_the_body() {
    let app = spawn_app().await;
    let auth = Auth::anonymous(&app);
    let (_, login) = app.signed_in(Role::Client).await;

    // Before: 400 validation_failed, which told an unauthenticated caller about the body's rules.
    auth.post("/auth/reset-password", &json!({}))
        .await
        .fails(StatusCode::UNAUTHORIZED, "unauthorized");
    auth.with(&field(&login, "accessToken"))
        .post("/auth/reset-password", &json!({"password": 5}))
        .await
        .fails(StatusCode::UNAUTHORIZED, "unauthorized");
}
