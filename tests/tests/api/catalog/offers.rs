//! Offers: one per product, and what they do to `finalPrice`.

use aws_sdk_dynamodb::types::AttributeValue;
use catalog::store::{bump_version, record_key};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::Id;

use super::{Shop, ids, keys};

/// The product's final price as the store sees it.
async fn final_price(shop: &Shop, product: &str) -> Value {
    let (status, seen) = shop.public(&format!("/products/{product}"), "en").await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    seen["finalPrice"].clone()
}

async fn priced_product(shop: &Shop, price: f64, min_price: f64) -> String {
    shop.create(
        "/products/staff",
        json!({"nameAr": "منتج", "nameEn": "Product", "descriptionAr": "و", "descriptionEn": "d",
               "coverList": ["https://cdn.example/p.png"], "quantity": 3, "price": price, "minPrice": min_price}),
    )
    .await
}

fn percent(product: &str, value: f64) -> Value {
    json!({"productId": product, "type": "percent", "value": value, "offerQuantity": 10, "maxPerClient": 2})
}

#[tokio::test]
async fn a_percent_offer_discounts_exactly_and_never_below_the_min_price() {
    let shop = Shop::open().await;
    let product = priced_product(&shop, 199.99, 150.0).await;
    let (status, offer) = shop
        .admin(Method::POST, "/offers", Some(percent(&product, 0.1)))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{offer}");
    assert_eq!(
        keys(&offer),
        [
            "_id",
            "active",
            "createdAt",
            "disabled",
            "employeeReadOnly",
            "endsAt",
            "maxPerClient",
            "nameAr",
            "nameEn",
            "offerQuantity",
            "product",
            "quantityPurchased",
            "startsAt",
            "type",
            "updatedAt",
            "value"
        ]
    );
    assert_eq!(
        (&offer["type"], &offer["value"], &offer["active"]),
        (&json!("percent"), &json!(0.1), &json!(true))
    );
    assert_eq!(offer["product"]["_id"], product);
    assert_eq!(
        offer["product"]["finalPrice"], 179.99,
        "19.999 off rounds to 20.00"
    );
    assert_eq!(final_price(&shop, &product).await, 179.99);

    let id = offer["_id"].as_str().unwrap();
    shop.admin_ok(
        Method::PATCH,
        &format!("/offers/{id}"),
        Some(json!({"value": 0.5})),
    )
    .await;
    assert_eq!(
        final_price(&shop, &product).await,
        150,
        "floored at minPrice"
    );

    shop.admin_ok(
        Method::PATCH,
        &format!("/products/staff/{product}"),
        Some(json!({"minPrice": 0, "price": 10})),
    )
    .await;
    assert_eq!(
        final_price(&shop, &product).await,
        5,
        "recomputed when the price changes"
    );

    let (_, store) = shop.public(&format!("/products/{product}"), "ar").await;
    assert_eq!(store["offer"]["_id"], id);
    assert_eq!(store["offer"]["value"], 0.5);
}

