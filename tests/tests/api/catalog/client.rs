//! A typed client for the catalogue (zero2prod's `TestApp`): one method per endpoint, named as the API
//! documentation names them, called as someone (`shop.as_admin()`, `shop.anonymous("ar")`).

use catalog::kind::{Kind, ProductLink};
use reqwest::Method;
use serde_json::{Value, json};

use super::Shop;
use api_tests::Answer;

/// A caller: a token (or none) and a language.
pub struct Caller<'s> {
    shop: &'s Shop,
    token: Option<&'s str>,
    lang: &'s str,
}

impl Shop {
    pub fn as_admin(&self) -> Caller<'_> {
        self.caller(Some(&self.admin), "en")
    }

    pub fn as_employee(&self) -> Caller<'_> {
        self.caller(Some(&self.employee), "en")
    }

    pub fn as_client(&self) -> Caller<'_> {
        self.caller(Some(&self.client), "en")
    }

    pub fn anonymous<'s>(&'s self, lang: &'s str) -> Caller<'s> {
        self.caller(None, lang)
    }

    fn caller<'s>(&'s self, token: Option<&'s str>, lang: &'s str) -> Caller<'s> {
        Caller {
            shop: self,
            token,
            lang,
        }
    }
}

/// `?query` when there is one.
fn with_query(path: String, query: &str) -> String {
    if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    }
}

