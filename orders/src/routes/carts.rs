//! The `carts` function's routes: the client's active cart (`/active-carts`) and draft cart
//! (`/draft-carts`), each read, `add`, `add-multiple` and `remove`; and staff's view of every
//! non-empty cart (`/active-carts/staff`), one client's cart, and adding or removing for a client.
//! Every answer is the cart after the change (lines that can no longer be bought as they are moved to
//! the draft cart first).

use axum::{extract::State, response::Response};
use shared::{
    ApiError, ApiResult, Lang, Msg,
    auth::{Shopper, Staff},
    clock::now_secs,
    extract::{JsonBody, PathId, QueryParams},
};

use super::{Api, Op, change_carts, json, page, read_carts};
use crate::{
    OrdersState,
    input::{CartListQuery, LineInput, LinesInput, StaffLineInput},
    views::{self, CartView, DraftView, StaffCartItem},
};

pub fn carts() -> Api {
    let cart = |op: Op| op.signed_in().answers::<CartView>();
    let draft = |op: Op| op.signed_in().answers::<DraftView>();
    Api::new("carts")
        .route(cart(Op::get("/active-carts", "The client's active cart")), active)
        .route(
            cart(Op::post("/active-carts/add", "Add a product")).body::<LineInput>(),
            add,
        )
        .route(
            cart(Op::post(
                "/active-carts/add-multiple",
                "Add several products (a guest cart after login); what cannot be bought goes to the draft cart",
            ))
            .body::<LinesInput>(),
            add_multiple,
        )
        .route(
            cart(Op::post(
                "/active-carts/remove",
                "Remove units of a product (the line when no more are left)",
            ))
            .body::<LineInput>(),
            remove,
        )
        .route(draft(Op::get("/draft-carts", "The client's draft cart")), draft_read)
        .route(
            draft(Op::post("/draft-carts/add", "Put a product in the draft cart")).body::<LineInput>(),
            draft_add,
        )
        .route(
            draft(Op::post("/draft-carts/add-multiple", "Put several products in the draft cart"))
                .body::<LinesInput>(),
            draft_add_multiple,
        )
        .route(
            draft(Op::post("/draft-carts/remove", "Remove units of a product from the draft cart"))
                .body::<LineInput>(),
            draft_remove,
        )
        .route(
            Op::get("/active-carts/staff", "Every non-empty cart (staff)")
                .staff()
                .query::<CartListQuery>(&[])
                .answers_page::<StaffCartItem>(),
            staff_list,
        )
        .route(
            Op::get("/active-carts/staff/{id}", "A client's active cart, by user id (staff)")
                .staff()
                .answers::<CartView>(),
            staff_get,
        )
        .route(
            Op::post("/active-carts/staff/add", "Add a product to a client's cart (staff)")
                .staff()
                .body::<StaffLineInput>()
                .answers::<CartView>(),
            staff_add,
        )
        .route(
            Op::post("/active-carts/staff/remove", "Remove a product from a client's cart (staff)")
                .staff()
                .body::<StaffLineInput>()
                .answers::<CartView>(),
            staff_remove,
        )
}

#[tracing::instrument(skip_all)]
async fn active(
    State(state): State<OrdersState>,
    Shopper(user): Shopper,
    lang: Lang,
) -> ApiResult<Response> {
    let (catalog, carts) = read_carts(&state, &user.user_id).await?;
    Ok(json(views::cart(&catalog, &carts.active, lang, false)))
}

#[tracing::instrument(skip_all)]
async fn add(
    State(state): State<OrdersState>,
    Shopper(user): Shopper,
    lang: Lang,
    JsonBody(input): JsonBody<LineInput>,
) -> ApiResult<Response> {
    let (catalog, carts) = change_carts(&state, &user.user_id, |carts, catalog, now| {
        carts.add(catalog, input.product_id, input.quantity, now)
    })
    .await?;
    Ok(json(views::cart(&catalog, &carts.active, lang, false)))
}

#[tracing::instrument(skip_all)]
async fn add_multiple(
    State(state): State<OrdersState>,
    Shopper(user): Shopper,
    lang: Lang,
    JsonBody(input): JsonBody<LinesInput>,
) -> ApiResult<Response> {
    let items = input.items();
    let (catalog, carts) = change_carts(&state, &user.user_id, |carts, catalog, now| {
        carts.add_many(catalog, &items, now)
    })
    .await?;
    Ok(json(views::cart(&catalog, &carts.active, lang, false)))
}

#[tracing::instrument(skip_all)]
async fn remove(
    State(state): State<OrdersState>,
    Shopper(user): Shopper,
    lang: Lang,
    JsonBody(input): JsonBody<LineInput>,
) -> ApiResult<Response> {
    let (catalog, carts) = change_carts(&state, &user.user_id, |carts, _, _| {
        carts.remove(input.product_id, input.quantity)
    })
    .await?;
    Ok(json(views::cart(&catalog, &carts.active, lang, false)))
}

