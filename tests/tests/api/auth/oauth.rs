//! Sign-in with GitHub (Belta's store) and Google (seed 002) end to end against devauth, the local
//! OAuth provider: the happy paths, and every way the flow must refuse (forged or replayed state,
//! another browser, foreign redirect targets, bad ID tokens, missing or reused proofs).

use std::sync::{Arc, OnceLock};

use api_tests::{TestApp, spawn_app_with};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use devauth::{DevAuth, DevAuthConfig, DevAuthHandle, SigningKey};
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::{Id, clock::now_secs};

const STORE: &str = "http://store.test";
/// The API's public base as the providers see it; tests replay the provider's redirect onto the app.
const API_BASE: &str = "http://api.test";
const APP_REDIRECT: &str = "http://store.test/google-done";

/// One RSA key for every devauth in this test process (generating one takes a moment).
fn key() -> Arc<SigningKey> {
    static KEY: OnceLock<Arc<SigningKey>> = OnceLock::new();
    KEY.get_or_init(|| Arc::new(SigningKey::generate().expect("an RSA key")))
        .clone()
}

struct World {
    app: TestApp,
    devauth: DevAuthHandle,
}

async fn world() -> World {
    let client_secret = format!("devauth-secret-{}", Id::new());
    let devauth = DevAuth::spawn(DevAuthConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        client_secret: client_secret.clone(),
        github_client_id: devauth::GITHUB_CLIENT_ID.into(),
        google_client_id: devauth::GOOGLE_CLIENT_ID.into(),
        key: key(),
    })
    .await
    .unwrap();
    let secret_id = format!("oauth-{}", Id::new());
    let secret = json!({"githubClientSecret": client_secret, "googleClientSecret": client_secret});
    let config = api_tests::sdk_config(&api_tests::emulator_endpoint().await).await;
    aws_sdk_secretsmanager::Client::new(&config)
        .create_secret()
        .name(&secret_id)
        .secret_string(secret.to_string())
        .send()
        .await
        .expect("the OAuth secret in the emulator");
    let app = spawn_app_with(&[
        ("ALLOWED_ORIGINS", &format!("{STORE},http://localhost:3000")),
        ("OAUTH_CALLBACK_BASE_URL", API_BASE),
        ("OAUTH_SECRET_ID", &secret_id),
        ("GITHUB_CLIENT_ID", devauth::GITHUB_CLIENT_ID),
        ("GITHUB_AUTHORIZE_URL", &devauth.url("/github/authorize")),
        ("GITHUB_TOKEN_URL", &devauth.url("/github/token")),
        ("GITHUB_API_URL", &devauth.url("/github")),
        ("GOOGLE_CLIENT_ID", devauth::GOOGLE_CLIENT_ID),
        ("GOOGLE_AUTHORIZE_URL", &devauth.url("/google/authorize")),
        ("GOOGLE_TOKEN_URL", &devauth.url("/google/token")),
        ("GOOGLE_JWKS_URL", &devauth.url("/google/jwks")),
        ("GOOGLE_ISSUERS", &devauth.base_url),
        ("GOOGLE_AUTH_REDIRECT_URL", APP_REDIRECT),
    ])
    .await;
    World { app, devauth }
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location on a {}", response.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

