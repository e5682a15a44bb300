//! Populated relations keep the shape Mongoose gave Belta's clients: a populated record's own
//! references stay ids (belta-contract.md §15). The admin panel calls `label.products.includes(id)`
//! on the product page and `item.tags.includes(tagId)` on a tag's page, so objects there crash it or
//! hide its buttons.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Shop, product_body};
use catalog::kind::Kind::{Brand, Category, Label, Subcategory, Tag};

/// A product linked to one of everything, with an offer.
struct Linked {
    product: String,
    brand: String,
    category: String,
    subcategory: String,
    label: String,
    tag: String,
    offer: String,
}

async fn linked_product(shop: &Shop) -> Linked {
    let (brand, category, subcategory, label, tag, product) = tokio::join!(
        shop.brand("ماركة", "Brand"),
        shop.category("فئة", "Category"),
        shop.subcategory("فرعية", "Subcategory"),
        shop.label("جديد", "New", "#ff0000"),
        shop.tag("قهوة", "Coffee"),
        shop.product("قهوة عربية", "Arabic coffee", 100.0),
    );
    let admin = shop.as_admin();
    admin.link_category(&subcategory, &category).await.ok();
    for (kind, parent) in [
        (Brand, &brand),
        (Subcategory, &subcategory),
        (Label, &label),
        (Tag, &tag),
    ] {
        admin.link(kind, &product, parent).await.ok();
    }
    let offer = shop
        .create(
            "/offers",
            json!({"productId": product, "type": "percent", "value": 0.1,
                   "offerQuantity": 10, "maxPerClient": 2}),
        )
        .await;
    Linked {
        product,
        brand,
        category,
        subcategory,
        label,
        tag,
        offer,
    }
}

#[tokio::test]
async fn a_staff_product_populates_its_relations_and_their_own_references_stay_ids() {
    let shop = Shop::open().await;
    let l = linked_product(&shop).await;
    let product = shop.as_admin().staff_product(&l.product).await.ok();

    assert_eq!(product["labels"][0]["_id"], l.label);
    assert_eq!(product["labels"][0]["products"], json!([l.product]));
    assert_eq!(product["tags"][0]["_id"], l.tag);
    assert_eq!(product["tags"][0]["products"], json!([l.product]));
    assert_eq!(product["brand"]["products"], json!([l.product]));
    assert_eq!(product["subcategory"]["products"], json!([l.product]));
    assert_eq!(product["subcategory"]["category"], l.category);
    assert_eq!(product["offer"]["_id"], l.offer);
    assert_eq!(product["offer"]["product"], l.product);

    // Belta's staff list looked up offer, brand, subcategory and tags, and left labels as ids.
    let list = shop.as_admin().staff_products("").await.ok();
    let item = &list["data"][0];
    assert_eq!(item["labels"], json!([l.label]));
    assert_eq!(item["tags"][0]["products"], json!([l.product]));
    assert_eq!(item["brand"]["_id"], l.brand);
    assert_eq!(item["offer"]["_id"], l.offer);
}

#[tokio::test]
async fn an_entity_s_staff_read_populates_products_with_only_the_paths_belta_populated() {
    let shop = Shop::open().await;
    let l = linked_product(&shop).await;
    let admin = shop.as_admin();
    let only_product = |view: &Value| -> Value {
        let products = view["products"].as_array().expect("populated products");
        assert_eq!(products.len(), 1, "{view}");
        products[0].clone()
    };

    for (kind, id) in [(Tag, &l.tag), (Label, &l.label)] {
        let product = only_product(&admin.staff_get(kind, id).await.ok());
        assert_eq!(product["tags"], json!([l.tag]), "{kind:?}");
        assert_eq!(product["labels"], json!([l.label]), "{kind:?}");
        assert_eq!(product["brand"]["_id"], l.brand, "{kind:?}");
        assert_eq!(product["subcategory"]["_id"], l.subcategory, "{kind:?}");
        assert_eq!(product["offer"], l.offer, "{kind:?}");
    }

    let product = only_product(&admin.staff_get(Brand, &l.brand).await.ok());
    assert_eq!(product["brand"], l.brand);
    assert_eq!(product["subcategory"]["_id"], l.subcategory);
    assert_eq!(product["tags"], json!([l.tag]));

    let subcategory = admin.staff_get(Subcategory, &l.subcategory).await.ok();
    assert_eq!(subcategory["category"]["_id"], l.category);
    assert_eq!(
        subcategory["category"]["subcategories"],
        json!([l.subcategory])
    );
    let product = only_product(&subcategory);
    assert_eq!(product["brand"]["_id"], l.brand);
    assert_eq!(product["subcategory"], l.subcategory);

    let category = admin.staff_get(Category, &l.category).await.ok();
    assert_eq!(category["subcategories"][0]["_id"], l.subcategory);
    assert_eq!(category["subcategories"][0]["products"], json!([l.product]));
    assert_eq!(category["subcategories"][0]["category"], l.category);
}

#[tokio::test]
async fn a_product_always_has_a_cover_because_the_admin_list_shows_the_first() {
    let shop = Shop::open().await;
    let admin = shop.as_admin();
    let mut without = product_body("بلا صورة", "No picture", 10.0);
    without.as_object_mut().unwrap().remove("coverList");
    let error = admin
        .create_product(&without)
        .await
        .fails(StatusCode::BAD_REQUEST, "validation_failed");
    assert!(error["fields"]["coverList"].is_array(), "{error}");

    let mut empty = product_body("بلا صورة", "No picture", 10.0);
    empty["coverList"] = json!([]);
    let error = admin
        .create_product(&empty)
        .await
        .fails(StatusCode::BAD_REQUEST, "validation_failed");
    assert!(error["fields"]["coverList"].is_array(), "{error}");

    let product = shop.product("بصورة", "Pictured", 10.0).await;
    let error = admin
        .update_product(&product, &json!({"coverList": []}))
        .await
        .fails(StatusCode::BAD_REQUEST, "validation_failed");
    assert!(error["fields"]["coverList"].is_array(), "{error}");
    let kept = admin.staff_product(&product).await.ok();
    assert_eq!(kept["coverList"], json!(["https://cdn.example/p.png"]));
}
