//! Offers: one per product, and what they do to `finalPrice`.

use aws_sdk_dynamodb::types::AttributeValue;
use catalog::store::{bump_version, record_key};
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::Id;

use super::{Shop, ids, keys};

/// The product's final price as the store sees it.
async fn final_price(shop: &Shop, product: &str) -> Value {
    let seen = shop.anonymous("en").public_product(product).await.ok();
    seen["finalPrice"].clone()
}

async fn priced_product(shop: &Shop, price: f64, min_price: f64) -> String {
    let body = json!({"nameAr": "منتج", "nameEn": "Product", "descriptionAr": "و", "descriptionEn": "d",
                      "coverList": ["https://cdn.example/p.png"], "quantity": 3, "price": price, "minPrice": min_price});
    let created = shop.as_admin().create_product(&body).await.created();
    created["_id"].as_str().unwrap().to_owned()
}

/// Creates the offer as the admin; returns its `_id`.
async fn new_offer(shop: &Shop, body: &Value) -> String {
    let created = shop.as_admin().create_offer(body).await.created();
    created["_id"].as_str().unwrap().to_owned()
}

fn percent(product: &str, value: f64) -> Value {
    json!({"productId": product, "type": "percent", "value": value, "offerQuantity": 10, "maxPerClient": 2})
}

#[tokio::test]
async fn a_percent_offer_discounts_exactly_and_never_below_the_min_price() {
    let shop = Shop::open().await;
    let admin = shop.as_admin();
    let product = priced_product(&shop, 199.99, 150.0).await;
    let offer = admin.create_offer(&percent(&product, 0.1)).await.created();
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
    admin.update_offer(id, &json!({"value": 0.5})).await.ok();
    assert_eq!(
        final_price(&shop, &product).await,
        150,
        "floored at minPrice"
    );

    admin
        .update_product(&product, &json!({"minPrice": 0, "price": 10}))
        .await
        .ok();
    assert_eq!(
        final_price(&shop, &product).await,
        5,
        "recomputed when the price changes"
    );

    let store = shop.anonymous("ar").public_product(&product).await.body;
    assert_eq!(store["offer"]["_id"], id);
    assert_eq!(store["offer"]["value"], 0.5);
}

#[tokio::test]
async fn a_fixed_offer_subtracts_and_only_a_live_offer_discounts() {
    let shop = Shop::open().await;
    let admin = shop.as_admin();
    let product = priced_product(&shop, 120.0, 0.0).await;
    let id = new_offer(
        &shop,
        &json!({"productId": product, "type": "fixed", "value": 50, "offerQuantity": 3,
                "maxPerClient": 1, "nameAr": "خصم", "nameEn": "Deal"}),
    )
    .await;
    assert_eq!(final_price(&shop, &product).await, 70);
    // The admin panel sends "" for names typed and then cleared: that is no name, as in Belta.
    let unnamed = admin
        .update_offer(&id, &json!({"nameAr": "", "nameEn": " "}))
        .await
        .ok();
    assert_eq!(
        (&unnamed["nameAr"], &unnamed["nameEn"]),
        (&json!(null), &json!(null))
    );

    admin
        .update_offer(&id, &json!({"disabled": true}))
        .await
        .ok();
    assert_eq!(final_price(&shop, &product).await, 120, "disabled");
    let store = shop.anonymous("en").public_product(&product).await.body;
    assert_eq!(
        store["offer"],
        json!(null),
        "the store does not show a dead offer"
    );

    let not_started = json!({"disabled": false, "startsAt": "2999-01-01T00:00:00Z"});
    admin.update_offer(&id, &not_started).await.ok();
    assert_eq!(final_price(&shop, &product).await, 120, "not started");
    let ended = json!({"startsAt": null, "endsAt": "2001-01-01T00:00:00Z"});
    admin.update_offer(&id, &ended).await.ok();
    assert_eq!(final_price(&shop, &product).await, 120, "ended");
    let live = admin
        .update_offer(
            &id,
            &json!({"startsAt": "2001-01-01T00:00:00+02:00", "endsAt": "2999-01-01T00:00:00Z"}),
        )
        .await
        .ok();
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
    let admin = shop.as_admin();
    let first = priced_product(&shop, 100.0, 0.0).await;
    let second = priced_product(&shop, 100.0, 0.0).await;
    let third = priced_product(&shop, 100.0, 0.0).await;
    let offer = new_offer(&shop, &percent(&first, 0.2)).await;
    let other = new_offer(&shop, &percent(&third, 0.3)).await;

    admin
        .create_offer(&percent(&first, 0.1))
        .await
        .fails(StatusCode::CONFLICT, "product_has_offer");
    admin
        .create_offer(&percent("000000000000000000000042", 0.1))
        .await
        .fails(StatusCode::NOT_FOUND, "product_not_found");

    let moved = admin
        .update_offer(&offer, &json!({"product": second}))
        .await
        .ok();
    assert_eq!(moved["product"]["_id"], second);
    assert_eq!(final_price(&shop, &first).await, 100);
    assert_eq!(final_price(&shop, &second).await, 80);
    admin
        .update_offer(&offer, &json!({"product": third}))
        .await
        .fails(StatusCode::CONFLICT, "product_has_offer");

    let by_product = admin.offers(&format!("productId={third}")).await.body;
    assert_eq!(ids(&by_product), [other.as_str()]);
    let by_type = admin.offers("type=percent&disabled=false").await.body;
    assert_eq!(by_type["metadata"]["total"], 2);
    let fixed = admin.offers("type=fixed").await.body;
    assert_eq!(fixed["metadata"]["total"], 0);

    let deleted = admin.delete_offer(&offer).await;
    assert_eq!(
        (deleted.status, deleted.body),
        (
            StatusCode::OK,
            json!({"message": "Offer deleted successfully"})
        )
    );
    assert_eq!(final_price(&shop, &second).await, 100);
    let staff = admin.staff_product(&second).await.ok();
    assert_eq!(staff["offer"], json!(null));
    new_offer(&shop, &percent(&second, 0.1)).await;
}