#[tokio::test]
async fn a_fixed_offer_subtracts_and_only_a_live_offer_discounts() {
    let shop = Shop::open().await;
    let product = priced_product(&shop, 120.0, 0.0).await;
    let id = shop
        .create(
            "/offers",
            json!({"productId": product, "type": "fixed", "value": 50, "offerQuantity": 3,
                                  "maxPerClient": 1, "nameAr": "خصم", "nameEn": "Deal"}),
        )
        .await;
    let path = format!("/offers/{id}");
    assert_eq!(final_price(&shop, &product).await, 70);
    // The admin panel sends "" for names typed and then cleared: that is no name, as in Belta.
    let unnamed = shop
        .admin_ok(
            Method::PATCH,
            &path,
            Some(json!({"nameAr": "", "nameEn": " "})),
        )
        .await;
    assert_eq!(
        (&unnamed["nameAr"], &unnamed["nameEn"]),
        (&json!(null), &json!(null))
    );

    shop.admin_ok(Method::PATCH, &path, Some(json!({"disabled": true})))
        .await;
    assert_eq!(final_price(&shop, &product).await, 120, "disabled");
    let (_, store) = shop.public(&format!("/products/{product}"), "en").await;
    assert_eq!(
        store["offer"],
        json!(null),
        "the store does not show a dead offer"
    );

    shop.admin_ok(
        Method::PATCH,
        &path,
        Some(json!({"disabled": false, "startsAt": "2999-01-01T00:00:00Z"})),
    )
    .await;
    assert_eq!(final_price(&shop, &product).await, 120, "not started");
    shop.admin_ok(
        Method::PATCH,
        &path,
        Some(json!({"startsAt": null, "endsAt": "2001-01-01T00:00:00Z"})),
    )
    .await;
    assert_eq!(final_price(&shop, &product).await, 120, "ended");
    let live = shop
        .admin_ok(
            Method::PATCH,
            &path,
            Some(
                json!({"startsAt": "2001-01-01T00:00:00+02:00", "endsAt": "2999-01-01T00:00:00Z"}),
            ),
        )
        .await;
    assert_eq!(live["startsAt"], "2000-12-31T22:00:00.000Z");
    assert_eq!(final_price(&shop, &product).await, 70, "inside its dates");

    // Orders will count purchases; until then the test sells the offer out in the table itself.
    let key = record_key("OFFER", &id.parse::<Id>().unwrap());
    shop.app
        .dynamodb
        .update_item()
        .table_name(&shop.app.table_name)
        .set_key(Some(key.to_attributes()))
        .update_expression("SET quantityPurchased = :sold")
        .expression_attribute_values(":sold", AttributeValue::N("3".into()))
        .send()
        .await
        .unwrap();
    shop.app
        .dynamodb
        .transact_write_items()
        .transact_items(bump_version(&shop.app.table_name))
        .send()
        .await
        .unwrap();
    assert_eq!(final_price(&shop, &product).await, 120, "sold out");
}

#[tokio::test]
async fn a_product_has_one_offer_which_can_move_and_be_deleted() {
    let shop = Shop::open().await;
    let first = priced_product(&shop, 100.0, 0.0).await;
    let second = priced_product(&shop, 100.0, 0.0).await;
    let third = priced_product(&shop, 100.0, 0.0).await;
    let offer = shop.create("/offers", percent(&first, 0.2)).await;
    let other = shop.create("/offers", percent(&third, 0.3)).await;

    shop.admin_fails(
        Method::POST,
        "/offers",
        Some(percent(&first, 0.1)),
        StatusCode::CONFLICT,
        "product_has_offer",
    )
    .await;
    shop.admin_fails(
        Method::POST,
        "/offers",
        Some(percent("000000000000000000000042", 0.1)),
        StatusCode::NOT_FOUND,
        "product_not_found",
    )
    .await;

    let moved = shop
        .admin_ok(
            Method::PATCH,
            &format!("/offers/{offer}"),
            Some(json!({"product": second})),
        )
        .await;
    assert_eq!(moved["product"]["_id"], second);
    assert_eq!(final_price(&shop, &first).await, 100);
    assert_eq!(final_price(&shop, &second).await, 80);
    shop.admin_fails(
        Method::PATCH,
        &format!("/offers/{offer}"),
        Some(json!({"product": third})),
        StatusCode::CONFLICT,
        "product_has_offer",
    )
    .await;

    let (_, by_product) = shop
        .admin(Method::GET, &format!("/offers?productId={third}"), None)
        .await;
    assert_eq!(ids(&by_product), [other.as_str()]);
    let (_, by_type) = shop
        .admin(Method::GET, "/offers?type=percent&disabled=false", None)
        .await;
    assert_eq!(by_type["metadata"]["total"], 2);
    let (_, fixed) = shop.admin(Method::GET, "/offers?type=fixed", None).await;
    assert_eq!(fixed["metadata"]["total"], 0);

    let (status, answer) = shop
        .admin(Method::DELETE, &format!("/offers/{offer}"), None)
        .await;
    assert_eq!(
        (status, answer),
        (
            StatusCode::OK,
            json!({"message": "Offer deleted successfully"})
        )
    );
    assert_eq!(final_price(&shop, &second).await, 100);
    let staff = shop
        .admin_ok(Method::GET, &format!("/products/staff/{second}"), None)
        .await;
    assert_eq!(staff["offer"], json!(null));
    shop.create("/offers", percent(&second, 0.1)).await;
}

