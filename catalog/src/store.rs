//! The catalogue's data access: the only code that builds its keys and expressions.
//!
//! | item | PK | SK |
//! |---|---|---|
//! | catalogue record | `CATALOG#<KIND>` | `<id>` |
//! | catalogue version | `CATALOG` | `VERSION` |
//! | change log entry | `CATALOG#LOG` | `<version, 20 digits>` |
//!
//! Records of one kind share a partition, refining ARCHITECTURE.md §4 (which listed them through
//! GSI1): a snapshot reload is then a *consistent* Query, so a reload that follows a version bump
//! always sees the write that bumped it. A GSI is only eventually consistent and could miss it. Ids
//! are time-ordered, so the sort key is creation order as well.
//!
//! Reads go through the version-gated snapshot ([`crate::snapshot`]); writes are one transaction per
//! request ([`commit`]) that also moves the version from the one it read to the next and logs which
//! records it changed under that next version. A reader whose snapshot is a few versions old reads
//! those log entries and only the records they name ([`CatalogStore::refresh`]); the log is kept for
//! [`LOG_KEPT_FOR`], and a reader it no longer reaches back for (or that finds a version without an
//! entry, such as an import's) loads everything.

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use aws_sdk_dynamodb::{
    Client,
    types::{AttributeValue, Delete, KeysAndAttributes, Put, TransactWriteItem, Update},
};
use serde::de::DeserializeOwned;
use shared::{
    ApiError, Id, Msg,
    db::{
        Key, StoreError, StoreResultExt,
        keys::{EXPIRES_AT, PK, SK},
        query_all,
    },
};

use crate::{
    index::{Catalog, Changed},
    kind::Kind,
    model::{Entity, OFFER, Offer, PRODUCT, Product, Record},
    snapshot::{Refresh, SnapshotCache},
    stored::SnapshotObject,
};

/// The key of a catalogue record of `kind` (`PRODUCT`, `BRAND`, ...).
pub fn record_key(kind: &str, id: &Id) -> Key {
    Key::new(partition(kind), id.to_string())
}

fn partition(kind: &str) -> String {
    format!("CATALOG#{kind}")
}

fn version_key() -> Key {
    Key::new("CATALOG".to_owned(), "VERSION")
}

const LOG_PARTITION: &str = "CATALOG#LOG";

fn log_key(version: u64) -> Key {
    Key::new(LOG_PARTITION, format!("{version:020}"))
}

/// How long a change log entry is kept (DynamoDB's TTL deletes it some time after): a process whose
/// snapshot is older than that loads everything, which it would rather do anyway.
pub const LOG_KEPT_FOR: Duration = Duration::from_secs(7 * 24 * 3600);

/// The furthest behind a snapshot catches up through the log: beyond it, one full load is cheaper
/// than reading that many entries and the records they name.
pub const MAX_CATCH_UP: u64 = 500;

/// How many times [`commit`] sends a transaction whose only failure was another write moving the
/// version first.
const VERSION_RETRIES: usize = 10;

/// The record as a table item, keys included.
pub fn to_item(record: &impl Record) -> HashMap<String, AttributeValue> {
    let mut item: HashMap<String, AttributeValue> =
        serde_dynamo::to_item(record).expect("catalogue records serialize to maps");
    item.extend(record_key(record.tag(), &record.id()).to_attributes());
    item
}

/// DynamoDB's limit on items per transaction.
pub const MAX_TRANSACTION_ITEMS: usize = 100;

/// How many items of a catalogue transaction are the caller's: [`commit`] adds the version step and the
/// log entry.
pub const MAX_CHANGE_ITEMS: usize = MAX_TRANSACTION_ITEMS - 2;

/// Why a catalogue write did not apply.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// A guard failed: something changed since the snapshot the change was computed from.
    #[error("the catalogue changed since it was read")]
    ChangedConcurrently,
    #[error("a catalogue change of {0} items exceeds one transaction")]
    TooLarge(usize),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for WriteError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::TransactionCanceled(_) | StoreError::ConditionFailed => {
                WriteError::ChangedConcurrently
            }
            other => WriteError::Store(other),
        }
    }
}

