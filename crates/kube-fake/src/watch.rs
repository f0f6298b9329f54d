//! WATCH: a chunked stream of `{"type": …, "object": …}` lines, one JSON document each.
//!
//! - Without a resource version (or with `0`), the stream starts with a synthetic `ADDED` for
//!   every object, then follows changes. With a resource version, it replays the changes after
//!   it; one older than the server's history gets an `ERROR` event carrying a 410 `Expired`
//!   Status (inside a 200 stream, as the API server's watch cache answers).
//! - `sendInitialEvents=true` (streaming lists) sends the current objects, then, when bookmarks
//!   are allowed, a `BOOKMARK` annotated `k8s.io/initial-events-end: "true"`.
//! - `allowWatchBookmarks=true` adds a `BOOKMARK` at the latest resource version every
//!   bookmark interval.
//! - An object that starts or stops matching the selectors is reported `ADDED` or `DELETED`.
//! - The stream ends after `timeoutSeconds` (30 minutes when unset).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::time::{Instant, sleep_until};

use crate::catalog::ResourceType;
use crate::list::ListOptions;
use crate::negotiate::Representation;
use crate::render::{self, Damage};
use crate::state::Shared;
use crate::status::ApiError;
use crate::store::{Event, EventType, Store, key_of};

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Starts a watch.
pub(crate) fn serve(
    shared: &Arc<Shared>,
    resource: usize,
    rt: ResourceType,
    namespace: Option<String>,
    options: ListOptions,
    representation: Representation,
) -> Response {
    let requested = match options.requested_version() {
        Ok(rv) => rv,
        Err(error) => return error.into_response(),
    };
    let damage = Damage {
        malformed: shared.faults().malformed(&rt),
    };
    let now = Instant::now();
    let bookmarks = options
        .allow_bookmarks
        .then_some(shared.config.bookmark_interval);
    let mut watch = Watch {
        shared: shared.clone(),
        changes: shared.subscribe(),
        resource,
        rt,
        namespace,
        deadline: now + options.timeout.unwrap_or(DEFAULT_TIMEOUT),
        next_bookmark: now + bookmarks.unwrap_or(DEFAULT_TIMEOUT),
        bookmarks,
        options,
        representation,
        damage,
        headers_sent: false,
        pending: VecDeque::new(),
        last_rv: 0,
        done: false,
    };
    watch.start(requested);
    let lines = stream::unfold(watch, |mut watch| async move {
        let line = watch.next_line().await?;
        Some((Ok::<Bytes, std::convert::Infallible>(line), watch))
    });
    let mut response = (StatusCode::OK, Body::from_stream(lines)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

struct Watch {
    shared: Arc<Shared>,
    changes: watch::Receiver<u64>,
    resource: usize,
    rt: ResourceType,
    namespace: Option<String>,
    options: ListOptions,
    representation: Representation,
    damage: Damage,
    /// Table column definitions go with the first event only.
    headers_sent: bool,
    pending: VecDeque<Bytes>,
    /// Every change up to this resource version has been considered.
    last_rv: u64,
    deadline: Instant,
    bookmarks: Option<Duration>,
    next_bookmark: Instant,
    done: bool,
}

impl Watch {
    fn start(&mut self, requested: Option<u64>) {
        // Mark the current version seen before reading, so no change between the read and
        // the first wait is lost.
        self.changes.borrow_and_update();
        let shared = self.shared.clone();
        let cluster = shared.cluster();
        let store = &cluster.store;
        let current = store.current();
        if let Some(rv) = requested.filter(|rv| *rv > current) {
            self.fail(ApiError::too_large_resource_version(rv, current));
            return;
        }
        let initial = match self.options.send_initial_events {
            Some(send) => send,
            None => requested.is_none(),
        };
        if initial {
            let objects: Vec<_> = store
                .snapshot(self.resource, self.namespace.as_deref(), current, None)
                .filter(|o| self.options.matches(o))
                .cloned()
                .collect();
            for object in objects {
                self.push_event("ADDED", &object);
            }
            self.last_rv = current;
            if self.options.send_initial_events == Some(true) && self.options.allow_bookmarks {
                self.push_bookmark(true);
            }
        } else {
            self.last_rv = requested.unwrap_or(current);
            self.catch_up(store);
        }
    }

    /// Queues the changes after `last_rv`, or the 410 when they are gone.
    fn catch_up(&mut self, store: &Store) {
        let events: Vec<Event> = match store.events_since(self.last_rv) {
            Ok(events) => events.to_vec(),
            Err(compacted) => {
                self.fail(ApiError::watch_too_old(self.last_rv, compacted.oldest));
                return;
            }
        };
        for event in &events {
            self.consider(event);
        }
        self.last_rv = store.current();
    }

    fn consider(&mut self, event: &Event) {
        if event.resource != self.resource {
            return;
        }
        if let Some(ns) = &self.namespace
            && key_of(&event.object).0 != *ns
        {
            return;
        }
        let now_selected = self.options.matches(&event.object);
        let was_selected = event
            .previous
            .as_ref()
            .is_some_and(|p| self.options.matches(p));
        let kind = match event.kind {
            EventType::Added if now_selected => "ADDED",
            EventType::Modified => match (was_selected, now_selected) {
                (true, true) => "MODIFIED",
                (false, true) => "ADDED",
                (true, false) => "DELETED",
                (false, false) => return,
            },
            EventType::Deleted if was_selected => "DELETED",
            _ => return,
        };
        self.push_event(kind, &event.object);
    }

    fn push_event(&mut self, kind: &str, object: &Arc<Value>) {
        let object = render::single(
            &self.rt,
            object,
            self.representation,
            self.options.include,
            !self.headers_sent,
            &self.damage,
        );
        self.headers_sent = true;
        self.push_line(&json!({"type": kind, "object": object}));
    }

    fn push_bookmark(&mut self, initial_events_end: bool) {
        let mut metadata = json!({"resourceVersion": self.last_rv.to_string()});
        if initial_events_end {
            metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        let object = json!({"kind": self.rt.kind, "apiVersion": self.rt.api_version(), "metadata": metadata});
        self.push_line(&json!({"type": "BOOKMARK", "object": object}));
    }

    fn fail(&mut self, error: ApiError) {
        self.push_line(&json!({"type": "ERROR", "object": error.to_status()}));
        self.done = true;
    }

    fn push_line(&mut self, value: &Value) {
        let mut line = value.to_string().into_bytes();
        line.push(b'\n');
        self.pending.push_back(Bytes::from(line));
    }

    /// The next line to send, waiting for changes, bookmarks or the end of the watch.
    async fn next_line(&mut self) -> Option<Bytes> {
        loop {
            if let Some(line) = self.pending.pop_front() {
                return Some(line);
            }
            if self.done {
                return None;
            }
            tokio::select! {
                _ = sleep_until(self.deadline) => self.done = true,
                changed = self.changes.changed() => {
                    if changed.is_err() {
                        self.done = true;
                    } else {
                        let shared = self.shared.clone();
                        let cluster = shared.cluster();
                        self.catch_up(&cluster.store);
                    }
                }
                _ = sleep_until(self.next_bookmark), if self.bookmarks.is_some() => {
                    let interval = self.bookmarks.unwrap_or(DEFAULT_TIMEOUT);
                    self.next_bookmark = Instant::now() + interval;
                    self.push_bookmark(false);
                }
            }
        }
    }
}
