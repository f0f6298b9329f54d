//! `kspm server`: the findings store behind the HTTP API and web UI.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use kspm_server::{AppState, AuthConfig, Limits};
use kspm_store::Store;

use crate::exit::{Exit, UsageError};

/// Options of `kspm server`.
pub struct ServerOptions {
    pub db: PathBuf,
    pub listen: SocketAddr,
    pub write_token: Option<String>,
    pub read_token: Option<String>,
    /// Host names browsers may use when no read token is set (DNS-rebinding defence).
    pub allowed_hosts: Vec<String>,
    /// Where every ingested batch is forwarded (Elasticsearch), if anywhere.
    pub forward: Option<kspm_sinks::elasticsearch::ElasticsearchSink>,
}

/// The token in `path` (a mounted Secret: surrounding white space is dropped).
pub fn token_from_file(path: &std::path::Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        UsageError(format!(
            "reading the write token from {}: {e}",
            path.display()
        ))
    })?;
    let token = text.trim();
    if token.is_empty() {
        return Err(UsageError(format!("the write token file {} is empty", path.display())).into());
    }
    Ok(token.to_owned())
}

/// Runs `kspm server` until interrupted.
pub fn run(options: ServerOptions) -> anyhow::Result<Exit> {
    let store = Store::open(&options.db)
        .with_context(|| format!("opening the store {}", options.db.display()))?;
    let (write_token, generated) = match options.write_token {
        Some(t) => (t, false),
        None => (random_token()?, true),
    };
    let auth = AuthConfig {
        write_token,
        read_token: options.read_token,
    };
    auth.check().map_err(|e| UsageError(e.to_string()))?;
    if generated {
        eprintln!(
            "kspm server: no --write-token given; this run's write token is {}\n\
             (agents and `kspm scan` push with it; sign in to change rules at /login)",
            auth.write_token
        );
    }
    serve_store(
        store,
        options.listen,
        auth,
        generated,
        options.allowed_hosts,
        options.forward,
    )
}

/// Serves `store` on `listen` until Ctrl-C. The sign-in link with the write token is printed
/// only when the token was generated for this run (a token the operator gave stays out of
/// logs).
pub fn serve_store(
    store: Store,
    listen: SocketAddr,
    auth: AuthConfig,
    print_sign_in_link: bool,
    allowed_hosts: Vec<String>,
    forward: Option<kspm_sinks::elasticsearch::ElasticsearchSink>,
) -> anyhow::Result<Exit> {
    let write_token = auth.write_token.clone();
    let mut state = AppState::new(store, auth, Limits::default()).with_allowed_hosts(allowed_hosts);
    if let Some(sink) = forward {
        eprintln!(
            "kspm server: forwarding ingested findings to {}",
            kspm_sinks::Sink::name(&sink)
        );
        state = state.with_forwarder(Box::new(sink));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        let addr = listener.local_addr().context("reading the bound address")?;
        // Written, not printed: a closed stdout must not take the server down.
        let mut out = std::io::stdout();
        let _ = writeln!(out, "kspm: dashboard on http://{addr}/");
        if print_sign_in_link {
            let _ = writeln!(
                out,
                "kspm: to change rules and exceptions, sign in once: http://{addr}/login?token={write_token}"
            );
        }
        let _ = out.flush();
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        kspm_server::serve(listener, state, shutdown)
            .await
            .context("serving HTTP")
    })?;
    Ok(Exit::Clean)
}

/// A random 48-hex-digit token.
pub fn random_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness for a token: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