impl From<WriteError> for ApiError {
    /// A write computed from a stale snapshot is a 409 asking the client to retry.
    fn from(error: WriteError) -> Self {
        match error {
            WriteError::ChangedConcurrently => ApiError::Conflict(Msg::ChangedConcurrently),
            WriteError::TooLarge(_) => ApiError::Unexpected(error.into()),
            WriteError::Store(error) => error.into(),
        }
    }
}

/// One write of a catalogue transaction, each guarded so that it applies only to what was read.
#[derive(Debug)]
pub struct Change(Op);

#[derive(Debug)]
enum Op {
    /// A new record; fails if the key exists.
    Create(HashMap<String, AttributeValue>),
    /// A new revision of a record; fails unless the stored `rev` is still `expected_rev`.
    Replace {
        item: HashMap<String, AttributeValue>,
        expected_rev: u64,
    },
    /// Fails unless the stored `rev` is still `expected_rev`.
    Delete { key: Key, expected_rev: u64 },
    /// Moves a parent's `linkCount` (and its `rev`, so a concurrent replace of it fails); fails if the
    /// parent is gone.
    CountLinks { key: Key, delta: i64 },
    /// Takes `units` from a product's stock; fails unless that many are left and it is enabled.
    TakeStock { key: Key, units: u64 },
    /// Puts `units` back into a product's stock; fails if the product is gone.
    ReturnStock { key: Key, units: u64 },
    /// Counts `units` sold at an offer's price; fails unless the offer still has that many of its
    /// `offer_quantity` left (and `offer_quantity` is still what the caller read).
    ConsumeOffer {
        key: Key,
        units: u64,
        offer_quantity: u64,
    },
    /// Gives `units` back to an offer's `offerQuantity`; fails if the offer is gone.
    ReleaseOffer { key: Key, units: u64 },
}

impl Change {
    pub fn create(record: &impl Record) -> Change {
        Change(Op::Create(to_item(record)))
    }

    /// `revised` is the record after [`Record`]'s `rev` moved one step on.
    pub fn replace(revised: &impl Record) -> Change {
        Change(Op::Replace {
            item: to_item(revised),
            expected_rev: revised.rev() - 1,
        })
    }

    pub fn delete(record: &impl Record) -> Change {
        Change(Op::Delete {
            key: record_key(record.tag(), &record.id()),
            expected_rev: record.rev(),
        })
    }

    /// Moves the `linkCount` of the entity `id` of `kind` by `delta`.
    pub fn count_links(kind: Kind, id: Id, delta: i64) -> Change {
        Change(Op::CountLinks {
            key: record_key(kind.tag(), &id),
            delta,
        })
    }

    /// Takes `units` of the product `id` out of stock (an order). Moves its `rev` too, so a staff edit
    /// computed from the record before the sale fails instead of writing the old stock back.
    pub fn take_stock(id: Id, units: u64) -> Change {
        Change(Op::TakeStock {
            key: record_key(PRODUCT, &id),
            units,
        })
    }

    /// Puts `units` of the product `id` back into stock (a cancelled order).
    pub fn return_stock(id: Id, units: u64) -> Change {
        Change(Op::ReturnStock {
            key: record_key(PRODUCT, &id),
            units,
        })
    }

    /// Counts `units` sold at the price of `offer` (as read), within its `offerQuantity`.
    pub fn consume_offer(offer: &Offer, units: u64) -> Change {
        Change(Op::ConsumeOffer {
            key: record_key(OFFER, &offer.id),
            units,
            offer_quantity: offer.offer_quantity.into(),
        })
    }

    /// Gives `units` back to the offer `id` (a cancelled order).
    pub fn release_offer(id: Id, units: u64) -> Change {
        Change(Op::ReleaseOffer {
            key: record_key(OFFER, &id),
            units,
        })
    }