fn query_of(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

fn param(url: &str, name: &str) -> Option<String> {
    query_of(url)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// The binding cookie's `name=value` from a Set-Cookie header, after checking its attributes.
fn binding_cookie(response: &reqwest::Response) -> String {
    let set_cookie = response
        .headers()
        .get("set-cookie")
        .expect("the start binds the browser")
        .to_str()
        .unwrap()
        .to_owned();
    for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(
        set_cookie.starts_with("__Host-belta-oauth="),
        "{set_cookie}"
    );
    set_cookie.split(';').next().unwrap().to_owned()
}

impl World {
    /// The store's three targets.
    fn github_start_path(&self) -> String {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("newAccountUrl", &format!("{STORE}/auth/provider-register"))
            .append_pair("loginUrl", &format!("{STORE}/auth/provider-login"))
            .append_pair(
                "failureUrl",
                &format!("{STORE}/auth/login?github_error=true"),
            )
            .finish();
        format!("/auth/github?{query}")
    }

    /// Clicks the consent page's button for `choice` and returns the provider's redirect to our
    /// callback (as a path on the app).
    async fn consent(&self, authorize_url: &str, choice: &str) -> String {
        let page = self.app.client.get(authorize_url).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        assert!(page.text().await.unwrap().contains("Continue as"));
        let mut form = query_of(authorize_url);
        form.push(("choice".into(), choice.into()));
        let post_to = authorize_url.split('?').next().unwrap();
        let click = self
            .app
            .client
            .post(post_to)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(click.status(), StatusCode::SEE_OTHER);
        let back = location(&click);
        back.strip_prefix(API_BASE)
            .unwrap_or_else(|| panic!("the provider sent the browser to {back}"))
            .to_owned()
    }

    /// The whole GitHub round trip for test user `choice`; returns where the store is sent.
    async fn github_sign_in(&self, choice: &str) -> String {
        let start = self
            .app
            .get(&self.github_start_path())
            .send()
            .await
            .unwrap();
        assert_eq!(start.status(), StatusCode::FOUND);
        let cookie = binding_cookie(&start);
        let authorize = location(&start);
        assert!(
            authorize.starts_with(&self.devauth.url("/github/authorize")),
            "{authorize}"
        );
        assert_eq!(
            param(&authorize, "code_challenge_method").as_deref(),
            Some("S256")
        );
        let callback = self.consent(&authorize, choice).await;
        let done = self
            .app
            .get(&callback)
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(done.status(), StatusCode::FOUND);
        assert_eq!(done.headers()["referrer-policy"], "no-referrer");
        location(&done)
    }

    async fn register_github(&self, body: Value) -> (StatusCode, Value) {
        let response = self
            .app
            .request(reqwest::Method::POST, "/auth/register-github")
            .json(&body)
            .send()
            .await
            .unwrap();
        (response.status(), response.json().await.unwrap())
    }

    async fn google_id_token(&self, token: &str) -> (StatusCode, Value) {
        let response = self
            .app
            .request(reqwest::Method::POST, "/auth/google")
            .header("accept-language", "en")
            .json(&json!({ "idToken": token }))
            .send()
            .await
            .unwrap();
        (response.status(), response.json().await.unwrap())
    }

    fn google_claims(&self, email: &str) -> Value {
        let now = now_secs();
        json!({
            "iss": self.devauth.base_url, "aud": devauth::GOOGLE_CLIENT_ID, "sub": format!("sub-{email}"),
            "email": email, "email_verified": true, "name": "Mona Adel", "iat": now, "exp": now + 600,
        })
    }
}

fn claims_of(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[tokio::test]
async fn a_new_github_user_registers_once_with_the_proof_and_later_signs_in_directly() {
    let w = world().await;

    let new_account = w.github_sign_in("0").await;
    assert!(
        new_account.starts_with(&format!("{STORE}/auth/provider-register?profile=")),
        "{new_account}"
    );
    let profile: Value = serde_json::from_str(&param(&new_account, "profile").unwrap()).unwrap();
    assert_eq!(
        (&profile["fullName"], &profile["provider"]),
        (&json!("Layla Hassan"), &json!("github"))
    );
    let proof = profile["providerId"].as_str().unwrap().to_owned();
    assert_eq!(proof.len(), 64, "a one-time proof, not GitHub's account id");

    let (status, body) = w
        .register_github(json!({"providerId": proof, "fullName": "Layla H."}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        (
            &body["email"],
            &body["provider"],
            &body["confirmed"],
            &body["fullName"],
            &body["role"]
        ),
        (
            &Value::Null,
            &json!("github"),
            &json!(true),
            &json!("Layla H."),
            &json!("client")
        )
    );
    let account = body["_id"].clone();

    let (status, body) = w
        .register_github(json!({"providerId": proof, "fullName": "Layla again"}))
        .await;
    assert_eq!(
        (status, &body["code"]),
        (StatusCode::UNAUTHORIZED, &json!("invalid_oauth_proof"))
    );

    let login = w.github_sign_in("0").await;
    assert!(
        login.starts_with(&format!("{STORE}/auth/provider-login?token=")),
        "{login}"
    );
    let token = param(&login, "token").unwrap();
    let claims = claims_of(&token);
    assert!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap() <= 120,
        "{claims}"
    );
    let refreshed = w
        .app
        .request(reqwest::Method::POST, "/auth/refresh-token")
        .json(&json!({ "token": token }))
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status(), StatusCode::CREATED);
    let refreshed: Value = refreshed.json().await.unwrap();
    assert_eq!(
        (&refreshed["_id"], &refreshed["provider"]),
        (&account, &json!("github"))
    );
}

#[tokio::test]
async fn register_github_needs_a_real_unspent_proof() {
    let w = world().await;
    for (body, status, code) in [
        (
            json!({"providerId": "9100001", "fullName": "Layla"}),
            StatusCode::UNAUTHORIZED,
            "invalid_oauth_proof",
        ),
        (
            json!({"providerId": "a".repeat(64), "fullName": "Layla"}),
            StatusCode::UNAUTHORIZED,
            "invalid_oauth_proof",
        ),
        (
            json!({"fullName": "Layla"}),
            StatusCode::BAD_REQUEST,
            "validation_failed",
        ),
        (
            json!({"providerId": "", "fullName": ""}),
            StatusCode::BAD_REQUEST,
            "validation_failed",
        ),
    ] {
        let (got, answer) = w.register_github(body.clone()).await;
        assert_eq!(
            (got, answer["code"].as_str()),
            (status, Some(code)),
            "{body}"
        );
    }
}

#[tokio::test]
async fn a_forged_or_replayed_state_is_refused_and_another_browser_fails() {
    let w = world().await;
    let start = w.app.get(&w.github_start_path()).send().await.unwrap();
    let cookie = binding_cookie(&start);
    let callback = w.consent(&location(&start), "1").await;
    let state = param(&callback, "state").unwrap();
    let code = param(&callback, "code").unwrap();

    // A state we did not sign (one character changed in its id).
    let mut forged = state.clone();
    forged.replace_range(0..1, if forged.starts_with('0') { "1" } else { "0" });
    for bad in [forged.as_str(), "", "abc.9999999999.def"] {
        let path = format!("/auth/github/callback?code={code}&state={bad}");
        let answer = w
            .app
            .get(&path)
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{bad}");
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["code"], "invalid_oauth_state");
    }

    // From a browser without the binding cookie: the sign-in fails (and the state is spent).
    let other_browser = w.app.get(&callback).send().await.unwrap();
    assert_eq!(other_browser.status(), StatusCode::FOUND);
    assert_eq!(
        location(&other_browser),
        format!("{STORE}/auth/login?github_error=true")
    );

    // The same state again, now with the right cookie: replayed.
    let replay = w
        .app
        .get(&callback)
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);

    // A user who denies access goes to the failure target.
    let start = w.app.get(&w.github_start_path()).send().await.unwrap();
    let cookie = binding_cookie(&start);
    let denied = w.consent(&location(&start), "deny").await;
    let done = w
        .app
        .get(&denied)
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&done),
        format!("{STORE}/auth/login?github_error=true")
    );
}

