//! Routing: every request goes through one handler that authenticates, applies faults, then
//! dispatches on method and path as Elasticsearch's REST layer does.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use crate::auth::{Principal, authenticate, unauthorized};
use crate::fault::RequestFault;
use crate::shared::{RecordedRequest, Shared};
use crate::state::EsError;

/// Largest request body (Elasticsearch's `http.max_content_length` default).
const MAX_BODY: usize = 100 * 1024 * 1024;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let query = request.uri().query().unwrap_or("").to_string();
    let auth = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let slow = shared.faults().take_slow();
    if let Some(delay) = slow {
        tokio::time::sleep(delay).await;
    }
    let body = match axum::body::to_bytes(request.into_body(), MAX_BODY).await {
        Ok(body) => body,
        Err(e)
            if format!("{e:?}")
                .to_ascii_lowercase()
                .contains("length limit") =>
        {
            let error = EsError::new(
                413,
                "content_too_long_exception",
                "request body is too large",
            );
            return finish(&shared, &method, &path, error_response(&shared, &error));
        }
        // The connection broke while the body was read (a cut connection): the client must
        // get no answer, so answer with a body that fails, which makes hyper abort.
        Err(_) => {
            let failing = futures_util::stream::once(async {
                Err::<axum::body::Bytes, std::io::Error>(std::io::Error::other("connection cut"))
            });
            let mut response = Response::new(Body::from_stream(failing));
            *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            shared.record(RecordedRequest {
                method: method.to_string(),
                path,
                status: 0,
            });
            return response;
        }
    };
    let response = match dispatch(
        &shared,
        &method,
        &path,
        &query,
        auth.as_deref(),
        content_type.as_deref(),
        &body,
    ) {
        Ok(response) => response,
        Err(error) => error_response(&shared, &error),
    };
    finish(&shared, &method, &path, response)
}

fn finish(shared: &Shared, method: &Method, path: &str, response: Response) -> Response {
    shared.record(RecordedRequest {
        method: method.to_string(),
        path: path.to_string(),
        status: response.status().as_u16(),
    });
    response
}

fn json_response(shared: &Shared, status: u16, body: &Value) -> Response {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if shared.config.product_header {
        headers.insert(
            "x-elastic-product",
            HeaderValue::from_static("Elasticsearch"),
        );
    }
    response
}

fn error_response(shared: &Shared, error: &EsError) -> Response {
    let mut response = json_response(shared, error.status, &error.body());
    if error.status == 401 {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"security\", charset=\"UTF-8\", ApiKey"),
        );
    }
    response
}

fn no_handler(method: &Method, path: &str) -> EsError {
    EsError::new(
        400,
        "illegal_argument_exception",
        format!("no handler found for uri [{path}] and method [{method}]"),
    )
}

fn parse_body(body: &[u8]) -> Result<Value, EsError> {
    if body.is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_slice(body).map_err(|e| {
        EsError::new(
            400,
            "x_content_parse_exception",
            format!("[1:1] failed to parse the request body: {e}"),
        )
    })
}

fn require_cluster(principal: &Principal, privilege: &str, action: &str) -> Result<(), EsError> {
    if principal.privileges.cluster_allows(privilege) {
        Ok(())
    } else {
        Err(unauthorized(
            principal,
            action,
            &format!("{privilege},manage,all"),
            None,
        ))
    }
}

