//! Link and unlink endpoints, and the delete rules they feed.

use api_tests::Answer;
use reqwest::{Method, StatusCode};
use serde_json::json;

use catalog::kind::Kind::{Brand, Subcategory, Tag};

use super::{Shop, ids};

const UNKNOWN: &str = "000000000000000000000042";

#[tokio::test]
async fn a_product_links_to_one_brand_and_a_brand_with_products_cannot_be_deleted() {
    let shop = Shop::open().await;
    let brand = shop.brand("أبل", "Apple").await;
    let product = shop.product("آيفون", "iPhone", 999.0).await;

    let linked = shop
        .link(
            "/products/staff/link-brand",
            json!({"productId": product, "brandId": brand}),
        )
        .await;
    assert_eq!(linked["_id"], product);
    assert_eq!(linked["brand"]["_id"], brand);
    assert_eq!(linked["brand"]["nameEn"], "Apple");

    let other = shop.brand("سامسونج", "Samsung").await;
    let cases = [
        (
            "/products/staff/link-brand",
            json!({"productId": product, "brandId": other}),
            StatusCode::BAD_REQUEST,
            "already_linked",
        ),
        (
            "/products/staff/link-brand",
            json!({"productId": UNKNOWN, "brandId": brand}),
            StatusCode::NOT_FOUND,
            "product_not_found",
        ),
        (
            "/products/staff/link-brand",
            json!({"productId": product, "brandId": UNKNOWN}),
            StatusCode::NOT_FOUND,
            "brand_not_found",
        ),
        (
            "/products/staff/link-brand",
            json!({"productId": product}),
            StatusCode::BAD_REQUEST,
            "validation_failed",
        ),
        (
            "/products/staff/link-brand",
            json!({"productId": "xyz", "brandId": brand}),
            StatusCode::BAD_REQUEST,
            "validation_failed",
        ),
    ];
    for (path, body, status, code) in cases {
        let (got, error) = shop.admin(Method::POST, path, Some(body.clone())).await;
        assert_eq!(
            (got, error["code"].as_str().unwrap()),
            (status, code),
            "{body}"
        );
    }

    let error = shop
        .admin_fails(
            Method::POST,
            "/products/staff/link-subcategory",
            Some(json!({})),
            StatusCode::BAD_REQUEST,
            "validation_failed",
        )
        .await;
    assert_eq!(
        super::keys(&error["fields"]),
        ["productId", "subcategoryId"]
    );

    let (status, error) = shop
        .call(
            Method::DELETE,
            &format!("/brands/staff/{brand}"),
            Some(&shop.admin),
            None,
            Some("en"),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error["code"], "brand_has_products");
    // Belta's own text, which the admin panel shows as it comes.
    assert_eq!(
        error["error"],
        "Cannot delete brand because it has products."
    );
    let (_, public_brand) = shop.public(&format!("/brands/{brand}"), "en").await;
    assert_eq!(public_brand["products"][0]["_id"], product);
    let staff_brand = shop
        .admin_ok(Method::GET, &format!("/brands/staff/{brand}"), None)
        .await;
    assert_eq!(staff_brand["products"][0]["nameEn"], "iPhone");

    // The admin panel's unlink names the brand: a brand the product is not on leaves the link alone.
    let admin = shop.as_admin();
    let not_linked = |answer: Answer| answer.fails(StatusCode::BAD_REQUEST, "not_linked");
    not_linked(admin.unlink(Brand, &product, Some(&other)).await);
    let unlinked = admin.unlink(Brand, &product, Some(&brand)).await.ok();
    assert_eq!(unlinked["brand"], json!(null));
    not_linked(admin.unlink(Brand, &product, None).await);
    let (status, _) = shop
        .admin(Method::DELETE, &format!("/brands/staff/{brand}"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn subcategories_hold_products_and_categories_hold_subcategories() {
    let shop = Shop::open().await;
    let category = shop.category("أجهزة", "Devices").await;
    let subcategory = shop.subcategory("هواتف", "Phones").await;
    let product = shop.product("هاتف", "Phone", 100.0).await;

    let linked = shop
        .link(
            "/subcategories/staff/link",
            json!({"subcategoryId": subcategory, "categoryId": category}),
        )
        .await;
    assert_eq!(linked["category"]["_id"], category);
    shop.admin_fails(
        Method::POST,
        "/subcategories/staff/link",
        Some(json!({"subcategoryId": subcategory, "categoryId": category})),
        StatusCode::BAD_REQUEST,
        "already_linked",
    )
    .await;
    shop.admin_fails(
        Method::POST,
        "/subcategories/staff/link",
        Some(json!({"subcategoryId": subcategory, "categoryId": UNKNOWN})),
        StatusCode::NOT_FOUND,
        "category_not_found",
    )
    .await;

    shop.link(
        "/products/staff/link-subcategory",
        json!({"productId": product, "subcategoryId": subcategory}),
    )
    .await;
    let (_, by_category) = shop
        .public(&format!("/products?category={category}"), "en")
        .await;
    assert_eq!(ids(&by_category), [product.as_str()]);
    let (_, detail) = shop.public(&format!("/products/{product}"), "ar").await;
    assert_eq!(detail["subcategory"]["name"], "هواتف");
    assert_eq!(detail["subcategory"]["category"]["name"], "أجهزة");

    for (path, code, arabic) in [
        (
            format!("/categories/staff/{category}"),
            "category_has_subcategories",
            "لا يمكن حذف الفئة لأنها تحتوي على فئات فرعية.",
        ),
        (
            format!("/subcategories/staff/{subcategory}"),
            "subcategory_has_products",
            "لا يمكن حذف الفئة الفرعية لأنها تحتوي على منتجات.",
        ),
    ] {
        let (status, error) = shop
            .call(Method::DELETE, &path, Some(&shop.admin), None, Some("ar"))
            .await;
        assert_eq!(
            (status, &error["code"]),
            (StatusCode::CONFLICT, &json!(code))
        );
        assert_eq!(error["error"], arabic);
    }

    let admin = shop.as_admin();
    admin.unlink(Subcategory, &product, None).await.ok();
    admin.unlink_category(&subcategory).await.ok();
    admin
        .unlink_category(&subcategory)
        .await
        .fails(StatusCode::BAD_REQUEST, "not_linked");
    for path in [
        format!("/subcategories/staff/{subcategory}"),
        format!("/categories/staff/{category}"),
    ] {
        shop.admin_ok(Method::DELETE, &path, None).await;
    }
}

#[tokio::test]
async fn deleting_a_linked_subcategory_frees_its_category() {
    let shop = Shop::open().await;
    let category = shop.category("أجهزة", "Devices").await;
    let subcategory = shop.subcategory("هواتف", "Phones").await;
    shop.link(
        "/subcategories/staff/link",
        json!({"subcategoryId": subcategory, "categoryId": category}),
    )
    .await;

    for path in [
        format!("/subcategories/staff/{subcategory}"),
        format!("/categories/staff/{category}"),
    ] {
        shop.admin_ok(Method::DELETE, &path, None).await;
    }
}

#[tokio::test]
async fn labels_and_tags_link_many_and_deleting_them_unlinks_every_product() {
    let shop = Shop::open().await;
    let label = shop.label("عرض", "Sale", "#00ff00").await;
    let tag = shop.tag("شتوي", "Winter").await;
    let first = shop.product("معطف", "Coat", 50.0).await;
    let second = shop.product("وشاح", "Scarf", 20.0).await;

    for product in [&first, &second] {
        let linked = shop
            .link(
                "/labels/staff/link",
                json!({"labelId": label, "productId": product}),
            )
            .await;
        assert_eq!(
            linked["labels"][0]["_id"], label,
            "the answer is the product with its labels"
        );
        shop.link(
            "/tags/staff/link",
            json!({"tagId": tag, "productId": product}),
        )
        .await;
    }
    shop.admin_fails(
        Method::POST,
        "/labels/staff/link",
        Some(json!({"labelId": label, "productId": first})),
        StatusCode::BAD_REQUEST,
        "already_linked",
    )
    .await;
    shop.admin_fails(
        Method::POST,
        "/tags/staff/link",
        Some(json!({"tagId": UNKNOWN, "productId": first})),
        StatusCode::NOT_FOUND,
        "tag_not_found",
    )
    .await;
    let (status, error) = shop
        .admin(
            Method::POST,
            "/tags/staff/link",
            Some(json!({"productId": first})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error["fields"]["tagId"].is_array());

    let (_, by_label) = shop.public(&format!("/products?label={label}"), "en").await;
    assert_eq!(by_label["metadata"]["total"], 2);
    let (_, staff_tag) = shop.admin(Method::GET, "/tags/staff", None).await;
    assert_eq!(staff_tag["data"][0]["products"], json!([second, first]));

    let admin = shop.as_admin();
    let unlinked = admin.unlink(Tag, &second, Some(&tag)).await.ok();
    assert_eq!(unlinked["tags"], json!([]));
    admin
        .unlink(Tag, &second, Some(&tag))
        .await
        .fails(StatusCode::BAD_REQUEST, "not_linked");

    let (status, answer) = shop
        .admin(Method::DELETE, &format!("/tags/staff/{tag}"), None)
        .await;
    assert_eq!((status, answer), (StatusCode::OK, json!({"success": true})));
    let (status, answer) = shop
        .admin(Method::DELETE, &format!("/labels/staff/{label}"), None)
        .await;
    assert_eq!(
        (status, answer),
        (
            StatusCode::OK,
            json!({"message": "Label deleted successfully"})
        )
    );
    for product in [&first, &second] {
        let staff = shop
            .admin_ok(Method::GET, &format!("/products/staff/{product}"), None)
            .await;
        assert_eq!(
            (&staff["labels"], &staff["tags"]),
            (&json!([]), &json!([])),
            "{product}"
        );
    }
    let (_, by_label) = shop.public(&format!("/products?label={label}"), "en").await;
    assert_eq!(by_label["metadata"]["total"], 0);
}

#[tokio::test]
async fn links_follow_the_employee_read_only_rule_of_the_product() {
    let shop = Shop::open().await;
    let tag = shop.tag("وسم", "Tag").await;
    let product = shop.read_only_product("م", "P", 10.0).await;
    let (status, error) = shop
        .employee(
            Method::POST,
            "/tags/staff/link",
            Some(json!({"tagId": tag, "productId": product})),
        )
        .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("only_admin_can_modify"))
    );
    let (_, tags) = shop.admin(Method::GET, "/tags/staff", None).await;
    assert_eq!(tags["data"][0]["products"], json!([]), "nothing was linked");
}

#[tokio::test]
async fn deleting_a_label_on_more_products_than_one_transaction_holds_unlinks_them_all() {
    use catalog::{
        kind::Kind,
        model::{Entity, Product},
        store::{CatalogStore, Change},
    };
    let shop = Shop::open().await;
    let store = CatalogStore::new(shop.app.dynamodb.clone(), shop.app.table_name.clone());
    let mut label = Entity::new(Kind::Label, 1);
    (label.name_ar, label.name_en, label.color) =
        ("كثير".into(), "Many".into(), Some("#123456".into()));
    label.link_count = 150;
    store.apply(vec![Change::create(&label)]).await.unwrap();
    let products: Vec<Product> = (0..150)
        .map(|i| {
            let mut product = Product::new(2 + i);
            (product.name_ar, product.name_en) = (format!("منتج {i}"), format!("Product {i}"));
            product.labels = vec![label.id];
            product
        })
        .collect();
    for chunk in products.chunks(90) {
        store
            .apply(chunk.iter().map(Change::create).collect())
            .await
            .unwrap();
    }
    let (_, labelled) = shop
        .public(&format!("/products?label={}", label.id), "en")
        .await;
    assert_eq!(labelled["metadata"]["total"], 150);

    let (status, _) = shop
        .admin(Method::DELETE, &format!("/labels/staff/{}", label.id), None)
        .await;

    assert_eq!(status, StatusCode::OK);
    let (status, _) = shop.public(&format!("/labels/{}", label.id), "en").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, staff) = shop
        .admin(Method::GET, "/products/staff?limit=100&page=2", None)
        .await;
    assert_eq!(staff["metadata"]["total"], 150);
    let catalog = store.snapshot().await.unwrap();
    assert!(
        catalog.products().all(|e| e.product.labels.is_empty()),
        "every product left the label"
    );
}

#[tokio::test]
async fn a_product_takes_at_most_thirty_tags_and_is_still_deleted_in_one_go() {
    use catalog::{
        kind::Kind,
        model::{Entity, Product},
        store::{CatalogStore, Change},
    };
    let shop = Shop::open().await;
    let store = CatalogStore::new(shop.app.dynamodb.clone(), shop.app.table_name.clone());
    // 29 tags and 30 labels already on the product, written directly so the test stays fast.
    let entities = |kind: Kind, count: i64, linked: u64| -> Vec<Entity> {
        (0..count)
            .map(|i| {
                let mut entity = Entity::new(kind, 1 + i);
                (entity.name_ar, entity.name_en) = (format!("وسم {i}"), format!("Entity {i}"));
                entity.color = (kind == Kind::Label).then(|| "#abcdef".into());
                entity.link_count = linked;
                entity
            })
            .collect()
    };
    let mut tags = entities(Kind::Tag, 29, 1);
    let labels = entities(Kind::Label, 30, 1);
    let mut product = Product::new(100);
    (product.name_ar, product.name_en) = ("منتج".into(), "Product".into());
    product.tags = tags.iter().map(|tag| tag.id).collect();
    product.labels = labels.iter().map(|label| label.id).collect();
    let spare = entities(Kind::Tag, 2, 0);
    tags.extend(spare.iter().cloned());
    let mut changes: Vec<Change> = tags.iter().chain(&labels).map(Change::create).collect();
    changes.push(Change::create(&product));
    store.apply(changes).await.unwrap();
    let link = |tag: &Entity| json!({"tagId": tag.id, "productId": product.id});

    let thirtieth = shop.link("/tags/staff/link", link(&spare[0])).await;
    assert_eq!(thirtieth["tags"].as_array().map(Vec::len), Some(30));
    shop.admin_fails(
        Method::POST,
        "/tags/staff/link",
        Some(link(&spare[1])),
        StatusCode::BAD_REQUEST,
        "too_many_links",
    )
    .await;

    let (status, _) = shop
        .admin(
            Method::DELETE,
            &format!("/products/staff/{}", product.id),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "60 links fit in one transaction");
    let catalog = store.snapshot().await.unwrap();
    assert!(catalog.product(&product.id).is_none());
    for kind in [Kind::Tag, Kind::Label] {
        assert!(
            catalog.entities(kind).all(|e| e.entity.link_count == 0),
            "every {kind:?} is free again"
        );
    }
}

/// Fails before every touched record was checked: each of these went through for an employee.
#[tokio::test]
async fn an_employee_cannot_change_a_read_only_record_through_another_one() {
    let shop = Shop::open().await;
    let forbidden = |(status, error): (StatusCode, serde_json::Value), why: &str| {
        assert_eq!(
            (status, error["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("only_admin_can_modify")),
            "{why}: {error}"
        );
    };
    let read_only_tag = shop
        .create(
            "/tags/staff",
            json!({"nameAr": "و", "nameEn": "Locked tag", "employeeReadOnly": true}),
        )
        .await;
    let product = shop.product("م", "P", 10.0).await;
    let link = json!({"tagId": read_only_tag, "productId": product});
    forbidden(
        shop.employee(Method::POST, "/tags/staff/link", Some(link))
            .await,
        "linking to a read-only tag",
    );

    let read_only_category = shop
        .create(
            "/categories/staff",
            json!({"nameAr": "ف", "nameEn": "Locked", "cover": "https://cdn.example/c.png", "employeeReadOnly": true}),
        )
        .await;
    let subcategory = shop.subcategory("ف ف", "Sub").await;
    let link = json!({"subcategoryId": subcategory, "categoryId": read_only_category});
    forbidden(
        shop.employee(Method::POST, "/subcategories/staff/link", Some(link))
            .await,
        "linking to a read-only category",
    );

    let tag = shop.tag("وسم", "Tag").await;
    let read_only_product = shop.read_only_product("م م", "Locked P", 10.0).await;
    shop.link(
        "/tags/staff/link",
        json!({"tagId": tag, "productId": read_only_product}),
    )
    .await;
    forbidden(
        shop.employee(Method::DELETE, &format!("/tags/staff/{tag}"), None)
            .await,
        "deleting a tag rewrites a read-only product",
    );
    let staff = shop
        .admin_ok(
            Method::GET,
            &format!("/products/staff/{read_only_product}"),
            None,
        )
        .await;
    assert_eq!(
        staff["tags"].as_array().map(Vec::len),
        Some(1),
        "still tagged"
    );

    shop.create(
        "/offers",
        json!({"productId": product, "type": "percent", "value": 0.1, "offerQuantity": 10,
            "maxPerClient": 2, "employeeReadOnly": true}),
    )
    .await;
    forbidden(
        shop.employee(Method::DELETE, &format!("/products/staff/{product}"), None)
            .await,
        "deleting a product deletes its read-only offer",
    );
    shop.admin_ok(Method::GET, &format!("/products/staff/{product}"), None)
        .await;
}
