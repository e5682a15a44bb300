//! devpay refuses what Stripe refuses, in Stripe's error shape: raw HTTP against a running devpay.

use devpay::{DevPay, DevPayConfig, DevPayHandle};
use serde_json::Value;

const KEY: &str = "sk_test_devpay_api";

async fn spawn() -> DevPayHandle {
    DevPay::spawn(DevPayConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        secret_key: KEY.into(),
        webhook_secret: "whsec_devpay_api".into(),
        webhook_url: None,
    })
    .await
    .unwrap()
}

/// A form as sent: field name and value pairs.
type Form = Vec<(&'static str, &'static str)>;

const VALID: &[(&str, &str)] = &[
    ("mode", "payment"),
    ("success_url", "https://shop.test/ok/{CHECKOUT_SESSION_ID}"),
    ("cancel_url", "https://shop.test/cart"),
    ("client_reference_id", "ck-1"),
    ("line_items[0][price_data][currency]", "egp"),
    ("line_items[0][price_data][product_data][name]", "Tea"),
    ("line_items[0][price_data][unit_amount]", "1500"),
    ("line_items[0][quantity]", "3"),
];

async fn post(
    devpay: &DevPayHandle,
    key: &str,
    idempotency_key: Option<&str>,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}/v1/checkout/sessions", devpay.base_url))
        .bearer_auth(key)
        .form(form);
    if let Some(k) = idempotency_key {
        request = request.header("Idempotency-Key", k);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn a_valid_session_is_stripe_shaped() {
    let devpay = spawn().await;
    let (status, session) = post(&devpay, KEY, None, VALID).await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["object"], "checkout.session");
    assert_eq!(session["amount_total"], 4500);
    assert_eq!(session["currency"], "egp");
    assert_eq!(session["payment_status"], "unpaid");
    assert_eq!(session["status"], "open");
    assert_eq!(session["client_reference_id"], "ck-1");
    assert_eq!(session["payment_intent"], Value::Null);
    let id = session["id"].as_str().unwrap();
    assert_eq!(session["url"], devpay.page_url(id).as_str());
}

#[tokio::test]
async fn the_key_may_also_come_as_basic_auth_like_curl_sends_it() {
    let devpay = spawn().await;
    let response = reqwest::Client::new()
        .post(format!("{}/v1/checkout/sessions", devpay.base_url))
        .basic_auth(KEY, None::<&str>)
        .form(VALID)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_wrong_or_missing_key_is_401() {
    let devpay = spawn().await;
    for key in ["sk_test_other", ""] {
        let (status, body) = post(&devpay, key, None, VALID).await;
        assert_eq!(status, 401, "{key:?}: {body}");
        assert_eq!(body["error"]["type"], "invalid_request_error");
        assert!(
            !body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("sk_test_other"),
            "the key is masked: {body}"
        );
    }
}

#[tokio::test]
async fn missing_or_invalid_fields_are_400_naming_the_param() {
    let devpay = spawn().await;
    let without =
        |name: &str| -> Form { VALID.iter().copied().filter(|(k, _)| *k != name).collect() };
    let with = |name: &'static str, value: &'static str| -> Form {
        VALID
            .iter()
            .copied()
            .map(|(k, v)| if k == name { (k, value) } else { (k, v) })
            .collect()
    };
    let cases: Vec<(Form, &str, &str)> = vec![
        (without("mode"), "mode", "mode is required"),
        (
            without("success_url"),
            "success_url",
            "success_url is required",
        ),
        (
            without("cancel_url"),
            "cancel_url",
            "cancel_url is required",
        ),
        (
            VALID
                .iter()
                .copied()
                .filter(|(k, _)| !k.starts_with("line_items"))
                .collect(),
            "line_items",
            "at least one line",
        ),
        (
            without("line_items[0][quantity]"),
            "line_items[0][quantity]",
            "a line needs a quantity",
        ),
        (
            with("line_items[0][price_data][unit_amount]", "12.5"),
            "line_items[0][price_data][unit_amount]",
            "minor units are whole",
        ),
        (
            with("line_items[0][quantity]", "0"),
            "line_items[0][quantity]",
            "at least one of each",
        ),
        (
            with("success_url", "/relative"),
            "success_url",
            "absolute URL",
        ),
        (with("mode", "subscription"), "mode", "payments only"),
    ];
    for (form, param, why) in cases {
        let (status, body) = post(&devpay, KEY, None, &form).await;
        assert_eq!(status, 400, "{why}: {body}");
        assert_eq!(body["error"]["param"], param, "{why}: {body}");
    }
}

#[tokio::test]
async fn an_idempotency_key_returns_the_same_session_and_refuses_other_parameters() {
    let devpay = spawn().await;
    let (_, first) = post(&devpay, KEY, Some("ck-7"), VALID).await;
    let (status, again) = post(&devpay, KEY, Some("ck-7"), VALID).await;
    assert_eq!((status, &again), (200, &first));

    let changed = [VALID, &[("customer_email", "a@b.test")]].concat();
    let (status, body) = post(&devpay, KEY, Some("ck-7"), &changed).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("same parameters"),
        "{body}"
    );
}

#[tokio::test]
async fn unknown_sessions_are_404_in_the_api_and_on_the_page() {
    let devpay = spawn().await;
    let client = reqwest::Client::new();
    let api = client
        .get(format!(
            "{}/v1/checkout/sessions/cs_test_nope",
            devpay.base_url
        ))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 404);
    let body: Value = api.json().await.unwrap();
    assert_eq!(body["error"]["code"], "resource_missing");

    let page = client
        .get(devpay.page_url("cs_test_nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 404);
    let pay = client
        .post(devpay.pay_url("cs_test_nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(pay.status(), 404);
}
