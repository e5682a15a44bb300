//! One test binary, one module per concern (zero2prod's layout): it links once and runs in parallel.

mod auth;
mod catalog;
mod catalog_snapshot;
mod consistency;
mod events;
mod harness;
mod openapi;
mod shared_http;
mod upload;
mod welcome;
