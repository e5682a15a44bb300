//! The catalogue read model (ARCHITECTURE.md §6): every catalogue function keeps an in-memory snapshot
//! of the catalogue and reloads it only when the `CATALOG/VERSION` item has moved, so in the steady
//! state a public list or read costs one small GetItem whatever the catalogue's size.
//!
//! Writers put [`crate::store::bump_version`] into the same `TransactWriteItems` as their change. Readers call
//! [`SnapshotCache::get`]: it reads the version first and loads second, and tags what it loaded with the
//! version it read *before* loading. A write that lands in between makes the snapshot newer than its
//! tag, never older, and the next request reloads it: a snapshot is never stale under a current tag.
//!
//! How fresh a read is (README, "The catalogue"): staff reads and every write check the version on
//! each request, so staff see every completed write at once. Public reads check it at most once per
//! `CATALOG_FRESHNESS_MS` (default 1 s) per process, and at once after a write by the same process:
//! a public read shows every write completed at least that long before it.

use std::{
    future::Future,
    sync::Arc,
    time::{Duration, Instant},
};

use aws_sdk_dynamodb::Client;
use shared::db::StoreError;
use tokio::sync::Mutex;

use crate::store::current_version;

/// A snapshot, the version it was loaded at, and when that version was last confirmed current (`None`
/// after a write by this process: the next read checks). Kept for the life of the (warm) process.
struct Cached<T> {
    version: u64,
    snapshot: Arc<T>,
    confirmed: Option<Instant>,
}

pub struct SnapshotCache<T> {
    current: Mutex<Option<Cached<T>>>,
}

impl<T> Default for SnapshotCache<T> {
    fn default() -> Self {
        SnapshotCache {
            current: Mutex::new(None),
        }
    }
}

impl<T> SnapshotCache<T> {
    /// The snapshot for the current version: one GetItem when it is cached, plus `load` when the
    /// version moved (or on the first call). Concurrent callers in one process wait for a single reload.
    pub async fn get<F, Fut>(&self, db: &Client, table: &str, load: F) -> Result<Arc<T>, StoreError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        Ok(self.current(db, table, load).await?.1)
    }

    /// [`SnapshotCache::get`], with the version the snapshot is of.
    pub async fn current<F, Fut>(
        &self,
        db: &Client,
        table: &str,
        load: F,
    ) -> Result<(u64, Arc<T>), StoreError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        let checked_at = Instant::now();
        let version = current_version(db, table).await?;
        let mut current = self.current.lock().await;
        if let Some(cached) = current.as_mut()
            && cached.version == version
        {
            cached.confirmed = Some(checked_at);
            return Ok((version, cached.snapshot.clone()));
        }
        let snapshot = Arc::new(load().await?);
        *current = Some(Cached {
            version,
            snapshot: snapshot.clone(),
            confirmed: Some(checked_at),
        });
        Ok((version, snapshot))
    }

    /// Like [`SnapshotCache::current`], but without reading the version while it was confirmed less than
    /// `fresh_for` ago: in the steady state, one GetItem per `fresh_for` per process.
    pub async fn get_fresh<F, Fut>(
        &self,
        fresh_for: Duration,
        db: &Client,
        table: &str,
        load: F,
    ) -> Result<(u64, Arc<T>), StoreError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        if let Some(cached) = self.current.lock().await.as_ref()
            && cached.confirmed.is_some_and(|at| at.elapsed() < fresh_for)
        {
            return Ok((cached.version, cached.snapshot.clone()));
        }
        self.current(db, table, load).await
    }

    /// After this process wrote: its next read checks the version, whatever the interval.
    pub async fn unconfirm(&self) {
        if let Some(cached) = self.current.lock().await.as_mut() {
            cached.confirmed = None;
        }
    }
}
