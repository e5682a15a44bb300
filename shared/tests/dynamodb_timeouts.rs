//! The functions' DynamoDB client gives up on a server that accepts a connection and never answers:
//! the attempt timeout abandons the first attempt and retries on a new connection, the operation
//! timeout ends the call, and the failure is a 503 with `Retry-After`, not a request that hangs until
//! Lambda kills it. (The SDK's stalled stream protection, which these timeouts replace, is off.)

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::config::Credentials;
use shared::{aws::DYNAMODB_OPERATION_TIMEOUT, db::StoreError, error::ApiError};
use tokio::{io::AsyncReadExt, net::TcpListener};

/// Accepts every connection and reads what arrives, answering nothing. Returns its port and the
/// number of connections it has accepted.
async fn silent_server() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a local port");
    let port = listener.local_addr().expect("its address").port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buffer = [0u8; 4096];
                while matches!(stream.read(&mut buffer).await, Ok(n) if n > 0) {}
            });
        }
    });
    (port, accepted)
}

#[tokio::test]
async fn a_server_that_never_answers_is_a_503_after_a_retry() {
    let (port, accepted) = silent_server().await;
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .load()
        .await;
    let db = shared::aws::dynamodb(&sdk);

    let started = std::time::Instant::now();
    // Without the client's timeouts the call would wait forever: fail instead.
    let result = tokio::time::timeout(DYNAMODB_OPERATION_TIMEOUT * 3, db.list_tables().send())
        .await
        .expect("the client's own timeouts end the call");
    let elapsed = started.elapsed();

    let error = StoreError::from_sdk(result.expect_err("nothing answered"), "list tables");
    assert!(matches!(error, StoreError::TimedOut), "{error:?}");
    assert!(matches!(
        ApiError::from(error),
        ApiError::ServiceUnavailable { .. }
    ));
    assert!(
        accepted.load(Ordering::SeqCst) >= 2,
        "the first attempt was abandoned and retried on a new connection"
    );
    // The operation timeout, not a test timeout, ended the call (with a little slack for a busy machine).
    assert!(
        elapsed < DYNAMODB_OPERATION_TIMEOUT + std::time::Duration::from_secs(2),
        "{elapsed:?}"
    );
}
