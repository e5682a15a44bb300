//! The payment page a browser is sent to, and its two buttons. Like Stripe's hosted page, paying
//! completes the session, notifies the webhook in the background and sends the browser to
//! `success_url` with `{CHECKOUT_SESSION_ID}` filled in; cancelling sends it to `cancel_url` and
//! leaves the session open.

use axum::{
    extract::{Path, State},
    http::{StatusCode, header},
    response::{Html, IntoResponse, Response},
};

use crate::{
    App,
    store::{CheckoutSession, Status, new_id},
    webhook,
};

/// `GET /pay/{id}`
pub async fn show(State(app): State<App>, Path(id): Path<String>) -> Response {
    let store = app.store.lock().expect("store lock");
    match store.sessions.get(&id) {
        Some(session) => Html(render(session)).into_response(),
        None => not_found(),
    }
}

/// `POST /pay/{id}/pay`
pub async fn pay(State(app): State<App>, Path(id): Path<String>) -> Response {
    let (session, newly_paid) = {
        let mut store = app.store.lock().expect("store lock");
        let Some(session) = store.sessions.get_mut(&id) else {
            return not_found();
        };
        let newly_paid = session.status == Status::Open;
        if newly_paid {
            let intent = new_id("pi");
            session.status = Status::Complete;
            session.payment_intent = Some(intent.clone());
            let session = session.clone();
            store.intents.insert(intent, id.clone());
            (session, true)
        } else {
            (session.clone(), false)
        }
    };
    // A second click (or a reload of the form) is not a second payment and sends no second event.
    if newly_paid {
        tracing::info!(session_id = %id, "session paid");
        webhook::send_completed(&app, &session);
    }
    see_other(
        &session
            .success_url
            .replace("{CHECKOUT_SESSION_ID}", &session.id),
    )
}

/// `POST /pay/{id}/cancel`
pub async fn cancel(State(app): State<App>, Path(id): Path<String>) -> Response {
    let store = app.store.lock().expect("store lock");
    match store.sessions.get(&id) {
        None => not_found(),
        Some(session) if session.paid() => (
            StatusCode::CONFLICT,
            Html(page(
                "Already paid",
                "<p>This session is already paid; it cannot be cancelled here.</p>",
            )),
        )
            .into_response(),
        Some(session) => see_other(&session.cancel_url),
    }
}

fn see_other(location: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, location.to_owned())],
    )
        .into_response()
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Html(page(
            "Unknown session",
            "<p>No payment session has this id.</p>",
        )),
    )
        .into_response()
}

/// `12550` minor units of `egp` -> `125.50 EGP`.
fn amount(minor: i64, currency: &str) -> String {
    format!(
        "{}.{:02} {}",
        minor / 100,
        (minor % 100).abs(),
        currency.to_ascii_uppercase()
    )
}

/// Text from a request (product names) made safe inside HTML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn render(session: &CheckoutSession) -> String {
    let rows: String = session
        .lines
        .iter()
        .map(|line| {
            format!(
                "<tr><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td></tr>",
                escape(&line.name),
                amount(line.unit_amount, &session.currency),
                line.quantity,
                amount(line.unit_amount * line.quantity, &session.currency),
            )
        })
        .collect();
    let total = amount(session.amount_total(), &session.currency);
    let actions = if session.paid() {
        format!(
            "<p class=paid>Paid.</p><form method=post action=\"/pay/{id}/pay\"><button>Back to the shop</button></form>",
            id = session.id
        )
    } else {
        format!(
            "<form method=post action=\"/pay/{id}/pay\"><button class=pay>Pay {total}</button></form>\
             <form method=post action=\"/pay/{id}/cancel\"><button>Cancel</button></form>",
            id = session.id
        )
    };
    let email = session
        .customer_email
        .as_deref()
        .map(|e| format!("<p>Customer: {}</p>", escape(e)))
        .unwrap_or_default();
    page(
        "Pay",
        &format!(
            "<p class=note>devpay: a local stand-in for Stripe Checkout. No real money moves.</p>{email}\
             <table><thead><tr><th>Item</th><th class=n>Price</th><th class=n>Qty</th><th class=n>Total</th></tr></thead>\
             <tbody>{rows}</tbody><tfoot><tr><th colspan=3>Total</th><th class=n>{total}</th></tr></tfoot></table>\
             <div class=actions>{actions}</div>"
        ),
    )
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8>\
         <meta name=viewport content=\"width=device-width, initial-scale=1\"><title>{title} · devpay</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222}}\
         table{{width:100%;border-collapse:collapse;margin:1rem 0}}td,th{{padding:.4rem;border-bottom:1px solid #ddd;text-align:start}}\
         .n{{text-align:end}}.note{{color:#666;font-size:.9rem}}.actions{{display:flex;gap:1rem}}\
         button{{font-size:1rem;padding:.6rem 1.2rem;cursor:pointer}}.pay{{background:#635bff;color:#fff;border:0;border-radius:4px}}\
         .paid{{color:#070;font-weight:bold}}</style></head><body><h1>{title}</h1>{body}</body></html>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_show_two_decimals_and_the_currency() {
        assert_eq!(amount(12550, "egp"), "125.50 EGP");
        assert_eq!(amount(5, "egp"), "0.05 EGP");
        assert_eq!(amount(0, "usd"), "0.00 USD");
    }

    #[test]
    fn names_cannot_inject_markup() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }
}
