//! The `labnet` binary itself: its commands, JSON logs and a clean stop on SIGTERM.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `GET /readyz` over a plain socket; `None` until the service answers 200.
fn get_readyz(port: u16) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .write_all(b"GET /readyz HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: cli-check-1\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.starts_with("HTTP/1.1 200").then_some(response)
}

#[test]
fn openapi_command_prints_the_committed_spec() {
    let output = Command::new(env!("CARGO_BIN_EXE_labnet"))
        .arg("openapi")
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        include_str!("../../openapi/openapi.json")
    );
}

#[test]
fn migrate_command_creates_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/labnet.db");
    let output = Command::new(env!("CARGO_BIN_EXE_labnet"))
        .arg("migrate")
        .env("DATABASE_URL", format!("sqlite://{}", path.display()))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(path.exists());
}

#[test]
fn a_bad_database_url_is_refused_at_start() {
    let output = Command::new(env!("CARGO_BIN_EXE_labnet"))
        .arg("migrate")
        .env("DATABASE_URL", "mysql://root:secret@127.0.0.1/labnet")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("DATABASE_URL") && !stderr.contains("secret"),
        "{stderr}"
    );
}

#[test]
fn serve_logs_json_lines_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_labnet"))
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.path().join("labnet.db").display()),
        )
        .env("LABNET_BIND", format!("127.0.0.1:{port}"))
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let started = Instant::now();
    let body = loop {
        if let Some(response) = get_readyz(port) {
            break response;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the service did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(body.contains("\"sqlite\""), "{body}");

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "the service did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "exit status {exit}");

    let mut logs = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    let request_line = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|line| {
            line["fields"]["message"] == "request served"
                && line["span"]["request_id"] == "cli-check-1"
        })
        .unwrap_or_else(|| panic!("no JSON request line in:\n{logs}"));
    assert_eq!(request_line["fields"]["status"], 200);
    assert_eq!(request_line["span"]["route"], "/readyz");
    assert_eq!(request_line["span"]["method"], "GET");
    assert!(request_line["fields"]["latency_ms"].is_number());
    assert!(
        logs.lines().any(|line| line.contains("labnet stopped")),
        "{logs}"
    );
}