#[allow(clippy::too_many_arguments)]
fn dispatch(
    shared: &Shared,
    method: &Method,
    path: &str,
    query: &str,
    auth: Option<&str>,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Response, EsError> {
    let principal = authenticate(&shared.config.principals, auth, path)?;
    let segments: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let ok = |body: Value| Ok(json_response(shared, 200, &body));
    match (method.clone(), segments.as_slice()) {
        (Method::GET | Method::HEAD, []) => {
            require_cluster(principal, "monitor", "cluster:monitor/main")?;
            ok(info(shared))
        }
        (Method::GET, ["_security", "_authenticate"]) if !shared.config.opensearch() => {
            ok(json!({"username": principal.name, "roles": ["kspm_writer"], "enabled": true}))
        }
        (Method::GET | Method::POST, ["_security", "user", "_has_privileges"])
        | (Method::GET | Method::POST, ["_security", "user", _, "_has_privileges"])
        | (Method::GET | Method::POST, ["_security", "_has_privileges"])
            if !shared.config.opensearch() =>
        {
            ok(has_privileges(principal, &parse_body(body)?))
        }
        (Method::GET, ["_cluster", "health"]) => {
            require_cluster(principal, "monitor", "cluster:monitor/health")?;
            ok(json!({"cluster_name": "kspm-es-fake", "status": "green", "number_of_nodes": 1}))
        }
        (Method::PUT | Method::POST, ["_index_template", name]) => {
            require_cluster(
                principal,
                "manage_index_templates",
                "indices:admin/index_template/put",
            )?;
            let template = parse_body(body)?;
            shared.cluster().put_template(name, template)?;
            ok(json!({"acknowledged": true}))
        }
        (Method::GET, ["_index_template", name]) => {
            require_cluster(
                principal,
                "manage_index_templates",
                "indices:admin/index_template/get",
            )?;
            let cluster = shared.cluster();
            let found: Vec<Value> = cluster
                .templates
                .iter()
                .filter(|(n, _)| crate::state::matches(name, n))
                .map(|(n, t)| json!({"name": n, "index_template": t.body}))
                .collect();
            if found.is_empty() {
                return Err(EsError::new(
                    404,
                    "resource_not_found_exception",
                    format!("index template matching [{name}] not found"),
                ));
            }
            ok(json!({"index_templates": found}))
        }
        (Method::DELETE, ["_index_template", name]) => {
            require_cluster(
                principal,
                "manage_index_templates",
                "indices:admin/index_template/delete",
            )?;
            match shared.cluster().templates.remove(*name) {
                Some(_) => ok(json!({"acknowledged": true})),
                None => Err(EsError::new(
                    404,
                    "resource_not_found_exception",
                    format!("index_template [{name}] missing"),
                )),
            }
        }
        (Method::GET, ["_data_stream", name]) => {
            let cluster = shared.cluster();
            let found: Vec<Value> = cluster
                .data_streams
                .keys()
                .filter(|n| crate::state::matches(name, n))
                .filter_map(|n| cluster.describe_data_stream(n))
                .collect();
            if found.is_empty() && !name.contains('*') {
                return Err(EsError::index_not_found(name));
            }
            ok(json!({"data_streams": found}))
        }
        (Method::PUT, ["_data_stream", name]) => {
            if !principal.privileges.index_allows(name, "create_index") {
                return Err(unauthorized(
                    principal,
                    "indices:admin/data_stream/create",
                    "create_index,manage,all",
                    Some(name),
                ));
            }
            shared.cluster().create_data_stream(name)?;
            ok(json!({"acknowledged": true}))
        }
        (Method::DELETE, ["_data_stream", name]) => {
            let mut cluster = shared.cluster();
            let Some(ds) = cluster.data_streams.remove(*name) else {
                return Err(EsError::index_not_found(name));
            };
            cluster.indices.remove(&ds.backing);
            ok(json!({"acknowledged": true}))
        }
        (Method::POST | Method::PUT, ["_bulk"]) => {
            bulk(shared, principal, None, content_type, body)
        }
        (Method::POST | Method::PUT, [index, "_bulk"]) => {
            bulk(shared, principal, Some(index), content_type, body)
        }
        (Method::GET, [index, "_doc", id]) => {
            read_allowed(principal, index)?;
            let cluster = shared.cluster();
            for concrete in cluster.read_indices(index)? {
                if let Some(doc) = cluster.indices.get(&concrete).and_then(|i| i.docs.get(*id)) {
                    return ok(
                        json!({"_index": concrete, "_id": id, "_version": doc.version,
                        "_seq_no": doc.seq_no, "_primary_term": 1, "found": true, "_source": doc.source}),
                    );
                }
            }
            Ok(json_response(
                shared,
                404,
                &json!({"_index": index, "_id": id, "found": false}),
            ))
        }
        (Method::GET | Method::POST, [index, "_count"]) => {
            read_allowed(principal, index)?;
            let docs = search(shared, index, &parse_body(body)?)?;
            ok(
                json!({"count": docs.len(), "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0}}),
            )
        }
        (Method::GET | Method::POST, [index, "_search"]) => {
            read_allowed(principal, index)?;
            let request = parse_body(body)?;
            let docs = search(shared, index, &request)?;
            let size = request["size"]
                .as_u64()
                .or_else(|| query_param(query, "size").and_then(|s| s.parse().ok()))
                .unwrap_or(10) as usize;
            let hits: Vec<Value> = docs
                .iter()
                .take(size)
                .map(|(index, id, source)| json!({"_index": index, "_id": id, "_score": 1.0, "_source": source}))
                .collect();
            ok(json!({"took": 1, "timed_out": false,
                "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
                "hits": {"total": {"value": docs.len(), "relation": "eq"}, "max_score": 1.0, "hits": hits}}))
        }
        (Method::POST | Method::GET, [_, "_refresh"]) => {
            ok(json!({"_shards": {"total": 1, "successful": 1, "failed": 0}}))
        }
        (Method::PUT, [index]) if !index.starts_with('_') => {
            if !principal.privileges.index_allows(index, "create_index") {
                return Err(unauthorized(
                    principal,
                    "indices:admin/create",
                    "create_index,manage,all",
                    Some(index),
                ));
            }
            let request = parse_body(body)?;
            let mappings = request.get("mappings").cloned();
            shared.cluster().create_index(index, mappings)?;
            ok(json!({"acknowledged": true, "shards_acknowledged": true, "index": index}))
        }
        (Method::GET | Method::HEAD, [index]) if !index.starts_with('_') => {
            let cluster = shared.cluster();
            let concrete = cluster.read_indices(index)?;
            let mut out = serde_json::Map::new();
            for name in concrete {
                if let Some(i) = cluster.indices.get(&name) {
                    out.insert(name, json!({"mappings": i.mappings}));
                }
            }
            ok(Value::Object(out))
        }
        (Method::DELETE, [index]) if !index.starts_with('_') => {
            let mut cluster = shared.cluster();
            if cluster.data_streams.contains_key(*index) {
                return Err(EsError::new(
                    400,
                    "illegal_argument_exception",
                    format!(
                        "index [{index}] is the write index for data stream [{index}] and cannot be deleted"
                    ),
                ));
            }
            match cluster.indices.remove(*index) {
                Some(_) => ok(json!({"acknowledged": true})),
                None => Err(EsError::index_not_found(index)),
            }
        }
        _ => Err(no_handler(method, path)),
    }
}

fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| v.to_string())
    })
}

