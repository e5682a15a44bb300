//! What the benchmarks run a real function binary with, as Lambda would: a stand-in for the Lambda
//! runtime API on loopback that hands out the events the benchmark chooses, the process started with
//! the variables Lambda sets, its CPU time and memory read from `/proc`, and a proxy in front of the
//! emulator that counts the AWS requests the process sends.

use std::{
    collections::BTreeMap,
    path::Path,
    process::Stdio,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::Context;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    process::{Child, Command},
    sync::{mpsc, oneshot},
};

/// Where a CA bundle is: Lambda's image and RHEL-like systems, then Debian-like ones. Functions read
/// their roots from one file, as on Lambda, and not one by one from the hundreds of files a Debian
/// `/etc/ssl/certs` holds, which Lambda's image does not have.
const CA_BUNDLES: [&str; 2] = [
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/certs/ca-certificates.crt",
];

/// What a function asked of the runtime API, in the order it asked.
pub enum Call {
    /// `GET .../invocation/next`: the function waits for an event. It gets the one sent on `event`;
    /// if `event` is dropped, it waits until it is stopped. While it waits it uses no CPU, so this is
    /// where a benchmark reads its [`Usage`].
    Next {
        at: Instant,
        event: oneshot::Sender<Arc<Vec<u8>>>,
    },
    /// `POST .../invocation/<id>/response` (or `/error`): the function's answer to an event.
    Response { at: Instant, body: Vec<u8> },
}

/// The stand-in runtime API: a function started with [`RuntimeApi::spawn`] talks to it.
pub struct RuntimeApi {
    address: String,
    calls: mpsc::UnboundedReceiver<Call>,
}

impl RuntimeApi {
    pub async fn start() -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?.to_string();
        let (calls, received) = mpsc::unbounded_channel();
        let handed_out = Arc::new(AtomicUsize::new(0));
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                tokio::spawn(serve(stream, calls.clone(), handed_out.clone()));
            }
        });
        Ok(RuntimeApi {
            address,
            calls: received,
        })
    }

    /// Starts `binary` as Lambda would start it against this runtime API: a clean environment with
    /// Lambda's variables, placeholder credentials and region, this machine's CA bundle as
    /// `SSL_CERT_FILE` (as template.yaml names Lambda's), then `env`, which may override them.
    pub fn spawn(&self, binary: &Path, env: &[(String, String)]) -> anyhow::Result<Child> {
        let mut command = Command::new(binary);
        command.env_clear();
        if let Some(bundle) = CA_BUNDLES.iter().find(|b| Path::new(b).exists()) {
            command.env("SSL_CERT_FILE", bundle);
        }
        command
            .env("AWS_LAMBDA_RUNTIME_API", &self.address)
            .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "bench")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "bench")
            .env("AWS_SECRET_ACCESS_KEY", "bench")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("Failed to start {}", binary.display()))
    }

    /// The function's next call, or an error once `within` has passed without one.
    pub async fn call(&mut self, within: Duration) -> anyhow::Result<Call> {
        tokio::time::timeout(within, self.calls.recv())
            .await
            .context(
                "the function made no call to the runtime API in time (did it fail its config?)",
            )?
            .context("the runtime API stand-in stopped")
    }

    /// Waits for the function's next `next`, failing on anything else.
    pub async fn next(
        &mut self,
        within: Duration,
    ) -> anyhow::Result<(Instant, oneshot::Sender<Arc<Vec<u8>>>)> {
        match self.call(within).await? {
            Call::Next { at, event } => Ok((at, event)),
            Call::Response { .. } => anyhow::bail!("a response came where a `next` was expected"),
        }
    }

    /// Waits for the function's response, failing on anything else.
    pub async fn response(&mut self, within: Duration) -> anyhow::Result<(Instant, Vec<u8>)> {
        match self.call(within).await? {
            Call::Response { at, body } => Ok((at, body)),
            Call::Next { .. } => anyhow::bail!("a `next` came where a response was expected"),
        }
    }
}

