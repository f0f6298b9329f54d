//! The log of every request the server has answered, for tests that assert what a client
//! asked for (and what it never asked for).

/// One request, as the server saw and answered it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    /// HTTP method (`GET`, `POST`, …).
    pub method: String,
    /// Path without the query (`/api/v1/namespaces/kube-system/pods`).
    pub path: String,
    /// Raw query string without `?`, empty when there was none.
    pub query: String,
    /// The `Accept` header, if any.
    pub accept: Option<String>,
    /// The `User-Agent` header, if any.
    pub user_agent: Option<String>,
    /// The HTTP status answered (for a watch, the status the stream started with).
    pub status: u16,
}

impl RecordedRequest {
    /// The first value of a query parameter, percent-decoded.
    pub fn param(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(self.query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// Whether this was a watch (`watch=true` or `watch=1`).
    pub fn is_watch(&self) -> bool {
        self.param("watch")
            .is_some_and(|v| crate::query::truthy(&v))
    }
}
