//! `/login` and `/logout`: trade a token for a session cookie, and back.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{SESSION_COOKIE, SESSION_TTL, same_origin, session_cookie};
use crate::AppState;
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
    let next = escape(safe_next(next));
    let error = error
        .map(|e| format!(r#"<p class="error" role="alert">{}</p>"#, escape(e)))
        .unwrap_or_default();
    let page = format!(
        r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign in · kspm</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:24rem;margin:4rem auto;padding:0 1rem}}
label,input,button{{display:block;width:100%;box-sizing:border-box;margin:.4rem 0}}
input{{padding:.5rem}}button{{padding:.5rem}}.error{{color:#b00020}}</style></head>
<body>
<h1>Sign in to kspm</h1>
{error}
<form method="post" action="/login">
<label for="token">Access token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<input type="hidden" name="next" value="{next}">
<button type="submit">Sign in</button>
</form>
<p>The write token lets you change rules and exceptions; the read token only lets you look.</p>
</body></html>"#
    );
    (status, Html(page)).into_response()
}

/// Escapes text for HTML element content and quoted attribute values.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
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
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn escape_neutralises_markup() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
