//! The `orders` function's routes: the client's orders (`GET /orders`, `GET /orders/{id}`,
//! `POST /orders/{id}/order-again`) and staff's (`GET /orders/staff`, `GET|PATCH /orders/staff/{id}`).
//!
//! A client reads an order under their own partition, so someone else's order is simply not found.
//! Staff find any order through GSI1 and act on the order item itself. `PATCH` moves a confirmed
//! order to `delivered` or `cancelled`; cancelling gives back the stock, the offer units and the
//! client's use of the offer in one transaction, then refunds the payment.

use std::collections::HashMap;

use axum::{extract::State, response::Response};
use identity::users::UserSummary;
use shared::{
    ApiError, ApiResult, Id, Lang, Msg,
    auth::{Shopper, Staff},
    extract::{JsonBody, PathId, QueryParams},
};

use super::{Api, Op, change_carts, json, page};
use crate::{
    OrdersState,
    input::{OrderListQuery, StatusInput},
    model::{Order, OrderStatus},
    store::StatusError,
    views::{self, CartView, OrderListItem, OrderView, StaffOrderItem},
};

pub fn orders() -> Api {
    Api::new("orders")
        .route(
            Op::get("/orders", "The client's orders, newest first")
                .signed_in()
                .query::<OrderListQuery>(&["userId"])
                .answers_page::<OrderListItem>(),
            list,
        )
        .route(
            Op::get("/orders/{id}", "One of the client's orders")
                .signed_in()
                .answers::<OrderView>(),
            read,
        )
        .route(
            Op::post(
                "/orders/{id}/order-again",
                "Put an order's products in the active cart again, at today's prices",
            )
            .signed_in()
            .answers::<CartView>(),
            order_again,
        )
        .route(
            Op::get("/orders/staff", "Every order, newest first (staff)")
                .staff()
                .query::<OrderListQuery>(&[])
                .answers_page::<StaffOrderItem>(),
            staff_list,
        )
        .route(
            Op::get("/orders/staff/{id}", "Any order (staff)")
                .staff()
                .answers::<OrderView>(),
            staff_get,
        )
        .route(
            Op::patch(
                "/orders/staff/{id}",
                "Mark a confirmed order delivered, or cancel it (stock and offer units go back, the payment is refunded)",
            )
            .staff()
            .body::<StatusInput>()
            .answers::<OrderView>(),
            staff_update,
        )
}

fn order_or_404(order: Option<Order>) -> ApiResult<Order> {
    order.ok_or(ApiError::NotFound(Msg::OrderNotFound))
}

#[tracing::instrument(skip_all)]
async fn list(
    State(state): State<OrdersState>,
    Shopper(user): Shopper,
    QueryParams(query): QueryParams<OrderListQuery>,
) -> ApiResult<Response> {
    let orders = state.store.orders_of(&user.user_id).await?;
    let orders: Vec<Order> = orders
        .into_iter()
        .filter(|o| query.status.is_none_or(|s| o.status == s))
        .collect();
    Ok(json(page(&orders, query.paging(), views::order_list_item)))
}

#[tracing::instrument(skip_all, fields(%id))]
async fn read(
    State(state): State<OrdersState>,
    Shopper(user): Shopper,
    lang: Lang,
    PathId(id): PathId,
) -> ApiResult<Response> {
    let order = order_or_404(state.store.order(&user.user_id, &id).await?)?;
    Ok(json(views::order(&order, lang, None)))
}

/// The active cart with the order's products added again, at today's prices; what cannot be bought
/// now goes to the draft cart.
#[tracing::instrument(skip_all, fields(%id))]
async fn order_again(
    State(state): State<OrdersState>,
    Shopper(user): Shopper,
    lang: Lang,
    PathId(id): PathId,
) -> ApiResult<Response> {
    let order = order_or_404(state.store.order(&user.user_id, &id).await?)?;
    let items: Vec<(Id, u32)> = order
        .lines
        .iter()
        .map(|l| (l.product_id, l.quantity))
        .collect();
    let (catalog, carts) = change_carts(&state, &user.user_id, |carts, catalog, now| {
        carts.add_many(catalog, &items, now)
    })
    .await?;
    Ok(json(views::cart(&catalog, &carts.active, lang, false)))
}

