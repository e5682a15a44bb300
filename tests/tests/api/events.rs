//! The sample events in events/ go through `lambda_http::Adapter`, the same pipeline as on Lambda:
//! API Gateway HTTP API v2 event in, API Gateway response out (status, headers, body encoding).

use api_tests::{Deployment, function_router};
use lambda_http::{Adapter, Context, LambdaEvent, Service, request::LambdaRequest};
use serde_json::Value;

/// Feeds `events/<file>` to `function` and returns the response API Gateway would receive, as JSON.
async fn invoke(function: &str, file: &str) -> Value {
    let path = format!("{}/../events/{file}", env!("CARGO_MANIFEST_DIR"));
    let event: LambdaRequest =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut adapter = Adapter::from(function_router(function, &Deployment::offline()));
    let response = adapter
        .call(LambdaEvent::new(event, Context::default()))
        .await
        .unwrap();
    serde_json::to_value(response).unwrap()
}

#[tokio::test]
async fn the_root_event_answers_the_welcome_page_as_text() {
    let response = invoke("welcome", "welcome-get-root.json").await;

    assert_eq!(response["statusCode"], 200);
    assert_eq!(response["isBase64Encoded"], false);
    assert_eq!(
        response["body"],
        "<body><h1>Welcome to Belta Shop!</h1></body>"
    );
}

#[tokio::test]
async fn the_health_event_with_query_and_cookies_answers_json() {
    let response = invoke("welcome", "welcome-get-health.json").await;

    assert_eq!(response["statusCode"], 200);
    let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn an_unknown_route_with_a_base64_body_answers_the_json_404_in_english() {
    let response = invoke("welcome", "welcome-unknown-route.json").await;

    assert_eq!(response["statusCode"], 404);
    assert_eq!(response["headers"]["content-language"], "en");
    let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["code"], "route_not_found");
    assert_eq!(body["error"], "The requested route does not exist.");
}

#[tokio::test]
async fn a_login_event_without_a_password_answers_400_in_arabic_before_touching_aws() {
    let response = invoke("auth", "auth-post-login-missing-password.json").await;

    assert_eq!(response["statusCode"], 400);
    assert_eq!(response["headers"]["content-language"], "ar");
    let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["code"], "validation_failed");
    assert_eq!(body["fields"]["password"][0], "هذا الحقل مطلوب.");
}