#[tokio::test]
async fn offers_are_validated_and_staff_only() {
    let shop = Shop::open().await;
    let product = priced_product(&shop, 100.0, 0.0).await;
    for (body, field) in [
        (
            json!({"type": "percent", "value": 0.1, "offerQuantity": 1, "maxPerClient": 1}),
            "productId",
        ),
        (percent(&product, 0.96), "value"),
        (percent(&product, 0.001), "value"),
        (
            json!({"productId": product, "type": "fixed", "value": 0.5, "offerQuantity": 1, "maxPerClient": 1}),
            "value",
        ),
        (
            json!({"productId": product, "type": "half", "value": 0.5, "offerQuantity": 1, "maxPerClient": 1}),
            "type",
        ),
        (
            json!({"productId": product, "type": "percent", "value": 0.5, "offerQuantity": 0, "maxPerClient": 1}),
            "offerQuantity",
        ),
        (
            json!({"productId": product, "type": "percent", "value": 0.5, "offerQuantity": 2, "maxPerClient": 3}),
            "maxPerClient",
        ),
        (
            json!({"productId": product, "type": "percent", "value": 0.5, "offerQuantity": 2, "maxPerClient": 1, "nameAr": "عرض"}),
            "nameEn",
        ),
        (
            json!({"productId": product, "type": "percent", "value": 0.5, "offerQuantity": 2, "maxPerClient": 1, "nameAr": "عرض", "nameEn": ""}),
            "nameEn",
        ),
        (
            json!({"productId": product, "type": "percent", "value": 0.5, "offerQuantity": 2, "maxPerClient": 1, "startsAt": "tomorrow"}),
            "startsAt",
        ),
        (
            json!({"productId": product, "type": "percent", "value": 0.5, "offerQuantity": 2, "maxPerClient": 1,
                "startsAt": "2030-01-02T00:00:00Z", "endsAt": "2030-01-01T00:00:00Z"}),
            "endsAt",
        ),
    ] {
        let (status, error) = shop
            .admin(Method::POST, "/offers", Some(body.clone()))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(error["fields"][field].is_array(), "{body}: {error}");
    }
    let (_, offers) = shop.admin(Method::GET, "/offers", None).await;
    assert_eq!(
        offers["metadata"]["total"], 0,
        "no failed create left anything behind"
    );
    let staff = shop
        .admin_ok(Method::GET, &format!("/products/staff/{product}"), None)
        .await;
    assert_eq!(staff["offer"], json!(null));

    let offer = shop.create("/offers", percent(&product, 0.1)).await;
    let (status, error) = shop
        .admin(
            Method::PATCH,
            &format!("/offers/{offer}"),
            Some(json!({"type": "fixed"})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a new type needs its value"
    );
    assert!(error["fields"]["value"].is_array());

    for (token, expected) in [
        (None, StatusCode::UNAUTHORIZED),
        (Some(shop.client.as_str()), StatusCode::FORBIDDEN),
    ] {
        for (method, path) in [
            (Method::GET, "/offers".to_owned()),
            (Method::GET, format!("/offers/{offer}")),
            (Method::DELETE, format!("/offers/{offer}")),
        ] {
            let (status, _) = shop.call(method.clone(), &path, token, None, None).await;
            assert_eq!(status, expected, "{method} {path}");
        }
    }
    let (status, _) = shop
        .admin(Method::GET, "/offers/000000000000000000000042", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn read_only_products_and_offers_are_the_admin_s_and_staff_lists_filter_by_them() {
    let shop = Shop::open().await;
    let locked = shop.read_only_product("مقفل", "Locked", 50.0).await;
    let open = priced_product(&shop, 40.0, 0.0).await;
    let locked_offer = shop
        .create(
            "/offers",
            json!({"productId": open, "type": "fixed", "value": 5, "offerQuantity": 3,
                   "maxPerClient": 1, "nameAr": "خصم الشتاء", "nameEn": "Winter deal",
                   "employeeReadOnly": true}),
        )
        .await;

    for (path, body) in [
        (format!("/products/staff/{locked}"), json!({"price": 1})),
        (format!("/offers/{locked_offer}"), json!({"value": 1})),
    ] {
        for (method, body) in [(Method::PATCH, Some(body)), (Method::DELETE, None)] {
            let (status, error) = shop.employee(method.clone(), &path, body).await;
            assert_eq!(
                (status, error["code"].as_str()),
                (StatusCode::FORBIDDEN, Some("only_admin_can_modify")),
                "{method} {path}"
            );
        }
        let (status, _) = shop.employee(Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::OK, "employees still read {path}");
    }
    let (status, error) = shop
        .employee(
            Method::PATCH,
            &format!("/products/staff/{open}"),
            Some(json!({"employeeReadOnly": true})),
        )
        .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("only_admin_can_set_read_only"))
    );
    assert_eq!(
        final_price(&shop, &open).await,
        35,
        "the offer is unchanged"
    );

    // An offer sets its product's final price, so a read-only product's offer is the admin's too,
    // however the offer itself is marked; an employee cannot put one on it either.
    let on_locked = shop
        .create(
            "/offers",
            json!({"productId": locked, "type": "percent", "value": 0.5, "offerQuantity": 3, "maxPerClient": 1}),
        )
        .await;
    let path = format!("/offers/{on_locked}");
    for (method, body) in [
        (Method::PATCH, Some(json!({"value": 0.9}))),
        (Method::DELETE, None),
    ] {
        let (status, error) = shop.employee(method.clone(), &path, body).await;
        assert_eq!(
            (status, error["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("only_admin_can_modify")),
            "{method} {path}"
        );
    }
    assert_eq!(final_price(&shop, &locked).await, 25);
    shop.admin_ok(Method::DELETE, &path, None).await;
    let (status, error) = shop
        .employee(Method::POST, "/offers", Some(percent(&locked, 0.1)))
        .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("only_admin_can_modify"))
    );

    let read_only = shop
        .admin_ok(Method::GET, "/products/staff?employeeReadOnly=true", None)
        .await;
    assert_eq!(ids(&read_only), [locked.as_str()]);
    let with_offer = shop
        .admin_ok(
            Method::GET,
            &format!("/products/staff?offer={locked_offer}"),
            None,
        )
        .await;
    assert_eq!(ids(&with_offer), [open.as_str()]);
    let read_only_offers = shop
        .admin_ok(Method::GET, "/offers?employeeReadOnly=true", None)
        .await;
    assert_eq!(ids(&read_only_offers), [locked_offer.as_str()]);
    assert_eq!(
        shop.admin_ok(Method::GET, "/offers?employeeReadOnly=false", None)
            .await["metadata"]["total"],
        0
    );
    // Offers are found by their own names (Arabic-normalized) and by their product's.
    for search in ["WINTER", "%D8%AE%D8%B5%D9%85", "product"] {
        let (_, found) = shop
            .admin(Method::GET, &format!("/offers?search={search}"), None)
            .await;
        assert_eq!(ids(&found), [locked_offer.as_str()], "{search}");
    }
    assert_eq!(
        shop.admin_ok(Method::GET, "/offers?search=locked", None)
            .await["metadata"]["total"],
        0
    );

    for bad in ["page=abc", "limit=-1", "page=1.5", "disabled=maybe"] {
        for base in ["/offers", "/products/staff"] {
            let (status, error) = shop
                .admin(Method::GET, &format!("{base}?{bad}"), None)
                .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{base}?{bad}: {error}");
        }
        let (status, _) = shop.public(&format!("/products?{bad}"), "en").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "/products?{bad}");
    }
}
