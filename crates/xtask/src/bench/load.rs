//! The load generator: N keep-alive HTTP/1.1 connections, each in a closed loop (send a
//! request, read the whole response, send the next), every latency recorded in an HDR
//! histogram. Two clients: `raw`, a minimal request writer and response reader over tokio
//! TCP (requests are pre-built bytes; responses are parsed with `httparse` and need a
//! `Content-Length`), and hyper's own client, to compare.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::sys::{CpuSample, CpuUse};

/// Which HTTP client drives the load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ClientKind {
    /// A minimal HTTP/1.1 writer and reader over tokio TCP.
    Raw,
    /// hyper's HTTP/1.1 client connection.
    Hyper,
}

/// One request, pre-built for both clients.
#[derive(Debug, Clone)]
pub struct Req {
    uri: hyper::Uri,
    /// Headers besides `host`, `content-type` (JSON) and `content-length`.
    headers: Vec<(hyper::header::HeaderName, hyper::header::HeaderValue)>,
    body: Bytes,
    /// The whole request as the raw client writes it.
    raw: Vec<u8>,
}

impl Req {
    /// `POST path` with a JSON body and the SDK key as a bearer token.
    pub fn post(addr: SocketAddr, path: &str, sdk_key: &str, body: Vec<u8>) -> Req {
        let auth = format!("Bearer {sdk_key}");
        Req::post_with(addr, path, &[("authorization", auth.as_str())], body)
    }

    /// `POST path` with a JSON body and these headers (names in lower case, values ASCII).
    pub fn post_with(addr: SocketAddr, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Req {
        let mut raw = format!("POST {path} HTTP/1.1\r\nhost: {addr}\r\n");
        for (name, value) in headers {
            raw.push_str(&format!("{name}: {value}\r\n"));
        }
        raw.push_str(&format!(
            "content-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        ));
        let mut raw = raw.into_bytes();
        raw.extend_from_slice(&body);
        Req {
            uri: path.parse().expect("a valid path"),
            headers: headers
                .iter()
                .map(|(n, v)| {
                    (
                        hyper::header::HeaderName::from_bytes(n.as_bytes()).expect("a header name"),
                        hyper::header::HeaderValue::from_str(v).expect("an ASCII header value"),
                    )
                })
                .collect(),
            body: Bytes::from(body),
            raw,
        }
    }
}

/// Where a phase's requests come from: request `i` of a connection's loop. A fixed list
/// is cycled through; a generator makes each request anew (deliveries that must differ).
pub trait Requests: Send + Sync {
    /// How many distinct requests there are (connections start spread over them).
    fn len(&self) -> usize;
    fn get(&self, i: usize) -> std::borrow::Cow<'_, Req>;
}

impl Requests for Vec<Req> {
    fn len(&self) -> usize {
        self.as_slice().len()
    }

    fn get(&self, i: usize) -> std::borrow::Cow<'_, Req> {
        std::borrow::Cow::Borrowed(&self[i % self.as_slice().len()])
    }
}

/// One answer: its status and body (the body only when asked for).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub len: usize,
    pub body: Option<Vec<u8>>,
}

/// A keep-alive connection of either client.
pub enum Conn {
    Raw(RawConn),
    Hyper { sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>, host: String },
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Conn::Raw(_) => "Conn::Raw",
            Conn::Hyper { .. } => "Conn::Hyper",
        })
    }
}

