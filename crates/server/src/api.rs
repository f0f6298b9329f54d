//! The JSON API under `/api/v1`: search, groups, one finding, dashboard, trend, rules and
//! exceptions. Every error is `{"error": …}` JSON (see [`ApiError`]).

use axum::Json;
use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use kspm_store::{ExceptionScope, GroupBy, GroupRequest, NewException, SearchRequest, SortDir};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::AppState;
use crate::auth::WriteAccess;
use crate::error::{ApiError, blocking};

/// Default rows per page.
const DEFAULT_PER_PAGE: u32 = 50;
/// Most rows per page.
const MAX_PER_PAGE: u32 = 1000;

/// `Query` whose rejection is a JSON [`ApiError`].
pub(crate) struct ApiQuery<T>(pub(crate) T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|r| ApiError::bad_request(r.body_text()))
    }
}

/// `Json` whose rejection is a JSON [`ApiError`] (keeping its status: 400, 415 or 422).
pub(crate) struct ApiJson<T>(pub(crate) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        Json::<T>::from_request(req, state)
            .await
            .map(|j| ApiJson(j.0))
            .map_err(|r| ApiError::new(r.status(), r.body_text()))
    }
}

/// `?q=&sort=&dir=&page=&per_page=&include_resolved=&include_disabled=` of `/findings`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchParams {
    #[serde(default)]
    pub(crate) q: String,
    pub(crate) sort: Option<String>,
    pub(crate) dir: Option<String>,
    /// One-based.
    pub(crate) page: Option<u32>,
    pub(crate) per_page: Option<u32>,
    #[serde(default)]
    pub(crate) include_resolved: bool,
    #[serde(default)]
    pub(crate) include_disabled: bool,
}

impl SearchParams {
    /// The store request; `page` is one-based here and zero-based in the store.
    pub(crate) fn to_request(&self) -> Result<SearchRequest, ApiError> {
        let dir = match self.dir.as_deref() {
            None | Some("") => None,
            Some("asc") => Some(SortDir::Asc),
            Some("desc") => Some(SortDir::Desc),
            Some(other) => {
                return Err(ApiError::bad_request(format!(
                    "dir must be asc or desc, not `{other}`"
                )));
            }
        };
        let sort = match self.sort.as_deref() {
            None | Some("") => None,
            Some(field) => Some((field.to_owned(), dir.unwrap_or(SortDir::Asc))),
        };
        let page = self.page.unwrap_or(1);
        if page == 0 {
            return Err(ApiError::bad_request("page starts at 1"));
        }
        let per_page = self.per_page.unwrap_or(DEFAULT_PER_PAGE);
        if per_page == 0 || per_page > MAX_PER_PAGE {
            return Err(ApiError::bad_request(format!(
                "per_page must be between 1 and {MAX_PER_PAGE}"
            )));
        }
        Ok(SearchRequest {
            query: self.q.clone(),
            sort,
            page: page - 1,
            per_page,
            include_resolved: self.include_resolved,
            include_disabled: self.include_disabled,
        })
    }
}

/// `GET /api/v1/findings`: one page of latest findings matching a KQL query.
pub(crate) async fn search(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Response, ApiError> {
    let request = params.to_request()?;
    let (page, per_page) = (request.page + 1, request.per_page);
    let result = blocking(move || Ok(state.store.search(&request)?)).await?;
    Ok(Json(SearchAnswer {
        total: result.total,
        total_relation: result.total_relation,
        page,
        per_page,
        rows: &result.rows,
    })
    .into_response())
}

/// The answer of `GET /api/v1/findings`, serialised straight from the rows (a `json!` value
/// would copy every row into a map first).
#[derive(serde::Serialize)]
struct SearchAnswer<'a> {
    total: u64,
    total_relation: kspm_store::TotalRelation,
    page: u32,
    per_page: u32,
    rows: &'a [kspm_store::FindingRow],
}

/// `?q=&by=&limit=` of `/findings/groups`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GroupParams {
    #[serde(default)]
    q: String,
    by: Option<String>,
    limit: Option<u32>,
}

