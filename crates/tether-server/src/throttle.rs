//! Limits on failed authentication per client address: bad API tokens, sign-ins, SDK keys and
//! Connect JWTs. Each failure spends from the address's allowance (a burst, refilled at a steady
//! rate); an address that has spent it gets 429 with `Retry-After` before its credentials are
//! even looked at, so guessing is slow and cheap to refuse. Successes cost nothing.
//!
//! The warnings failures log are limited too ([`WarnGate`]): one line per interval, with how
//! many were held back, so a flood of forged requests cannot flood the log.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use axum::http::request::Parts;
use tether_store::Clock;

/// Failed attempts allowed in a burst, and how many more per minute after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureLimit {
    pub burst: u32,
    pub per_minute: u32,
}

impl Default for FailureLimit {
    fn default() -> Self {
        FailureLimit { burst: 20, per_minute: 10 }
    }
}

/// Addresses tracked at most; past it, addresses whose allowance is whole again are forgotten.
const TRACKED: usize = 10_000;

/// The failure allowance of every client address (IPv6 by /64, what one client usually holds).
#[derive(Debug)]
pub struct AuthThrottle {
    limit: FailureLimit,
    clock: Clock,
    /// Per address, the "theoretical arrival time" of GCRA: the allowance is spent while it
    /// lies `burst` intervals ahead of now.
    spent_until: Mutex<HashMap<IpAddr, i64>>,
}

impl AuthThrottle {
    pub fn new(limit: FailureLimit, clock: Clock) -> AuthThrottle {
        AuthThrottle { limit, clock, spent_until: Mutex::default() }
    }

    fn interval_ms(&self) -> i64 {
        60_000 / i64::from(self.limit.per_minute.max(1))
    }

    /// Ok while `addr` may still fail; otherwise how long until it may try again.
    pub fn check(&self, addr: IpAddr) -> Result<(), Duration> {
        if self.limit.burst == 0 {
            return Ok(());
        }
        let now = self.clock.now_ms();
        let map = self.spent_until.lock().expect("not poisoned");
        let Some(&until) = map.get(&bucket(addr)) else { return Ok(()) };
        // GCRA: conforming while the arrival time lies at most burst - 1 intervals ahead.
        let tolerance = self.interval_ms() * i64::from(self.limit.burst - 1);
        let ahead = until - now;
        if ahead <= tolerance {
            Ok(())
        } else {
            Err(Duration::from_millis((ahead - tolerance) as u64))
        }
    }

    /// Spends one failure of `addr`'s allowance.
    pub fn failed(&self, addr: IpAddr) {
        if self.limit.burst == 0 {
            return;
        }
        let now = self.clock.now_ms();
        let interval = self.interval_ms();
        let mut map = self.spent_until.lock().expect("not poisoned");
        if map.len() >= TRACKED {
            map.retain(|_, until| *until > now);
        }
        let until = map.entry(bucket(addr)).or_insert(now);
        *until = (*until).max(now) + interval;
    }
}

/// IPv6 clients are counted by their /64: a host usually holds a whole one.
fn bucket(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(_) => addr,
        IpAddr::V6(v6) => {
            let mut seg = v6.segments();
            seg[4..].fill(0);
            IpAddr::V6(seg.into())
        }
    }
}

/// The client's address: the peer of the connection (`serve` records it); unknown (and then
/// shared by every such request) when the router runs without a listener, as in unit tests.
pub fn client_addr(parts: &Parts) -> IpAddr {
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}

/// The caller's address, for the failure allowance.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientAddr(pub IpAddr);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _: &S,
    ) -> Result<ClientAddr, std::convert::Infallible> {
        Ok(ClientAddr(client_addr(parts)))
    }
}

/// The 429 of an address that spent its failure allowance.
pub(crate) fn too_many(wait: Duration) -> crate::error::ApiError {
    crate::error::ApiError::TooManyRequests {
        message: "too many refused credentials from this address; try again later".into(),
        retry_after: wait,
    }
}

/// Records a refused credential from `addr`: spends from its allowance and logs
/// a warning, at most one per interval (with how many were held back).
pub(crate) fn refused(state: &crate::AppState, addr: IpAddr, what: &str, why: &str) {
    state.throttle.failed(addr);
    if let Some(held_back) = state.refusal_log.pass() {
        tracing::warn!(client = %addr, reason = %why, held_back, "refused {what}");
    }
}

/// Lets one warning through per interval and counts the ones held back.
#[derive(Debug)]
pub struct WarnGate {
    every_ms: i64,
    clock: Clock,
    state: Mutex<(i64, u64)>,
}

impl WarnGate {
    pub fn new(every: Duration, clock: Clock) -> WarnGate {
        WarnGate { every_ms: every.as_millis() as i64, clock, state: Mutex::new((i64::MIN, 0)) }
    }

    /// `Some(held back since the last one)` when a warning may be logged now.
    pub fn pass(&self) -> Option<u64> {
        let now = self.clock.now_ms();
        let mut state = self.state.lock().expect("not poisoned");
        let (last, held) = *state;
        if last == i64::MIN || now.saturating_sub(last) >= self.every_ms {
            *state = (now, 0);
            Some(held)
        } else {
            state.1 = held + 1;
            None
        }
    }
}

#[cfg(test)]
mod tests;
