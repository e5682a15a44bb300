//! The other seeds' refresh routes, each in its own documented shape, over the same token service.

use api_tests::spawn_app;
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::auth::Role;

use super::client::{Auth, field};

#[tokio::test]
async fn the_simplejwt_route_reads_form_multipart_and_json_and_rotates() {
    let app = spawn_app().await;
    let auth = Auth::anonymous(&app);
    let (_, login) = app.signed_in(Role::Client).await;

    let by_form = auth
        .simplejwt_refresh_by_form(&field(&login, "refreshToken"))
        .await;
    assert_eq!(by_form.header("cache-control"), "no-store");
    let by_form = by_form.ok();
    assert_eq!(
        by_form.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["access", "refresh"]
    );

    let by_multipart = auth
        .simplejwt_refresh_by_multipart(&field(&by_form, "refresh"))
        .await
        .body;
    let by_json = auth
        .simplejwt_refresh(&json!({"refresh": by_multipart["refresh"]}))
        .await;
    assert_eq!(by_json.status, StatusCode::OK);
    assert_eq!(
        auth.with(&field(&by_multipart, "access")).me().await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_simplejwt_route_errors_in_drf_standardized_shape() {
    let app = spawn_app().await;
    let auth = Auth::anonymous(&app);

    let missing = auth.simplejwt_refresh(&json!({})).await;
    let invalid = auth
        .simplejwt_refresh(&json!({"refresh": "not-a-token"}))
        .await;

    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        missing.body,
        json!({"type": "validation_error", "errors": [{"code": "required", "detail": "This field is required.", "attr": "refresh"}]})
    );
    assert_eq!(invalid.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        invalid.body,
        json!({"type": "client_error", "errors": [{"code": "token_not_valid", "detail": "Token is invalid or expired", "attr": null}]})
    );
}

#[tokio::test]
async fn the_blazex_route_keeps_the_refresh_token_valid() {
    let app = spawn_app().await;
    let auth = Auth::anonymous(&app);
    let (_, login) = app.signed_in(Role::Client).await;
    let token = field(&login, "refreshToken");

    for round in 1..=3 {
        let answer = auth.blazex_refresh(Some(&token)).await;
        assert_eq!(answer.status, StatusCode::OK, "round {round}");
        let body = answer.body;
        assert_eq!(
            (body["status"].clone(), body["message"].clone()),
            (json!(200), json!("Token refreshed successfully."))
        );
        assert_eq!(
            body["data"]["tokens"]["refreshToken"], token,
            "the same refresh token comes back"
        );
        let access = field(&body["data"]["tokens"], "accessToken");
        assert_eq!(auth.with(&access).me().await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn the_blazex_route_errors_are_problem_details() {
    let app = spawn_app().await;
    let auth = Auth::anonymous(&app);

    let missing = auth.blazex_refresh(None).await;
    let invalid = auth.blazex_refresh(Some("nope")).await;

    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(missing.header("content-type"), "application/problem+json");
    assert_eq!(
        (
            missing.body["detail"].as_str(),
            missing.body["status"].as_u64(),
            missing.body["code"].as_str()
        ),
        (Some("No token provided"), Some(401), Some("unauthorized"))
    );
    assert_eq!(invalid.body["detail"], "Invalid token");
}

#[tokio::test]
async fn the_hesabe_route_answers_its_envelope() {
    let app = spawn_app().await;
    let auth = Auth::anonymous(&app);
    let (_, login) = app.signed_in(Role::Client).await;

    let ok = auth
        .hesabe_refresh(&json!({"refreshToken": login["refreshToken"]}))
        .await
        .ok();
    let missing = auth.hesabe_refresh(&json!({})).await;
    let invalid = auth.hesabe_refresh(&json!({"refreshToken": "nope"})).await;

    assert_eq!(
        (ok["status"].clone(), ok["message"].clone()),
        (json!(true), json!("Success"))
    );
    let token = &ok["response"]["token"];
    assert_eq!(
        (token["token_type"].as_str(), token["expires_in"].as_i64()),
        (Some("Bearer"), Some(900))
    );
    assert_ne!(token["refresh_token"], login["refreshToken"], "it rotates");
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(invalid.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        (
            invalid.body["status"].clone(),
            invalid.body["response"].clone()
        ),
        (json!(false), Value::Null)
    );
}

/// Fails before the binding: a rotated Belta token kept working at blazex, where it never rotates, and
/// a stale one there was refused without ending the session.
#[tokio::test]
async fn a_session_refreshed_at_a_rotating_route_is_refused_at_blazex_and_a_stale_token_there_ends_it()
 {
    let app = spawn_app().await;
    let auth = Auth::anonymous(&app);
    let (_, login) = app.signed_in(Role::Client).await;
    let first = field(&login, "refreshToken");
    let rotated = auth.refresh(&first).await.created();
    let (current, access) = (
        field(&rotated, "refreshToken"),
        field(&rotated, "accessToken"),
    );

    let elsewhere = auth.blazex_refresh(Some(&current)).await;

    assert_eq!(elsewhere.status, StatusCode::UNAUTHORIZED);
    assert_eq!(elsewhere.body["detail"], "Invalid token");
    assert_eq!(
        auth.with(&access).me().await.status,
        StatusCode::OK,
        "refused, but the session lives on"
    );
    assert_eq!(
        auth.hesabe_refresh(&json!({"refreshToken": current}))
            .await
            .status,
        StatusCode::UNAUTHORIZED,
        "another rotating convention is refused too"
    );
    auth.refresh(&current).await.created();

    let stale = auth.blazex_refresh(Some(&first)).await;

    assert_eq!(stale.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        auth.with(&access).me().await.status,
        StatusCode::UNAUTHORIZED,
        "a stale token at blazex is reuse: the session ended"
    );
}

#[tokio::test]
async fn a_session_first_refreshed_at_blazex_stays_there() {
    let app = spawn_app().await;
    let auth = Auth::anonymous(&app);
    let (_, login) = app.signed_in(Role::Client).await;
    let token = field(&login, "refreshToken");
    auth.blazex_refresh(Some(&token)).await.ok();

    let rotating = auth.refresh(&token).await;

    assert_eq!(rotating.status, StatusCode::UNAUTHORIZED);
    let again = auth.blazex_refresh(Some(&token)).await.ok();
    let access = field(&again["data"]["tokens"], "accessToken");
    assert_eq!(auth.with(&access).me().await.status, StatusCode::OK);
}