/// `GET /api/v1/findings/groups`: findings grouped by resource, rule, section, cluster or
/// namespace, most failed first.
pub(crate) async fn groups(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<GroupParams>,
) -> Result<Response, ApiError> {
    let by_name = params.by.as_deref().unwrap_or("resource");
    let by = GroupBy::parse(by_name).ok_or_else(|| {
        ApiError::bad_request(format!(
            "by must be resource, rule, section, cluster or namespace, not `{by_name}`"
        ))
    })?;
    let request = GroupRequest {
        query: params.q,
        by,
        limit: params.limit.unwrap_or(100).clamp(1, MAX_PER_PAGE),
    };
    let groups = blocking(move || Ok(state.store.groups(&request)?)).await?;
    Ok(Json(json!({ "by": by.as_str(), "groups": groups })).into_response())
}

/// `GET /api/v1/findings/{id}`: one finding with its document, timestamps and exception.
pub(crate) async fn finding(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let found = blocking(move || Ok(state.store.finding(&id)?)).await?;
    match found {
        Some(f) => Ok(Json(f).into_response()),
        None => Err(ApiError::not_found("no such finding")),
    }
}

/// `?cluster=` of the dashboard, trend and rules.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClusterParam {
    cluster: Option<String>,
}

impl ClusterParam {
    fn cluster(self) -> Option<String> {
        self.cluster.filter(|c| !c.is_empty())
    }
}

/// `GET /api/v1/dashboard[?cluster=]`.
pub(crate) async fn dashboard(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ClusterParam>,
) -> Result<Response, ApiError> {
    let cluster = params.cluster();
    let dashboard = blocking(move || Ok(state.store.dashboard(cluster.as_deref())?)).await?;
    Ok(Json(dashboard).into_response())
}

/// `GET /api/v1/scores/trend[?cluster=]`: the score after each completed cycle.
pub(crate) async fn trend(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ClusterParam>,
) -> Result<Response, ApiError> {
    let cluster = params.cluster();
    let points = blocking(move || Ok(state.store.trend(cluster.as_deref())?)).await?;
    Ok(Json(json!({ "points": points })).into_response())
}

/// `?field=&q=` of `/suggest`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SuggestParams {
    field: String,
    #[serde(default)]
    q: String,
}

/// `GET /api/v1/suggest?field=&q=`: values of a query field that the store holds, containing
/// `q` (for the search bar).
pub(crate) async fn suggest(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<SuggestParams>,
) -> Result<Response, ApiError> {
    let field = params.field.clone();
    let values = blocking(move || Ok(state.store.suggest(&params.field, &params.q, 20)?)).await?;
    Ok(Json(json!({ "field": field, "values": values })).into_response())
}

/// `?cluster=&from=&to=` of `/changes`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangesParams {
    cluster: String,
    from: Option<i64>,
    to: Option<i64>,
}

/// `GET /api/v1/changes?cluster=&from=&to=`: what changed in a cluster between two rounds of
/// cycles (by default the last two).
pub(crate) async fn changes(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ChangesParams>,
) -> Result<Response, ApiError> {
    let found = blocking(move || {
        let rounds = state.store.rounds(&params.cluster)?;
        let (Some(from), Some(to)) = (
            params.from.or(rounds.get(1).map(|r| r.at)),
            params.to.or(rounds.first().map(|r| r.at)),
        ) else {
            return Ok(None);
        };
        Ok(Some(state.store.changes(&params.cluster, from, to, 500)?))
    })
    .await?;
    match found {
        Some(c) => Ok(Json(c).into_response()),
        None => Err(ApiError::not_found(
            "this cluster has fewer than two rounds of cycles",
        )),
    }
}

/// `GET /api/v1/rules[?cluster=]`.
pub(crate) async fn rules(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ClusterParam>,
) -> Result<Response, ApiError> {
    let cluster = params.cluster();
    let rules = blocking(move || Ok(state.store.rules(cluster.as_deref())?)).await?;
    Ok(Json(json!({ "rules": rules })).into_response())
}

/// Body of `PUT /rules/{rule_id}/clusters/{cluster_id}/enabled`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EnabledBody {
    enabled: bool,
}

