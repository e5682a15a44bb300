//! The catalogue snapshot as one object in S3, so that a fresh process starts from one GetObject and
//! the few changes since, instead of reading every record from the table.
//!
//! The object is every record (JSON, zstd-compressed) and the catalogue version it holds. It is
//! written by the `catalog-snapshot` function from its own up-to-date snapshot, on a schedule, and read
//! by every catalogue reader at its cold start ([`crate::store::CatalogStore`]). It is only ever a
//! head start: a reader catches up from the object's version through the change log, and loads from
//! the table when the object is missing, unreadable, of another format, or further behind than the
//! log reaches. A stale object costs time, never correctness.

use aws_sdk_s3::{error::DisplayErrorContext, primitives::ByteStream};
use serde::{Deserialize, Serialize};

use crate::{
    index::Catalog,
    model::{Entity, Offer, Product},
};

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

/// What changes only with the layout of the records; an object of another format is not read.
const FORMAT: u32 = 1;

/// zstd's level 3: about a tenth of the JSON, compressed at hundreds of MB a second.
const LEVEL: i32 = 3;

#[derive(Serialize)]
struct Writing<'a> {
    format: u32,
    version: u64,
    entities: Vec<&'a Entity>,
    products: Vec<&'a Product>,
    offers: Vec<&'a Offer>,
}

#[derive(Deserialize)]
struct Reading {
    format: u32,
    version: u64,
    entities: Vec<Entity>,
    products: Vec<Product>,
    offers: Vec<Offer>,
}

/// The object's bytes for `catalog` at `version`.
pub fn encode(version: u64, catalog: &Catalog) -> anyhow::Result<Vec<u8>> {
    let (entities, products, offers) = catalog.records();
    let json = serde_json::to_vec(&Writing {
        format: FORMAT,
        version,
        entities,
        products,
        offers,
    })?;
    Ok(zstd::bulk::compress(&json, LEVEL)?)
}

/// The version and catalogue an object holds; `None` for an object of another format.
pub fn decode(bytes: &[u8]) -> anyhow::Result<Option<(u64, Catalog)>> {
    let json = zstd::stream::decode_all(bytes)?;
    let reading: Reading = serde_json::from_slice(&json)?;
    if reading.format != FORMAT {
        return Ok(None);
    }
    let catalog = Catalog::build(reading.entities, reading.products, reading.offers);
    Ok(Some((reading.version, catalog)))
}

impl SnapshotObject {
    pub const KEY: &str = "catalog/snapshot.json.zst";

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
    use crate::kind::Kind;

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
        let json = serde_json::to_vec(&serde_json::json!({
            "format": FORMAT + 1, "version": 1, "entities": [], "products": [], "offers": []
        }))
        .unwrap();
        let bytes = zstd::bulk::compress(&json, LEVEL).unwrap();
        assert!(decode(&bytes).unwrap().is_none());
        assert!(decode(b"not zstd").is_err());
    }
}
