//! Requests to the API server, tried again when the failure may pass, and the paged listing of
//! one kind.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt as _;
use kspm_model::{ApiLocation, ClusterInfo, Gap, Origin, RawJson, Resource, ResourceType};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::ResourceKind;
use crate::source::Batch;
use crate::{Diagnostic, Severity};

/// Why a request did not give an answer kspm could use.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The server answered with an error status.
    #[error("{code} {reason}: {message}")]
    Status {
        /// HTTP status.
        code: u16,
        /// Kubernetes' reason (`Forbidden`, `NotFound`, `Expired`, …).
        reason: String,
        /// The server's message.
        message: String,
        /// For an expired continue token: the token the server offers to go on anyway,
        /// reading the rest at its current version.
        inconsistent_continue: Option<String>,
    },
    /// No answer (refused, reset, timed out) or a body cut short.
    #[error("no usable answer: {0}")]
    Transport(#[source] kube::Error),
    /// The body is not the JSON document expected (cut short, say).
    #[error("the answer is not valid JSON: {0}")]
    Body(#[source] serde_json::Error),
}

impl RequestError {
    fn code(&self) -> Option<u16> {
        match self {
            RequestError::Status { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// A client that tries again what may pass.
#[derive(Clone)]
pub(crate) struct Requester {
    client: kube::Client,
    attempts: u32,
    first_wait: Duration,
}

/// The outcome of one attempt.
enum Attempt {
    Done(Bytes),
    Retry(RequestError, Option<Duration>),
    Fail(RequestError),
}

impl Requester {
    pub fn new(client: kube::Client, attempts: u32, first_wait: Duration) -> Requester {
        Requester {
            client,
            attempts: attempts.max(1),
            first_wait,
        }
    }

    /// GETs `path` (with its query) and parses the JSON answer.
    pub async fn get_json(&self, path: &str) -> Result<Value, RequestError> {
        let bytes = self.get(path).await?;
        serde_json::from_slice(&bytes).map_err(RequestError::Body)
    }

    /// GETs `path`, trying again on 429 (after `Retry-After`), 5xx and no answer.
    pub async fn get(&self, path: &str) -> Result<Bytes, RequestError> {
        self.get_checked(path, |_| Ok(())).await
    }

    /// Like [`Requester::get`], with `check` deciding whether a 200 body is usable (a page cut
    /// short is tried again).
    pub async fn get_checked(
        &self,
        path: &str,
        check: impl Fn(&Bytes) -> Result<(), serde_json::Error>,
    ) -> Result<Bytes, RequestError> {
        let mut failures = 0u32;
        loop {
            let (error, after) = match self.attempt(path).await {
                Attempt::Done(bytes) => match check(&bytes) {
                    Ok(()) => return Ok(bytes),
                    Err(e) => (RequestError::Body(e), None),
                },
                Attempt::Retry(error, after) => (error, after),
                Attempt::Fail(error) => return Err(error),
            };
            failures += 1;
            if failures >= self.attempts {
                return Err(error);
            }
            let wait = after.unwrap_or_else(|| {
                self.first_wait
                    .saturating_mul(2u32.saturating_pow(failures - 1))
                    .min(Duration::from_secs(30))
            });
            tokio::time::sleep(wait.min(Duration::from_secs(30))).await;
        }
    }

    async fn attempt(&self, path: &str) -> Attempt {
        let request = match http::Request::get(path)
            .header(http::header::ACCEPT, "application/json")
            .body(kube::client::Body::empty())
        {
            Ok(r) => r,
            Err(e) => return Attempt::Fail(RequestError::Transport(kube::Error::HttpError(e))),
        };
        let response = match self.client.send(request).await {
            Ok(r) => r,
            Err(e) => return Attempt::Retry(RequestError::Transport(e), None),
        };
        let status = response.status().as_u16();
        let after = response
            .headers()
            .get(http::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = match response.into_body().collect().await {
            Ok(b) => b.to_bytes(),
            Err(e) => return Attempt::Retry(RequestError::Transport(e), None),
        };
        if (200..300).contains(&status) {
            return Attempt::Done(body);
        }
        let error = status_error(status, &body);
        if status == 429 || status >= 500 {
            Attempt::Retry(error, after)
        } else {
            Attempt::Fail(error)
        }
    }
}

/// The server's `Status` object as an error (or the body's start when it is not one).
fn status_error(code: u16, body: &[u8]) -> RequestError {
    #[derive(Deserialize, Default)]
    struct Status {
        #[serde(default)]
        reason: String,
        #[serde(default)]
        message: String,
        #[serde(default)]
        metadata: PageMetadata,
    }
    let status: Status = serde_json::from_slice(body).unwrap_or_default();
    let message = if status.message.is_empty() {
        String::from_utf8_lossy(&body[..body.len().min(300)])
            .trim()
            .to_owned()
    } else {
        status.message
    };
    RequestError::Status {
        code,
        reason: status.reason,
        message,
        inconsistent_continue: status.metadata.next.filter(|t| !t.is_empty()),
    }
}

/// One page of a list.
#[derive(Deserialize)]
struct Page<'a> {
    #[serde(default)]
    metadata: PageMetadata,
    #[serde(borrow, default)]
    items: Vec<&'a RawValue>,
}

#[derive(Deserialize, Default)]
struct PageMetadata {
    #[serde(rename = "continue", default)]
    next: Option<String>,
}

/// How often a listing starts again after its continue token expired, before it goes on with
/// the server's inconsistent token instead.
const MAX_RESTARTS: u32 = 2;

/// Every object of `resource` (in `namespace` when given), as one batch.
pub(crate) async fn list_kind(
    requester: &Requester,
    resource: &ResourceKind,
    namespace: Option<&str>,
    page_size: u32,
    cluster: &ClusterInfo,
    server: &str,
) -> Batch {
    let mut restarts = 0;
    'listing: loop {
        let mut batch = Batch::default();
        let mut next: Option<String> = None;
        loop {
            let mut path = format!("{}?limit={page_size}", resource.path(namespace));
            if let Some(token) = &next {
                path.push_str("&continue=");
                path.push_str(
                    &form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>(),
                );
            }
            let page = requester
                .get_checked(&path, |b| serde_json::from_slice::<Page<'_>>(b).map(|_| ()))
                .await;
            let bytes = match page {
                Ok(bytes) => bytes,
                Err(e) if e.code() == Some(410) && next.is_some() && restarts < MAX_RESTARTS => {
                    // The continue token expired (the server compacted its history): the pages
                    // read so far may be inconsistent with the next ones, so start again.
                    restarts += 1;
                    continue 'listing;
                }
                Err(RequestError::Status {
                    code: 410,
                    inconsistent_continue: Some(token),
                    ..
                }) if next.is_some() => {
                    // Expired again and again (a busy cluster compacting often): go on with
                    // the token the server offers, reading the rest at its current version,
                    // and say so.
                    batch.diagnostics.push(Diagnostic {
                        severity: Severity::Note,
                        file: server.to_owned(),
                        document: None,
                        line: None,
                        message: format!(
                            "list {}: the continue token expired {restarts} times; the rest was read at a later version",
                            resource.qualified()
                        ),
                    });
                    next = Some(token);
                    continue;
                }
                Err(e) => return failed(resource, namespace, e, server),
            };
            let Ok(page) = serde_json::from_slice::<Page<'_>>(&bytes) else {
                // Checked by `get_checked`.
                return batch;
            };
            for raw in page.items {
                accept(raw, resource, cluster, server, &mut batch);
            }
            match page.metadata.next.filter(|t| !t.is_empty()) {
                Some(token) => next = Some(token),
                None => return batch,
            }
        }
    }
}

/// One listed object: given back its kind and apiVersion (list items leave them out),
/// checked against the kind's schema, reduced, and made a resource.
fn accept(
    raw: &RawValue,
    resource: &ResourceKind,
    cluster: &ClusterInfo,
    server: &str,
    batch: &mut Batch,
) {
    let mut object: Value = match serde_json::from_str(raw.get()) {
        Ok(v) => v,
        Err(e) => {
            batch.diagnostics.push(error_at(
                server,
                format!(
                    "a {} listed by the API is not valid JSON: {e}",
                    resource.kind
                ),
            ));
            return;
        }
    };
    let Some(map) = object.as_object_mut() else {
        return;
    };
    map.insert("kind".into(), Value::String(resource.kind.clone()));
    map.insert("apiVersion".into(), Value::String(resource.api_version()));
    let name = display_name(&object);
    if let Err(e) = super::shape::check(&resource.kind, &object) {
        batch.diagnostics.push(error_at(
            server,
            format!(
                "{} {} {name} has an unexpected shape ({e}); it was not evaluated",
                resource.api_version(),
                resource.kind
            ),
        ));
        batch.gaps.push(Gap::unreadable(
            ResourceType::K8sObject,
            &resource.kind,
            format!(
                "{} {name} came from the API in an unexpected shape ({e})",
                resource.kind
            ),
        ));
        return;
    }
    let resource_version = object
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    crate::sanitize::sanitize(&mut object);
    if resource.kind != "CertificateSigningRequest"
        && let Some(map) = object.as_object_mut()
    {
        // No rule reads the status of other kinds; it is most of a pod's size.
        map.remove("status");
    }
    let identity = kspm_model::k8s_identity(&object);
    let raw = std::sync::Arc::new(RawJson::new(&object));
    drop(object);
    let mut r = Resource::k8s_compact(identity, raw, cluster.clone());
    r.origin = Some(Origin::Api(ApiLocation {
        api_server: server.to_owned(),
        resource_version,
    }));
    batch.resources.push(r);
}

fn display_name(object: &Value) -> String {
    let field = |k: &str| {
        object
            .pointer(&format!("/metadata/{k}"))
            .and_then(Value::as_str)
    };
    match (field("namespace"), field("name")) {
        (Some(ns), Some(name)) => format!("{ns}/{name}"),
        (None, Some(name)) => name.to_owned(),
        _ => "(unnamed)".to_owned(),
    }
}

/// A listing that failed for good: refused or otherwise unreadable is an `error` gap; not
/// served is a `not_applicable` one.
fn failed(
    resource: &ResourceKind,
    namespace: Option<&str>,
    e: RequestError,
    server: &str,
) -> Batch {
    let scope = namespace
        .map(|ns| format!(" in namespace {ns}"))
        .unwrap_or_default();
    let what = format!("list {}{scope}", resource.qualified());
    let mut batch = Batch::default();
    let gap = match e.code() {
        Some(404) => Gap::absent(
            ResourceType::K8sObject,
            &resource.kind,
            format!("{what}: the server does not serve it ({e})"),
        ),
        _ => {
            batch
                .diagnostics
                .push(error_at(server, format!("{what} failed: {e}")));
            Gap::unreadable(
                ResourceType::K8sObject,
                &resource.kind,
                format!("{what}: {e}"),
            )
        }
    };
    batch.gaps.push(gap);
    batch
}

fn error_at(server: &str, message: String) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        file: server.to_owned(),
        document: None,
        line: None,
        message,
    }
}
