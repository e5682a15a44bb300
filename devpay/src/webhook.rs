//! Signed event delivery, as Stripe does it: a `checkout.session.completed` event whose
//! `data.object` is the session, posted as JSON with a `Stripe-Signature: t=...,v1=...` header (HMAC-SHA256
//! over `"{t}.{body}"` with the webhook secret, re-signed on every attempt), retried a few times until
//! the endpoint answers 2xx.
//!
//! The signing is written here independently of the `payments` crate's verifier on purpose: devpay
//! plays the provider, so the end-to-end test checks our verifier against a second implementation of
//! the scheme rather than against itself.

use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use serde_json::json;
use sha2::Sha256;

use crate::{
    App,
    store::{CheckoutSession, new_id, now_secs},
};

/// Waits before each attempt: the first at once, then backing off, about 8 s in all.
const ATTEMPT_DELAYS_MS: [u64; 5] = [0, 250, 750, 2000, 5000];

/// The `Stripe-Signature` value for `body` at `timestamp`.
pub fn signature_header(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// Posts the event in the background (when a webhook URL is configured); the payment page does not wait.
pub fn send_completed(app: &App, session: &CheckoutSession) {
    let Some(url) = app.config.webhook_url.clone() else {
        return;
    };
    let event = json!({
        "id": new_id("evt"),
        "object": "event",
        "api_version": "2024-06-20",
        "created": now_secs(),
        "livemode": false,
        "pending_webhooks": 1,
        "request": {"id": null, "idempotency_key": null},
        "type": "checkout.session.completed",
        "data": {"object": session.to_json(&app.base_url)},
    });
    let body = event.to_string().into_bytes();
    let event_id = event["id"].as_str().unwrap_or_default().to_owned();
    let app = app.clone();
    tokio::spawn(async move {
        for (attempt, delay) in ATTEMPT_DELAYS_MS.iter().enumerate() {
            tokio::time::sleep(Duration::from_millis(*delay)).await;
            let signature = signature_header(&app.config.webhook_secret, now_secs(), &body);
            let sent = app
                .http
                .post(&url)
                .header("content-type", "application/json")
                .header("stripe-signature", signature)
                .body(body.clone())
                .send()
                .await;
            match sent {
                Ok(response) if response.status().is_success() => {
                    tracing::info!(%event_id, attempt, "webhook delivered");
                    return;
                }
                Ok(response) => {
                    tracing::warn!(%event_id, attempt, status = response.status().as_u16(), "webhook refused")
                }
                Err(e) => tracing::warn!(%event_id, attempt, error = %e, "webhook not delivered"),
            }
        }
        tracing::error!(%event_id, %url, "webhook given up after {} attempts", ATTEMPT_DELAYS_MS.len());
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_follow_stripes_scheme() {
        // The same vector the payments crate checks, computed with Python's hmac module.
        let body = br#"{"id":"evt_1","type":"checkout.session.completed"}"#;
        assert_eq!(
            signature_header("whsec_test_secret", 1_700_000_000, body),
            "t=1700000000,v1=a13d4b1f9003bc2fb6c06224e878b6056185eaa50d40e1e7dc05517f8af41d7b"
        );
    }
}