#[tracing::instrument(skip_all)]
async fn staff_list(
    State(state): State<OrdersState>,
    _: Staff,
    lang: Lang,
    QueryParams(query): QueryParams<OrderListQuery>,
) -> ApiResult<Response> {
    // One client's orders are a consistent read of their partition; everyone's come from GSI1.
    let orders = match query.user_id {
        Some(user) => state.store.orders_of(&user).await?,
        None => state.store.all_orders().await?,
    };
    let orders: Vec<Order> = orders
        .into_iter()
        .filter(|o| query.status.is_none_or(|s| o.status == s))
        .collect();
    let paging = query.paging();
    let shown: Vec<Id> = orders
        .iter()
        .skip(paging.offset())
        .take(paging.limit as usize)
        .map(|o| o.user_id)
        .collect();
    let users = state.users.summaries(&shown).await?;
    Ok(json(page(&orders, paging, |o| {
        views::staff_order_item(o, user_or_deleted(&users, o.user_id, lang))
    })))
}

/// Who placed an order, for staff: the user's summary, or for an account deleted since only its former
/// id and "Deleted user" (the order is kept, without anything personal).
fn user_or_deleted(users: &HashMap<Id, UserSummary>, id: Id, lang: Lang) -> UserSummary {
    users
        .get(&id)
        .cloned()
        .unwrap_or_else(|| UserSummary::deleted(id, Msg::DeletedUser.text(lang)))
}

async fn staff_view(state: &OrdersState, order: &Order, lang: Lang) -> ApiResult<Response> {
    let users = state.users.summaries(&[order.user_id]).await?;
    let user = user_or_deleted(&users, order.user_id, lang);
    Ok(json(views::order(order, lang, Some(user))))
}

#[tracing::instrument(skip_all, fields(%id))]
async fn staff_get(
    State(state): State<OrdersState>,
    _: Staff,
    lang: Lang,
    PathId(id): PathId,
) -> ApiResult<Response> {
    let order = order_or_404(state.store.find_order(&id).await?)?;
    staff_view(&state, &order, lang).await
}

/// `confirmed -> delivered` or `confirmed -> cancelled`; the status it has already answers the order
/// unchanged; any other move is a 409.
#[tracing::instrument(skip_all, fields(%id))]
async fn staff_update(
    State(state): State<OrdersState>,
    _: Staff,
    lang: Lang,
    PathId(id): PathId,
    JsonBody(input): JsonBody<StatusInput>,
) -> ApiResult<Response> {
    let order = order_or_404(state.store.find_order(&id).await?)?;
    if order.status == OrderStatus::Cancelled && input.status == OrderStatus::Cancelled {
        // Cancelling again only retries the refund, in case the provider failed the first time.
        super::refund_cancelled(&state, &order).await?;
        return staff_view(&state, &order, lang).await;
    }
    if order.status == input.status {
        // The status it has: nothing to write, the order as it is (a PATCH is idempotent).
        return staff_view(&state, &order, lang).await;
    }
    if !order.status.can_become(input.status) {
        return Err(ApiError::Conflict(Msg::OrderStatusLocked));
    }
    let catalog = state.catalog.snapshot().await?;
    let updated = match state.store.set_status(&order, input.status, &catalog).await {
        Ok(updated) => updated,
        Err(StatusError::Changed) => return Err(ApiError::Conflict(Msg::ChangedConcurrently)),
        Err(StatusError::Store(error)) => return Err(error.into()),
    };
    if updated.status == OrderStatus::Cancelled {
        super::refund_cancelled(&state, &updated).await?;
    }
    staff_view(&state, &updated, lang).await
}
