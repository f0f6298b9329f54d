//! Writes: create (POST), replace (PUT) with optimistic concurrency, patch (PATCH: merge,
//! strategic merge, JSON patch, server-side apply) and delete (DELETE with preconditions).
//! Every kind can be written; nothing is validated or defaulted beyond what the API
//! machinery itself checks (names, namespaces, resource versions, uids).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::catalog::ResourceType;
use crate::patch;
use crate::query::Query;
use crate::reply::json_response;
use crate::state::{Shared, fill_new, keep_server_fields};
use crate::status::ApiError;
use crate::store::ObjectKey;

/// What the write addresses.
pub(crate) struct Target<'a> {
    pub(crate) resource: usize,
    pub(crate) rt: &'a ResourceType,
    /// The namespace in the URL (`None` for cluster-scoped types).
    pub(crate) namespace: Option<&'a str>,
    /// The object name in the URL (`None` for a create).
    pub(crate) name: Option<&'a str>,
}

impl Target<'_> {
    fn key(&self, name: &str) -> ObjectKey {
        (
            self.namespace.unwrap_or_default().to_string(),
            name.to_string(),
        )
    }

    /// Checks `apiVersion`, `kind`, namespace and name of a request body against the URL and
    /// fills what the body leaves out.
    fn place(&self, object: &mut Value) -> Result<(), ApiError> {
        if !object.is_object() {
            return Err(ApiError::bad_request(format!(
                "the object provided is unrecognized (must be of type {})",
                self.rt.kind
            )));
        }
        let expected_version = self.rt.api_version();
        match object["apiVersion"].as_str() {
            Some(v) if !v.is_empty() && v != expected_version => {
                return Err(ApiError::bad_request(format!(
                    "the API version in the data ({v}) does not match the expected API version ({expected_version})"
                )));
            }
            _ => object["apiVersion"] = json!(expected_version),
        }
        match object["kind"].as_str() {
            Some(k) if !k.is_empty() && k != self.rt.kind => {
                return Err(ApiError::bad_request(format!(
                    "the kind in the data ({k}) does not match the expected kind ({})",
                    self.rt.kind
                )));
            }
            _ => object["kind"] = json!(self.rt.kind),
        }
        if !object["metadata"].is_object() {
            object["metadata"] = json!({});
        }
        let metadata = &mut object["metadata"];
        match (self.namespace, metadata["namespace"].as_str()) {
            (Some(url), Some(body)) if !body.is_empty() && body != url => {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ));
            }
            (Some(url), _) => metadata["namespace"] = json!(url),
            (None, _) => {
                if let Some(map) = metadata.as_object_mut() {
                    map.remove("namespace");
                }
            }
        }
        if let Some(url) = self.name {
            match metadata["name"].as_str() {
                Some(body) if !body.is_empty() && body != url => {
                    return Err(ApiError::bad_request(format!(
                        "the name of the object ({body}) does not match the name on the URL ({url})"
                    )));
                }
                _ => metadata["name"] = json!(url),
            }
        }
        Ok(())
    }
}

fn parse_body(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(format!(
            "the request body could not be decoded as JSON: {e}"
        ))
    })
}

/// POST: 201 with the stored object, 409 AlreadyExists when the name is taken.
pub(crate) fn create(shared: &Shared, target: &Target, body: &[u8]) -> Response {
    let result = (|| {
        let mut object = parse_body(body)?;
        target.place(&mut object)?;
        let rt = target.rt;
        let metadata = &mut object["metadata"];
        if metadata["resourceVersion"]
            .as_str()
            .is_some_and(|rv| !rv.is_empty())
        {
            return Err(ApiError::internal(
                "resourceVersion should not be set on objects to be created",
            ));
        }
        let mut cluster = shared.cluster();
        if metadata["name"].as_str().is_none_or(str::is_empty) {
            match metadata["generateName"].as_str() {
                Some(prefix) if !prefix.is_empty() => {
                    metadata["name"] = json!(generated_name(prefix, cluster.store.current()));
                }
                _ => {
                    return Err(ApiError::invalid(
                        &rt.qualified_kind(),
                        "",
                        vec![(
                            "FieldValueRequired",
                            "metadata.name".into(),
                            "Required value: name or generateName is required".into(),
                        )],
                    ));
                }
            }
        }
        // The server owns these: a client's uid or creation time is not kept.
        if let Some(map) = metadata.as_object_mut() {
            map.remove("uid");
            map.remove("creationTimestamp");
        }
        let name = metadata["name"].as_str().unwrap_or_default().to_string();
        let key = target.key(&name);
        if cluster.store.get(target.resource, &key).is_some() {
            return Err(ApiError::already_exists(rt, &name));
        }
        fill_new(rt, &mut object, cluster.store.current() + 1);
        let event = cluster.store.put(target.resource, object);
        drop(cluster);
        shared.notify(&event);
        Ok((*event.object).clone())
    })();
    match result {
        Ok(object) => json_response(StatusCode::CREATED, &object),
        Err(error) => error.into_response(),
    }
}

