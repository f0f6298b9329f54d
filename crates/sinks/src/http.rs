//! The one HTTP client stack for outgoing calls: reqwest on hyper (the stack kube-rs uses
//! too) with rustls and the ring crypto provider (no C toolchain needed, unlike aws-lc).

use std::time::Duration;

/// A blocking client with `timeout` per request, TLS through rustls with the platform's
/// certificate store.
pub(crate) fn client(timeout: Duration) -> crate::Result<reqwest::blocking::Client> {
    client_with_ca(timeout, None)
}

/// As [`client`], also trusting the CA certificate(s) of `ca_pem`.
pub(crate) fn client_with_ca(
    timeout: Duration,
    ca_pem: Option<&[u8]>,
) -> crate::Result<reqwest::blocking::Client> {
    // reqwest is built without a default crypto provider; install ring once per process (a
    // second install is refused harmlessly).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::blocking::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("kspm/", env!("CARGO_PKG_VERSION")));
    if let Some(pem) = ca_pem {
        let certificates = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
            crate::Error::Config(format!("the CA file is not PEM certificates: {e}"))
        })?;
        if certificates.is_empty() {
            return Err(crate::Error::Config(
                "the CA file holds no PEM certificate".into(),
            ));
        }
        for certificate in certificates {
            builder = builder.add_root_certificate(certificate);
        }
    }
    Ok(builder.build()?)
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
