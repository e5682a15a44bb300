//! Uploads to S3 (the emulator's), staff only, images only, all or nothing.

use api_tests::{PUBLIC_BASE_URL, TestApp, spawn_app, spawn_app_with};
use reqwest::{
    StatusCode,
    multipart::{Form, Part},
};
use serde_json::{Value, json};
use shared::auth::Role;

fn png(size: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.resize(size, 7);
    bytes
}

fn jpeg(size: usize) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.resize(size, 1);
    bytes
}

fn gif(size: usize) -> Vec<u8> {
    let mut bytes = b"GIF89a".to_vec();
    bytes.resize(size, 2);
    bytes
}

fn part(bytes: Vec<u8>, name: &str, declared: &str) -> Part {
    Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str(declared)
        .unwrap()
}

async fn staff_token(app: &TestApp) -> String {
    let (_, login) = app.signed_in(Role::Employee).await;
    login["accessToken"].as_str().unwrap().to_owned()
}

async fn upload(app: &TestApp, path: &str, token: &str, form: Form) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .header("accept-language", "en")
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn stored_keys(app: &TestApp) -> Vec<String> {
    let listed = app
        .s3
        .list_objects_v2()
        .bucket(&app.bucket)
        .send()
        .await
        .unwrap();
    listed
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect()
}

fn key_of(url: &str) -> String {
    url.strip_prefix(&format!("{PUBLIC_BASE_URL}/"))
        .unwrap_or_else(|| panic!("{url} is not under the public base"))
        .to_owned()
}

/// `uploads/<yyyy>/<mm>/<24 hex>.<ext>`
fn assert_key_shape(key: &str, extension: &str) {
    let parts: Vec<&str> = key.split('/').collect();
    assert_eq!(parts.len(), 4, "{key}");
    assert_eq!(parts[0], "uploads");
    assert!(
        parts[1].len() == 4
            && parts[2].len() == 2
            && parts[1].parse::<u32>().is_ok()
            && parts[2].parse::<u32>().is_ok(),
        "{key}"
    );
    let (id, ext) = parts[3].split_once('.').unwrap();
    assert!(
        id.len() == 24 && id.chars().all(|c| c.is_ascii_hexdigit()),
        "{key}"
    );
    assert_eq!(ext, extension, "{key}");
}

