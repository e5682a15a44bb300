//! How many AWS requests (and how much wall time) login, refresh, an authenticated request and a guest
//! code cost, through the real auth router against the emulator. An SDK interceptor counts every
//! request the function's DynamoDB and SQS clients send.

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

    let mail_queue = crate::bootstrap::ensure_queue(
        sdk,
        &crate::bootstrap::QueueSpec::mail(&format!("{table}-mail"), 30),
    )
    .await?;

    let (counted_db, counter) = crate::bench::counted_dynamodb(sdk);
    // The key is given, not read from a secret: only requests are measured here (the function reads
    // its key in the background from init on).
    let config = auth::Config::read(EnvReader::from_pairs([
        ("TABLE_NAME", table.as_str()),
        ("MAIL_QUEUE_URL", mail_queue.url.as_str()),
        ("TOKEN_PUBLIC_KEYS", &crate::bench::public_keys()),
        ("TOKEN_SIGNING_SECRET_ID", "bench"),
    ]))?;
    let router = auth::router(auth::AppState::with_clients(
        config,
        &crate::bench::pending_signing_key(),
        counted_db,
        crate::bench::counted_sqs(sdk, &counter),
        aws_sdk_secretsmanager::Client::new(sdk),
    ));

    let email = crate::bench::client_account(plain_db.clone(), table.clone()).await?;

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
    // A guest code for an email with an account and for one without: the same requests, the same
    // time (a fresh email each run: one code a minute per email).
    let mut known = (0, Vec::new());
    let mut unknown = (0, Vec::new());
    for _ in 0..runs {
        let account = crate::bench::client_account(plain_db.clone(), table.clone()).await?;
        let (requests, wall, _) = call(post(
            "/auth/send-guest-otp",
            json!({"email": account, "purpose": "reset_password"}),
        ))
        .await?;
        known = (known.0 + requests, [known.1, vec![wall]].concat());
        let nobody = format!("nobody-{}@bench.example", Id::new());
        let (requests, wall, _) = call(post(
            "/auth/send-guest-otp",
            json!({"email": nobody, "purpose": "reset_password"}),
        ))
        .await?;
        unknown = (unknown.0 + requests, [unknown.1, vec![wall]].concat());
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
        cost("POST /auth/send-guest-otp, email with an account", known),
        cost("POST /auth/send-guest-otp, email without one", unknown),
    ])
}
