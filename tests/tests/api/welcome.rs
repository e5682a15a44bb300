use api_tests::spawn_app;
use reqwest::{StatusCode, header};
use serde_json::Value;

#[tokio::test]
async fn root_answers_belta_s_welcome_page() {
    let app = spawn_app().await;

    let response = app.get("/").send().await.unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(
        response.text().await.unwrap(),
        "<body><h1>Welcome to Belta Shop!</h1></body>"
    );
}

#[tokio::test]
async fn health_reports_status_and_version() {
    let app = spawn_app().await;

    let response = app.get("/health").send().await.unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn openapi_json_serves_the_committed_description() {
    let app = spawn_app().await;

    let response = app.get("/openapi.json").send().await.unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    let doc: Value = response.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/health"]["get"].is_object(), "{doc}");
}

#[tokio::test]
async fn unknown_routes_get_a_json_404_in_the_requested_language() {
    let app = spawn_app().await;

    let arabic = app.get("/no/such/route").send().await.unwrap();
    let english = app
        .get("/no/such/route")
        .header("accept-language", "en-US,en;q=0.9")
        .send()
        .await
        .unwrap();

    assert_eq!(arabic.status(), StatusCode::NOT_FOUND);
    let arabic: Value = arabic.json().await.unwrap();
    assert_eq!(arabic["code"], "route_not_found");
    assert_eq!(arabic["error"], "المسار المطلوب غير موجود.");
    assert_eq!(english.status(), StatusCode::NOT_FOUND);
    assert_eq!(english.headers()[header::CONTENT_LANGUAGE], "en");
    let english: Value = english.json().await.unwrap();
    assert_eq!(english["error"], "The requested route does not exist.");
}

#[tokio::test]
async fn a_wrong_method_on_a_known_route_gets_a_json_405() {
    let app = spawn_app().await;

    for (method, path) in [
        (reqwest::Method::DELETE, "/health"),
        (reqwest::Method::POST, "/"),
    ] {
        let response = app
            .request(method.clone(), path)
            .header("accept-language", "en")
            .send()
            .await
            .unwrap();

        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "method_not_allowed", "{method} {path}");
    }
}
