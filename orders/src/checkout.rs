//! Checkout: what a client pays for, fixed from the cart when the payment session opens, and the
//! order placed once the provider confirms the payment.
//!
//! - [`lines`]: the cart's lines at their prices now, refusing what an offer's limits do not allow.
//! - [`place_paid`]: the one way an order comes into being, from the success redirect and from the
//!   webhook alike. It is idempotent per provider session: whoever comes second finds the checkout
//!   placed and answers with the same order. A product that ran out between payment and placement
//!   fails the checkout and refunds the payment, exactly once (only the caller that moves the checkout
//!   from `open` to `failed` refunds).

use std::collections::HashMap;

use catalog::index::Catalog;
use payments::{Payments, SessionState};
use shared::{
    ApiError, ApiResult, FieldErrors, FieldIssue, Id, Msg, ProductProblem, clock::now_millis,
};

use crate::{
    OrdersState,
    cart::unavailable,
    model::{ActiveCart, Checkout, CheckoutStatus, OrderLine, total},
    store::{PlaceError, Shortfall},
};

/// How long a checkout item is kept (its TTL), long after the provider's session expired (24 h).
pub const CHECKOUT_RETENTION_SECS: i64 = 30 * 24 * 3600;
/// Placement attempts when the cart or a concurrent transaction got in the way.
const PLACE_ATTEMPTS: usize = 3;

/// The cart's lines as they would be bought now: each at its product's final price, with the offer
/// that price comes from. An offer price counts against the offer's remaining `offerQuantity` and the
/// client's `maxPerClient` (`used`: units of each offer the client bought before); a line over either
/// is refused (400 naming it) rather than charged a price nobody offered. The lines of an active cart
/// are in stock and priced as added: the cart was reconciled just before.
pub fn lines(
    catalog: &Catalog,
    cart: &ActiveCart,
    used: &HashMap<Id, u64>,
    now_secs: i64,
) -> ApiResult<Vec<OrderLine>> {
    let mut fields = FieldErrors::new();
    let mut lines = Vec::with_capacity(cart.lines.len());
    for line in &cart.lines {
        let Some(product) = catalog.product(&line.product_id) else {
            continue;
        };
        let offer = catalog.live_offer(product, now_secs);
        if let Some(offer) = offer {
            let left = u64::from(
                offer
                    .offer_quantity
                    .saturating_sub(offer.quantity_purchased),
            );
            let allowed = u64::from(offer.max_per_client)
                .saturating_sub(used.get(&offer.id).copied().unwrap_or(0));
            let max = left.min(allowed);
            if u64::from(line.quantity) > max {
                fields.add(
                    line.product_id.to_string(),
                    FieldIssue::Product {
                        name_ar: product.name_ar.clone(),
                        name_en: product.name_en.clone(),
                        problem: ProductProblem::OfferLimit { max },
                    },
                );
            }
        }
        lines.push(OrderLine {
            product_id: product.id,
            offer_id: offer.map(|o| o.id),
            name_ar: product.name_ar.clone(),
            name_en: product.name_en.clone(),
            cover: product.cover_list.first().cloned(),
            item_price: catalog.final_price(product, now_secs),
            quantity: line.quantity,
        });
    }
    fields
        .finish()
        .map_err(|fields| unavailable(http::StatusCode::BAD_REQUEST, fields))?;
    Ok(lines)
}

/// A new open checkout for a provider session.
pub fn open(session_id: String, user: Id, lines: Vec<OrderLine>) -> Checkout {
    let now = now_millis();
    Checkout {
        session_id,
        user_id: user,
        total: total(&lines),
        lines,
        status: CheckoutStatus::Open,
        order_id: None,
        created_at: now,
        expires_at: now / 1000 + CHECKOUT_RETENTION_SECS,
    }
}

/// The payment provider of a function that takes or refunds payments.
pub fn provider(state: &OrdersState) -> ApiResult<&Payments> {
    state.payments.as_ref().ok_or_else(|| {
        ApiError::Unexpected(anyhow::anyhow!(
            "this function has no payment provider configured"
        ))
    })
}

