//! A 5 MB upload through `/upload/single` in the real `upload` binary: the stand-in runtime API hands it
//! one API Gateway event (multipart, base64, as API Gateway sends it), then reads the process's peak
//! resident memory (`VmHWM`) when the response comes back.

use std::{
    process::Stdio,
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
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    process::Command,
    sync::mpsc,
};

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

enum Seen {
    NextHandedOut(Instant),
    Response(Instant, Vec<u8>),
}

/// Reads one HTTP/1.1 request (head and body) from a keep-alive connection.
async fn read_request(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
) -> anyhow::Result<Option<(String, Vec<u8>)>> {
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap_or(0))
                })
                .unwrap_or(0);
            while buffer.len() < end + 4 + length {
                let mut chunk = vec![0u8; 64 * 1024];
                let read = stream.read(&mut chunk).await?;
                anyhow::ensure!(read > 0, "connection closed mid-body");
                buffer.extend_from_slice(&chunk[..read]);
            }
            let body = buffer[end + 4..end + 4 + length].to_vec();
            buffer.drain(..end + 4 + length);
            return Ok(Some((
                head.lines().next().unwrap_or_default().to_owned(),
                body,
            )));
        }
        let mut chunk = vec![0u8; 64 * 1024];
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Ok(None);
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
}

async fn serve_runtime_api(
    mut stream: TcpStream,
    event: Arc<Vec<u8>>,
    seen: mpsc::UnboundedSender<Seen>,
) -> anyhow::Result<()> {
    let mut buffer = Vec::new();
    let mut handed_out = false;
    while let Some((line, body)) = read_request(&mut stream, &mut buffer).await? {
        if line.starts_with("GET /2018-06-01/runtime/invocation/next") && !handed_out {
            handed_out = true;
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: bench-1\r\n\
                 Lambda-Runtime-Deadline-Ms: {}\r\nLambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:upload\r\n\
                 Content-Length: {}\r\n\r\n",
                (now_secs() + 60) * 1000,
                event.len()
            );
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(&event).await?;
            let _ = seen.send(Seen::NextHandedOut(Instant::now()));
        } else if line.starts_with("POST /2018-06-01/runtime/invocation/") {
            let _ = seen.send(Seen::Response(Instant::now(), body));
            stream
                .write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
                .await?;
        } else {
            // A second `next`: hold it, the process is about to be stopped.
            std::future::pending::<()>().await;
        }
    }
    Ok(())
}

/// Runs `binary` for one invocation with `event`; peak memory is read before the process is killed.
pub async fn invoke_once(
    binary: &std::path::Path,
    env: &[(String, String)],
    event: Vec<u8>,
) -> anyhow::Result<UploadRun> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let runtime_api = listener.local_addr()?.to_string();
    let mut child = Command::new(binary)
        .env("AWS_LAMBDA_RUNTIME_API", &runtime_api)
        .env("AWS_LAMBDA_FUNCTION_NAME", "upload")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("Failed to start {}", binary.display()))?;
    let pid = child.id().context("no pid")?;
    let (seen, mut events) = mpsc::unbounded_channel();
    let event = Arc::new(event);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve_runtime_api(stream, event.clone(), seen.clone()));
        }
    });
    let outcome = tokio::time::timeout(Duration::from_secs(60), async {
        let mut handed_out = None;
        while let Some(seen) = events.recv().await {
            match seen {
                Seen::NextHandedOut(at) => handed_out = Some(at),
                Seen::Response(at, body) => {
                    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
                    let peak_rss_kib = status
                        .lines()
                        .find_map(|l| l.strip_prefix("VmHWM:"))
                        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                        .unwrap_or(0);
                    let response: Value = serde_json::from_slice(&body)?;
                    let started = handed_out.context("response before event")?;
                    return anyhow::Ok(UploadRun {
                        status: response["statusCode"].as_u64().unwrap_or(0),
                        wall: at - started,
                        peak_rss_kib,
                    });
                }
            }
        }
        anyhow::bail!("the runtime API connection closed")
    })
    .await;
    let _ = child.kill().await;
    outcome.context("no response within 60 s")?
}
