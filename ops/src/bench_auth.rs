//! How many DynamoDB requests (and how much wall time) login, refresh and an authenticated request
//! cost, through the real auth router against the emulator. An SDK interceptor counts every request
//! the function's DynamoDB client sends.

use std::{
    sync::atomic::Ordering,
    time::{Duration, Instant},
};

use aws_config::SdkConfig;
use axum::body::Body;
use http::Request;
use serde_json::{Value, json};
use shared::{Id, aws, config::EnvReader, db::schema};
use tower::ServiceExt;

/// One operation's numbers over all runs.
pub struct OperationCost {
    pub name: &'static str,
    pub requests_per_call: f64,
    pub wall: Vec<Duration>,
}

/// Runs each operation `runs` times against a fresh table in the emulator at `AWS_ENDPOINT_URL`.
pub async fn measure(sdk: &SdkConfig, runs: usize) -> anyhow::Result<Vec<OperationCost>> {
    let table = format!("bench-{}", Id::new());
    let plain_db = aws::dynamodb(sdk);
    schema::ensure_table(&plain_db, &table).await?;
    let _ = aws::ses(sdk)
        .create_email_identity()
        .email_identity("bench.example")
        .send()
        .await;

    let (counted_db, counter) = crate::bench::counted_dynamodb(sdk);
    // The key is given, not read from a secret: only requests are measured here (`bench-init`
    // measures the read at cold start).
    let config = auth::Config::read(EnvReader::from_pairs([
        ("TABLE_NAME", table.as_str()),
        ("MAIL_FROM", "bench@bench.example"),
        ("TOKEN_PUBLIC_KEYS", &crate::bench::public_keys()),
        ("TOKEN_SIGNING_SECRET_ID", "bench"),
    ]))?;
    let router = auth::router(auth::AppState::with_clients(
        config,
        crate::bench::signing_key(),
        counted_db,
        aws::ses(sdk),
        aws_sdk_secretsmanager::Client::new(sdk),
    ));

    let email = crate::bench::client_account(plain_db, table).await?;

    let call = |request: Request<Body>| {
        let router = router.clone();
        let counter = counter.clone();
        async move {
            let before = counter.0.load(Ordering::Relaxed);
            let started = Instant::now();
            let response = router.oneshot(request).await?;
            let wall = started.elapsed();
            let status = response.status();
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
            anyhow::ensure!(
                status.is_success(),
                "benchmark call failed with {status}: {}",
                String::from_utf8_lossy(&bytes)
            );
            let body: Value = serde_json::from_slice(&bytes)?;
            anyhow::Ok((counter.0.load(Ordering::Relaxed) - before, wall, body))
        }
    };
    let post = |path: &str, body: Value| {
        Request::post(path)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };

    let mut login = (0, Vec::new());
    let mut refresh = (0, Vec::new());
    let mut me = (0, Vec::new());
    for _ in 0..runs {
        let (requests, wall, body) = call(post(
            "/auth/login",
            json!({"email": email, "password": crate::bench::CLIENT_PASSWORD}),
        ))
        .await?;
        login = (login.0 + requests, [login.1, vec![wall]].concat());
        let (requests, wall, body) = call(post(
            "/auth/refresh-token",
            json!({"token": body["refreshToken"]}),
        ))
        .await?;
        refresh = (refresh.0 + requests, [refresh.1, vec![wall]].concat());
        let access = body["accessToken"].as_str().unwrap_or_default().to_owned();
        let request = Request::get("/auth/me")
            .header("authorization", format!("Bearer {access}"))
            .body(Body::empty())?;
        let (requests, wall, _) = call(request).await?;
        me = (me.0 + requests, [me.1, vec![wall]].concat());
    }
    let cost = |name, (requests, wall): (usize, Vec<Duration>)| OperationCost {
        name,
        requests_per_call: requests as f64 / runs as f64,
        wall,
    };
    Ok(vec![
        cost("POST /auth/login", login),
        cost("POST /auth/refresh-token", refresh),
        cost("GET /auth/me (session check + user read)", me),
    ])
}
