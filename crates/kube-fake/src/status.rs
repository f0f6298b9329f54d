//! Failure answers with the real API server's wire format: a `Status` object
//! (`kind: Status`, `apiVersion: v1`, `status: Failure`, `message`, `reason`, `details`, `code`)
//! with the messages the API server writes, and the few answers that are not a `Status` at all
//! (an unserved path, priority-and-fairness throttling).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::catalog::ResourceType;

/// A failure the server answers with a `Status` object.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    code: u16,
    reason: &'static str,
    message: String,
    details: Option<Map<String, Value>>,
    /// `metadata.continue` of the Status (an inconsistent continue token after a 410).
    continue_token: Option<String>,
}

/// One entry of `details.causes` on an Invalid answer: (cause type, field, message).
pub(crate) type Cause = (&'static str, String, String);

impl ApiError {
    fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            reason,
            message: message.into(),
            details: None,
            continue_token: None,
        }
    }

    fn with_details(mut self, details: Value) -> Self {
        if let Value::Object(map) = details {
            self.details = Some(map);
        }
        self
    }

    /// `details` naming an object: `{name, group, kind}` with kind the plural resource, as the
    /// API server fills it (empty fields left out).
    fn about(self, rt: &ResourceType, name: &str) -> Self {
        let mut details = Map::new();
        if !name.is_empty() {
            details.insert("name".into(), json!(name));
        }
        if !rt.group.is_empty() {
            details.insert("group".into(), json!(rt.group));
        }
        details.insert("kind".into(), json!(rt.plural));
        self.with_details(Value::Object(details))
    }

    /// 404 for an object that does not exist: `pods "web" not found`.
    pub(crate) fn not_found(rt: &ResourceType, name: &str) -> Self {
        ApiError::new(
            404,
            "NotFound",
            format!("{} {:?} not found", rt.qualified(), name),
        )
        .about(rt, name)
    }

    /// 404 for a path inside a served group version that names no resource; the API server's
    /// generic answer, with empty details.
    pub(crate) fn unknown_resource() -> Self {
        ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
        .with_details(json!({}))
    }

    /// 409 on create when the name is taken.
    pub(crate) fn already_exists(rt: &ResourceType, name: &str) -> Self {
        ApiError::new(
            409,
            "AlreadyExists",
            format!("{} {:?} already exists", rt.qualified(), name),
        )
        .about(rt, name)
    }

    /// 409 when an update or delete carries a stale precondition.
    pub(crate) fn conflict(rt: &ResourceType, name: &str, why: &str) -> Self {
        ApiError::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} {:?}: {why}",
                rt.qualified(),
                name
            ),
        )
        .about(rt, name)
    }

    /// 409 as the delete preconditions word it, naming the kind rather than the resource.
    pub(crate) fn conflict_on_kind(rt: &ResourceType, name: &str, why: &str) -> Self {
        let mut error = ApiError::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} {:?}: {why}",
                rt.qualified_kind(),
                name
            ),
        )
        .about(rt, name);
        if let Some(details) = &mut error.details {
            details.insert("kind".into(), json!(rt.kind));
        }
        error
    }

    /// 422 for a request the server could not apply (a failed JSON patch test, say).
    pub(crate) fn unprocessable(message: &str) -> Self {
        ApiError::new(422, "Invalid", message).with_details(json!({}))
    }

    /// 401 for a missing or wrong bearer token.
    pub(crate) fn unauthorized() -> Self {
        ApiError::new(401, "Unauthorized", "Unauthorized")
    }

    /// 403 as the authorizer words it, naming the user, verb, resource, group and scope.
    pub(crate) fn forbidden(
        user: &str,
        verb: &str,
        rt: &ResourceType,
        namespace: Option<&str>,
        name: &str,
    ) -> Self {
        let scope = match namespace {
            Some(ns) => format!("in the namespace {ns:?}"),
            None => "at the cluster scope".to_string(),
        };
        let reason = format!(
            "User {user:?} cannot {verb} resource {:?} in API group {:?} {scope}",
            rt.plural, rt.group
        );
        let message = if name.is_empty() {
            format!("{} is forbidden: {reason}", rt.qualified())
        } else {
            format!("{} {name:?} is forbidden: {reason}", rt.qualified())
        };
        ApiError::new(403, "Forbidden", message).about(rt, name)
    }

    /// 410 Expired for a list at a resource version the store has compacted away.
    pub(crate) fn list_expired() -> Self {
        ApiError::new(
            410,
            "Expired",
            "The resourceVersion for the provided list is too old.",
        )
    }

    /// 410 Expired for a continue token whose snapshot was compacted; `inconsistent` is the
    /// token that continues the list at the latest resource version instead.
    pub(crate) fn continue_expired(inconsistent: String) -> Self {
        let mut error = ApiError::new(
            410,
            "Expired",
            "The provided continue parameter is too old to display a consistent list result. \
             You can start a new list without the continue parameter, or use the continue token \
             in this response to retrieve the remainder of the results. Continuing with the \
             provided token results in an inconsistent list - objects that were created, \
             modified, or deleted between the time the first chunk was returned and now may \
             show up in the list.",
        );
        error.continue_token = Some(inconsistent);
        error
    }

    /// 410 Expired, sent inside a watch stream as an `ERROR` event, for a watch from a resource
    /// version older than the server's history.
    pub(crate) fn watch_too_old(requested: u64, oldest: u64) -> Self {
        ApiError::new(
            410,
            "Expired",
            format!("too old resource version: {requested} ({oldest})"),
        )
    }

    /// 504 for a read at a resource version the server has not reached yet.
    pub(crate) fn too_large_resource_version(requested: u64, current: u64) -> Self {
        ApiError::new(
            504,
            "Timeout",
            format!("Timeout: Too large resource version: {requested}, current: {current}"),
        )
        .with_details(json!({
            "causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
            "retryAfterSeconds": 1
        }))
    }

    /// 429 TooManyRequests as a Status, from the storage layer (not from priority and
    /// fairness, which answers in plain text).
    pub(crate) fn too_many_requests(message: &str, retry_after_secs: u32) -> Self {
        ApiError::new(429, "TooManyRequests", message)
            .with_details(json!({"retryAfterSeconds": retry_after_secs}))
    }

    /// 500 InternalError wrapping a storage failure.
    pub(crate) fn internal(cause: &str) -> Self {
        ApiError::new(
            500,
            "InternalError",
            format!("Internal error occurred: {cause}"),
        )
        .with_details(json!({"causes": [{"message": cause}]}))
    }

    /// 400 BadRequest.
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(400, "BadRequest", message)
    }

    /// 422 Invalid, naming the kind and object and each failed field.
    pub(crate) fn invalid(qualified_kind: &str, name: &str, causes: Vec<Cause>) -> Self {
        let fields: Vec<String> = causes
            .iter()
            .map(|(_, field, message)| format!("{field}: {message}"))
            .collect();
        let summary = if fields.len() == 1 {
            fields[0].clone()
        } else {
            format!("[{}]", fields.join(", "))
        };
        let (group, kind) = match qualified_kind.split_once('.') {
            Some((kind, group)) => (group, kind),
            None => ("", qualified_kind),
        };
        let causes: Vec<Value> = causes
            .into_iter()
            .map(|(reason, field, message)| json!({"reason": reason, "message": message, "field": field}))
            .collect();
        let mut details = Map::new();
        if !name.is_empty() {
            details.insert("name".into(), json!(name));
        }
        if !group.is_empty() {
            details.insert("group".into(), json!(group));
        }
        details.insert("kind".into(), json!(kind));
        details.insert("causes".into(), Value::Array(causes));
        ApiError::new(
            422,
            "Invalid",
            format!("{qualified_kind} {name:?} is invalid: {summary}"),
        )
        .with_details(Value::Object(details))
    }

    /// 405 for a method the resource's endpoint does not have.
    pub(crate) fn method_not_allowed() -> Self {
        ApiError::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )
        .with_details(json!({}))
    }

    /// 406 when the Accept header names no media type the server can write.
    pub(crate) fn not_acceptable() -> Self {
        ApiError::new(
            406,
            "NotAcceptable",
            "only the following media types are accepted: application/json",
        )
    }

    /// 415 for a PATCH body type the server does not take.
    pub(crate) fn unsupported_media_type(content_type: &str) -> Self {
        ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got {content_type:?})"
            ),
        )
    }

    /// The `Status` object.
    pub(crate) fn to_status(&self) -> Value {
        let mut metadata = Map::new();
        if let Some(token) = &self.continue_token {
            metadata.insert("continue".into(), json!(token));
        }
        let mut status = Map::new();
        status.insert("kind".into(), json!("Status"));
        status.insert("apiVersion".into(), json!("v1"));
        status.insert("metadata".into(), Value::Object(metadata));
        status.insert("status".into(), json!("Failure"));
        status.insert("message".into(), json!(self.message));
        status.insert("reason".into(), json!(self.reason));
        if let Some(details) = &self.details {
            status.insert("details".into(), Value::Object(details.clone()));
        }
        status.insert("code".into(), json!(self.code));
        Value::Object(status)
    }

    fn retry_after(&self) -> Option<u64> {
        self.details
            .as_ref()?
            .get("retryAfterSeconds")?
            .as_u64()
            .filter(|s| *s > 0)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = self.to_status().to_string();
        let code = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (code, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        if let Some(seconds) = self.retry_after() {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// The answer for a path no handler serves (an unserved group version, say): Go's plain-text
/// `404 page not found`, not a `Status`.
pub(crate) fn page_not_found() -> Response {
    plain_text(StatusCode::NOT_FOUND, "404 page not found\n")
}

/// Priority-and-fairness throttling as the API server answers it: 429 with `Retry-After`, a
/// plain-text body (not a `Status`), and the flow-control headers naming the flow schema and
/// priority level (by UID) that rejected the request.
pub(crate) fn throttled(retry_after_secs: u32) -> Response {
    let mut response = plain_text(
        StatusCode::TOO_MANY_REQUESTS,
        "Too many requests, please try again later.\n",
    );
    let headers = response.headers_mut();
    headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    headers.insert(
        "X-Kubernetes-Pf-Flowschema-Uid",
        HeaderValue::from_static("5e1b6f7e-2f4a-4c43-9d5e-0c2d8f7a1b01"),
    );
    headers.insert(
        "X-Kubernetes-Pf-Prioritylevel-Uid",
        HeaderValue::from_static("9a3c4d2e-6b1f-4e8a-8c7d-1f2e3d4c5b02"),
    );
    response
}

fn plain_text(code: StatusCode, body: &'static str) -> Response {
    let mut response = (code, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    fn rt(plural: &str) -> ResourceType {
        let catalog = Catalog::built_in();
        catalog
            .types()
            .map(|(_, t)| t.clone())
            .find(|t| t.plural == plural)
            .unwrap()
    }

    #[test]
    fn forbidden_names_user_verb_group_and_scope_like_the_authorizer() {
        let status = ApiError::forbidden(
            "system:serviceaccount:kspm:agent",
            "list",
            &rt("clusterroles"),
            None,
            "",
        )
        .to_status();
        assert_eq!(
            status["message"],
            "clusterroles.rbac.authorization.k8s.io is forbidden: User \"system:serviceaccount:kspm:agent\" \
             cannot list resource \"clusterroles\" in API group \"rbac.authorization.k8s.io\" at the cluster scope"
        );
        assert_eq!(
            status["details"],
            json!({"group": "rbac.authorization.k8s.io", "kind": "clusterroles"})
        );
        let status = ApiError::forbidden("u", "get", &rt("pods"), Some("prod"), "web").to_status();
        assert_eq!(
            status["message"],
            "pods \"web\" is forbidden: User \"u\" cannot get resource \"pods\" in API group \"\" in the namespace \"prod\""
        );
    }

    #[test]
    fn not_found_status_has_the_full_wire_shape() {
        assert_eq!(
            ApiError::not_found(&rt("deployments"), "web").to_status(),
            json!({
                "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": "deployments.apps \"web\" not found", "reason": "NotFound",
                "details": {"name": "web", "group": "apps", "kind": "deployments"}, "code": 404
            })
        );
    }

    #[test]
    fn invalid_lists_each_field() {
        let status = ApiError::invalid(
            "ListOptions.meta.k8s.io",
            "",
            vec![(
                "FieldValueForbidden",
                "resourceVersionMatch".into(),
                "Forbidden: nope".into(),
            )],
        )
        .to_status();
        assert_eq!(
            status["message"],
            "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: nope"
        );
        assert_eq!(status["details"]["group"], "meta.k8s.io");
        assert_eq!(status["details"]["kind"], "ListOptions");
        assert_eq!(status["code"], 422);
    }
}
