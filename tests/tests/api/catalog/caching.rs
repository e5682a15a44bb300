//! How fresh public catalogue reads are, and their HTTP caching (`ETag`, `If-None-Match`, 304).

use std::time::{Duration, Instant};

use api_tests::{RequestLog, spawn_app_logged_with, spawn_app_with};
use reqwest::{Method, StatusCode, header};
use serde_json::json;

use super::Shop;

/// What a deployed catalogue function runs with (the test harness's default is 0).
const DEPLOYED_FRESHNESS: (&str, &str) = ("CATALOG_FRESHNESS_MS", "1000");

async fn public_get(
    shop: &Shop,
    path: &str,
    lang: &str,
    if_none_match: Option<&str>,
) -> reqwest::Response {
    let mut request = shop.app.get(path).header("accept-language", lang);
    if let Some(tag) = if_none_match {
        request = request.header(header::IF_NONE_MATCH, tag);
    }
    request.send().await.unwrap()
}

fn etag(response: &reqwest::Response) -> String {
    response.headers()[header::ETAG]
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_public_read_the_client_holds_answers_304_and_staff_reads_are_never_cached() {
    let shop = Shop::open_on(spawn_app_with(&[DEPLOYED_FRESHNESS]).await).await;
    let coffee = shop.product("قهوة", "Coffee", 10.0).await;
    let brand = shop.brand("بلتا", "Belta").await;
    for path in [
        format!("/products/{coffee}"),
        "/products?page=1&limit=5".to_owned(),
        format!("/brands/{brand}"),
        "/brands".to_owned(),
    ] {
        let first = public_get(&shop, &path, "en", None).await;
        assert_eq!(first.status(), StatusCode::OK, "{path}");
        assert_eq!(
            first.headers()[header::CACHE_CONTROL],
            "public, max-age=1",
            "{path}"
        );
        let tag = etag(&first);
        let again = public_get(&shop, &path, "en", Some(&tag)).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(etag(&again), tag);
        assert!(again.bytes().await.unwrap().is_empty(), "a 304 has no body");
        let weak = public_get(&shop, &path, "en", Some(&format!("\"other\", W/{tag}"))).await;
        assert_eq!(weak.status(), StatusCode::NOT_MODIFIED, "{path}");
        let arabic = public_get(&shop, &path, "ar", Some(&tag)).await;
        assert_eq!(
            arabic.status(),
            StatusCode::OK,
            "another language, another tag"
        );
        assert_ne!(etag(&arabic), tag);
    }

    // A write moves the tag, at once in the Lambda that made it.
    let before = public_get(&shop, &format!("/products/{coffee}"), "en", None).await;
    let tag = etag(&before);
    shop.admin_ok(
        Method::PATCH,
        &format!("/products/staff/{coffee}"),
        Some(json!({"price": 12})),
    )
    .await;
    let after = public_get(&shop, &format!("/products/{coffee}"), "en", Some(&tag)).await;
    assert_eq!(after.status(), StatusCode::OK);
    assert_ne!(etag(&after), tag);
    assert_eq!(
        after.json::<serde_json::Value>().await.unwrap()["price"],
        12
    );

    let staff = shop
        .app
        .get(&format!("/products/staff/{coffee}"))
        .bearer_auth(&shop.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(staff.status(), StatusCode::OK);
    assert_eq!(staff.headers()[header::CACHE_CONTROL], "no-store");
    assert!(staff.headers().get(header::ETAG).is_none());
    let missing = public_get(&shop, "/products/0123456789abcdef01234567", "en", None).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(missing.headers()[header::CACHE_CONTROL], "no-store");
}

#[tokio::test]
async fn public_reads_check_the_version_once_per_interval_and_see_other_lambdas_writes_within_it() {
    let log = RequestLog::start().await;
    let shop = Shop::open_on(spawn_app_logged_with(&log, &[DEPLOYED_FRESHNESS]).await).await;
    let coffee = shop.product("قهوة", "Coffee", 10.0).await;
    let path = format!("/products/{coffee}");
    public_get(&shop, &path, "en", None).await;
    log.take();

    let started = Instant::now();
    for _ in 0..30 {
        assert_eq!(
            public_get(&shop, &path, "en", None).await.status(),
            StatusCode::OK
        );
    }
    let elapsed = started.elapsed();
    let version_reads = log.take().iter().filter(|op| *op == "GetItem").count();
    let intervals = elapsed.as_millis() / 1000 + 1;
    assert!(
        version_reads as u128 <= intervals,
        "{version_reads} version reads in {elapsed:?} of public reads"
    );

    // Another Lambda of the same function (its own snapshot) writes; this one sees it within the
    // interval, without a write of its own.
    let other = api_tests::serve(&shop.app.deployment).await;
    let changed = reqwest::Client::new()
        .patch(format!("{other}/products/staff/{coffee}"))
        .bearer_auth(&shop.admin)
        .json(&json!({"price": 15}))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    let written = Instant::now();
    loop {
        let seen = public_get(&shop, &path, "en", None).await;
        if seen.json::<serde_json::Value>().await.unwrap()["price"] == 15 {
            break;
        }
        assert!(
            written.elapsed() < Duration::from_secs(3),
            "a write is not visible after the one-second interval"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
