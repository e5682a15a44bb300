//! Checkout through the `checkout` function and devpay's real payment page, against the emulator:
//! the whole flow, the proof of payment, idempotent placement and the races.

use api_tests::Answer;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::{
    catalog::Shop,
    shopper::{lines, store_page},
};

#[tokio::test]
async fn the_whole_flow_through_the_payment_page_places_one_order_and_empties_the_cart() {
    let shop = Shop::open().await;
    let coffee = shop.stocked("Coffee", 19.99, 5).await;
    let tea = shop.stocked("Tea", 4.0, 5).await;
    shop.shopper().add(&coffee, 2).await.ok();
    shop.shopper().add(&tea, 1).await.ok();

    let payment = shop.checkout(&shop.client).await;
    assert!(
        payment.url.starts_with(&shop.app.devpay.base_url),
        "{}",
        payment.url
    );
    let page = shop.app.client.get(&payment.url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK, "the payment page shows");

    let success = shop.pay(&payment).await;
    assert!(
        success.starts_with(&format!("{}/checkout/success/", shop.app.address)),
        "{success}"
    );
    let back = shop.come_back(&success).await;
    assert_eq!(back.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        back.headers()["location"],
        store_page("/checkout/done").as_str()
    );

    let orders = shop.shopper().orders("").await.ok();
    assert_eq!(orders["metadata"]["total"], 1, "{orders}");
    assert_eq!(orders["data"][0]["finalPrice"], 43.98);
    assert_eq!(orders["data"][0]["status"], "confirmed");
    assert_eq!(
        lines(&shop.shopper().cart().await.ok()),
        vec![],
        "the cart is empty"
    );
    assert_eq!(shop.stock_of(&coffee).await, 3);
    assert_eq!(shop.stock_of(&tea).await, 4);
}

#[tokio::test]
async fn the_same_success_url_twice_and_the_webhook_place_one_order() {
    let shop = Shop::open().await;
    let coffee = shop.stocked("Coffee", 10.0, 5).await;
    shop.shopper().add(&coffee, 1).await.ok();
    let payment = shop.checkout(&shop.client).await;
    // Pay sends the webhook in the background and the browser back: they race.
    let success = shop.pay(&payment).await;
    let (first, second) = tokio::join!(shop.come_back(&success), shop.come_back(&success));
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    assert_eq!(second.status(), StatusCode::SEE_OTHER);
    // Give the webhook time to land too.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(shop.all_orders().await.len(), 1);
    assert_eq!(shop.stock_of(&coffee).await, 4, "stock taken once");
}

#[tokio::test]
async fn the_webhook_alone_places_the_order_when_the_browser_never_comes_back() {
    let shop = Shop::open().await;
    let coffee = shop.stocked("Coffee", 10.0, 5).await;
    shop.shopper().add(&coffee, 1).await.ok();
    let payment = shop.checkout(&shop.client).await;
    shop.pay(&payment).await;
    let mut orders = Vec::new();
    for _ in 0..50 {
        orders = shop.all_orders().await;
        if !orders.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(orders.len(), 1, "the webhook placed it");
}

#[tokio::test]
async fn an_unpaid_session_or_a_forged_webhook_places_nothing() {
    let shop = Shop::open().await;
    let coffee = shop.stocked("Coffee", 10.0, 5).await;
    shop.shopper().add(&coffee, 1).await.ok();
    let payment = shop.checkout(&shop.client).await;
    let forged = format!(
        "{}/checkout/success/{}?redirectUrl={}",
        shop.app.address,
        payment.session,
        store_page("/done")
    );
    let answer = shop.come_back(&forged).await;
    assert_eq!(answer.status(), StatusCode::CONFLICT, "not paid yet");
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["code"], "payment_not_confirmed");

    let webhook = shop
        .app
        .client
        .post(shop.app.url("/checkout/webhook"))
        .header("stripe-signature", "t=1,v1=00")
        .body(json!({"type": "checkout.session.completed"}).to_string())
        .send()
        .await
        .unwrap();
    Answer::read(webhook)
        .await
        .fails(StatusCode::BAD_REQUEST, "bad_webhook_signature");
    // Unsigned is forged too, and answered the same documented way (it was an undocumented 401).
    let unsigned = shop
        .app
        .client
        .post(shop.app.url("/checkout/webhook"))
        .body("{}")
        .send()
        .await
        .unwrap();
    Answer::read(unsigned)
        .await
        .fails(StatusCode::BAD_REQUEST, "bad_webhook_signature");
    assert!(shop.all_orders().await.is_empty());
    assert_eq!(shop.stock_of(&coffee).await, 5);
}

