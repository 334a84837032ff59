//! The connection loop: accepts connections, serves HTTP/1 on each with hyper, and hands
//! each request to the OFREP fast lane (`ofrep::lane`) when it takes it, else to the router.
//!
//! It does what `axum::serve` did (the peer's address as `ConnectInfo` for the router,
//! connection errors of `accept` skipped and others waited out, a graceful shutdown that
//! stops accepting and lets requests in flight finish), and sets `TCP_NODELAY`: an answer
//! is written whole, so there is nothing for Nagle's algorithm to gather.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt as _;

use crate::AppState;
use crate::ofrep::lane::Lane;

/// What every connection's requests go to.
struct Front {
    state: AppState,
    router: Router,
    lane: Lane,
}

impl Front {
    async fn answer(&self, peer: SocketAddr, req: Request<Incoming>) -> Response {
        if let Some(route) = self.lane.takes(&self.state, &req) {
            return self.lane.serve(&self.state, peer.ip(), route, req).await;
        }
        let mut req = req.map(Body::new);
        req.extensions_mut().insert(ConnectInfo(peer));
        match self.router.clone().oneshot(req).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }
}

/// Serves `router` (made from `state`) on `listener` until `shutdown` resolves, then stops
/// accepting and waits for the connections' requests in flight.
pub(crate) async fn serve(
    state: AppState,
    router: Router,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let front = Arc::new(Front { lane: Lane::new(&state), state, router });
    // Dropping the receiver tells the connections to finish; each holds a `close` receiver
    // until it has, so the loop waits for the last one.
    let (stop_tx, stop_rx) = watch::channel(());
    tokio::spawn(async move {
        shutdown.await;
        drop(stop_rx);
    });
    let (close_tx, close_rx) = watch::channel(());
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            _ = stop_tx.closed() => break,
        };
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY");
        }
        let front = front.clone();
        let stop = stop_tx.clone();
        let close = close_rx.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                let front = front.clone();
                async move { Ok::<_, Infallible>(front.answer(peer, req).await) }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            let mut connection = pin!(connection);
            tokio::select! {
                result = connection.as_mut() => ended(result),
                () = stop.closed() => {
                    connection.as_mut().graceful_shutdown();
                    ended(connection.await);
                }
            }
            drop(close);
        });
    }
    drop(close_rx);
    drop(listener);
    close_tx.closed().await;
}

fn ended(result: Result<(), hyper::Error>) {
    if let Err(error) = result {
        tracing::trace!(%error, "connection ended with an error");
    }
}

/// A connection reset before it was accepted is the peer's business; anything else (out of
/// file descriptors, say) is logged and waited out, as hyper's server used to.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "cannot accept a connection");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
