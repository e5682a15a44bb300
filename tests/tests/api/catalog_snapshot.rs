//! The catalogue read model's version-gated snapshot and its change log, against the emulator.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use api_tests::spawn_app;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use catalog::{
    kind::Kind,
    model::{Entity, Product, Record},
    snapshot::{Incremental, Refresh, SnapshotCache},
    store::{
        CatalogStore, Change, WriteError, bump_version, current_version, load_kind, record_key,
    },
};
use serde::Deserialize;
use shared::{Id, db::StoreError};

#[derive(Clone, Debug, Deserialize, PartialEq)]
struct Tag {
    name: String,
}

/// A snapshot of tags for the cache's own tests, always loaded whole.
#[derive(Clone)]
struct Tags(Vec<Tag>);

impl Incremental for Tags {
    type Changes = Vec<Tag>;

    fn apply(&mut self, changes: Vec<Tag>) {
        self.0.extend(changes);
    }
}

async fn load_tags(app: &api_tests::TestApp) -> Result<Refresh<Tags>, StoreError> {
    let tags = load_kind::<Tag>(&app.dynamodb, &app.table_name, "TAG").await?;
    Ok(Refresh::Whole(Tags(tags)))
}

/// Writes a tag and bumps the version in one transaction, as catalogue writers will.
/// `created_at` (unix seconds) becomes the id's time part, as `Id::new()` would at that moment.
async fn write_tag(app: &api_tests::TestApp, name: &str, created_at: u32) {
    let id: Id = format!("{created_at:08x}{:016x}", rand_suffix())
        .parse()
        .unwrap();
    let mut item = record_key("TAG", &id).to_attributes();
    item.insert("name".into(), AttributeValue::S(name.into()));
    let put = Put::builder()
        .table_name(&app.table_name)
        .set_item(Some(item))
        .build()
        .unwrap();
    app.dynamodb
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().put(put).build())
        .transact_items(bump_version(&app.table_name))
        .send()
        .await
        .unwrap();
}

fn rand_suffix() -> u64 {
    u64::from_str_radix(&Id::new().to_string()[8..], 16).unwrap()
}

#[tokio::test]
async fn the_version_starts_at_zero_and_moves_with_every_write() {
    let app = spawn_app().await;
    assert_eq!(
        current_version(&app.dynamodb, &app.table_name)
            .await
            .unwrap(),
        0
    );

    write_tag(&app, "a", 1).await;
    write_tag(&app, "b", 2).await;

    assert_eq!(
        current_version(&app.dynamodb, &app.table_name)
            .await
            .unwrap(),
        2
    );
}

#[tokio::test]
async fn a_kind_loads_in_creation_order_and_only_that_kind() {
    let app = spawn_app().await;
    for (i, created) in [(0, 300), (1, 100), (2, 200)] {
        write_tag(&app, &format!("tag-{i}"), created).await;
    }
    let tags: Vec<Tag> = load_kind(&app.dynamodb, &app.table_name, "TAG")
        .await
        .unwrap();
    let names: Vec<&str> = tags.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["tag-1", "tag-2", "tag-0"]);
    let nothing: Vec<Tag> = load_kind(&app.dynamodb, &app.table_name, "BRAND")
        .await
        .unwrap();
    assert!(nothing.is_empty());
}

#[tokio::test]
async fn the_snapshot_reloads_only_when_the_version_moved() {
    let app = spawn_app().await;
    let cache: SnapshotCache<Tags> = SnapshotCache::default();
    let loads = AtomicUsize::new(0);
    let read = || async {
        cache
            .get(&app.dynamodb, &app.table_name, |_, _| async {
                loads.fetch_add(1, Ordering::SeqCst);
                load_tags(&app).await
            })
            .await
    };
    write_tag(&app, "first", 1).await;

    let first = read().await.unwrap();
    let again = read().await.unwrap();
    assert_eq!(
        loads.load(Ordering::SeqCst),
        1,
        "an unchanged catalogue is not reloaded"
    );
    assert!(Arc::ptr_eq(&first, &again));

    write_tag(&app, "second", 2).await;
    let after_write = read().await.unwrap();
    assert_eq!(
        loads.load(Ordering::SeqCst),
        2,
        "a write is seen by the very next read"
    );
    assert_eq!(after_write.0.len(), 2);
}

