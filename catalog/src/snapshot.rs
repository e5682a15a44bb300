//! The catalogue read model (ARCHITECTURE.md §6): every catalogue function keeps an in-memory snapshot
//! of the catalogue and reloads it only when the `CATALOG/VERSION` item has moved, so in the steady
//! state a public list or read costs one small GetItem whatever the catalogue's size.
//!
//! Writers put [`crate::store::bump_version`] into the same `TransactWriteItems` as their change. Readers call
//! [`SnapshotCache::get`]: it reads the version first and loads second, and tags what it loaded with the
//! version it read *before* loading. A write that lands in between makes the snapshot newer than its
//! tag, never older, and the next request reloads it: a snapshot is never stale under a current tag.

use std::{future::Future, sync::Arc};

use aws_sdk_dynamodb::Client;
use shared::db::StoreError;
use tokio::sync::Mutex;

use crate::store::current_version;

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
