//! The OFREP fast lane: single and bulk evaluations answered straight from the connection
//! (`crate::front`), without the router's per-request machinery.
//!
//! Through the router an evaluation paid for axum's route lookup, a clone of each layer's
//! service, two boxed middlewares (`edge`, `metrics::track`), the trace layer's span and
//! body wrapper and the extractors' copies: most of what a single evaluation cost beyond
//! the HTTP floor (see the README's "OFREP at the HTTP floor"). The lane does what those
//! layers do for these two routes, and no more:
//!
//! - it takes only what it answers exactly as the router would: `POST` to one of the two
//!   paths (a key with no `%` to decode), a `Content-Length` within the body limit and no
//!   `Transfer-Encoding`, and only while the trace layer would record nothing (its span and
//!   events are at DEBUG). Everything else goes to the router, which refuses or answers it
//!   as before;
//! - the answer is the handlers' own (`answer_single`, `answer_bulk`), given the security
//!   headers by `web::headers::secure`, counted and timed under the route's template in the
//!   same metrics series, and a 5xx logged as the trace layer logs a failure.
//!
//! A test sends the same requests through both ways and compares the answers
//! (`tests/it/ofrep_lane.rs`).

use std::net::IpAddr;
use std::time::Instant;

use axum::body::Bytes;
use axum::http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use axum::http::{Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use hyper::body::Incoming;

use super::{BULK, Presented, SINGLE, answer_bulk, answer_single};
use crate::AppState;
use crate::metrics::RouteHandle;

/// Which of the lane's routes a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    Single,
    Bulk,
}

/// The lane's two routes' metrics, found once.
pub(crate) struct Lane {
    single: RouteHandle,
    bulk: RouteHandle,
}

impl Lane {
    pub(crate) fn new(state: &AppState) -> Lane {
        Lane {
            single: RouteHandle::new(&state.metrics, Method::POST, SINGLE),
            bulk: RouteHandle::new(&state.metrics, Method::POST, BULK),
        }
    }

    /// The route when the lane answers `req` exactly as the router would; `None` sends it to
    /// the router.
    pub(crate) fn takes<B>(&self, state: &AppState, req: &Request<B>) -> Option<Route> {
        eligible(req, state.config.body_limit).filter(|_| !traced())
    }

    /// Answers a request [`Lane::takes`] took.
    pub(crate) async fn serve(
        &self,
        state: &AppState,
        peer: IpAddr,
        route: Route,
        req: Request<Incoming>,
    ) -> Response {
        let start = Instant::now();
        let (parts, body) = req.into_parts();
        let response = match body.collect().await {
            Ok(body) => {
                let body: Bytes = body.to_bytes();
                let headers = Presented::of(&parts.headers);
                match route {
                    Route::Single => {
                        let key = single_key(parts.uri.path()).unwrap_or_default();
                        answer_single(state, peer, &headers, key, &body).await
                    }
                    Route::Bulk => answer_bulk(state, peer, &headers, &body).await,
                }
            }
            // As axum's `Bytes` extractor refuses a body it could not read.
            Err(e) => (StatusCode::BAD_REQUEST, format!("Failed to buffer the request body: {e}"))
                .into_response(),
        };
        let response = crate::web::headers::secure(state, false, response).await;
        let status = response.status();
        let handle = match route {
            Route::Single => &self.single,
            Route::Bulk => &self.bulk,
        };
        handle.record(&state.metrics, start, status.as_u16());
        if status.is_server_error() {
            // What the trace layer's default failure log says (at ERROR, so it is on).
            tracing::error!(
                target: "tower_http::trace::on_failure",
                classification = %format_args!("Status code: {status}"),
                latency = %format_args!("{} ms", start.elapsed().as_millis()),
                "response failed"
            );
        }
        response
    }
}

