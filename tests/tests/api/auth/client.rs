//! A typed client for the auth routes (zero2prod's `TestApp`): one method per endpoint, called as
//! someone (`Auth::anonymous(&app)`, `.with(token)`), in a language, on a device.

use api_tests::{Answer, TestApp};
use reqwest::{Method, RequestBuilder, multipart};
use serde_json::{Value, json};

/// A string field of a JSON body (a token, an id).
#[track_caller]
pub fn field(body: &Value, name: &str) -> String {
    body[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} in {body}"))
        .to_owned()
}

/// A caller of the auth routes.
#[derive(Clone, Copy)]
pub struct Auth<'a> {
    app: &'a TestApp,
    token: Option<&'a str>,
    lang: Option<&'a str>,
    user_agent: Option<&'a str>,
}

impl<'a> Auth<'a> {
    pub fn anonymous(app: &'a TestApp) -> Self {
        Auth {
            app,
            token: None,
            lang: None,
            user_agent: None,
        }
    }

    /// The same caller with a bearer token (access, refresh or reset, whichever the test means).
    pub fn with(self, token: &'a str) -> Self {
        Auth {
            token: Some(token),
            ..self
        }
    }

    /// The same caller sending `Accept-Language: lang`.
    pub fn in_lang(self, lang: &'a str) -> Self {
        Auth {
            lang: Some(lang),
            ..self
        }
    }

    /// The same caller sending `User-Agent: agent`.
    pub fn on_device(self, agent: &'a str) -> Self {
        Auth {
            user_agent: Some(agent),
            ..self
        }
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let mut request = self.app.request(method, path);
        if let Some(token) = self.token {
            request = request.bearer_auth(token);
        }
        if let Some(lang) = self.lang {
            request = request.header("accept-language", lang);
        }
        if let Some(agent) = self.user_agent {
            request = request.header("user-agent", agent);
        }
        request
    }

    async fn send(&self, request: RequestBuilder) -> Answer {
        Answer::read(request.send().await.expect("request sent")).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Answer {
        self.send(self.request(Method::POST, path).json(body)).await
    }

    // Accounts.

    /// `POST /auth/register` with any body.
    pub async fn register(&self, body: &Value) -> Answer {
        self.post("/auth/register", body).await
    }

    /// `POST /auth/login`
    pub async fn login(&self, email: &str, password: &str) -> Answer {
        let body = json!({"email": email, "password": password});
        self.post("/auth/login", &body).await
    }

    /// `POST /auth/login` with any body.
    pub async fn login_with(&self, body: &Value) -> Answer {
        self.post("/auth/login", body).await
    }

    /// `GET /auth/me`
    pub async fn me(&self) -> Answer {
        self.send(self.request(Method::GET, "/auth/me")).await
    }

    // Codes.

    /// `POST /auth/send-otp` `{purpose?}`
    pub async fn send_otp(&self, purpose: Option<&str>) -> Answer {
        let body = purpose.map_or(json!({}), |p| json!({"purpose": p}));
        self.post("/auth/send-otp", &body).await
    }

    /// `POST /auth/verify-otp` `{otp, purpose}`
    pub async fn verify_otp(&self, otp: &str, purpose: &str) -> Answer {
        let body = json!({"otp": otp, "purpose": purpose});
        self.post("/auth/verify-otp", &body).await
    }

    /// `POST /auth/send-guest-otp` `{email, purpose?}`
    pub async fn send_guest_otp(&self, email: &str, purpose: Option<&str>) -> Answer {
        let mut body = json!({ "email": email });
        if let Some(purpose) = purpose {
            body["purpose"] = json!(purpose);
        }
        self.post("/auth/send-guest-otp", &body).await
    }

    /// `POST /auth/verify-guest-otp` `{email, otp, purpose}`
    pub async fn verify_guest_otp(&self, email: &str, otp: &str, purpose: &str) -> Answer {
        let body = json!({"email": email, "otp": otp, "purpose": purpose});
        self.post("/auth/verify-guest-otp", &body).await
    }

    /// `POST /auth/reset-password` `{password}`, with the reset token as the bearer.
    pub async fn reset_password(&self, password: &str) -> Answer {
        let body = json!({ "password": password });
        self.post("/auth/reset-password", &body).await
    }

    // Tokens and sessions.

    /// `POST /auth/refresh-token` `{token}`
    pub async fn refresh(&self, token: &str) -> Answer {
        let body = json!({ "token": token });
        self.post("/auth/refresh-token", &body).await
    }

    /// `GET /auth/sessions`
    pub async fn sessions(&self) -> Answer {
        self.send(self.request(Method::GET, "/auth/sessions")).await
    }

    /// `DELETE /auth/sessions/{id}`
    pub async fn end_session(&self, id: &str) -> Answer {
        let path = format!("/auth/sessions/{id}");
        self.send(self.request(Method::DELETE, &path)).await
    }

    /// `POST /auth/logout`
    pub async fn logout(&self) -> Answer {
        self.post("/auth/logout", &json!({})).await
    }

    /// `POST /auth/logout-all`
    pub async fn logout_all(&self) -> Answer {
        self.post("/auth/logout-all", &json!({})).await
    }

    // The other seeds' refresh routes.

    /// `POST /api/refresh-token/` as a form `refresh=<token>`
    pub async fn simplejwt_refresh_by_form(&self, token: &str) -> Answer {
        let request = self.request(Method::POST, "/api/refresh-token/");
        self.send(request.form(&[("refresh", token)])).await
    }

    /// `POST /api/refresh-token/` as multipart `refresh=<token>`
    pub async fn simplejwt_refresh_by_multipart(&self, token: &str) -> Answer {
        let form = multipart::Form::new().text("refresh", token.to_owned());
        let request = self.request(Method::POST, "/api/refresh-token/");
        self.send(request.multipart(form)).await
    }

    /// `POST /api/refresh-token/` with a JSON body
    pub async fn simplejwt_refresh(&self, body: &Value) -> Answer {
        self.post("/api/refresh-token/", body).await
    }

    /// `GET /v1/auth/refresh-token` with `X-Refresh-Token` when given
    pub async fn blazex_refresh(&self, token: Option<&str>) -> Answer {
        let mut request = self.request(Method::GET, "/v1/auth/refresh-token");
        if let Some(token) = token {
            request = request.header("x-refresh-token", token);
        }
        self.send(request).await
    }

    /// `POST /api/v1/token-refresh` with a JSON body
    pub async fn hesabe_refresh(&self, body: &Value) -> Answer {
        self.post("/api/v1/token-refresh", body).await
    }
}
