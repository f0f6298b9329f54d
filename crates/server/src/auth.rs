//! Tokens and browser sessions.
//!
//! API clients send `Authorization: Bearer <token>`. Browsers sign in once with a token
//! (`/login`) and get an HttpOnly, SameSite=Strict session cookie; writes made with that
//! cookie must also come from our own origin (`Sec-Fetch-Site`, else `Origin`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

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
/// Sessions kept at most; the oldest is dropped beyond that.
const MAX_SESSIONS: usize = 10_000;

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

impl AuthConfig {
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

/// Browser sessions, kept in memory (a restart signs everyone out).
#[derive(Default)]
pub(crate) struct Sessions {
    by_id: Mutex<HashMap<String, (Access, Instant)>>,
}

impl Sessions {
    /// Starts a session and returns its id.
    pub(crate) fn create(&self, access: Access) -> Result<String, ApiError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(ApiError::internal)?;
        let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let now = Instant::now();
        let mut map = self.by_id.lock().map_err(ApiError::internal)?;
        map.retain(|_, (_, expires)| *expires > now);
        if map.len() >= MAX_SESSIONS
            && let Some(oldest) = map
                .iter()
                .min_by_key(|(_, (_, expires))| *expires)
                .map(|(k, _)| k.clone())
        {
            map.remove(&oldest);
        }
        map.insert(id.clone(), (access, now + SESSION_TTL));
        Ok(id)
    }

    /// The access of a live session.
    pub(crate) fn get(&self, id: &str) -> Option<Access> {
        let map = self.by_id.lock().ok()?;
        // Ids are random and looked up by hash; the map lookup does not compare secrets
        // byte by byte against an attacker-chosen prefix in a way that leaks useful timing.
        map.get(id)
            .filter(|(_, expires)| *expires > Instant::now())
            .map(|(access, _)| *access)
    }

    /// Ends a session.
    pub(crate) fn remove(&self, id: &str) {
        if let Ok(mut map) = self.by_id.lock() {
            map.remove(id);
        }
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
    if state.auth.read_token.is_none() || is_public(request.uri().path()) {
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
        assert_eq!(id.len(), 64);
        assert_eq!(sessions.get(&id), Some(Access::Write));
        assert_ne!(sessions.create(Access::Read).unwrap(), id);
        sessions.remove(&id);
        assert_eq!(sessions.get(&id), None);
    }

    #[test]
    fn url_encode_keeps_paths_and_escapes_the_rest() {
        assert_eq!(url_encode("/findings?q=a b"), "/findings%3Fq%3Da%20b");
    }
}