impl Conn {
    pub async fn connect(kind: ClientKind, addr: SocketAddr) -> io::Result<Conn> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(match kind {
            ClientKind::Raw => {
                Conn::Raw(RawConn { stream, buf: vec![0; 64 * 1024], start: 0, end: 0 })
            }
            ClientKind::Hyper => {
                let io = hyper_util::rt::TokioIo::new(stream);
                let (sender, conn) =
                    hyper::client::conn::http1::handshake(io).await.map_err(io::Error::other)?;
                tokio::spawn(conn);
                Conn::Hyper { sender, host: addr.to_string() }
            }
        })
    }

    /// Sends `req` and reads the whole response.
    pub async fn send(&mut self, req: &Req, keep_body: bool) -> io::Result<Answer> {
        match self {
            Conn::Raw(raw) => raw.round_trip(&req.raw, keep_body).await,
            Conn::Hyper { sender, host } => {
                sender.ready().await.map_err(io::Error::other)?;
                let mut request = hyper::Request::post(req.uri.clone())
                    .header(hyper::header::HOST, host.as_str())
                    .header(hyper::header::CONTENT_TYPE, "application/json");
                for (name, value) in &req.headers {
                    request = request.header(name, value);
                }
                let request =
                    request.body(Full::new(req.body.clone())).map_err(io::Error::other)?;
                let response = sender.send_request(request).await.map_err(io::Error::other)?;
                let status = response.status().as_u16();
                let body =
                    response.into_body().collect().await.map_err(io::Error::other)?.to_bytes();
                Ok(Answer { status, len: body.len(), body: keep_body.then(|| body.to_vec()) })
            }
        }
    }
}

/// The raw client: one buffer; bytes `start..end` are read but not yet consumed.
#[derive(Debug)]
pub struct RawConn {
    stream: TcpStream,
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl RawConn {
    async fn fill(&mut self) -> io::Result<()> {
        if self.end == self.buf.len() {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else {
                self.buf.resize(self.buf.len() * 2, 0);
            }
        }
        let n = self.stream.read(&mut self.buf[self.end..]).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.end += n;
        Ok(())
    }

    async fn round_trip(&mut self, request: &[u8], keep_body: bool) -> io::Result<Answer> {
        self.stream.write_all(request).await?;
        let (status, head, len) = loop {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut response = httparse::Response::new(&mut headers);
            match response.parse(&self.buf[self.start..self.end]) {
                Ok(httparse::Status::Complete(head)) => {
                    let status = response.code.unwrap_or(0);
                    let len = response
                        .headers
                        .iter()
                        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                        .and_then(|h| std::str::from_utf8(h.value).ok()?.trim().parse().ok())
                        .ok_or_else(|| {
                            io::Error::new(
                                io::ErrorKind::InvalidData,
                                "a response without Content-Length (the raw client reads no other framing)",
                            )
                        })?;
                    break (status, head, len);
                }
                Ok(httparse::Status::Partial) => self.fill().await?,
                Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
            }
        };
        let total = head + len;
        if self.buf.len() < total {
            self.buf.resize(total.next_power_of_two(), 0);
        }
        while self.end - self.start < total {
            self.fill().await?;
        }
        let body_at = self.start + head;
        let body = keep_body.then(|| self.buf[body_at..body_at + len].to_vec());
        self.start += total;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        Ok(Answer { status, len, body })
    }
}

/// A new latency histogram in nanoseconds, 1 ns to 60 s, 3 significant digits.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000_000, 3).expect("valid histogram bounds")
}

/// What one phase measured.
#[derive(Debug)]
pub struct PhaseResult {
    pub name: &'static str,
    pub connections: usize,
    /// The measured window (after the warm-up).
    pub window: Duration,
    /// Responses completed in the window (of any status).
    pub requests: u64,
    /// Responses other than the plan's `ok` status, and broken connections, in the window.
    pub errors: u64,
    /// The same during the warm-up.
    pub warmup_errors: u64,
    /// The statuses of the answers counted as errors, and I/O errors (as 0).
    pub error_statuses: std::collections::BTreeMap<u16, u64>,
    pub response_bytes: u64,
    /// Latency in nanoseconds.
    pub latency: Histogram<u64>,
    pub cpu: CpuUse,
    /// When the window started and ended, for matching memory samples.
    pub started: Instant,
    pub ended: Instant,
}

impl PhaseResult {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.window.as_secs_f64()
    }
}

/// How many connection errors were printed (the rest are only counted).
static ERRORS_SHOWN: AtomicUsize = AtomicUsize::new(0);

/// What one connection counted.
struct ConnTally {
    latency: Histogram<u64>,
    requests: u64,
    errors: u64,
    warmup_errors: u64,
    error_statuses: std::collections::BTreeMap<u16, u64>,
    response_bytes: u64,
}