#[tokio::test]
async fn offers_are_validated_and_staff_only() {
    let shop = Shop::open().await;
    let admin = shop.as_admin();
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
        let answer = admin.create_offer(&body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            answer.body["fields"][field].is_array(),
            "{body}: {}",
            answer.body
        );
    }
    let offers = admin.offers("").await.body;
    assert_eq!(
        offers["metadata"]["total"], 0,
        "no failed create left anything behind"
    );
    let staff = admin.staff_product(&product).await.ok();
    assert_eq!(staff["offer"], json!(null));

    let offer = new_offer(&shop, &percent(&product, 0.1)).await;
    let answer = admin.update_offer(&offer, &json!({"type": "fixed"})).await;
    assert_eq!(
        answer.status,
        StatusCode::BAD_REQUEST,
        "a new type needs its value"
    );
    assert!(answer.body["fields"]["value"].is_array());

    for (caller, expected) in [
        (shop.anonymous("en"), StatusCode::UNAUTHORIZED),
        (shop.as_client(), StatusCode::FORBIDDEN),
    ] {
        assert_eq!(caller.offers("").await.status, expected, "GET /offers");
        assert_eq!(caller.offer(&offer).await.status, expected, "GET one");
        assert_eq!(caller.delete_offer(&offer).await.status, expected, "DELETE");
    }
    let missing = admin.offer("000000000000000000000042").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn read_only_products_and_offers_are_the_admin_s_and_staff_lists_filter_by_them() {
    let shop = Shop::open().await;
    let (admin, employee) = (shop.as_admin(), shop.as_employee());
    let locked = shop.read_only_product("مقفل", "Locked", 50.0).await;
    let open = priced_product(&shop, 40.0, 0.0).await;
    let locked_offer = new_offer(
        &shop,
        &json!({"productId": open, "type": "fixed", "value": 5, "offerQuantity": 3,
                "maxPerClient": 1, "nameAr": "خصم الشتاء", "nameEn": "Winter deal",
                "employeeReadOnly": true}),
    )
    .await;

    employee
        .update_product(&locked, &json!({"price": 1}))
        .await
        .fails(StatusCode::FORBIDDEN, "only_admin_can_modify");
    employee
        .delete_product(&locked)
        .await
        .fails(StatusCode::FORBIDDEN, "only_admin_can_modify");
    employee
        .update_offer(&locked_offer, &json!({"value": 1}))
        .await
        .fails(StatusCode::FORBIDDEN, "only_admin_can_modify");
    employee
        .delete_offer(&locked_offer)
        .await
        .fails(StatusCode::FORBIDDEN, "only_admin_can_modify");
    employee.staff_product(&locked).await.ok();
    employee.offer(&locked_offer).await.ok();
    employee
        .update_product(&open, &json!({"employeeReadOnly": true}))
        .await
        .fails(StatusCode::FORBIDDEN, "only_admin_can_set_read_only");
    assert_eq!(
        final_price(&shop, &open).await,
        35,
        "the offer is unchanged"
    );

    // An offer sets its product's final price, so a read-only product's offer is the admin's too,
    // however the offer itself is marked; an employee cannot put one on it either.
    let on_locked = new_offer(
        &shop,
        &json!({"productId": locked, "type": "percent", "value": 0.5, "offerQuantity": 3, "maxPerClient": 1}),
    )
    .await;
    employee
        .update_offer(&on_locked, &json!({"value": 0.9}))
        .await
        .fails(StatusCode::FORBIDDEN, "only_admin_can_modify");
    employee
        .delete_offer(&on_locked)
        .await
        .fails(StatusCode::FORBIDDEN, "only_admin_can_modify");
    assert_eq!(final_price(&shop, &locked).await, 25);
    admin.delete_offer(&on_locked).await.ok();
    employee
        .create_offer(&percent(&locked, 0.1))
        .await
        .fails(StatusCode::FORBIDDEN, "only_admin_can_modify");

    let read_only = admin.staff_products("employeeReadOnly=true").await.ok();
    assert_eq!(ids(&read_only), [locked.as_str()]);
    let with_offer = admin
        .staff_products(&format!("offer={locked_offer}"))
        .await
        .ok();
    assert_eq!(ids(&with_offer), [open.as_str()]);
    let read_only_offers = admin.offers("employeeReadOnly=true").await.ok();
    assert_eq!(ids(&read_only_offers), [locked_offer.as_str()]);
    let not_read_only = admin.offers("employeeReadOnly=false").await.ok();
    assert_eq!(not_read_only["metadata"]["total"], 0);
    // Offers are found by their own names (Arabic-normalized) and by their product's.
    for search in ["WINTER", "%D8%AE%D8%B5%D9%85", "product"] {
        let found = admin.offers(&format!("search={search}")).await.body;
        assert_eq!(ids(&found), [locked_offer.as_str()], "{search}");
    }
    let by_other_name = admin.offers("search=locked").await.ok();
    assert_eq!(by_other_name["metadata"]["total"], 0);

    for bad in ["page=abc", "limit=-1", "page=1.5", "disabled=maybe"] {
        let answers = [
            ("/offers", admin.offers(bad).await),
            ("/products/staff", admin.staff_products(bad).await),
            ("/products", shop.anonymous("en").public_products(bad).await),
        ];
        for (base, answer) in answers {
            assert_eq!(
                answer.status,
                StatusCode::BAD_REQUEST,
                "{base}?{bad}: {}",
                answer.body
            );
        }
    }
}
