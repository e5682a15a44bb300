//! `shared::aws`'s HTTPS client verifies a server's certificate against the roots `SSL_CERT_FILE`
//! names (template.yaml points it at Lambda's one CA bundle). The API tests reach the emulator over
//! plain HTTP, so only this shows it: a local HTTPS server with a certificate from a test CA, and a
//! DynamoDB request to it through `sdk_config()`'s client, once with the test CA as `SSL_CERT_FILE`
//! (the server answers it) and once with another CA (the handshake fails, the server sees no request).
//!
//! The client runs in a child process, as a function would: the roots are read once per process, and
//! a variable set in a running test would race its threads. Hence a main of its own (`harness =
//! false`): with `--request`, this binary is that child.

use std::{
    path::{Path, PathBuf},
    process::{ExitCode, Stdio},
    sync::{Arc, Mutex},
    time::Duration,
};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::{
    ServerConfig,
    pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer},
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};
use tokio_rustls::TlsAcceptor;

const CHILD: &str = "--request";

fn main() -> ExitCode {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    if std::env::args().nth(1).as_deref() == Some(CHILD) {
        return runtime.block_on(request());
    }
    runtime.block_on(run_cases())
}

/// The child: one request through the functions' client, to `AWS_ENDPOINT_URL`.
async fn request() -> ExitCode {
    let db = shared::aws::dynamodb(&shared::aws::sdk_config());
    match db.list_tables().send().await {
        Ok(_) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!(
                "{}",
                aws_smithy_types::error::display::DisplayErrorContext(&error)
            );
            ExitCode::FAILURE
        }
    }
}

/// What the server saw of one connection.
#[derive(Debug)]
enum Seen {
    /// A request, its head in lower case.
    Request(String),
    HandshakeFailed(String),
}

async fn run_cases() -> ExitCode {
    let dir = std::env::temp_dir().join(format!("shared-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let (trusted, server) = test_ca_and_server_certificate("Belta Shop test CA");
    let (other, _) = test_ca_and_server_certificate("Another test CA");
    let trusted_file = write(&dir, "trusted-ca.pem", &trusted);
    let other_file = write(&dir, "other-ca.pem", &other);

    let seen = Arc::new(Mutex::new(Vec::new()));
    let port = serve_https(server, seen.clone()).await;

    let cases: [(&str, Check, &Path); 2] = [
        (
            "the server's CA in SSL_CERT_FILE: the request reaches the server",
            trusted_case,
            &trusted_file,
        ),
        (
            "another CA in SSL_CERT_FILE: the handshake fails, no request is sent",
            untrusted_case,
            &other_file,
        ),
    ];
    let mut failed = 0;
    for (name, check, ca_file) in cases {
        seen.lock().unwrap().clear();
        let outcome = run_child(ca_file, port, &seen).await;
        match check(&outcome) {
            Ok(()) => println!("test {name} ... ok"),
            Err(why) => {
                failed += 1;
                println!("test {name} ... FAILED\n  {why}\n  {outcome:?}");
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!("tls: {} passed, {failed} failed", cases.len() - failed);
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// What a case expects of its [`Outcome`].
type Check = fn(&Outcome) -> Result<(), String>;

#[derive(Debug)]
struct Outcome {
    child_succeeded: bool,
    child_error: String,
    seen: Vec<Seen>,
}

fn trusted_case(outcome: &Outcome) -> Result<(), String> {
    if !outcome.child_succeeded {
        return Err("the request failed".into());
    }
    match &outcome.seen[..] {
        [Seen::Request(head)] if head.contains("x-amz-target: dynamodb_20120810.listtables") => {
            Ok(())
        }
        _ => Err("the server did not see exactly the one ListTables request".into()),
    }
}

fn untrusted_case(outcome: &Outcome) -> Result<(), String> {
    if outcome.child_succeeded {
        return Err("the request succeeded against an untrusted certificate".into());
    }
    if !outcome
        .child_error
        .contains("invalid peer certificate: UnknownIssuer")
    {
        return Err("the request failed, but not on the server's certificate".into());
    }
    match &outcome.seen[..] {
        // The client's alert: it does not know the CA that issued the server's certificate.
        [Seen::HandshakeFailed(reason)] if reason.contains("UnknownCA") => Ok(()),
        _ => Err("the server did not see the one handshake fail on an unknown CA".into()),
    }
}

/// Runs this binary as the child, with `ca_file` as its only trusted roots and the server as its
/// AWS endpoint, and collects what the server saw.
async fn run_child(ca_file: &Path, port: u16, seen: &Mutex<Vec<Seen>>) -> Outcome {
    let output = tokio::process::Command::new(std::env::current_exe().expect("this binary"))
        .arg(CHILD)
        .env_clear()
        .env("SSL_CERT_FILE", ca_file)
        .env("AWS_ENDPOINT_URL", format!("https://localhost:{port}"))
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_MAX_ATTEMPTS", "1")
        .stdin(Stdio::null())
        .output();
    let output = tokio::time::timeout(Duration::from_secs(30), output)
        .await
        .expect("the child finished within 30 s")
        .expect("the child ran");
    // The server's side of the connection ends with the child's: give its task a moment to record it.
    for _ in 0..50 {
        if !seen.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Outcome {
        child_succeeded: output.status.success(),
        child_error: String::from_utf8_lossy(&output.stderr).into_owned(),
        seen: std::mem::take(&mut *seen.lock().unwrap()),
    }
}

/// A test CA's certificate (PEM) and a certificate it issued for `localhost`, with its key.
fn test_ca_and_server_certificate(
    name: &str,
) -> (String, (CertificateDer<'static>, PrivateKeyDer<'static>)) {
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, name);
    let ca_key = KeyPair::generate().expect("a CA key");
    let ca_pem = ca.self_signed(&ca_key).expect("a CA certificate").pem();
    let issuer = Issuer::new(ca, ca_key);

    let server_key = KeyPair::generate().expect("a server key");
    let server = CertificateParams::new(vec!["localhost".to_owned()])
        .expect("server parameters")
        .signed_by(&server_key, &issuer)
        .expect("a server certificate");
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    (ca_pem, (server.der().clone(), key))
}

fn write(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("a written file");
    path
}

/// An HTTPS server on loopback that answers every request as an empty ListTables; returns its port.
async fn serve_https(
    (certificate, key): (CertificateDer<'static>, PrivateKeyDer<'static>),
    seen: Arc<Mutex<Vec<Seen>>>,
) -> u16 {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![certificate], key)
        .expect("a server configuration");
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let port = listener.local_addr().expect("an address").port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (acceptor, seen) = (acceptor.clone(), seen.clone());
            tokio::spawn(async move {
                let mut stream = match acceptor.accept(stream).await {
                    Ok(stream) => stream,
                    Err(error) => {
                        let failed = Seen::HandshakeFailed(error.to_string());
                        seen.lock().unwrap().push(failed);
                        return;
                    }
                };
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match stream.read(&mut byte).await {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                }
                let head = String::from_utf8_lossy(&head).to_lowercase();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                let mut body = vec![0u8; length];
                if stream.read_exact(&mut body).await.is_err() {
                    return;
                }
                seen.lock().unwrap().push(Seen::Request(head));
                let body = br#"{"TableNames":[]}"#;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
                let _ = stream.write_all(body).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    port
}
