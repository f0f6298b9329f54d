//! Tokens and browser sessions.
//!
//! API clients send `Authorization: Bearer <token>`. Browsers sign in once with a token
//! (`/login`) and get an HttpOnly, SameSite=Strict session cookie; writes made with that
//! cookie must also come from our own origin (`Sec-Fetch-Site`, else `Origin`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use subtle::ConstantTimeEq;

use crate::AppState;
use crate::error::ApiError;

/// Name of the session cookie.
pub(crate) const SESSION_COOKIE: &str = "kspm_session";
/// How long a browser session lasts.
pub(crate) const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);

/// The tokens the server accepts. Never printed.
#[derive(Clone)]
pub struct AuthConfig {
    /// Token for writes: ingest, rule toggles, exceptions. Also grants reads.
    pub write_token: String,
    /// Token for reads; when `None`, reads are open to anyone who can reach the server.
    pub read_token: Option<String>,
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthConfig")
            .field("write_token", &"<redacted>")
            .field(
                "read_token",
                &self.read_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// What a token or session may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Access {
    /// Read the API and the pages.
    Read,
    /// Read and change.
    Write,
}

/// Compares two secrets in time that depends only on their lengths.
pub(crate) fn token_matches(presented: &str, expected: &str) -> bool {
    !expected.is_empty() && bool::from(presented.as_bytes().ct_eq(expected.as_bytes()))
}

/// Shortest token accepted.
pub const MIN_TOKEN_CHARS: usize = 16;

impl AuthConfig {
    /// Refuses tokens that are too short to resist guessing, and a read token equal to the
    /// write token (whoever holds it could write while the operator believes they can only
    /// read).
    pub fn check(&self) -> crate::Result<()> {
        if self.write_token.chars().count() < MIN_TOKEN_CHARS {
            return Err(crate::Error::Tokens(format!(
                "the write token must be at least {MIN_TOKEN_CHARS} characters"
            )));
        }
        if let Some(read) = &self.read_token {
            if read.chars().count() < MIN_TOKEN_CHARS {
                return Err(crate::Error::Tokens(format!(
                    "the read token must be at least {MIN_TOKEN_CHARS} characters"
                )));
            }
            if read == &self.write_token {
                return Err(crate::Error::Tokens(
                    "the read token must differ from the write token".into(),
                ));
            }
        }
        Ok(())
    }

    /// The access a presented token grants, if any.
    pub(crate) fn access_for(&self, token: &str) -> Option<Access> {
        if token_matches(token, &self.write_token) {
            return Some(Access::Write);
        }
        match &self.read_token {
            Some(read) if token_matches(token, read) => Some(Access::Read),
            _ => None,
        }
    }
}

/// Browser sessions: signed cookies, so that no number of sign-ins can push another
/// user's session out of a table. The cookie holds the access, the expiry and a random
/// nonce, with an HMAC-SHA256 over them under a key drawn at start (a restart signs everyone
/// out). Signing out records the nonce until the session would have expired; that list is
/// bounded, and when it fills with live entries the key is replaced (everyone signs in again)
/// rather than forgetting a revocation.
pub(crate) struct Sessions {
    key: std::sync::RwLock<ring::hmac::Key>,
    revoked: Mutex<HashMap<[u8; NONCE_BYTES], u64>>,
}

/// Random bytes per session.
const NONCE_BYTES: usize = 16;
/// Signed-out sessions remembered at most before the key is replaced.
const MAX_REVOKED: usize = 50_000;

impl Default for Sessions {
    fn default() -> Sessions {
        Sessions {
            key: std::sync::RwLock::new(new_key()),
            revoked: Mutex::new(HashMap::new()),
        }
    }
}

fn new_key() -> ring::hmac::Key {
    let mut bytes = [0u8; 32];
    // Without randomness the server cannot run safely at all; a fixed key would let anyone
    // forge sessions.
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &bytes)
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// A session as read back from a valid cookie.
struct SessionClaims {
    access: Access,
    expires: u64,
    nonce: [u8; NONCE_BYTES],
}

impl Sessions {
    /// Starts a session and returns its cookie value.
    pub(crate) fn create(&self, access: Access) -> Result<String, ApiError> {
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).map_err(ApiError::internal)?;
        let letter = match access {
            Access::Read => 'r',
            Access::Write => 'w',
        };
        let payload = format!(
            "{letter}.{}.{}",
            unix_now() + SESSION_TTL.as_secs(),
            hex(&nonce)
        );
        let key = self.key.read().map_err(ApiError::internal)?;
        let tag = ring::hmac::sign(&key, payload.as_bytes());
        Ok(format!("{payload}.{}", hex(tag.as_ref())))
    }

