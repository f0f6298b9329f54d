//! Trying a request again: exponential backoff with jitter, honouring the destination's
//! `Retry-After`, for failures that may pass (timeouts, refused connections, 429, 5xx).

use std::time::Duration;

/// How many times, and how long to wait between attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Attempts in all (1 means no retry).
    pub attempts: u32,
    /// Wait before the second attempt; doubled for each later one.
    pub initial: Duration,
    /// Longest wait between two attempts (a `Retry-After` is capped to it too).
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            attempts: 5,
            initial: Duration::from_millis(500),
            max: Duration::from_secs(30),
        }
    }
}

/// The outcome of one attempt.
#[derive(Debug)]
pub enum Attempt<T, E> {
    /// It worked.
    Done(T),
    /// It failed in a way that may pass; `after` is the destination's `Retry-After`.
    Retry {
        /// Why.
        error: E,
        /// How long the destination asked to wait, if it did.
        after: Option<Duration>,
    },
    /// It failed in a way that another attempt cannot fix.
    Fail(E),
}

/// How [`run`] ended without success.
#[derive(Debug)]
pub struct GaveUp<E> {
    /// The last error.
    pub error: E,
    /// True when the last failure may pass (every attempt was used up).
    pub retryable: bool,
    /// Attempts made.
    pub attempts: u32,
}

impl Backoff {
    /// The wait before attempt `n + 1` (after `n` failures), with up to half of it removed at
    /// random so that many clients failing at once do not retry at once.
    pub fn delay(&self, failures: u32, after: Option<Duration>) -> Duration {
        if let Some(after) = after {
            return after.min(self.max);
        }
        let exp = self
            .initial
            .saturating_mul(2u32.saturating_pow(failures.saturating_sub(1)))
            .min(self.max);
        let jitter = random_fraction();
        exp.mul_f64(1.0 - jitter / 2.0)
    }

    /// Runs `attempt` (given the attempt number, from 1) until it is done, fails for good, or
    /// the attempts are used up; `sleep` waits between attempts (tests pass a recorder).
    pub fn run<T, E>(
        &self,
        mut attempt: impl FnMut(u32) -> Attempt<T, E>,
        mut sleep: impl FnMut(Duration),
    ) -> Result<T, GaveUp<E>> {
        let mut n = 0;
        loop {
            n += 1;
            match attempt(n) {
                Attempt::Done(value) => return Ok(value),
                Attempt::Fail(error) => {
                    return Err(GaveUp {
                        error,
                        retryable: false,
                        attempts: n,
                    });
                }
                Attempt::Retry { error, after } => {
                    if n >= self.attempts.max(1) {
                        return Err(GaveUp {
                            error,
                            retryable: true,
                            attempts: n,
                        });
                    }
                    sleep(self.delay(n, after));
                }
            }
        }
    }
}

/// A number in [0, 1) from the operating system's randomness (0 if it has none).
fn random_fraction() -> f64 {
    let mut bytes = [0u8; 4];
    match getrandom::fill(&mut bytes) {
        Ok(()) => f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0),
        Err(_) => 0.0,
    }
}

/// Reads a `Retry-After` header value given in seconds (the HTTP-date form is rare from the
/// servers kspm talks to and is treated as absent).
pub fn retry_after(value: Option<&str>) -> Option<Duration> {
    value?.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_until_done_with_growing_waits_and_honours_retry_after() {
        let backoff = Backoff {
            attempts: 5,
            initial: Duration::from_millis(100),
            max: Duration::from_secs(1),
        };
        let mut waits = Vec::new();
        let result = backoff.run(
            |n| match n {
                1 | 2 => Attempt::Retry {
                    error: "busy",
                    after: None,
                },
                3 => Attempt::Retry {
                    error: "slow down",
                    after: Some(Duration::from_secs(7)),
                },
                _ => Attempt::Done(n),
            },
            |d| waits.push(d),
        );
        assert_eq!(result.unwrap(), 4);
        assert_eq!(waits.len(), 3);
        assert!(waits[0] >= Duration::from_millis(50) && waits[0] <= Duration::from_millis(100));
        assert!(waits[1] >= Duration::from_millis(100) && waits[1] <= Duration::from_millis(200));
        assert_eq!(
            waits[2],
            Duration::from_secs(1),
            "Retry-After capped to max"
        );
    }

    #[test]
    fn a_final_failure_stops_at_once_and_exhaustion_is_retryable() {
        let backoff = Backoff {
            attempts: 3,
            initial: Duration::ZERO,
            max: Duration::ZERO,
        };
        let err = backoff
            .run(|_| Attempt::<(), _>::Fail("bad token"), |_| {})
            .unwrap_err();
        assert!(!err.retryable);
        assert_eq!(err.attempts, 1);
        let err = backoff
            .run(
                |_| Attempt::<(), _>::Retry {
                    error: "down",
                    after: None,
                },
                |_| {},
            )
            .unwrap_err();
        assert!(err.retryable);
        assert_eq!(err.attempts, 3);
    }

    #[test]
    fn retry_after_seconds_are_read() {
        assert_eq!(retry_after(Some(" 3 ")), Some(Duration::from_secs(3)));
        assert_eq!(retry_after(Some("Wed, 21 Oct 2015 07:28:00 GMT")), None);
        assert_eq!(retry_after(None), None);
    }
}
