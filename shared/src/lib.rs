//! The shared core of every Belta Shop function: the platform, which knows no shop domain. The
//! catalogue is the `catalog` crate, which builds on this one.
//!
//! # Layout
//! - [`config`]: typed settings from environment variables, all problems reported at once.
//! - [`aws`]: AWS SDK clients built once per process; the emulator is reached via `AWS_ENDPOINT_URL`.
//! - [`error`]: [`ApiError`], the one error type, and its `{error, code, fields?}` JSON shape.
//! - [`i18n`]: Arabic/English negotiation and every user-facing message.
//! - [`extract`]: validated JSON bodies, query parameters and path ids; the request language.
//! - [`api`]: the route table that builds a function's router and its OpenAPI description together;
//!   [`api::schema`] writes the JSON Schema of bodies whose required fields and limits a type cannot say.
//! - [`origin`]: the shop's own origins, so no redirect goes elsewhere.
//! - [`http`]: what wraps every router (404/405, panics, body limit, request log, localized errors).
//! - [`edge`]: the CDN in front of the API: which requests came through it, and their viewer's address.
//! - [`telemetry`]: JSON logs.
//! - [`text`]: which characters names and descriptions may hold.
//! - [`clock`]: the current time and Belta's ISO dates.
//! - [`id`], [`money`], [`pagination`]: Belta-compatible ids, exact money, list paging.
//! - [`auth`]: roles, token verification, the session read, and the `AuthUser`/`Staff` extractors
//!   (accounts, sessions' writes and token issuing are the `identity` crate's).
//! - [`mail`]: outgoing mail: the mail queue functions put mails on, and SES, which the mailer sends with.
//! - [`queue`]: consuming an SQS queue the way Lambda's event source mapping drives it.
//! - [`db`]: the single-table key layout, the table schema and DynamoDB error mapping.
//!
//! # How a function runs
//! Each function's `main` runs on tokio's current-thread runtime: Lambda hands a process one event at
//! a time, so worker threads would only add their start, their memory and a hand-off between threads
//! to every request (blocking work, such as password hashing, still goes to tokio's blocking pool).
//! Init does no work the first request does not need ([`aws`]); `make bench` holds every function
//! against the floor, the leanest Lambda doing a public read (README, "Budgets").

pub mod api;
pub mod auth;
pub mod aws;
pub mod clock;
pub mod config;
pub mod db;
pub mod edge;
pub mod error;
pub mod extract;
pub mod http;
pub mod i18n;
pub mod id;
pub mod mail;
pub mod money;
pub mod origin;
pub mod pagination;
pub mod queue;
pub mod telemetry;
pub mod text;

// Binaries allocate with the system's malloc. mimalloc was tried (README, Budgets): it paid for a
// warm list's allocations when each read still called the SDK, but now that warm reads stay in memory
// it saves nothing there, and it cost every function a quarter of its init CPU and a MiB of heap.

pub use error::{ApiError, ApiResult, FieldErrors};
pub use i18n::{FieldIssue, Lang, Msg, ProductProblem};
pub use id::Id;
pub use money::Money;