    fn claims(&self, cookie: &str) -> Option<SessionClaims> {
        let (payload, tag) = cookie.rsplit_once('.')?;
        let tag: [u8; 32] = unhex(tag)?;
        {
            let key = self.key.read().ok()?;
            ring::hmac::verify(&key, payload.as_bytes(), &tag).ok()?;
        }
        let mut parts = payload.split('.');
        let access = match parts.next()? {
            "r" => Access::Read,
            "w" => Access::Write,
            _ => return None,
        };
        let expires: u64 = parts.next()?.parse().ok()?;
        let nonce = unhex(parts.next()?)?;
        if parts.next().is_some() || expires <= unix_now() {
            return None;
        }
        Some(SessionClaims {
            access,
            expires,
            nonce,
        })
    }

    /// The access of a live session.
    pub(crate) fn get(&self, cookie: &str) -> Option<Access> {
        let claims = self.claims(cookie)?;
        let revoked = self.revoked.lock().ok()?;
        (!revoked.contains_key(&claims.nonce)).then_some(claims.access)
    }

    /// Ends a session.
    pub(crate) fn remove(&self, cookie: &str) {
        let Some(claims) = self.claims(cookie) else {
            return;
        };
        let Ok(mut revoked) = self.revoked.lock() else {
            return;
        };
        if revoked.len() >= MAX_REVOKED {
            let now = unix_now();
            revoked.retain(|_, expires| *expires > now);
        }
        if revoked.len() >= MAX_REVOKED {
            tracing::warn!(
                "{MAX_REVOKED} signed-out sessions are still within their lifetime; \
                 replacing the session key, every browser must sign in again"
            );
            revoked.clear();
            if let Ok(mut key) = self.key.write() {
                *key = new_key();
            }
            return;
        }
        revoked.insert(claims.nonce, claims.expires);
    }
}

/// The bearer token of a request: `Ok(None)` when there is no `Authorization` header,
/// `Err` when there is one that is not a bearer token.
fn bearer(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| ApiError::unauthorized())?;
    let (scheme, token) = value.split_once(' ').ok_or_else(ApiError::unauthorized)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::unauthorized());
    }
    Ok(Some(token.trim()))
}

/// The value of the session cookie, if sent.
pub(crate) fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value)
}

/// True when the request comes from a page of our own origin. Browsers send
/// `Sec-Fetch-Site`; older ones at least `Origin`, which must name the `Host` we serve.
/// A request with neither is refused: cookie-authenticated writes come from browsers.
pub(crate) fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return site.as_bytes() == b"same-origin";
    }
    let (Some(origin), Some(host)) = (headers.get(header::ORIGIN), headers.get(header::HOST))
    else {
        return false;
    };
    let (Ok(origin), Ok(host)) = (origin.to_str(), host.to_str()) else {
        return false;
    };
    match origin.split_once("://") {
        Some((_, authority)) => authority.eq_ignore_ascii_case(host),
        None => false,
    }
}

/// How a request authenticated, if it did.
enum Credential {
    Bearer(Access),
    Session(Access),
}

/// Resolves the credential of a request. A wrong bearer token is an error (403) rather
/// than "no credential", so a typo never falls back to an anonymous read.
fn credential(state: &AppState, headers: &HeaderMap) -> Result<Option<Credential>, ApiError> {
    if let Some(token) = bearer(headers)? {
        return state
            .auth
            .access_for(token)
            .map(|a| Some(Credential::Bearer(a)))
            .ok_or_else(|| ApiError::forbidden("the token is not valid"));
    }
    Ok(session_cookie(headers)
        .and_then(|id| state.sessions.get(id))
        .map(Credential::Session))
}

/// Machine writes (ingest) need the write token as a bearer header; a browser session is
/// not enough.
pub(crate) fn require_bearer_write(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    match bearer(headers)? {
        None => Err(ApiError::unauthorized()),
        Some(token) if token_matches(token, &state.auth.write_token) => Ok(()),
        Some(_) => Err(ApiError::forbidden("the write token is required")),
    }
}