    /// The key of the record this changes, for the change log.
    pub fn key(&self) -> Key {
        match &self.0 {
            Op::Create(item) | Op::Replace { item, .. } => Key::new(
                item[PK].as_s().expect("records have a string PK").clone(),
                item[SK].as_s().expect("records have a string SK").clone(),
            ),
            Op::Delete { key, .. }
            | Op::CountLinks { key, .. }
            | Op::TakeStock { key, .. }
            | Op::ReturnStock { key, .. }
            | Op::ConsumeOffer { key, .. }
            | Op::ReleaseOffer { key, .. } => key.clone(),
        }
    }

    /// The change as one item of a `TransactWriteItems`, for a transaction that spans the catalogue
    /// and other items (an order's placement); send it with [`commit`], naming [`Change::key`].
    pub fn into_transact_item(self, table: &str) -> TransactWriteItem {
        let n = |v: i64| AttributeValue::N(v.to_string());
        let expect = "table, key and expressions are set";
        let builder = TransactWriteItem::builder();
        match self.0 {
            Op::Create(item) => builder.put(
                Put::builder()
                    .table_name(table)
                    .set_item(Some(item))
                    .condition_expression("attribute_not_exists(PK)")
                    .build()
                    .expect(expect),
            ),
            Op::Replace { item, expected_rev } => builder.put(
                Put::builder()
                    .table_name(table)
                    .set_item(Some(item))
                    .condition_expression("rev = :rev")
                    .expression_attribute_values(":rev", n(expected_rev as i64))
                    .build()
                    .expect(expect),
            ),
            Op::Delete { key, expected_rev } => builder.delete(
                Delete::builder()
                    .table_name(table)
                    .set_key(Some(key.to_attributes()))
                    .condition_expression("rev = :rev")
                    .expression_attribute_values(":rev", n(expected_rev as i64))
                    .build()
                    .expect(expect),
            ),
            Op::CountLinks { key, delta } => builder.update(
                Update::builder()
                    .table_name(table)
                    .set_key(Some(key.to_attributes()))
                    .update_expression("ADD linkCount :delta, rev :one")
                    .condition_expression("attribute_exists(PK)")
                    .expression_attribute_values(":delta", n(delta))
                    .expression_attribute_values(":one", n(1))
                    .build()
                    .expect(expect),
            ),
            Op::TakeStock { key, units } => builder.update(
                Update::builder()
                    .table_name(table)
                    .set_key(Some(key.to_attributes()))
                    .update_expression("ADD quantity :taken, rev :one")
                    .condition_expression("quantity >= :units AND disabled = :false")
                    .expression_attribute_values(":taken", n(-(units as i64)))
                    .expression_attribute_values(":units", n(units as i64))
                    .expression_attribute_values(":false", AttributeValue::Bool(false))
                    .expression_attribute_values(":one", n(1))
                    .build()
                    .expect(expect),
            ),
            Op::ReturnStock { key, units } => {
                builder.update(add_to(table, key, "quantity", units as i64))
            }
            Op::ReleaseOffer { key, units } => {
                builder.update(add_to(table, key, "quantityPurchased", -(units as i64)))
            }
            Op::ConsumeOffer {
                key,
                units,
                offer_quantity,
            } => builder.update(
                Update::builder()
                    .table_name(table)
                    .set_key(Some(key.to_attributes()))
                    .update_expression("ADD quantityPurchased :units, rev :one")
                    .condition_expression(
                        "quantityPurchased <= :room AND offerQuantity = :offerQuantity",
                    )
                    .expression_attribute_values(":units", n(units as i64))
                    .expression_attribute_values(":room", n(offer_quantity as i64 - units as i64))
                    .expression_attribute_values(":offerQuantity", n(offer_quantity as i64))
                    .expression_attribute_values(":one", n(1))
                    .build()
                    .expect(expect),
            ),
        }
        .build()
    }
}

