//! The one clock tether reads the time from: the system clock in production, a manual clock
//! in tests, which tests move forward instead of sleeping (leases, retries, expiries and rate
//! limits all ask it, never `SystemTime` directly).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Epoch milliseconds (UTC), from the system or from a hand-moved counter. Cheap to clone; the
/// clones of a manual clock share its time.
#[derive(Debug, Clone, Default)]
pub struct Clock(Kind);

#[derive(Debug, Clone, Default)]
enum Kind {
    #[default]
    System,
    Manual(Arc<AtomicI64>),
}

impl Clock {
    /// The system's clock.
    pub fn system() -> Clock {
        Clock(Kind::System)
    }

    /// A clock that stands at `start_ms` until moved with [`Clock::advance`] or [`Clock::set_ms`].
    pub fn manual(start_ms: i64) -> Clock {
        Clock(Kind::Manual(Arc::new(AtomicI64::new(start_ms))))
    }

    /// Now, in epoch milliseconds.
    pub fn now_ms(&self) -> i64 {
        match &self.0 {
            Kind::System => system_now_ms(),
            Kind::Manual(t) => t.load(Ordering::SeqCst),
        }
    }

    /// Moves a manual clock forward; the system clock cannot be moved (this panics, as a test
    /// that tries has a bug).
    pub fn advance(&self, by: Duration) {
        match &self.0 {
            Kind::System => panic!("the system clock cannot be advanced; use Clock::manual"),
            Kind::Manual(t) => {
                let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
                t.fetch_add(by, Ordering::SeqCst);
            }
        }
    }

    /// Sets a manual clock (panics on the system clock, as [`Clock::advance`]).
    pub fn set_ms(&self, ms: i64) {
        match &self.0 {
            Kind::System => panic!("the system clock cannot be set; use Clock::manual"),
            Kind::Manual(t) => t.store(ms, Ordering::SeqCst),
        }
    }

    /// Whether this is a manual clock.
    pub fn is_manual(&self) -> bool {
        matches!(self.0, Kind::Manual(_))
    }
}

fn system_now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told_and_its_clones_follow() {
        let clock = Clock::manual(1_000);
        let clone = clock.clone();
        assert_eq!(clock.now_ms(), 1_000);
        clock.advance(Duration::from_millis(250));
        assert_eq!(clone.now_ms(), 1_250);
        clone.set_ms(5);
        assert_eq!(clock.now_ms(), 5);
        assert!(clock.is_manual());
        let system = Clock::system();
        assert!(!system.is_manual());
        assert!(system.now_ms() > 1_600_000_000_000, "the system clock reads epoch ms");
    }
}