/// Proof that a request may change data: the write token as a bearer header, or a write
/// session cookie on a same-origin request. `author` names which, for audit fields.
#[derive(Debug, Clone)]
pub(crate) struct WriteAccess {
    /// `api-token` or `web-session`.
    pub(crate) author: &'static str,
}

impl FromRequestParts<AppState> for WriteAccess {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<WriteAccess, ApiError> {
        match credential(state, &parts.headers)? {
            Some(Credential::Bearer(Access::Write)) => Ok(WriteAccess {
                author: "api-token",
            }),
            Some(Credential::Session(Access::Write)) => {
                if same_origin(&parts.headers) {
                    Ok(WriteAccess {
                        author: "web-session",
                    })
                } else {
                    Err(ApiError::forbidden("cross-site request refused"))
                }
            }
            Some(_) => Err(ApiError::forbidden("the write token is required")),
            None => Err(ApiError::unauthorized()),
        }
    }
}

/// Who is looking, for pages that show or hide controls. Never rejects.
#[derive(Debug, Clone, Copy)]
#[allow(dead_code)] // for the web UI
pub(crate) struct Viewer {
    /// Signed in with a session cookie (any access).
    pub(crate) signed_in: bool,
    /// May change data (write token or write session).
    pub(crate) can_write: bool,
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Viewer, std::convert::Infallible> {
        let (signed_in, access) = match credential(state, &parts.headers) {
            Ok(Some(Credential::Session(a))) => (true, Some(a)),
            Ok(Some(Credential::Bearer(a))) => (false, Some(a)),
            _ => (false, None),
        };
        Ok(Viewer {
            signed_in,
            can_write: access == Some(Access::Write),
        })
    }
}

/// Paths open without the read token: the health check, signing in and out, and the
/// vendored static assets (public code, no data).
fn is_public(path: &str) -> bool {
    path == "/healthz" || path == "/login" || path == "/logout" || path.starts_with("/static/")
}

/// Middleware: when a read token is configured, every request but the public paths needs
/// the read token, the write token or a session cookie. Browsers asking for a page are sent
/// to the sign-in page instead of getting a JSON error.
pub(crate) async fn require_read(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if state.auth.read_token.is_none() {
        if request.uri().path() != "/healthz"
            && !matches!(bearer(request.headers()), Ok(Some(_)))
            && let Some(host) = request.headers().get(header::HOST)
            && !host_allowed(host.as_bytes(), &state.allowed_hosts)
        {
            tracing::warn!(
                host = %String::from_utf8_lossy(host.as_bytes()).escape_debug(),
                "refused a request for a host name this server was not told about"
            );
            return ApiError::forbidden(
                "this server does not answer to that host name (kspm server --allowed-host)",
            )
            .into_response();
        }
        return next.run(request).await;
    }
    if is_public(request.uri().path()) {
        return next.run(request).await;
    }
    match credential(&state, request.headers()) {
        Ok(Some(_)) => next.run(request).await,
        Ok(None) if wants_page(&request) => {
            let target = request
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            Redirect::to(&format!("/login?next={}", url_encode(target))).into_response()
        }
        Ok(None) => ApiError::unauthorized().into_response(),
        Err(err) => err.into_response(),
    }
}

/// True when a `Host` header names an IP address, `localhost` (or a name under it), or one
/// of `allowed` — names a DNS-rebinding page cannot have made point here without the operator
/// listing them.
fn host_allowed(host: &[u8], allowed: &[String]) -> bool {
    let Ok(host) = std::str::from_utf8(host) else {
        return false;
    };
    let host = host.trim().to_ascii_lowercase();
    if host.starts_with('[') {
        // An IPv6 literal, with or without a port.
        return host
            .split_once(']')
            .and_then(|(ip, _)| ip[1..].parse::<std::net::Ipv6Addr>().ok())
            .is_some();
    }
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host.as_str(),
    };
    let name = name.strip_suffix('.').unwrap_or(name);
    name.parse::<std::net::Ipv4Addr>().is_ok()
        || name == "localhost"
        || name.ends_with(".localhost")
        || allowed.iter().any(|a| a == name)
}

