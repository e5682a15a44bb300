//! Orders through the `orders` function against the emulator, placed through the real checkout.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::{catalog::Shop, shopper::lines};

/// Places an order of `quantity` of `product` for the shop's client; returns its id.
pub(crate) async fn ordered(shop: &Shop, product: &str, quantity: u32) -> String {
    shop.shopper().add(product, quantity).await.ok();
    let payment = shop.checkout(&shop.client).await;
    let success = shop.pay(&payment).await;
    assert_eq!(
        shop.come_back(&success).await.status(),
        StatusCode::SEE_OTHER
    );
    let orders = shop.shopper().orders("").await.ok();
    orders["data"][0]["_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_client_lists_and_reads_their_orders_and_orders_again() {
    let shop = Shop::open().await;
    let coffee = shop.stocked("Coffee", 12.5, 9).await;
    let order = ordered(&shop, &coffee, 2).await;

    let list = shop
        .shopper()
        .orders("?page=1&limit=5&status=confirmed")
        .await
        .ok();
    assert_eq!(list["metadata"], json!({"total": 1, "page": 1, "limit": 5}));
    let mut keys: Vec<_> = list["data"][0]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    keys.sort();
    assert_eq!(keys, ["_id", "createdAt", "finalPrice", "status"]);
    let none = shop.shopper().orders("?status=delivered").await.ok();
    assert_eq!(none["metadata"]["total"], 0);
    shop.shopper()
        .orders("?status=lost")
        .await
        .fails(StatusCode::BAD_REQUEST, "validation_failed");

    let one = shop.shopper().order(&order).await.ok();
    assert_eq!(one["finalPrice"], 25);
    assert_eq!(
        one["products"][0],
        json!({"productId": coffee, "name": "Coffee", "itemPrice": 12.5, "quantity": 2,
            "totalPrice": 25, "cover": "https://cdn.belta.test/Coffee.webp"})
    );

    // The price the client paid stays on the order whatever the product costs now.
    shop.set_product(&coffee, json!({"price": 20})).await;
    assert_eq!(shop.shopper().order(&order).await.ok()["finalPrice"], 25);
    let again = shop.shopper().order_again(&order).await.ok();
    assert_eq!(lines(&again), vec![(coffee.clone(), 2)]);
    assert_eq!(again["finalPrice"], 40, "at today's price");

    shop.shopper()
        .order("682b7173f5c8c863ab931a45")
        .await
        .fails(StatusCode::NOT_FOUND, "order_not_found");
    shop.shopper()
        .order("nope")
        .await
        .fails(StatusCode::BAD_REQUEST, "validation_failed");
}

#[tokio::test]
async fn someone_else_s_order_is_not_found() {
    let shop = Shop::open().await;
    let coffee = shop.stocked("Coffee", 1.0, 9).await;
    let order = ordered(&shop, &coffee, 1).await;
    let (_, other) = shop.app.signed_in(shared::auth::Role::Client).await;
    let other = other["accessToken"].as_str().unwrap().to_owned();
    shop.with_token(Some(&other))
        .order(&order)
        .await
        .fails(StatusCode::NOT_FOUND, "order_not_found");
    shop.with_token(Some(&other))
        .order_again(&order)
        .await
        .fails(StatusCode::NOT_FOUND, "order_not_found");
}

#[tokio::test]
async fn every_order_route_needs_its_role() {
    let shop = Shop::open().await;
    let id = "682b7173f5c8c863ab931a45";
    let client_routes = [
        (Method::GET, "/orders".to_owned()),
        (Method::GET, format!("/orders/{id}")),
        (Method::POST, format!("/orders/{id}/order-again")),
    ];
    let staff_routes = [
        (Method::GET, "/orders/staff".to_owned()),
        (Method::GET, format!("/orders/staff/{id}")),
        (Method::PATCH, format!("/orders/staff/{id}")),
    ];
    for (method, path) in client_routes.iter().chain(&staff_routes) {
        for token in [None, Some("bad")] {
            shop.with_token(token)
                .call(method.clone(), path, Some(json!({})))
                .await
                .fails(StatusCode::UNAUTHORIZED, "unauthorized");
        }
    }
    for (method, path) in &client_routes {
        shop.as_staff()
            .call(method.clone(), path, Some(json!({})))
            .await
            .fails(StatusCode::FORBIDDEN, "client_only");
    }
    for (method, path) in &staff_routes {
        shop.shopper()
            .call(method.clone(), path, Some(json!({"status": "delivered"})))
            .await
            .fails(StatusCode::FORBIDDEN, "staff_only");
    }
}

#[tokio::test]
async fn staff_list_read_and_deliver_orders_seeing_only_the_user_s_name_and_email() {
    let shop = Shop::open().await;
    let coffee = shop.stocked("Coffee", 3.0, 9).await;
    let order = ordered(&shop, &coffee, 1).await;
    let list = shop.as_staff().staff_orders("?status=confirmed").await.ok();
    let row = &list["data"][0];
    assert_eq!(row["_id"], order.as_str());
    assert_eq!(row["productsCount"], 1);
    let mut keys: Vec<_> = row["user"].as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["_id", "email", "fullName"], "no hash, no secret");
    let user = row["user"]["_id"].as_str().unwrap().to_owned();
    let mine = shop
        .as_staff()
        .staff_orders(&format!("?userId={user}"))
        .await
        .ok();
    assert_eq!(mine["metadata"]["total"], 1);
    let nobody = shop
        .as_staff()
        .staff_orders("?userId=682b7173f5c8c863ab931a45")
        .await
        .ok();
    assert_eq!(nobody["metadata"]["total"], 0);

    let one = shop.as_staff().staff_order(&order).await.ok();
    assert_eq!(one["user"]["_id"], user.as_str());
    assert_eq!(one["products"][0]["nameAr"], "Coffee ar");

    let delivered = shop.as_staff().set_status(&order, "delivered").await.ok();
    assert_eq!(delivered["status"], "delivered");
    for next in ["cancelled", "confirmed"] {
        shop.as_staff()
            .set_status(&order, next)
            .await
            .fails(StatusCode::CONFLICT, "order_status_locked");
    }
    let again = shop.as_staff().set_status(&order, "delivered").await.ok();
    assert_eq!(
        again, delivered,
        "the status it has: the order unchanged, nothing written"
    );
    shop.as_staff()
        .set_status(&order, "lost")
        .await
        .fails(StatusCode::BAD_REQUEST, "validation_failed");
    shop.as_staff()
        .set_status("682b7173f5c8c863ab931a45", "delivered")
        .await
        .fails(StatusCode::NOT_FOUND, "order_not_found");
    assert_eq!(
        shop.stock_of(&coffee).await,
        8,
        "delivery keeps the stock taken"
    );
}

#[tokio::test]
async fn cancelling_puts_the_stock_and_the_offer_units_back() {
    let shop = Shop::open().await;
    let deal = shop.stocked("Deal", 100.0, 5).await;
    shop.create(
        "/offers",
        json!({"productId": deal, "type": "fixed", "value": 10, "offerQuantity": 2, "maxPerClient": 2}),
    )
    .await;
    let order = ordered(&shop, &deal, 2).await;
    assert_eq!(shop.stock_of(&deal).await, 3);
    let cancelled = shop.as_staff().set_status(&order, "cancelled").await.ok();
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(shop.stock_of(&deal).await, 5, "stock back");
    let offers = shop
        .as_staff()
        .call(Method::GET, "/offers", None)
        .await
        .ok();
    assert_eq!(
        offers["data"][0]["quantityPurchased"], 0,
        "offer units back"
    );
    // The client's per-offer count is back too: they may buy both units at the offer price again.
    shop.shopper().add(&deal, 2).await.ok();
    shop.shopper().create_session().await.ok();
    // Cancelling again only retries the refund.
    let again = shop.as_staff().set_status(&order, "cancelled").await.ok();
    assert_eq!(again["status"], "cancelled");
}