/// Adds `delta` to a record's `counter` (and moves its `rev`); fails if the record is gone.
fn add_to(table: &str, key: Key, counter: &str, delta: i64) -> Update {
    Update::builder()
        .table_name(table)
        .set_key(Some(key.to_attributes()))
        .update_expression(format!("ADD {counter} :units, rev :one"))
        .condition_expression("attribute_exists(PK)")
        .expression_attribute_values(":units", AttributeValue::N(delta.to_string()))
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
        .build()
        .expect("table, key and expressions are set")
}

/// Sends `items` in one transaction with the two writes every catalogue change needs: the version moved
/// from the one current now to the next, and the change log entry for that version naming `changed`
/// (the keys of the catalogue records that `items` write). Both go at the end, so a caller reads
/// per-item failures by its own indexes. When the only failure was another write moving the version
/// first, the same transaction is sent again: its own conditions still guard what it changes.
/// `version` is the current version if the caller has just read it (saving a read), else `None`.
#[tracing::instrument(skip_all, fields(items = items.len(), records = changed.len()))]
pub async fn commit(
    db: &Client,
    table: &str,
    items: Vec<TransactWriteItem>,
    changed: &[Key],
    mut version: Option<u64>,
    context: &str,
) -> Result<(), StoreError> {
    debug_assert!(items.len() <= MAX_CHANGE_ITEMS, "checked by the caller");
    let version_at = items.len();
    let mut attempt = 0;
    loop {
        let from = match version.take() {
            Some(version) => version,
            None => current_version(db, table).await?,
        };
        let mut all = items.clone();
        all.push(step_version(table, from));
        all.push(log_entry(table, from + 1, changed));
        let error = match db
            .transact_write_items()
            .set_transact_items(Some(all))
            .send()
            .await
        {
            Ok(_) => return Ok(()),
            Err(e) => StoreError::from_transaction(e, context),
        };
        attempt += 1;
        let only_the_version = matches!(&error, StoreError::TransactionCanceled(reasons)
        if reasons.iter().enumerate().all(|(i, r)| {
            r == "None" || i == version_at && matches!(r.as_str(), "ConditionalCheckFailed" | "TransactionConflict")
        }));
        if !only_the_version || attempt == VERSION_RETRIES {
            return Err(error);
        }
        tracing::debug!(attempt, "the catalogue version moved first; sending again");
    }
}

/// Moves the version from `from` to `from + 1`, only while it is still `from`.
fn step_version(table: &str, from: u64) -> TransactWriteItem {
    let update = Update::builder()
        .table_name(table)
        .set_key(Some(version_key().to_attributes()))
        .update_expression("SET version = :next")
        .expression_attribute_values(":next", AttributeValue::N((from + 1).to_string()));
    let update = if from == 0 {
        update.condition_expression("attribute_not_exists(version)")
    } else {
        update
            .condition_expression("version = :from")
            .expression_attribute_values(":from", AttributeValue::N(from.to_string()))
    };
    let update = update.build().expect("table, key and expression are set");
    TransactWriteItem::builder().update(update).build()
}

/// The change log entry of `version`: the keys of the records it changed, kept for [`LOG_KEPT_FOR`].
fn log_entry(table: &str, version: u64, changed: &[Key]) -> TransactWriteItem {
    let expires_at = shared::clock::now_secs() + LOG_KEPT_FOR.as_secs() as i64;
    let records = changed
        .iter()
        .map(|key| {
            AttributeValue::M(
                key.to_attributes()
                    .into_iter()
                    .map(|(name, value)| (name.to_lowercase(), value))
                    .collect(),
            )
        })
        .collect();
    let mut item = log_key(version).to_attributes();
    item.insert("records".into(), AttributeValue::L(records));
    item.insert(EXPIRES_AT.into(), AttributeValue::N(expires_at.to_string()));
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .build()
        .expect("table and item are set");
    TransactWriteItem::builder().put(put).build()
}