/// One connection's closed loop over `reqs`, starting at `offset`: requests started
/// before `from` are the warm-up; requests started at or after `until` are not sent.
async fn connection(
    plan: Plan,
    addr: SocketAddr,
    mut conn: Conn,
    reqs: Arc<dyn Requests>,
    offset: usize,
    from: Instant,
    until: Instant,
) -> ConnTally {
    let Plan { client: kind, ok, .. } = plan;
    let mut t = ConnTally {
        latency: histogram(),
        requests: 0,
        errors: 0,
        warmup_errors: 0,
        error_statuses: Default::default(),
        response_bytes: 0,
    };
    let mut i = offset;
    loop {
        if Instant::now() >= until {
            break;
        }
        // Made before the clock starts: a generated request (a webhook delivery signed
        // anew) costs this process tens of microseconds that are not the server's latency.
        let req = reqs.get(i);
        let sent = Instant::now();
        let answer = conn.send(&req, false).await;
        let done = Instant::now();
        i = i.wrapping_add(1);
        let measured = sent >= from && done <= until;
        let status = match &answer {
            Ok(a) => a.status,
            Err(_) => 0,
        };
        if status != ok {
            if measured {
                t.errors += 1;
                *t.error_statuses.entry(status).or_default() += 1;
            } else if sent < from {
                t.warmup_errors += 1;
            }
        }
        if measured {
            t.requests += 1;
            t.latency.saturating_record(done.duration_since(sent).as_nanos() as u64);
        }
        match answer {
            Ok(a) => t.response_bytes += if measured { a.len as u64 } else { 0 },
            Err(e) => {
                // The connection is gone: say so (the first few times) and open another.
                if ERRORS_SHOWN.fetch_add(1, Ordering::Relaxed) < 5 {
                    eprintln!("bench: connection error: {e}");
                }
                match Conn::connect(kind, addr).await {
                    Ok(c) => conn = c,
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                }
            }
        }
    }
    t
}

/// The load of each phase, as a benchmark's options (`--connections`, `--duration`,
/// `--warmup`).
#[derive(Debug, Clone, clap::Args)]
pub struct LoadArgs {
    /// Concurrent keep-alive connections, each in a closed loop.
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// Measured seconds per phase.
    #[arg(long, default_value_t = 15, value_name = "SECS")]
    pub duration: u64,
    /// Unmeasured seconds of load before each phase.
    #[arg(long, default_value_t = 3, value_name = "SECS")]
    pub warmup: u64,
}

/// How a phase loads the server.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub client: ClientKind,
    pub addr: SocketAddr,
    pub connections: usize,
    /// Unmeasured load before the window.
    pub warmup: Duration,
    /// The measured window.
    pub duration: Duration,
    /// Whose CPU time to measure besides this process's.
    pub server_pid: u32,
    /// The status of a good answer (200 for OFREP, 202 for a webhook delivery stored).
    pub ok: u16,
}

/// Runs one phase: opens the plan's connections and loads the server for the warm-up and
/// then the measured window, cycling each connection through `reqs` from its own start.
pub async fn run_phase(
    plan: &Plan,
    name: &'static str,
    reqs: Arc<dyn Requests>,
) -> Result<PhaseResult> {
    run_spread(plan, &[(plan.addr, plan.server_pid)], name, reqs).await
}

