//! Failures to inject, each answered the way a busy or failing cluster (or the network in
//! front of it) answers.

use std::time::Duration;

/// A failure the server injects. Faults are used up in the order they were added; several
/// of a kind add up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The next `times` `_bulk` requests are refused whole with 429 and `Retry-After`, as a
    /// node whose write queue is full answers (`es_rejected_execution_exception`).
    TooManyRequests {
        /// How many bulk requests are refused.
        times: u32,
        /// `Retry-After` in seconds.
        retry_after_secs: u32,
    },
    /// The next `times` `_bulk` requests fail whole with `status` (500, 502, 503 or 504):
    /// 503 is `master_not_discovered_exception`, as during an election; others an internal
    /// error. A 502/504 comes with a plain-text body, as a proxy in front of the cluster sends.
    ServerError {
        /// How many bulk requests fail.
        times: u32,
        /// The status.
        status: u16,
    },
    /// The next `count` items of bulk requests (counted across requests, in order) fail
    /// alone with `status` while the request succeeds with `errors: true`: 429
    /// `es_rejected_execution_exception`, 503 `unavailable_shards_exception`, any other 5xx an
    /// internal error on the shard.
    ItemFailures {
        /// How many items fail.
        count: u32,
        /// Their status.
        status: u16,
    },
    /// The connection that reads the next bytes is closed after `after_bytes` bytes of the
    /// request were read: the client has sent (part of) its request and gets no answer.
    DropConnection {
        /// Bytes read before the connection is closed.
        after_bytes: u64,
    },
    /// The next `times` requests (of any kind) are answered only after `delay`.
    Slow {
        /// How many requests are slowed.
        times: u32,
        /// The delay.
        delay: Duration,
    },
}

/// The faults in force.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    faults: Vec<Fault>,
}

/// What a bulk request meets.
pub(crate) enum RequestFault {
    TooMany(u32),
    Status(u16),
}

impl Faults {
    pub(crate) fn add(&mut self, fault: Fault) {
        self.faults.push(fault);
    }

    pub(crate) fn clear(&mut self) {
        self.faults.clear();
    }

    /// Takes a whole-request fault for a bulk request, if one is armed.
    pub(crate) fn take_bulk(&mut self) -> Option<RequestFault> {
        for fault in &mut self.faults {
            match fault {
                Fault::TooManyRequests {
                    times,
                    retry_after_secs,
                } if *times > 0 => {
                    *times -= 1;
                    return Some(RequestFault::TooMany(*retry_after_secs));
                }
                Fault::ServerError { times, status } if *times > 0 => {
                    *times -= 1;
                    return Some(RequestFault::Status(*status));
                }
                _ => {}
            }
        }
        None
    }

    /// Takes a per-item failure, if one is armed: its status.
    pub(crate) fn take_item(&mut self) -> Option<u16> {
        for fault in &mut self.faults {
            if let Fault::ItemFailures { count, status } = fault
                && *count > 0
            {
                *count -= 1;
                return Some(*status);
            }
        }
        None
    }

    /// Takes a slow answer, if one is armed: the delay.
    pub(crate) fn take_slow(&mut self) -> Option<Duration> {
        for fault in &mut self.faults {
            if let Fault::Slow { times, delay } = fault
                && *times > 0
            {
                *times -= 1;
                return Some(*delay);
            }
        }
        None
    }

    /// Takes a dropped connection, if one is armed: the bytes to read first.
    pub(crate) fn take_drop(&mut self) -> Option<u64> {
        let at = self
            .faults
            .iter()
            .position(|f| matches!(f, Fault::DropConnection { .. }))?;
        match self.faults.remove(at) {
            Fault::DropConnection { after_bytes } => Some(after_bytes),
            _ => None,
        }
    }

    /// True when a dropped connection is armed (cheap check on every read).
    pub(crate) fn drop_armed(&self) -> bool {
        self.faults
            .iter()
            .any(|f| matches!(f, Fault::DropConnection { .. }))
    }
}
