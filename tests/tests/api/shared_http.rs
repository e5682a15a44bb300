//! The request pipeline every function shares (`shared::http::api` and the extractors), exercised through
//! a real axum router built from those pieces with routes that exist only in this test.

use axum::{
    Json, Router,
    body::Body,
    routing::{get, post},
};
use http::{Request, StatusCode, header};
use serde::Deserialize;
use serde_json::{Value, json};
use shared::{
    FieldErrors, FieldIssue, Money,
    config::HttpConfig,
    extract::{JsonBody, PathId, QueryParams, Validate},
    pagination::{Page, PageQuery, PageRequest},
};
use tower::ServiceExt;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct NewItem {
    name_en: String,
    price: Money,
    quantity: u32,
}

impl Validate for NewItem {
    fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        if !(1..=100).contains(&self.name_en.chars().count()) {
            errors.add("nameEn", FieldIssue::Length { min: 1, max: 100 });
        }
        errors.finish()
    }
}

fn app() -> Router {
    let routes =
        Router::new()
            .route(
                "/items",
                post(|JsonBody(item): JsonBody<NewItem>| async move {
                    Json(json!({"name": item.name_en}))
                }),
            )
            .route(
                "/items",
                get(|QueryParams(q): QueryParams<PageQuery>| async move {
                    let request = PageRequest::from(q);
                    Json(request.paginate(&(1..=25).collect::<Vec<u32>>()))
                }),
            )
            .route(
                "/items/{id}",
                get(|PathId(id): PathId| async move { id.to_string() }),
            )
            .route(
                "/boom",
                get(|| async { panic!("database password is hunter2") as &'static str }),
            );
    shared::http::api(
        routes,
        &HttpConfig {
            max_body_bytes: 1024,
            ..HttpConfig::default()
        },
    )
}

async fn send(request: Request<Body>) -> (StatusCode, http::HeaderMap, Value) {
    let response = app().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, headers, body)
}

fn post_json(body: &str) -> Request<Body> {
    Request::post("/items")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT_LANGUAGE, "en")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

#[tokio::test]
async fn a_valid_body_reaches_the_handler_and_unknown_fields_are_ignored() {
    let (status, _, body) = send(post_json(
        r#"{"nameEn":"Mug","price":19.99,"quantity":2,"_id":"x","finalPrice":1}"#,
    ))
    .await;
    assert_eq!((status, body), (StatusCode::OK, json!({"name": "Mug"})));
}

#[tokio::test]
async fn bad_bodies_get_a_400_that_names_the_field() {
    let cases = [
        (
            r#"{"price":1,"quantity":1}"#,
            "nameEn",
            "This field is required.",
            "missing field",
        ),
        (
            r#"{"nameEn":"a","price":"1","quantity":1}"#,
            "price",
            "Must be a number.",
            "string for a number",
        ),
        (
            r#"{"nameEn":"a","price":1.234,"quantity":1}"#,
            "price",
            "At most two decimal places are allowed.",
            "sub-piaster price",
        ),
        (
            r#"{"nameEn":"a","price":1,"quantity":-3}"#,
            "quantity",
            "The value is not valid.",
            "negative quantity",
        ),
        (
            r#"{"nameEn":"","price":1,"quantity":1}"#,
            "nameEn",
            "Must be between 1 and 100 characters long.",
            "rule in validate()",
        ),
        (
            r#"[1,2,3]"#,
            "body",
            "Must be an object.",
            "array instead of object",
        ),
    ];
    for (body, field, message, why) in cases {
        let (status, _, json) = send(post_json(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{why}");
        assert_eq!(json["code"], "validation_failed", "{why}");
        assert_eq!(json["fields"][field][0], message, "{why}: {json}");
    }
}

#[tokio::test]
async fn malformed_json_is_a_400_with_its_own_code() {
    for body in [r#"{"nameEn": "#, "{'nameEn': 1}", "nameEn=1"] {
        let (status, _, json) = send(post_json(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(json["code"], "malformed_json", "{body}");
        assert_eq!(json["error"], "The request body is not valid JSON.");
    }
}

#[tokio::test]
async fn a_non_json_content_type_is_a_415() {
    let request = Request::post("/items")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("nameEn=Mug"))
        .unwrap();
    let (status, _, json) = send(request).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(json["code"], "unsupported_media_type");
}

#[tokio::test]
async fn an_empty_body_names_every_missing_field() {
    let request = Request::post("/items")
        .header(header::ACCEPT_LANGUAGE, "en")
        .body(Body::empty())
        .unwrap();
    let (status, _, json) = send(request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        json["fields"]["nameEn"][0], "This field is required.",
        "{json}"
    );
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413() {
    let big = format!(
        r#"{{"nameEn":"{}","price":1,"quantity":1}}"#,
        "x".repeat(2000)
    );
    let (status, _, json) = send(post_json(&big)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(json["code"], "payload_too_large");
}

#[tokio::test]
async fn paging_defaults_caps_and_refuses_non_numbers() {
    let get = |uri: &str| {
        Request::get(uri)
            .header(header::ACCEPT_LANGUAGE, "en")
            .body(Body::empty())
            .unwrap()
    };

    let (status, _, json) = send(get("/items")).await;
    assert_eq!(status, StatusCode::OK);
    let page: Page<u32> = serde_json::from_value(json).unwrap();
    assert_eq!(
        (
            page.data.len(),
            page.metadata.total,
            page.metadata.page,
            page.metadata.limit
        ),
        (10, 25, 1, 10)
    );

    let (_, _, json) = send(get("/items?page=1&limit=1000&unknown=1")).await;
    assert_eq!(
        json["metadata"]["limit"], 100,
        "limit is capped and reported as used"
    );

    let (_, _, json) = send(get("/items?page=9")).await;
    assert_eq!(
        (
            json["data"].as_array().unwrap().len(),
            json["metadata"]["total"].as_u64()
        ),
        (0, Some(25))
    );

    for (uri, field) in [
        ("/items?page=abc", "page"),
        ("/items?limit=1.5", "limit"),
        ("/items?page=0", "page"),
        ("/items?limit=-1", "limit"),
        ("/items?page=1&page=2", "page"),
        ("/items?limit=5&page=1&limit=5", "limit"),
    ] {
        let (status, _, json) = send(get(uri)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(json["fields"][field].is_array(), "{uri}: {json}");
    }
}

#[tokio::test]
async fn ids_in_paths_are_checked() {
    let (status, _, body) = send(
        Request::get("/items/682b7173f5c8c863ab931a45")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::OK,
            Value::String("682b7173f5c8c863ab931a45".into())
        )
    );

    // One spelling per id: upper case, or a sign where a digit belongs, names no id.
    for bad in [
        "not-an-id",
        "682B7173F5C8C863AB931A45",
        "682b7173f5c8c863ab931a+5",
    ] {
        let (status, _, json) = send(
            Request::get(format!("/items/{bad}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(json["fields"]["id"].is_array(), "{json}");
    }
}

#[tokio::test]
async fn a_panic_becomes_a_generic_500_in_the_error_shape() {
    let request = Request::get("/boom")
        .header(header::ACCEPT_LANGUAGE, "en")
        .body(Body::empty())
        .unwrap();
    let (status, headers, json) = send(request).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        json,
        json!({"error": "Something went wrong on our side.", "code": "internal_error"})
    );
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert!(!json.to_string().contains("hunter2"));
}

#[tokio::test]
async fn responses_vary_by_language() {
    let (_, headers, _) = send(Request::get("/items").body(Body::empty()).unwrap()).await;
    assert_eq!(headers[header::VARY], "accept-language");
}