/// `name` plus five characters, as the API server completes `generateName`.
fn generated_name(prefix: &str, seed: u64) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut n = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5851_F42D_4C95_7F2D;
    let suffix: String = (0..5)
        .map(|_| {
            let c = ALPHABET[(n % ALPHABET.len() as u64) as usize] as char;
            n /= ALPHABET.len() as u64;
            c
        })
        .collect();
    format!("{prefix}{suffix}")
}

/// Stores `object` as the new state of an existing one after the optimistic-concurrency
/// checks: a `metadata.resourceVersion` that is not the stored one, or a different `uid`, is
/// a 409 Conflict; an unchanged object is not written again.
fn replace_checked(
    shared: &Shared,
    target: &Target,
    name: &str,
    existing: &Value,
    mut object: Value,
) -> Result<Value, ApiError> {
    let rt = target.rt;
    let stored_rv = existing["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or_default();
    if let Some(rv) = object["metadata"]["resourceVersion"]
        .as_str()
        .filter(|rv| !rv.is_empty())
        && rv != stored_rv
    {
        return Err(ApiError::conflict(
            rt,
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        ));
    }
    let stored_uid = existing["metadata"]["uid"].as_str().unwrap_or_default();
    if let Some(uid) = object["metadata"]["uid"].as_str().filter(|u| !u.is_empty())
        && uid != stored_uid
    {
        return Err(ApiError::conflict(
            rt,
            name,
            &format!(
                "Precondition failed: UID in precondition: {uid}, UID in object meta: {stored_uid}"
            ),
        ));
    }
    keep_server_fields(existing, &mut object);
    object["metadata"]["resourceVersion"] = json!(stored_rv);
    if object == *existing {
        return Ok(object);
    }
    let mut cluster = shared.cluster();
    // The stored object may have moved on since it was read.
    let current = cluster.store.get(target.resource, &target.key(name));
    if current
        .as_deref()
        .map(|c| &c["metadata"]["resourceVersion"])
        != Some(&json!(stored_rv))
    {
        return Err(ApiError::conflict(
            rt,
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        ));
    }
    let event = cluster.store.put(target.resource, object);
    drop(cluster);
    shared.notify(&event);
    Ok((*event.object).clone())
}

fn existing(shared: &Shared, target: &Target, name: &str) -> Option<Value> {
    shared
        .cluster()
        .store
        .get(target.resource, &target.key(name))
        .map(|o| (*o).clone())
}

/// PUT: 200 with the stored object; 404 when it does not exist (no create on update).
pub(crate) fn update(shared: &Shared, target: &Target, body: &[u8]) -> Response {
    let name = target.name.unwrap_or_default();
    let result = (|| {
        let mut object = parse_body(body)?;
        target.place(&mut object)?;
        let existing =
            existing(shared, target, name).ok_or_else(|| ApiError::not_found(target.rt, name))?;
        replace_checked(shared, target, name, &existing, object)
    })();
    match result {
        Ok(object) => json_response(StatusCode::OK, &object),
        Err(error) => error.into_response(),
    }
}

/// PATCH by content type: merge and strategic merge patches merge (strategic merge treats
/// lists as a merge patch does, replacing them whole), JSON patches apply operation by
/// operation, apply patches (which need `fieldManager`) merge and create a missing object.
/// A `metadata.resourceVersion` in the result must match the stored one (409 otherwise).
pub(crate) fn patch(
    shared: &Shared,
    target: &Target,
    content_type: &str,
    query: &Query,
    body: &[u8],
) -> Response {
    let name = target.name.unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    let result = (|| {
        let document = parse_body(body)?;
        let existing = existing(shared, target, name);
        let patched = match essence {
            "application/merge-patch+json" | "application/strategic-merge-patch+json" => {
                let mut object = existing
                    .clone()
                    .ok_or_else(|| ApiError::not_found(target.rt, name))?;
                patch::merge(&mut object, &document);
                object
            }
            "application/json-patch+json" => {
                let mut object = existing
                    .clone()
                    .ok_or_else(|| ApiError::not_found(target.rt, name))?;
                patch::json_patch(&mut object, &document).map_err(|e| {
                    ApiError::unprocessable(&format!(
                        "the server rejected our request due to an error in our request: {e}"
                    ))
                })?;
                object
            }
            "application/apply-patch+yaml" | "application/apply-patch+cbor" => {
                if query.get("fieldManager").is_none_or(str::is_empty) {
                    return Err(ApiError::bad_request(
                        "PATCH requests with an apply patch must have a field manager (the fieldManager query parameter)",
                    ));
                }
                let mut object = existing.clone().unwrap_or_else(|| json!({}));
                patch::merge(&mut object, &document);
                object
            }
            other => return Err(ApiError::unsupported_media_type(other)),
        };
        let mut patched = patched;
        target.place(&mut patched)?;
        match existing {
            Some(existing) => replace_checked(shared, target, name, &existing, patched),
            None => {
                if let Some(map) = patched["metadata"].as_object_mut() {
                    map.remove("resourceVersion");
                }
                let mut cluster = shared.cluster();
                fill_new(target.rt, &mut patched, cluster.store.current() + 1);
                let event = cluster.store.put(target.resource, patched);
                drop(cluster);
                shared.notify(&event);
                Ok((*event.object).clone())
            }
        }
    })();
    match result {
        Ok(object) => json_response(StatusCode::OK, &object),
        Err(error) => error.into_response(),
    }
}

/// DELETE: removes the object at once (no finalizers, no grace period) and answers a
/// `Status` of `Success`; a `preconditions.resourceVersion` or `uid` in the body that does
/// not match is a 409 Conflict.
pub(crate) fn delete(shared: &Shared, target: &Target, body: &[u8]) -> Response {
    let name = target.name.unwrap_or_default();
    let rt = target.rt;
    let result = (|| {
        let options = if body.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            parse_body(body)?
        };
        let mut cluster = shared.cluster();
        let key = target.key(name);
        let existing = cluster
            .store
            .get(target.resource, &key)
            .ok_or_else(|| ApiError::not_found(rt, name))?;
        let preconditions = &options["preconditions"];
        let stored_rv = existing["metadata"]["resourceVersion"]
            .as_str()
            .unwrap_or_default();
        if let Some(rv) = preconditions["resourceVersion"].as_str()
            && rv != stored_rv
        {
            return Err(ApiError::conflict_on_kind(
                rt,
                name,
                &format!(
                    "the ResourceVersion in the precondition ({rv}) does not match the ResourceVersion in record ({stored_rv}). The object might have been modified"
                ),
            ));
        }
        let stored_uid = existing["metadata"]["uid"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if let Some(uid) = preconditions["uid"].as_str()
            && uid != stored_uid
        {
            return Err(ApiError::conflict_on_kind(
                rt,
                name,
                &format!(
                    "the UID in the precondition ({uid}) does not match the UID in record ({stored_uid}). The object might have been deleted and then recreated"
                ),
            ));
        }
        let event = cluster
            .store
            .delete(target.resource, &key)
            .ok_or_else(|| ApiError::not_found(rt, name))?;
        drop(cluster);
        shared.notify(&event);
        let mut details = json!({"name": name, "kind": rt.plural, "uid": stored_uid});
        if !rt.group.is_empty() {
            details["group"] = json!(rt.group);
        }
        Ok(
            json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}),
        )
    })();
    match result {
        Ok(status) => json_response(StatusCode::OK, &status),
        Err(error) => error.into_response(),
    }
}
