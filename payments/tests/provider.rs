//! The payment client end to end: the real `Payments` client reads its keys from the emulator's
//! Secrets Manager and talks HTTP to a real devpay, a browser's clicks are plain form posts, and the
//! webhook arrives at a small local listener.
//!
//! Needs the emulator: `scripts/with-emulator.sh cargo test -p payments` (or `make test`), which sets
//! `AWS_ENDPOINT_URL`. Without it the tests fail with instructions; they never skip.

use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use axum::{Router, body::Bytes, http::HeaderMap, routing::post};
use devpay::{DevPay, DevPayConfig, DevPayHandle};
use payments::{Line, NewSession, PaymentConfig, PaymentError, Payments};
use shared::Money;
use tokio::sync::mpsc;

const SECRET_KEY: &str = "sk_test_devpay_integration";
const WEBHOOK_SECRET: &str = "whsec_devpay_integration";

/// The emulator's SDK config, with fixed region and dummy credentials.
async fn emulator() -> SdkConfig {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| {
        panic!(
            "AWS_ENDPOINT_URL is not set: run `scripts/with-emulator.sh cargo test -p payments` or `make test`"
        )
    });
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .load()
        .await
}

/// A secret of its own per test (tests run in parallel), holding the given keys.
async fn create_secret(sdk: &SdkConfig, secret_key: &str) -> String {
    let name = format!("belta/payments/test-{}", hex_suffix());
    let value = serde_json::json!({"secretKey": secret_key, "webhookSecret": WEBHOOK_SECRET});
    aws_sdk_secretsmanager::Client::new(sdk)
        .create_secret()
        .name(&name)
        .secret_string(value.to_string())
        .send()
        .await
        .expect("the emulator creates the secret");
    name
}

fn hex_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{nanos:x}-{:x}", std::process::id())
}

