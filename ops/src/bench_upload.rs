//! A 5 MB upload through `/upload/single` in the real `upload` binary: the stand-in runtime API
//! ([`crate::runtime_api`]) hands it one API Gateway event (multipart, base64, as API Gateway sends
//! it), then reads the process's peak resident memory (`VmHWM`) when the response comes back.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context;
use aws_config::SdkConfig;
use base64::Engine;
use identity::{Email, IssuerConfig, SessionStore, TokenIssuer, UserStore, users::NewUser};
use serde_json::{Value, json};
use shared::{
    Id,
    auth::{Role, VerifierConfig, session::SessionRecord},
    aws,
    clock::now_secs,
    config::EnvReader,
    db::schema,
};

use crate::runtime_api::{RuntimeApi, Usage};

pub struct UploadRun {
    pub status: u64,
    pub wall: Duration,
    pub peak_rss_kib: u64,
}

/// Table, bucket and a signed-in employee in the emulator; returns the settings for the function and
/// the employee's access token.
pub async fn prepare(sdk: &SdkConfig) -> anyhow::Result<(Vec<(String, String)>, String)> {
    let table = format!("bench-{}", Id::new());
    let bucket = format!("bench-{}", Id::new());
    let db = aws::dynamodb(sdk);
    schema::ensure_table(&db, &table).await?;
    aws::s3(sdk)
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .context("create bucket")?;
    let users = UserStore::new(db.clone(), &table);
    let user = users
        .create(NewUser {
            email: Email::parse(&format!("{}@bench.example", Id::new()))
                .map_err(|_| anyhow::anyhow!("bench email"))?,
            full_name: "Bench".into(),
            password_hash: "unused".into(),
            role: Role::Employee,
            confirmed: true,
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut env = EnvReader::from_pairs([("TOKEN_PUBLIC_KEYS", crate::bench::public_keys())]);
    let tokens = TokenIssuer::new(
        &VerifierConfig::read(&mut env),
        crate::bench::signing_key(),
        IssuerConfig::read(&mut env),
    );
    let session = SessionRecord::new(user.id, Role::Employee, None, now_secs(), 3600);
    SessionStore::new(db, &table)
        .create(&session, users.session_guard(&user), &[])
        .await?;
    let token = tokens
        .access(user.id, Role::Employee, session.session_id)?
        .token;
    let settings = [
        ("TABLE_NAME", table),
        ("UPLOAD_BUCKET", bucket),
        ("TOKEN_PUBLIC_KEYS", crate::bench::public_keys()),
        ("PUBLIC_BASE_URL", "https://cdn.bench.example".to_owned()),
    ];
    Ok((settings.map(|(k, v)| (k.to_owned(), v)).to_vec(), token))
}

/// The API Gateway (HTTP API v2) event of a multipart upload of `file_bytes` bytes.
pub fn upload_event(token: &str, file_bytes: usize) -> Vec<u8> {
    let boundary = "----BenchBoundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.png\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    // A real PNG signature and header (the upload reads it), then filler up to the size.
    let mut file = crate::png::banner(600, 400, [0; 3], [255; 3])[..33].to_vec();
    file.extend((0..file_bytes.saturating_sub(33)).map(|i| (i * 31 % 251) as u8));
    body.extend(file);
    body.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    let event = json!({
        "version": "2.0", "routeKey": "ANY /upload/single", "rawPath": "/upload/single", "rawQueryString": "",
        "headers": {
            "authorization": format!("Bearer {token}"),
            "content-type": format!("multipart/form-data; boundary={boundary}"),
            "content-length": body.len().to_string(),
            "host": "bench.execute-api.us-east-1.amazonaws.com",
        },
        "requestContext": {
            "accountId": "123456789012", "apiId": "bench", "domainName": "bench.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "bench", "requestId": "bench", "routeKey": "ANY /upload/single", "stage": "$default",
            "time": "22/Nov/2026:00:00:00 +0000", "timeEpoch": 0,
            "http": {"method": "POST", "path": "/upload/single", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "bench"},
        },
        "body": base64::engine::general_purpose::STANDARD.encode(&body),
        "isBase64Encoded": true,
    });
    serde_json::to_vec(&event).expect("serializable")
}

/// Runs `binary` for one invocation with `event`; peak memory is read when the response comes back.
pub async fn invoke_once(
    binary: &std::path::Path,
    env: &[(String, String)],
    event: Vec<u8>,
) -> anyhow::Result<UploadRun> {
    let mut api = RuntimeApi::start().await?;
    let mut env = env.to_vec();
    env.push(("AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(), "512".into()));
    let mut child = api.spawn(binary, &env)?;
    let pid = child.id().context("no pid")?;
    let run = async {
        let (_, handing) = api.next(Duration::from_secs(10)).await?;
        let _ = handing.send(Arc::new(event));
        let handed_out = Instant::now();
        let (at, body) = api.response(Duration::from_secs(60)).await?;
        let peak_rss_kib = Usage::of(pid)?.peak_rss_kib;
        let response: Value = serde_json::from_slice(&body)?;
        anyhow::Ok(UploadRun {
            status: response["statusCode"].as_u64().unwrap_or(0),
            wall: at - handed_out,
            peak_rss_kib,
        })
    }
    .await;
    let _ = child.kill().await;
    run
}
