//! Reading the catalogue (the versioned snapshot) and changing it (one transaction per request).

use std::{collections::HashMap, sync::Arc};

use aws_sdk_dynamodb::{
    Client,
    types::{AttributeValue, Delete, Put, TransactWriteItem, Update},
};

use super::{
    index::Catalog,
    model::Record,
    snapshot::{SnapshotCache, bump_version},
};
use shared::{
    ApiError, Id, Msg,
    db::{Key, StoreError},
};

/// The key of a catalogue record of `kind` (`PRODUCT`, `BRAND`, ...): `CATALOG#<KIND>` / `<id>`.
///
/// Records of one kind share a partition, refining ARCHITECTURE.md §4 (which listed them through
/// GSI1): a snapshot reload is then a *consistent* Query, so a reload that follows a version bump
/// always sees the write that bumped it. A GSI is only eventually consistent and could miss it. Ids
/// are time-ordered, so the sort key is creation order as well.
pub fn record_key(kind: &str, id: &Id) -> Key {
    Key::new(partition(kind), id.to_string())
}

/// The partition holding every catalogue record of `kind`.
pub fn partition(kind: &str) -> String {
    format!("CATALOG#{kind}")
}

/// The item whose `version` every catalogue write moves on: `CATALOG` / `VERSION`.
pub fn version_key() -> Key {
    Key::new("CATALOG".to_owned(), "VERSION")
}

/// DynamoDB's limit on items per transaction.
pub const MAX_TRANSACTION_ITEMS: usize = 100;

/// One write of a catalogue transaction, each guarded so that it applies only to what was read.
#[derive(Debug)]
pub enum Change {
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
}

impl Change {
    pub fn create(record: &impl Record) -> Change {
        Change::Create(record.to_item())
    }

    /// `revised` is the record after [`Record`]'s `rev` moved one step on.
    pub fn replace(revised: &impl Record) -> Change {
        Change::Replace {
            item: revised.to_item(),
            expected_rev: revised.rev() - 1,
        }
    }

    pub fn delete(record: &impl Record) -> Change {
        Change::Delete {
            key: record.key(),
            expected_rev: record.rev(),
        }
    }

    fn into_transact_item(self, table: &str) -> TransactWriteItem {
        let n = |v: i64| AttributeValue::N(v.to_string());
        let expect = "table, key and expressions are set";
        let builder = TransactWriteItem::builder();
        match self {
            Change::Create(item) => builder.put(
                Put::builder()
                    .table_name(table)
                    .set_item(Some(item))
                    .condition_expression("attribute_not_exists(PK)")
                    .build()
                    .expect(expect),
            ),
            Change::Replace { item, expected_rev } => builder.put(
                Put::builder()
                    .table_name(table)
                    .set_item(Some(item))
                    .condition_expression("rev = :rev")
                    .expression_attribute_values(":rev", n(expected_rev as i64))
                    .build()
                    .expect(expect),
            ),
            Change::Delete { key, expected_rev } => builder.delete(
                Delete::builder()
                    .table_name(table)
                    .set_key(Some(key.to_attributes()))
                    .condition_expression("rev = :rev")
                    .expression_attribute_values(":rev", n(expected_rev as i64))
                    .build()
                    .expect(expect),
            ),
            Change::CountLinks { key, delta } => builder.update(
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
        }
        .build()
    }
}

/// The catalogue's data access, shared by every catalogue function.
#[derive(Clone)]
pub struct CatalogStore {
    pub db: Client,
    pub table: String,
    cache: Arc<SnapshotCache<Catalog>>,
}

impl CatalogStore {
    pub fn new(db: Client, table: String) -> Self {
        CatalogStore {
            db,
            table,
            cache: Arc::default(),
        }
    }

    /// The catalogue as of now: one consistent GetItem of the version while it has not moved, plus a
    /// reload when it has.
    pub async fn snapshot(&self) -> Result<Arc<Catalog>, StoreError> {
        self.cache
            .get(&self.db, &self.table, || {
                Catalog::load(&self.db, &self.table)
            })
            .await
    }

    /// Applies `changes` and moves the catalogue version on, all or nothing. A guard that failed
    /// (something changed since the snapshot was read) is a 409 asking the client to retry.
    pub async fn apply(&self, changes: Vec<Change>) -> Result<(), ApiError> {
        if changes.len() + 1 > MAX_TRANSACTION_ITEMS {
            return Err(ApiError::Unexpected(anyhow::anyhow!(
                "a catalogue change of {} items exceeds one transaction",
                changes.len()
            )));
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
            .map_err(|e| StoreError::from_transaction(e, "Failed to write the catalogue"))
            .map(drop)
            .map_err(|error| match error {
                StoreError::TransactionCanceled(_) | StoreError::ConditionFailed => {
                    ApiError::Conflict(Msg::ChangedConcurrently)
                }
                other => other.into(),
            })
    }
}
