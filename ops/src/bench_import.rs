//! `ops bench-import`: a generated Belta dump of N products (with the entities, offers and users a
//! shop of that size has) imported into a fresh table of the emulator. Reports items per second and
//! DynamoDB write units per 10,000 products, and that a second run writes nothing.

use std::sync::Arc;

use aws_config::SdkConfig;
use serde_json::{Value, json};
use shared::{Id, db::schema};

use crate::import::{self, Options, Progress, Target, export};

/// A shop of `products` products: 10 categories, 5 subcategories each, 50 brands, 20 labels, 20 tags,
/// one offer per 10 products, one user per 10 products (bcrypt hashes, as Belta stored them).
pub fn synthetic_dump(dir: &std::path::Path, products: usize) -> anyhow::Result<()> {
    let now = 1_716_559_250_000i64;
    let ids = |n: usize| (0..n).map(|_| Id::new()).collect::<Vec<_>>();
    let entity = |id: &Id, i: usize, extra: (&str, Value)| {
        let mut doc = json!({
            "_id": export::oid(id), "nameAr": format!("عنصر {i}"), "nameEn": format!("Item {i}"),
            "disabled": false, "employeeReadOnly": false, "products": [],
            "createdAt": export::date(now), "updatedAt": export::date(now), "__v": 0
        });
        doc[extra.0] = extra.1;
        doc
    };
    let cover = |i: usize| {
        json!(format!(
            "https://belta.blob.core.windows.net/images/{i}.webp"
        ))
    };
    let (categories, subcategories, brands, labels, tags) =
        (ids(10), ids(50), ids(50), ids(20), ids(20));
    let write = |name: &str, docs: Vec<Value>| export::write(dir, name, &docs);
    write(
        "categories",
        categories
            .iter()
            .enumerate()
            .map(|(i, id)| entity(id, i, ("cover", cover(i))))
            .collect(),
    )?;
    write(
        "subcategories",
        subcategories
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let mut doc = entity(id, i, ("cover", cover(i)));
                doc["category"] = export::oid(&categories[i % categories.len()]);
                doc
            })
            .collect(),
    )?;
    write(
        "brands",
        brands
            .iter()
            .enumerate()
            .map(|(i, id)| entity(id, i, ("cover", cover(i))))
            .collect(),
    )?;
    write(
        "labels",
        labels
            .iter()
            .enumerate()
            .map(|(i, id)| entity(id, i, ("color", json!("#FF0000"))))
            .collect(),
    )?;
    write(
        "tags",
        tags.iter()
            .enumerate()
            .map(|(i, id)| entity(id, i, ("disabled", json!(false))))
            .collect(),
    )?;
    let product_ids = ids(products);
    let description = "وصف المنتج بالعربية مع تفاصيل كافية. A product description in English, long enough to be typical.";
    write(
        "products",
        product_ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                json!({
                    "_id": export::oid(id), "nameAr": format!("منتج {i}"), "nameEn": format!("Product {i}"),
                    "descriptionAr": description, "descriptionEn": description,
                    "coverList": [cover(i), cover(i + 1)], "rating": 4.5, "reviews": 3,
                    "quantity": 100, "price": 199.99, "minPrice": 150, "finalPrice": 199.99,
                    "brand": export::oid(&brands[i % brands.len()]),
                    "subcategory": export::oid(&subcategories[i % subcategories.len()]),
                    "labels": [export::oid(&labels[i % labels.len()]), export::oid(&labels[(i + 1) % labels.len()])],
                    "tags": [export::oid(&tags[i % tags.len()])],
                    "offer": null, "disabled": false, "employeeReadOnly": false,
                    "createdAt": export::date(now), "updatedAt": export::date(now), "__v": 0
                })
            })
            .collect(),
    )?;
    write(
        "offers",
        product_ids
            .iter()
            .step_by(10)
            .map(|product| {
                json!({
                    "_id": export::oid(&Id::new()), "product": export::oid(product), "type": "percent",
                    "value": 0.1, "offerQuantity": 5000, "maxPerClient": 20, "quantityPurchased": 0,
                    "disabled": false, "createdAt": export::date(now), "updatedAt": export::date(now)
                })
            })
            .collect(),
    )?;
    // One real bcrypt hash (10 rounds) for every user: hashing thousands would time bcrypt, not the import.
    let hash = bcrypt::hash("bench password", 10)?;
    write(
        "users",
        (0..products / 10)
            .map(|i| {
                json!({
                    "_id": export::oid(&Id::new()), "fullName": format!("User {i}"),
                    "email": format!("user{i}@bench.example"), "password": hash, "confirmed": true,
                    "role": "client", "createdAt": export::date(now), "updatedAt": export::date(now)
                })
            })
            .collect(),
    )?;
    Ok(())
}

pub async fn measure(sdk: &SdkConfig, products: usize) -> anyhow::Result<Vec<String>> {
    let dir = std::env::temp_dir().join(format!("belta-dump-{}", Id::new()));
    std::fs::create_dir_all(&dir)?;
    synthetic_dump(&dir, products)?;
    let table = format!("bench-import-{}", Id::new());
    let db = shared::aws::dynamodb(sdk);
    schema::ensure_table(&db, &table).await?;
    let target = Target {
        db: db.clone(),
        s3: shared::aws::s3(sdk),
        table: table.clone(),
        bucket: String::new(),
        public_base_url: String::new(),
    };
    let import = || {
        import::run(
            &target,
            &dir,
            Options::default(),
            Arc::new(Progress::default()),
        )
    };
    let first = import().await?;
    let second = import().await?;
    let _ = db.delete_table().table_name(&table).send().await;
    let _ = std::fs::remove_dir_all(&dir);
    let items: usize = first.written.values().sum();
    let product_items = first.written.get("products").copied().unwrap_or(0);
    Ok(vec![
        format!(
            "| products | items written | seconds | items/s | write units (all) | write units per 10,000 products (product items only) | second run: items written |"
        ),
        "|---|---|---|---|---|---|---|".into(),
        format!(
            "| {products} | {items} | {:.1} | {:.0} | {} | {:.0} | {} |",
            first.seconds,
            items as f64 / first.seconds,
            first.write_units,
            first.product_write_units as f64 * 10_000.0 / product_items.max(1) as f64,
            second.items_written(),
        ),
    ])
}
