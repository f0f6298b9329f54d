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
