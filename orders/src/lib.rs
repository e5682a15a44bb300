//! Carts, checkout and orders: the active and draft carts, checkout sessions with the payment
//! provider, the one transaction that places an order, and orders; every route of the `carts`,
//! `checkout` and `orders` functions.
//!
//! # Layout
//! - [`model`]: the stored records; [`store`]: the only code that builds their keys and expressions
//!   (its docs list the items), including the placement transaction.
//! - [`checkout`]: a checkout's lines and the idempotent placement of a paid order.
//! - [`cart`]: what a cart does (add, remove, the lines cap, moving lines to the draft cart), pure.
//! - [`input`], [`views`]: request bodies and response shapes.
//! - [`routes`]: each function's routes, declared with their OpenAPI.
//! - [`OrdersState`], [`OrdersConfig`]: what the three functions run with.
//!
//! # The rule
//! Prices and stock come from the catalogue's snapshot (`catalog::store::CatalogStore`), and every
//! catalogue write (stock, offer units, the version) is a `catalog::store::Change`, so the catalogue
//! crate stays the only code that knows its items. Users are read through `identity`.

pub mod cart;
pub mod checkout;
pub mod input;
pub mod model;
pub mod routes;
mod state;
pub mod store;
pub mod views;

pub use state::{OrdersConfig, OrdersState};