/// A change log entry as stored.
#[derive(serde::Deserialize)]
struct LogEntry {
    #[serde(rename = "SK")]
    version: String,
    records: Vec<LoggedKey>,
}

#[derive(serde::Deserialize)]
struct LoggedKey {
    pk: String,
    sk: String,
}

/// The keys of the records changed after version `from` up to `to`, or `None` when the log does not
/// hold every one of those versions (expired, or a version moved on without an entry: an import).
async fn changed_between(
    db: &Client,
    table: &str,
    from: u64,
    to: u64,
) -> Result<Option<Vec<Key>>, StoreError> {
    let query = db
        .query()
        .table_name(table)
        .key_condition_expression("#pk = :log AND #sk BETWEEN :first AND :last")
        .expression_attribute_names("#pk", PK)
        .expression_attribute_names("#sk", SK)
        .expression_attribute_values(":log", AttributeValue::S(LOG_PARTITION.into()))
        .expression_attribute_values(":first", AttributeValue::S(log_key(from + 1).sk))
        .expression_attribute_values(":last", AttributeValue::S(log_key(to).sk));
    let entries: Vec<LogEntry> = query_all(query, "the catalogue change log").await?;
    let complete = entries.len() as u64 == to - from
        && entries
            .iter()
            .zip(from + 1..)
            .all(|(entry, version)| entry.version.parse() == Ok(version));
    if !complete {
        return Ok(None);
    }
    let mut keys: Vec<Key> = entries
        .into_iter()
        .flat_map(|entry| entry.records)
        .map(|LoggedKey { pk, sk }| Key::new(pk, sk))
        .collect();
    keys.sort_by(|a, b| (&a.pk, &a.sk).cmp(&(&b.pk, &b.sk)));
    keys.dedup();
    Ok(Some(keys))
}

/// The records behind `keys` as they are now (consistent reads, a hundred keys per request), each
/// as a [`Changed`]; a key whose record is gone becomes the record's removal.
async fn read_changed(
    db: &Client,
    table: &str,
    keys: Vec<Key>,
) -> Result<Vec<Changed>, StoreError> {
    let mut found: HashMap<(String, String), HashMap<String, AttributeValue>> = HashMap::new();
    for chunk in keys.chunks(100) {
        let mut pending = Some(
            KeysAndAttributes::builder()
                .set_keys(Some(chunk.iter().map(Key::to_attributes).collect()))
                .consistent_read(true)
                .build()
                .expect("keys are set"),
        );
        while let Some(request) = pending.take() {
            let output = db
                .batch_get_item()
                .request_items(table, request)
                .send()
                .await
                .store_context("Failed to read changed catalogue records")?;
            for item in output
                .responses
                .unwrap_or_default()
                .remove(table)
                .unwrap_or_default()
            {
                let key = (
                    item[PK].as_s().cloned().unwrap_or_default(),
                    item[SK].as_s().cloned().unwrap_or_default(),
                );
                found.insert(key, item);
            }
            // What DynamoDB did not get to this time (throughput): asked again.
            pending = output
                .unprocessed_keys
                .and_then(|mut left| left.remove(table))
                .filter(|left| !left.keys().is_empty());
        }
    }
    keys.into_iter()
        .map(|key| {
            let item = found.remove(&(key.pk.clone(), key.sk.clone()));
            changed_record(&key, item)
        })
        .collect()
}

