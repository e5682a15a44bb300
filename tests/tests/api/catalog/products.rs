//! Products: shapes, filters, search, sorting, validation and deletion.

use catalog::kind::Kind::{Brand, Label, Subcategory, Tag};
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{Shop, ids, keys};

#[tokio::test]
async fn a_product_is_seen_at_once_in_the_store_s_shape_and_the_staff_s() {
    let shop = Shop::open().await;
    let (admin, english) = (shop.as_admin(), shop.anonymous("en"));
    let created = admin
        .create_product(&json!({
            "nameAr": "قهوة", "nameEn": "Coffee", "descriptionAr": "بن محمص", "descriptionEn": "Roasted beans",
            "coverList": ["https://cdn.example/1.png", "https://cdn.example/2.png"],
            "quantity": 7, "price": 120.5, "minPrice": 100,
            // server-owned and relation fields are ignored
            "finalPrice": 1, "rating": 5, "ordersCount": 99, "brand": "000000000000000000000001",
            "labels": ["000000000000000000000002"], "offer": "000000000000000000000003"
        }))
        .await
        .created();
    assert_eq!(
        keys(&created),
        [
            "_id",
            "brand",
            "coverList",
            "createdAt",
            "descriptionAr",
            "descriptionEn",
            "disabled",
            "employeeReadOnly",
            "finalPrice",
            "labels",
            "minPrice",
            "nameAr",
            "nameEn",
            "offer",
            "ordersCount",
            "price",
            "purchaseCount",
            "quantity",
            "rating",
            "returnCount",
            "reviews",
            "subcategory",
            "tags",
            "updatedAt",
            "viewsCount"
        ]
    );
    assert_eq!(created["finalPrice"], 120.5);
    assert_eq!(created["rating"], 0.0);
    assert_eq!(created["ordersCount"], 0);
    assert_eq!(
        (&created["brand"], &created["offer"]),
        (&json!(null), &json!(null))
    );
    assert_eq!(created["labels"], json!([]));
    let id = created["_id"].as_str().unwrap();

    let list = shop.anonymous("ar").public_products("").await.ok();
    assert_eq!(
        list["data"][0],
        json!({
            "_id": id, "name": "قهوة", "description": "بن محمص",
            "coverList": ["https://cdn.example/1.png", "https://cdn.example/2.png"],
            "rating": 0.0, "reviews": 0, "offer": null, "brand": null, "subcategory": null,
            "labels": [], "tags": [], "quantity": 7, "disabled": false, "price": 120.5, "finalPrice": 120.5
        })
    );
    let read = english.public_product(id).await.ok();
    assert_eq!(
        (&read["name"], &read["description"]),
        (&json!("Coffee"), &json!("Roasted beans"))
    );

    let changed = admin
        .update_product(id, &json!({"price": 99.99, "quantity": 0}))
        .await
        .ok();
    assert_eq!(
        (&changed["price"], &changed["quantity"], &changed["nameEn"]),
        (&json!(99.99), &json!(0), &json!("Coffee"))
    );
    let seen = english.public_product(id).await.ok();
    assert_eq!(
        seen["price"], 99.99,
        "a write is visible to the very next public read"
    );
}

