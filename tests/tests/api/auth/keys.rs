//! Token keys: auth signs with its private Ed25519 key, every function verifies with the published
//! public keys, `/.well-known/jwks.json` publishes them, and a rotation never refuses a token it should
//! accept. Forged tokens carry the claims of a live session, so only what is forged tells them apart.

use api_tests::{
    Deployment, TEST_KID, TestApp, create_signing_secret, serve, serve_replacing, spawn_app,
    test_signing_key,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use identity::SigningKey;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Method, StatusCode, header};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use shared::auth::Role;

use super::client::field;

/// Authenticated routes of five functions: auth, a catalogue function, orders, carts and upload.
const PROBES: [(&str, &str); 5] = [
    ("GET", "/auth/me"),
    ("GET", "/products/staff"),
    ("GET", "/orders/staff"),
    ("GET", "/active-carts/staff"),
    ("POST", "/upload/presign"),
];

/// The status each probe answers to `token`, from the API at `address`.
async fn statuses(app: &TestApp, address: &str, token: &str) -> Vec<(String, StatusCode)> {
    let mut answers = Vec::new();
    for (method, path) in PROBES {
        let response = app
            .client
            .request(
                Method::from_bytes(method.as_bytes()).unwrap(),
                format!("{address}{path}"),
            )
            .bearer_auth(token)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        answers.push((format!("{method} {path}"), response.status()));
    }
    answers
}