fn read_allowed(principal: &Principal, index: &str) -> Result<(), EsError> {
    if principal.privileges.index_allows(index, "read") {
        Ok(())
    } else {
        Err(unauthorized(
            principal,
            "indices:data/read/search",
            "read,all",
            Some(index),
        ))
    }
}

fn info(shared: &Shared) -> Value {
    let config = &shared.config;
    let mut version = json!({
        "number": config.version,
        "build_flavor": "default",
        "build_type": "docker",
        "build_hash": "0000000000000000000000000000000000000000",
        "build_date": "2024-08-05T10:05:34.233336849Z",
        "build_snapshot": false,
        "lucene_version": "9.11.1",
        "minimum_wire_compatibility_version": "7.17.0",
        "minimum_index_compatibility_version": "7.0.0",
    });
    let tagline = match config.distribution.as_deref() {
        Some("opensearch") => "The OpenSearch Project: https://opensearch.org/",
        Some(_) => "Not an Elasticsearch node",
        None => "You Know, for Search",
    };
    if let Some(distribution) = &config.distribution {
        version["distribution"] = json!(distribution);
        if let Some(object) = version.as_object_mut() {
            object.remove("build_flavor");
        }
    }
    json!({
        "name": "es-fake-0",
        "cluster_name": "kspm-es-fake",
        "cluster_uuid": "kspm-es-fake-cluster-uuid",
        "version": version,
        "tagline": tagline,
    })
}

