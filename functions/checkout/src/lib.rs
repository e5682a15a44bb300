//! The `checkout` function: its routes and their documentation are in `orders::routes::checkout`.

use axum::Router;
use orders::{OrdersState, routes};

pub fn router(state: OrdersState) -> Router {
    state.into_router(routes::checkout().router())
}

/// This function's part of the OpenAPI document, declared with its routes.
pub fn api_doc() -> utoipa::openapi::OpenApi {
    routes::checkout().openapi()
}
