//! The operations CLI's library: what `ops` does, reusable by the tests.
//!
//! - [`openapi`]: the API description, merged from every function's own.
//! - [`bootstrap`]: creates the table, the upload bucket and the mail identity (idempotent).
//! - [`bench`]: a stand-in for the Lambda runtime API that measures how long a function takes to start.

pub mod bench;
pub mod bootstrap;
pub mod openapi;
