//! The sample events in events/ go through `lambda_http::Adapter`, the same pipeline as on Lambda:
//! API Gateway HTTP API v2 event in, API Gateway response out (status, headers, body encoding).

use api_tests::{Deployment, function_router};
use lambda_http::{Adapter, Context, LambdaEvent, Service, request::LambdaRequest};
use serde_json::Value;

/// Feeds `events/<file>` to `function` and returns the response API Gateway would receive, as JSON.
async fn invoke(function: &str, file: &str) -> Value {
    invoke_in(&Deployment::offline(), function, file, |event| event).await
}

/// Like [`invoke`], in a given deployment, with the event's text edited first (to insert a token).
async fn invoke_in(
    deployment: &Deployment,
    function: &str,
    file: &str,
    edit: impl FnOnce(String) -> String,
) -> Value {
    let path = format!("{}/../events/{file}", env!("CARGO_MANIFEST_DIR"));
    let event: LambdaRequest =
        serde_json::from_str(&edit(std::fs::read_to_string(&path).unwrap())).unwrap();
    let mut adapter = Adapter::from(function_router(function, deployment));
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
async fn the_jwks_event_answers_the_public_keys_with_its_cache_header() {
    let response = invoke("welcome", "welcome-get-jwks.json").await;

    assert_eq!(response["statusCode"], 200);
    assert_eq!(response["headers"]["cache-control"], "public, max-age=3600");
    let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["keys"][0]["kid"], api_tests::TEST_KID);
    assert_eq!(
        body["keys"][0]["x"],
        api_tests::test_signing_key().public().x()
    );
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

#[tokio::test]
async fn a_base64_multipart_upload_event_stores_the_image() {
    let app = api_tests::spawn_app().await;
    let (_, staff) = app.signed_in(shared::auth::Role::Employee).await;
    let token = staff["accessToken"].as_str().unwrap().to_owned();

    let response = invoke_in(
        &app.deployment,
        "upload",
        "upload-post-single.json",
        |event| event.replace("REPLACED-BY-THE-TEST-WITH-A-STAFF-ACCESS-TOKEN", &token),
    )
    .await;

    assert_eq!(response["statusCode"], 200, "{response}");
    let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    let url = body["url"].as_str().unwrap();
    let key = url
        .strip_prefix(&format!("{}/", api_tests::PUBLIC_BASE_URL))
        .unwrap();
    assert!(
        key.starts_with("uploads/") && key.ends_with(".png"),
        "a PNG named .jpg is stored as PNG: {key}"
    );
    let object = app.stored_object(key).await;
    assert_eq!(object.content_type(), Some("image/png"));
    let bytes = object.body.collect().await.unwrap().into_bytes();
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.ends_with(b"IEND\xaeB`\x82"),
        "the decoded bytes, intact"
    );
}

#[tokio::test]
async fn a_product_list_event_searches_in_arabic_and_answers_in_english() {
    let app = api_tests::spawn_app().await;
    let (_, admin) = app.signed_in(shared::auth::Role::Admin).await;
    let token = admin["accessToken"].as_str().unwrap();
    for (name_ar, name_en, price) in [
        ("قهوة تركية", "Turkish coffee", 90),
        ("قَهوة عربية", "Arabic coffee", 120),
        ("قهوه مختصة", "Specialty coffee", 200),
        ("شاي", "Tea", 500),
    ] {
        let response = app
            .post_json_as(
                "/products/staff",
                token,
                serde_json::json!({"nameAr": name_ar, "nameEn": name_en, "descriptionAr": "و",
                                   "descriptionEn": "d", "coverList": ["https://cdn.example/p.png"],
                                   "quantity": 1, "price": price, "minPrice": 0}),
            )
            .await;
        assert_eq!(response.status(), 201);
    }

    let response = invoke_in(&app.deployment, "products", "products-get-list.json", |e| e).await;

    assert_eq!(response["statusCode"], 200, "{response}");
    let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    let names: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Specialty coffee", "Arabic coffee"],
        "the decoded query, applied"
    );
    assert_eq!(
        body["metadata"],
        serde_json::json!({"total": 3, "page": 1, "limit": 2})
    );
}

