//! The catalogue (issue 4): brands, categories, subcategories, labels, tags, products and offers.
//!
//! - [`model`]: the stored records; [`store`]: the snapshot and transactional writes;
//! - [`snapshot`]: the version-gated cache; [`index`]: the in-memory catalogue the reads run on;
//! - [`search`], [`pricing`]: Arabic-normalized search and offer pricing (pure functions);
//! - [`input`], [`lists`], [`views`]: request bodies, list queries and response shapes;
//! - [`api`]: the state every catalogue function shares, the staff rules, and the generic routes of the
//!   five kinds that share one shape; [`docs`]: their OpenAPI description.

pub mod api;
pub mod docs;
pub mod index;
pub mod input;
pub mod lists;
pub mod model;
pub mod pricing;
pub mod search;
pub mod snapshot;
pub mod store;
pub mod views;
