//! A typed client for carts, checkout and orders: one method per endpoint, called as someone
//! (`shop.shopper()`, `shop.as_staff()`, `shop.with_token(..)`), answering the catalogue client's
//! [`Answer`].

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use api_tests::Answer;

use crate::catalog::Shop;

/// Who calls: a token (or none), in English.
pub struct Buyer<'s> {
    shop: &'s Shop,
    token: Option<&'s str>,
}

impl Shop {
    /// The signed-in client.
    pub fn shopper(&self) -> Buyer<'_> {
        self.with_token(Some(&self.client))
    }

    /// The signed-in admin (staff routes).
    pub fn as_staff(&self) -> Buyer<'_> {
        self.with_token(Some(&self.admin))
    }

    pub fn with_token<'s>(&'s self, token: Option<&'s str>) -> Buyer<'s> {
        Buyer { shop: self, token }
    }

    /// A product with `stock` units at `price`, returning its id.
    pub async fn stocked(&self, name: &str, price: f64, stock: u64) -> String {
        self.create(
            "/products/staff",
            json!({"nameAr": format!("{name} ar"), "nameEn": name, "descriptionAr": "و",
                "descriptionEn": "d", "quantity": stock, "price": price, "minPrice": 0,
                "coverList": [format!("https://cdn.belta.test/{name}.webp")]}),
        )
        .await
    }

    /// Changes a product as the admin.
    pub async fn set_product(&self, id: &str, body: Value) {
        self.admin_ok(Method::PATCH, &format!("/products/staff/{id}"), Some(body))
            .await;
    }

    /// The product's stock as staff see it.
    pub async fn stock_of(&self, id: &str) -> u64 {
        let product = self
            .admin_ok(Method::GET, &format!("/products/staff/{id}"), None)
            .await;
        product["quantity"].as_u64().unwrap()
    }
}

impl Buyer<'_> {
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        self.shop
            .send(method, path, self.token, body.as_ref(), Some("en"))
            .await
    }

    pub async fn cart(&self) -> Answer {
        self.call(Method::GET, "/active-carts", None).await
    }

    pub async fn add(&self, product: &str, quantity: u32) -> Answer {
        let body = json!({"productId": product, "quantity": quantity});
        self.call(Method::POST, "/active-carts/add", Some(body))
            .await
    }

    pub async fn add_multiple(&self, body: Value) -> Answer {
        self.call(Method::POST, "/active-carts/add-multiple", Some(body))
            .await
    }

    pub async fn remove(&self, product: &str, quantity: u32) -> Answer {
        let body = json!({"productId": product, "quantity": quantity});
        self.call(Method::POST, "/active-carts/remove", Some(body))
            .await
    }

    pub async fn draft(&self) -> Answer {
        self.call(Method::GET, "/draft-carts", None).await
    }

    pub async fn draft_add(&self, product: &str, quantity: u32) -> Answer {
        let body = json!({"productId": product, "quantity": quantity});
        self.call(Method::POST, "/draft-carts/add", Some(body))
            .await
    }

    pub async fn draft_add_multiple(&self, body: Value) -> Answer {
        self.call(Method::POST, "/draft-carts/add-multiple", Some(body))
            .await
    }

    pub async fn draft_remove(&self, product: &str, quantity: u32) -> Answer {
        let body = json!({"productId": product, "quantity": quantity});
        self.call(Method::POST, "/draft-carts/remove", Some(body))
            .await
    }

    pub async fn staff_carts(&self, query: &str) -> Answer {
        self.call(Method::GET, &format!("/active-carts/staff{query}"), None)
            .await
    }

    pub async fn staff_cart(&self, user: &str) -> Answer {
        self.call(Method::GET, &format!("/active-carts/staff/{user}"), None)
            .await
    }

    pub async fn staff_add(&self, user: &str, product: &str, quantity: u32) -> Answer {
        let body = json!({"userId": user, "productId": product, "quantity": quantity});
        self.call(Method::POST, "/active-carts/staff/add", Some(body))
            .await
    }

    pub async fn staff_remove(&self, user: &str, product: &str, quantity: u32) -> Answer {
        let body = json!({"userId": user, "productId": product, "quantity": quantity});
        self.call(Method::POST, "/active-carts/staff/remove", Some(body))
            .await
    }

    pub async fn orders(&self, query: &str) -> Answer {
        self.call(Method::GET, &format!("/orders{query}"), None)
            .await
    }

    pub async fn order(&self, id: &str) -> Answer {
        self.call(Method::GET, &format!("/orders/{id}"), None).await
    }

    pub async fn order_again(&self, id: &str) -> Answer {
        self.call(
            Method::POST,
            &format!("/orders/{id}/order-again"),
            Some(json!({})),
        )
        .await
    }

    pub async fn staff_orders(&self, query: &str) -> Answer {
        self.call(Method::GET, &format!("/orders/staff{query}"), None)
            .await
    }

    pub async fn staff_order(&self, id: &str) -> Answer {
        self.call(Method::GET, &format!("/orders/staff/{id}"), None)
            .await
    }

    pub async fn set_status(&self, id: &str, status: &str) -> Answer {
        let body = json!({"status": status});
        self.call(Method::PATCH, &format!("/orders/staff/{id}"), Some(body))
            .await
    }
}

/// `(productId, quantity)` of each line of a cart.
pub fn lines(cart: &Value) -> Vec<(String, u64)> {
    cart["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["productId"].as_str().unwrap().to_owned(),
                l["quantity"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// The store front's pages the browser is sent back to.
pub fn store_page(path: &str) -> String {
    format!("{}{path}", api_tests::STORE_ORIGIN)
}

impl Buyer<'_> {
    pub async fn create_session(&self) -> Answer {
        let body =
            json!({"successUrl": store_page("/checkout/done"), "cancelUrl": store_page("/cart")});
        self.call(Method::POST, "/checkout/create-session", Some(body))
            .await
    }
}

/// A browser on the payment page: opens a session for the client's cart, then pays or cancels.
pub struct Payment {
    /// The provider's session id.
    pub session: String,
    /// The payment page.
    pub url: String,
}

impl Shop {
    /// The client opens a payment session for their cart (200 required).
    pub async fn checkout(&self, token: &str) -> Payment {
        let answer = self.with_token(Some(token)).create_session().await.ok();
        let url = answer["url"].as_str().unwrap().to_owned();
        let session = url.rsplit('/').next().unwrap().to_owned();
        Payment { session, url }
    }

    /// Clicks Pay on the payment page; returns where the provider sends the browser (our success URL).
    pub async fn pay(&self, payment: &Payment) -> String {
        let response = self
            .app
            .client
            .post(self.app.devpay.pay_url(&payment.session))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "devpay's Pay");
        response.headers()["location"].to_str().unwrap().to_owned()
    }

    /// Follows the success URL as the browser would: our API's answer (a 303 on success).
    pub async fn come_back(&self, success_url: &str) -> reqwest::Response {
        self.app.client.get(success_url).send().await.unwrap()
    }

    /// Every order, as staff see them.
    pub async fn all_orders(&self) -> Vec<Value> {
        let list = self.as_staff().staff_orders("?limit=100").await.ok();
        list["data"].as_array().unwrap().clone()
    }
}
