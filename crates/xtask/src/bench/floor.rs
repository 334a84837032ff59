//! The HTTP floor: the least a Rust server on this machine spends per request. A minimal
//! hyper HTTP/1 server on tokio's multi-thread runtime (as tether runs), answering every
//! request with one fixed OFREP-shaped body (a real answer of tether's, so the same size)
//! after reading the request's body; no routing, no middleware, no evaluation. The
//! benchmark runs it as `xtask bench floor-server` in a process of its own, so its CPU is
//! measured the way tether's is, and prints tether's cost as a multiple of it.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::service::service_fn;
use hyper::{Request, Response};
use tokio::net::TcpListener;

/// What the floor server says once it listens, followed by its address.
pub const LISTENING: &str = "floor is listening on http://";

#[derive(Debug, Clone, clap::Args)]
pub struct FloorArgs {
    /// The file whose bytes are every answer's body.
    #[arg(long, value_name = "FILE")]
    body: PathBuf,
}

/// Serves until killed.
pub fn serve(args: FloorArgs) -> Result<()> {
    let body = std::fs::read(&args.body)
        .with_context(|| format!("cannot read {}", args.body.display()))?;
    let body = Bytes::from(body);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?
        .block_on(async move {
            let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
            println!("{LISTENING}{}", listener.local_addr()?);
            loop {
                let (stream, _) = listener.accept().await?;
                stream.set_nodelay(true)?;
                let body = body.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<Incoming>| {
                        let body = body.clone();
                        async move {
                            // Read the request as tether must, then answer the fixed body.
                            let _ = req.into_body().collect().await;
                            let mut response = Response::new(Full::new(body));
                            response
                                .headers_mut()
                                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                            Ok::<_, Infallible>(response)
                        }
                    });
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, service)
                        .await;
                });
            }
        })
}
