//! The catalogue: brands, categories, subcategories, labels, tags, products and offers, and every
//! route of the seven catalogue functions.
//!
//! # Layout
//! - [`model`]: the stored records, one table item each; [`kind`]: what differs between the five kinds
//!   that share one shape, declared once per kind.
//! - [`store`]: the only code that builds the catalogue's keys and expressions: the snapshot read and
//!   the one transaction per write.
//! - [`snapshot`]: the version-gated cache; [`index`]: the in-memory catalogue every read runs on;
//!   [`stored`]: the same catalogue as one S3 object, where a fresh process starts from.
//! - [`search`], [`pricing`]: Arabic-normalized search and offer pricing (pure functions).
//! - [`input`], [`lists`], [`views`]: request bodies, list queries and response shapes.
//! - [`routes`]: each function's routes and the rules every write shares, declared with their OpenAPI
//!   in one table per function ([`api`]).
//! - [`CatalogState`], [`CatalogConfig`]: what every catalogue function runs with.
//!
//! # The rule
//! A function crate (`functions/brands`, ...) is a `main.rs` and a `router(state)` that picks its
//! routes here. Nothing outside this crate knows the catalogue's items: the platform (`shared`) gives
//! it config, errors, extractors and DynamoDB helpers, and the catalogue gives nothing back.

pub mod api;
pub mod caching;
pub mod index;
pub mod input;
pub mod kind;
pub mod lists;
pub mod model;
pub mod pricing;
pub mod routes;
pub mod search;
pub mod snapshot;
mod state;
pub mod store;
pub mod stored;
pub mod views;

pub use state::{CatalogConfig, CatalogState};