#[tokio::test]
async fn redirects_only_go_to_the_shop_s_own_origins() {
    let shop = Shop::open().await;
    let coffee = shop.stocked("Coffee", 10.0, 5).await;
    shop.shopper().add(&coffee, 1).await.ok();
    for (success, cancel, field) in [
        ("https://evil.example/x", store_page("/cart"), "successUrl"),
        (
            store_page("/ok").leak() as &str,
            "https://evil.example/".to_owned(),
            "cancelUrl",
        ),
        (
            "https://shop.belta.test@evil.example/",
            store_page("/cart"),
            "successUrl",
        ),
    ] {
        let error = shop
            .shopper()
            .call(
                Method::POST,
                "/checkout/create-session",
                Some(json!({"successUrl": success, "cancelUrl": cancel})),
            )
            .await
            .fails(StatusCode::BAD_REQUEST, "validation_failed");
        assert!(error["fields"].get(field).is_some(), "{error}");
    }
    let payment = shop.checkout(&shop.client).await;
    let success = shop.pay(&payment).await;
    let evil = success.replace(
        &form_urlencoded::byte_serialize(store_page("/checkout/done").as_bytes())
            .collect::<String>(),
        "https%3A%2F%2Fevil.example%2F",
    );
    let answer = shop.come_back(&evil).await;
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn checkout_refuses_an_empty_cart_and_needs_a_client() {
    let shop = Shop::open().await;
    let empty = shop
        .shopper()
        .create_session()
        .await
        .fails(StatusCode::BAD_REQUEST, "cart_is_empty");
    assert_eq!(empty["error"], "Cart is empty");
    shop.with_token(None)
        .create_session()
        .await
        .fails(StatusCode::UNAUTHORIZED, "unauthorized");
    shop.with_token(Some("bad"))
        .create_session()
        .await
        .fails(StatusCode::UNAUTHORIZED, "unauthorized");
    shop.as_staff()
        .create_session()
        .await
        .fails(StatusCode::FORBIDDEN, "client_only");
    shop.shopper()
        .call(
            Method::POST,
            "/checkout/create-session",
            Some(json!({"successUrl": 1})),
        )
        .await
        .fails(StatusCode::BAD_REQUEST, "validation_failed");
    let unknown = shop
        .come_back(&format!(
            "{}/checkout/success/cs_test_unknown?redirectUrl={}",
            shop.app.address,
            store_page("/")
        ))
        .await;
    assert!(unknown.status().is_client_error(), "{}", unknown.status());
}

/// An empty `PUBLIC_API_URL` (the template's default) starts the function: on Lambda, API Gateway
/// names the domain to come back to with each request (events.rs). A request that did not come
/// through API Gateway names none, so there is nowhere to send the browser back: a 500 (logged with
/// the missing setting) before any payment session is opened.
#[tokio::test]
async fn without_a_public_api_url_a_checkout_outside_api_gateway_is_a_500() {
    let shop = Shop::open_on(api_tests::spawn_app_with(&[("PUBLIC_API_URL", "")]).await).await;
    let coffee = shop.stocked("Coffee", 10.0, 5).await;
    shop.shopper().add(&coffee, 1).await.ok();

    let answer = shop.shopper().create_session().await;

    answer.fails(StatusCode::INTERNAL_SERVER_ERROR, "internal_error");
    assert_eq!(
        lines(&shop.shopper().cart().await.ok()),
        vec![(coffee.clone(), 1)],
        "the cart is as it was"
    );
}

#[tokio::test]
async fn two_checkouts_racing_for_the_last_item_make_exactly_one_order() {
    let shop = Shop::open().await;
    let last = shop.stocked("Last", 50.0, 1).await;
    let (_, other) = shop.app.signed_in(shared::auth::Role::Client).await;
    let other = other["accessToken"].as_str().unwrap().to_owned();
    shop.shopper().add(&last, 1).await.ok();
    shop.with_token(Some(&other)).add(&last, 1).await.ok();
    let (mine, theirs) = tokio::join!(shop.checkout(&shop.client), shop.checkout(&other));
    let (mine, theirs) = tokio::join!(shop.pay(&mine), shop.pay(&theirs));
    let (a, b) = tokio::join!(shop.come_back(&mine), shop.come_back(&theirs));
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::SEE_OTHER, StatusCode::CONFLICT]);
    let loser = if a.status() == StatusCode::CONFLICT {
        a
    } else {
        b
    };
    let body: serde_json::Value = loser.json().await.unwrap();
    assert_eq!(body["code"], "products_unavailable");
    assert!(
        body["fields"][&last][0].as_str().unwrap().contains("Last"),
        "{body}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(shop.all_orders().await.len(), 1);
    assert_eq!(shop.stock_of(&last).await, 0);
}

#[tokio::test]
async fn offer_limits_are_checked_at_checkout_and_counted_by_the_order() {
    let shop = Shop::open().await;
    let deal = shop.stocked("Deal", 100.0, 20).await;
    shop.create(
        "/offers",
        json!({"productId": deal, "type": "percent", "value": 0.5, "offerQuantity": 3, "maxPerClient": 2}),
    )
    .await;
    let cart = shop.shopper().add(&deal, 3).await.ok();
    assert_eq!(cart["finalPrice"], 150, "at the offer price");
    let over = shop
        .shopper()
        .create_session()
        .await
        .fails(StatusCode::BAD_REQUEST, "products_unavailable");
    assert_eq!(
        over["fields"][&deal][0],
        "Deal: at most 2 at the offer price."
    );

    shop.shopper().remove(&deal, 1).await.ok();
    let payment = shop.checkout(&shop.client).await;
    let success = shop.pay(&payment).await;
    assert_eq!(
        shop.come_back(&success).await.status(),
        StatusCode::SEE_OTHER
    );

    // maxPerClient: this client has used both units.
    shop.shopper().add(&deal, 1).await.ok();
    let used_up = shop
        .shopper()
        .create_session()
        .await
        .fails(StatusCode::BAD_REQUEST, "products_unavailable");
    assert_eq!(
        used_up["fields"][&deal][0],
        "Deal: at most 0 at the offer price."
    );

    // offerQuantity: one unit is left for anyone else.
    let (_, other) = shop.app.signed_in(shared::auth::Role::Client).await;
    let other = other["accessToken"].as_str().unwrap().to_owned();
    shop.with_token(Some(&other)).add(&deal, 2).await.ok();
    let left = shop
        .with_token(Some(&other))
        .create_session()
        .await
        .fails(StatusCode::BAD_REQUEST, "products_unavailable");
    assert_eq!(
        left["fields"][&deal][0],
        "Deal: at most 1 at the offer price."
    );
    let offer = shop
        .as_staff()
        .call(Method::GET, "/offers", None)
        .await
        .ok();
    assert_eq!(offer["data"][0]["quantityPurchased"], 2, "{offer}");
}
