//! A typed client for carts, checkout and orders: one method per endpoint, called as someone
//! (`shop.shopper()`, `shop.as_staff()`, `shop.with_token(..)`), answering the catalogue client's
//! [`Answer`].

use reqwest::Method;
use serde_json::{Value, json};

use crate::catalog::{Shop, client::Answer};

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
        let (status, body) = self
            .shop
            .call(method, path, self.token, body, Some("en"))
            .await;
        Answer { status, body }
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
