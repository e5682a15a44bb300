//! The other seeds' refresh routes, each in its own documented shape, over the same token service.

use api_tests::spawn_app;
use reqwest::{StatusCode, header, multipart};
use serde_json::{Value, json};
use shared::auth::Role;

#[tokio::test]
async fn simplejwt_route_reads_form_multipart_and_json_and_rotates() {
    let app = spawn_app().await;
    let (_, login) = app.signed_in(Role::Client).await;
    let first = login["refreshToken"].as_str().unwrap().to_owned();

    let by_form = app
        .client
        .post(app.url("/api/refresh-token/"))
        .form(&[("refresh", first.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(by_form.status(), StatusCode::OK);
    assert_eq!(by_form.headers()[header::CACHE_CONTROL], "no-store");
    let by_form: Value = by_form.json().await.unwrap();
    assert_eq!(
        by_form.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["access", "refresh"]
    );

    let form =
        multipart::Form::new().text("refresh", by_form["refresh"].as_str().unwrap().to_owned());
    let by_multipart: Value = app
        .client
        .post(app.url("/api/refresh-token/"))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let by_json = app
        .post_json(
            "/api/refresh-token/",
            json!({"refresh": by_multipart["refresh"]}),
        )
        .await;
    assert_eq!(by_json.status(), StatusCode::OK);
    assert_eq!(
        app.get_as("/auth/me", by_multipart["access"].as_str().unwrap())
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn simplejwt_route_errors_in_drf_standardized_shape() {
    let app = spawn_app().await;

    let missing = app.post_json("/api/refresh-token/", json!({})).await;
    let invalid = app
        .post_json("/api/refresh-token/", json!({"refresh": "not-a-token"}))
        .await;

    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        missing.json::<Value>().await.unwrap(),
        json!({"type": "validation_error", "errors": [{"code": "required", "detail": "This field is required.", "attr": "refresh"}]})
    );
    assert_eq!(invalid.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        invalid.json::<Value>().await.unwrap(),
        json!({"type": "client_error", "errors": [{"code": "token_not_valid", "detail": "Token is invalid or expired", "attr": null}]})
    );
}

#[tokio::test]
async fn blazex_route_keeps_the_refresh_token_valid() {
    let app = spawn_app().await;
    let (_, login) = app.signed_in(Role::Client).await;
    let token = login["refreshToken"].as_str().unwrap();

    for round in 1..=3 {
        let response = app
            .get("/v1/auth/refresh-token")
            .header("x-refresh-token", token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "round {round}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            (body["status"].clone(), body["message"].clone()),
            (json!(200), json!("Token refreshed successfully."))
        );
        assert_eq!(
            body["data"]["tokens"]["refreshToken"], token,
            "the same refresh token comes back"
        );
        let access = body["data"]["tokens"]["accessToken"].as_str().unwrap();
        assert_eq!(
            app.get_as("/auth/me", access).await.status(),
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn blazex_route_errors_are_problem_details() {
    let app = spawn_app().await;

    let missing = app.get("/v1/auth/refresh-token").send().await.unwrap();
    let invalid = app
        .get("/v1/auth/refresh-token")
        .header("x-refresh-token", "nope")
        .send()
        .await
        .unwrap();

    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        missing.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
    let missing: Value = missing.json().await.unwrap();
    assert_eq!(
        (
            missing["detail"].as_str(),
            missing["status"].as_u64(),
            missing["code"].as_str()
        ),
        (Some("No token provided"), Some(401), Some("unauthorized"))
    );
    assert_eq!(
        invalid.json::<Value>().await.unwrap()["detail"],
        "Invalid token"
    );
}

#[tokio::test]
async fn hesabe_route_answers_its_envelope() {
    let app = spawn_app().await;
    let (_, login) = app.signed_in(Role::Client).await;

    let ok = app
        .post_json(
            "/api/v1/token-refresh",
            json!({"refreshToken": login["refreshToken"]}),
        )
        .await;
    let missing = app.post_json("/api/v1/token-refresh", json!({})).await;
    let invalid = app
        .post_json("/api/v1/token-refresh", json!({"refreshToken": "nope"}))
        .await;

    assert_eq!(ok.status(), StatusCode::OK);
    let ok: Value = ok.json().await.unwrap();
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
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    assert_eq!(invalid.status(), StatusCode::UNAUTHORIZED);
    let invalid: Value = invalid.json().await.unwrap();
    assert_eq!(
        (invalid["status"].clone(), invalid["response"].clone()),
        (json!(false), Value::Null)
    );
}
