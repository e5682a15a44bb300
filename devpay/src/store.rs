//! Sessions, refunds and idempotent replies, in memory: devpay forgets everything when it stops, as
//! the emulator beside it does.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

/// A new random id with Stripe's prefix style (`cs_test_...`): letters and digits only.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_test_{}", hex::encode(rand::random::<[u8; 12]>()))
}

pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[derive(Clone, Debug)]
pub struct LineItem {
    pub name: String,
    pub unit_amount: i64,
    pub quantity: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Open,
    Complete,
}

#[derive(Clone, Debug)]
pub struct CheckoutSession {
    pub id: String,
    pub created: i64,
    pub client_reference_id: Option<String>,
    pub customer_email: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub currency: String,
    pub lines: Vec<LineItem>,
    pub success_url: String,
    pub cancel_url: String,
    pub status: Status,
    pub payment_intent: Option<String>,
    /// Minor units refunded so far.
    pub refunded: i64,
}

impl CheckoutSession {
    pub fn amount_total(&self) -> i64 {
        self.lines.iter().map(|l| l.unit_amount * l.quantity).sum()
    }

    pub fn paid(&self) -> bool {
        self.status == Status::Complete
    }

    /// Stripe's JSON for a Checkout Session (the fields a client of this subset reads, and a few more
    /// so it looks like the real thing in logs). `url` is the payment page while the session is open.
    pub fn to_json(&self, base_url: &str) -> Value {
        let open = self.status == Status::Open;
        json!({
            "id": self.id,
            "object": "checkout.session",
            "amount_subtotal": self.amount_total(),
            "amount_total": self.amount_total(),
            "cancel_url": self.cancel_url,
            "client_reference_id": self.client_reference_id,
            "created": self.created,
            "currency": self.currency,
            "customer_email": self.customer_email,
            "expires_at": self.created + 24 * 3600,
            "livemode": false,
            "metadata": self.metadata,
            "mode": "payment",
            "payment_intent": self.payment_intent,
            "payment_status": if self.paid() { "paid" } else { "unpaid" },
            "status": if open { "open" } else { "complete" },
            "success_url": self.success_url,
            "url": open.then(|| format!("{base_url}/pay/{}", self.id)),
        })
    }
}

/// A reply kept for an `Idempotency-Key`, with the request it answered.
#[derive(Clone, Debug)]
pub struct Replay {
    pub request: String,
    pub status: u16,
    pub body: Value,
}

#[derive(Default)]
pub struct Store {
    pub sessions: HashMap<String, CheckoutSession>,
    /// payment intent id -> session id.
    pub intents: HashMap<String, String>,
    pub idempotent: HashMap<String, Replay>,
}
