//! The server-to-server API: the subset of Stripe's that the `payments` crate calls, with Stripe's
//! request encoding (form fields in bracket notation), bearer keys, idempotency keys, JSON objects and
//! `{"error": {"type", "message", "param"?, "code"?}}` errors.

use std::collections::{BTreeMap, HashMap};

use axum::{
    Json,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

use crate::{
    App,
    store::{CheckoutSession, LineItem, Replay, Status, new_id, now_secs},
};

/// Stripe's limit on line items per session.
const MAX_LINE_ITEMS: usize = 100;

/// A Stripe-shaped error: `{"error": {"type", "message", "param"?, "code"?}}`.
#[derive(Debug)]
pub struct StripeError {
    status: StatusCode,
    message: String,
    param: Option<String>,
}

pub fn error(status: StatusCode, message: impl Into<String>, param: Option<&str>) -> StripeError {
    StripeError {
        status,
        message: message.into(),
        param: param.map(str::to_owned),
    }
}

impl IntoResponse for StripeError {
    fn into_response(self) -> Response {
        let mut detail = json!({"type": "invalid_request_error", "message": self.message});
        if let Some(param) = self.param {
            detail["param"] = json!(param);
        }
        if self.status == StatusCode::NOT_FOUND {
            detail["code"] = json!("resource_missing");
        }
        (self.status, Json(json!({ "error": detail }))).into_response()
    }
}

/// The key presented as Stripe takes it: `Bearer <key>`, or basic auth with the key as user name
/// (`curl -u sk_test_...:`).
fn presented_key(headers: &HeaderMap) -> String {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if let Some(key) = value.strip_prefix("Bearer ") {
        return key.to_owned();
    }
    value
        .strip_prefix("Basic ")
        .and_then(|encoded| BASE64.decode(encoded).ok())
        .and_then(|decoded| String::from_utf8(decoded).ok())
        .map(|user_password| user_password.split(':').next().unwrap_or("").to_owned())
        .unwrap_or_default()
}

/// The key must be ours (compared in constant time); Stripe answers 401 otherwise.
fn authorize(app: &App, headers: &HeaderMap) -> Result<(), StripeError> {
    let presented = presented_key(headers);
    if bool::from(presented.as_bytes().ct_eq(app.config.secret_key.as_bytes())) {
        return Ok(());
    }
    let shown = if presented.is_empty() {
        "You did not provide an API key.".to_owned()
    } else {
        let tail: String = presented
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("Invalid API Key provided: ****{tail}")
    };
    Err(error(StatusCode::UNAUTHORIZED, shown, None))
}

fn parse_form(body: &[u8]) -> HashMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// Runs `handle` once per `Idempotency-Key`: a repeat with the same body gets the first answer again,
/// a repeat with another body is refused, as Stripe does. Only successes are kept.
fn idempotent(
    app: &App,
    headers: &HeaderMap,
    endpoint: &str,
    body: &[u8],
    handle: impl FnOnce(&App) -> Result<Value, StripeError>,
) -> Response {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(|k| format!("{endpoint} {k}"));
    let request = String::from_utf8_lossy(body).into_owned();
    if let Some(key) = &key {
        let store = app.store.lock().expect("store lock");
        if let Some(replay) = store.idempotent.get(key) {
            if replay.request != request {
                return error(
                    StatusCode::BAD_REQUEST,
                    "Keys for idempotent requests can only be used with the same parameters they were first used with.",
                    None,
                )
                .into_response();
            }
            let status = StatusCode::from_u16(replay.status).unwrap_or(StatusCode::OK);
            return (status, Json(replay.body.clone())).into_response();
        }
    }
    match handle(app) {
        Ok(body) => {
            if let Some(key) = key {
                let mut store = app.store.lock().expect("store lock");
                // Two concurrent first requests: the first stored answer wins for later repeats.
                store.idempotent.entry(key).or_insert(Replay {
                    request,
                    status: 200,
                    body: body.clone(),
                });
            }
            Json(body).into_response()
        }
        Err(refused) => refused.into_response(),
    }
}

/// `POST /v1/checkout/sessions`
pub async fn create_session(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(refused) = authorize(&app, &headers) {
        return refused.into_response();
    }
    idempotent(&app, &headers, "checkout.sessions", &body, |app| {
        let session = parse_session(&parse_form(&body))?;
        let json = session.to_json(&app.base_url);
        tracing::info!(session_id = %session.id, amount_total = session.amount_total(), "session opened");
        let mut store = app.store.lock().expect("store lock");
        store.sessions.insert(session.id.clone(), session);
        Ok(json)
    })
}

fn parse_session(form: &HashMap<String, String>) -> Result<CheckoutSession, StripeError> {
    let missing = |param: &str| {
        error(
            StatusCode::BAD_REQUEST,
            format!("Missing required param: {param}."),
            Some(param),
        )
    };
    let invalid = |param: &str, why: &str| {
        error(
            StatusCode::BAD_REQUEST,
            format!("Invalid {param}: {why}."),
            Some(param),
        )
    };
    let field = |name: &str| form.get(name).filter(|v| !v.is_empty());

    match field("mode").map(String::as_str) {
        Some("payment") => {}
        Some(_) => return Err(invalid("mode", "only `payment` is supported by devpay")),
        None => return Err(missing("mode")),
    }
    let url = |name: &str| -> Result<String, StripeError> {
        let value = field(name).ok_or_else(|| missing(name))?;
        if value.starts_with("https://") || value.starts_with("http://") {
            Ok(value.clone())
        } else {
            Err(invalid(name, "must be an absolute http(s) URL"))
        }
    };
    let success_url = url("success_url")?;
    let cancel_url = url("cancel_url")?;

    // Line indices as sent (`line_items[3][quantity]`); they must run 0, 1, 2, ...
    let mut indices: Vec<usize> = form
        .keys()
        .filter_map(|k| k.strip_prefix("line_items["))
        .filter_map(|rest| rest.split_once(']'))
        .filter_map(|(index, _)| index.parse().ok())
        .collect();
    indices.sort_unstable();
    indices.dedup();
    if indices.is_empty() {
        return Err(missing("line_items"));
    }
    if indices.len() > MAX_LINE_ITEMS || indices.iter().enumerate().any(|(i, n)| i != *n) {
        return Err(invalid(
            "line_items",
            "at most 100 items, indexed from 0 without gaps",
        ));
    }

    let mut currency: Option<String> = None;
    let mut lines = Vec::with_capacity(indices.len());
    for i in indices {
        let name_of = |f: &str| format!("line_items[{i}]{f}");
        let required = |f: &str| -> Result<&String, StripeError> {
            let name = name_of(f);
            field(&name).ok_or_else(|| missing(&name))
        };
        let line_currency = required("[price_data][currency]")?.to_ascii_lowercase();
        if line_currency.len() != 3 || !line_currency.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(invalid(
                &name_of("[price_data][currency]"),
                "not a currency code",
            ));
        }
        match &currency {
            None => currency = Some(line_currency),
            Some(first) if *first != line_currency => {
                return Err(invalid(
                    &name_of("[price_data][currency]"),
                    "all line items must use the same currency",
                ));
            }
            Some(_) => {}
        }
        let unit_amount = required("[price_data][unit_amount]")?
            .parse::<i64>()
            .ok()
            .filter(|a| (0..=99_999_999).contains(a))
            .ok_or_else(|| {
                invalid(
                    &name_of("[price_data][unit_amount]"),
                    "must be a whole number of minor units from 0 to 99999999",
                )
            })?;
        let quantity = required("[quantity]")?
            .parse::<i64>()
            .ok()
            .filter(|q| (1..=999_999).contains(q))
            .ok_or_else(|| invalid(&name_of("[quantity]"), "must be a whole number from 1"))?;
        lines.push(LineItem {
            name: required("[price_data][product_data][name]")?.clone(),
            unit_amount,
            quantity,
        });
    }

    let metadata: BTreeMap<String, String> = form
        .iter()
        .filter_map(|(k, v)| {
            let key = k.strip_prefix("metadata[")?.strip_suffix(']')?;
            Some((key.to_owned(), v.clone()))
        })
        .collect();
    Ok(CheckoutSession {
        id: new_id("cs"),
        created: now_secs(),
        client_reference_id: field("client_reference_id").cloned(),
        customer_email: field("customer_email").cloned(),
        metadata,
        currency: currency.expect("at least one line"),
        lines,
        success_url,
        cancel_url,
        status: Status::Open,
        payment_intent: None,
        refunded: 0,
    })
}