/// Places the order a provider session paid for, once: `session` is what the provider says about it
/// (retrieved server to server, or in a verified webhook). Answers the order's id, the same one
/// however often it is called; 404 for a session that is not ours, 409 when it is not paid (or not
/// for this checkout's amount), or when a product ran out (the payment is then refunded).
pub async fn place_paid(state: &OrdersState, session: &SessionState) -> ApiResult<Id> {
    let checkout = state
        .store
        .checkout(&session.id)
        .await?
        .ok_or(ApiError::NotFound(Msg::CheckoutNotFound))?;
    if let Some(decided) = decided(&checkout)? {
        return Ok(decided);
    }
    if !session.paid || session.amount_total != checkout.total {
        return Err(ApiError::Conflict(Msg::PaymentNotConfirmed));
    }
    for _ in 0..PLACE_ATTEMPTS {
        let (catalog, carts) = tokio::try_join!(
            state.catalog.snapshot(),
            state.store.carts(&checkout.user_id)
        )?;
        let placed = state
            .store
            .place(
                &checkout,
                session.payment_intent.clone(),
                &carts.active,
                &catalog,
            )
            .await;
        match placed {
            Ok(order) => {
                tracing::info!(order = %order.id, "order placed");
                return Ok(order.id);
            }
            Err(PlaceError::NotOpen(current)) => match decided(&current)? {
                Some(order) => return Ok(order),
                None => continue,
            },
            Err(PlaceError::Short(short)) => {
                return Err(fail(state, &checkout, session, &short).await);
            }
            // The cart changed, or DynamoDB saw a concurrent transaction on one of the items.
            Err(PlaceError::CartChanged) => continue,
            Err(PlaceError::Store(shared::db::StoreError::TransactionCanceled(reasons))) => {
                tracing::warn!(?reasons, "placement cancelled, trying again");
                continue;
            }
            Err(PlaceError::Store(error)) => return Err(error.into()),
        }
    }
    Err(ApiError::Conflict(Msg::ChangedConcurrently))
}

/// The order of a checkout that was placed, or the 409 of one that failed; `None` while open.
fn decided(checkout: &Checkout) -> ApiResult<Option<Id>> {
    match (checkout.status, checkout.order_id) {
        (CheckoutStatus::Placed, Some(order)) => Ok(Some(order)),
        (CheckoutStatus::Failed, _) => Err(ApiError::Conflict(Msg::ProductsUnavailable)),
        (CheckoutStatus::Placed, None) => Err(ApiError::Unexpected(anyhow::anyhow!(
            "a placed checkout without its order"
        ))),
        (CheckoutStatus::Open, _) => Ok(None),
    }
}

/// Marks the checkout failed and refunds it (only the caller that marked it), and answers the 409
/// naming what was short.
async fn fail(
    state: &OrdersState,
    checkout: &Checkout,
    session: &SessionState,
    short: &[(usize, Shortfall)],
) -> ApiError {
    let catalog = state.catalog.snapshot().await.ok();
    let mut fields = FieldErrors::new();
    for &(index, shortfall) in short {
        let line = &checkout.lines[index];
        let product = catalog.as_ref().and_then(|c| c.product(&line.product_id));
        let problem = match shortfall {
            Shortfall::Stock => match product {
                Some(p) if !p.disabled => ProductProblem::OutOfStock {
                    available: p.quantity,
                },
                _ => ProductProblem::Unavailable,
            },
            Shortfall::OfferQuantity | Shortfall::PerClient => {
                let offer = line
                    .offer_id
                    .and_then(|o| catalog.as_ref()?.offer(&o).cloned());
                let left =
                    offer.map_or(0, |o| o.offer_quantity.saturating_sub(o.quantity_purchased));
                ProductProblem::OfferLimit {
                    max: u64::from(left),
                }
            }
        };
        fields.add(
            line.product_id.to_string(),
            FieldIssue::Product {
                name_ar: line.name_ar.clone(),
                name_en: line.name_en.clone(),
                problem,
            },
        );
    }
    match state.store.fail_checkout(&checkout.session_id).await {
        Ok(true) => {
            tracing::warn!(session = %checkout.session_id, "paid checkout failed; refunding");
            if let Err(error) = refund(
                state,
                session.payment_intent.as_deref(),
                &checkout.session_id,
            )
            .await
            {
                return error;
            }
        }
        Ok(false) => {}
        Err(error) => return error.into(),
    }
    unavailable(http::StatusCode::CONFLICT, fields)
}

/// Refunds a whole payment; `key` makes a repeated refund of the same thing a no-op at the provider.
pub async fn refund(state: &OrdersState, payment_intent: Option<&str>, key: &str) -> ApiResult<()> {
    let Some(intent) = payment_intent else {
        return Ok(());
    };
    let refund = provider(state)?
        .refund(intent, None, &format!("refund-{key}"))
        .await?;
    tracing::info!(refund = %refund, "payment refunded");
    Ok(())
}
