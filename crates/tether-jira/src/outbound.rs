//! Where tether may send requests: the addresses a Jira site URL or an outgoing
//! webhook URL may reach. A person who can register a URL could otherwise make
//! tether call loopback services, the cloud metadata address (169.254.169.254) or
//! hosts on its private network, and read what answered in the error text.
//!
//! Addresses are checked after DNS resolution (a resolver that drops refused
//! addresses, so a name cannot point inside), URLs with literal IP hosts before
//! they are requested, and every redirect before it is followed. What is refused:
//! loopback, unless `allow_loopback`; link-local, private (RFC 1918, unique local,
//! carrier-grade NAT), unspecified, multicast and broadcast addresses, unless
//! `allow_private`. IPv4-mapped IPv6 addresses are judged as the IPv4 address.
//!
//! The library default ([`OutboundPolicy::OPEN`]) refuses nothing: the binary's
//! configuration (`outbound_allow_loopback`, `outbound_allow_private`, both off by
//! default) decides for the running product.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Which addresses outgoing requests may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboundPolicy {
    pub allow_loopback: bool,
    pub allow_private: bool,
}

/// Why an address may not be reached.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "refused to connect to {addr}: {kind} addresses are not allowed (tether's \
     `outbound_allow_{setting}` setting allows them)"
)]
pub struct Refused {
    pub addr: IpAddr,
    pub kind: &'static str,
    pub setting: &'static str,
}

impl Default for OutboundPolicy {
    fn default() -> Self {
        OutboundPolicy::OPEN
    }
}

impl OutboundPolicy {
    /// Anything goes (tests against local servers; the library default).
    pub const OPEN: OutboundPolicy = OutboundPolicy { allow_loopback: true, allow_private: true };
    /// Public addresses only (the product's default).
    pub const PUBLIC_ONLY: OutboundPolicy =
        OutboundPolicy { allow_loopback: false, allow_private: false };

    /// Whether `ip` may be reached.
    pub fn check(&self, ip: IpAddr) -> Result<(), Refused> {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        let refuse = |kind, setting| Err(Refused { addr: ip, kind, setting });
        if ip.is_loopback() {
            return if self.allow_loopback { Ok(()) } else { refuse("loopback", "loopback") };
        }
        if let Some(kind) = internal_kind(ip)
            && !self.allow_private
        {
            return refuse(kind, "private");
        }
        Ok(())
    }

    /// Whether `url` may be requested as far as its host says before resolution:
    /// a literal IP address must be allowed; a name is checked when resolved.
    pub fn check_url(&self, url: &reqwest::Url) -> Result<(), Refused> {
        let host = url.host_str().unwrap_or_default();
        let literal = host.trim_start_matches('[').trim_end_matches(']');
        match literal.parse::<IpAddr>() {
            Ok(ip) => self.check(ip),
            Err(_) => Ok(()),
        }
    }

    /// [`OutboundPolicy::check_url`] of a URL given as text; one that does not parse
    /// is not refused here (it fails where it is used).
    pub fn check_url_text(&self, url: &str) -> Result<(), Refused> {
        match reqwest::Url::parse(url) {
            Ok(url) => self.check_url(&url),
            Err(_) => Ok(()),
        }
    }

    /// `builder` with this policy: a resolver that drops refused addresses, and
    /// redirects followed only to allowed hosts (`follow_redirects`, at most 5) or
    /// not at all.
    pub fn apply(
        self,
        builder: reqwest::ClientBuilder,
        follow_redirects: bool,
    ) -> reqwest::ClientBuilder {
        if self == OutboundPolicy::OPEN {
            let redirect = match follow_redirects {
                true => reqwest::redirect::Policy::limited(5),
                false => reqwest::redirect::Policy::none(),
            };
            return builder.redirect(redirect);
        }
        let redirect = match follow_redirects {
            false => reqwest::redirect::Policy::none(),
            true => reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() >= 5 {
                    attempt.error("too many redirects")
                } else if let Err(e) = self.check_url(attempt.url()) {
                    attempt.error(e)
                } else {
                    attempt.follow()
                }
            }),
        };
        builder.dns_resolver(Arc::new(GuardedResolver(self))).redirect(redirect)
    }
}