#[tracing::instrument(skip_all)]
async fn draft_read(
    State(state): State<OrdersState>,
    Shopper(user): Shopper,
    lang: Lang,
) -> ApiResult<Response> {
    let (catalog, carts) = read_carts(&state, &user.user_id).await?;
    Ok(json(views::draft(&catalog, &carts.draft, lang, now_secs())))
}

#[tracing::instrument(skip_all)]
async fn draft_add(
    State(state): State<OrdersState>,
    Shopper(user): Shopper,
    lang: Lang,
    JsonBody(input): JsonBody<LineInput>,
) -> ApiResult<Response> {
    let (catalog, carts) = change_carts(&state, &user.user_id, |carts, catalog, _| {
        carts.add_to_draft(catalog, input.product_id, input.quantity)
    })
    .await?;
    Ok(json(views::draft(&catalog, &carts.draft, lang, now_secs())))
}

#[tracing::instrument(skip_all)]
async fn draft_add_multiple(
    State(state): State<OrdersState>,
    Shopper(user): Shopper,
    lang: Lang,
    JsonBody(input): JsonBody<LinesInput>,
) -> ApiResult<Response> {
    let items = input.items();
    let (catalog, carts) = change_carts(&state, &user.user_id, |carts, catalog, _| {
        carts.add_many_to_draft(catalog, &items)
    })
    .await?;
    Ok(json(views::draft(&catalog, &carts.draft, lang, now_secs())))
}

#[tracing::instrument(skip_all)]
async fn draft_remove(
    State(state): State<OrdersState>,
    Shopper(user): Shopper,
    lang: Lang,
    JsonBody(input): JsonBody<LineInput>,
) -> ApiResult<Response> {
    let (catalog, carts) = change_carts(&state, &user.user_id, |carts, _, _| {
        carts.remove_from_draft(input.product_id, input.quantity)
    })
    .await?;
    Ok(json(views::draft(&catalog, &carts.draft, lang, now_secs())))
}

/// Every non-empty cart, by user id, priced now; each with `{_id, fullName, email}` of its client.
#[tracing::instrument(skip_all)]
async fn staff_list(
    State(state): State<OrdersState>,
    _: Staff,
    QueryParams(query): QueryParams<CartListQuery>,
) -> ApiResult<Response> {
    let (catalog, carts) = tokio::try_join!(state.catalog.snapshot(), state.store.active_carts())?;
    let carts: Vec<_> = carts.into_iter().filter(|c| !c.lines.is_empty()).collect();
    let paging = query.paging();
    let shown: Vec<_> = carts
        .iter()
        .skip(paging.offset())
        .take(paging.limit as usize)
        .map(|c| c.user_id)
        .collect();
    let users = state.users.summaries(&shown).await?;
    let now = now_secs();
    Ok(json(page(&carts, paging, |cart| {
        views::staff_cart_item(&catalog, cart, users.get(&cart.user_id).cloned(), now)
    })))
}

#[tracing::instrument(skip_all, fields(%user))]
async fn staff_get(
    State(state): State<OrdersState>,
    _: Staff,
    lang: Lang,
    PathId(user): PathId,
) -> ApiResult<Response> {
    let (catalog, carts) = read_carts(&state, &user).await?;
    if !carts.active.is_stored() {
        return Err(ApiError::NotFound(Msg::CartNotFound));
    }
    Ok(json(views::cart(&catalog, &carts.active, lang, true)))
}

#[tracing::instrument(skip_all, fields(user = %input.user_id))]
async fn staff_add(
    State(state): State<OrdersState>,
    _: Staff,
    lang: Lang,
    JsonBody(input): JsonBody<StaffLineInput>,
) -> ApiResult<Response> {
    let client = state.users.get(&input.user_id).await?;
    if client.is_none_or(|u| u.role.is_staff()) {
        return Err(ApiError::NotFound(Msg::UserNotFound));
    }
    let (catalog, carts) = change_carts(&state, &input.user_id, |carts, catalog, now| {
        carts.add(catalog, input.product_id, input.quantity, now)
    })
    .await?;
    Ok(json(views::cart(&catalog, &carts.active, lang, true)))
}

#[tracing::instrument(skip_all, fields(user = %input.user_id))]
async fn staff_remove(
    State(state): State<OrdersState>,
    _: Staff,
    lang: Lang,
    JsonBody(input): JsonBody<StaffLineInput>,
) -> ApiResult<Response> {
    let (catalog, carts) = change_carts(&state, &input.user_id, |carts, _, _| {
        carts.remove(input.product_id, input.quantity)
    })
    .await?;
    Ok(json(views::cart(&catalog, &carts.active, lang, true)))
}