#[tokio::test]
async fn redirect_targets_must_be_on_an_allowed_origin() {
    let w = world().await;
    for failure in [
        "https://evil.test/steal",
        "http://store.test.evil.test/x",
        "http://store.test@evil.test/x",
        "javascript:alert(1)",
    ] {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("newAccountUrl", &format!("{STORE}/new"))
            .append_pair("loginUrl", &format!("{STORE}/login"))
            .append_pair("failureUrl", failure)
            .finish();
        let answer = w
            .app
            .get(&format!("/auth/github?{query}"))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{failure}");
        assert!(answer.headers().get("set-cookie").is_none());
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["code"], "redirect_not_allowed", "{failure}");
    }
    let missing = w
        .app
        .get("/auth/github?loginUrl=http://store.test/x")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    let body: Value = missing.json().await.unwrap();
    assert!(body["fields"]["newAccountUrl"].is_array(), "{body}");
}

#[tokio::test]
async fn a_google_id_token_signs_in_and_links_the_account_with_the_same_verified_email() {
    let w = world().await;
    let email = "mona@gmail.local";
    let registered = w
        .app
        .request(reqwest::Method::POST, "/auth/register")
        .json(&json!({"fullName": "Mona", "email": email, "password": "a-good-password-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), StatusCode::CREATED);

    let token = w.devauth.sign_id_token(&w.google_claims(email));
    let (status, first) = w.google_id_token(&token).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(
        (&first["email"], &first["confirmed"]),
        (&json!(email), &json!(true))
    );
    assert_eq!(
        first["provider"], "email",
        "the e-mail account was linked, not replaced"
    );

    let (_, again) = w.google_id_token(&token).await;
    assert_eq!(
        again["_id"], first["_id"],
        "linked by Google's subject, not duplicated"
    );

    let (status, fresh) = w
        .google_id_token(
            &w.devauth
                .sign_id_token(&w.google_claims("new.person@gmail.local")),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{fresh}");
    assert_eq!(
        (&fresh["provider"], &fresh["confirmed"]),
        (&json!("google"), &json!(true))
    );
    assert_ne!(fresh["_id"], first["_id"]);
}

#[tokio::test]
async fn google_id_tokens_with_a_wrong_audience_issuer_expiry_signature_or_unverified_email_are_refused()
 {
    let w = world().await;
    let base = w.google_claims("mona@gmail.local");
    let with = |patch: Value| {
        let mut claims = base.clone();
        for (k, v) in patch.as_object().unwrap() {
            claims[k] = v.clone();
        }
        w.devauth.sign_id_token(&claims)
    };
    let valid = with(json!({}));
    let (header, _payload, signature) = {
        let mut parts = valid.split('.');
        (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        )
    };
    let mut elevated = base.clone();
    elevated["email"] = json!("admin@belta.local");
    let tampered = format!(
        "{header}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(elevated.to_string())
    );
    let now = now_secs();
    for (name, token, code) in [
        (
            "wrong audience",
            with(json!({"aud": "someone-else.apps.local"})),
            "invalid_id_token",
        ),
        (
            "wrong issuer",
            with(json!({"iss": "https://evil.test"})),
            "invalid_id_token",
        ),
        (
            "expired",
            with(json!({"iat": now - 7200, "exp": now - 3600})),
            "invalid_id_token",
        ),
        ("tampered payload", tampered, "invalid_id_token"),
        ("not a JWT", "not-a-token".to_owned(), "invalid_id_token"),
        (
            "unverified email",
            with(json!({"email_verified": false})),
            "email_not_verified",
        ),
    ] {
        let (status, body) = w.google_id_token(&token).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some(code)),
            "{name}"
        );
    }
}

#[tokio::test]
async fn seed_002s_google_code_flow_ends_at_its_app_with_working_tokens() {
    let w = world().await;
    let start = w.app.get("/v1/auth/google").send().await.unwrap();
    assert_eq!(start.status(), StatusCode::OK);
    let cookie = binding_cookie(&start);
    let body: Value = start.json().await.unwrap();
    assert_eq!(
        (&body["status"], &body["message"]),
        (
            &json!(200),
            &json!("Google auth url generated successfully.")
        )
    );
    let url = body["data"]["url"].as_str().unwrap().to_owned();
    assert!(
        url.starts_with(&w.devauth.url("/google/authorize")),
        "{url}"
    );

    let callback = w.consent(&url, "0").await;
    let done = w
        .app
        .get(&callback)
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::FOUND);
    let to = location(&done);
    assert!(to.starts_with(APP_REDIRECT), "{to}");
    let access = param(&to, "accessToken").expect("seed 002 gets its tokens in the query");
    assert!(param(&to, "refreshToken").is_some());
    let me: Value = w
        .app
        .get("/auth/me")
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&me["email"], &me["provider"]),
        (&json!("mona@gmail.local"), &json!("google"))
    );

    // The same state once more: spent.
    let replay = w.app.get(&callback).send().await.unwrap();
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
}