/// One connection of the function's runtime client (keep-alive, one request at a time).
async fn serve(
    mut stream: TcpStream,
    calls: mpsc::UnboundedSender<Call>,
    handed_out: Arc<AtomicUsize>,
) -> anyhow::Result<()> {
    let mut buffer = Vec::new();
    while let Some((line, body)) = read_request(&mut stream, &mut buffer).await? {
        if line.starts_with("GET /2018-06-01/runtime/invocation/next") {
            let (event, handed) = oneshot::channel();
            let _ = calls.send(Call::Next {
                at: Instant::now(),
                event,
            });
            let Ok(event) = handed.await else {
                // The benchmark has what it wanted: hold the function here until it is stopped.
                return std::future::pending().await;
            };
            let number = handed_out.fetch_add(1, Ordering::Relaxed) + 1;
            let deadline_ms = (shared::clock::now_millis() + 60_000).to_string();
            let mut answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: bench-{number}\r\n\
                 Lambda-Runtime-Deadline-Ms: {deadline_ms}\r\nLambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:bench\r\n\
                 Content-Length: {}\r\n\r\n",
                event.len()
            )
            .into_bytes();
            // One write: head and body in two would wait out the client's delayed ACK (Nagle).
            answer.extend_from_slice(&event);
            stream.write_all(&answer).await?;
        } else if line.starts_with("POST /2018-06-01/runtime/invocation/") {
            let _ = calls.send(Call::Response {
                at: Instant::now(),
                body,
            });
            stream
                .write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
                .await?;
        } else {
            // An init error or anything else: no answer; the benchmark times out and says so.
            return std::future::pending().await;
        }
    }
    Ok(())
}

/// Reads one HTTP/1.1 request (its first line and its body) from a keep-alive connection.
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

/// A process's CPU time and memory so far, from `/proc/<pid>`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Usage {
    /// CPU time of the threads alive now, to the nanosecond (`task/*/schedstat`). Precise for init,
    /// where no thread has ended yet.
    pub cpu_live_threads: Duration,
    /// User and system CPU time of every thread, ended ones included (`stat`), in 10 ms clock ticks:
    /// right for long stretches such as thousands of requests.
    pub user: Duration,
    pub system: Duration,
    /// Peak resident memory (`status`, `VmHWM`).
    pub peak_rss_kib: u64,
    /// Resident memory now, the heap and stacks (`RssAnon`) and the pages of files, mostly the
    /// binary's own code and constants (`RssFile`): the latter grows with the binary, not the work.
    pub rss_anon_kib: u64,
    pub rss_file_kib: u64,
}

impl Usage {
    pub fn of(pid: u32) -> anyhow::Result<Usage> {
        let proc = format!("/proc/{pid}");
        let mut cpu_live_threads = Duration::ZERO;
        for task in std::fs::read_dir(format!("{proc}/task"))? {
            let schedstat = std::fs::read_to_string(task?.path().join("schedstat"))?;
            let nanos: u64 = schedstat
                .split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .context("unreadable schedstat")?;
            cpu_live_threads += Duration::from_nanos(nanos);
        }
        let stat = std::fs::read_to_string(format!("{proc}/stat"))?;
        let (user, system) = crate::bench::stat_cpu(&stat).context("unreadable stat")?;
        let status = std::fs::read_to_string(format!("{proc}/status"))?;
        let kib = |name: &str| -> anyhow::Result<u64> {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .with_context(|| format!("no {name}"))
        };
        Ok(Usage {
            cpu_live_threads,
            user,
            system,
            peak_rss_kib: kib("VmHWM")?,
            rss_anon_kib: kib("RssAnon")?,
            rss_file_kib: kib("RssFile")?,
        })
    }

    /// User plus system time (ticks).
    pub fn cpu(&self) -> Duration {
        self.user + self.system
    }
}

