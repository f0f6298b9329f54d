//! `GET /api/v1/findings/export.csv` and `.ndjson`: every finding matching a query,
//! streamed page by page so memory stays flat however many there are.
//!
//! The first page is read before the response starts, so a bad query still gets a 400
//! JSON error; a store failure after that cuts the stream short (the client sees a
//! truncated body, not a silently complete one).

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use kspm_store::{FindingRow, SearchPage, SearchRequest, Store};
use tokio::sync::mpsc;

use crate::AppState;
use crate::api::{ApiQuery, SearchParams};
use crate::error::{ApiError, blocking};

/// Rows read from the store per step.
const EXPORT_PAGE: u32 = 1000;

/// The CSV header, in column order of [`csv_record`].
const CSV_HEADER: [&str; 22] = [
    "id",
    "cluster_id",
    "cluster_name",
    "scope",
    "resource_id",
    "resource_name",
    "resource_type",
    "resource_sub_type",
    "namespace",
    "host",
    "rule_id",
    "benchmark_id",
    "rule_number",
    "section",
    "rule_name",
    "outcome",
    "first_seen",
    "last_seen",
    "resolved_at",
    "exception_id",
    "disabled",
    "status",
];

#[derive(Clone, Copy)]
enum Format {
    Csv,
    Ndjson,
}

/// `GET /api/v1/findings/export.csv?q=…`: one row per finding, RFC 4180 quoting, cells
/// that a spreadsheet would run as a formula defused.
pub(crate) async fn csv(
    state: State<AppState>,
    params: ApiQuery<SearchParams>,
) -> Result<Response, ApiError> {
    export(state, params, Format::Csv).await
}

/// `GET /api/v1/findings/export.ndjson?q=…`: one finding document per line, the same
/// documents `/api/v1/ingest` accepts.
pub(crate) async fn ndjson(
    state: State<AppState>,
    params: ApiQuery<SearchParams>,
) -> Result<Response, ApiError> {
    export(state, params, Format::Ndjson).await
}

async fn export(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<SearchParams>,
    format: Format,
) -> Result<Response, ApiError> {
    let mut request = params.to_request()?;
    request.page = 0;
    request.per_page = EXPORT_PAGE;
    let store = state.store.clone();
    let (first, request) = blocking(move || {
        let page = store.search(&request)?;
        Ok((page, request))
    })
    .await?;

    let (tx, mut rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || produce(&store, request, first, format, &tx));
    let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));

    let (content_type, file) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "kspm-findings.csv"),
        Format::Ndjson => ("application/x-ndjson", "kspm-findings.ndjson"),
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

/// Writes the pages into the channel until the results or the receiver run out.
fn produce(
    store: &Store,
    mut request: SearchRequest,
    first: SearchPage,
    format: Format,
    tx: &mpsc::Sender<Result<Bytes, std::io::Error>>,
) {
    let mut page = first;
    let mut header = matches!(format, Format::Csv);
    loop {
        let full = page.rows.len() as u32 == request.per_page;
        let written = match format {
            Format::Csv => csv_page(&page, std::mem::take(&mut header)),
            Format::Ndjson => ndjson_page(store, &page),
        };
        let out = match written {
            Ok(out) => out,
            Err(err) => {
                tracing::error!("export stopped: {err}");
                let _ = tx.blocking_send(Err(err));
                return;
            }
        };
        if tx.blocking_send(Ok(Bytes::from(out))).is_err() {
            return; // the client went away
        }
        if !full {
            return;
        }
        request.page += 1;
        page = match store.search(&request) {
            Ok(p) if !p.rows.is_empty() => p,
            Ok(_) => return,
            Err(err) => {
                tracing::error!("export stopped: {err}");
                let _ = tx.blocking_send(Err(std::io::Error::other(err.to_string())));
                return;
            }
        };
    }
}

/// The rows of one page as CSV (RFC 4180, cells that look like formulas defused), after the
/// header when `header`.
fn csv_page(page: &SearchPage, header: bool) -> std::io::Result<Vec<u8>> {
    let mut csv = kspm_sinks::csv::CsvWriter::new(Vec::new());
    if header {
        csv.record(CSV_HEADER).map_err(std::io::Error::other)?;
    }
    for row in &page.rows {
        csv.record(csv_record(row)).map_err(std::io::Error::other)?;
    }
    csv.into_inner().map_err(std::io::Error::other)
}

/// The stored documents of one page as NDJSON lines. A finding resolved or removed between
/// the page read and this lookup is skipped.
fn ndjson_page(store: &Store, page: &SearchPage) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    for row in &page.rows {
        if let Some(found) = store.finding(&row.id).map_err(std::io::Error::other)? {
            serde_json::to_writer(&mut out, &found.document)?;
            out.push(b'\n');
        }
    }
    Ok(out)
}

fn csv_record(row: &FindingRow) -> [String; 22] {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let time = |t: i64| kspm_model::rfc3339(t);
    [
        row.id.clone(),
        row.cluster_id.clone(),
        row.cluster_name.clone(),
        row.scope.to_string(),
        row.resource_id.clone(),
        row.resource_name.clone(),
        row.resource_type.clone(),
        row.resource_sub_type.clone(),
        opt(&row.namespace),
        opt(&row.host),
        row.rule_id.clone(),
        row.benchmark_id.clone(),
        row.rule_number.clone(),
        row.section.clone(),
        row.rule_name.clone(),
        row.outcome.as_str().to_owned(),
        time(row.first_seen),
        time(row.last_seen),
        row.resolved_at.map(time).unwrap_or_default(),
        row.exception_id.map(|e| e.to_string()).unwrap_or_default(),
        row.disabled.to_string(),
        row.status.as_str().to_owned(),
    ]
}