impl Caller<'_> {
    /// The same caller in another language.
    pub fn in_lang<'l>(&self, lang: &'l str) -> Caller<'l>
    where
        Self: 'l,
    {
        Caller {
            shop: self.shop,
            token: self.token,
            lang,
        }
    }

    async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Answer {
        self.shop
            .send(method, path, self.token, body, Some(self.lang))
            .await
    }

    // The five kinds: `/<kind>` and `/<kind>/staff`.

    /// `GET /<kind>?query`
    pub async fn public_list(&self, kind: Kind, query: &str) -> Answer {
        let path = with_query(format!("/{}", kind.path()), query);
        self.send(Method::GET, &path, None).await
    }

    /// `GET /<kind>/{id}`
    pub async fn public_get(&self, kind: Kind, id: &str) -> Answer {
        let path = format!("/{}/{id}", kind.path());
        self.send(Method::GET, &path, None).await
    }

    /// `GET /<kind>/staff?query`
    pub async fn staff_list(&self, kind: Kind, query: &str) -> Answer {
        let path = with_query(format!("/{}/staff", kind.path()), query);
        self.send(Method::GET, &path, None).await
    }

    /// `POST /<kind>/staff`
    pub async fn create(&self, kind: Kind, body: &Value) -> Answer {
        let path = format!("/{}/staff", kind.path());
        self.send(Method::POST, &path, Some(body)).await
    }

    /// `GET /<kind>/staff/{id}`
    pub async fn staff_get(&self, kind: Kind, id: &str) -> Answer {
        let path = format!("/{}/staff/{id}", kind.path());
        self.send(Method::GET, &path, None).await
    }

    /// `PATCH /<kind>/staff/{id}`
    pub async fn update(&self, kind: Kind, id: &str, body: &Value) -> Answer {
        let path = format!("/{}/staff/{id}", kind.path());
        self.send(Method::PATCH, &path, Some(body)).await
    }

    /// `DELETE /<kind>/staff/{id}`
    pub async fn delete(&self, kind: Kind, id: &str) -> Answer {
        let path = format!("/{}/staff/{id}", kind.path());
        self.send(Method::DELETE, &path, None).await
    }

    // Links.

    /// Links `product` to `parent` of `kind`: `/products/staff/link-<kind>` for a brand or a
    /// subcategory, `/<kind>/staff/link` for a label or a tag.
    pub async fn link(&self, kind: Kind, product: &str, parent: &str) -> Answer {
        self.toggle_link(kind, product, Some(parent), "link").await
    }

    /// Unlinks `product` from `parent` of `kind` (which a brand or subcategory unlink may leave out).
    pub async fn unlink(&self, kind: Kind, product: &str, parent: Option<&str>) -> Answer {
        self.toggle_link(kind, product, parent, "unlink").await
    }

    async fn toggle_link(
        &self,
        kind: Kind,
        product: &str,
        parent: Option<&str>,
        action: &str,
    ) -> Answer {
        let spec = kind.spec();
        let path = match &spec.product_link {
            ProductLink::One { route, .. } => format!("/products/staff/{action}-{route}"),
            ProductLink::Many { .. } | ProductLink::None => {
                format!("/{}/staff/{action}", spec.path)
            }
        };
        let mut body = json!({"productId": product});
        if let Some(parent) = parent {
            body[spec.id_field] = json!(parent);
        }
        self.send(Method::POST, &path, Some(&body)).await
    }

    /// `POST /subcategories/staff/link` `{subcategoryId, categoryId}`
    pub async fn link_category(&self, subcategory: &str, category: &str) -> Answer {
        let body = json!({"subcategoryId": subcategory, "categoryId": category});
        let path = "/subcategories/staff/link";
        self.send(Method::POST, path, Some(&body)).await
    }

    /// `POST /subcategories/staff/unlink` `{subcategoryId}`
    pub async fn unlink_category(&self, subcategory: &str) -> Answer {
        let body = json!({ "subcategoryId": subcategory });
        let path = "/subcategories/staff/unlink";
        self.send(Method::POST, path, Some(&body)).await
    }

    // Products: `/products` and `/products/staff`.

    /// `GET /products?query`
    pub async fn public_products(&self, query: &str) -> Answer {
        let path = with_query("/products".to_owned(), query);
        self.send(Method::GET, &path, None).await
    }

    /// `GET /products/{id}`
    pub async fn public_product(&self, id: &str) -> Answer {
        self.send(Method::GET, &format!("/products/{id}"), None)
            .await
    }

    /// `GET /products/staff?query`
    pub async fn staff_products(&self, query: &str) -> Answer {
        let path = with_query("/products/staff".to_owned(), query);
        self.send(Method::GET, &path, None).await
    }

    /// `POST /products/staff`
    pub async fn create_product(&self, body: &Value) -> Answer {
        self.send(Method::POST, "/products/staff", Some(body)).await
    }

    /// `GET /products/staff/{id}`
    pub async fn staff_product(&self, id: &str) -> Answer {
        let path = format!("/products/staff/{id}");
        self.send(Method::GET, &path, None).await
    }

    /// `PATCH /products/staff/{id}`
    pub async fn update_product(&self, id: &str, body: &Value) -> Answer {
        let path = format!("/products/staff/{id}");
        self.send(Method::PATCH, &path, Some(body)).await
    }

    /// `DELETE /products/staff/{id}`
    pub async fn delete_product(&self, id: &str) -> Answer {
        let path = format!("/products/staff/{id}");
        self.send(Method::DELETE, &path, None).await
    }

    // Offers: `/offers`, staff only.

    /// `GET /offers?query`
    pub async fn offers(&self, query: &str) -> Answer {
        let path = with_query("/offers".to_owned(), query);
        self.send(Method::GET, &path, None).await
    }

    /// `POST /offers`
    pub async fn create_offer(&self, body: &Value) -> Answer {
        self.send(Method::POST, "/offers", Some(body)).await
    }

    /// `GET /offers/{id}`
    pub async fn offer(&self, id: &str) -> Answer {
        self.send(Method::GET, &format!("/offers/{id}"), None).await
    }

    /// `PATCH /offers/{id}`
    pub async fn update_offer(&self, id: &str, body: &Value) -> Answer {
        let path = format!("/offers/{id}");
        self.send(Method::PATCH, &path, Some(body)).await
    }

    /// `DELETE /offers/{id}`
    pub async fn delete_offer(&self, id: &str) -> Answer {
        self.send(Method::DELETE, &format!("/offers/{id}"), None)
            .await
    }
}