/// What kind of internal address `ip` is, if it is one (loopback aside).
fn internal_kind(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_kind(v4),
        IpAddr::V6(v6) => v6_kind(v6),
    }
}

fn v4_kind(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_link_local() {
        Some("link-local")
    } else if ip.is_private() || (a == 100 && (64..128).contains(&b)) {
        Some("private")
    } else if ip.is_unspecified() || ip.is_broadcast() || ip.is_multicast() || a == 0 {
        Some("unroutable")
    } else {
        None
    }
}

fn v6_kind(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    if (first & 0xffc0) == 0xfe80 {
        Some("link-local")
    } else if (first & 0xfe00) == 0xfc00 {
        Some("private")
    } else if ip.is_unspecified() || ip.is_multicast() {
        Some("unroutable")
    } else {
        None
    }
}

/// Resolves with the system resolver and keeps only the allowed addresses; a
/// name with none left fails with the first refusal.
#[derive(Debug)]
struct GuardedResolver(OutboundPolicy);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.0;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut refused = None;
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| match policy.check(a.ip()) {
                    Ok(()) => true,
                    Err(e) => {
                        refused.get_or_insert(e);
                        false
                    }
                })
                .collect();
            match (allowed.is_empty(), refused) {
                (true, Some(e)) => Err(Box::new(e) as Box<dyn std::error::Error + Send + Sync>),
                _ => Ok(Box::new(allowed.into_iter()) as Addrs),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbound_requests_to_internal_addresses() {
        // Reported: webhooks and Jira site URLs reached loopback, 169.254.169.254 and
        // private addresses.
        let public = OutboundPolicy::PUBLIC_ONLY;
        let loopback_ok = OutboundPolicy { allow_loopback: true, allow_private: false };
        let cases: &[(&str, bool, bool)] = &[
            // (address, allowed by PUBLIC_ONLY, allowed with loopback allowed)
            ("8.8.8.8", true, true),
            ("2606:4700::1111", true, true),
            ("127.0.0.1", false, true),
            ("127.9.9.9", false, true),
            ("::1", false, true),
            ("::ffff:127.0.0.1", false, true),
            ("169.254.169.254", false, false),
            ("10.1.2.3", false, false),
            ("172.16.0.1", false, false),
            ("192.168.1.1", false, false),
            ("100.64.0.1", false, false),
            ("0.0.0.0", false, false),
            ("::", false, false),
            ("fe80::1", false, false),
            ("fd00::1", false, false),
            ("::ffff:10.0.0.1", false, false),
            ("224.0.0.1", false, false),
        ];
        for (addr, by_public, by_loopback) in cases {
            let ip: IpAddr = addr.parse().unwrap();
            assert_eq!(public.check(ip).is_ok(), *by_public, "{addr}");
            assert_eq!(loopback_ok.check(ip).is_ok(), *by_loopback, "{addr} with loopback allowed");
            assert!(OutboundPolicy::OPEN.check(ip).is_ok(), "{addr} when open");
        }
        let e = public.check("169.254.169.254".parse().unwrap()).unwrap_err().to_string();
        assert!(e.contains("link-local") && e.contains("outbound_allow_private"), "{e}");
        let url = |u: &str| reqwest::Url::parse(u).unwrap();
        assert!(public.check_url(&url("http://127.0.0.1:8080/hook")).is_err());
        assert!(public.check_url(&url("http://[::1]/hook")).is_err());
        assert!(
            public.check_url(&url("https://hooks.example.com/x")).is_ok(),
            "names at resolution"
        );
    }

    #[tokio::test]
    async fn names_are_checked_after_resolution() {
        let resolver = GuardedResolver(OutboundPolicy::PUBLIC_ONLY);
        let name: Name = "localhost".parse().unwrap();
        let err = resolver.resolve(name).await.err().expect("localhost resolves to loopback");
        assert!(err.to_string().contains("loopback"), "{err}");
        let open = GuardedResolver(OutboundPolicy::OPEN);
        let name: Name = "localhost".parse().unwrap();
        assert!(open.resolve(name).await.is_ok());
    }
}
