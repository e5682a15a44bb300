//! The catalogue snapshot as one object in S3, so that a fresh process starts from one GetObject and
//! the few changes since, instead of reading every record from the table.
//!
//! The object is every record ([`packed`]: a binary layout made for decoding, zstd-compressed) and
//! the catalogue version it holds. It is
//! written by the `catalog-snapshot` function from its own up-to-date snapshot, on a schedule, and read
//! by every catalogue reader at its cold start ([`crate::store::CatalogStore`]). It is only ever a
//! head start: a reader catches up from the object's version through the change log, and loads from
//! the table when the object is missing, unreadable, of another format, or further behind than the
//! log reaches. A stale object costs time, never correctness.

mod packed;

use aws_sdk_s3::{error::DisplayErrorContext, primitives::ByteStream};

use crate::{
    index::Catalog,
    model::{Entity, Offer, Product},
};
use packed::{Input, Packed};

/// Where the object lives: `CATALOG_SNAPSHOT_BUCKET`, under [`SnapshotObject::KEY`].
#[derive(Clone, Debug)]
pub struct SnapshotObject {
    pub s3: aws_sdk_s3::Client,
    pub bucket: String,
}

/// `CATALOG_SNAPSHOT_BUCKET`: the bucket of the snapshot object; unset, a fresh process loads the
/// catalogue from the table (the local stack without the `catalog-snapshot` schedule).
pub fn bucket_setting(env: &shared::config::EnvReader) -> Option<String> {
    env.optional("CATALOG_SNAPSHOT_BUCKET")
        .filter(|bucket| !bucket.is_empty())
}

/// What the object starts with, then its format.
const MAGIC: &[u8; 8] = b"BELTACAT";

/// What changes with the layout of the records ([`packed`]); an object of another format is not read.
/// 1 was JSON.
const FORMAT: u32 = 2;

/// zstd's level 3: a fraction of the records' size, compressed at hundreds of MB a second.
const LEVEL: i32 = 3;

/// The records of `catalog`, each kind as a counted list.
fn pack_all<T: Packed>(records: Vec<&T>, out: &mut Vec<u8>) {
    (u32::try_from(records.len()).expect("under 4 billion records")).pack(out);
    for record in records {
        record.pack(out);
    }
}

/// The object's bytes for `catalog` at `version`.
pub fn encode(version: u64, catalog: &Catalog) -> anyhow::Result<Vec<u8>> {
    let (entities, products, offers) = catalog.records();
    let mut out = Vec::with_capacity(1024 + 512 * products.len());
    out.extend_from_slice(MAGIC);
    FORMAT.pack(&mut out);
    version.pack(&mut out);
    pack_all(entities, &mut out);
    pack_all(products, &mut out);
    pack_all(offers, &mut out);
    Ok(zstd::bulk::compress(&out, LEVEL)?)
}

/// The version and catalogue an object holds; `None` for an object of another format.
pub fn decode(bytes: &[u8]) -> anyhow::Result<Option<(u64, Catalog)>> {
    let unpacked = zstd::stream::decode_all(bytes)?;
    let ours =
        unpacked.get(..8) == Some(MAGIC) && unpacked.get(8..12) == Some(&FORMAT.to_le_bytes());
    if !ours {
        return Ok(None);
    }
    let mut input = Input(&unpacked[12..]);
    let version = u64::unpack(&mut input)?;
    let entities = Vec::<Entity>::unpack(&mut input)?;
    let products = Vec::<Product>::unpack(&mut input)?;
    let offers = Vec::<Offer>::unpack(&mut input)?;
    anyhow::ensure!(input.0.is_empty(), "the object has bytes past its records");
    Ok(Some((version, Catalog::build(entities, products, offers))))
}

impl SnapshotObject {
    pub const KEY: &str = "catalog/snapshot.zst";

    /// The version and catalogue the object holds, or `None` when there is none to start from (missing,
    /// unreadable, another format): the reader then loads from the table. Never an error: the object
    /// only saves time.
    pub async fn read(&self) -> Option<(u64, Catalog)> {
        let object = match self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(Self::KEY)
            .send()
            .await
        {
            Ok(object) => object,
            Err(error) => {
                if !error.as_service_error().is_some_and(|e| e.is_no_such_key()) {
                    tracing::warn!(error = %DisplayErrorContext(&error), "Failed to read the catalogue snapshot object; loading from the table");
                }
                return None;
            }
        };
        let bytes = match object.body.collect().await {
            Ok(body) => body.into_bytes(),
            Err(error) => {
                tracing::warn!(%error, "Failed to read the catalogue snapshot object; loading from the table");
                return None;
            }
        };
        // Decoded on the request's thread: at a cold start nothing else waits for it.
        match decode(&bytes) {
            Ok(Some(decoded)) => Some(decoded),
            Ok(None) => {
                tracing::warn!(
                    "The catalogue snapshot object has another format; loading from the table"
                );
                None
            }
            Err(error) => {
                tracing::warn!(%error, "The catalogue snapshot object is unreadable; loading from the table");
                None
            }
        }
    }

