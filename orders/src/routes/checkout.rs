//! The `checkout` function's routes.
//!
//! - `POST /checkout/create-session {successUrl, cancelUrl}` (client): reads the cart (after moving
//!   what can no longer be bought as added to the draft cart), fixes its lines at today's prices,
//!   opens the provider's session and answers `{url}`. The provider sends the browser back to our own
//!   `/checkout/success/{CHECKOUT_SESSION_ID}?redirectUrl=<successUrl>` (on `PUBLIC_API_URL`, or the
//!   domain API Gateway was called on: [`crate::state::Redirects::api_base_url`]).
//! - `GET /checkout/success/{sessionId}?redirectUrl=` (no token: the browser comes from the payment
//!   page): asks the provider, server to server, whether the session is paid, places the order, and
//!   answers 303 to `redirectUrl`. The URL alone proves nothing.
//! - `POST /checkout/webhook`: the provider's signed event; `checkout.session.completed` and paid
//!   places the order too, so it exists even when the browser never comes back.
//!
//! Every URL a browser is sent to must be on one of the shop's own origins: no open redirect.

use axum::{
    body::Bytes,
    extract::{Path, State},
    response::{IntoResponse, Redirect, Response},
};
use http::HeaderMap;
use serde::Serialize;
use shared::{
    ApiError, ApiResult, FieldErrors, FieldIssue, Lang, Msg,
    auth::Shopper,
    clock::now_secs,
    extract::{GatewayDomain, JsonBody, QueryParams},
};
use utoipa::ToSchema;

use super::{Api, Op, json, read_carts};
use crate::{
    OrdersState,
    checkout::{self, place_paid, provider},
    input::{CheckoutInput, SuccessQuery},
    views::CheckoutSessionView,
};

pub fn checkout() -> Api {
    Api::new("checkout")
        .route(
            Op::post(
                "/checkout/create-session",
                "Open a payment session for the active cart; answers the payment page's URL",
            )
            .signed_in()
            .body::<CheckoutInput>()
            .answers::<CheckoutSessionView>(),
            create_session,
        )
        .route(
            Op::get(
                "/checkout/success/{sessionId}",
                "Where the payment page sends the browser: places the paid order, then 303 to redirectUrl",
            )
            .query::<SuccessQuery>(&[])
            .redirects(),
            success,
        )
        .route(
            Op::post(
                "/checkout/webhook",
                "The payment provider's signed events (Stripe-Signature)",
            )
            .answers::<Received>(),
            webhook,
        )
}

/// `{received: true}`: the event was taken in.
#[derive(Serialize, ToSchema)]
struct Received {
    received: bool,
}

/// Provider session ids are short and plain (`cs_test_...`); anything else is not ours.
fn is_session_id(id: &str) -> bool {
    payments::is_session_id(id)
}

fn redirects(state: &OrdersState) -> ApiResult<&crate::state::Redirects> {
    state
        .redirects
        .as_deref()
        .ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("checkout has no redirect settings")))
}

#[tracing::instrument(skip_all)]
async fn create_session(
    State(state): State<OrdersState>,
    Shopper(user): Shopper,
    lang: Lang,
    GatewayDomain(gateway_domain): GatewayDomain,
    JsonBody(input): JsonBody<CheckoutInput>,
) -> ApiResult<Response> {
    let redirects = redirects(&state)?;
    let api_base_url = redirects.api_base_url(gateway_domain.as_deref())?;
    let mut fields = FieldErrors::new();
    for (field, url) in [
        ("successUrl", &input.success_url),
        ("cancelUrl", &input.cancel_url),
    ] {
        if !redirects.allowed_origins.allows(url) {
            fields.add(field, FieldIssue::OriginNotAllowed);
        }
    }
    fields.finish()?;

    let (catalog, carts) = read_carts(&state, &user.user_id).await?;
    if carts.active.lines.is_empty() {
        return Err(ApiError::BadRequest(Msg::CartIsEmpty));
    }
    let now = now_secs();
    let has_offer = carts.active.lines.iter().any(|l| {
        catalog
            .product(&l.product_id)
            .is_some_and(|p| catalog.live_offer(p, now).is_some())
    });
    let used = if has_offer {
        state.store.offer_uses(&user.user_id).await?
    } else {
        Default::default()
    };
    let lines = checkout::lines(&catalog, &carts.active, &used, now)?;
    let email = state.users.get(&user.user_id).await?.map(|u| u.email);
    let redirect: String = form_urlencoded::byte_serialize(input.success_url.as_bytes()).collect();
    let session = provider(&state)?
        .create_session(payments::NewSession {
            reference: shared::Id::new().to_string(),
            customer_email: email,
            lines: lines
                .iter()
                .map(|l| payments::Line {
                    name: lang.pick(&l.name_ar, &l.name_en).to_owned(),
                    unit_amount: l.item_price,
                    quantity: l.quantity,
                })
                .collect(),
            success_url: format!(
                "{api_base_url}/checkout/success/{{CHECKOUT_SESSION_ID}}?redirectUrl={redirect}"
            ),
            cancel_url: input.cancel_url.clone(),
        })
        .await?;
    let opened = checkout::open(session.id, user.user_id, lines);
    state.store.create_checkout(&opened).await?;
    Ok(json(CheckoutSessionView { url: session.url }))
}

#[tracing::instrument(skip_all)]
async fn success(
    State(state): State<OrdersState>,
    Path(session_id): Path<String>,
    QueryParams(query): QueryParams<SuccessQuery>,
) -> ApiResult<Response> {
    if !redirects(&state)?
        .allowed_origins
        .allows(&query.redirect_url)
    {
        return Err(FieldErrors::single("redirectUrl", FieldIssue::OriginNotAllowed).into());
    }
    if !is_session_id(&session_id) {
        return Err(ApiError::NotFound(Msg::CheckoutNotFound));
    }
    // Only the provider, asked directly, says whether this session is paid.
    let session = provider(&state)?.retrieve_session(&session_id).await?;
    place_paid(&state, &session).await?;
    Ok(Redirect::to(&query.redirect_url).into_response())
}

#[tracing::instrument(skip_all)]
async fn webhook(
    State(state): State<OrdersState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    // No signature is a signature that does not verify: the same documented 400, not a 401 (there
    // is no bearer token to ask for).
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::BadRequest(Msg::BadWebhookSignature))?;
    let event = provider(&state)?.verify_webhook(&body, signature).await?;
    if event.kind == "checkout.session.completed"
        && let Some(session) = event.session.filter(|s| s.paid)
    {
        match place_paid(&state, &session).await {
            // Not ours, or decided already (a failed checkout was refunded): nothing to retry.
            Ok(_)
            | Err(ApiError::NotFound(_) | ApiError::Conflict(_) | ApiError::Rejected { .. }) => {}
            // Anything else: the provider delivers the event again later.
            Err(error) => return Err(error),
        }
    }
    Ok(json(Received { received: true }))
}
