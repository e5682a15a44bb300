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
//! - [`serve`]: the whole API in one local process (`ops serve`), as the API tests serve it.
//! - [`bench`]: a stand-in for the Lambda runtime API that measures how long a function takes to start.

pub mod accounts;
pub mod bench;
pub mod bench_auth;
pub mod bench_catalog;
pub mod bench_import;
pub mod bench_orders;
pub mod bench_upload;
pub mod bootstrap;
pub mod demo;
pub mod import;
pub mod keys;
pub mod openapi;
pub mod png;
pub mod serve;
pub mod users;
