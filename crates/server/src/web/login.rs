//! `/login` and `/logout`: trade a token for a session cookie, and back.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{SESSION_COOKIE, SESSION_TTL, same_origin, session_cookie};
use crate::error::ApiError;
use crate::metrics::ServerEvents;

/// Query or form of `/login`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct LoginParams {
    token: Option<String>,
    next: Option<String>,
}

/// `GET /login` shows the form. `GET /login?token=…` (the link the CLI prints) shows the same
/// form with the token filled in and signs nobody in: a link on another site must not sign a
/// browser in to a session of the linker's choosing (login CSRF), so it takes a click on our
/// own page, whose `POST` is checked to come from our origin.
pub(crate) async fn login_get(Query(params): Query<LoginParams>) -> Response {
    super::login_page(
        StatusCode::OK,
        &safe_next(params.next.as_deref()),
        params.token.as_deref().unwrap_or(""),
        None,
    )
}

/// `POST /login` with a form body `token=…&next=…`, from our own page only.
pub(crate) async fn login_post(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Form(params): Form<LoginParams>,
) -> Response {
    if !same_origin(&headers) {
        return ApiError::forbidden("cross-site request refused").into_response();
    }
    let token = params.token.unwrap_or_default();
    let peer = peer.map(|Extension(ConnectInfo(addr))| addr);
    sign_in(&state, &headers, peer, &token, params.next.as_deref())
}

/// `POST /logout`: ends the session and clears the cookie.
pub(crate) async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if !same_origin(&headers) {
        return ApiError::forbidden("cross-site request refused").into_response();
    }
    if let Some(id) = session_cookie(&headers) {
        state.sessions.remove(id);
    }
    let mut response = Redirect::to("/login").into_response();
    let cookie = format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        secure_suffix(&headers)
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

fn sign_in(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    token: &str,
    next: Option<&str>,
) -> Response {
    let Some(access) = state.auth.access_for(token) else {
        ServerEvents::count(&state.events.sign_in_failures);
        let forwarded = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        tracing::warn!(
            peer = %peer.map_or_else(|| "-".to_owned(), |p| p.to_string()),
            x_forwarded_for = %forwarded.escape_debug(),
            "sign-in refused: the token is not valid"
        );
        return super::login_page(
            StatusCode::FORBIDDEN,
            &safe_next(next),
            "",
            Some("That token is not valid."),
        );
    };
    let id = match state.sessions.create(access) {
        Ok(id) => id,
        Err(err) => return err.into_response(),
    };
    let mut response = Redirect::to(&safe_next(next)).into_response();
    let cookie = format!(
        "{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        SESSION_TTL.as_secs(),
        secure_suffix(headers)
    );
    match HeaderValue::from_str(&cookie) {
        Ok(value) => {
            response.headers_mut().insert(header::SET_COOKIE, value);
            response
        }
        Err(err) => ApiError::internal(err).into_response(),
    }
}

/// `; Secure` when the browser reached us over HTTPS (directly or through a proxy that says
/// so); a plain-HTTP in-cluster deployment would otherwise never get the cookie back.
fn secure_suffix(headers: &HeaderMap) -> &'static str {
    let https = headers
        .get("x-forwarded-proto")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    if https { "; Secure" } else { "" }
}

/// Where to go after signing in: a path on this server, or `/`.
///
/// Browsers drop tabs and line breaks from addresses and read `\\` as `/`, so `/\t/host`
/// and `/\\host` would leave the origin like `//host`: any control character, whitespace or
/// backslash makes the whole target `/`. What is left is a path that starts with one `/`;
/// characters outside ASCII are percent-encoded so that it is a valid `Location` value.
fn safe_next(next: Option<&str>) -> String {
    let Some(next) = next else {
        return "/".to_owned();
    };
    let local = next.starts_with('/') && !next.starts_with("//");
    let clean = !next
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || c == '\\');
    if !local || !clean {
        return "/".to_owned();
    }
    let mut out = String::with_capacity(next.len());
    for c in next.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_only_follows_local_paths() {
        assert_eq!(safe_next(Some("/findings?q=x")), "/findings?q=x");
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(Some("\\/evil.example")), "/");
        assert_eq!(safe_next(Some("/\t/evil.example/path")), "/");
        assert_eq!(safe_next(Some("/\r\nSet-Cookie: x=1")), "/");
        assert_eq!(safe_next(Some("/ /evil.example")), "/");
        assert_eq!(safe_next(Some("/findings?q=\u{2028}")), "/");
        assert_eq!(safe_next(Some("/r\u{e8}gles")), "/r%C3%A8gles");
        assert_eq!(safe_next(None), "/");
    }
}
