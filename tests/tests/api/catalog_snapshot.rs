//! The catalogue read model's version-gated snapshot, against the emulator.

use std::sync::atomic::{AtomicUsize, Ordering};

use api_tests::spawn_app;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use catalog::{
    snapshot::SnapshotCache,
    store::{WriteError, bump_version, current_version, load_kind, record_key},
};
use serde::Deserialize;
use shared::{Id, db::StoreError};

#[derive(Debug, Deserialize, PartialEq)]
struct Tag {
    name: String,
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
    let cache: SnapshotCache<Vec<Tag>> = SnapshotCache::default();
    let loads = AtomicUsize::new(0);
    let read = || async {
        cache
            .get(&app.dynamodb, &app.table_name, || async {
                loads.fetch_add(1, Ordering::SeqCst);
                load_kind::<Tag>(&app.dynamodb, &app.table_name, "TAG").await
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
    assert!(std::sync::Arc::ptr_eq(&first, &again));

    write_tag(&app, "second", 2).await;
    let after_write = read().await.unwrap();
    assert_eq!(
        loads.load(Ordering::SeqCst),
        2,
        "a write is seen by the very next read"
    );
    assert_eq!(after_write.len(), 2);
}

#[tokio::test]
async fn a_failed_reload_keeps_no_half_snapshot() {
    let app = spawn_app().await;
    let cache: SnapshotCache<Vec<Tag>> = SnapshotCache::default();
    write_tag(&app, "only", 1).await;

    let failed = cache
        .get(&app.dynamodb, &app.table_name, || async {
            Err(StoreError::Throttled)
        })
        .await;
    let next = cache
        .get(&app.dynamodb, &app.table_name, || {
            load_kind::<Tag>(&app.dynamodb, &app.table_name, "TAG")
        })
        .await;

    assert!(matches!(failed, Err(StoreError::Throttled)));
    assert_eq!(next.unwrap().len(), 1, "the next request loads again");
}

#[tokio::test]
async fn a_change_computed_from_a_stale_revision_fails_whole_and_writes_nothing() {
    use catalog::{
        kind::Kind,
        model::{Entity, Record},
        store::{CatalogStore, Change},
    };
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
