//! DynamoDB single-table access: key layout, the table's schema, and error mapping.

pub mod error;
pub mod keys;
pub mod schema;

pub use error::{StoreError, StoreResultExt};
pub use keys::Key;

use aws_sdk_dynamodb::Client;
use serde::de::DeserializeOwned;

/// Reads one item consistently (a write a moment ago must count) and deserializes it; `what` names it
/// in errors ("a session").
pub async fn get_record<T: DeserializeOwned>(
    db: &Client,
    table: &str,
    key: &Key,
    what: &str,
) -> Result<Option<T>, StoreError> {
    let output = db
        .get_item()
        .table_name(table)
        .set_key(Some(key.to_attributes()))
        .consistent_read(true)
        .send()
        .await
        .store_context(&format!("Failed to load {what}"))?;
    output
        .item
        .map(serde_dynamo::from_item)
        .transpose()
        .map_err(|e| StoreError::Other(anyhow::anyhow!("Malformed item for {what}: {e}")))
}