    /// Replaces the object with `catalog` at `version`; returns the object's size in bytes.
    pub async fn write(&self, version: u64, catalog: &Catalog) -> anyhow::Result<usize> {
        let bytes = encode(version, catalog)?;
        let size = bytes.len();
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(Self::KEY)
            .content_type("application/zstd")
            .metadata("catalog-version", version.to_string())
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "Failed to write the catalogue snapshot object: {}",
                    DisplayErrorContext(&e)
                )
            })?;
        Ok(size)
    }

    /// The version of the object there now (its metadata), if there is one.
    pub async fn version(&self) -> anyhow::Result<Option<u64>> {
        match self
            .s3
            .head_object()
            .bucket(&self.bucket)
            .key(Self::KEY)
            .send()
            .await
        {
            Ok(head) => Ok(head
                .metadata()
                .and_then(|m| m.get("catalog-version"))
                .and_then(|v| v.parse().ok())),
            Err(error) if error.as_service_error().is_some_and(|e| e.is_not_found()) => Ok(None),
            Err(error) => Err(anyhow::anyhow!(
                "Failed to read the catalogue snapshot object's version: {}",
                DisplayErrorContext(&error)
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        kind::Kind,
        model::{Counters, OfferType},
    };
    use shared::{Id, Money};

    #[test]
    fn a_catalogue_round_trips_through_the_object_bytes() {
        let mut brand = Entity::new(Kind::Brand, 1);
        brand.name_ar = "قهوة".into();
        let mut product = Product::new(2);
        product.brand = Some(brand.id);
        product.name_en = "Coffee".into();
        let offer = Offer::new(product.id, 3);
        let catalog = Catalog::build(vec![brand], vec![product], vec![offer]);

        let bytes = encode(42, &catalog).unwrap();
        let (version, back) = decode(&bytes).unwrap().unwrap();

        assert_eq!(version, 42);
        assert_eq!(back, catalog);
    }

    #[test]
    fn an_object_of_another_format_is_not_read() {
        // The JSON objects of format 1.
        let json = serde_json::to_vec(&serde_json::json!({
            "format": 1, "version": 1, "entities": [], "products": [], "offers": []
        }))
        .unwrap();
        let bytes = zstd::bulk::compress(&json, LEVEL).unwrap();
        assert!(decode(&bytes).unwrap().is_none());
        let mut next = encode(1, &Catalog::default()).unwrap();
        next = zstd::stream::decode_all(&next[..]).unwrap();
        next[8..12].copy_from_slice(&(FORMAT + 1).to_le_bytes());
        let bytes = zstd::bulk::compress(&next, LEVEL).unwrap();
        assert!(decode(&bytes).unwrap().is_none());
        assert!(decode(b"not zstd").is_err());
    }

    /// Every field of every record, none at its default, comes back; a cut or padded object is an
    /// error, never a catalogue.
    #[test]
    fn every_field_round_trips_and_a_damaged_object_is_refused() {
        let mut category = Entity::new(Kind::Category, 1);
        category.name_ar = "ملابس".into();
        category.name_en = "Clothes".into();
        category.cover = Some("https://cdn.example/c.webp".into());
        category.disabled = true;
        category.employee_read_only = true;
        category.link_count = 3;
        category.rev = 4;
        category.updated_at = 5;
        let mut label = Entity::new(Kind::Label, 2);
        label.color = Some("#FF0000".into());
        let mut sub = Entity::new(Kind::Subcategory, 3);
        sub.category = Some(category.id);
        let mut product = Product::new(4);
        product.name_ar = "قميص".into();
        product.name_en = "Shirt".into();
        product.description_ar = "وصف".into();
        product.description_en = "About".into();
        product.cover_list = vec!["a".into(), "b".into()];
        product.quantity = 7;
        product.price = Money::from_minor(12_345);
        product.min_price = Money::from_minor(-1);
        product.disabled = true;
        product.employee_read_only = true;
        product.brand = Some(Id::new());
        product.subcategory = Some(sub.id);
        product.labels = vec![label.id];
        product.tags = vec![Id::new(), Id::new()];
        product.counters = Counters {
            rating: 4.5,
            reviews: 1,
            views_count: 2,
            orders_count: 3,
            purchase_count: 4,
            return_count: 5,
        };
        product.rev = 9;
        product.updated_at = 10;
        let mut offer = Offer::new(product.id, 5);
        product.offer = Some(offer.id);
        offer.name_ar = Some("عرض".into());
        offer.name_en = Some("Deal".into());
        offer.offer_type = OfferType::Fixed;
        offer.amount = -3;
        offer.offer_quantity = 11;
        offer.max_per_client = 2;
        offer.quantity_purchased = 6;
        offer.starts_at = Some(100);
        offer.ends_at = Some(200);
        offer.disabled = true;
        offer.employee_read_only = true;
        let records = (vec![category, label, sub], vec![product], vec![offer]);
        let catalog = Catalog::build(records.0.clone(), records.1.clone(), records.2.clone());

        let bytes = encode(u64::MAX, &catalog).unwrap();
        let (version, back) = decode(&bytes).unwrap().unwrap();
        assert_eq!(version, u64::MAX);
        let (entities, products, offers) = back.records();
        let mut entities: Vec<Entity> = entities.into_iter().cloned().collect();
        entities.sort_by_key(|e| e.created_at);
        assert_eq!(entities, records.0);
        assert_eq!(products, records.1.iter().collect::<Vec<_>>());
        assert_eq!(offers, records.2.iter().collect::<Vec<_>>());

        let unpacked = zstd::stream::decode_all(&bytes[..]).unwrap();
        for damaged in [
            &unpacked[..unpacked.len() - 1],
            &[&unpacked[..], &[0]].concat(),
        ] {
            let bytes = zstd::bulk::compress(damaged, LEVEL).unwrap();
            assert!(decode(&bytes).is_err());
        }
    }
}