/// One changed record from its key and its item (`None`: it is gone).
fn changed_record(
    key: &Key,
    item: Option<HashMap<String, AttributeValue>>,
) -> Result<Changed, StoreError> {
    let malformed = |e: serde_dynamo::Error| {
        StoreError::Other(anyhow::anyhow!(
            "Malformed catalogue record {}/{}: {e}",
            key.pk,
            key.sk
        ))
    };
    let id: Id = key.sk.parse().map_err(|_| {
        StoreError::Other(anyhow::anyhow!("A catalogue key without an id: {}", key.sk))
    })?;
    Ok(if key.pk == partition(PRODUCT) {
        Changed::Product(
            id,
            item.map(serde_dynamo::from_item)
                .transpose()
                .map_err(malformed)?,
        )
    } else if key.pk == partition(OFFER) {
        Changed::Offer(
            id,
            item.map(serde_dynamo::from_item)
                .transpose()
                .map_err(malformed)?,
        )
    } else {
        Changed::Entity(
            id,
            item.map(serde_dynamo::from_item)
                .transpose()
                .map_err(malformed)?,
        )
    })
}

/// Moves the catalogue version on without a change log entry: every reader then loads everything.
/// For bulk writes that no log entry could name (an import); a request's write uses [`commit`].
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

/// Reads every catalogue record (consistently, all kinds concurrently) and indexes them.
async fn load_catalog(db: &Client, table: &str) -> Result<Catalog, StoreError> {
    let started = Instant::now();
    let entity_loads = futures_util::future::try_join_all(
        Kind::ALL.map(|kind| async move { load_kind::<Entity>(db, table, kind.tag()).await }),
    );
    let (entities, products, offers) = tokio::try_join!(
        entity_loads,
        load_kind::<Product>(db, table, PRODUCT),
        load_kind::<Offer>(db, table, OFFER),
    )?;
    let catalog = Catalog::build(entities.into_iter().flatten().collect(), products, offers);
    tracing::info!(
        records = catalog.len(),
        bytes = catalog.heap_bytes(),
        millis = started.elapsed().as_millis() as u64,
        "catalogue snapshot loaded"
    );
    Ok(catalog)
}

/// The catalogue's data access, shared by every catalogue function.
#[derive(Clone)]
pub struct CatalogStore {
    db: Client,
    table: String,
    /// Where a fresh process starts from, if the deployment keeps one ([`crate::stored`]).
    object: Option<SnapshotObject>,
    cache: Arc<SnapshotCache<Catalog>>,
    /// How long a public read trusts a version this process confirmed ([`crate::snapshot`]).
    public_freshness: Duration,
}

/// `CATALOG_FRESHNESS_MS`'s default.
pub const DEFAULT_PUBLIC_FRESHNESS: Duration = Duration::from_secs(1);

impl CatalogStore {
    pub fn new(db: Client, table: String) -> Self {
        CatalogStore {
            db,
            table,
            object: None,
            cache: Arc::default(),
            public_freshness: DEFAULT_PUBLIC_FRESHNESS,
        }
    }

    /// Starts a fresh snapshot from the snapshot object in S3 when it can.
    pub fn with_snapshot_object(mut self, object: Option<SnapshotObject>) -> Self {
        self.object = object;
        self
    }

    pub fn with_public_freshness(mut self, freshness: Duration) -> Self {
        self.public_freshness = freshness;
        self
    }

    /// The catalogue for a public read, and its version: the version is read at most once per
    /// `public_freshness` (and at once after this process wrote).
    #[tracing::instrument(skip_all)]
    pub async fn public_snapshot(&self) -> Result<(u64, Arc<Catalog>), StoreError> {
        self.cache
            .get_fresh(self.public_freshness, &self.db, &self.table, |held, to| {
                self.refresh(held, to)
            })
            .await
    }

    /// The catalogue as of now: one consistent GetItem of the version while it has not moved, plus a
    /// reload when it has.
    #[tracing::instrument(skip_all)]
    pub async fn snapshot(&self) -> Result<Arc<Catalog>, StoreError> {
        self.cache
            .get(&self.db, &self.table, |held, to| self.refresh(held, to))
            .await
    }