/// Every probe accepted the token: 200, or for upload, whose empty body is invalid, the 400 it only
/// answers once the caller is authenticated.
#[track_caller]
fn all_accepted(answers: &[(String, StatusCode)], why: &str) {
    for (probe, status) in answers {
        let expected = if probe.contains("upload") {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        assert_eq!(*status, expected, "{why}: {probe}");
    }
}

#[track_caller]
fn all_refused(answers: &[(String, StatusCode)], why: &str) {
    for (probe, status) in answers {
        assert_eq!(*status, StatusCode::UNAUTHORIZED, "{why}: {probe}");
    }
}

fn decode(part: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

fn encode(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// The key as jsonwebtoken signs with it, from the secret's JSON (what an attacker holding it has).
fn encoding_key(key: &SigningKey) -> EncodingKey {
    let secret: Value = serde_json::from_str(key.to_secret_json().expose_secret()).unwrap();
    let der = base64::engine::general_purpose::STANDARD
        .decode(secret["privateKey"].as_str().unwrap())
        .unwrap();
    EncodingKey::from_ed_der(&der)
}

fn sign(alg: Algorithm, kid: Option<&str>, claims: &Value, key: &EncodingKey) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

#[tokio::test]
async fn an_access_token_from_auth_is_accepted_by_every_function_and_names_its_key() {
    let app = spawn_app().await;
    let (_, login) = app.signed_in(Role::Admin).await;
    let access = field(&login, "accessToken");

    let header = decode(access.split('.').next().unwrap());
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["kid"], TEST_KID);
    all_accepted(&statuses(&app, &app.address, &access).await, "auth's token");
}

#[tokio::test]
async fn forged_confused_and_misaddressed_tokens_are_refused_everywhere() {
    let app = spawn_app().await;
    let (_, login) = app.signed_in(Role::Admin).await;
    let access = field(&login, "accessToken");
    let claims = decode(access.split('.').nth(1).unwrap());
    let ours = encoding_key(test_signing_key());
    let public = test_signing_key().public();
    let with = |name: &str, value: Value| {
        let mut changed = claims.clone();
        changed[name] = value;
        changed
    };

    // The harness signs as auth does: the same claims under our key pass everywhere.
    let resigned = sign(Algorithm::EdDSA, Some(TEST_KID), &claims, &ours);
    all_accepted(&statuses(&app, &app.address, &resigned).await, "control");

    let impostor = encoding_key(&SigningKey::generate(TEST_KID).unwrap());
    let stranger = encoding_key(&SigningKey::generate("stranger").unwrap());
    let forged = [
        (
            sign(Algorithm::EdDSA, Some(TEST_KID), &claims, &impostor),
            "another key under our kid",
        ),
        (
            sign(Algorithm::EdDSA, Some("stranger"), &claims, &stranger),
            "a kid nobody published",
        ),
        (
            sign(Algorithm::EdDSA, None, &claims, &ours),
            "our key without a kid",
        ),
        (
            format!(
                "{}.{}.",
                encode(&json!({"alg": "none", "typ": "JWT", "kid": TEST_KID})),
                encode(&claims)
            ),
            "alg none",
        ),
        (
            sign(
                Algorithm::HS256,
                Some(TEST_KID),
                &claims,
                &EncodingKey::from_secret(public.bytes()),
            ),
            "HS256 keyed with the public key's bytes",
        ),
        (
            sign(
                Algorithm::HS256,
                Some(TEST_KID),
                &claims,
                &EncodingKey::from_secret(public.x().as_bytes()),
            ),
            "HS256 keyed with the published x",
        ),
        (
            sign(
                Algorithm::EdDSA,
                Some(TEST_KID),
                &with("iss", "someone-else".into()),
                &ours,
            ),
            "wrong iss",
        ),
        (
            sign(
                Algorithm::EdDSA,
                Some(TEST_KID),
                &with("aud", "another-api".into()),
                &ours,
            ),
            "wrong aud",
        ),
        (field(&login, "refreshToken"), "a refresh token"),
    ];
    for (token, why) in forged {
        all_refused(&statuses(&app, &app.address, &token).await, why);
    }
}

#[tokio::test]
async fn the_jwks_route_publishes_every_accepted_key_and_may_be_cached() {
    let app = spawn_app().await;
    let next = SigningKey::generate("next").unwrap();
    let rotating = app
        .deployment
        .with_token_keys(
            test_signing_key(),
            &format!(
                "{},{}",
                test_signing_key().public().entry(),
                next.public().entry()
            ),
        )
        .await;
    let address = serve(&rotating).await;

    let response = app
        .client
        .get(format!("{address}/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    assert_eq!(
        response.headers()[header::CACHE_CONTROL],
        "public, max-age=3600"
    );
    let jwks: Value = response.json().await.unwrap();
    let expected = |key: &SigningKey| {
        json!({"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig",
            "kid": key.kid(), "x": key.public().x()})
    };
    assert_eq!(
        jwks,
        json!({"keys": [expected(test_signing_key()), expected(&next)]})
    );
    // Without a token, in any language: it is public.
    let plain = app.get("/.well-known/jwks.json").send().await.unwrap();
    let single: Value = plain.json().await.unwrap();
    assert_eq!(single, json!({"keys": [expected(test_signing_key())]}));
}

/// The README's rotation, step by step, on one table: publish the next key, sign with it, drop the old.
#[tokio::test]
async fn a_rotation_keeps_old_tokens_working_until_the_old_key_is_dropped() {
    let app = spawn_app().await;
    let (old, new) = (test_signing_key(), SigningKey::generate("next").unwrap());
    let (email, before) = app.signed_in(Role::Admin).await;
    let old_access = field(&before, "accessToken");

    // 1. Both keys published, still signing with the old one.
    let both = format!("{},{}", old.public().entry(), new.public().entry());
    let published = serve(&app.deployment.with_token_keys(old, &both).await).await;
    all_accepted(
        &statuses(&app, &published, &old_access).await,
        "old token, both published",
    );

    // 2. Signing with the new key: old tokens still pass, new ones name the new kid.
    let switched = serve(&app.deployment.with_token_keys(&new, &both).await).await;
    all_accepted(
        &statuses(&app, &switched, &old_access).await,
        "old token after the switch",
    );
    let refreshed: Value = app
        .client
        .post(format!("{switched}/auth/refresh-token"))
        .json(&json!({"token": field(&before, "refreshToken")}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let new_access = field(&refreshed, "accessToken");
    let login: Value = app
        .client
        .post(format!("{switched}/auth/login"))
        .json(&json!({"email": email, "password": "password-123"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for token in [
        &new_access,
        &field(&refreshed, "refreshToken"),
        &field(&login, "accessToken"),
    ] {
        assert_eq!(decode(token.split('.').next().unwrap())["kid"], "next");
    }
    all_accepted(
        &statuses(&app, &switched, &new_access).await,
        "new token after the switch",
    );
    // Why the next key is published first: functions that only know the old key refuse new tokens.
    all_refused(
        &statuses(&app, &app.address, &new_access).await,
        "new token where only the old key is known",
    );

    // 3. The old key dropped: its tokens end, the new ones go on.
    let dropped = serve(
        &app.deployment
            .with_token_keys(&new, &new.public().entry())
            .await,
    )
    .await;
    all_refused(
        &statuses(&app, &dropped, &old_access).await,
        "old token after the drop",
    );
    all_accepted(
        &statuses(&app, &dropped, &new_access).await,
        "new token after the drop",
    );
}

#[tokio::test]
async fn auth_refuses_to_start_with_a_signing_key_that_is_not_published() {
    let app = spawn_app().await;
    let unpublished = SigningKey::generate("unpublished").unwrap();
    let secret_id = create_signing_secret(&app.deployment.sdk_config, &unpublished).await;
    let mut deployment: Deployment = app.deployment.clone();
    deployment
        .overrides
        .push(("TOKEN_SIGNING_SECRET_ID".into(), secret_id));
    let config = auth::Config::read(deployment.env()).unwrap();

    let error = auth::load_signing_key(&config, &deployment.sdk_config)
        .await
        .unwrap_err()
        .to_string();

    assert!(
        error.contains("does not list the signing key's kid \"unpublished\""),
        "{error}"
    );
    assert!(!error.contains("privateKey"), "{error}");
}

#[test]
fn only_auth_can_read_the_signing_key_and_every_function_gets_the_public_keys() {
    let template: serde_yaml::Value = serde_yaml::from_str(api_tests::TEMPLATE_YAML).unwrap();
    let text = |value: &serde_yaml::Value| serde_yaml::to_string(value).unwrap();
    let globals = &template["Globals"]["Function"]["Environment"]["Variables"];
    assert!(
        text(&globals["TOKEN_PUBLIC_KEYS"]).contains("TokenPublicKeys"),
        "every function verifies with the same public keys"
    );
    let mut readers = Vec::new();
    for (name, resource) in template["Resources"].as_mapping().unwrap() {
        let resource = text(resource);
        assert!(
            !resource.contains("JWT_SECRET") && !resource.contains("JwtSecret"),
            "{name:?} still holds a shared token secret"
        );
        if resource.contains("TokenSigningSecretArn") {
            readers.push(name.as_str().unwrap().to_owned());
        }
    }
    assert_eq!(readers, ["AuthFunction"]);
    let auth = &template["Resources"]["AuthFunction"]["Properties"];
    assert!(text(&auth["Environment"]).contains("TOKEN_SIGNING_SECRET_ID"));
    let granted = auth["Policies"][0]["Statement"]
        .as_sequence()
        .unwrap()
        .iter()
        .any(|s| {
            s["Action"] == "secretsmanager:GetSecretValue"
                && text(&s["Resource"]).contains("TokenSigningSecretArn")
        });
    assert!(granted, "auth may read its signing key");
}

/// Auth starts reading its key at init without waiting for it (`auth::secrets::read_in_background`):
/// until the key is there, requests that sign nothing are answered, and the ones that sign wait for it
/// and then go on.
#[tokio::test]
async fn requests_that_sign_nothing_do_not_wait_for_the_signing_key() {
    let app = spawn_app().await;
    let (email, body) = app.signed_in(Role::Client).await;
    let access = field(&body, "accessToken");
    let (send_key, key) = tokio::sync::oneshot::channel::<SigningKey>();
    let signing =
        identity::Pending::spawn(async move { key.await.expect("the test sends the key") });
    let deployment = app.deployment.clone();
    let address = serve_replacing(&deployment, |function| {
        (function == "auth").then(|| {
            auth::router(auth::AppState::with_key(
                auth::Config::read(deployment.env()).unwrap(),
                &signing,
                &deployment.sdk_config_for("auth"),
            ))
        })
    })
    .await;
    let url = |path: &str| format!("{address}{path}");
    let within = std::time::Duration::from_secs(10);

    for path in ["/auth/me", "/auth/sessions"] {
        let request = app.client.get(url(path)).bearer_auth(&access).send();
        let answer = tokio::time::timeout(within, request).await;
        assert_eq!(
            answer.expect("answered without the key").unwrap().status(),
            StatusCode::OK,
            "{path}"
        );
    }

    let login = tokio::spawn(
        app.client
            .post(url("/auth/login"))
            .json(&json!({"email": email, "password": "password-123"}))
            .send(),
    );
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert!(
        !login.is_finished(),
        "a login cannot answer before the key is there"
    );
    send_key.send(test_signing_key().clone()).unwrap();
    let answer = tokio::time::timeout(within, login)
        .await
        .expect("the login goes on once the key is there")
        .unwrap()
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(
        decode(field(&body, "accessToken").split('.').next().unwrap())["kid"],
        TEST_KID
    );
}
