//! The operations CLI's library: what `ops` does, reusable by the tests.
//!
//! - [`accounts`]: the first admin.
//! - [`users`]: list, show, change the role of, disable, enable and delete accounts (`ops users`).
//! - [`demo`]: the small bilingual demo catalogue `make dev` loads.
//! - [`png`]: a tiny PNG writer for the demo catalogue's pictures.
//! - [`openapi`]: the API description, merged from every function's own.
//! - [`bootstrap`]: creates the table, the upload bucket and the mail identity, and locally the payment
//!   secrets: devpay's keys, devauth's client secret, the token signing key (idempotent).
//! - [`keys`]: new token signing keys (`ops keys new`).
//! - [`bench_auth`]: DynamoDB requests and wall time of login, refresh and an authenticated call.
//! - [`bench_catalog`]: the catalogue read model with thousands of products: requests, CPU, memory, reloads.
//! - [`bench_orders`]: cart read, add and order placement: DynamoDB requests and CPU per call.
//! - [`bench_upload`]: wall time and peak memory of a 5 MB upload in the real `upload` binary.
//! - [`bench_floor`]: `products` against the floor (the leanest Lambda doing the same read): init, CPU,
//!   memory and DynamoDB requests per request.
//! - [`runtime_api`]: runs a function binary as Lambda would (a stand-in runtime API), reads its CPU
//!   and memory, and counts its AWS requests.
//! - [`serve`]: the whole API in one local process (`ops serve`), as the API tests serve it.
//! - [`bench`]: how long a function takes to start, and what it used by then.

pub mod accounts;
pub mod bench;
pub mod bench_auth;
pub mod bench_catalog;
pub mod bench_floor;
pub mod bench_import;
pub mod bench_orders;
pub mod bench_upload;
pub mod bootstrap;
pub mod demo;
pub mod import;
pub mod keys;
pub mod openapi;
pub mod png;
pub mod runtime_api;
pub mod serve;
pub mod users;
