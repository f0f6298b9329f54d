//! "Now" for the store: the system clock in production, a settable one in tests.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Where the store reads the current time (Unix seconds) from.
#[derive(Debug, Clone)]
pub struct Clock(Option<Arc<AtomicI64>>);

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock(None)
    }

    /// A clock that stays at `now` until [`Clock::set`] moves it; clones share the time.
    pub fn fixed(now: i64) -> Clock {
        Clock(Some(Arc::new(AtomicI64::new(now))))
    }

    /// Moves a fixed clock (no effect on the system clock).
    pub fn set(&self, now: i64) {
        if let Some(t) = &self.0 {
            t.store(now, Ordering::SeqCst);
        }
    }

    /// The current time in Unix seconds.
    pub fn now(&self) -> i64 {
        match &self.0 {
            Some(t) => t.load(Ordering::SeqCst),
            None => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Clock;

    #[test]
    fn fixed_clock_is_shared_between_clones_and_moves_only_when_set() {
        let c = Clock::fixed(10);
        let d = c.clone();
        assert_eq!(d.now(), 10);
        c.set(20);
        assert_eq!(d.now(), 20);
        assert!(Clock::system().now() > 1_700_000_000);
    }
}
