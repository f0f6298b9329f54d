//! `/login` and `/logout`: trade a token for a session cookie, and back.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{SESSION_COOKIE, SESSION_TTL, same_origin, session_cookie};
use crate::error::ApiError;

/// Query or form of `/login`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct LoginParams {
    token: Option<String>,
    next: Option<String>,
}

/// `GET /login` shows the form; `GET /login?token=…` signs in directly (handy for a link
/// printed by the CLI) and redirects so the token leaves the address bar.
pub(crate) async fn login_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<LoginParams>,
) -> Response {
    match params.token {
        Some(ref token) => sign_in(&state, &headers, token, params.next.as_deref()),
        None => form(StatusCode::OK, params.next.as_deref(), None),
    }
}

/// `POST /login` with a form body `token=…&next=…`, from our own page only.
pub(crate) async fn login_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(params): Form<LoginParams>,
) -> Response {
    if !same_origin(&headers) {
        return ApiError::forbidden("cross-site request refused").into_response();
    }
    let token = params.token.unwrap_or_default();
    sign_in(&state, &headers, &token, params.next.as_deref())
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

fn sign_in(state: &AppState, headers: &HeaderMap, token: &str, next: Option<&str>) -> Response {
    let Some(access) = state.auth.access_for(token) else {
        return form(
            StatusCode::FORBIDDEN,
            next,
            Some("That token is not valid."),
        );
    };
    let id = match state.sessions.create(access) {
        Ok(id) => id,
        Err(err) => return err.into_response(),
    };
    let mut response = Redirect::to(safe_next(next)).into_response();
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

/// Only local absolute paths are followed after sign-in (no open redirect).
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n,
        _ => "/",
    }
}

fn form(status: StatusCode, next: Option<&str>, error: Option<&str>) -> Response {
    super::login_page(status, safe_next(next), error)
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
        assert_eq!(safe_next(None), "/");
    }
}