/// A browser navigating to a page (not the API, not a scrape).
fn wants_page(request: &Request) -> bool {
    let path = request.uri().path();
    request.method() == Method::GET
        && !path.starts_with("/api/")
        && path != "/metrics"
        && request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
}

/// Percent-encodes everything but unreserved characters and `/`.
fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn token_comparison_needs_exact_match_and_rejects_empty_secrets() {
        assert!(token_matches("s3cret", "s3cret"));
        assert!(!token_matches("s3cre", "s3cret"));
        assert!(!token_matches("s3cret!", "s3cret"));
        assert!(!token_matches("S3cret", "s3cret"));
        assert!(!token_matches("", ""));
    }

    #[test]
    fn same_origin_prefers_fetch_metadata_then_origin_against_host() {
        let mut h = HeaderMap::new();
        assert!(!same_origin(&h), "no evidence is refused");
        h.insert(header::HOST, HeaderValue::from_static("kspm.local:8080"));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://kspm.local:8080"),
        );
        assert!(same_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(!same_origin(&h));
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(same_origin(&h), "fetch metadata wins over Origin");
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!same_origin(&h));
        h.insert("sec-fetch-site", HeaderValue::from_static("same-site"));
        assert!(!same_origin(&h), "a sibling subdomain is not our origin");
    }

    #[test]
    fn only_ip_addresses_localhost_and_listed_names_pass_the_host_check() {
        let listed = vec!["kspm.example.org".to_owned()];
        for ok in [
            "127.0.0.1",
            "127.0.0.1:8080",
            "10.0.0.7:80",
            "[::1]:8080",
            "[::1]",
            "localhost:8080",
            "LOCALHOST",
            "app.localhost",
            "kspm.example.org",
            "KSPM.example.org:443",
            "kspm.example.org.",
        ] {
            assert!(host_allowed(ok.as_bytes(), &listed), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:8080",
            "127.0.0.1.evil.example",
            "localhost.evil.example",
            "kspm.example.org.evil.example",
            "[::1",
            "",
        ] {
            assert!(!host_allowed(bad.as_bytes(), &listed), "{bad}");
        }
        assert!(!host_allowed(&[0xff, 0xfe], &listed));
    }

    #[test]
    fn short_or_shared_tokens_are_refused() {
        let config = |write: &str, read: Option<&str>| AuthConfig {
            write_token: write.into(),
            read_token: read.map(Into::into),
        };
        let long = "0123456789abcdef";
        assert!(config(long, None).check().is_ok());
        assert!(config(long, Some("fedcba9876543210")).check().is_ok());
        assert!(config("short", None).check().is_err());
        assert!(config(long, Some("r")).check().is_err());
        assert!(config(long, Some(long)).check().is_err());
    }

    #[test]
    fn session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; kspm_session=abc; b=2"),
        );
        assert_eq!(session_cookie(&h), Some("abc"));
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("xkspm_session=abc"),
        );
        assert_eq!(session_cookie(&h), None);
    }

    #[test]
    fn sessions_expire_and_can_be_removed() {
        let sessions = Sessions::default();
        let id = sessions.create(Access::Write).unwrap();
        assert_eq!(sessions.get(&id), Some(Access::Write));
        let read = sessions.create(Access::Read).unwrap();
        assert_ne!(read, id);
        assert_eq!(sessions.get(&read), Some(Access::Read));
        sessions.remove(&id);
        assert_eq!(sessions.get(&id), None);
        assert_eq!(sessions.get(&read), Some(Access::Read));
    }

    #[test]
    fn a_session_cookie_cannot_be_altered_or_extended() {
        let sessions = Sessions::default();
        let read = sessions.create(Access::Read).unwrap();
        let promoted = format!("w{}", &read[1..]);
        assert_eq!(sessions.get(&promoted), None);
        let (payload, tag) = read.rsplit_once('.').unwrap();
        let mut parts: Vec<&str> = payload.split('.').collect();
        let later = (parts[1].parse::<u64>().unwrap() + 3600).to_string();
        parts[1] = &later;
        assert_eq!(sessions.get(&format!("{}.{tag}", parts.join("."))), None);
        let other = Sessions::default();
        assert_eq!(other.get(&read), None, "another key's cookie is no session");
    }

    #[test]
    fn url_encode_keeps_paths_and_escapes_the_rest() {
        assert_eq!(url_encode("/findings?q=a b"), "/findings%3Fq%3Da%20b");
    }
}
