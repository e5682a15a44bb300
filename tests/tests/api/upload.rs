//! Uploads to S3 (the emulator's), staff only, images only, all or nothing.

use api_tests::{PUBLIC_BASE_URL, TestApp, spawn_app, spawn_app_with};
use reqwest::{
    StatusCode,
    multipart::{Form, Part},
};
use serde_json::{Value, json};
use shared::auth::Role;

/// A PNG of `size` bytes: a complete `IHDR` header (4 x 4 pixels), then filler.
fn png(size: usize) -> Vec<u8> {
    let ihdr = b"IHDR\0\0\0\x04\0\0\0\x04\x08\x06\0\0\0";
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0d".to_vec();
    bytes.extend_from_slice(ihdr);
    bytes.extend_from_slice(&upload::image::crc32(ihdr).to_be_bytes());
    bytes.resize(size, 7);
    bytes
}

/// A JPEG of `size` bytes: its frame header (4 x 4 pixels, grey), then filler.
fn jpeg(size: usize) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8, 0, 4, 0, 4, 1, 1, 0x11, 0];
    bytes.resize(size, 1);
    bytes
}

/// A GIF of `size` bytes: its logical screen (4 x 4 pixels), then filler.
fn gif(size: usize) -> Vec<u8> {
    let mut bytes = b"GIF89a\x04\0\x04\0\0\0\0".to_vec();
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

    // A signature with a header cut short is not an image either (issue 15).
    let signature_only = b"\x89PNG\r\n\x1a\nAAAA".to_vec();
    let mut truncated_jpeg = jpeg(15);
    truncated_jpeg.truncate(12);

    for (bytes, name) in [
        (svg, "logo.png"),
        (html, "cover.jpg"),
        (signature_only, "signature.png"),
        (truncated_jpeg, "truncated.jpg"),
    ] {
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

/// Presigns an upload of `size` bytes declared as `content_type`; the presign's body.
async fn presign(app: &TestApp, token: &str, size: usize, content_type: &str) -> Value {
    let response = app
        .post_json_as(
            "/upload/presign",
            token,
            json!({"fileName": "صورة كبيرة.png", "contentType": content_type, "size": size}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// The browser's side: a PUT of `bytes` to the presigned URL with the headers it was given. (The
/// emulator does not check signatures, but it does honour `If-None-Match`.)
async fn put_presigned(app: &TestApp, presigned: &Value, bytes: Vec<u8>) -> StatusCode {
    let mut put = app
        .client
        .put(presigned["uploadUrl"].as_str().unwrap())
        .body(bytes);
    for (name, value) in presigned["headers"].as_object().unwrap() {
        put = put.header(name, value.as_str().unwrap());
    }
    put.send().await.unwrap().status()
}

/// `GET /upload/presign/{id}`, asked until the check has decided (10 s at most).
async fn decided(app: &TestApp, token: &str, id: &str) -> Value {
    let started = std::time::Instant::now();
    loop {
        let response = app.get_as(&format!("/upload/presign/{id}"), token).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        if body["status"] != "pending" {
            return body;
        }
        assert!(
            started.elapsed().as_secs() < 10,
            "the upload was checked: {body}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn exists(app: &TestApp, key: &str) -> bool {
    app.s3
        .head_object()
        .bucket(&app.bucket)
        .key(key)
        .send()
        .await
        .is_ok()
}

#[tokio::test]
async fn presign_binds_type_size_key_and_a_single_write_into_quarantine() {
    let app = spawn_app().await;
    let token = staff_token(&app).await;

    let body = presign(&app, &token, 7_340_032, "image/png").await;

    assert_eq!(body["method"], "PUT");
    let key = body["key"].as_str().unwrap();
    assert_key_shape(key, "png");
    assert!(key.ends_with(&format!("{}.png", body["id"].as_str().unwrap())));
    assert_eq!(body["url"], format!("{PUBLIC_BASE_URL}/{key}"));
    let upload_url = reqwest::Url::parse(body["uploadUrl"].as_str().unwrap()).unwrap();
    assert!(
        upload_url.path().ends_with(&format!("/quarantine/{key}")),
        "the browser writes into quarantine only: {upload_url}"
    );
    let query: std::collections::HashMap<String, String> =
        upload_url.query_pairs().into_owned().collect();
    let expires: u64 = query["X-Amz-Expires"].parse().unwrap();
    assert!(expires <= 900 && body["expiresIn"] == expires, "{expires}");
    let signed: Vec<&str> = query["X-Amz-SignedHeaders"].split(';').collect();
    for header in [
        "content-length",
        "content-type",
        "host",
        "if-none-match",
        "x-amz-meta-original-name",
    ] {
        assert!(signed.contains(&header), "{header} is signed: {signed:?}");
    }
    assert_eq!(body["headers"]["content-type"], "image/png");
    assert_eq!(body["headers"]["if-none-match"], "*");
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
    let pending = app
        .get_as(
            &format!("/upload/presign/{}", body["id"].as_str().unwrap()),
            &token,
        )
        .await;
    assert_eq!(
        pending.json::<Value>().await.unwrap(),
        json!({"id": body["id"], "status": "pending", "url": null})
    );
}

/// The byte check behind a presigned upload: a real image ends at its public URL with the type it was
/// declared with; 7 MB of zeros declared `image/png` is rejected and deleted, and never public, and so is
/// a PNG signature whose header is missing.
#[tokio::test]
async fn presigned_uploads_are_served_only_when_their_bytes_are_an_image() {
    let app = spawn_app().await;
    let token = staff_token(&app).await;
    let image = presign(&app, &token, 7_340_032, "image/png").await;
    let zeros = presign(&app, &token, 7_340_032, "image/png").await;
    let signature = presign(&app, &token, 12, "image/png").await;

    assert_eq!(
        put_presigned(&app, &image, png(7_340_032)).await,
        StatusCode::OK
    );
    assert_eq!(
        put_presigned(&app, &zeros, vec![0u8; 7_340_032]).await,
        StatusCode::OK
    );
    assert_eq!(
        put_presigned(&app, &signature, b"\x89PNG\r\n\x1a\nAAAA".to_vec()).await,
        StatusCode::OK
    );

    let ready = decided(&app, &token, image["id"].as_str().unwrap()).await;
    assert_eq!(
        ready,
        json!({"id": image["id"], "status": "ready", "url": image["url"]})
    );
    let key = image["key"].as_str().unwrap();
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
    assert!(!exists(&app, &format!("quarantine/{key}")).await);

    let rejected = decided(&app, &token, zeros["id"].as_str().unwrap()).await;
    assert_eq!(
        rejected,
        json!({"id": zeros["id"], "status": "rejected", "url": null})
    );
    let key = zeros["key"].as_str().unwrap();
    assert!(!exists(&app, key).await, "never public");
    assert!(!exists(&app, &format!("quarantine/{key}")).await, "deleted");

    let signature_only = decided(&app, &token, signature["id"].as_str().unwrap()).await;
    assert_eq!(
        signature_only["status"], "rejected",
        "a PNG signature and four bytes is not an image"
    );
}

/// `If-None-Match: *` makes a presigned URL write once: a second PUT while the file waits for its
/// check is refused (412). Once checked, the outcome stands: a file put there again afterwards is
/// deleted unread. The bucket's event is handed to the checker from events/, as Lambda would.
#[tokio::test]
async fn a_presigned_url_writes_once_and_a_checked_upload_stays_as_checked() {
    let app = spawn_app().await;
    let token = staff_token(&app).await;
    // Nothing announces uploads to the checker in this test: it runs the checker itself.
    app.s3
        .put_bucket_notification_configuration()
        .bucket(&app.bucket)
        .notification_configuration(aws_sdk_s3::types::NotificationConfiguration::builder().build())
        .send()
        .await
        .unwrap();
    let presigned = presign(&app, &token, 1024, "image/png").await;
    let key = presigned["key"].as_str().unwrap();
    let quarantined = format!("quarantine/{key}");

    assert_eq!(
        put_presigned(&app, &presigned, png(1024)).await,
        StatusCode::OK
    );
    assert_eq!(
        put_presigned(&app, &presigned, vec![0u8; 1024]).await,
        StatusCode::PRECONDITION_FAILED,
        "the file cannot be replaced"
    );

    let config = upload_check::Config::read(app.deployment.env()).unwrap();
    let checker = upload_check::CheckerState::new(config, &app.sdk_config);
    let path = format!(
        "{}/../events/upload-check-sqs.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let event = std::fs::read_to_string(path)
        .unwrap()
        .replace("belta-uploads-bucket", &app.bucket)
        .replace(
            "quarantine/uploads/2026/12/6931a0c0e4b0a1b2c3d4e5f6.png",
            &quarantined,
        );
    let check = || async {
        let event: shared::queue::SqsEvent = serde_json::from_str(&event).unwrap();
        let response = upload_check::handle(&checker, event).await;
        assert!(response.batch_item_failures.is_empty(), "{response:?}");
    };
    check().await;
    let ready = decided(&app, &token, presigned["id"].as_str().unwrap()).await;
    assert_eq!(ready["status"], "ready");

    // The URL is still valid and the quarantine is empty again: S3 takes a second file...
    assert_eq!(
        put_presigned(&app, &presigned, gif(1024)).await,
        StatusCode::OK
    );
    // ...which the checker deletes unread: the served image and its outcome stay.
    check().await;
    assert!(!exists(&app, &quarantined).await);
    let served = app
        .s3
        .get_object()
        .bucket(&app.bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    assert_eq!(served.content_type(), Some("image/png"));
    let bytes = served.body.collect().await.unwrap().to_vec();
    assert_eq!(bytes, png(1024));
    assert_eq!(
        decided(&app, &token, presigned["id"].as_str().unwrap()).await["status"],
        "ready"
    );
}

#[tokio::test]
async fn the_status_of_a_presigned_upload_is_for_staff_and_known_ids_only() {
    let app = spawn_app().await;
    let token = staff_token(&app).await;
    let presigned = presign(&app, &token, 1024, "image/png").await;
    let path = format!("/upload/presign/{}", presigned["id"].as_str().unwrap());

    let unknown = app
        .get_as("/upload/presign/682b7173f5c8c863ab931a45", &token)
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        unknown.json::<Value>().await.unwrap()["code"],
        "upload_not_found"
    );
    let malformed = app.get_as("/upload/presign/not-an-id", &token).await;
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let (_, client) = app.signed_in(Role::Client).await;
    let as_client = app
        .get_as(&path, client["accessToken"].as_str().unwrap())
        .await;
    assert_eq!(as_client.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.get(&path).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
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
            // Past i64, the type of the Content-Length it is signed into: malformed, not too large.
            json!({"fileName": "a.png", "contentType": "image/png", "size": 9_223_372_036_854_775_808u64}),
            StatusCode::BAD_REQUEST,
            "size past a 64-bit signed integer",
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
