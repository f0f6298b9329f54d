//! Requests for resources: scope checks, the verb, the faults in the order the API server's
//! filters would produce them (latency, priority-and-fairness 429, authorization 403, watch
//! cache 429, storage 500), then GET, LIST, WATCH or a write.

use std::sync::Arc;

use axum::body::to_bytes;
use axum::extract::Request;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::list::{self, ListOptions};
use crate::negotiate::{Representation, representation};
use crate::query::Query;
use crate::render::{self, Damage};
use crate::reply::typed_response;
use crate::route::ResourcePath;
use crate::state::Shared;
use crate::status::{ApiError, page_not_found, throttled};
use crate::table::IncludeObject;
use crate::watch;
use crate::write::{self, Target};

/// The largest request body the API server takes (3 MiB).
const MAX_BODY: usize = 3 * 1024 * 1024;

/// The storage failure a `ServerError` fault reports.
const STORAGE_FAILURE: &str = "etcdserver: leader changed";

pub(crate) async fn handle(shared: &Arc<Shared>, path: ResourcePath, request: Request) -> Response {
    let (resource, rt) = {
        let cluster = shared.cluster();
        if !shared.serves(&path.group, &path.version)
            || !cluster
                .catalog
                .has_group_version(&path.group, &path.version)
        {
            return page_not_found();
        }
        match cluster
            .catalog
            .find(&path.group, &path.version, &path.plural)
        {
            Some(index) => (index, cluster.catalog.get(index).clone()),
            None => return ApiError::unknown_resource().into_response(),
        }
    };
    // Subresources (status, scale, log, …) are not served; a namespaced object needs its
    // namespace in the path; a cluster-scoped type has no namespaced paths.
    let scoped_wrongly = if rt.namespaced {
        path.namespace.is_none() && path.name.is_some()
    } else {
        path.namespace.is_some()
    };
    if path.subresource.is_some() || scoped_wrongly {
        return ApiError::unknown_resource().into_response();
    }
    let namespace = path.namespace.as_deref();
    let name = path.name.as_deref();
    let query = Query::parse(request.uri().query().unwrap_or_default());
    let watching = query.flag("watch").unwrap_or(false);
    let method = request.method().clone();
    let verb = match (&method, name) {
        (&Method::GET, Some(_)) if watching => "watch",
        (&Method::GET, Some(_)) => "get",
        (&Method::GET, None) if watching => "watch",
        (&Method::GET, None) => "list",
        (&Method::POST, None) if namespace.is_some() || !rt.namespaced => "create",
        (&Method::PUT, Some(_)) => "update",
        (&Method::PATCH, Some(_)) => "patch",
        (&Method::DELETE, Some(_)) => "delete",
        _ => return ApiError::method_not_allowed().into_response(),
    };

    let delay = shared.faults().delay(&rt);
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let throttle = shared.faults().take_throttle(&rt);
    if let Some(retry_after) = throttle {
        return throttled(retry_after);
    }
    if shared.faults().forbids(&rt, verb) {
        return ApiError::forbidden(
            &shared.config.user,
            verb,
            &rt,
            namespace,
            name.unwrap_or_default(),
        )
        .into_response();
    }
    if matches!(verb, "get" | "list" | "watch")
        && let Some(retry_after) = shared.faults().take_storage_initializing(&rt)
    {
        return ApiError::too_many_requests("storage is (re)initializing", retry_after)
            .into_response();
    }
    if shared.faults().take_server_error(&rt) {
        return ApiError::internal(STORAGE_FAILURE).into_response();
    }

    let accept = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    match verb {
        "get" | "list" | "watch" => {
            let Some(representation) = representation(accept.as_deref(), verb == "list") else {
                return ApiError::not_acceptable().into_response();
            };
            match verb {
                "get" => get(
                    shared,
                    resource,
                    &rt,
                    namespace,
                    name.unwrap_or_default(),
                    &query,
                    representation,
                ),
                _ => {
                    let options = match ListOptions::parse(&query, &rt, name) {
                        Ok(options) => options,
                        Err(error) => return error.into_response(),
                    };
                    if options.watch {
                        watch::serve(
                            shared,
                            resource,
                            rt,
                            namespace.map(str::to_string),
                            options,
                            representation,
                        )
                    } else {
                        list::serve(shared, resource, &rt, namespace, &options, representation)
                    }
                }
            }
        }
        _ => {
            let content_type = request
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("application/json")
                .to_string();
            let body = match to_bytes(request.into_body(), MAX_BODY).await {
                Ok(body) => body,
                Err(_) => {
                    return ApiError::bad_request(
                        "the request body is larger than 3 MiB or could not be read",
                    )
                    .into_response();
                }
            };
            let target = Target {
                resource,
                rt: &rt,
                namespace,
                name,
            };
            match verb {
                "create" => write::create(shared, &target, &body),
                "update" => write::update(shared, &target, &body),
                "patch" => write::patch(shared, &target, &content_type, &query, &body),
                _ => write::delete(shared, &target, &body),
            }
        }
    }
}

/// GET of one object: the object (with `kind` and `apiVersion`), or 404 NotFound.
fn get(
    shared: &Shared,
    resource: usize,
    rt: &crate::catalog::ResourceType,
    namespace: Option<&str>,
    name: &str,
    query: &Query,
    representation: Representation,
) -> Response {
    let include = match IncludeObject::parse(query.get("includeObject")) {
        Ok(include) => include,
        Err(message) => return ApiError::bad_request(message).into_response(),
    };
    let key = (namespace.unwrap_or_default().to_string(), name.to_string());
    let object = shared.cluster().store.get(resource, &key);
    let Some(object) = object else {
        return ApiError::not_found(rt, name).into_response();
    };
    let damage = Damage {
        malformed: shared.faults().malformed(rt),
    };
    let body = render::single(rt, &object, representation, include, true, &damage);
    typed_response(
        StatusCode::OK,
        body.to_string(),
        &render::content_type(representation, false),
    )
}
