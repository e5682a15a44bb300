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

/// Every item of one Query, all pages, read consistently, deserialized; `what` names them in errors
/// ("sessions"). `query` is a fully built Query (table, key condition, values) that this helper pages.
pub async fn query_all<T: DeserializeOwned>(
    query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    what: &str,
) -> Result<Vec<T>, StoreError> {
    all_pages(query.consistent_read(true), what).await
}

/// Like [`query_all`], for a Query of a secondary index, which DynamoDB reads only eventually
/// consistently ([`keys::GSI1`]).
pub async fn query_index_all<T: DeserializeOwned>(
    query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    what: &str,
) -> Result<Vec<T>, StoreError> {
    all_pages(query, what).await
}

async fn all_pages<T: DeserializeOwned>(
    query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    what: &str,
) -> Result<Vec<T>, StoreError> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let page = query
            .clone()
            .set_exclusive_start_key(start)
            .send()
            .await
            .store_context(&format!("Failed to load {what}"))?;
        for item in page.items.unwrap_or_default() {
            items.push(serde_dynamo::from_item(item).map_err(|e| {
                StoreError::Other(anyhow::anyhow!("Malformed item in {what}: {e}"))
            })?);
        }
        start = page.last_evaluated_key;
        if start.is_none() {
            return Ok(items);
        }
    }
}