/// `PUT /api/v1/rules/{rule_id}/clusters/{cluster_id}/enabled` with `{"enabled": bool}`.
pub(crate) async fn set_rule_enabled(
    State(state): State<AppState>,
    access: WriteAccess,
    Path((rule_id, cluster_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<EnabledBody>,
) -> Result<Response, ApiError> {
    set_enabled(state, access, rule_id, Some(cluster_id), body.enabled).await
}

/// `PUT /api/v1/rules/{rule_id}/enabled` with `{"enabled": bool}`: the setting for every
/// cluster (a per-cluster setting still wins).
pub(crate) async fn set_rule_enabled_everywhere(
    State(state): State<AppState>,
    access: WriteAccess,
    Path(rule_id): Path<String>,
    ApiJson(body): ApiJson<EnabledBody>,
) -> Result<Response, ApiError> {
    set_enabled(state, access, rule_id, None, body.enabled).await
}

async fn set_enabled(
    state: AppState,
    access: WriteAccess,
    rule_id: String,
    cluster_id: Option<String>,
    enabled: bool,
) -> Result<Response, ApiError> {
    let (rule, cluster) = (rule_id.clone(), cluster_id.clone());
    blocking(move || {
        Ok(state
            .store
            .set_rule_enabled(cluster.as_deref(), &rule, enabled, access.author)?)
    })
    .await?;
    Ok(Json(json!({
        "rule_id": rule_id,
        "cluster_id": cluster_id,
        "enabled": enabled,
    }))
    .into_response())
}

/// `GET /api/v1/exceptions`: every exception, active and expired.
pub(crate) async fn exceptions(State(state): State<AppState>) -> Result<Response, ApiError> {
    let list = blocking(move || Ok(state.store.list_exceptions()?)).await?;
    Ok(Json(json!({ "exceptions": list })).into_response())
}

/// `GET /api/v1/exceptions/{id}`.
pub(crate) async fn exception(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    blocking(move || Ok(state.store.exception(id)?))
        .await?
        .map(|e| Json(e).into_response())
        .ok_or_else(|| ApiError::not_found("no such exception"))
}

/// Body of `POST /api/v1/exceptions`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExceptionBody {
    rule_id: String,
    /// `{"kind": "resource"|"namespace"|"labels", "value": "…"}`.
    scope: ExceptionScope,
    #[serde(default)]
    cluster_id: Option<String>,
    reason: String,
    #[serde(default)]
    expires_at: Option<i64>,
    /// Who asks; defaults to how the request authenticated.
    #[serde(default)]
    author: Option<String>,
}

/// `POST /api/v1/exceptions`: adds an exception; answers 201 with the stored exception.
pub(crate) async fn add_exception(
    State(state): State<AppState>,
    access: WriteAccess,
    ApiJson(body): ApiJson<ExceptionBody>,
) -> Result<Response, ApiError> {
    if body.rule_id.trim().is_empty() {
        return Err(ApiError::bad_request("rule_id is required"));
    }
    if body.reason.trim().is_empty() {
        return Err(ApiError::bad_request("a reason is required"));
    }
    let new = NewException {
        rule_id: body.rule_id,
        scope: body.scope,
        cluster_id: body.cluster_id.filter(|c| !c.is_empty()),
        reason: body.reason,
        expires_at: body.expires_at,
        author: body
            .author
            .filter(|a| !a.trim().is_empty())
            .unwrap_or_else(|| access.author.to_owned()),
    };
    let stored = blocking(move || {
        let id = state.store.add_exception(&new)?;
        Ok(state.store.exception(id)?)
    })
    .await?;
    let stored = stored.ok_or_else(|| ApiError::internal("exception vanished after insert"))?;
    Ok((StatusCode::CREATED, Json(stored)).into_response())
}

/// `DELETE /api/v1/exceptions/{id}`: 204, or 404 when there was none.
pub(crate) async fn remove_exception(
    State(state): State<AppState>,
    _access: WriteAccess,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let removed = blocking(move || Ok(state.store.remove_exception(id)?)).await?;
    if removed {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::not_found("no such exception"))
    }
}

/// Unknown API paths answer JSON, not an empty 404.
pub(crate) async fn not_found() -> ApiError {
    ApiError::not_found("no such API endpoint")
}