    /// How a snapshot held at version `held` comes up to `to`: the records the change log names, while
    /// it reaches back that far; otherwise the snapshot object and the changes since it; otherwise
    /// everything, loaded from the table.
    async fn refresh(&self, held: Option<u64>, to: u64) -> Result<Refresh<Catalog>, StoreError> {
        if let Some(from) = held
            && let Some(changes) = self.changes_between(from, to).await?
        {
            return Ok(Refresh::Changes(changes));
        }
        if let Some(object) = &self.object {
            let started = Instant::now();
            if let Some((at, mut catalog)) = object.read().await {
                // An object newer than `to` is fine: a snapshot may be newer than its tag, never older.
                let changes = if at >= to {
                    Some(Vec::new())
                } else {
                    self.changes_between(at, to).await?
                };
                if let Some(changes) = changes {
                    catalog.apply(changes);
                    tracing::info!(
                        at,
                        to,
                        records = catalog.len(),
                        millis = started.elapsed().as_millis() as u64,
                        "catalogue snapshot started from the snapshot object"
                    );
                    return Ok(Refresh::Whole(catalog));
                }
            }
        }
        Ok(Refresh::Whole(load_catalog(&self.db, &self.table).await?))
    }

    /// The records changed after version `from` up to `to`, as they are now, while the change log
    /// reaches back that far (and `from` is at most [`MAX_CATCH_UP`] behind).
    async fn changes_between(
        &self,
        from: u64,
        to: u64,
    ) -> Result<Option<Vec<Changed>>, StoreError> {
        if from >= to || to - from > MAX_CATCH_UP {
            return Ok(None);
        }
        let started = Instant::now();
        let Some(keys) = changed_between(&self.db, &self.table, from, to).await? else {
            return Ok(None);
        };
        let changes = read_changed(&self.db, &self.table, keys).await?;
        tracing::info!(
            from,
            to,
            records = changes.len(),
            millis = started.elapsed().as_millis() as u64,
            "catalogue snapshot caught up through the change log"
        );
        Ok(Some(changes))
    }

    /// The snapshot as of now and its version, whole (the `catalog-snapshot` function writes it out).
    pub async fn versioned_snapshot(&self) -> Result<(u64, Arc<Catalog>), StoreError> {
        self.cache
            .current(&self.db, &self.table, |held, to| self.refresh(held, to))
            .await
    }

    /// Every record read and indexed now, without the cache (a snapshot reload does this).
    #[tracing::instrument(skip_all)]
    pub async fn load(&self) -> Result<Catalog, StoreError> {
        load_catalog(&self.db, &self.table).await
    }

    /// Applies `changes`, moves the catalogue version on and logs what changed, all or nothing.
    #[tracing::instrument(skip_all, fields(changes = changes.len()))]
    pub async fn apply(&self, changes: Vec<Change>) -> Result<(), WriteError> {
        if changes.len() > MAX_CHANGE_ITEMS {
            return Err(WriteError::TooLarge(changes.len()));
        }
        let keys: Vec<Key> = changes.iter().map(Change::key).collect();
        let items = changes
            .into_iter()
            .map(|c| c.into_transact_item(&self.table))
            .collect();
        // The route read the snapshot just before: its version is almost always still current.
        let version = self.cache.held_version().await;
        commit(
            &self.db,
            &self.table,
            items,
            &keys,
            version,
            "Failed to write the catalogue",
        )
        .await?;
        self.cache.unconfirm().await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::Money;

    use crate::model::Product;

    #[test]
    fn records_round_trip_through_table_items() {
        let mut product = Product::new(1);
        product.name_ar = "قهوة".into();
        product.name_en = "Coffee".into();
        product.cover_list = vec!["https://cdn.example/a.jpg".into()];
        product.quantity = 3;
        product.price = Money::from_minor(12_345);
        product.min_price = Money::from_minor(5);
        product.employee_read_only = true;
        product.brand = Some(Id::new());
        product.labels = vec![Id::new()];
        product.rev = 7;
        let item = to_item(&product);
        assert_eq!(item["PK"].as_s().unwrap(), "CATALOG#PRODUCT");
        let back: Product = serde_dynamo::from_item(item).unwrap();
        assert_eq!(back, product);
    }
}