/// `GET /v1/checkout/sessions/{id}`
pub async fn retrieve_session(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(refused) = authorize(&app, &headers) {
        return refused.into_response();
    }
    let store = app.store.lock().expect("store lock");
    match store.sessions.get(&id) {
        Some(session) => Json(session.to_json(&app.base_url)).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            format!("No such checkout.session: '{id}'"),
            Some("session"),
        )
        .into_response(),
    }
}

/// `POST /v1/refunds` with `payment_intent` and an optional `amount` (default: what is left).
pub async fn create_refund(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(refused) = authorize(&app, &headers) {
        return refused.into_response();
    }
    idempotent(&app, &headers, "refunds", &body, |app| {
        let form = parse_form(&body);
        let intent = form
            .get("payment_intent")
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                error(
                    StatusCode::BAD_REQUEST,
                    "Missing required param: payment_intent.",
                    Some("payment_intent"),
                )
            })?;
        let mut store = app.store.lock().expect("store lock");
        let session_id = store.intents.get(intent).cloned().ok_or_else(|| {
            error(
                StatusCode::NOT_FOUND,
                format!("No such payment_intent: '{intent}'"),
                Some("payment_intent"),
            )
        })?;
        let session = store
            .sessions
            .get_mut(&session_id)
            .expect("every intent belongs to a session");
        let left = session.amount_total() - session.refunded;
        let amount = match form.get("amount") {
            None => left,
            Some(raw) => raw.parse::<i64>().ok().filter(|a| *a > 0).ok_or_else(|| {
                error(
                    StatusCode::BAD_REQUEST,
                    "Invalid positive integer",
                    Some("amount"),
                )
            })?,
        };
        if left == 0 {
            return Err(error(
                StatusCode::BAD_REQUEST,
                format!("Charge for {intent} has already been refunded."),
                None,
            ));
        }
        if amount > left {
            return Err(error(
                StatusCode::BAD_REQUEST,
                format!(
                    "Refund amount ({amount}) is greater than unrefunded amount on charge ({left})"
                ),
                Some("amount"),
            ));
        }
        session.refunded += amount;
        let refund = json!({
            "id": new_id("re"),
            "object": "refund",
            "amount": amount,
            "currency": session.currency,
            "created": now_secs(),
            "payment_intent": intent,
            "status": "succeeded",
        });
        tracing::info!(payment_intent = %intent, amount, "refunded");
        Ok(refund)
    })
}