#[tokio::test]
async fn a_failed_reload_keeps_no_half_snapshot() {
    let app = spawn_app().await;
    let cache: SnapshotCache<Tags> = SnapshotCache::default();
    write_tag(&app, "only", 1).await;

    let failed = cache
        .get(&app.dynamodb, &app.table_name, |_, _| async {
            Err(StoreError::Throttled)
        })
        .await;
    let next = cache
        .get(&app.dynamodb, &app.table_name, |_, _| load_tags(&app))
        .await;

    assert!(matches!(failed, Err(StoreError::Throttled)));
    assert_eq!(next.unwrap().0.len(), 1, "the next request loads again");
}

#[tokio::test]
async fn a_change_computed_from_a_stale_revision_fails_whole_and_writes_nothing() {
    let app = spawn_app().await;
    let store = CatalogStore::new(app.dynamodb.clone(), app.table_name.clone());
    let tag = |name: &str| {
        let mut tag = Entity::new(Kind::Tag, 1);
        (tag.name_ar, tag.name_en) = (name.into(), name.into());
        tag
    };
    let (kept, raced) = (tag("kept"), tag("raced"));
    store
        .apply(vec![Change::create(&kept), Change::create(&raced)])
        .await
        .unwrap();
    let version = current_version(&app.dynamodb, &app.table_name)
        .await
        .unwrap();

    // Someone else revises `raced` first; our change, read before that, carries its old revision.
    let theirs = raced.revised(2, |t| t.name_en = "theirs".into());
    store.apply(vec![Change::replace(&theirs)]).await.unwrap();
    let ours = vec![
        Change::replace(&kept.revised(3, |t| t.name_en = "ours".into())),
        Change::replace(&raced.revised(3, |t| t.name_en = "ours".into())),
    ];
    let error = store.apply(ours).await.unwrap_err();

    assert!(
        matches!(error, WriteError::ChangedConcurrently),
        "{error:?}"
    );
    let snapshot = store.snapshot().await.unwrap();
    let names: Vec<&str> = snapshot
        .entities(Kind::Tag)
        .map(|e| e.entity.name_en.as_str())
        .collect();
    assert!(
        names.contains(&"kept") && names.contains(&"theirs"),
        "{names:?}"
    );
    assert_eq!(
        current_version(&app.dynamodb, &app.table_name)
            .await
            .unwrap(),
        version + 1,
        "only their write moved the version"
    );
}

/// Writes `entity` as an import does: the version moves on without a change log entry.
async fn import_one(app: &api_tests::TestApp, entity: &Entity) {
    app.dynamodb
        .transact_write_items()
        .transact_items(Change::create(entity).into_transact_item(&app.table_name))
        .transact_items(bump_version(&app.table_name))
        .send()
        .await
        .unwrap();
}

fn named(kind: Kind, name: &str) -> Entity {
    let mut entity = Entity::new(kind, shared::clock::now_millis());
    (entity.name_ar, entity.name_en) = (name.into(), name.into());
    entity
}

/// Two processes' stores on one table, the reader's requests counted.
fn reader_and_writer(
    app: &api_tests::TestApp,
) -> (CatalogStore, ops::bench::CountRequests, CatalogStore) {
    let (counted, requests) = ops::bench::counted_dynamodb(&app.sdk_config);
    let reader = CatalogStore::new(counted, app.table_name.clone());
    let writer = CatalogStore::new(app.dynamodb.clone(), app.table_name.clone());
    (reader, requests, writer)
}

/// A reader in one process sees writes made through another by reading the change log and the few
/// records it names, never the whole catalogue again: the snapshot it holds is changed in place.
#[tokio::test]
async fn a_reader_catches_up_on_another_process_s_writes_through_the_change_log() {
    let app = spawn_app().await;
    let (reader, requests, writer) = reader_and_writer(&app);
    let brand = named(Kind::Brand, "Old name");
    let mut products: Vec<Product> = (0..30)
        .map(|i| {
            let mut product = Product::new(shared::clock::now_millis() + i);
            product.name_en = format!("product {i}");
            product.brand = Some(brand.id);
            product
        })
        .collect();
    let mut changes = vec![Change::create(&brand)];
    changes.extend(products.iter().map(Change::create));
    writer.apply(changes).await.unwrap();
    let first = reader.snapshot().await.unwrap();
    let held = Arc::as_ptr(&first);
    drop(first);

    // Three writes by the other process: a rename that reaches every product's search text, a new
    // product, and a deletion.
    let renamed = brand.revised(2, |b| b.name_en = "New name".into());
    writer.apply(vec![Change::replace(&renamed)]).await.unwrap();
    let mut added = Product::new(shared::clock::now_millis() + 100);
    added.name_en = "added".into();
    writer.apply(vec![Change::create(&added)]).await.unwrap();
    let gone = products.remove(0);
    writer.apply(vec![Change::delete(&gone)]).await.unwrap();
    let before = requests.get();
    let caught_up = reader.snapshot().await.unwrap();

    // The version, one log Query and one BatchGetItem of the three records named.
    assert_eq!(
        requests.get() - before,
        3,
        "a catch-up reads only what changed"
    );
    assert_eq!(
        Arc::as_ptr(&caught_up),
        held,
        "the held snapshot was changed in place"
    );
    assert_eq!(
        *caught_up,
        writer.load().await.unwrap(),
        "the same catalogue as a full load"
    );
    assert!(caught_up.product(&gone.id).is_none());
    assert!(caught_up.product(&added.id).is_some());
    let entry = caught_up.product_entry(&products[0].id).unwrap();
    assert!(entry.search.contains("new name"), "{}", entry.search);
}

