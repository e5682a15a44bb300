//! The catalogue's data access: the only code that builds its keys and expressions.
//!
//! | item | PK | SK |
//! |---|---|---|
//! | catalogue record | `CATALOG#<KIND>` | `<id>` |
//! | catalogue version | `CATALOG` | `VERSION` |
//!
//! Records of one kind share a partition, refining ARCHITECTURE.md §4 (which listed them through
//! GSI1): a snapshot reload is then a *consistent* Query, so a reload that follows a version bump
//! always sees the write that bumped it. A GSI is only eventually consistent and could miss it. Ids
//! are time-ordered, so the sort key is creation order as well.
//!
//! Reads go through the version-gated snapshot ([`crate::snapshot`]); writes are one transaction per
//! request ([`CatalogStore::apply`]) that also moves the version on.

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use aws_sdk_dynamodb::{
    Client,
    types::{AttributeValue, Delete, Put, TransactWriteItem, Update},
};
use serde::de::DeserializeOwned;
use shared::{
    ApiError, Id, Msg,
    db::{Key, StoreError, StoreResultExt, keys::PK, query_all},
};

use crate::{
    index::Catalog,
    kind::Kind,
    model::{Entity, OFFER, Offer, PRODUCT, Product, Record},
    snapshot::SnapshotCache,
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

/// The record as a table item, keys included.
pub fn to_item(record: &impl Record) -> HashMap<String, AttributeValue> {
    let mut item: HashMap<String, AttributeValue> =
        serde_dynamo::to_item(record).expect("catalogue records serialize to maps");
    item.extend(record_key(record.tag(), &record.id()).to_attributes());
    item
}

/// DynamoDB's limit on items per transaction.
pub const MAX_TRANSACTION_ITEMS: usize = 100;

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

    /// The change as one item of a `TransactWriteItems`, for a transaction that spans the catalogue
    /// and other items (an order's placement); put [`bump_version`] in the same transaction.
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
            cache: Arc::default(),
            public_freshness: DEFAULT_PUBLIC_FRESHNESS,
        }
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
            .get_fresh(self.public_freshness, &self.db, &self.table, || {
                load_catalog(&self.db, &self.table)
            })
            .await
    }

    /// The catalogue as of now: one consistent GetItem of the version while it has not moved, plus a
    /// reload when it has.
    #[tracing::instrument(skip_all)]
    pub async fn snapshot(&self) -> Result<Arc<Catalog>, StoreError> {
        self.cache
            .get(&self.db, &self.table, || {
                load_catalog(&self.db, &self.table)
            })
            .await
    }

    /// Every record read and indexed now, without the cache (a snapshot reload does this).
    #[tracing::instrument(skip_all)]
    pub async fn load(&self) -> Result<Catalog, StoreError> {
        load_catalog(&self.db, &self.table).await
    }

    /// Applies `changes` and moves the catalogue version on, all or nothing.
    #[tracing::instrument(skip_all, fields(changes = changes.len()))]
    pub async fn apply(&self, changes: Vec<Change>) -> Result<(), WriteError> {
        if changes.len() + 1 > MAX_TRANSACTION_ITEMS {
            return Err(WriteError::TooLarge(changes.len()));
        }
        let items: Vec<TransactWriteItem> = changes
            .into_iter()
            .map(|c| c.into_transact_item(&self.table))
            .chain([bump_version(&self.table)])
            .collect();
        self.db
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(|e| StoreError::from_transaction(e, "Failed to write the catalogue"))?;
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