/// The lane's route for a request it can answer as the router would, whatever the logging.
fn eligible<B>(req: &Request<B>, body_limit: usize) -> Option<Route> {
    if req.method() != Method::POST {
        return None;
    }
    let route = route_of(req.uri().path())?;
    let headers = req.headers();
    if headers.contains_key(TRANSFER_ENCODING) {
        return None;
    }
    // One declared length within the limit (the router refuses a larger one with 413).
    let mut lengths = headers.get_all(CONTENT_LENGTH).iter();
    let length = lengths.next()?.to_str().ok()?.parse::<u64>().ok()?;
    if lengths.next().is_some() || length > body_limit as u64 {
        return None;
    }
    Some(route)
}

/// The lane's route for a path, as the router matches it: the bulk path exactly, or the
/// single path with one non-empty segment as the key (one without `%`, which the router's
/// `Path` would decode).
fn route_of(path: &str) -> Option<Route> {
    if path == BULK {
        return Some(Route::Bulk);
    }
    single_key(path).map(|_| Route::Single)
}

/// The flag key of a single evaluation's path (the bulk path, a slash, one segment), when it
/// is one the lane takes.
fn single_key(path: &str) -> Option<&str> {
    let key = path.strip_prefix(BULK)?.strip_prefix('/')?;
    (!key.is_empty() && !key.contains(['/', '%'])).then_some(key)
}

/// Whether the router's trace layer would record anything of a request: its span and its
/// request and response events are at DEBUG.
fn traced() -> bool {
    use tracing::Level;
    tracing::enabled!(target: "tower_http::trace::make_span", Level::DEBUG)
        || tracing::enabled!(target: "tower_http::trace::on_request", Level::DEBUG)
        || tracing::enabled!(target: "tower_http::trace::on_response", Level::DEBUG)
}

#[cfg(test)]
mod tests {
    use axum::http::Request;

    use super::{Route, eligible, route_of};

    #[test]
    fn the_lane_takes_posts_with_a_declared_length_within_the_limit() {
        let req = |method: &str, headers: &[(&str, &str)]| {
            let mut r = Request::builder().method(method).uri("/ofrep/v1/evaluate/flags/f");
            for (name, value) in headers {
                r = r.header(*name, *value);
            }
            r.body(()).unwrap()
        };
        let cases = [
            (req("POST", &[("content-length", "100")]), Some(Route::Single)),
            (req("POST", &[("content-length", "0")]), Some(Route::Single)),
            (req("POST", &[("content-length", "1000")]), Some(Route::Single)),
            // The router's: its 413, its reading of other framings, its 405.
            (req("POST", &[("content-length", "1001")]), None),
            (req("POST", &[]), None),
            (req("POST", &[("transfer-encoding", "chunked")]), None),
            (req("POST", &[("content-length", "10"), ("transfer-encoding", "chunked")]), None),
            (req("POST", &[("content-length", "10"), ("content-length", "10")]), None),
            (req("POST", &[("content-length", "ten")]), None),
            (req("GET", &[("content-length", "0")]), None),
            (req("PUT", &[("content-length", "10")]), None),
        ];
        for (i, (request, expected)) in cases.iter().enumerate() {
            assert_eq!(eligible(request, 1000), *expected, "case {i}");
        }
    }

    #[test]
    fn the_lane_takes_the_paths_the_router_matches_without_decoding() {
        let cases = [
            ("/ofrep/v1/evaluate/flags", Some(Route::Bulk)),
            ("/ofrep/v1/evaluate/flags/new-checkout", Some(Route::Single)),
            ("/ofrep/v1/evaluate/flags/a.b_c~d", Some(Route::Single)),
            // Left to the router: its own answers (404, or a decoded key).
            ("/ofrep/v1/evaluate/flags/", None),
            ("/ofrep/v1/evaluate/flags/a/b", None),
            ("/ofrep/v1/evaluate/flags/new%2Dcheckout", None),
            ("/ofrep/v1/evaluate/flags/new-checkout/", None),
            ("/ofrep/v1/evaluate/flagsx", None),
            ("/ofrep/v1/evaluate", None),
            ("/ofrep/v1/configuration", None),
        ];
        for (path, expected) in cases {
            assert_eq!(route_of(path), expected, "{path}");
        }
    }
}
