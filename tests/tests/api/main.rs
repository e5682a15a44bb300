//! One test binary, one module per concern (zero2prod's layout): it links once and runs in parallel.

mod auth;
mod carts;
mod catalog;
mod catalog_snapshot;
mod checkout;
mod consistency;
mod events;
mod harness;
mod iam;
mod import;
mod openapi;
mod orders;
mod shared_http;
mod shopper;
mod upload;
mod users;
mod welcome;