/// The body of an API Gateway response, as JSON.
fn body_of(response: &Value) -> Value {
    serde_json::from_str(response["body"].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn every_catalogue_function_answers_its_sample_event() {
    let app = api_tests::spawn_app().await;
    let (_, admin) = app.signed_in(shared::auth::Role::Admin).await;
    let token = admin["accessToken"].as_str().unwrap().to_owned();
    let create = |path: &'static str, body: Value| {
        let (app, token) = (&app, &token);
        async move {
            let response = app.post_json_as(path, token, body).await;
            assert_eq!(response.status(), 201);
            response.json::<Value>().await.unwrap()["_id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let cover = "https://cdn.example/c.png";
    let brand = create(
        "/brands/staff",
        serde_json::json!({"nameAr": "سامسونج", "nameEn": "Samsung", "cover": cover}),
    )
    .await;
    create(
        "/brands/staff",
        serde_json::json!({"nameAr": "أبل", "nameEn": "Apple", "cover": cover}),
    )
    .await;
    let category = create(
        "/categories/staff",
        serde_json::json!({"nameAr": "أجهزة", "nameEn": "Devices", "cover": cover}),
    )
    .await;
    let subcategory = create(
        "/subcategories/staff",
        serde_json::json!({"nameAr": "هواتف", "nameEn": "Phones", "cover": cover}),
    )
    .await;
    let linked = app
        .post_json_as(
            "/subcategories/staff/link",
            &token,
            serde_json::json!({"subcategoryId": subcategory, "categoryId": category}),
        )
        .await;
    assert_eq!(linked.status(), 200);
    let label = create(
        "/labels/staff",
        serde_json::json!({"nameAr": "أحمر", "nameEn": "Red", "color": "#FF0000"}),
    )
    .await;
    create(
        "/labels/staff",
        serde_json::json!({"nameAr": "أزرق", "nameEn": "Blue", "color": "#0000FF"}),
    )
    .await;
    let product = create(
        "/products/staff",
        serde_json::json!({"nameAr": "هاتف", "nameEn": "Phone", "descriptionAr": "و",
        "descriptionEn": "d", "coverList": ["https://cdn.example/p.png"], "quantity": 1, "price": 100, "minPrice": 0}),
    )
    .await;
    let offer = create(
        "/offers",
        serde_json::json!({"productId": product, "type": "percent", "value": 0.25,
        "offerQuantity": 10, "maxPerClient": 1}),
    )
    .await;

    let with_token = |event: String| {
        event
            .replace("REPLACED-BY-THE-TEST-WITH-A-STAFF-ACCESS-TOKEN", &token)
            .replace("REPLACED-BY-THE-TEST-WITH-A-CATEGORY-ID", &category)
    };
    let run = |function: &'static str, file: &'static str| {
        let (app, with_token) = (&app, &with_token);
        async move { invoke_in(&app.deployment, function, file, with_token).await }
    };

    let brands = run("brands", "brands-get-list.json").await;
    assert_eq!(brands["statusCode"], 200, "{brands}");
    assert_eq!(
        body_of(&brands)["data"],
        serde_json::json!([{"_id": brand, "name": "سامسونج", "cover": cover}])
    );

    let categories = body_of(&run("categories", "categories-get-list.json").await);
    assert_eq!(categories["data"][0]["name"], "Devices");
    assert_eq!(
        categories["metadata"],
        serde_json::json!({"total": 1, "page": 1, "limit": 5})
    );

    let subcategories = body_of(&run("subcategories", "subcategories-get-list.json").await);
    assert_eq!(subcategories["data"][0]["_id"], subcategory.as_str());
    assert_eq!(subcategories["data"][0]["category"], category.as_str());

    let labels = body_of(&run("labels", "labels-get-list.json").await);
    assert_eq!(
        labels["data"],
        serde_json::json!([{"_id": label, "name": "Red", "color": "#FF0000"}])
    );

    let tag = run("tags", "tags-post-staff.json").await;
    assert_eq!(tag["statusCode"], 201, "{tag}");
    let tag = body_of(&tag);
    assert_eq!(
        (&tag["nameAr"], &tag["nameEn"]),
        (&serde_json::json!("هدايا"), &serde_json::json!("Gifts"))
    );
    assert!(tag.get("unknownField").is_none());

    let offers = run("offers", "offers-get-list.json").await;
    assert_eq!(offers["statusCode"], 200, "{offers}");
    let offers = body_of(&offers);
    assert_eq!(offers["data"][0]["_id"], offer.as_str());
    assert_eq!(offers["data"][0]["product"]["finalPrice"], 75);
}

#[tokio::test]
async fn the_carts_checkout_and_orders_functions_answer_their_sample_events() {
    let shop = crate::catalog::Shop::open().await;
    let coffee = shop.stocked("Coffee", 7.5, 3).await;
    let edit = |event: String| {
        event
            .replace(
                "REPLACED-BY-THE-TEST-WITH-A-CLIENT-ACCESS-TOKEN",
                &shop.client,
            )
            .replace("REPLACED-BY-THE-TEST-WITH-A-PRODUCT-ID", &coffee)
    };
    let deployment = &shop.app.deployment;

    let added = invoke_in(deployment, "carts", "carts-post-add.json", edit).await;
    assert_eq!(added["statusCode"], 200, "{added}");
    let cart = body_of(&added);
    assert_eq!(cart["products"][0]["name"], "Coffee");
    assert_eq!(cart["finalPrice"], 15);

    let orders = invoke_in(deployment, "orders", "orders-get-list.json", edit).await;
    assert_eq!(orders["statusCode"], 200, "{orders}");
    assert_eq!(
        body_of(&orders)["metadata"],
        serde_json::json!({"total": 0, "page": 1, "limit": 5})
    );

    // A session the provider does not know places nothing and redirects nowhere.
    let unknown = invoke_in(deployment, "checkout", "checkout-get-success.json", edit).await;
    assert_eq!(unknown["statusCode"], 404, "{unknown}");
}

/// Without `PUBLIC_API_URL` (the template's default), checkout sends the browser back to the domain
/// API Gateway received the request on (`requestContext.domainName`), never to the Host header,
/// which here a client has changed.
#[tokio::test]
async fn without_a_public_api_url_the_payment_page_returns_to_the_domain_api_gateway_names() {
    let shop = crate::catalog::Shop::open().await;
    let coffee = shop.stocked("Coffee", 7.5, 3).await;
    shop.shopper().add(&coffee, 1).await.ok();
    let mut deployment = shop.app.deployment.clone();
    deployment
        .overrides
        .push(("PUBLIC_API_URL".to_owned(), String::new()));
    let edit = |event: String| {
        event
            .replace(
                "REPLACED-BY-THE-TEST-WITH-A-CLIENT-ACCESS-TOKEN",
                &shop.client,
            )
            .replace(
                r#""host": "abc123.execute-api.eu-central-1.amazonaws.com""#,
                r#""host": "evil.example""#,
            )
    };

    let opened = invoke_in(
        &deployment,
        "checkout",
        "checkout-post-create-session.json",
        edit,
    )
    .await;

    assert_eq!(opened["statusCode"], 200, "{opened}");
    let url = body_of(&opened)["url"].as_str().unwrap().to_owned();
    let session = url.rsplit('/').next().unwrap().to_owned();
    let back = shop.pay(&crate::shopper::Payment { session, url }).await;
    assert!(
        back.starts_with(
            "https://abc123.execute-api.eu-central-1.amazonaws.com/checkout/success/cs_"
        ),
        "{back}"
    );
    assert!(
        back.contains("redirectUrl=https%3A%2F%2Fshop.belta.test%2Fcheckout%2Fdone"),
        "{back}"
    );
}

/// The mail queue's sample batch through the mailer's handler, as Lambda hands it over: the mail is
/// sent, the message without a mail is dropped, and only the malformed record is reported failed (in
/// the shape Lambda reads, so that only it comes back).
#[tokio::test]
async fn the_mail_queue_event_sends_its_mail_and_reports_only_the_bad_record() {
    let app = api_tests::spawn_app().await;
    let to = api_tests::unique_email();
    let path = format!("{}/../events/mailer-sqs.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path)
        .unwrap()
        .replace("mailer-sample@example.com", &to);
    let event: shared::queue::SqsEvent = serde_json::from_str(&text).unwrap();
    let config = mailer::Config::read(app.deployment.env()).unwrap();
    let state = mailer::MailerState::new(config, &app.sdk_config);

    let response = mailer::handle(&state, event).await;

    assert_eq!(
        serde_json::to_value(&response).unwrap(),
        serde_json::json!({"batchItemFailures": [{"itemIdentifier": "5f1c3a0e-6d6b-4d6e-9a59-0d0c1e8f6a03"}]})
    );
    let mails = app.mails_to(&to).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].subject, "Your password reset code");
    assert!(mails[0].body.contains("<b>4821</b>"));
}

/// The schedule's sample event through catalog-snapshot's handler, as Lambda hands it over: the
/// catalogue's current version is written to the snapshot object, and an unchanged catalogue is not
/// written again.
#[tokio::test]
async fn the_scheduled_event_writes_the_catalogue_snapshot_object_once_per_version() {
    let app = api_tests::spawn_app().await;
    let path = format!(
        "{}/../events/catalog-snapshot-schedule.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let event: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let config = catalog_snapshot::Config::read(app.deployment.env()).unwrap();
    let writer = catalog_snapshot::SnapshotWriter::new(config, &app.sdk_config);
    let mut brand = catalog::model::Entity::new(catalog::kind::Kind::Brand, 1);
    (brand.name_ar, brand.name_en) = ("قهوة".into(), "Coffee".into());
    catalog::store::CatalogStore::new(app.dynamodb.clone(), app.table_name.clone())
        .apply(vec![catalog::store::Change::create(&brand)])
        .await
        .unwrap();

    let first = catalog_snapshot::handle(&writer, event.clone())
        .await
        .unwrap();
    let second = catalog_snapshot::handle(&writer, event).await.unwrap();

    let version = catalog::store::current_version(&app.dynamodb, &app.table_name)
        .await
        .unwrap();
    assert!(
        matches!(first, catalog_snapshot::Outcome::Written { version: v, .. } if v == version),
        "{first:?}"
    );
    assert_eq!(second, catalog_snapshot::Outcome::Current { version });
    let object = catalog::stored::SnapshotObject {
        s3: app.s3.clone(),
        bucket: app.bucket.clone(),
    };
    let (stored, catalog) = object.read().await.expect("the object was written");
    assert_eq!(stored, version);
    assert_eq!(catalog.entities(catalog::kind::Kind::Brand).count(), 1);
}