/// `_has_privileges`: each privilege asked, held or not.
fn has_privileges(principal: &Principal, request: &Value) -> Value {
    let mut all = true;
    let mut cluster = serde_json::Map::new();
    for privilege in request["cluster"].as_array().into_iter().flatten() {
        let name = privilege.as_str().unwrap_or_default();
        let held = principal.privileges.cluster_allows(name);
        all &= held;
        cluster.insert(name.to_string(), json!(held));
    }
    let mut index = serde_json::Map::new();
    for entry in request["index"].as_array().into_iter().flatten() {
        let names: Vec<&str> = match &entry["names"] {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        for name in names {
            let mut held_here = serde_json::Map::new();
            for privilege in entry["privileges"].as_array().into_iter().flatten() {
                let p = privilege.as_str().unwrap_or_default();
                let held = principal.privileges.index_allows(name, p);
                all &= held;
                held_here.insert(p.to_string(), json!(held));
            }
            index.insert(name.to_string(), Value::Object(held_here));
        }
    }
    json!({
        "username": principal.name,
        "has_all_requested": all,
        "cluster": cluster,
        "index": index,
        "application": {},
    })
}

/// Documents of `index` matching the request's query: `match_all` (or none), `term` or
/// `ids` on `_id`, `term` on a top-level or dotted keyword field.
fn search(
    shared: &Shared,
    index: &str,
    request: &Value,
) -> Result<Vec<(String, String, Value)>, EsError> {
    let docs = shared.cluster().documents(index)?;
    let query = &request["query"];
    if query.is_null() || query.get("match_all").is_some() {
        return Ok(docs);
    }
    if let Some(ids) = query["ids"]["values"].as_array() {
        let ids: Vec<&str> = ids.iter().filter_map(Value::as_str).collect();
        return Ok(docs
            .into_iter()
            .filter(|(_, id, _)| ids.contains(&id.as_str()))
            .collect());
    }
    if let Some(term) = query["term"].as_object()
        && let Some((field, value)) = term.iter().next()
    {
        let wanted = value.get("value").unwrap_or(value).clone();
        return Ok(docs
            .into_iter()
            .filter(|(_, id, source)| {
                if field == "_id" {
                    wanted.as_str() == Some(id)
                } else {
                    lookup(source, field) == Some(&wanted)
                }
            })
            .collect());
    }
    Err(EsError::new(
        400,
        "parsing_exception",
        format!("the fake supports match_all, ids and term queries, not {query}"),
    ))
}

fn lookup<'a>(source: &'a Value, field: &str) -> Option<&'a Value> {
    if let Some(v) = source.get(field) {
        return Some(v);
    }
    let (head, rest) = field.split_once('.')?;
    lookup(source.get(head)?, rest)
}

fn bulk(
    shared: &Shared,
    principal: &Principal,
    index: Option<&str>,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Response, EsError> {
    let accepted = content_type.is_some_and(|ct| {
        let ct = ct.split(';').next().unwrap_or("").trim();
        ct == "application/json"
            || ct == "application/x-ndjson"
            || ct.starts_with("application/vnd.elasticsearch+")
    });
    if !accepted {
        return Err(EsError::new(
            406,
            "media_type_header_exception",
            format!(
                "Content-Type header [{}] is not supported",
                content_type.unwrap_or("")
            ),
        ));
    }
    if shared
        .config
        .max_content_length
        .is_some_and(|max| body.len() > max)
    {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
        return Ok(response);
    }
    let fault = shared.faults().take_bulk();
    match fault {
        Some(RequestFault::TooMany(after)) => {
            let error = EsError::new(
                429,
                "es_rejected_execution_exception",
                "rejected execution of coordinating operation [coordinating_and_primary_bytes=104857600, replica_bytes=0, all_bytes=104857600, coordinating_operation_bytes=4096, max_coordinating_and_primary_bytes=104857600]",
            );
            let mut response = error_response(shared, &error);
            if let Ok(value) = HeaderValue::from_str(&after.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return Ok(response);
        }
        Some(RequestFault::Status(status @ (502 | 504))) => {
            let mut response = Response::new(Body::from(format!(
                "<html><body><h1>{status} Gateway error</h1></body></html>"
            )));
            *response.status_mut() =
                StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
            return Ok(response);
        }
        Some(RequestFault::Status(503)) => {
            return Err(EsError::new(
                503,
                "master_not_discovered_exception",
                "no master node discovered",
            ));
        }
        Some(RequestFault::Status(status)) => {
            return Err(EsError::new(
                status,
                "exception",
                "an injected internal failure",
            ));
        }
        None => {}
    }
    let answer = crate::bulk::execute(shared, principal, index, body)?;
    Ok(json_response(shared, 200, &answer))
}
