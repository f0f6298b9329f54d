//! The accept loop: HTTP/1.1 connections with a connection limit, a deadline for each
//! request head, and an idle timeout, each counted and logged when hit.
//!
//! axum's own `serve` sets none of these, so a client that opens connections and sends half a
//! request head could hold them forever. Here every connection holds a permit of a semaphore
//! (connections past [`crate::Limits::max_connections`] are closed at once), hyper closes a
//! connection whose request head has not fully arrived within
//! [`crate::Limits::header_read_timeout`] (for keep-alive connections, counted from the end of the
//! previous answer), and [`IdleTimeout`] closes one that moved no byte either way for
//! [`crate::Limits::idle_timeout`] (a slow body, or a reader that stopped reading).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::time::{Instant, Sleep};
use tower::Service;

use crate::AppState;
use crate::metrics::ServerEvents;

/// How long shutdown waits for open connections to finish their requests.
const DRAIN: Duration = Duration::from_secs(30);

/// Serves `app` on `listener` until `shutdown` resolves, then lets requests in flight finish.
pub(crate) async fn run(
    listener: TcpListener,
    app: Router,
    state: &AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let limits = state.limits;
    let events = state.events.clone();
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let (stop, stopping) = watch::channel(false);
    let log = Arc::new(RateLimitedLog::default());
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(err) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    log.warn(&log.accept_errors, &format!("accepting a connection: {err}"));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            ServerEvents::count(&events.connections_refused);
            log.warn(
                &log.refused,
                &format!(
                    "connection limit of {} reached; closing new connections",
                    limits.max_connections
                ),
            );
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let events = events.clone();
        let log = log.clone();
        let mut stopping = stopping.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let service = hyper::service::service_fn(
                move |mut request: hyper::Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(ConnectInfo(peer));
                    let mut app = app.clone();
                    async move { app.call(request).await }
                },
            );
            let io = TokioIo::new(IdleTimeout::new(stream, limits.idle_timeout));
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout);
            let connection = builder.serve_connection(io, service);
            tokio::pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                _ = stopping.changed() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(err) = result {
                if err.is_timeout() {
                    ServerEvents::count(&events.header_timeouts);
                    log.warn(
                        &log.timeouts,
                        &format!(
                            "closed a connection from {peer}: request head not received in time"
                        ),
                    );
                } else if is_idle_timeout(&err) {
                    ServerEvents::count(&events.idle_timeouts);
                    log.warn(
                        &log.timeouts,
                        &format!("closed a connection from {peer}: idle for too long"),
                    );
                }
            }
        });
    }
    let _ = stop.send(true);
    drop(listener);
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(DRAIN, permits.acquire_many(all)).await;
    Ok(())
}

fn is_idle_timeout(err: &hyper::Error) -> bool {
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<io::Error>() {
            return io.kind() == io::ErrorKind::TimedOut;
        }
        source = cause.source();
    }
    false
}

/// Logs a warning at most once every ten seconds per kind, with how many were suppressed:
/// a flood of bad connections must not become a flood of log lines.
#[derive(Default)]
struct RateLimitedLog {
    refused: Slot,
    timeouts: Slot,
    accept_errors: Slot,
}

#[derive(Default)]
struct Slot {
    /// Seconds since `START` of the last line written, plus one (0 = never).
    last: AtomicU64,
    suppressed: AtomicU64,
}

static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();

impl RateLimitedLog {
    fn warn(&self, slot: &Slot, message: &str) {
        let now = START.get_or_init(Instant::now).elapsed().as_secs() + 1;
        let last = slot.last.load(Ordering::Relaxed);
        if last != 0 && now < last + 10 {
            slot.suppressed.fetch_add(1, Ordering::Relaxed);
            return;
        }
        if slot
            .last
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            slot.suppressed.fetch_add(1, Ordering::Relaxed);
            return;
        }
        match slot.suppressed.swap(0, Ordering::Relaxed) {
            0 => tracing::warn!("{message}"),
            n => tracing::warn!("{message} (and {n} more like it in the last seconds)"),
        }
    }
}

/// An IO stream that fails with `TimedOut` once no byte moved either way for `idle`.
pub(crate) struct IdleTimeout<T> {
    inner: T,
    idle: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl<T> IdleTimeout<T> {
    pub(crate) fn new(inner: T, idle: Duration) -> IdleTimeout<T> {
        IdleTimeout {
            inner,
            idle,
            deadline: Box::pin(tokio::time::sleep(idle)),
        }
    }

    fn moved(&mut self) {
        let next = Instant::now() + self.idle;
        // Resetting a timer costs a little; once a second is precise enough.
        if next > self.deadline.deadline() + Duration::from_secs(1) {
            self.deadline.as_mut().reset(next);
        }
    }

    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        self.deadline.as_mut().poll(cx).is_ready()
    }
}

fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "connection idle for too long")
}

impl<T: AsyncRead + Unpin> AsyncRead for IdleTimeout<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.moved();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending if this.expired(cx) => Poll::Ready(Err(timed_out())),
            other => other,
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for IdleTimeout<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write(cx, data) {
            Poll::Ready(Ok(n)) => {
                if n > 0 {
                    this.moved();
                }
                Poll::Ready(Ok(n))
            }
            Poll::Pending if this.expired(cx) => Poll::Ready(Err(timed_out())),
            other => other,
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write_vectored(cx, bufs) {
            Poll::Ready(Ok(n)) => {
                if n > 0 {
                    this.moved();
                }
                Poll::Ready(Ok(n))
            }
            Poll::Pending if this.expired(cx) => Poll::Ready(Err(timed_out())),
            other => other,
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
