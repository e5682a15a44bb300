//! The catalogue through its public and staff endpoints, against the emulator.

mod caching;
pub mod client;
mod entities;
mod links;
mod offers;
mod populated;
mod products;

use api_tests::{Answer, TestApp, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::auth::Role;

/// An API with an admin, an employee and a client signed in.
pub struct Shop {
    pub app: TestApp,
    pub admin: String,
    pub employee: String,
    pub client: String,
}

fn access_token(login: (String, Value)) -> String {
    login.1["accessToken"].as_str().unwrap().to_owned()
}

impl Shop {
    pub async fn open() -> Shop {
        Shop::open_on(spawn_app().await).await
    }

    /// The same on a given API (one whose AWS requests are logged, say).
    pub async fn open_on(app: TestApp) -> Shop {
        let (admin, employee, client) = tokio::join!(
            app.signed_in(Role::Admin),
            app.signed_in(Role::Employee),
            app.signed_in(Role::Client)
        );
        Shop {
            admin: access_token(admin),
            employee: access_token(employee),
            client: access_token(client),
            app,
        }
    }

    /// Any request; `lang` goes into `Accept-Language` when given.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        lang: Option<&str>,
    ) -> Answer {
        let mut request = self.app.request(method, path);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        if let Some(lang) = lang {
            request = request.header("accept-language", lang);
        }
        Answer::read(request.send().await.expect("request sent")).await
    }

    /// [`Shop::send`], answering the status and the JSON body (the text when it is not JSON).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        lang: Option<&str>,
    ) -> (StatusCode, Value) {
        let answer = self.send(method, path, token, body.as_ref(), lang).await;
        match answer.body {
            Value::Null => (answer.status, Value::String(answer.text)),
            body => (answer.status, body),
        }
    }

    /// A public GET in a language.
    pub async fn public(&self, path: &str, lang: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None, None, Some(lang)).await
    }

    /// A staff request as the admin.
    pub async fn admin(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.call(method, path, Some(&self.admin), body, Some("en"))
            .await
    }

    /// A staff request as the employee.
    pub async fn employee(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.call(method, path, Some(&self.employee), body, Some("en"))
            .await
    }

    /// Creates through `POST <path>` as the admin; panics unless 201. Returns the new `_id`.
    pub async fn create(&self, path: &str, body: Value) -> String {
        let (status, created) = self.admin(Method::POST, path, Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{path}: {created}");
        created["_id"].as_str().unwrap().to_owned()
    }

    /// A staff request as the admin that must answer 200; returns the body.
    pub async fn admin_ok(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let (status, answer) = self.admin(method, path, body).await;
        assert_eq!(status, StatusCode::OK, "{path}: {answer}");
        answer
    }

    pub async fn brand(&self, name_ar: &str, name_en: &str) -> String {
        self.create(
            "/brands/staff",
            json!({"nameAr": name_ar, "nameEn": name_en, "cover": "https://cdn.example/b.png"}),
        )
        .await
    }

    pub async fn category(&self, name_ar: &str, name_en: &str) -> String {
        self.create(
            "/categories/staff",
            json!({"nameAr": name_ar, "nameEn": name_en, "cover": "https://cdn.example/c.png"}),
        )
        .await
    }

    pub async fn subcategory(&self, name_ar: &str, name_en: &str) -> String {
        self.create(
            "/subcategories/staff",
            json!({"nameAr": name_ar, "nameEn": name_en, "cover": "https://cdn.example/s.png"}),
        )
        .await
    }

    pub async fn label(&self, name_ar: &str, name_en: &str, color: &str) -> String {
        self.create(
            "/labels/staff",
            json!({"nameAr": name_ar, "nameEn": name_en, "color": color}),
        )
        .await
    }

    pub async fn tag(&self, name_ar: &str, name_en: &str) -> String {
        self.create("/tags/staff", json!({"nameAr": name_ar, "nameEn": name_en}))
            .await
    }

    /// A product with the given names and price (min price 0, 5 in stock).
    pub async fn product(&self, name_ar: &str, name_en: &str, price: f64) -> String {
        self.create("/products/staff", product_body(name_ar, name_en, price))
            .await
    }

    /// The same, marked `employeeReadOnly`: only an admin may change it.
    pub async fn read_only_product(&self, name_ar: &str, name_en: &str, price: f64) -> String {
        let mut body = product_body(name_ar, name_en, price);
        body["employeeReadOnly"] = json!(true);
        self.create("/products/staff", body).await
    }

    /// A request as the admin that must fail with `status` and the error `code`; returns the error.
    pub async fn admin_fails(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        status: StatusCode,
        code: &str,
    ) -> Value {
        let (got, error) = self.admin(method.clone(), path, body).await;
        assert_eq!(
            (got, error["code"].as_str()),
            (status, Some(code)),
            "{method} {path}: {error}"
        );
        error
    }

    /// `POST <path>` as the admin with a link body; panics unless 200.
    pub async fn link(&self, path: &str, body: Value) -> Value {
        self.admin_ok(Method::POST, path, Some(body)).await
    }
}