#[tokio::test]
async fn product_bodies_are_validated_like_create_on_patch_too() {
    let shop = Shop::open().await;
    let (status, error) = shop
        .admin(
            Method::POST,
            "/products/staff",
            Some(json!({"nameAr": "ق"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        keys(&error["fields"]),
        [
            "coverList",
            "descriptionAr",
            "descriptionEn",
            "minPrice",
            "nameEn",
            "price",
            "quantity"
        ]
    );
    let id = shop.product("ق", "C", 10.0).await;
    for (body, field) in [
        (json!({"price": -1}), "price"),
        (json!({"price": 1.234}), "price"),
        // Used to be stored as 20 and 10: an f64 cannot tell these from two-decimal amounts.
        (json!({"price": 19.999999999}), "price"),
        (json!({"price": 10.000000001}), "price"),
        (json!({"price": "ten"}), "price"),
        (json!({"quantity": -1}), "quantity"),
        (json!({"quantity": 1.5}), "quantity"),
        (json!({"nameEn": "   "}), "nameEn"),
        // Invisible or spoofing names used to be stored.
        (json!({"nameEn": "\u{200b}"}), "nameEn"),
        (json!({"nameEn": "\u{feff}"}), "nameEn"),
        (json!({"nameAr": "\u{200d}\u{200c}\u{2060}"}), "nameAr"),
        (json!({"nameEn": "Shoe\u{202e}gpj.exe"}), "nameEn"),
        (json!({"nameEn": "nul\u{0}esc\u{1b}"}), "nameEn"),
        (json!({"coverList": ["ftp://x"]}), "coverList[0]"),
        (
            json!({"coverList": "https://cdn.example/a.png"}),
            "coverList",
        ),
    ] {
        let (status, error) = shop
            .admin(
                Method::PATCH,
                &format!("/products/staff/{id}"),
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(error["fields"][field].is_array(), "{body}: {error}");
    }
    let unchanged = shop
        .admin_ok(Method::GET, &format!("/products/staff/{id}"), None)
        .await;
    assert_eq!(
        (&unchanged["price"], &unchanged["nameEn"]),
        (&json!(10), &json!("C"))
    );
}

#[tokio::test]
async fn the_store_filters_searches_and_sorts_products() {
    let shop = Shop::open().await;
    let brand = shop.brand("نايكي", "Nike").await;
    let category = shop.category("رياضة", "Sports").await;
    let subcategory = shop.subcategory("أحذية", "Shoes").await;
    let tag = shop.tag("جَرْي", "Running").await;
    let label = shop.label("جديد", "New", "#00f").await;
    let (admin, english) = (shop.as_admin(), shop.anonymous("en"));
    admin.link_category(&subcategory, &category).await.ok();

    let runner = shop.product("حذاء جري", "Runner", 300.0).await;
    let sandal = shop.product("صندل", "Sandal", 80.0).await;
    let hidden = shop.product("حذاء قديم", "Old shoe", 10.0).await;
    let shirt = shop.product("قميص", "Shirt", 150.0).await;
    for product in [&runner, &sandal, &hidden] {
        admin.link(Subcategory, product, &subcategory).await.ok();
    }
    admin.link(Brand, &runner, &brand).await.ok();
    admin.link(Tag, &runner, &tag).await.ok();
    admin.link(Label, &sandal, &label).await.ok();
    let disable = json!({"disabled": true});
    admin.update_product(&hidden, &disable).await.ok();

    let cases = [
        ("", vec![&shirt, &sandal, &runner]),
        (&*format!("category={category}"), vec![&sandal, &runner]),
        (
            &*format!("subcategory={subcategory}&maxPrice=100"),
            vec![&sandal],
        ),
        (&*format!("brand={brand}"), vec![&runner]),
        (&*format!("tag={tag}"), vec![&runner]),
        (&*format!("label={label}"), vec![&sandal]),
        ("minPrice=100&maxPrice=300", vec![&shirt, &runner]),
        ("search=nike", vec![&runner]),
        ("search=%D8%AC%D8%B1%D9%8A", vec![&runner]), // "جري": its name and its tag
        ("search=shoes", vec![&sandal, &runner]),     // through the subcategory's name
        ("search=old", vec![]),                       // disabled
        ("sort=price", vec![&sandal, &shirt, &runner]),
        ("sort=-price&limit=2", vec![&runner, &shirt]),
        ("sort=name", vec![&runner, &sandal, &shirt]),
    ];
    for (query, expected) in cases {
        let found = english.public_products(query).await.ok();
        let expected: Vec<&str> = expected.iter().map(|s| s.as_str()).collect();
        assert_eq!(ids(&found), expected, "{query}");
    }
    let two_filters = format!("category={category}&search=%D8%AD%D8%B0%D8%A7%D8%A1&limit=1");
    let two_filters = shop
        .anonymous("ar")
        .public_products(&two_filters)
        .await
        .ok();
    assert_eq!(
        two_filters["metadata"],
        json!({"total": 1, "page": 1, "limit": 1})
    );

    // A disabled product is not in the store.
    english
        .public_product(&hidden)
        .await
        .fails(StatusCode::NOT_FOUND, "product_not_found");
    let staff = admin.staff_products("disabled=true").await.ok();
    assert_eq!(ids(&staff), [hidden.as_str()]);
    let staff_search = admin.staff_products("search=old").await.ok();
    assert_eq!(ids(&staff_search), [hidden.as_str()]);
    for bad in ["brand=123", "minPrice=cheap", "limit=x", "sort=best"] {
        let answer = english.public_products(bad).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn disabled_relations_are_not_shown_in_the_store() {
    let shop = Shop::open().await;
    let brand = shop.brand("قديم", "Retired").await;
    let product = shop.product("منتج", "Product", 10.0).await;
    let admin = shop.as_admin();
    admin.link(Brand, &product, &brand).await.ok();
    let disable = json!({"disabled": true});
    admin.update(Brand, &brand, &disable).await.ok();

    let public = shop.anonymous("en").public_product(&product).await.ok();
    assert_eq!(public["brand"], json!(null));
    let staff = admin.staff_product(&product).await.ok();
    assert_eq!(staff["brand"]["disabled"], true);
}

#[tokio::test]
async fn deleting_a_product_deletes_its_offer_and_frees_what_it_was_linked_to() {
    let shop = Shop::open().await;
    let brand = shop.brand("ماركة", "Brand").await;
    let product = shop.product("منتج", "Product", 10.0).await;
    let admin = shop.as_admin();
    admin.link(Brand, &product, &brand).await.ok();
    let offer = shop
        .create("/offers", json!({"productId": product, "type": "percent", "value": 0.1, "offerQuantity": 5, "maxPerClient": 1}))
        .await;

    let answer = admin.delete_product(&product).await.ok();
    assert_eq!(answer, json!({"message": "Product deleted successfully"}));
    admin
        .offer(&offer)
        .await
        .fails(StatusCode::NOT_FOUND, "offer_not_found");
    admin
        .staff_product(&product)
        .await
        .fails(StatusCode::NOT_FOUND, "product_not_found");
    // The brand has no products left.
    admin.delete(Brand, &brand).await.ok();
}
