//! Carts and placement at a realistic catalogue size: the `carts` router and the placement with a
//! DynamoDB client that counts its requests, and the CPU our process spends per call.
//!
//! Reported per operation: DynamoDB requests per call (the session check included for routes) and
//! the whole process's CPU per call (the SDK's signing and parsing included), over `runs` calls.
//! Placement is measured without the payment provider's confirmation (one HTTPS call to Stripe in
//! production, to devpay locally), which is the provider's time, not ours.

use std::time::Duration;

use aws_config::SdkConfig;
use axum::body::Body;
use http::Request;
use orders::{OrdersConfig, OrdersState};
use serde_json::{Value, json};
use shared::{Id, aws, config::EnvReader, db::schema};
use tower::ServiceExt;

use crate::{
    bench::{counted_dynamodb, process_cpu},
    bench_catalog,
};

/// One operation's cost.
pub struct Cost {
    pub name: &'static str,
    pub requests_per_call: f64,
    pub cpu_ms_per_call: f64,
}

pub async fn measure(sdk: &SdkConfig, products: usize, runs: usize) -> anyhow::Result<Vec<Cost>> {
    let table = format!("bench-orders-{}", Id::new());
    let plain_db = aws::dynamodb(sdk);
    schema::ensure_table(&plain_db, &table).await?;
    let mut catalog = bench_catalog::synthetic(products);
    // The products the benchmark buys: enabled, plenty in stock, no offer.
    for product in catalog.products.iter_mut().take(3) {
        product.disabled = false;
        product.quantity = 1_000_000;
        product.offer = None;
    }
    let bought: Vec<Id> = catalog.products.iter().take(3).map(|p| p.id).collect();
    bench_catalog::store(&plain_db, &table, &catalog).await?;

    let email = crate::bench::client_account(plain_db.clone(), table.clone()).await?;
    let public_keys = crate::bench::public_keys();
    let env = || {
        EnvReader::from_pairs([
            ("TABLE_NAME", table.as_str()),
            ("TOKEN_PUBLIC_KEYS", &public_keys),
            ("TOKEN_SIGNING_SECRET_ID", "bench"),
            ("MAIL_FROM", "bench@bench.example"),
        ])
    };
    let auth = auth::router(auth::AppState::with_key(
        auth::Config::read(env())?,
        &crate::bench::pending_signing_key(),
        sdk,
    ));
    let login = Request::post("/auth/login")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"email": email, "password": crate::bench::CLIENT_PASSWORD}).to_string(),
        ))?;
    let response = auth.oneshot(login).await?;
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
    let token = serde_json::from_slice::<Value>(&bytes)?["accessToken"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("login answered no token"))?
        .to_owned();

    let (counted, counter) = counted_dynamodb(sdk);
    let state = OrdersState::with_client(OrdersConfig::read(env())?, counted, sdk);
    let router = carts::router(state.clone());
    let call = |method: &str, path: &str, body: Option<Value>| {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
            .expect("a valid request");
        let router = router.clone();
        async move {
            let response = router.oneshot(request).await?;
            let status = response.status();
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
            anyhow::ensure!(
                status.is_success(),
                "{status}: {}",
                String::from_utf8_lossy(&bytes)
            );
            anyhow::Ok(serde_json::from_slice::<Value>(&bytes)?)
        }
    };
    // Warm: the snapshot is loaded once per process, like a warm Lambda's.
    let cart = call("GET", "/active-carts", None).await?;
    let user: Id = cart["user"].as_str().unwrap_or_default().parse()?;

    let mut costs = Vec::new();
    let mut measure_calls = async |name: &'static str, calls: Vec<(&str, &str, Option<Value>)>| {
        let (requests, cpu) = (counter.get(), process_cpu());
        let n = calls.len();
        for (method, path, body) in calls {
            call(method, path, body).await?;
        }
        costs.push(Cost {
            name,
            requests_per_call: (counter.get() - requests) as f64 / n as f64,
            cpu_ms_per_call: (process_cpu() - cpu).as_secs_f64() * 1000.0 / n as f64,
        });
        anyhow::Ok(())
    };
    let add = |i: usize| {
        let body = json!({"productId": bought[i % bought.len()], "quantity": 1});
        ("POST", "/active-carts/add", Some(body))
    };
    measure_calls("POST /active-carts/add", (0..runs).map(add).collect()).await?;
    measure_calls(
        "GET /active-carts",
        (0..runs).map(|_| ("GET", "/active-carts", None)).collect(),
    )
    .await?;

    // Placement: a checkout of the cart, then the one transaction (as the success route and the
    // webhook run it once the provider confirmed the payment).
    let (mut requests, mut cpu, mut reloads) = (0, Duration::ZERO, 0);
    for i in 0..runs {
        // The previous placement moved the catalogue version: the first reader after an order reloads
        // the snapshot (every warm catalogue function pays this once per order).
        let reload = counter.get();
        state.catalog().snapshot().await?;
        reloads += counter.get() - reload;
        call("POST", "/active-carts/add", add(i).2).await?;
        let snapshot = catalog::store::CatalogStore::new(plain_db.clone(), table.clone())
            .load()
            .await?;
        let carts = orders::store::OrdersStore::new(plain_db.clone(), table.clone())
            .carts(&user)
            .await?;
        let lines = orders::checkout::lines(
            &snapshot,
            &carts.active,
            &Default::default(),
            shared::clock::now_secs(),
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let session_id = format!("cs_test_bench{}", Id::new());
        let checkout = orders::checkout::open(session_id.clone(), user, lines);
        let paid = payments::SessionState {
            id: session_id,
            paid: true,
            open: false,
            amount_total: checkout.total,
            currency: "egp".into(),
            reference: None,
            payment_intent: Some(format!("pi_bench{i}")),
        };
        orders::store::OrdersStore::new(plain_db.clone(), table.clone())
            .create_checkout(&checkout)
            .await?;
        let (before, cpu_before) = (counter.get(), process_cpu());
        orders::checkout::place_paid(&state, &paid)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        requests += counter.get() - before;
        cpu += process_cpu() - cpu_before;
    }
    costs.push(Cost {
        name: "placement (paid checkout -> order)",
        requests_per_call: requests as f64 / runs as f64,
        cpu_ms_per_call: cpu.as_secs_f64() * 1000.0 / runs as f64,
    });
    costs.push(Cost {
        name: "first catalogue read after an order (Query of the version and the change log + the records)",
        requests_per_call: reloads as f64 / runs as f64,
        cpu_ms_per_call: f64::NAN,
    });
    let _ = plain_db.delete_table().table_name(&table).send().await;
    Ok(costs)
}
