//! The catalogue read model (ARCHITECTURE.md §6): every catalogue function keeps an in-memory snapshot
//! of the catalogue and reloads it only when the `CATALOG/VERSION` item has moved, so in the steady
//! state a public list or read costs one small GetItem whatever the catalogue's size.
//!
//! Writers put [`bump_version`] into the same `TransactWriteItems` as their change. Readers call
//! [`SnapshotCache::get`]: it reads the version first and loads second, and tags what it loaded with the
//! version it read *before* loading. A write that lands in between makes the snapshot newer than its
//! tag, never older, and the next request reloads it: a snapshot is never stale under a current tag.

use std::{future::Future, sync::Arc};

use aws_sdk_dynamodb::{
    Client,
    types::{AttributeValue, TransactWriteItem, Update},
};
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;

use shared::db::{StoreError, StoreResultExt, keys::PK, query_all};

use crate::store::{partition, version_key};

/// The write that moves the catalogue version on; put it in every catalogue write transaction.
pub fn bump_version(table: &str) -> TransactWriteItem {
    let update = Update::builder()
        .table_name(table)
        .set_key(Some(version_key().to_attributes()))
        .update_expression("ADD version :one")
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
        .build()
        .expect("table, key and expression are set");
    TransactWriteItem::builder().update(update).build()
}

/// The current catalogue version (0 before the first write), read consistently so that a write is seen
/// by the very next read.
pub async fn current_version(db: &Client, table: &str) -> Result<u64, StoreError> {
    let output = db
        .get_item()
        .table_name(table)
        .set_key(Some(version_key().to_attributes()))
        .consistent_read(true)
        .send()
        .await
        .store_context("Failed to read the catalogue version")?;
    Ok(output
        .item
        .and_then(|item| item.get("version")?.as_n().ok()?.parse().ok())
        .unwrap_or(0))
}

/// Every record of one kind in creation order, all pages, read consistently: a reload that follows a
/// version bump sees the write behind it.
pub async fn load_kind<T: DeserializeOwned>(
    db: &Client,
    table: &str,
    kind: &str,
) -> Result<Vec<T>, StoreError> {
    let query = db
        .query()
        .table_name(table)
        .key_condition_expression("#pk = :partition")
        .expression_attribute_names("#pk", PK)
        .expression_attribute_values(":partition", AttributeValue::S(partition(kind)));
    query_all(query, kind).await
}

/// A snapshot and the version it was loaded at, kept for the life of the (warm) Lambda process.
pub struct SnapshotCache<T> {
    current: Mutex<Option<(u64, Arc<T>)>>,
}

impl<T> Default for SnapshotCache<T> {
    fn default() -> Self {
        SnapshotCache {
            current: Mutex::new(None),
        }
    }
}

impl<T> SnapshotCache<T> {
    /// The snapshot for the current version: one GetItem when it is cached, plus `load` when the version
    /// moved (or on the first call). Concurrent callers in one process wait for a single reload.
    pub async fn get<F, Fut>(&self, db: &Client, table: &str, load: F) -> Result<Arc<T>, StoreError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        let version = current_version(db, table).await?;
        let mut current = self.current.lock().await;
        if let Some((cached_version, snapshot)) = current.as_ref()
            && *cached_version == version
        {
            return Ok(snapshot.clone());
        }
        let snapshot = Arc::new(load().await?);
        *current = Some((version, snapshot.clone()));
        Ok(snapshot)
    }
}
