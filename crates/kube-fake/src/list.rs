//! LIST: list options, consistent paging with continue tokens, and the list answer.

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::catalog::ResourceType;
use crate::negotiate::Representation;
use crate::query::Query;
use crate::render::{self, Damage};
use crate::reply::typed_response;
use crate::selector::{FieldSelector, LabelSelector};
use crate::state::Shared;
use crate::status::{ApiError, Cause};
use crate::store::ObjectKey;
use crate::table::IncludeObject;
use crate::truncate;

/// The query parameters of a list or watch.
#[derive(Debug)]
pub(crate) struct ListOptions {
    pub(crate) label: LabelSelector,
    pub(crate) field: FieldSelector,
    pub(crate) limit: Option<usize>,
    pub(crate) continue_token: Option<String>,
    pub(crate) resource_version: Option<String>,
    pub(crate) resource_version_match: Option<String>,
    pub(crate) watch: bool,
    pub(crate) allow_bookmarks: bool,
    pub(crate) send_initial_events: Option<bool>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) include: IncludeObject,
}

impl ListOptions {
    /// Reads and validates the options as the API server does; `name` is set for a watch of
    /// one object by its URL.
    pub(crate) fn parse(
        query: &Query,
        rt: &ResourceType,
        name: Option<&str>,
    ) -> Result<Self, ApiError> {
        let text = |key: &str| query.get(key).filter(|v| !v.is_empty()).map(str::to_string);
        let label = LabelSelector::parse(query.get("labelSelector").unwrap_or_default())
            .map_err(ApiError::bad_request)?;
        let mut field =
            FieldSelector::parse(query.get("fieldSelector").unwrap_or_default(), &rt.kind)
                .map_err(ApiError::bad_request)?;
        if let Some(name) = name {
            match field.exact_name() {
                Some(selected) if selected != name => {
                    return Err(ApiError::bad_request(
                        "fieldSelector metadata.name doesn't match requested name",
                    ));
                }
                Some(_) => {}
                None => {
                    field = FieldSelector::parse(&format!("metadata.name={name}"), &rt.kind)
                        .map_err(ApiError::bad_request)?
                }
            }
        }
        let number = |key: &str| -> Result<Option<i64>, ApiError> {
            text(key)
                .map(|v| {
                    v.parse::<i64>().map_err(|_| {
                        ApiError::bad_request(format!("invalid value for {key}: {v:?}"))
                    })
                })
                .transpose()
        };
        let options = ListOptions {
            label,
            field,
            limit: number("limit")?.filter(|l| *l > 0).map(|l| l as usize),
            continue_token: text("continue"),
            resource_version: text("resourceVersion"),
            resource_version_match: text("resourceVersionMatch"),
            watch: query.flag("watch").unwrap_or(false) || name.is_some(),
            allow_bookmarks: query.flag("allowWatchBookmarks").unwrap_or(false),
            send_initial_events: query.flag("sendInitialEvents"),
            timeout: number("timeoutSeconds")?
                .filter(|s| *s > 0)
                .map(|s| Duration::from_secs(s as u64)),
            include: IncludeObject::parse(query.get("includeObject"))
                .map_err(ApiError::bad_request)?,
        };
        options.validate()?;
        Ok(options)
    }