fn product_body(name_ar: &str, name_en: &str, price: f64) -> Value {
    json!({
        "nameAr": name_ar, "nameEn": name_en,
        "descriptionAr": format!("وصف {name_ar}"), "descriptionEn": format!("About {name_en}"),
        "coverList": ["https://cdn.example/p.png"],
        "quantity": 5, "price": price, "minPrice": 0
    })
}

/// The `_id`s of a list answer's `data`, in order.
pub fn ids(list: &Value) -> Vec<&str> {
    list["data"]
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|item| item["_id"].as_str().unwrap())
        .collect()
}

/// The keys of a JSON object, sorted.
pub fn keys(object: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = object
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {object}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

#[tokio::test]
async fn the_demo_catalogue_loads_once_into_an_empty_catalogue_and_shows_a_shop() {
    let app = spawn_app().await;
    let images = ops::demo::DemoImages {
        s3: &app.s3,
        bucket: &app.bucket,
        public_base_url: api_tests::PUBLIC_BASE_URL,
    };
    assert!(
        ops::demo::load(&app.dynamodb, &app.table_name, &images)
            .await
            .unwrap()
    );
    assert!(
        !ops::demo::load(&app.dynamodb, &app.table_name, &images)
            .await
            .unwrap(),
        "a second run changes nothing"
    );

    let read = |path: &'static str| {
        let request = app.get(path);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let products = read("/products?limit=100").await;
    assert_eq!(products["metadata"]["total"], 8);
    let phone = products["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "هاتف نوفا إكس")
        .expect("the demo phone, in Arabic by default");
    assert_eq!(
        (&phone["price"], &phone["finalPrice"]),
        (&json!(8999), &json!(8099.1))
    );
    let categories = read("/categories").await;
    assert_eq!(categories["metadata"]["total"], 2);

    // Every picture is served from our own bucket (no internet placeholder), as a PNG our upload
    // sniffing would accept.
    let covers: Vec<String> = products["data"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["coverList"].as_array().unwrap().clone())
        .chain(
            categories["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["cover"].clone()),
        )
        .map(|url| url.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(covers.len(), 10);
    for url in covers {
        let key = url
            .strip_prefix(&format!("{}/", api_tests::PUBLIC_BASE_URL))
            .unwrap_or_else(|| panic!("{url} is not under the upload base URL"));
        assert!(key.starts_with("uploads/demo/"), "{key}");
        let object = app.stored_object(key).await;
        assert_eq!(object.content_type(), Some("image/png"));
        let bytes = object.body.collect().await.unwrap().into_bytes();
        assert_eq!(
            upload::image::ImageType::detect(&bytes),
            Some(upload::image::ImageType::Png),
            "{key}"
        );
    }
}
