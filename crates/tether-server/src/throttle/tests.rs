//! The failure allowance and the warning gate, on a manual clock.

use std::net::{IpAddr, Ipv6Addr};

use super::*;

fn addr(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn an_address_that_spent_its_failures_waits_and_others_do_not() {
    let clock = Clock::manual(1_000_000);
    let t = AuthThrottle::new(FailureLimit { burst: 3, per_minute: 6 }, clock.clone());
    let a = addr("203.0.113.7");
    for _ in 0..3 {
        assert_eq!(t.check(a), Ok(()));
        t.failed(a);
    }
    // Three failures at once spend the burst: the fourth try waits one interval (10 s).
    assert_eq!(t.check(a), Err(Duration::from_millis(10_000)));
    assert_eq!(t.check(addr("203.0.113.8")), Ok(()), "another address is not held back");
    clock.advance(Duration::from_millis(9_999));
    assert_eq!(t.check(a), Err(Duration::from_millis(1)));
    clock.advance(Duration::from_millis(1));
    assert_eq!(t.check(a), Ok(()));
    t.failed(a);
    assert!(t.check(a).is_err(), "one refill buys one more failure");
    clock.advance(Duration::from_secs(60));
    assert_eq!(t.check(a), Ok(()));
}

#[test]
fn ipv6_clients_are_counted_by_their_64() {
    let clock = Clock::manual(0);
    let t = AuthThrottle::new(FailureLimit { burst: 1, per_minute: 1 }, clock);
    t.failed(addr("2001:db8:1:2:aaaa::1"));
    assert!(t.check(addr("2001:db8:1:2:bbbb::9")).is_err(), "same /64");
    assert_eq!(t.check(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 3, 0, 0, 0, 1))), Ok(()));
}

#[test]
fn a_burst_of_zero_turns_the_limit_off() {
    let t = AuthThrottle::new(FailureLimit { burst: 0, per_minute: 10 }, Clock::manual(0));
    for _ in 0..1000 {
        t.failed(addr("198.51.100.1"));
    }
    assert_eq!(t.check(addr("198.51.100.1")), Ok(()));
}

#[test]
fn the_warning_gate_lets_one_through_per_interval_and_counts_the_rest() {
    let clock = Clock::manual(0);
    let gate = WarnGate::new(Duration::from_secs(10), clock.clone());
    assert_eq!(gate.pass(), Some(0));
    assert_eq!(gate.pass(), None);
    assert_eq!(gate.pass(), None);
    clock.advance(Duration::from_secs(10));
    assert_eq!(gate.pass(), Some(2));
    assert_eq!(gate.pass(), None);
}