    fn validate(&self) -> Result<(), ApiError> {
        let mut causes: Vec<Cause> = Vec::new();
        let forbidden = |field: &str, why: &str| {
            (
                "FieldValueForbidden",
                field.to_string(),
                format!("Forbidden: {why}"),
            )
        };
        let rv_match = self.resource_version_match.as_deref();
        if self.watch {
            if self.send_initial_events.is_some() && rv_match != Some("NotOlderThan") {
                causes.push(forbidden(
                    "resourceVersionMatch",
                    "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
                ));
            }
            if let Some(m) = rv_match {
                if self.send_initial_events.is_none() {
                    causes.push(forbidden(
                        "resourceVersionMatch",
                        "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
                    ));
                }
                if m != "NotOlderThan" {
                    causes.push(not_supported(m, &["NotOlderThan"]));
                }
            }
        } else {
            if let Some(m) = rv_match {
                if self.resource_version.is_none() {
                    causes.push(forbidden(
                        "resourceVersionMatch",
                        "resourceVersionMatch is forbidden unless resourceVersion is provided",
                    ));
                }
                if self.continue_token.is_some() {
                    causes.push(forbidden(
                        "resourceVersionMatch",
                        "resourceVersionMatch is forbidden when continue is provided",
                    ));
                }
                if m != "Exact" && m != "NotOlderThan" {
                    causes.push(not_supported(m, &["Exact", "NotOlderThan", ""]));
                }
                if m == "Exact" && self.resource_version.as_deref() == Some("0") {
                    causes.push(forbidden(
                        "resourceVersionMatch",
                        "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"",
                    ));
                }
            }
            if self.send_initial_events.is_some() {
                causes.push(forbidden(
                    "sendInitialEvents",
                    "sendInitialEvents is forbidden for list",
                ));
            }
        }
        if causes.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid("ListOptions.meta.k8s.io", "", causes))
        }
    }

    /// The requested resource version as a number; `None` for unset and `0` ("any").
    pub(crate) fn requested_version(&self) -> Result<Option<u64>, ApiError> {
        match self.resource_version.as_deref() {
            None | Some("0") => Ok(None),
            Some(text) => text
                .parse::<u64>()
                .map(Some)
                .map_err(|_| ApiError::bad_request(format!("invalid resource version: {text:?}"))),
        }
    }

    pub(crate) fn matches(&self, object: &Value) -> bool {
        self.label.matches(object) && self.field.matches(object)
    }
}

fn not_supported(value: &str, supported: &[&str]) -> Cause {
    let list: Vec<String> = supported.iter().map(|s| format!("{s:?}")).collect();
    (
        "FieldValueNotSupported",
        "resourceVersionMatch".to_string(),
        format!(
            "Unsupported value: {value:?}: supported values: {}",
            list.join(", ")
        ),
    )
}

/// Where the next page starts. `rv` 0 continues at the latest resource version (the
/// inconsistent continuation offered after an expiry).
#[derive(Clone, Debug, PartialEq, Eq)]
struct ContinueToken {
    rv: u64,
    after: ObjectKey,
    /// Pages served so far in this list.
    page: u32,
}

impl ContinueToken {
    fn encode(&self) -> String {
        let text = json!({"v": "kspm-kube-fake/v1", "rv": self.rv, "ns": self.after.0,
                          "name": self.after.1, "page": self.page})
        .to_string();
        crate::base64::encode_url(text.as_bytes())
    }

    fn decode(token: &str) -> Result<Self, String> {
        let bytes =
            crate::base64::decode_url(token).ok_or("continue key is not valid: not base64")?;
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| format!("continue key is not valid: {e}"))?;
        if value["v"] != "kspm-kube-fake/v1" {
            return Err(
                "continue key is not valid: server does not recognize this encoded version".into(),
            );
        }
        let text = |k: &str| value[k].as_str().map(str::to_string);
        match (
            value["rv"].as_u64(),
            text("ns"),
            text("name"),
            value["page"].as_u64(),
        ) {
            (Some(rv), Some(ns), Some(name), Some(page)) if !name.is_empty() => Ok(ContinueToken {
                rv,
                after: (ns, name),
                page: page as u32,
            }),
            _ => Err("continue key is not valid".into()),
        }
    }
}