/// [`run_phase`] over several servers (address, pid): connection `n` goes to server `n` modulo
/// their number and stays there; the servers' CPU is summed.
pub async fn run_spread(
    plan: &Plan,
    servers: &[(SocketAddr, u32)],
    name: &'static str,
    reqs: Arc<dyn Requests>,
) -> Result<PhaseResult> {
    let &Plan { client: kind, connections, warmup, duration, .. } = plan;
    anyhow::ensure!(!servers.is_empty(), "no server to load");
    let mut conns = Vec::with_capacity(connections);
    for n in 0..connections {
        let addr = servers[n % servers.len()].0;
        let conn = Conn::connect(kind, addr).await;
        conns.push((addr, conn.with_context(|| format!("cannot connect to {addr}"))?));
    }
    let pids: Vec<u32> = servers.iter().map(|s| s.1).collect();
    let begin = Instant::now();
    let from = begin + warmup;
    let until = from + duration;
    let stride = (reqs.len() / connections.max(1)).max(1);
    // A JoinSet aborts the connections if this phase is dropped (on Ctrl-C).
    let mut tasks = tokio::task::JoinSet::new();
    for (n, (addr, conn)) in conns.into_iter().enumerate() {
        tasks.spawn(connection(*plan, addr, conn, reqs.clone(), n * stride, from, until));
    }
    // CPU counters at the window's edges, on a thread of their own so that a busy runtime
    // cannot delay them.
    let sampler = std::thread::spawn(move || {
        std::thread::sleep(from.saturating_duration_since(Instant::now()));
        let first = CpuSample::take(&pids);
        std::thread::sleep(until.saturating_duration_since(Instant::now()));
        first.until(&CpuSample::take(&pids))
    });
    let mut result = PhaseResult {
        name,
        connections,
        window: duration,
        requests: 0,
        errors: 0,
        warmup_errors: 0,
        error_statuses: Default::default(),
        response_bytes: 0,
        latency: histogram(),
        cpu: CpuUse::default(),
        started: from,
        ended: until,
    };
    while let Some(joined) = tasks.join_next().await {
        let t = joined.context("a connection task failed")?;
        result.requests += t.requests;
        result.errors += t.errors;
        result.warmup_errors += t.warmup_errors;
        result.response_bytes += t.response_bytes;
        for (status, n) in t.error_statuses {
            *result.error_statuses.entry(status).or_default() += n;
        }
        result.latency.add(&t.latency).context("cannot merge histograms")?;
    }
    result.cpu = sampler.join().map_err(|_| anyhow::anyhow!("the CPU sampler panicked"))?;
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    /// The raw client reads responses split across reads, back to back in one read, and
    /// bodies larger than its buffer.
    #[test]
    fn the_raw_client_frames_responses() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let big = "x".repeat(200_000);
            let reply = big.clone();
            tokio::spawn(async move {
                let (mut s, _) = listener.accept().await.unwrap();
                let mut buf = vec![0; 4096];
                for round in 0..3 {
                    assert!(s.read(&mut buf).await.unwrap() > 0);
                    match round {
                        0 => {
                            s.write_all(b"HTTP/1.1 200 OK\r\nconte").await.unwrap();
                            s.flush().await.unwrap();
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            s.write_all(b"nt-length: 2\r\n\r\nok").await.unwrap();
                        }
                        1 => {
                            let head = format!(
                                "HTTP/1.1 404 Not Found\r\ncontent-length: {}\r\n\r\n",
                                reply.len()
                            );
                            s.write_all(head.as_bytes()).await.unwrap();
                            s.write_all(reply.as_bytes()).await.unwrap();
                        }
                        _ => s
                            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                            .await
                            .unwrap(),
                    }
                }
            });
            let req = Req::post(addr, "/x", "k", b"{}".to_vec());
            let mut conn = Conn::connect(ClientKind::Raw, addr).await.unwrap();
            let a = conn.send(&req, true).await.unwrap();
            assert_eq!((a.status, a.body.as_deref()), (200, Some(&b"ok"[..])));
            let a = conn.send(&req, true).await.unwrap();
            assert_eq!((a.status, a.len), (404, big.len()));
            assert_eq!(a.body.unwrap(), big.as_bytes());
            let a = conn.send(&req, false).await.unwrap();
            assert_eq!((a.status, a.len), (200, 0));
        });
    }

    #[test]
    fn a_request_is_built_for_both_clients() {
        let addr: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let req = Req::post(addr, "/p", "tether-sdk-abc", b"{}".to_vec());
        assert_eq!(req.headers[0].1, "Bearer tether-sdk-abc");
        assert_eq!(req.uri, "/p");
        let raw = String::from_utf8(req.raw).unwrap();
        assert!(raw.starts_with("POST /p HTTP/1.1\r\nhost: 127.0.0.1:1\r\n"), "{raw}");
        assert!(raw.contains("\r\nauthorization: Bearer tether-sdk-abc\r\n"), "{raw}");
        assert!(raw.ends_with("content-length: 2\r\n\r\n{}"), "{raw}");
    }
}
