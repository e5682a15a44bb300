//! The `carts` function: its routes and their documentation are in `orders::routes::carts`.

use axum::Router;
use orders::{OrdersState, routes};

pub fn router(state: OrdersState) -> Router {
    state.into_router(routes::carts().router())
}

/// This function's part of the OpenAPI document, declared with its routes.
pub fn api_doc() -> utoipa::openapi::OpenApi {
    routes::carts().openapi()
}
