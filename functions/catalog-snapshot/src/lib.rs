//! The `catalog-snapshot` function: keeps the catalogue snapshot object in S3 ([`catalog::stored`])
//! close behind the table, so that a fresh catalogue Lambda starts from one GetObject and the few
//! changes since, whatever the catalogue's size.
//!
//! An EventBridge schedule runs it (every few minutes; `CatalogSnapshotSchedule` in the template). It
//! keeps its own snapshot current the way every reader does (the change log), and writes the object
//! only when the catalogue moved on since the object it wrote last: an idle shop costs one GetItem a
//! run. Locally nothing schedules it; `make dev`'s Lambdas then load from the table, as they would with
//! no object at all.

use std::sync::Arc;

use aws_config::SdkConfig;
use catalog::{store::CatalogStore, stored::SnapshotObject};
use shared::{
    aws,
    config::{ConfigError, EnvReader, TableConfig},
};
use tokio::sync::Mutex;

pub struct Config {
    pub table: TableConfig,
    /// `CATALOG_SNAPSHOT_BUCKET`: where the object goes.
    pub bucket: String,
}

impl Config {
    pub fn read(mut env: EnvReader) -> Result<Self, ConfigError> {
        let config = Config {
            table: TableConfig::read(&mut env),
            bucket: env.required("CATALOG_SNAPSHOT_BUCKET"),
        };
        env.finish()?;
        Ok(config)
    }
}

#[derive(Clone)]
pub struct SnapshotWriter {
    store: CatalogStore,
    object: SnapshotObject,
    /// The version of the object this process wrote or found last; `None` until it asked S3.
    written: Arc<Mutex<Option<u64>>>,
}

/// What a run did (the function's answer to its schedule, for the logs).
#[derive(Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "camelCase")]
pub enum Outcome {
    /// The object already holds this version.
    Current { version: u64 },
    /// The object now holds this version.
    Written { version: u64, bytes: usize },
}

impl SnapshotWriter {
    pub fn new(config: Config, sdk: &SdkConfig) -> Self {
        let object = SnapshotObject {
            s3: aws::s3(sdk),
            bucket: config.bucket,
        };
        SnapshotWriter {
            store: CatalogStore::new(aws::dynamodb(sdk), config.table.table_name)
                .with_snapshot_object(Some(object.clone())),
            object,
            written: Arc::default(),
        }
    }

    /// Writes the object if the catalogue moved on since the one there.
    #[tracing::instrument(skip_all)]
    pub async fn run(&self) -> anyhow::Result<Outcome> {
        let (version, catalog) = self.store.versioned_snapshot().await?;
        let mut written = self.written.lock().await;
        if written.is_none() {
            *written = self.object.version().await?;
        }
        if written.is_some_and(|at| at >= version) {
            return Ok(Outcome::Current { version });
        }
        let bytes = self.object.write(version, &catalog).await?;
        *written = Some(version);
        tracing::info!(
            version,
            bytes,
            records = catalog.len(),
            "catalogue snapshot object written"
        );
        Ok(Outcome::Written { version, bytes })
    }
}

/// One scheduled invocation: the event (EventBridge's, `events/catalog-snapshot-schedule.json`) says
/// nothing the run needs.
pub async fn handle(writer: &SnapshotWriter, _event: serde_json::Value) -> anyhow::Result<Outcome> {
    writer.run().await
}
