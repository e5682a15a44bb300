//! The catalogue read model (ARCHITECTURE.md §6): every catalogue function keeps an in-memory snapshot
//! of the catalogue and brings it up to date only when the `CATALOG/VERSION` item has moved, so in
//! the steady state a public list or read costs nothing but the version check, and that at most once
//! per freshness interval.
//!
//! Writers send their change with [`crate::store::commit`], which moves the version on and logs what
//! changed. Readers call [`SnapshotCache::get`], whose `refresh` reads the version first (with the
//! changes since the version held, in the same Query) and the records second, and tags the result
//! with the version it read *before* the records. A write that lands in between makes the snapshot
//! newer than its tag, never older, and the next request refreshes again (applying a record as it is
//! now twice changes nothing): a snapshot is never stale under a current tag.
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

use shared::db::StoreError;
use tokio::sync::Mutex;

/// How a snapshot comes up to date: it already is (the version has not moved), loaded whole, or the
/// changes since the version it holds.
pub enum Refresh<T: Incremental> {
    Unchanged,
    Whole(T),
    Changes(T::Changes),
}

/// A snapshot that can take changes in place.
pub trait Incremental: Clone {
    type Changes;
    fn apply(&mut self, changes: Self::Changes);
}

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

impl<T: Incremental> SnapshotCache<T> {
    /// The snapshot for the current version. `refresh` gets the version held (if any) and answers the
    /// version now with how the snapshot comes up to it: one Query while it has not moved (the store's),
    /// plus what changed when it has. Concurrent callers in one process wait for a single refresh.
    pub async fn get<F, Fut>(&self, refresh: F) -> Result<Arc<T>, StoreError>
    where
        F: FnOnce(Option<u64>) -> Fut,
        Fut: Future<Output = Result<(u64, Refresh<T>), StoreError>>,
    {
        Ok(self.current(refresh).await?.1)
    }

    /// [`SnapshotCache::get`], with the version the snapshot is of.
    ///
    /// Changes are applied in place when no caller holds the old snapshot any more (in Lambda, one
    /// request at a time: the usual case); otherwise on a copy of all of it, which the callers holding
    /// the old one never see. So a request lets the snapshot it read go before it reads again after
    /// its own write.
    pub async fn current<F, Fut>(&self, refresh: F) -> Result<(u64, Arc<T>), StoreError>
    where
        F: FnOnce(Option<u64>) -> Fut,
        Fut: Future<Output = Result<(u64, Refresh<T>), StoreError>>,
    {
        let asked_at = Instant::now();
        let mut current = self.current.lock().await;
        // Confirmed by another caller after this one asked (while it waited for the lock): as fresh as
        // reading the version again.
        if let Some(cached) = current.as_ref()
            && cached.confirmed.is_some_and(|at| at >= asked_at)
        {
            return Ok((cached.version, cached.snapshot.clone()));
        }
        let checked_at = Instant::now();
        // Read first (this can fail, and then the held snapshot stays), change second.
        let (version, refreshed) = refresh(current.as_ref().map(|c| c.version)).await?;
        let snapshot = match refreshed {
            Refresh::Unchanged => {
                let cached = current.as_mut().expect("only a held snapshot is unchanged");
                cached.confirmed = Some(checked_at);
                return Ok((version, cached.snapshot.clone()));
            }
            Refresh::Whole(whole) => Arc::new(whole),
            Refresh::Changes(changes) => {
                let held = current
                    .take()
                    .expect("changes are only read for a held snapshot");
                let mut snapshot = held.snapshot;
                if Arc::get_mut(&mut snapshot).is_none() {
                    tracing::warn!("the catalogue snapshot is still held: catching up on a copy");
                }
                Arc::make_mut(&mut snapshot).apply(changes);
                snapshot
            }
        };
        *current = Some(Cached {
            version,
            snapshot: snapshot.clone(),
            confirmed: Some(checked_at),
        });
        Ok((version, snapshot))
    }

    /// Like [`SnapshotCache::current`], but without reading the version while it was confirmed less than
    /// `fresh_for` ago: in the steady state, one Query per `fresh_for` per process.
    pub async fn get_fresh<F, Fut>(
        &self,
        fresh_for: Duration,
        refresh: F,
    ) -> Result<(u64, Arc<T>), StoreError>
    where
        F: FnOnce(Option<u64>) -> Fut,
        Fut: Future<Output = Result<(u64, Refresh<T>), StoreError>>,
    {
        if let Some(cached) = self.current.lock().await.as_ref()
            && cached.confirmed.is_some_and(|at| at.elapsed() < fresh_for)
        {
            return Ok((cached.version, cached.snapshot.clone()));
        }
        self.current(refresh).await
    }

    /// The version of the snapshot held, if any.
    pub async fn held_version(&self) -> Option<u64> {
        self.current.lock().await.as_ref().map(|c| c.version)
    }

    /// After this process wrote: its next read checks the version, whatever the interval.
    pub async fn unconfirm(&self) {
        if let Some(cached) = self.current.lock().await.as_mut() {
            cached.confirmed = None;
        }
    }
}
