//! Our payment types and their Stripe wire form: the form-encoded requests Stripe expects and the
//! parts of its JSON answers we read. Unknown JSON fields are ignored, so new Stripe fields never break us.

use serde::Deserialize;
use shared::Money;

/// A Checkout Session to open for one order attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSession {
    /// Our reference for the attempt (e.g. the cart or checkout id). It becomes the session's
    /// `client_reference_id` and `metadata[reference]`, and the request's `Idempotency-Key`: retrying
    /// with the same reference returns the same session, so a reference must name one set of lines
    /// (Stripe refuses a reused key with different parameters).
    pub reference: String,
    pub customer_email: Option<String>,
    pub lines: Vec<Line>,
    /// Where the provider sends the browser after payment; may contain Stripe's literal placeholder
    /// `{CHECKOUT_SESSION_ID}`, which it replaces with the session id.
    pub success_url: String,
    pub cancel_url: String,
}

/// One line of the payment page, charged at `unit_amount` (the price at checkout) times `quantity`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub name: String,
    pub unit_amount: Money,
    pub quantity: u32,
}

/// An opened session: send the browser to `url`, keep `id` to confirm the payment later.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    pub url: String,
}

/// What the provider says about a session, server to server: the only proof of payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionState {
    pub id: String,
    /// `payment_status == "paid"`: the money is captured.
    pub paid: bool,
    /// `status == "open"`: the customer can still pay (not completed, not expired).
    pub open: bool,
    pub amount_total: Money,
    pub currency: String,
    /// The `client_reference_id` we set, i.e. [`NewSession::reference`].
    pub reference: Option<String>,
    /// Set once paid; what [`crate::Payments::refund`] takes.
    pub payment_intent: Option<String>,
}

/// A verified webhook event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookEvent {
    /// The event id (`evt_...`); the provider may deliver the same event more than once.
    pub id: String,
    /// The event type, e.g. `checkout.session.completed`.
    pub kind: String,
    /// The session, when the event's object is a Checkout Session.
    pub session: Option<SessionState>,
}

/// The form Stripe's `POST /v1/checkout/sessions` takes, in its bracket notation.
pub fn session_form(session: &NewSession, currency: &str) -> Vec<(String, String)> {
    let mut form = vec![
        ("mode".to_owned(), "payment".to_owned()),
        ("client_reference_id".to_owned(), session.reference.clone()),
        ("metadata[reference]".to_owned(), session.reference.clone()),
        ("success_url".to_owned(), session.success_url.clone()),
        ("cancel_url".to_owned(), session.cancel_url.clone()),
    ];
    if let Some(email) = &session.customer_email {
        form.push(("customer_email".to_owned(), email.clone()));
    }
    for (i, line) in session.lines.iter().enumerate() {
        let field = |name: &str| format!("line_items[{i}]{name}");
        form.extend([
            (field("[price_data][currency]"), currency.to_owned()),
            (field("[price_data][product_data][name]"), line.name.clone()),
            (
                field("[price_data][unit_amount]"),
                line.unit_amount.minor().to_string(),
            ),
            (field("[quantity]"), line.quantity.to_string()),
        ]);
    }
    form
}

