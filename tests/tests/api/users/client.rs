//! A typed client for the admin routes of the `users` function and `DELETE /auth/me`: one method per
//! endpoint, called as someone (`Users::as_(&app, token)`, or anonymously).

use api_tests::{Answer, TestApp};
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

#[derive(Clone, Copy)]
pub struct Users<'a> {
    app: &'a TestApp,
    token: Option<&'a str>,
}

impl<'a> Users<'a> {
    pub fn anonymous(app: &'a TestApp) -> Self {
        Users { app, token: None }
    }

    pub fn as_(app: &'a TestApp, token: &'a str) -> Self {
        Users {
            app,
            token: Some(token),
        }
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let request = self
            .app
            .request(method, path)
            .header("accept-language", "en");
        match self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    async fn send(&self, request: RequestBuilder) -> Answer {
        Answer::read(request.send().await.expect("request sent")).await
    }

    /// `GET /users/staff{query}` (`query` starts with `?` or is empty).
    pub async fn list(&self, query: &str) -> Answer {
        self.send(self.request(Method::GET, &format!("/users/staff{query}")))
            .await
    }

    pub async fn get(&self, id: &str) -> Answer {
        self.send(self.request(Method::GET, &format!("/users/staff/{id}")))
            .await
    }

    /// `PATCH /users/staff/{id}` with `body`.
    pub async fn change(&self, id: &str, body: &Value) -> Answer {
        self.send(
            self.request(Method::PATCH, &format!("/users/staff/{id}"))
                .json(body),
        )
        .await
    }

    pub async fn set_role(&self, id: &str, role: &str) -> Answer {
        self.change(id, &json!({"role": role})).await
    }

    pub async fn set_disabled(&self, id: &str, disabled: bool) -> Answer {
        self.change(id, &json!({"disabled": disabled})).await
    }

    pub async fn delete(&self, id: &str) -> Answer {
        self.send(self.request(Method::DELETE, &format!("/users/staff/{id}")))
            .await
    }

    /// `DELETE /auth/me` with `body` (`{password}`).
    pub async fn delete_me(&self, body: &Value) -> Answer {
        self.send(self.request(Method::DELETE, "/auth/me").json(body))
            .await
    }

    /// `GET /auth/me`: whether the token still works.
    pub async fn me(&self) -> Answer {
        self.send(self.request(Method::GET, "/auth/me")).await
    }
}
