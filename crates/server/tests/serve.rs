//! The server on a real loopback socket, spoken to with plain HTTP/1.1 over a TcpStream.

mod common;

use std::time::Duration;

use common::*;
use kspm_server::{AppState, AuthConfig, Limits, serve};
use kspm_store::Store;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Sends one request with `Connection: close` and returns (status, body).
async fn http(addr: std::net::SocketAddr, head: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "{head}\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut reply = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut reply))
        .await
        .expect("the server answers in time")
        .unwrap();
    let split = reply
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header block");
    let head = String::from_utf8_lossy(&reply[..split]).into_owned();
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let mut body = reply[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    (status, body)
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size");
        let size = usize::from_str_radix(std::str::from_utf8(&data[..line_end]).unwrap(), 16)
            .expect("hex chunk size");
        data = &data[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

#[tokio::test]
async fn served_on_loopback_it_ingests_and_answers_then_shuts_down() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("kspm.db")).unwrap();
    let state = AppState::new(
        store,
        AuthConfig {
            write_token: WRITE.into(),
            read_token: None,
        },
        Limits::default(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, state, async {
        let _ = stopped.await;
    }));

    let (status, body) = http(addr, "GET /healthz HTTP/1.1", b"").await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));

    let findings = vec![
        finding(
            "web",
            "shop",
            "pod_privileged",
            "5.2.2",
            "Pod Security Standards",
            "failed",
        ),
        finding(
            "web",
            "shop",
            "pod_host_pid",
            "5.2.3",
            "Pod Security Standards",
            "passed",
        ),
    ];
    let head = format!(
        "POST /api/v1/ingest?cycle={}&batch=0&final=true&cluster={CLUSTER}&scope=cluster HTTP/1.1\r\n\
         Authorization: Bearer {WRITE}\r\nContent-Type: application/x-ndjson",
        cycle(1)
    );
    let (status, body) = http(addr, &head, ndjson(&findings).as_bytes()).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let answer: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(answer["accepted"], 2);

    let (status, body) = http(addr, "GET /api/v1/findings/export.ndjson HTTP/1.1", b"").await;
    assert_eq!(status, 200);
    assert_eq!(String::from_utf8_lossy(&body).lines().count(), 2);

    let (status, body) = http(addr, "GET /api/v1/dashboard HTTP/1.1", b"").await;
    assert_eq!(status, 200);
    let dash: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(dash["overall"]["score"], 50.0);

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("serve returns after shutdown")
        .unwrap()
        .unwrap();
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "the port is closed"
    );
}

#[tokio::test]
async fn the_server_prunes_abandoned_cycles_on_a_timer() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("kspm.db")).unwrap();
    let state = AppState::new(
        store.clone(),
        AuthConfig {
            write_token: WRITE.into(),
            read_token: None,
        },
        Limits {
            abandoned_cycle_after: Duration::ZERO,
            prune_every: Duration::from_millis(100),
            ..Limits::default()
        },
    );
    // A cycle begun a minute ago that never completes.
    store
        .begin_cycle(&kspm_store::CycleStart {
            cycle_id: cycle(1),
            cluster: kspm_model::ClusterInfo {
                id: CLUSTER.into(),
                name: "prod".into(),
                version: None,
                platform: None,
            },
            scope: kspm_model::Scope::Cluster,
            started_at: store.clock().now() - 60,
        })
        .unwrap();
    store.ingest_batch(&cycle(1), 0, &[]).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, state, async {
        let _ = stopped.await;
    }));
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        match store.ingest_batch(&cycle(1), 1, &[]) {
            Err(kspm_store::Error::UnknownCycle(_)) => break,
            Ok(_) => {}
            Err(err) => panic!("{err}"),
        }
        assert!(std::time::Instant::now() < deadline, "never pruned");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

/// Serves a fresh store with `limits`; returns the address, the stop switch and the task.
async fn start(
    limits: Limits,
) -> (
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<kspm_server::Result<()>>,
    tempfile::TempDir,
) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("kspm.db")).unwrap();
    let state = AppState::new(
        store,
        AuthConfig {
            write_token: WRITE.into(),
            read_token: None,
        },
        limits,
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, state, async {
        let _ = stopped.await;
    }));
    (addr, stop, server, dir)
}

/// True when the server closed the connection (EOF or reset) within `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 512];
    loop {
        match tokio::time::timeout(within, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            // A 408 or similar before closing is fine; keep reading to the close.
            Ok(Ok(_)) => {}
        }
    }
}

#[tokio::test]
async fn half_sent_request_heads_neither_starve_healthz_nor_stay_open() {
    let (addr, stop, server, _dir) = start(Limits {
        header_read_timeout: Duration::from_secs(2),
        ..Limits::default()
    })
    .await;
    let mut slow = Vec::new();
    for _ in 0..300 {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .await
            .unwrap();
        slow.push(stream);
    }
    let started = std::time::Instant::now();
    let (status, _) = http(addr, "GET /healthz HTTP/1.1", b"").await;
    assert_eq!(status, 200);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "healthz took {:?}",
        started.elapsed()
    );
    // Every slow connection is closed once its head is overdue.
    for stream in &mut slow {
        assert!(closed_within(stream, Duration::from_secs(10)).await);
    }
    let (_, metrics) = http(addr, "GET /metrics HTTP/1.1", b"").await;
    let metrics = String::from_utf8_lossy(&metrics).into_owned();
    assert!(
        metrics.contains("kspm_http_header_timeouts_total 300"),
        "{metrics}"
    );
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_body_that_stops_arriving_closes_the_connection() {
    let (addr, stop, server, _dir) = start(Limits {
        idle_timeout: Duration::from_secs(1),
        ..Limits::default()
    })
    .await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            format!(
                "POST /api/v1/ingest?cycle={}&batch=0&cluster={CLUSTER} HTTP/1.1\r\nHost: x\r\n\
                 Authorization: Bearer {WRITE}\r\nContent-Length: 100000\r\n\r\n{{",
                cycle(1)
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    assert!(closed_within(&mut stream, Duration::from_secs(10)).await);
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn connections_past_the_limit_are_closed_and_counted() {
    let (addr, stop, server, _dir) = start(Limits {
        max_connections: 4,
        header_read_timeout: Duration::from_secs(2),
        ..Limits::default()
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(TcpStream::connect(addr).await.unwrap());
    }
    // Give the server a moment to accept the four.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut extra = TcpStream::connect(addr).await.unwrap();
    assert!(closed_within(&mut extra, Duration::from_secs(1)).await);
    // Once the held ones time out, the server answers again.
    for stream in &mut held {
        assert!(closed_within(stream, Duration::from_secs(10)).await);
    }
    let (_, metrics) = http(addr, "GET /metrics HTTP/1.1", b"").await;
    let metrics = String::from_utf8_lossy(&metrics).into_owned();
    assert!(
        metrics.contains("kspm_http_connections_refused_total 1"),
        "{metrics}"
    );
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