/// A webhook endpoint that hands every delivery (body, `Stripe-Signature`) to the test.
async fn webhook_listener() -> (String, mpsc::UnboundedReceiver<(Bytes, String)>) {
    let (sender, receiver) = mpsc::unbounded_channel();
    let app = Router::new().route(
        "/checkout/webhook",
        post(move |headers: HeaderMap, body: Bytes| {
            let sender = sender.clone();
            async move {
                let signature = headers
                    .get("stripe-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let _ = sender.send((body, signature));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/checkout/webhook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, receiver)
}

async fn spawn_devpay(webhook_url: Option<String>) -> DevPayHandle {
    DevPay::spawn(DevPayConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        secret_key: SECRET_KEY.into(),
        webhook_secret: WEBHOOK_SECRET.into(),
        webhook_url,
    })
    .await
    .expect("devpay starts")
}

fn client(sdk: &SdkConfig, api_url: &str, secret_id: &str) -> Payments {
    Payments::new(
        PaymentConfig {
            api_url: api_url.to_owned(),
            secret_id: secret_id.to_owned(),
            currency: "egp".into(),
        },
        sdk,
    )
}

fn order(reference: &str) -> NewSession {
    NewSession {
        reference: reference.to_owned(),
        customer_email: Some("sara@example.com".into()),
        lines: vec![
            Line {
                name: "Cardamom coffee <250 g>".into(),
                unit_amount: Money::from_minor(12550),
                quantity: 2,
            },
            Line {
                name: "فنجان".into(),
                unit_amount: Money::from_minor(9900),
                quantity: 1,
            },
        ],
        success_url:
            "https://shop.belta.test/checkout/success/{CHECKOUT_SESSION_ID}?redirectUrl=%2Forders"
                .into(),
        cancel_url: "https://shop.belta.test/cart".into(),
    }
}

/// A browser that does not follow redirects, so the test sees the 303 and its Location.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_session_is_opened_paid_confirmed_by_webhook_and_refunded() {
    // Arrange
    let sdk = emulator().await;
    let secret_id = create_secret(&sdk, SECRET_KEY).await;
    let (webhook_url, mut webhooks) = webhook_listener().await;
    let devpay = spawn_devpay(Some(webhook_url)).await;
    let payments = client(&sdk, &devpay.base_url, &secret_id);

    // Open a session; the same reference opens no second one.
    let session = payments.create_session(order("ck-flow-1")).await.unwrap();
    assert!(session.id.starts_with("cs_test_"), "{session:?}");
    assert_eq!(session.url, devpay.page_url(&session.id));
    let again = payments.create_session(order("ck-flow-1")).await.unwrap();
    assert_eq!(again, session, "same Idempotency-Key, same session");

    // Before paying: open, unpaid, the exact total.
    let state = payments.retrieve_session(&session.id).await.unwrap();
    assert!(state.open && !state.paid, "{state:?}");
    assert_eq!(state.amount_total, Money::from_minor(2 * 12550 + 9900));
    assert_eq!(state.currency, "egp");
    assert_eq!(state.reference.as_deref(), Some("ck-flow-1"));
    assert_eq!(state.payment_intent, None);

    // The page shows the lines (escaped) and the total.
    let page = browser().get(&session.url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Cardamom coffee &lt;250 g&gt;"), "{html}");
    assert!(html.contains("فنجان"), "{html}");
    assert!(html.contains("350.00 EGP"), "{html}");
    assert!(
        html.contains(&format!("action=\"/pay/{}/pay\"", session.id)),
        "{html}"
    );

    // Act: click Pay.
    let paid = browser()
        .post(devpay.pay_url(&session.id))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .unwrap();

    // Assert: back to the shop with the session id filled in, as Stripe does.
    assert_eq!(paid.status(), 303);
    assert_eq!(
        paid.headers()["location"],
        format!(
            "https://shop.belta.test/checkout/success/{}?redirectUrl=%2Forders",
            session.id
        )
        .as_str()
    );
    let state = payments.retrieve_session(&session.id).await.unwrap();
    assert!(state.paid && !state.open, "{state:?}");
    let payment_intent = state
        .payment_intent
        .clone()
        .expect("a paid session has one");
    assert!(payment_intent.starts_with("pi_"), "{payment_intent}");

    // The webhook arrives, signed, and our verification accepts it.
    let (body, signature) = tokio::time::timeout(Duration::from_secs(10), webhooks.recv())
        .await
        .expect("the webhook arrives within 10 s")
        .unwrap();
    let event = payments.verify_webhook(&body, &signature).await.unwrap();
    assert_eq!(event.kind, "checkout.session.completed");
    assert!(event.id.starts_with("evt_"), "{event:?}");
    assert_eq!(event.session.as_ref(), Some(&state));
    // ... and refuses it once tampered with.
    let tampered = String::from_utf8(body.to_vec())
        .unwrap()
        .replace("\"paid\"", "\"unpaid\"");
    assert!(matches!(
        payments
            .verify_webhook(tampered.as_bytes(), &signature)
            .await,
        Err(PaymentError::BadSignature)
    ));

    // Paying again (a reloaded form) is not a second payment and sends no second event.
    let again = browser()
        .post(devpay.pay_url(&session.id))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 303);
    assert_eq!(payments.retrieve_session(&session.id).await.unwrap(), state);
    assert!(
        tokio::time::timeout(Duration::from_millis(500), webhooks.recv())
            .await
            .is_err(),
        "no second webhook"
    );

    // Refund part, then the rest; the same key never refunds twice; nothing is left after.
    let first = payments
        .refund(
            &payment_intent,
            Some(Money::from_minor(9900)),
            "order-1-line-2",
        )
        .await
        .unwrap();
    assert!(first.starts_with("re_"), "{first}");
    let replayed = payments
        .refund(
            &payment_intent,
            Some(Money::from_minor(9900)),
            "order-1-line-2",
        )
        .await
        .unwrap();
    assert_eq!(replayed, first);
    payments
        .refund(&payment_intent, None, "order-1-rest")
        .await
        .unwrap();
    let over = payments
        .refund(&payment_intent, Some(Money::from_minor(1)), "order-1-more")
        .await;
    assert!(
        matches!(over, Err(PaymentError::Rejected { status: 400, .. })),
        "{over:?}"
    );
}

#[tokio::test]
async fn cancelling_returns_to_the_shop_and_leaves_the_session_unpaid() {
    let sdk = emulator().await;
    let secret_id = create_secret(&sdk, SECRET_KEY).await;
    let devpay = spawn_devpay(None).await;
    let payments = client(&sdk, &devpay.base_url, &secret_id);
    let session = payments.create_session(order("ck-cancel")).await.unwrap();

    let cancelled = browser()
        .post(devpay.cancel_url(&session.id))
        .send()
        .await
        .unwrap();

    assert_eq!(cancelled.status(), 303);
    assert_eq!(
        cancelled.headers()["location"],
        "https://shop.belta.test/cart"
    );
    let state = payments.retrieve_session(&session.id).await.unwrap();
    assert!(state.open && !state.paid, "{state:?}");
}

#[tokio::test]
async fn unknown_and_malformed_session_ids_are_unknown_sessions() {
    let sdk = emulator().await;
    let secret_id = create_secret(&sdk, SECRET_KEY).await;
    let devpay = spawn_devpay(None).await;
    let payments = client(&sdk, &devpay.base_url, &secret_id);

    for id in [
        "cs_test_doesnotexist",
        "cs_test_../../v1/refunds",
        "pi_123",
        "",
    ] {
        let result = payments.retrieve_session(id).await;
        assert!(
            matches!(result, Err(PaymentError::UnknownSession)),
            "{id}: {result:?}"
        );
    }
}

#[tokio::test]
async fn a_wrong_secret_key_is_rejected_by_the_provider() {
    let sdk = emulator().await;
    let secret_id = create_secret(&sdk, "sk_test_not_the_right_one").await;
    let devpay = spawn_devpay(None).await;
    let payments = client(&sdk, &devpay.base_url, &secret_id);

    let result = payments.create_session(order("ck-wrong-key")).await;

    assert!(
        matches!(result, Err(PaymentError::Rejected { status: 401, .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn an_unreachable_provider_is_unavailable() {
    let sdk = emulator().await;
    let secret_id = create_secret(&sdk, SECRET_KEY).await;
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let payments = client(&sdk, &format!("http://127.0.0.1:{port}"), &secret_id);

    let result = payments.create_session(order("ck-unreachable")).await;

    assert!(
        matches!(result, Err(PaymentError::Unavailable)),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_missing_or_malformed_secret_is_a_secret_error_and_is_retried_later() {
    let sdk = emulator().await;
    let devpay = spawn_devpay(None).await;
    let name = format!("belta/payments/test-late-{}", hex_suffix());
    let payments = client(&sdk, &devpay.base_url, &name);

    // No such secret yet.
    let missing = payments.create_session(order("ck-secret")).await;
    assert!(matches!(missing, Err(PaymentError::Secret)), "{missing:?}");

    // A secret that is not the expected JSON.
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    secrets
        .create_secret()
        .name(&name)
        .secret_string(SECRET_KEY)
        .send()
        .await
        .unwrap();
    let malformed = payments.create_session(order("ck-secret")).await;
    assert!(
        matches!(malformed, Err(PaymentError::Secret)),
        "{malformed:?}"
    );

    // Fixed: the same client reads it now (failures are not cached).
    let value = serde_json::json!({"secretKey": SECRET_KEY, "webhookSecret": WEBHOOK_SECRET});
    secrets
        .put_secret_value()
        .secret_id(&name)
        .secret_string(value.to_string())
        .send()
        .await
        .unwrap();
    let session = payments.create_session(order("ck-secret")).await.unwrap();
    assert!(session.id.starts_with("cs_test_"));
}
