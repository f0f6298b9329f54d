//! When the next cycle runs.

use std::time::Duration;

/// `interval` spread by up to `jitter` (a fraction: 0.1 = ±10%) either way, so that agents
/// started together do not all assess, and push, at the same moment.
pub fn next_delay(interval: Duration, jitter: f64) -> Duration {
    let jitter = jitter.clamp(0.0, 1.0);
    if jitter == 0.0 {
        return interval;
    }
    let mut bytes = [0u8; 8];
    // Without randomness the plain interval is still a correct schedule.
    if getrandom::fill(&mut bytes).is_err() {
        return interval;
    }
    let unit = (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64; // [0, 1)
    let factor = 1.0 + jitter * (2.0 * unit - 1.0);
    interval.mul_f64(factor.max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_stay_within_the_jitter_and_vary() {
        let interval = Duration::from_secs(4 * 3600);
        let delays: Vec<Duration> = (0..200).map(|_| next_delay(interval, 0.1)).collect();
        assert!(
            delays
                .iter()
                .all(|d| *d >= interval.mul_f64(0.9) && *d <= interval.mul_f64(1.1))
        );
        let distinct: std::collections::BTreeSet<_> = delays.iter().collect();
        assert!(distinct.len() > 100, "jitter spreads the fleet");
    }

    #[test]
    fn no_jitter_gives_the_interval() {
        assert_eq!(
            next_delay(Duration::from_secs(60), 0.0),
            Duration::from_secs(60)
        );
    }
}
