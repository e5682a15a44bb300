//! The auth routes through a typed client, against the emulator.

mod account;
pub mod client;
mod codes;
mod keys;
mod oauth;
mod seed_clients;
mod tokens;
