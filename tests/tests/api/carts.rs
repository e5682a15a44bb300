//! The active and draft carts, through the `carts` function against the emulator.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::{catalog::Shop, shopper::lines};

#[tokio::test]
async fn a_cart_is_created_on_first_use_and_priced_from_the_catalogue() {
    let shop = Shop::open().await;
    let coffee = shop.stocked("Coffee", 19.99, 10).await;
    let empty = shop.shopper().cart().await.ok();
    assert_eq!(empty["products"], json!([]));
    assert_eq!(empty["finalPrice"], 0);

    shop.shopper().add(&coffee, 2).await.ok();
    let cart = shop.shopper().add(&coffee, 1).await.ok();
    assert_eq!(lines(&cart), vec![(coffee.clone(), 3)]);
    let line = &cart["products"][0];
    assert_eq!(line["name"], "Coffee");
    assert_eq!(line["cover"], "https://cdn.belta.test/Coffee.webp");
    assert_eq!(line["itemPrice"], 19.99);
    assert_eq!(line["totalPrice"], 59.97, "exact: 3 x 19.99");
    assert_eq!(cart["finalPrice"], 59.97);

    let arabic = shop
        .call(
            Method::GET,
            "/active-carts",
            Some(&shop.client),
            None,
            Some("ar"),
        )
        .await
        .1;
    assert_eq!(arabic["products"][0]["name"], "Coffee ar");
    assert_eq!(arabic["_id"], cart["_id"], "the same cart");
}

#[tokio::test]
async fn adding_checks_the_product_and_its_stock() {
    let shop = Shop::open().await;
    let tea = shop.stocked("Tea", 5.0, 2).await;
    shop.shopper()
        .add("682b7173f5c8c863ab931a45", 1)
        .await
        .fails(StatusCode::NOT_FOUND, "product_not_found");
    let short = shop
        .shopper()
        .add(&tea, 3)
        .await
        .fails(StatusCode::BAD_REQUEST, "products_unavailable");
    assert_eq!(short["fields"][&tea][0], "Tea: only 2 left in stock.");
    shop.set_product(&tea, json!({"disabled": true})).await;
    shop.shopper()
        .add(&tea, 1)
        .await
        .fails(StatusCode::NOT_FOUND, "product_not_found");
}