/// Answers a list.
pub(crate) fn serve(
    shared: &Shared,
    resource: usize,
    rt: &ResourceType,
    namespace: Option<&str>,
    options: &ListOptions,
    representation: Representation,
) -> Response {
    let limit = options
        .limit
        .map(|l| shared.config.page_limit_max.map_or(l, |max| l.min(max)));
    let (expire_after, damage, truncate) = {
        let faults = shared.faults();
        (
            faults.expire_after(rt),
            Damage {
                malformed: faults.malformed(rt),
            },
            faults.truncates(rt),
        )
    };
    let page = {
        let cluster = shared.cluster();
        match read_page(
            &cluster.store,
            resource,
            namespace,
            options,
            limit,
            expire_after,
        ) {
            Ok(page) => page,
            Err(error) => return error.into_response(),
        }
    };
    let mut metadata = Map::new();
    metadata.insert("resourceVersion".into(), json!(page.rv.to_string()));
    if let Some(token) = &page.next {
        metadata.insert("continue".into(), json!(token));
        if let Some(remaining) = page.remaining {
            metadata.insert("remainingItemCount".into(), json!(remaining));
        }
    }
    let body = render::list(
        rt,
        &page.items,
        &Value::Object(metadata),
        representation,
        options.include,
        &damage,
    );
    let content_type = render::content_type(representation, true);
    if truncate {
        truncate::cut(body, &content_type)
    } else {
        typed_response(StatusCode::OK, body, &content_type)
    }
}

struct Page {
    rv: u64,
    items: Vec<Arc<Value>>,
    next: Option<String>,
    remaining: Option<u64>,
}

fn read_page(
    store: &crate::store::Store,
    resource: usize,
    namespace: Option<&str>,
    options: &ListOptions,
    limit: Option<usize>,
    expire_after: Option<u32>,
) -> Result<Page, ApiError> {
    let current = store.current();
    let (at, after, pages_before, consistent) = match &options.continue_token {
        Some(text) => {
            let token = ContinueToken::decode(text)
                .map_err(|e| ApiError::bad_request(format!("invalid continue token: {e}")))?;
            if options
                .resource_version
                .as_deref()
                .is_some_and(|rv| rv != "0")
            {
                return Err(ApiError::bad_request(
                    "specifying resource version is not allowed when using continue",
                ));
            }
            if token.rv == 0 {
                (current, Some(token.after), token.page, false)
            } else {
                let compacted_meanwhile = store.check_readable(token.rv).is_err();
                if compacted_meanwhile || expire_after.is_some_and(|n| token.page >= n) {
                    let inconsistent = ContinueToken { rv: 0, ..token };
                    return Err(ApiError::continue_expired(inconsistent.encode()));
                }
                (token.rv, Some(token.after), token.page, true)
            }
        }
        None => {
            let requested = options.requested_version()?;
            let exact = match options.resource_version_match.as_deref() {
                Some("Exact") => requested,
                Some(_) => None,
                // Without a match rule, a paged list at a given version reads at exactly that
                // version (the API server's legacy rule).
                None => requested.filter(|_| limit.is_some()),
            };
            if let Some(rv) = requested.filter(|rv| *rv > current) {
                return Err(ApiError::too_large_resource_version(rv, current));
            }
            match exact {
                Some(rv) => {
                    store
                        .check_readable(rv)
                        .map_err(|_| ApiError::list_expired())?;
                    (rv, None, 0, true)
                }
                None => (current, None, 0, true),
            }
        }
    };
    let counting = options.label.is_empty() && options.field.is_empty();
    let mut items = Vec::new();
    let mut remaining = 0u64;
    for object in store.snapshot(resource, namespace, at, after.as_ref()) {
        if !options.matches(object) {
            continue;
        }
        if limit.is_none_or(|l| items.len() < l) {
            items.push(object.clone());
        } else {
            remaining += 1;
            if !counting {
                break;
            }
        }
    }
    let next = match items.last() {
        Some(last) if remaining > 0 => Some(
            ContinueToken {
                rv: if consistent { at } else { 0 },
                after: crate::store::key_of(last),
                page: pages_before + 1,
            }
            .encode(),
        ),
        _ => None,
    };
    Ok(Page {
        rv: at,
        items,
        next,
        // The API server only counts what is left when no selector filters the list.
        remaining: counting.then_some(remaining),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_round_trip_and_reject_tampering() {
        let token = ContinueToken {
            rv: 42,
            after: ("kube-system".into(), "coredns".into()),
            page: 3,
        };
        assert_eq!(ContinueToken::decode(&token.encode()).unwrap(), token);
        assert!(ContinueToken::decode("not-a-token").is_err());
        assert!(
            ContinueToken::decode(&crate::base64::encode_url(b"{\"v\":\"meta.k8s.io/v1\"}"))
                .is_err()
        );
    }
}