/// A TCP proxy in front of the emulator that counts the AWS requests going through it by operation
/// (their `X-Amz-Target` header, which every DynamoDB request carries), without touching them.
#[derive(Clone)]
pub struct CountingProxy {
    endpoint_url: String,
    counts: Arc<Mutex<BTreeMap<String, usize>>>,
}

impl CountingProxy {
    /// A proxy to `upstream`, an `http://host:port` endpoint URL (the emulator's).
    pub async fn start(upstream: &str) -> anyhow::Result<Self> {
        let upstream = upstream
            .strip_prefix("http://")
            .context("the emulator's endpoint is not http://")?
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let endpoint_url = format!("http://{}", listener.local_addr()?);
        let counts = Arc::new(Mutex::new(BTreeMap::new()));
        let counting = counts.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (upstream, counting) = (upstream.clone(), counting.clone());
                tokio::spawn(async move {
                    // No delay of our own: a proxy that waits for ACKs (Nagle) before passing
                    // the second half of a response on would add tens of milliseconds to it.
                    let server = TcpStream::connect(upstream).await?;
                    client.set_nodelay(true)?;
                    server.set_nodelay(true)?;
                    let (mut from_client, mut to_client) = client.into_split();
                    let (mut from_server, mut to_server) = server.into_split();
                    let requests = async {
                        let mut headers = HeaderScan::default();
                        let mut chunk = vec![0u8; 64 * 1024];
                        loop {
                            let read = from_client.read(&mut chunk).await?;
                            if read == 0 {
                                return to_server.shutdown().await;
                            }
                            for operation in headers.feed(&chunk[..read]) {
                                *counting.lock().unwrap().entry(operation).or_default() += 1;
                            }
                            to_server.write_all(&chunk[..read]).await?;
                        }
                    };
                    let responses = tokio::io::copy(&mut from_server, &mut to_client);
                    let _ = tokio::try_join!(requests, responses);
                    anyhow::Ok(())
                });
            }
        });
        Ok(CountingProxy {
            endpoint_url,
            counts,
        })
    }

    /// What to give a function as `AWS_ENDPOINT_URL`.
    pub fn endpoint_url(&self) -> &str {
        &self.endpoint_url
    }

    /// Requests so far, by operation (`DynamoDB_20120810.GetItem`, ...).
    pub fn counts(&self) -> BTreeMap<String, usize> {
        self.counts.lock().unwrap().clone()
    }
}

/// Finds `X-Amz-Target` header lines in a byte stream that arrives in arbitrary pieces.
#[derive(Default)]
struct HeaderScan {
    line: Vec<u8>,
    /// The current line is longer than any header we look for (a body): skip to its end.
    skipping: bool,
}

impl HeaderScan {
    const NAME: &[u8] = b"x-amz-target:";

    fn feed(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut found = Vec::new();
        for &byte in bytes {
            if byte == b'\n' {
                if !self.skipping
                    && self.line.len() > Self::NAME.len()
                    && self.line[..Self::NAME.len()].eq_ignore_ascii_case(Self::NAME)
                {
                    let value = String::from_utf8_lossy(&self.line[Self::NAME.len()..]);
                    found.push(value.trim().to_owned());
                }
                self.line.clear();
                self.skipping = false;
            } else if !self.skipping {
                self.line.push(byte);
                self.skipping = self.line.len() > 200;
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::HeaderScan;

    #[test]
    fn a_target_header_split_across_reads_is_found_once() {
        let mut scan = HeaderScan::default();
        let mut found = scan.feed(b"POST / HTTP/1.1\r\nhost: x\r\nX-Amz-Tar");
        found.extend(scan.feed(b"get: DynamoDB_20120810.GetItem\r\ncontent-length: 2\r\n\r\n{}"));
        found
            .extend(scan.feed(b"POST / HTTP/1.1\r\nx-amz-target: DynamoDB_20120810.Query\r\n\r\n"));
        assert_eq!(
            found,
            ["DynamoDB_20120810.GetItem", "DynamoDB_20120810.Query"]
        );
    }
}