#[tokio::test]
async fn a_single_image_is_stored_under_a_generated_key_with_its_detected_type() {
    let app = spawn_app().await;
    let token = staff_token(&app).await;
    let bytes = png(3000);

    let response = upload(
        &app,
        "/upload/single",
        &token,
        Form::new().part("file", part(bytes.clone(), "../../صورة.jpg", "image/jpeg")),
    )
    .await;

    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let key = key_of(body["url"].as_str().unwrap());
    assert_key_shape(&key, "png");
    let object = app
        .s3
        .get_object()
        .bucket(&app.bucket)
        .key(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        object.content_type(),
        Some("image/png"),
        "the bytes decide, not the name or the declared type"
    );
    assert_eq!(
        object.cache_control(),
        Some("public, max-age=31536000, immutable")
    );
    let original = object
        .metadata()
        .and_then(|m| m.get("original-name"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        original, "..%2F..%2F%D8%B5%D9%88%D8%B1%D8%A9.jpg",
        "the name is metadata, never a path"
    );
    assert_eq!(
        object.body.collect().await.unwrap().into_bytes().to_vec(),
        bytes
    );
}

#[tokio::test]
async fn several_images_are_stored_in_the_order_sent() {
    let app = spawn_app().await;
    let token = staff_token(&app).await;
    let form = Form::new()
        .part("files", part(jpeg(1000), "a.jpg", "image/jpeg"))
        .part("files", part(gif(1000), "b.gif", "image/gif"))
        .part("files", part(png(1000), "c.png", "image/png"))
        .text("note", "ignored field");

    let response = upload(&app, "/upload/multiple", &token, form).await;

    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let urls: Vec<&str> = body["urls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap())
        .collect();
    assert_eq!(urls.len(), 3);
    for (url, (extension, mime)) in urls.iter().zip([
        ("jpg", "image/jpeg"),
        ("gif", "image/gif"),
        ("png", "image/png"),
    ]) {
        let key = key_of(url);
        assert_key_shape(&key, extension);
        let head = app
            .s3
            .head_object()
            .bucket(&app.bucket)
            .key(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(head.content_type(), Some(mime));
    }
}

#[tokio::test]
async fn uploads_are_for_staff_only() {
    let app = spawn_app().await;
    let (_, client) = app.signed_in(Role::Client).await;
    let form = || Form::new().part("file", part(png(100), "a.png", "image/png"));

    let anonymous = app
        .client
        .post(app.url("/upload/single"))
        .multipart(form())
        .send()
        .await
        .unwrap();
    let bad_token = upload(&app, "/upload/single", "not-a-token", form()).await;
    let as_client = upload(
        &app,
        "/upload/single",
        client["accessToken"].as_str().unwrap(),
        form(),
    )
    .await;

    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(bad_token.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(as_client.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        as_client.json::<Value>().await.unwrap()["error"],
        "Only staff members can access this resource"
    );
    assert!(stored_keys(&app).await.is_empty());
}

#[tokio::test]
async fn files_that_are_not_images_are_refused_whatever_their_name() {
    let app = spawn_app().await;
    let token = staff_token(&app).await;
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec();
    let html = b"<!DOCTYPE html><html><body>hi</body></html>".to_vec();

    for (bytes, name) in [(svg, "logo.png"), (html, "cover.jpg")] {
        let response = upload(
            &app,
            "/upload/single",
            &token,
            Form::new().part("file", part(bytes, name, "image/png")),
        )
        .await;
        assert_eq!(
            response.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{name}"
        );
        assert_eq!(
            response.json::<Value>().await.unwrap()["code"],
            "unsupported_file_type"
        );
    }
    assert!(stored_keys(&app).await.is_empty());
}

#[tokio::test]
async fn one_bad_file_among_good_ones_stores_nothing() {
    let app = spawn_app().await;
    let token = staff_token(&app).await;
    let form = Form::new()
        .part("files", part(png(500), "a.png", "image/png"))
        .part(
            "files",
            part(b"%PDF-1.7 not an image".to_vec(), "b.png", "image/png"),
        );

    let response = upload(&app, "/upload/multiple", &token, form).await;

    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(stored_keys(&app).await.is_empty());
}

#[tokio::test]
async fn missing_or_empty_files_get_belta_s_messages() {
    let app = spawn_app().await;
    let token = staff_token(&app).await;

    let missing = upload(
        &app,
        "/upload/single",
        &token,
        Form::new().text("other", "x"),
    )
    .await;
    let empty = upload(
        &app,
        "/upload/single",
        &token,
        Form::new().part("file", part(Vec::new(), "a.png", "image/png")),
    )
    .await;
    let none = upload(
        &app,
        "/upload/multiple",
        &token,
        Form::new().part("file", part(png(10), "a.png", "image/png")),
    )
    .await;

    for (response, message) in [
        (missing, "No file uploaded"),
        (empty, "No file uploaded"),
        (none, "No files uploaded"),
    ] {
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{message}");
        assert_eq!(response.json::<Value>().await.unwrap()["error"], message);
    }
}

#[tokio::test]
async fn limits_on_size_and_count_answer_413_or_400_and_store_nothing() {
    let app = spawn_app_with(&[
        ("UPLOAD_MAX_FILE_BYTES", "2048"),
        ("UPLOAD_MAX_FILES", "2"),
        ("UPLOAD_MAX_REQUEST_BYTES", "8192"),
    ])
    .await;
    let token = staff_token(&app).await;

    let too_big = upload(
        &app,
        "/upload/single",
        &token,
        Form::new().part("file", part(png(3000), "a.png", "image/png")),
    )
    .await;
    assert_eq!(too_big.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        too_big.json::<Value>().await.unwrap()["error"],
        "File size is too large."
    );

    let three = (0..3).fold(Form::new(), |form, i| {
        form.part("files", part(png(100), &format!("{i}.png"), "image/png"))
    });
    let too_many = upload(&app, "/upload/multiple", &token, three).await;
    assert_eq!(too_many.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        too_many.json::<Value>().await.unwrap()["code"],
        "too_many_files"
    );

    let whole = Form::new()
        .part("files", part(png(2000), "a.png", "image/png"))
        .text("padding", "x".repeat(9000));
    let request_too_big = upload(&app, "/upload/multiple", &token, whole).await;
    assert_eq!(request_too_big.status(), StatusCode::PAYLOAD_TOO_LARGE);

    assert!(stored_keys(&app).await.is_empty());
}

#[tokio::test]
async fn a_non_multipart_body_is_a_415() {
    let app = spawn_app().await;
    let token = staff_token(&app).await;

    let response = app
        .post_json_as("/upload/single", &token, json!({"file": "x"}))
        .await;

    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        response.json::<Value>().await.unwrap()["code"],
        "expected_multipart"
    );
}

#[tokio::test]
async fn presign_binds_type_size_and_key_and_expires_within_15_minutes() {
    let app = spawn_app().await;
    let token = staff_token(&app).await;

    let response = app
        .post_json_as(
            "/upload/presign",
            &token,
            json!({"fileName": "صورة كبيرة.png", "contentType": "image/png", "size": 7_340_032}),
        )
        .await;

    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["method"], "PUT");
    let key = body["key"].as_str().unwrap();
    assert_key_shape(key, "png");
    assert_eq!(body["url"], format!("{PUBLIC_BASE_URL}/{key}"));
    let upload_url = reqwest::Url::parse(body["uploadUrl"].as_str().unwrap()).unwrap();
    assert!(upload_url.path().ends_with(key), "{upload_url}");
    let query: std::collections::HashMap<String, String> =
        upload_url.query_pairs().into_owned().collect();
    let expires: u64 = query["X-Amz-Expires"].parse().unwrap();
    assert!(expires <= 900 && body["expiresIn"] == expires, "{expires}");
    let signed: Vec<&str> = query["X-Amz-SignedHeaders"].split(';').collect();
    for header in [
        "content-length",
        "content-type",
        "host",
        "x-amz-meta-original-name",
    ] {
        assert!(signed.contains(&header), "{header} is signed: {signed:?}");
    }
    assert_eq!(body["headers"]["content-type"], "image/png");
    assert!(
        body["headers"]["x-amz-meta-original-name"]
            .as_str()
            .unwrap()
            .starts_with("%D8%B5")
    );
    assert!(
        body["headers"].get("content-length").is_none(),
        "browsers set it themselves"
    );

    // The browser's side of it (the emulator does not check signatures, so this shows the flow only).
    let mut put = app.client.put(upload_url).body(vec![0u8; 7_340_032]);
    for (name, value) in body["headers"].as_object().unwrap() {
        put = put.header(name, value.as_str().unwrap());
    }
    assert!(put.send().await.unwrap().status().is_success());
    let head = app
        .s3
        .head_object()
        .bucket(&app.bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (head.content_type(), head.content_length()),
        (Some("image/png"), Some(7_340_032))
    );
}

#[tokio::test]
async fn presign_refuses_non_images_oversized_files_and_bad_bodies() {
    let app = spawn_app().await;
    let token = staff_token(&app).await;
    let cases = [
        (
            json!({"fileName": "a.svg", "contentType": "image/svg+xml", "size": 100}),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "svg",
        ),
        (
            json!({"fileName": "a.png", "contentType": "image/png", "size": 10 * 1024 * 1024 + 1}),
            StatusCode::PAYLOAD_TOO_LARGE,
            "over 10 MiB",
        ),
        (
            json!({"fileName": "a.png", "contentType": "image/png", "size": 0}),
            StatusCode::BAD_REQUEST,
            "empty",
        ),
        (
            json!({"fileName": "a.png", "contentType": "image/png"}),
            StatusCode::BAD_REQUEST,
            "no size",
        ),
        (
            json!({"fileName": "a.png", "contentType": "image/png", "size": -5}),
            StatusCode::BAD_REQUEST,
            "negative size",
        ),
        (
            json!({"fileName": "", "contentType": "image/png", "size": 5}),
            StatusCode::BAD_REQUEST,
            "no name",
        ),
    ];
    for (body, status, why) in cases {
        assert_eq!(
            app.post_json_as("/upload/presign", &token, body)
                .await
                .status(),
            status,
            "{why}"
        );
    }
    let (_, client) = app.signed_in(Role::Client).await;
    let as_client = app
        .post_json_as(
            "/upload/presign",
            client["accessToken"].as_str().unwrap(),
            json!({"fileName": "a.png", "contentType": "image/png", "size": 5}),
        )
        .await;
    assert_eq!(as_client.status(), StatusCode::FORBIDDEN);
}
