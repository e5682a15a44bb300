//! `ops import-belta --from <dir>`: a running Belta shop's MongoDB data (a `mongoexport` dump, one file
//! per collection) into our table, keeping every `_id`, `createdAt`, `updatedAt` and relation, so
//! Belta's front-ends, URLs and local storage keep working (README, "Switching over from Belta").
//!
//! - [`ejson`] reads the dump, [`map`] turns documents into our records (and says what it cannot map
//!   and why), [`images`] copies image URLs into our bucket with `--copy-images`.
//! - Each item is written with `attribute_not_exists(PK)`: a second run writes nothing, an interrupted
//!   run finishes when started again, and nothing the new API changed since an earlier run is
//!   overwritten. Parents are written before what links to them.
//! - Afterwards the catalogue version moves on (warm functions reload) and the users are reindexed
//!   (the admin count), both idempotent.

pub mod ejson;
pub mod images;
pub mod map;

use std::{
    collections::{BTreeMap, HashMap},
    fmt,
    path::Path,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Instant,
};

use aws_sdk_dynamodb::types::AttributeValue;
use futures_util::StreamExt;
use identity::users::UserStore;
use shared::db::{StoreError, StoreResultExt};

use self::{
    ejson::Doc,
    map::{Item, Note, Tally},
};

/// Each collection's documents with their line numbers; a line that is no document keeps its error.
pub type Dump = BTreeMap<String, Vec<(usize, Result<Doc, String>)>>;

/// Conditional puts in flight at once.
const WRITES_AT_ONCE: usize = 32;

/// Reads every `<collection>.json` (or `.jsonl`) of `dir`: one Extended JSON document per line, as
/// `mongoexport` writes them without `--jsonArray`.
pub fn read_dump(dir: &Path) -> anyhow::Result<Dump> {
    let mut dump = Dump::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let (Some(stem), Some("json" | "jsonl")) = (
            path.file_stem().and_then(|s| s.to_str()),
            path.extension().and_then(|s| s.to_str()),
        ) else {
            continue;
        };
        let text = std::fs::read_to_string(&path)?;
        if text.trim_start().starts_with('[') {
            anyhow::bail!(
                "{} is a JSON array: export without --jsonArray (one document per line)",
                path.display()
            );
        }
        let docs = text
            .lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(index, line)| (index + 1, Doc::parse(line)))
            .collect();
        dump.insert(stem.to_owned(), docs);
    }
    Ok(dump)
}

/// The collections we know, imported or not.
fn known(collection: &str) -> bool {
    map::ENTITIES.iter().any(|(name, _)| *name == collection)
        || [
            map::PRODUCTS,
            map::OFFERS,
            map::USERS,
            map::USER_EMAILS,
            map::USER_PROVIDERS,
            map::ACTIVE_CARTS,
            map::DRAFT_CARTS,
            map::ORDERS,
        ]
        .contains(&collection)
}

pub struct Target {
    pub db: aws_sdk_dynamodb::Client,
    pub s3: aws_sdk_s3::Client,
    pub table: String,
    pub bucket: String,
    pub public_base_url: String,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Map and report only; nothing is fetched or written.
    pub dry_run: bool,
    pub copy_images: bool,
}

/// How far the writes are; shared with whoever shows it.
#[derive(Debug, Default)]
pub struct Progress {
    pub total: AtomicUsize,
    pub written: AtomicUsize,
    pub present: AtomicUsize,
    pub collection: Mutex<&'static str>,
}

impl Progress {
    pub fn done(&self) -> usize {
        self.written.load(Ordering::Relaxed) + self.present.load(Ordering::Relaxed)
    }
}

/// What an import did (or, with `--dry-run`, would do).
#[derive(Debug, Default)]
pub struct Report {
    pub dry_run: bool,
    pub tallies: BTreeMap<&'static str, Tally>,
    /// Items per collection: to write (dry run), written, and already there.
    pub items: BTreeMap<&'static str, usize>,
    pub written: BTreeMap<&'static str, usize>,
    pub present: BTreeMap<&'static str, usize>,
    pub skipped: Vec<Note>,
    pub changed: Vec<Note>,
    /// Files not imported, and why.
    pub not_imported: Vec<(String, String)>,
    pub images_copied: usize,
    pub images_failed: Vec<(String, String)>,
    /// Write capacity units consumed, by DynamoDB's rule (one per started KB of each item written or
    /// refused by its condition).
    pub write_units: u64,
    /// Of which for products.
    pub product_write_units: u64,
    pub seconds: f64,
}