#[tokio::test]
async fn bad_bodies_are_refused_with_the_field_named() {
    let shop = Shop::open().await;
    let tea = shop.stocked("Tea", 5.0, 2).await;
    let cases = [
        (json!({"quantity": 1}), "productId", "missing product"),
        (
            json!({"productId": "nope", "quantity": 1}),
            "productId",
            "bad id",
        ),
        (json!({"productId": tea, "quantity": 0}), "quantity", "zero"),
        (
            json!({"productId": tea, "quantity": 1001}),
            "quantity",
            "too many",
        ),
        (
            json!({"productId": tea, "quantity": "2"}),
            "quantity",
            "a string",
        ),
        (
            json!({"productId": tea, "quantity": -1}),
            "quantity",
            "negative",
        ),
    ];
    for (body, field, why) in cases {
        let error = shop
            .shopper()
            .call(Method::POST, "/active-carts/add", Some(body))
            .await
            .fails(StatusCode::BAD_REQUEST, "validation_failed");
        assert!(error["fields"].get(field).is_some(), "{why}: {error}");
    }
    let not_an_array = shop
        .shopper()
        .add_multiple(json!({"products": {"productId": tea}}))
        .await
        .fails(StatusCode::BAD_REQUEST, "validation_failed");
    assert!(not_an_array["fields"].get("products").is_some());
    shop.shopper()
        .add_multiple(json!({"products": []}))
        .await
        .fails(StatusCode::BAD_REQUEST, "validation_failed");
    let (status, body) = shop
        .call(
            Method::POST,
            "/active-carts/add",
            Some(&shop.client),
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn every_cart_route_needs_a_client_and_every_staff_route_needs_staff() {
    let shop = Shop::open().await;
    let client_routes = [
        (Method::GET, "/active-carts"),
        (Method::POST, "/active-carts/add"),
        (Method::POST, "/active-carts/add-multiple"),
        (Method::POST, "/active-carts/remove"),
        (Method::GET, "/draft-carts"),
        (Method::POST, "/draft-carts/add"),
        (Method::POST, "/draft-carts/add-multiple"),
        (Method::POST, "/draft-carts/remove"),
    ];
    let staff_routes = [
        (Method::GET, "/active-carts/staff"),
        (Method::GET, "/active-carts/staff/682b7173f5c8c863ab931a45"),
        (Method::POST, "/active-carts/staff/add"),
        (Method::POST, "/active-carts/staff/remove"),
    ];
    for (method, path) in client_routes.iter().chain(&staff_routes) {
        for token in [None, Some("not-a-token")] {
            shop.with_token(token)
                .call(method.clone(), path, Some(json!({})))
                .await
                .fails(StatusCode::UNAUTHORIZED, "unauthorized");
        }
    }
    for (method, path) in &client_routes {
        let refused = shop
            .as_staff()
            .call(method.clone(), path, Some(json!({})))
            .await
            .fails(StatusCode::FORBIDDEN, "client_only");
        assert_eq!(refused["error"], "This action is not allowed for this user");
    }
    for (method, path) in &staff_routes {
        shop.shopper()
            .call(method.clone(), path, Some(json!({})))
            .await
            .fails(StatusCode::FORBIDDEN, "staff_only");
    }
}

#[tokio::test]
async fn removing_takes_units_then_the_line() {
    let shop = Shop::open().await;
    let (a, b) = (
        shop.stocked("A", 1.0, 9).await,
        shop.stocked("B", 2.5, 9).await,
    );
    shop.shopper().add(&a, 3).await.ok();
    shop.shopper().add(&b, 1).await.ok();
    let cart = shop.shopper().remove(&a, 2).await.ok();
    assert_eq!(lines(&cart), vec![(a.clone(), 1), (b.clone(), 1)]);
    assert_eq!(cart["finalPrice"], 3.5);
    let cart = shop.shopper().remove(&a, 5).await.ok();
    assert_eq!(lines(&cart), vec![(b.clone(), 1)]);
    shop.shopper()
        .remove(&a, 1)
        .await
        .fails(StatusCode::NOT_FOUND, "product_not_found");
}

#[tokio::test]
async fn a_cart_holds_at_most_30_lines_and_says_so() {
    let shop = Shop::open().await;
    let mut products = Vec::new();
    for i in 0..31 {
        products.push(shop.stocked(&format!("P{i}"), 1.0, 5).await);
    }
    let first_thirty: Vec<_> = products[..30]
        .iter()
        .map(|p| json!({"productId": p, "quantity": 1}))
        .collect();
    let cart = shop
        .shopper()
        .add_multiple(json!({"products": first_thirty}))
        .await
        .ok();
    assert_eq!(cart["products"].as_array().unwrap().len(), 30);
    let full = shop
        .shopper()
        .add(&products[30], 1)
        .await
        .fails(StatusCode::BAD_REQUEST, "cart_full");
    assert!(full["error"].as_str().unwrap().contains("30"), "{full}");
}

#[tokio::test]
async fn a_guest_cart_lands_whole_what_cannot_be_bought_waits_in_the_draft() {
    let shop = Shop::open().await;
    let plenty = shop.stocked("Plenty", 1.0, 9).await;
    let short = shop.stocked("Short", 1.0, 1).await;
    let cart = shop
        .shopper()
        .add_multiple(json!({"products": [
            {"productId": plenty, "quantity": 2},
            {"productId": short, "quantity": 3},
            {"productId": "682b7173f5c8c863ab931a45", "quantity": 1},
        ]}))
        .await
        .ok();
    assert_eq!(lines(&cart), vec![(plenty.clone(), 2)]);
    let draft = shop.shopper().draft().await.ok();
    assert_eq!(lines(&draft), vec![(short.clone(), 3)]);
    assert_eq!(draft["products"][0]["reason"], "out_of_stock");
    assert!(draft.get("finalPrice").is_none());
}

#[tokio::test]
async fn a_price_change_moves_the_line_to_the_draft_cart_with_its_reason() {
    let shop = Shop::open().await;
    let (coffee, tea) = (
        shop.stocked("Coffee", 10.0, 9).await,
        shop.stocked("Tea", 4.0, 9).await,
    );
    shop.shopper().add(&coffee, 2).await.ok();
    shop.shopper().add(&tea, 1).await.ok();
    shop.set_product(&coffee, json!({"price": 12})).await;

    let cart = shop.shopper().cart().await.ok();
    assert_eq!(lines(&cart), vec![(tea.clone(), 1)]);
    assert_eq!(cart["finalPrice"], 4);
    let draft = shop.shopper().draft().await.ok();
    assert_eq!(lines(&draft), vec![(coffee.clone(), 2)]);
    assert_eq!(draft["products"][0]["reason"], "price_change");
    assert_eq!(draft["products"][0]["itemPrice"], 12, "at today's price");

    // Adding it again puts it back at the new price.
    let cart = shop.shopper().add(&coffee, 1).await.ok();
    assert_eq!(cart["finalPrice"], 16);
}

#[tokio::test]
async fn a_disabled_deleted_or_sold_out_product_never_breaks_a_cart_read() {
    let shop = Shop::open().await;
    let (off, gone, scarce, fine) = (
        shop.stocked("Off", 1.0, 9).await,
        shop.stocked("Gone", 1.0, 9).await,
        shop.stocked("Scarce", 1.0, 9).await,
        shop.stocked("Fine", 1.0, 9).await,
    );
    for p in [&off, &gone, &scarce, &fine] {
        shop.shopper().add(p, 2).await.ok();
    }
    shop.set_product(&off, json!({"disabled": true})).await;
    shop.admin_ok(Method::DELETE, &format!("/products/staff/{gone}"), None)
        .await;
    shop.set_product(&scarce, json!({"quantity": 1})).await;

    let cart = shop.shopper().cart().await.ok();
    assert_eq!(lines(&cart), vec![(fine.clone(), 2)]);
    let draft = shop.shopper().draft().await.ok();
    let reasons: Vec<_> = draft["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["productId"].as_str().unwrap(),
                l["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(reasons.contains(&(off.as_str(), "out_of_stock")), "{draft}");
    assert!(
        reasons.contains(&(scarce.as_str(), "out_of_stock")),
        "{draft}"
    );
    assert!(
        !reasons.iter().any(|(p, _)| *p == gone),
        "a deleted product is not shown"
    );
}

#[tokio::test]
async fn the_draft_cart_has_the_same_four_routes() {
    let shop = Shop::open().await;
    let (a, b) = (
        shop.stocked("A", 1.0, 9).await,
        shop.stocked("B", 2.0, 9).await,
    );
    let draft = shop.shopper().draft_add(&a, 2).await.ok();
    assert_eq!(draft["products"][0]["reason"], json!(null));
    let draft = shop
        .shopper()
        .draft_add_multiple(json!({"products": [{"productId": b, "quantity": 1}]}))
        .await
        .ok();
    assert_eq!(lines(&draft), vec![(a.clone(), 2), (b.clone(), 1)]);
    let draft = shop.shopper().draft_remove(&a, 2).await.ok();
    assert_eq!(lines(&draft), vec![(b.clone(), 1)]);
    shop.shopper()
        .draft_add("682b7173f5c8c863ab931a45", 1)
        .await
        .fails(StatusCode::NOT_FOUND, "product_not_found");
    assert_eq!(lines(&shop.shopper().cart().await.ok()), vec![]);
}

#[tokio::test]
async fn staff_see_non_empty_carts_with_the_user_and_nothing_else_of_them() {
    let shop = Shop::open().await;
    let coffee = shop.stocked("Coffee", 3.0, 9).await;
    let listed = shop.as_staff().staff_carts("").await.ok();
    assert_eq!(listed["data"], json!([]), "no cart yet");

    let cart = shop.shopper().add(&coffee, 2).await.ok();
    let user = cart["user"].as_str().unwrap().to_owned();
    let listed = shop.as_staff().staff_carts("?page=1&limit=5").await.ok();
    assert_eq!(
        listed["metadata"],
        json!({"total": 1, "page": 1, "limit": 5})
    );
    let row = &listed["data"][0];
    assert_eq!(row["finalPrice"], 6);
    assert_eq!(row["productsCount"], 1);
    assert_eq!(row["user"]["_id"], user.as_str());
    let mut keys: Vec<_> = row["user"].as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["_id", "email", "fullName"]);

    let one = shop.as_staff().staff_cart(&user).await.ok();
    assert_eq!(one["products"][0]["nameAr"], "Coffee ar");
    assert_eq!(one["products"][0]["nameEn"], "Coffee");

    let added = shop.as_staff().staff_add(&user, &coffee, 1).await.ok();
    assert_eq!(lines(&added), vec![(coffee.clone(), 3)]);
    let removed = shop.as_staff().staff_remove(&user, &coffee, 3).await.ok();
    assert_eq!(lines(&removed), vec![]);
    let listed = shop.as_staff().staff_carts("").await.ok();
    assert_eq!(listed["data"], json!([]), "an emptied cart leaves the list");

    shop.as_staff()
        .staff_cart("682b7173f5c8c863ab931a45")
        .await
        .fails(StatusCode::NOT_FOUND, "cart_not_found");
    shop.as_staff()
        .staff_add("682b7173f5c8c863ab931a45", &coffee, 1)
        .await
        .fails(StatusCode::NOT_FOUND, "user_not_found");
    shop.as_staff()
        .staff_carts("?page=0")
        .await
        .fails(StatusCode::BAD_REQUEST, "validation_failed");
}
