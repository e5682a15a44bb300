//! `ops import-belta` against the emulator: a dump written in mongoexport's format, imported, then
//! read back through the API as Belta's clients would read it.

use std::{path::PathBuf, sync::Arc};

use api_tests::{PUBLIC_BASE_URL, TestApp, spawn_app};
use aws_sdk_dynamodb::types::AttributeValue;
use ops::import::{self, Options, Progress, Report, Target, export};
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::Id;

/// Fixed ids, so the assertions can name them.
fn id(n: u32) -> Id {
    format!("6650a1b2c3d4e5f6a7{n:06x}").parse().unwrap()
}

const CREATED: i64 = 1_716_559_250_123; // 2024-05-24T14:00:50.123Z
const UPDATED: i64 = 1_719_000_000_000;

struct Fixture {
    dir: PathBuf,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn new_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("belta-fixture-{}", Id::new()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn times() -> (Value, Value) {
    (export::date(CREATED), export::date(UPDATED))
}

fn entity(n: u32, en: &str, extra: Value) -> Value {
    let (created, updated) = times();
    let mut doc = json!({"_id": export::oid(&id(n)), "nameAr": format!("{en} بالعربية"), "nameEn": en,
        "disabled": false, "employeeReadOnly": false, "products": [], "createdAt": created,
        "updatedAt": updated, "__v": 0});
    doc.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    doc
}

const COFFEE: u32 = 101;
const TEA: u32 = 102;
const NAMELESS: u32 = 103;
const JUICE: u32 = 104;
const SARA: u32 = 201;
const SARA_AGAIN: u32 = 202;
const ADMIN: u32 = 203;
const EMPLOYEE: u32 = 204;
const GITHUB: u32 = 205;
const MISSING_BRAND: u32 = 999;

/// A small Belta shop with every collection and the edge cases the import reports.
fn belta_shop(images: &str) -> Fixture {
    let dir = new_dir();
    let write = |name: &str, docs: Vec<Value>| export::write(&dir, name, &docs).unwrap();
    let hash = |password: &str| bcrypt::hash(password, 10).unwrap();
    let (created, updated) = times();
    write(
        "categories",
        vec![entity(
            1,
            "Drinks",
            json!({"cover": format!("{images}/drinks.png")}),
        )],
    );
    write(
        "subcategories",
        vec![
            entity(
                2,
                "Hot drinks",
                json!({"cover": format!("{images}/hot.png"), "category": export::oid(&id(1))}),
            ),
            entity(
                3,
                "Lost",
                json!({"cover": format!("{images}/lost.png"), "category": export::oid(&id(MISSING_BRAND))}),
            ),
        ],
    );
    write(
        "brands",
        vec![
            entity(
                4,
                "Belta Roasters",
                json!({"cover": format!("{images}/roasters.png")}),
            ),
            entity(
                5,
                "Read only",
                json!({"cover": format!("{images}/ro.png"), "employeeReadOnly": true}),
            ),
        ],
    );
    write(
        "labels",
        vec![entity(6, "New", json!({"color": "#FF0000"}))],
    );
    write("tags", vec![entity(7, "Morning", json!({}))]);
    let product = |n: u32, en: &str, price: Value, extra: Value| {
        let mut doc = json!({"_id": export::oid(&id(n)), "nameAr": format!("{en} بالعربية"), "nameEn": en,
            "descriptionAr": "وصف", "descriptionEn": "A description", "coverList": [format!("{images}/{n}.png")],
            "rating": 4.5, "reviews": 2, "viewsCount": 10, "quantity": 9, "price": price, "minPrice": 10,
            "finalPrice": price, "brand": null, "subcategory": null, "labels": [], "tags": [], "offer": null,
            "disabled": false, "employeeReadOnly": false, "createdAt": created, "updatedAt": updated, "__v": 0});
        doc.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        doc
    };
    write(
        "products",
        vec![
            product(
                COFFEE,
                "Coffee",
                json!(12.5),
                json!({"brand": export::oid(&id(4)),
                "subcategory": export::oid(&id(2)), "labels": [export::oid(&id(6))], "tags": [export::oid(&id(7))],
                "offer": export::oid(&id(301)), "coverList": [format!("{images}/coffee.png"),
                format!("{images}/not-an-image.png"), format!("{images}/gone.png")]}),
            ),
            // Float noise from Node.js arithmetic, and a brand that was deleted in Belta.
            product(
                TEA,
                "Tea",
                json!(19.999999999),
                json!({"brand": export::oid(&id(MISSING_BRAND))}),
            ),
            product(NAMELESS, "", json!(5), json!({})),
            // As `mongoexport --jsonFormat=canonical` writes numbers and dates.
            product(
                JUICE,
                "Juice",
                json!({"$numberDouble": "7.25"}),
                json!({"quantity": {"$numberInt": "3"},
                "minPrice": {"$numberInt": "5"}, "createdAt": {"$date": {"$numberLong": CREATED.to_string()}}}),
            ),
        ],
    );
    write(
        "offers",
        vec![
            json!({"_id": export::oid(&id(301)), "product": export::oid(&id(COFFEE)), "type": "percent",
                "value": 0.2, "offerQuantity": 100, "maxPerClient": 5, "quantityPurchased": 0, "disabled": false,
                "createdAt": created, "updatedAt": updated}),
            json!({"_id": export::oid(&id(302)), "product": export::oid(&id(NAMELESS)), "type": "fixed",
                "value": 1, "offerQuantity": 1, "maxPerClient": 1, "createdAt": created, "updatedAt": updated}),
        ],
    );
    let user = |n: u32, email: Value, password: Option<String>, role: &str, confirmed: bool| {
        json!({"_id": export::oid(&id(n)), "fullName": format!("User {n}"), "email": email,
            "password": password, "confirmed": confirmed, "role": role, "createdAt": created, "updatedAt": updated, "__v": 0})
    };
    let mut github = user(GITHUB, Value::Null, None, "client", true);
    github["provider"] = json!("github");
    github["providerId"] = json!("4242");
    write(
        "users",
        vec![
            user(
                SARA,
                json!("sara@example.com"),
                Some(hash("old belta password")),
                "client",
                true,
            ),
            // Belta's unique index was case-sensitive; ours is not.
            user(
                SARA_AGAIN,
                json!("Sara@Example.com"),
                Some(hash("another password")),
                "client",
                false,
            ),
            user(
                ADMIN,
                json!("admin@belta.example"),
                Some(hash("admin belta password")),
                "admin",
                true,
            ),
            // Belta after its provider change: e-mail and password beside the user.
            user(EMPLOYEE, Value::Null, None, "employee", true),
            github,
        ],
    );
    write(
        "useremails",
        vec![
            json!({"_id": export::oid(&id(401)), "email": "staff@belta.example", "user": export::oid(&id(EMPLOYEE)),
            "password": hash("employee password")}),
        ],
    );
    let line = |n: u32, product: u32, quantity: u32, price: f64| {
        json!({"_id": export::oid(&id(n)), "productId": export::oid(&id(product)), "nameAr": "اسم",
            "nameEn": "Name", "cover": format!("{images}/coffee.png"), "quantity": quantity, "itemPrice": price,
            "totalPrice": price * quantity as f64})
    };
    write(
        "activecarts",
        vec![
            json!({"_id": export::oid(&id(501)), "user": export::oid(&id(SARA)),
            "products": [line(502, COFFEE, 2, 10.0), line(503, NAMELESS, 1, 5.0)], "finalPrice": 25,
            "createdAt": created, "updatedAt": updated}),
        ],
    );
    let mut draft_line = line(512, TEA, 1, 20.0);
    draft_line["reason"] = json!("price_change");
    write(
        "draftcarts",
        vec![
            json!({"_id": export::oid(&id(511)), "user": export::oid(&id(SARA)), "products": [draft_line],
            "createdAt": created, "updatedAt": updated}),
        ],
    );
    write(
        "orders",
        vec![
            json!({"_id": export::oid(&id(601)), "user": export::oid(&id(SARA)), "products": [line(602, COFFEE, 2, 12.5)],
                "finalPrice": 25, "status": "delivered", "sessionId": "cs_test_1", "createdAt": created, "updatedAt": updated}),
            json!({"_id": export::oid(&id(611)), "user": export::oid(&id(SARA_AGAIN)), "products": [line(612, TEA, 1, 19.99)],
                "finalPrice": 19.99, "status": "confirmed", "sessionId": null, "createdAt": created, "updatedAt": updated}),
        ],
    );
    write(
        "tokens",
        vec![json!({"_id": export::oid(&id(701)), "uuid": "x", "value": "y"})],
    );
    Fixture { dir }
}

fn target(app: &TestApp) -> Target {
    Target {
        db: app.dynamodb.clone(),
        s3: app.s3.clone(),
        table: app.table_name.clone(),
        bucket: app.bucket.clone(),
        public_base_url: PUBLIC_BASE_URL.to_owned(),
    }
}

async fn import(app: &TestApp, fixture: &Fixture, options: Options) -> Report {
    import::run(
        &target(app),
        &fixture.dir,
        options,
        Arc::new(Progress::default()),
    )
    .await
    .expect("the import runs")
}

fn reasons(notes: &[import::map::Note]) -> Vec<String> {
    notes
        .iter()
        .map(|n| format!("{} {}: {}", n.collection, n.record, n.reason))
        .collect()
}

fn has(notes: &[String], part: &str) {
    assert!(
        notes.iter().any(|n| n.contains(part)),
        "no note contains {part:?}: {notes:#?}"
    );
}

async fn get(app: &TestApp, path: &str, token: Option<&str>) -> (StatusCode, Value) {
    let mut request = app.get(path).header("accept-language", "en");
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn password_hash(app: &TestApp, email: &str) -> String {
    let item = app
        .dynamodb
        .get_item()
        .table_name(&app.table_name)
        .key("PK", AttributeValue::S(format!("EMAIL#{email}")))
        .key("SK", AttributeValue::S("EMAIL".into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    item["passwordHash"].as_s().unwrap().clone()
}

async fn legacy_passwords(app: &TestApp) -> String {
    ops::users::run(
        app.dynamodb.clone(),
        &app.table_name,
        ops::users::UsersAction::LegacyPasswords,
    )
    .await
    .unwrap()
    .join("\n")
}

#[tokio::test]
async fn a_dry_run_reports_every_problem_and_writes_nothing() {
    let app = spawn_app().await;
    let fixture = belta_shop("https://belta.blob.core.windows.net/images");
    let report = import(
        &app,
        &fixture,
        Options {
            dry_run: true,
            copy_images: false,
        },
    )
    .await;

    let skipped = reasons(&report.skipped);
    has(
        &skipped,
        &format!("products {}: `nameEn` is missing", id(NAMELESS)),
    );
    has(
        &skipped,
        &format!(
            "offers {}: its product {} does not exist",
            id(302),
            id(NAMELESS)
        ),
    );
    has(
        &skipped,
        &format!(
            "users {}: its e-mail differs only in case from {}",
            id(SARA_AGAIN),
            id(SARA)
        ),
    );
    assert_eq!(skipped.len(), 3, "{skipped:#?}");
    let changed = reasons(&report.changed);
    has(
        &changed,
        &format!(
            "products {}: `price` 19.999999999 rounded to 20.00",
            id(TEA)
        ),
    );
    has(
        &changed,
        &format!(
            "products {}: `brand` {} does not exist: left out",
            id(TEA),
            id(MISSING_BRAND)
        ),
    );
    has(
        &changed,
        &format!(
            "subcategories {}: `category` {} does not exist",
            id(3),
            id(MISSING_BRAND)
        ),
    );
    has(
        &changed,
        &format!(
            "activecarts {}: a line of product {}",
            id(501),
            id(NAMELESS)
        ),
    );
    has(
        &changed,
        &format!(
            "orders {}: its owner {} was not imported",
            id(611),
            id(SARA_AGAIN)
        ),
    );
    assert_eq!(report.not_imported[0].0, "tokens");
    assert_eq!(report.tallies["products"].read, 4);
    assert_eq!(report.tallies["products"].mapped, 3);
    assert_eq!(report.items["products"], 3);
    assert_eq!(report.items_written(), 0);
    let text = report.to_string();
    assert!(text.contains("would write"), "{text}");

    let (status, _) = get(&app, &format!("/products/{}", id(COFFEE)), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a dry run writes nothing");
}

#[tokio::test]
async fn an_imported_shop_answers_as_the_dump_describes_and_a_second_import_changes_nothing() {
    let app = spawn_app().await;
    let fixture = belta_shop("https://belta.blob.core.windows.net/images");
    let report = import(&app, &fixture, Options::default()).await;
    assert_eq!(report.written["products"], 3);
    assert_eq!(report.written["orders"], 2);

    // The catalogue, with Belta's ids, times, relations and the offer's price.
    let coffee = id(COFFEE).to_string();
    let (status, product) = get(&app, &format!("/products/{coffee}"), None).await;
    assert_eq!(status, StatusCode::OK, "{product}");
    assert_eq!(product["name"], "Coffee");
    assert_eq!(product["price"], 12.5);
    assert_eq!(product["finalPrice"], 10, "20% off, not below minPrice 10");
    let (_, list) = get(&app, "/products?limit=10", None).await;
    assert_eq!(list["metadata"]["total"], 3);
    let (_, tea) = get(&app, &format!("/products/{}", id(TEA)), None).await;
    assert_eq!(tea["price"], 20);
    assert_eq!(tea["brand"], Value::Null, "the deleted brand is left out");
    let (_, juice) = get(&app, &format!("/products/{}", id(JUICE)), None).await;
    assert_eq!(
        (juice["price"].clone(), juice["quantity"].clone()),
        (json!(7.25), json!(3))
    );
    let (_, brand) = get(&app, &format!("/brands/{}", id(4)), None).await;
    assert_eq!(brand["products"][0]["_id"], coffee.as_str());
    let (_, filtered) = get(
        &app,
        &format!("/products?category={}&tag={}", id(1), id(7)),
        None,
    )
    .await;
    assert_eq!(filtered["data"][0]["_id"], coffee.as_str());

    // Passwords: Belta's bcrypt hash logs in once and is replaced by argon2id.
    assert!(legacy_passwords(&app).await.starts_with("3 accounts"));
    let wrong = app
        .post_json(
            "/auth/login",
            json!({"email": "sara@example.com", "password": "wrong password"}),
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(
        password_hash(&app, "sara@example.com")
            .await
            .starts_with("$2b$10$")
    );
    let sara = app.login("Sara@Example.com", "old belta password").await;
    assert_eq!(sara["_id"], id(SARA).to_string());
    assert!(
        password_hash(&app, "sara@example.com")
            .await
            .starts_with("$argon2id$v=19$m=19456,t=2,p=1$")
    );
    assert!(legacy_passwords(&app).await.starts_with("2 accounts"));
    let sara = app.login("sara@example.com", "old belta password").await["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    app.login("staff@belta.example", "employee password").await;

    // Her orders, carts and the staff's view of orders.
    let (_, orders) = get(&app, "/orders", Some(&sara)).await;
    assert_eq!(orders["metadata"]["total"], 1, "{orders}");
    assert_eq!(orders["data"][0]["_id"], id(601).to_string());
    assert_eq!(orders["data"][0]["status"], "delivered");
    assert_eq!(orders["data"][0]["finalPrice"], 25);
    assert_eq!(orders["data"][0]["createdAt"], "2024-05-24T14:00:50.123Z");
    let (_, cart) = get(&app, "/active-carts", Some(&sara)).await;
    assert_eq!(cart["products"].as_array().unwrap().len(), 1, "{cart}");
    assert_eq!(cart["products"][0]["productId"], coffee.as_str());
    assert_eq!(cart["products"][0]["quantity"], 2);
    let (_, draft) = get(&app, "/draft-carts", Some(&sara)).await;
    assert_eq!(draft["products"][0]["reason"], "price_change", "{draft}");
    let admin = app
        .login("admin@belta.example", "admin belta password")
        .await["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, staff_orders) = get(&app, "/orders/staff", Some(&admin)).await;
    assert_eq!(staff_orders["metadata"]["total"], 2, "{staff_orders}");
    let (_, staff) = get(&app, "/users/staff?role=admin", Some(&admin)).await;
    assert_eq!(
        staff["metadata"]["total"], 1,
        "the user list and the admin count: {staff}"
    );

    // Again: nothing is written, and what the API changed since (Sara's hash) stays.
    let again = import(&app, &fixture, Options::default()).await;
    assert_eq!(again.items_written(), 0, "{again}");
    assert_eq!(
        again.present.values().sum::<usize>(),
        report.written.values().sum::<usize>()
    );
    assert!(
        password_hash(&app, "sara@example.com")
            .await
            .starts_with("$argon2id$")
    );
    app.login("sara@example.com", "old belta password").await;
}

#[tokio::test]
async fn an_interrupted_import_finishes_when_run_again() {
    let app = spawn_app().await;
    let dir = new_dir();
    let fixture = Fixture { dir };
    ops::bench_import::synthetic_dump(&fixture.dir, 400).unwrap();
    let target = Arc::new(target(&app));
    let progress = Arc::new(Progress::default());
    let run = {
        let (target, dir, progress) = (target.clone(), fixture.dir.clone(), progress.clone());
        tokio::spawn(async move { import::run(&target, &dir, Options::default(), progress).await })
    };
    while progress.written.load(std::sync::atomic::Ordering::Relaxed) < 250 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    run.abort();
    assert!(run.await.unwrap_err().is_cancelled());
    let (_, partial) = get(&app, "/products?limit=1", None).await;
    assert!(
        partial["metadata"]["total"].as_u64().unwrap() < 400,
        "{partial}"
    );

    let finished = import::run(
        &target,
        &fixture.dir,
        Options::default(),
        Arc::new(Progress::default()),
    )
    .await
    .unwrap();
    assert!(
        finished.present.values().sum::<usize>() >= 250,
        "{finished}"
    );
    let (_, list) = get(&app, "/products?limit=1", None).await;
    assert_eq!(list["metadata"]["total"], 400);
    assert!(legacy_passwords(&app).await.starts_with("40 accounts"));
}

/// Serves Belta's blob store: one real PNG, one file that is not an image, and nothing else.
async fn belta_blobs() -> String {
    use axum::{Router, routing::get};
    let png = ops::png::banner(64, 32, [200, 120, 40], [40, 40, 40]);
    let app = Router::new()
        .route(
            "/images/coffee.png",
            get(move || std::future::ready(png.clone())),
        )
        .route(
            "/images/not-an-image.png",
            get(|| std::future::ready("<html>not found</html>")),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}/images", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    address
}

#[tokio::test]
async fn copied_images_are_checked_like_uploads_and_failures_keep_their_url() {
    let app = spawn_app().await;
    let blobs = belta_blobs().await;
    let fixture = belta_shop(&blobs);
    let report = import(
        &app,
        &fixture,
        Options {
            dry_run: false,
            copy_images: true,
        },
    )
    .await;
    assert_eq!(report.images_copied, 1, "{report}");
    let failed: Vec<String> = report
        .images_failed
        .iter()
        .map(|(url, why)| format!("{url}: {why}"))
        .collect();
    has(
        &failed,
        "not-an-image.png: not a JPEG, PNG, WebP or GIF image",
    );
    has(&failed, "gone.png: not fetched: HTTP 404");

    let (_, coffee) = get(&app, &format!("/products/{}", id(COFFEE)), None).await;
    let covers = coffee["coverList"].as_array().unwrap();
    let copied = covers[0].as_str().unwrap();
    assert!(
        copied.starts_with(&format!("{PUBLIC_BASE_URL}/uploads/belta/"))
            && copied.ends_with(".png"),
        "{coffee}"
    );
    assert_eq!(
        covers[1],
        format!("{blobs}/not-an-image.png"),
        "a failure keeps its URL"
    );
    let key = copied.trim_start_matches(&format!("{PUBLIC_BASE_URL}/"));
    let object = app.stored_object(key).await;
    assert_eq!(object.content_type(), Some("image/png"));
    let (_, order) = {
        let sara = app.login("sara@example.com", "old belta password").await["accessToken"]
            .as_str()
            .unwrap()
            .to_owned();
        get(&app, &format!("/orders/{}", id(601)), Some(&sara)).await
    };
    assert_eq!(
        order["products"][0]["cover"], copied,
        "order lines point at the copy too"
    );
}