impl Report {
    pub fn items_written(&self) -> usize {
        self.written.values().sum()
    }
}

pub async fn run(
    target: &Target,
    dir: &Path,
    options: Options,
    progress: Arc<Progress>,
) -> anyhow::Result<Report> {
    let started = Instant::now();
    let dump = read_dump(dir)?;
    let mut report = Report {
        dry_run: options.dry_run,
        ..Report::default()
    };
    for collection in dump.keys() {
        if let Some((_, why)) = map::NOT_IMPORTED
            .iter()
            .find(|(name, _)| name == collection)
        {
            report
                .not_imported
                .push((collection.clone(), (*why).to_owned()));
        } else if !known(collection) {
            report
                .not_imported
                .push((collection.clone(), "not a Belta collection".to_owned()));
        }
    }

    let mut rewrites = HashMap::new();
    if options.copy_images && !options.dry_run {
        let docs = dump
            .values()
            .flatten()
            .filter_map(|(_, doc)| doc.clone().ok());
        let copied = images::copy(
            images::urls(docs),
            &images::Target {
                s3: &target.s3,
                bucket: &target.bucket,
                public_base_url: &target.public_base_url,
            },
        )
        .await;
        report.images_copied = copied.rewrites.len();
        report.images_failed = copied.failed;
        rewrites = copied.rewrites;
    }

    let plan = map::plan(&dump, &rewrites);
    report.tallies = plan.tallies;
    report.skipped = plan.skipped;
    report.changed = plan.changed;
    for (collection, items) in &plan.batches {
        report.items.insert(collection, items.len());
    }
    if options.dry_run {
        report.seconds = started.elapsed().as_secs_f64();
        return Ok(report);
    }

    progress.total.store(
        plan.batches.iter().map(|(_, items)| items.len()).sum(),
        Ordering::Relaxed,
    );
    for (collection, items) in plan.batches {
        *progress.collection.lock().expect("not poisoned") = collection;
        let units: u64 = items.iter().map(write_units).sum();
        let results: Vec<Result<bool, StoreError>> = futures_util::stream::iter(items)
            .map(|item| {
                let progress = &progress;
                async move {
                    let written = put_new(target, item).await?;
                    let counter = if written {
                        &progress.written
                    } else {
                        &progress.present
                    };
                    counter.fetch_add(1, Ordering::Relaxed);
                    Ok(written)
                }
            })
            .buffer_unordered(WRITES_AT_ONCE)
            .collect()
            .await;
        report.write_units += units;
        if collection == map::PRODUCTS {
            report.product_write_units = units;
        }
        for result in results {
            let count = match result? {
                true => report.written.entry(collection),
                false => report.present.entry(collection),
            };
            *count.or_default() += 1;
        }
    }

    // Warm functions reload the catalogue; the admin count and the user list follow the profiles.
    target
        .db
        .transact_write_items()
        .transact_items(catalog::store::bump_version(&target.table))
        .send()
        .await
        .map_err(|e| StoreError::from_transaction(e, "Failed to move the catalogue version"))?;
    UserStore::new(target.db.clone(), &target.table)
        .reindex()
        .await?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Writes `item` unless its key exists; whether it wrote.
async fn put_new(target: &Target, item: Item) -> Result<bool, StoreError> {
    let put = target
        .db
        .put_item()
        .table_name(&target.table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(PK)")
        .send()
        .await
        .store_context("Failed to import an item");
    match put {
        Ok(_) => Ok(true),
        Err(StoreError::ConditionFailed) => Ok(false),
        Err(e) => Err(e),
    }
}

/// DynamoDB's size of an item (attribute names plus values), in write units of 1 KB.
fn write_units(item: &Item) -> u64 {
    fn size(value: &AttributeValue) -> usize {
        match value {
            AttributeValue::S(s) => s.len(),
            // Numbers take about one byte per two significant digits, plus one.
            AttributeValue::N(n) => n.len().div_ceil(2) + 1,
            AttributeValue::B(b) => b.as_ref().len(),
            AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
            AttributeValue::L(list) => 3 + list.iter().map(|v| 1 + size(v)).sum::<usize>(),
            AttributeValue::M(map) => {
                3 + map
                    .iter()
                    .map(|(k, v)| 1 + k.len() + size(v))
                    .sum::<usize>()
            }
            AttributeValue::Ss(set) => set.iter().map(String::len).sum(),
            AttributeValue::Ns(set) => set.iter().map(|n| n.len().div_ceil(2) + 1).sum(),
            _ => 0,
        }
    }
    let bytes: usize = item.iter().map(|(k, v)| k.len() + size(v)).sum();
    bytes.div_ceil(1024).max(1) as u64
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.dry_run {
            "would write"
        } else {
            "written"
        };
        writeln!(
            f,
            "{:<16} {:>8} {:>8} {:>8} {:>12} {:>10}",
            "collection", "read", "mapped", "skipped", "items", "present"
        )?;
        for (collection, tally) in &self.tallies {
            let items = match self.dry_run {
                true => self.items.get(collection),
                false => self.written.get(collection),
            };
            writeln!(
                f,
                "{:<16} {:>8} {:>8} {:>8} {:>12} {:>10}",
                collection,
                tally.read,
                tally.mapped,
                tally.skipped,
                items.copied().unwrap_or(0),
                self.present.get(collection).copied().unwrap_or(0),
            )?;
        }
        writeln!(
            f,
            "(items: {verb}; present: already in the table, left as they are)"
        )?;
        for (collection, why) in &self.not_imported {
            writeln!(f, "not imported: {collection} ({why})")?;
        }
        if !self.skipped.is_empty() {
            writeln!(f, "\nskipped ({}):", self.skipped.len())?;
            for note in &self.skipped {
                writeln!(f, "  {} {}: {}", note.collection, note.record, note.reason)?;
            }
        }
        if !self.changed.is_empty() {
            writeln!(f, "\nimported with a change ({}):", self.changed.len())?;
            for note in &self.changed {
                writeln!(f, "  {} {}: {}", note.collection, note.record, note.reason)?;
            }
        }
        if self.images_copied > 0 || !self.images_failed.is_empty() {
            writeln!(f, "\nimages copied: {}", self.images_copied)?;
            for (url, why) in &self.images_failed {
                writeln!(f, "  not copied (URL kept): {url}: {why}")?;
            }
        }
        if !self.dry_run {
            writeln!(
                f,
                "\n{} items in {:.1} s ({:.0} items/s), {} write units",
                self.written.values().sum::<usize>() + self.present.values().sum::<usize>(),
                self.seconds,
                (self.written.values().sum::<usize>() + self.present.values().sum::<usize>())
                    as f64
                    / self.seconds.max(0.001),
                self.write_units
            )?;
        }
        Ok(())
    }
}

/// Runs `import` while printing its progress on stderr once a second: the collection being written,
/// items done of all, items per second, and the time left at that rate.
pub async fn show_progress<F, Fut>(import: F) -> anyhow::Result<Report>
where
    F: FnOnce(Arc<Progress>) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Report>>,
{
    let progress = Arc::new(Progress::default());
    let printer = {
        let progress = progress.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let mut ticks = tokio::time::interval(std::time::Duration::from_secs(1));
            ticks.tick().await;
            loop {
                ticks.tick().await;
                let (done, total) = (progress.done(), progress.total.load(Ordering::Relaxed));
                if total == 0 {
                    continue;
                }
                let rate = done as f64 / started.elapsed().as_secs_f64();
                let left = (total - done) as f64 / rate.max(1.0);
                let collection = *progress.collection.lock().expect("not poisoned");
                eprintln!(
                    "{collection}: {done}/{total} items ({} already there), {rate:.0} items/s, about {left:.0} s left",
                    progress.present.load(Ordering::Relaxed)
                );
            }
        })
    };
    let report = import(progress).await;
    printer.abort();
    report
}

/// Documents in `mongoexport`'s format (relaxed Extended JSON, one per line), for the benchmark's
/// generated dumps and the tests' fixture dumps.
pub mod export {
    use std::{io::Write, path::Path};

    use serde_json::{Value, json};
    use shared::Id;
    use time::{OffsetDateTime, macros::format_description};

    pub fn oid(id: &Id) -> Value {
        json!({ "$oid": id.to_string() })
    }

    /// `{"$date": "2024-05-24T14:00:50.123Z"}`, as mongoexport writes dates after 1970.
    pub fn date(millis: i64) -> Value {
        let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
            .expect("a date in range");
        let format = format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        );
        json!({ "$date": at.format(&format).expect("formats") })
    }

    /// Writes `<dir>/<collection>.json`.
    pub fn write(dir: &Path, collection: &str, docs: &[Value]) -> std::io::Result<()> {
        let mut file = std::io::BufWriter::new(std::fs::File::create(
            dir.join(format!("{collection}.json")),
        )?);
        for doc in docs {
            serde_json::to_writer(&mut file, doc)?;
            file.write_all(b"\n")?;
        }
        file.flush()
    }
}