/// A snapshot further behind than the log reaches (its entries expired, or a version moved without
/// one, as an import does) loads everything again, and is right.
#[tokio::test]
async fn a_change_log_that_no_longer_reaches_back_means_a_full_reload() {
    let app = spawn_app().await;
    let (reader, requests, writer) = reader_and_writer(&app);
    let first = named(Kind::Tag, "first");
    writer.apply(vec![Change::create(&first)]).await.unwrap();
    drop(reader.snapshot().await.unwrap());

    // Two writes; the first one's log entry is gone, as DynamoDB's TTL removes it after a week.
    let second = named(Kind::Tag, "second");
    writer.apply(vec![Change::create(&second)]).await.unwrap();
    let third = named(Kind::Tag, "third");
    writer.apply(vec![Change::create(&third)]).await.unwrap();
    let expired = current_version(&app.dynamodb, &app.table_name)
        .await
        .unwrap()
        - 1;
    app.dynamodb
        .delete_item()
        .table_name(&app.table_name)
        .key("PK", AttributeValue::S("CATALOG#LOG".into()))
        .key("SK", AttributeValue::S(format!("{expired:020}")))
        .send()
        .await
        .unwrap();
    let before = requests.get();
    let reloaded = reader.snapshot().await.unwrap();

    // The version, the log Query that finds the gap, then every kind's partition (seven Queries).
    assert_eq!(requests.get() - before, 2 + 7, "a full reload");
    assert_eq!(reloaded.entities(Kind::Tag).count(), 3);
    assert_eq!(*reloaded, writer.load().await.unwrap());

    // A version moved without any entry (an import): a full reload too.
    import_one(&app, &named(Kind::Tag, "imported")).await;
    let before = requests.get();
    let reloaded = reader.snapshot().await.unwrap();
    assert_eq!(requests.get() - before, 2 + 7, "a full reload");
    assert_eq!(reloaded.entities(Kind::Tag).count(), 4);
}

/// Writers in two processes at once: each transaction moves the version by exactly one and logs its
/// own records, the loser of a race on the version sends again instead of failing, and a reader
/// catching up through the log ends with every write.
#[tokio::test]
async fn concurrent_writers_each_get_their_own_version_and_log_entry() {
    let app = spawn_app().await;
    let (reader, _, writer) = reader_and_writer(&app);
    let other = CatalogStore::new(app.dynamodb.clone(), app.table_name.clone());
    drop(reader.snapshot().await.unwrap());
    let start = current_version(&app.dynamodb, &app.table_name)
        .await
        .unwrap();

    let writes = (0..8).map(|i| {
        let store = if i % 2 == 0 { &writer } else { &other };
        async move {
            let tag = named(Kind::Tag, &format!("tag {i}"));
            store.apply(vec![Change::create(&tag)]).await
        }
    });
    for result in futures_util::future::join_all(writes).await {
        result.unwrap();
    }

    assert_eq!(
        current_version(&app.dynamodb, &app.table_name)
            .await
            .unwrap(),
        start + 8
    );
    let caught_up = reader.snapshot().await.unwrap();
    assert_eq!(caught_up.entities(Kind::Tag).count(), 8);
    assert_eq!(*caught_up, writer.load().await.unwrap());
}

fn snapshot_object(app: &api_tests::TestApp) -> catalog::stored::SnapshotObject {
    catalog::stored::SnapshotObject {
        s3: app.s3.clone(),
        bucket: app.bucket.clone(),
    }
}

/// The `catalog-snapshot` function, writing into this test's bucket.
fn snapshot_writer(app: &api_tests::TestApp) -> catalog_snapshot::SnapshotWriter {
    let config = catalog_snapshot::Config::read(shared::config::EnvReader::from_pairs([
        ("TABLE_NAME", app.table_name.as_str()),
        ("CATALOG_SNAPSHOT_BUCKET", app.bucket.as_str()),
    ]))
    .unwrap();
    catalog_snapshot::SnapshotWriter::new(config, &app.sdk_config)
}

