//! The one HTTP client stack for outgoing calls: reqwest on hyper (the stack kube-rs uses
//! too) with rustls and the ring crypto provider (no C toolchain needed, unlike aws-lc).

use std::time::Duration;

/// A blocking client with `timeout` per request, TLS through rustls with the platform's
/// certificate store.
pub(crate) fn client(timeout: Duration) -> crate::Result<reqwest::blocking::Client> {
    // reqwest is built without a default crypto provider; install ring once per process (a
    // second install is refused harmlessly).
    let _ = rustls::crypto::ring::default_provider().install_default();
    Ok(reqwest::blocking::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("kspm/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// The start of a response body, on one line, for error messages.
pub(crate) fn excerpt(body: &str) -> String {
    let one_line: String = body
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect();
    one_line
}