/// Stripe's ids are a prefix and then letters, digits and underscores; checking the shape before a
/// session id goes into a URL path means no user input is ever spliced into a request unchecked.
pub fn is_session_id(id: &str) -> bool {
    id.len() <= 255
        && id.strip_prefix("cs_").is_some_and(|rest| {
            !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
}

/// A Checkout Session object as Stripe renders it (the fields we use).
#[derive(Debug, Deserialize)]
pub(crate) struct SessionObject {
    pub id: String,
    pub url: Option<String>,
    pub payment_status: String,
    pub status: Option<String>,
    pub amount_total: Option<i64>,
    pub currency: Option<String>,
    pub client_reference_id: Option<String>,
    pub payment_intent: Option<Expandable>,
}

/// A reference Stripe renders as an id, or as the whole object when expanded.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum Expandable {
    Id(String),
    Object { id: String },
}

impl From<SessionObject> for SessionState {
    fn from(object: SessionObject) -> Self {
        SessionState {
            id: object.id,
            paid: object.payment_status == "paid",
            open: object.status.as_deref() == Some("open"),
            amount_total: Money::from_minor(object.amount_total.unwrap_or(0)),
            currency: object.currency.unwrap_or_default(),
            reference: object.client_reference_id,
            payment_intent: object.payment_intent.map(|p| match p {
                Expandable::Id(id) | Expandable::Object { id } => id,
            }),
        }
    }
}

/// Stripe's error body: `{"error": {"message": ..., "type": ..., "code"?: ...}}`.
#[derive(Debug, Deserialize)]
pub(crate) struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ErrorDetail {
    pub message: Option<String>,
    pub code: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Refund {
    pub id: String,
}

#[derive(Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: EventData,
}

#[derive(Deserialize)]
struct EventData {
    object: serde_json::Value,
}

/// Reads an event body (after its signature was checked).
pub fn parse_event(payload: &[u8]) -> Option<WebhookEvent> {
    let event: Event = serde_json::from_slice(payload).ok()?;
    let session =
        if event.data.object.get("object").and_then(|o| o.as_str()) == Some("checkout.session") {
            Some(
                serde_json::from_value::<SessionObject>(event.data.object)
                    .ok()?
                    .into(),
            )
        } else {
            None
        };
    Some(WebhookEvent {
        id: event.id,
        kind: event.kind,
        session,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_encoded_in_stripe_bracket_notation() {
        let session = NewSession {
            reference: "ck_65f0c0ffee".into(),
            customer_email: Some("sara@example.com".into()),
            lines: vec![
                Line {
                    name: "قهوة".into(),
                    unit_amount: Money::from_minor(12550),
                    quantity: 2,
                },
                Line {
                    name: "Mug & spoon".into(),
                    unit_amount: Money::from_minor(9900),
                    quantity: 1,
                },
            ],
            success_url: "https://shop.example/checkout/success/{CHECKOUT_SESSION_ID}".into(),
            cancel_url: "https://shop.example/cart".into(),
        };
        let form = session_form(&session, "egp");
        let expected: Vec<(&str, &str)> = vec![
            ("mode", "payment"),
            ("client_reference_id", "ck_65f0c0ffee"),
            ("metadata[reference]", "ck_65f0c0ffee"),
            (
                "success_url",
                "https://shop.example/checkout/success/{CHECKOUT_SESSION_ID}",
            ),
            ("cancel_url", "https://shop.example/cart"),
            ("customer_email", "sara@example.com"),
            ("line_items[0][price_data][currency]", "egp"),
            ("line_items[0][price_data][product_data][name]", "قهوة"),
            ("line_items[0][price_data][unit_amount]", "12550"),
            ("line_items[0][quantity]", "2"),
            ("line_items[1][price_data][currency]", "egp"),
            (
                "line_items[1][price_data][product_data][name]",
                "Mug & spoon",
            ),
            ("line_items[1][price_data][unit_amount]", "9900"),
            ("line_items[1][quantity]", "1"),
        ];
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(form, expected);
    }

    #[test]
    fn no_customer_email_means_no_field() {
        let session = NewSession {
            reference: "r".into(),
            customer_email: None,
            lines: vec![],
            success_url: "https://a".into(),
            cancel_url: "https://b".into(),
        };
        assert!(
            !session_form(&session, "egp")
                .iter()
                .any(|(k, _)| k == "customer_email")
        );
    }

    #[test]
    fn session_ids_are_checked_before_they_reach_a_url() {
        for good in [
            "cs_test_a1B2c3",
            "cs_live_X",
            &format!("cs_{}", "a".repeat(252)),
        ] {
            assert!(is_session_id(good), "{good}");
        }
        for bad in [
            "",
            "cs_",
            "pi_123",
            "cs_test_../../v1/refunds",
            "cs_test_a?expand[]=x",
            "cs_test_a%2F",
            "cs_test a",
            "CS_test_a",
            &format!("cs_{}", "a".repeat(253)),
        ] {
            assert!(!is_session_id(bad), "{bad}");
        }
    }

    #[test]
    fn a_stripe_session_object_becomes_our_state() {
        let json = r#"{"id":"cs_test_1","object":"checkout.session","url":null,
            "payment_status":"paid","status":"complete","amount_total":25100,"currency":"egp",
            "client_reference_id":"ck_1","payment_intent":"pi_9","metadata":{"reference":"ck_1"},
            "something_new":{"nested":true}}"#;
        let state: SessionState = serde_json::from_str::<SessionObject>(json).unwrap().into();
        assert_eq!(
            state,
            SessionState {
                id: "cs_test_1".into(),
                paid: true,
                open: false,
                amount_total: Money::from_minor(25100),
                currency: "egp".into(),
                reference: Some("ck_1".into()),
                payment_intent: Some("pi_9".into()),
            }
        );

        let expanded = r#"{"id":"cs_test_2","payment_status":"unpaid","status":"open",
            "amount_total":100,"currency":"egp","client_reference_id":null,
            "payment_intent":{"id":"pi_7","object":"payment_intent"}}"#;
        let state: SessionState = serde_json::from_str::<SessionObject>(expanded)
            .unwrap()
            .into();
        assert!(!state.paid && state.open);
        assert_eq!(state.payment_intent.as_deref(), Some("pi_7"));
        assert_eq!(state.reference, None);
    }

    #[test]
    fn events_carry_their_session_when_it_is_one() {
        let completed = br#"{"id":"evt_1","object":"event","type":"checkout.session.completed",
            "data":{"object":{"id":"cs_test_1","object":"checkout.session","payment_status":"paid",
            "status":"complete","amount_total":500,"currency":"egp","client_reference_id":"ck_1",
            "payment_intent":"pi_1"}}}"#;
        let event = parse_event(completed).unwrap();
        assert_eq!(event.id, "evt_1");
        assert_eq!(event.kind, "checkout.session.completed");
        let session = event.session.unwrap();
        assert!(session.paid);
        assert_eq!(session.amount_total, Money::from_minor(500));

        let other = br#"{"id":"evt_2","type":"charge.refunded","data":{"object":{"id":"ch_1","object":"charge"}}}"#;
        assert_eq!(parse_event(other).unwrap().session, None);

        for bad in [
            &b"not json"[..],
            br#"{"id":"evt_3"}"#,
            br#"{"id":"evt_4","type":"checkout.session.completed","data":{"object":{"object":"checkout.session"}}}"#,
        ] {
            assert!(parse_event(bad).is_none(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
