//! The HTTP front: authentication, the request log, and dispatch by path to discovery, the
//! non-resource endpoints and the resource handlers.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::discovery;
use crate::negotiate::{DiscoveryFormat, discovery_format};
use crate::reply::{json_response, typed_response};
use crate::requests::RecordedRequest;
use crate::resource;
use crate::route::{self, Route};
use crate::state::Shared;
use crate::status::{ApiError, page_not_found};

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(dispatch).with_state(shared)
}

async fn dispatch(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let mut record = RecordedRequest {
        method: request.method().to_string(),
        path: request.uri().path().to_string(),
        query: request.uri().query().unwrap_or_default().to_string(),
        accept: header_text(request.headers(), header::ACCEPT),
        user_agent: header_text(request.headers(), header::USER_AGENT),
        status: 0,
    };
    let mut response = if authenticated(&shared, request.headers()) {
        handle(&shared, request).await
    } else {
        ApiError::unauthorized().into_response()
    };
    let headers = response.headers_mut();
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache, private"),
        );
    }
    if let Ok(audit) = HeaderValue::from_str(&audit_id(&record)) {
        headers.insert("Audit-Id", audit);
    }
    record.status = response.status().as_u16();
    shared.requests().push(record);
    response
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn authenticated(shared: &Shared, headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some((scheme, token)) = value.split_once(' ') else {
        return false;
    };
    scheme.eq_ignore_ascii_case("bearer") && token.trim() == shared.config.token
}

/// A request id in the shape of the API server's `Audit-Id` (a UUID).
fn audit_id(record: &RecordedRequest) -> String {
    let seed = format!(
        "{} {}?{} {:?}",
        record.method,
        record.path,
        record.query,
        std::time::SystemTime::now()
    );
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, seed.as_bytes()).to_string()
}

async fn handle(shared: &Arc<Shared>, request: Request) -> Response {
    let route = route::parse(request.uri().path());
    if let Route::Resource(path) = route {
        return resource::handle(shared, path, request).await;
    }
    if route == Route::Unknown {
        return page_not_found();
    }
    if request.method() != Method::GET {
        return ApiError::method_not_allowed().into_response();
    }
    let accept = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    let if_none_match = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    let served = |g: &str, v: &str| shared.serves(g, v);
    match route {
        Route::Version => json_response(StatusCode::OK, &version_document(&shared.config.version)),
        Route::Health => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "ok",
        )
            .into_response(),
        Route::CoreVersions | Route::Groups => {
            let core = route == Route::CoreVersions;
            match discovery_format(accept, shared.config.aggregated_discovery) {
                None => ApiError::not_acceptable().into_response(),
                Some(DiscoveryFormat::Aggregated(version)) => {
                    let document = {
                        let cluster = shared.cluster();
                        discovery::aggregated(&cluster.catalog, core, version, served)
                    };
                    aggregated_response(&document, version, if_none_match)
                }
                Some(DiscoveryFormat::Legacy) if core => {
                    if !served("", "v1") {
                        return page_not_found();
                    }
                    json_response(
                        StatusCode::OK,
                        &discovery::api_versions(&shared.config.address.to_string()),
                    )
                }
                Some(DiscoveryFormat::Legacy) => {
                    let cluster = shared.cluster();
                    json_response(
                        StatusCode::OK,
                        &discovery::api_group_list(&cluster.catalog, served),
                    )
                }
            }
        }
        Route::Group(group) => {
            let document = {
                let cluster = shared.cluster();
                discovery::api_group_document(&cluster.catalog, &group, served)
            };
            match document {
                Some(document) => json_response(StatusCode::OK, &document),
                None => page_not_found(),
            }
        }
        Route::ResourceList(group, version) => {
            let cluster = shared.cluster();
            if !served(&group, &version) || !cluster.catalog.has_group_version(&group, &version) {
                return page_not_found();
            }
            json_response(
                StatusCode::OK,
                &discovery::resource_list(&cluster.catalog, &group, &version),
            )
        }
        Route::Resource(_) | Route::Unknown => page_not_found(),
    }
}

/// `GET /version` for a server version such as `v1.34.2` or `v1.34.2-eks-113cf36`.
fn version_document(git_version: &str) -> Value {
    let numbers = git_version.trim_start_matches('v');
    let mut parts = numbers.split(['.', '-', '+']);
    let major = parts.next().unwrap_or("1");
    let minor = parts.next().unwrap_or("0");
    // Managed distributions mark a patched minor with `+` (EKS: `"minor": "34+"`).
    let minor = if git_version.contains("-eks-") || git_version.contains("-gke.") {
        format!("{minor}+")
    } else {
        minor.to_string()
    };
    json!({
        "major": major,
        "minor": minor,
        "gitVersion": git_version,
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2025-01-01T00:00:00Z",
        "goVersion": "go1.24.0",
        "compiler": "gc",
        "platform": "linux/amd64"
    })
}

/// Aggregated discovery with the headers the real server sends: the negotiated media type,
/// an `ETag` of the document, `Vary: Accept`, and 304 when the client already has it.
fn aggregated_response(document: &Value, version: &str, if_none_match: Option<&str>) -> Response {
    let body = document.to_string();
    let mut hasher = DefaultHasher::new();
    body.hash(&mut hasher);
    let etag = format!("\"{:016X}\"", hasher.finish());
    let content_type =
        format!("application/json;g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList");
    let mut response = if if_none_match == Some(etag.as_str()) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        typed_response(StatusCode::OK, body, &content_type)
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(header::VARY, HeaderValue::from_static("Accept"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_document_splits_major_and_minor() {
        let doc = version_document("v1.34.2");
        assert_eq!(
            (doc["major"].as_str(), doc["minor"].as_str()),
            (Some("1"), Some("34"))
        );
        let eks = version_document("v1.31.4-eks-2d5f260");
        assert_eq!(eks["minor"], "31+");
        assert_eq!(eks["gitVersion"], "v1.31.4-eks-2d5f260");
    }
}
