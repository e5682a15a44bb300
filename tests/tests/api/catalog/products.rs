//! Products: shapes, filters, search, sorting, validation and deletion.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{Shop, ids, keys};

#[tokio::test]
async fn a_product_is_seen_at_once_in_the_store_s_shape_and_the_staff_s() {
    let shop = Shop::open().await;
    let (status, created) = shop
        .admin(
            Method::POST,
            "/products/staff",
            Some(json!({
                "nameAr": "قهوة", "nameEn": "Coffee", "descriptionAr": "بن محمص", "descriptionEn": "Roasted beans",
                "coverList": ["https://cdn.example/1.png", "https://cdn.example/2.png"],
                "quantity": 7, "price": 120.5, "minPrice": 100,
                // server-owned and relation fields are ignored
                "finalPrice": 1, "rating": 5, "ordersCount": 99, "brand": "000000000000000000000001",
                "labels": ["000000000000000000000002"], "offer": "000000000000000000000003"
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
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

    let (status, list) = shop.public("/products", "ar").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        list["data"][0],
        json!({
            "_id": id, "name": "قهوة", "description": "بن محمص",
            "coverList": ["https://cdn.example/1.png", "https://cdn.example/2.png"],
            "rating": 0.0, "reviews": 0, "offer": null, "brand": null, "subcategory": null,
            "labels": [], "tags": [], "quantity": 7, "disabled": false, "price": 120.5, "finalPrice": 120.5
        })
    );
    let (_, english) = shop.public(&format!("/products/{id}"), "en").await;
    assert_eq!(
        (&english["name"], &english["description"]),
        (&json!("Coffee"), &json!("Roasted beans"))
    );

    let changed = shop
        .admin_ok(
            Method::PATCH,
            &format!("/products/staff/{id}"),
            Some(json!({"price": 99.99, "quantity": 0})),
        )
        .await;
    assert_eq!(
        (&changed["price"], &changed["quantity"], &changed["nameEn"]),
        (&json!(99.99), &json!(0), &json!("Coffee"))
    );
    let (_, seen) = shop.public(&format!("/products/{id}"), "en").await;
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
        (json!({"price": "ten"}), "price"),
        (json!({"quantity": -1}), "quantity"),
        (json!({"quantity": 1.5}), "quantity"),
        (json!({"nameEn": "   "}), "nameEn"),
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
    shop.link(
        "/subcategories/staff/link",
        json!({"subcategoryId": subcategory, "categoryId": category}),
    )
    .await;

    let runner = shop.product("حذاء جري", "Runner", 300.0).await;
    let sandal = shop.product("صندل", "Sandal", 80.0).await;
    let hidden = shop.product("حذاء قديم", "Old shoe", 10.0).await;
    let shirt = shop.product("قميص", "Shirt", 150.0).await;
    for product in [&runner, &sandal, &hidden] {
        shop.link(
            "/products/staff/link-subcategory",
            json!({"productId": product, "subcategoryId": subcategory}),
        )
        .await;
    }
    shop.link(
        "/products/staff/link-brand",
        json!({"productId": runner, "brandId": brand}),
    )
    .await;
    shop.link(
        "/tags/staff/link",
        json!({"tagId": tag, "productId": runner}),
    )
    .await;
    shop.link(
        "/labels/staff/link",
        json!({"labelId": label, "productId": sandal}),
    )
    .await;
    shop.admin_ok(
        Method::PATCH,
        &format!("/products/staff/{hidden}"),
        Some(json!({"disabled": true})),
    )
    .await;

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
        let (status, found) = shop.public(&format!("/products?{query}"), "en").await;
        assert_eq!(status, StatusCode::OK, "{query}: {found}");
        let expected: Vec<&str> = expected.iter().map(|s| s.as_str()).collect();
        assert_eq!(ids(&found), expected, "{query}");
    }
    let (_, two_filters) = shop
        .public(
            &format!("/products?category={category}&search=%D8%AD%D8%B0%D8%A7%D8%A1&limit=1"),
            "ar",
        )
        .await;
    assert_eq!(
        two_filters["metadata"],
        json!({"total": 1, "page": 1, "limit": 1})
    );

    let (status, _) = shop.public(&format!("/products/{hidden}"), "en").await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a disabled product is not in the store"
    );
    let (_, staff) = shop
        .admin(Method::GET, "/products/staff?disabled=true", None)
        .await;
    assert_eq!(ids(&staff), [hidden.as_str()]);
    let (_, staff_search) = shop
        .admin(Method::GET, "/products/staff?search=old", None)
        .await;
    assert_eq!(ids(&staff_search), [hidden.as_str()]);
    for bad in ["brand=123", "minPrice=cheap", "limit=x", "sort=best"] {
        let (status, _) = shop.public(&format!("/products?{bad}"), "en").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn disabled_relations_are_not_shown_in_the_store() {
    let shop = Shop::open().await;
    let brand = shop.brand("قديم", "Retired").await;
    let product = shop.product("منتج", "Product", 10.0).await;
    shop.link(
        "/products/staff/link-brand",
        json!({"productId": product, "brandId": brand}),
    )
    .await;
    shop.admin_ok(
        Method::PATCH,
        &format!("/brands/staff/{brand}"),
        Some(json!({"disabled": true})),
    )
    .await;

    let (_, public) = shop.public(&format!("/products/{product}"), "en").await;
    assert_eq!(public["brand"], json!(null));
    let staff = shop
        .admin_ok(Method::GET, &format!("/products/staff/{product}"), None)
        .await;
    assert_eq!(staff["brand"]["disabled"], true);
}

#[tokio::test]
async fn deleting_a_product_deletes_its_offer_and_frees_what_it_was_linked_to() {
    let shop = Shop::open().await;
    let brand = shop.brand("ماركة", "Brand").await;
    let product = shop.product("منتج", "Product", 10.0).await;
    shop.link(
        "/products/staff/link-brand",
        json!({"productId": product, "brandId": brand}),
    )
    .await;
    let offer = shop
        .create("/offers", json!({"productId": product, "type": "percent", "value": 0.1, "offerQuantity": 5, "maxPerClient": 1}))
        .await;

    let (status, answer) = shop
        .admin(Method::DELETE, &format!("/products/staff/{product}"), None)
        .await;
    assert_eq!(
        (status, answer),
        (
            StatusCode::OK,
            json!({"message": "Product deleted successfully"})
        )
    );
    let (status, _) = shop
        .admin(Method::GET, &format!("/offers/{offer}"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = shop
        .admin(Method::GET, &format!("/products/staff/{product}"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = shop
        .admin(Method::DELETE, &format!("/brands/staff/{brand}"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "the brand has no products left");
}
