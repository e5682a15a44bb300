//! DynamoDB single-table access: key layout, the table's schema, and error mapping.

pub mod error;
pub mod keys;
pub mod schema;

pub use error::{StoreError, StoreResultExt};
pub use keys::Key;