/// A fresh process with the snapshot object configured: its store, and a count of its DynamoDB requests.
fn fresh_reader(app: &api_tests::TestApp) -> (CatalogStore, ops::bench::CountRequests) {
    let (counted, requests) = ops::bench::counted_dynamodb(&app.sdk_config);
    let store = CatalogStore::new(counted, app.table_name.clone())
        .with_snapshot_object(Some(snapshot_object(app)));
    (store, requests)
}

/// A fresh process starts from the snapshot object and the changes made since it was written: the
/// version, the change log and the records it names, never the catalogue's partitions.
#[tokio::test]
async fn a_fresh_process_starts_from_the_snapshot_object_and_the_changes_since() {
    let app = spawn_app().await;
    let writer = CatalogStore::new(app.dynamodb.clone(), app.table_name.clone());
    let tags: Vec<Entity> = (0..20)
        .map(|i| named(Kind::Tag, &format!("tag {i}")))
        .collect();
    writer
        .apply(tags.iter().map(Change::create).collect())
        .await
        .unwrap();
    let snapshots = snapshot_writer(&app);
    let written = snapshots.run().await.unwrap();
    assert!(
        matches!(
            written,
            catalog_snapshot::Outcome::Written { version: 1, .. }
        ),
        "{written:?}"
    );
    assert_eq!(
        snapshots.run().await.unwrap(),
        catalog_snapshot::Outcome::Current { version: 1 },
        "an unchanged catalogue is not written again"
    );
    // Two writes after the object was written.
    let renamed = tags[0].revised(2, |t| t.name_en = "renamed".into());
    writer.apply(vec![Change::replace(&renamed)]).await.unwrap();
    writer.apply(vec![Change::delete(&tags[1])]).await.unwrap();

    let (reader, requests) = fresh_reader(&app);
    let catalog = reader.snapshot().await.unwrap();

    assert_eq!(
        requests.get(),
        3,
        "the version, the change log, the two records"
    );
    assert_eq!(*catalog, writer.load().await.unwrap());
    assert_eq!(catalog.entities(Kind::Tag).count(), 19);
    assert!(
        matches!(
            snapshots.run().await.unwrap(),
            catalog_snapshot::Outcome::Written { version: 3, .. }
        ),
        "a catalogue that moved on is written again"
    );
}

/// Without an object (never written, or the deployment keeps none), a fresh process loads from the
/// table, as it always could.
#[tokio::test]
async fn a_missing_snapshot_object_means_a_load_from_the_table() {
    let app = spawn_app().await;
    let writer = CatalogStore::new(app.dynamodb.clone(), app.table_name.clone());
    writer
        .apply(vec![Change::create(&named(Kind::Brand, "only"))])
        .await
        .unwrap();

    let (reader, requests) = fresh_reader(&app);
    let catalog = reader.snapshot().await.unwrap();

    assert_eq!(
        requests.get(),
        1 + 7,
        "the version, then every kind's partition"
    );
    assert_eq!(catalog.entities(Kind::Brand).count(), 1);
}

/// An object further behind than the change log reaches, or one that cannot be read, is no head
/// start: the fresh process loads from the table, and is right.
#[tokio::test]
async fn a_stale_or_unreadable_snapshot_object_means_a_load_from_the_table() {
    let app = spawn_app().await;
    let writer = CatalogStore::new(app.dynamodb.clone(), app.table_name.clone());
    writer
        .apply(vec![Change::create(&named(Kind::Tag, "before"))])
        .await
        .unwrap();
    snapshot_writer(&app).run().await.unwrap();
    // Then an import: the version moves without a change log entry.
    import_one(&app, &named(Kind::Tag, "imported")).await;

    let (reader, requests) = fresh_reader(&app);
    let catalog = reader.snapshot().await.unwrap();
    assert_eq!(
        requests.get(),
        2 + 7,
        "the version, the log's gap, every partition"
    );
    assert_eq!(catalog.entities(Kind::Tag).count(), 2);

    // An object that is not a snapshot at all.
    app.s3
        .put_object()
        .bucket(&app.bucket)
        .key(catalog::stored::SnapshotObject::KEY)
        .body(b"not a snapshot".to_vec().into())
        .send()
        .await
        .unwrap();
    let (reader, requests) = fresh_reader(&app);
    let catalog = reader.snapshot().await.unwrap();
    assert_eq!(requests.get(), 1 + 7, "the version, every partition");
    assert_eq!(*catalog, writer.load().await.unwrap());
}
