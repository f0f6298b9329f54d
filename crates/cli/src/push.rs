//! `kspm scan --output server`: send the findings to a kspm server's ingest API.
//!
//! One cycle per scope (`cluster`, or `node:<name>` for each host root), NDJSON batches of at
//! most [`BATCH`] findings, the last one marked `final` so the server completes the cycle
//! (resolving what this scan no longer saw). The protocol is in crates/server/README.md.

use anyhow::Context as _;
use kspm_model::{ClusterInfo, Finding, cluster_id_from_name};

/// Findings per request.
pub const BATCH: usize = 5_000;

/// What was sent.
pub struct Pushed {
    pub findings: usize,
    pub batches: usize,
    pub cycles: usize,
}

/// Sends `findings` to `server` (`http://host:port` or `https://…`) with the write token.
pub fn push(
    server: &str,
    token: &str,
    cluster: &ClusterInfo,
    started_at: i64,
    findings: &[Finding],
) -> anyhow::Result<Pushed> {
    let base = server.trim_end_matches('/');
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        anyhow::bail!("--server must be an http:// or https:// URL, not `{server}`");
    }
    let mut by_scope = crate::serve::by_scope(findings.iter());
    // A scan with no finding at all still completes a cluster cycle, so that what an earlier
    // scan reported and this one no longer sees is resolved.
    if by_scope.is_empty() {
        by_scope.insert("cluster".into(), Vec::new());
    }
    let agent = ureq::Agent::new_with_config(
        ureq::config::Config::builder()
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(120)))
            .build(),
    );
    // The server refuses a wrong token before reading the body, which a client sending a large
    // body sees as a broken connection: ask with an empty request first, for a clear answer.
    let mut probe = agent
        .post(&format!("{base}/api/v1/ingest"))
        .header("Authorization", &format!("Bearer {token}"))
        .send(&[][..])
        .with_context(|| format!("connecting to {base}"))?;
    if matches!(probe.status().as_u16(), 401 | 403) {
        let text = probe.body_mut().read_to_string().unwrap_or_default();
        anyhow::bail!(
            "{base} refused the token: HTTP {}: {}",
            probe.status(),
            text.trim()
        );
    }
    let nonce = format!("{started_at}/{}", std::process::id());
    let mut pushed = Pushed {
        findings: 0,
        batches: 0,
        cycles: 0,
    };
    for (scope, findings) in by_scope {
        let cycle = cluster_id_from_name(&format!("{}/{scope}/{nonce}", cluster.id));
        let chunks: Vec<&[&Finding]> = if findings.is_empty() {
            vec![&[]]
        } else {
            findings.chunks(BATCH).collect()
        };
        let last = chunks.len() - 1;
        for (batch, chunk) in chunks.into_iter().enumerate() {
            let mut body = Vec::with_capacity(chunk.len() * 2048);
            for f in chunk {
                serde_json::to_writer(&mut body, f).context("encoding a finding")?;
                body.push(b'\n');
            }
            let query = form_query(&[
                ("cycle", &cycle),
                ("batch", &batch.to_string()),
                ("final", if batch == last { "true" } else { "false" }),
                ("cluster", &cluster.id),
                ("cluster_name", &cluster.name),
                ("scope", &scope),
                ("started_at", &started_at.to_string()),
            ]);
            let url = format!("{base}/api/v1/ingest?{query}");
            let mut response = agent
                .post(&url)
                .header("Authorization", &format!("Bearer {token}"))
                .header("Content-Type", "application/x-ndjson")
                .send(&body[..])
                .with_context(|| format!("sending batch {batch} of {scope} to {base}"))?;
            let status = response.status();
            if !status.is_success() {
                let text = response.body_mut().read_to_string().unwrap_or_default();
                anyhow::bail!(
                    "{base} refused batch {batch} of {scope}: HTTP {status}: {}",
                    text.trim()
                );
            }
            pushed.batches += 1;
            pushed.findings += chunk.len();
        }
        pushed.cycles += 1;
    }
    Ok(pushed)
}

/// `a=b&c=d`, form-encoded.
fn form_query(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            form_query(&[("scope", "node:cp-1"), ("cluster_name", "a b&c")]),
            "scope=node%3Acp-1&cluster_name=a+b%26c"
        );
    }
}
