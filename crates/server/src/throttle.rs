//! Bounded concurrency for requests that read the store: a few run at once, a bounded number
//! wait (for a bounded time), the rest are answered 503 at once. Without it, 64 concurrent
//! searches meant 64 SQLite connections scanning at once, each with its own page cache.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use crate::AppState;
use crate::error::ApiError;
use crate::metrics::ServerEvents;

/// The slots of store-reading requests.
pub(crate) struct QuerySlots {
    running: Semaphore,
    waiting: AtomicUsize,
    max_waiting: usize,
    max_wait: Duration,
}

impl QuerySlots {
    pub(crate) fn new(concurrent: usize, max_waiting: usize, max_wait: Duration) -> QuerySlots {
        QuerySlots {
            running: Semaphore::new(concurrent.max(1)),
            waiting: AtomicUsize::new(0),
            max_waiting,
            max_wait,
        }
    }
}

/// Counts a waiting request until dropped.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Requests that read the store. The health check stays outside (it must answer while
/// searches queue), and so do the static assets and the sign-in form; ingest and other writes
/// go through the store's single writer.
fn reads_store(request: &Request) -> bool {
    let path = request.uri().path();
    request.method() == Method::GET
        && path != "/healthz"
        && path != "/login"
        && path != "/favicon.ico"
        && !path.starts_with("/static/")
}

/// Middleware: runs a store-reading request when a slot is free, waits for one otherwise,
/// and answers 503 with `Retry-After` when too many already wait or the wait is too long.
pub(crate) async fn limit_queries(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if !reads_store(&request) {
        return next.run(request).await;
    }
    let slots = &state.query_slots;
    let permit = match slots.running.try_acquire() {
        Ok(permit) => permit,
        Err(_) => {
            let queued = slots.waiting.fetch_add(1, Ordering::Relaxed);
            let waiting = Waiting(&slots.waiting);
            if queued >= slots.max_waiting {
                return busy(&state);
            }
            match tokio::time::timeout(slots.max_wait, slots.running.acquire()).await {
                Ok(Ok(permit)) => {
                    drop(waiting);
                    permit
                }
                _ => return busy(&state),
            }
        }
    };
    let response = next.run(request).await;
    drop(permit);
    response
}

fn busy(state: &AppState) -> Response {
    ServerEvents::count(&state.events.searches_refused);
    tracing::warn!("too many searches waiting; answering 503");
    let mut response = ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "the server is busy with other searches; try again shortly",
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AuthConfig, Limits};
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    #[tokio::test]
    async fn reads_past_the_queue_get_503_and_the_health_check_never_waits() {
        let dir = tempfile::tempdir().unwrap();
        let store = kspm_store::Store::open(&dir.path().join("kspm.db")).unwrap();
        let state = AppState::new(
            store,
            AuthConfig {
                write_token: "w".repeat(20),
                read_token: None,
            },
            Limits {
                concurrent_queries: 1,
                queued_queries: 1,
                query_wait: Duration::from_secs(5),
                ..Limits::default()
            },
        );
        let app: Router = Router::new()
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    "done"
                }),
            )
            .route("/healthz", get(|| async { "ok" }))
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                limit_queries,
            ))
            .with_state(state.clone());
        let call = |path: &'static str| {
            let app = app.clone();
            async move {
                app.oneshot(Request::get(path).body(Body::empty()).unwrap())
                    .await
                    .unwrap()
                    .status()
            }
        };
        let running = tokio::spawn(call("/slow"));
        tokio::time::sleep(Duration::from_millis(50)).await;
        let queued = tokio::spawn(call("/slow"));
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(call("/slow").await, StatusCode::SERVICE_UNAVAILABLE);
        let started = std::time::Instant::now();
        assert_eq!(call("/healthz").await, StatusCode::OK);
        assert!(started.elapsed() < Duration::from_millis(200));
        assert_eq!(running.await.unwrap(), StatusCode::OK);
        assert_eq!(queued.await.unwrap(), StatusCode::OK);
        assert_eq!(
            state
                .events
                .searches_refused
                .load(std::sync::atomic::Ordering::Relaxed),
            1
        );
    }
}
