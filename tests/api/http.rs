//! The HTTP contract every endpoint shares, exercised through regions: request ids, content
//! types and body limits, unknown routes and methods, CORS, compression, the operational
//! endpoints, concurrent writers, and a database outage.

use std::time::{Duration, Instant};

use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, Response};
use serde_json::{json, Value};

use crate::backend_tests;
use crate::common::{
    json_with_status, names_field, postgres_address, problem, spawn_app, spawn_app_via_proxy,
    spawn_app_via_proxy_with, spawn_app_with, Backend, TcpProxy, TestApp,
};

backend_tests!(
    request_id_is_kept_when_sane_and_generated_otherwise,
    content_type_is_checked,
    malformed_json_is_a_bad_request,
    body_over_the_limit_is_refused,
    unknown_routes_and_methods,
    cors_allows_configured_origins_only,
    cors_without_origins_does_not_block_plain_requests,
    refused_cors_preflights_are_problems,
    errors_of_the_http_decoder_are_bare,
    a_slow_request_head_gets_a_bare_408,
    large_lists_are_compressed,
    health_readiness_and_metrics,
    unknown_methods_share_one_metrics_label,
    a_trickled_body_is_answered_408_in_time,
    concurrent_writers_all_succeed,
    concurrent_writers_of_one_code_get_one_winner,
    database_outage_is_a_503_and_recovers,
    database_timeouts_are_set_on_every_connection,
);

fn header(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|value| value.to_str().expect("header text").to_owned())
}

fn country_body(code: &str) -> Value {
    json!({"code": code, "name": format!("Страна {code}"), "country_code": code, "level": "country"})
}

/// Sends a raw body with the given headers.
async fn send_raw(
    app: &TestApp,
    method: Method,
    path: &str,
    body: impl Into<reqwest::Body>,
    headers: &[(&str, &str)],
) -> Response {
    let mut builder = app.client.request(method, app.url(path)).body(body);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.send().await.expect("request sent")
}

async fn request_id_is_kept_when_sane_and_generated_otherwise(backend: Backend) {
    let app = spawn_app(backend).await;
    let get_with = |id: Option<String>| {
        let app = &app;
        async move {
            match &id {
                Some(id) => {
                    app.request(Method::GET, "/v1/regions", None, &[("x-request-id", id)])
                        .await
                }
                None => app.get("/v1/regions").await,
            }
        }
    };

    for sane in [
        "abc-123",
        "req_42.retry:1",
        "01J9ZQ4V8K3M2N1P0Q9R8S7T6U",
        &"a".repeat(128),
    ] {
        let response = get_with(Some(sane.to_owned())).await;
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "x-request-id").as_deref(), Some(sane));
    }
    let mut generated = Vec::new();
    for insane in [
        Some("a".repeat(129)),
        Some("has spaces in it".to_owned()),
        Some("semi;colon".to_owned()),
        Some("quote\"d".to_owned()),
        Some(String::new()),
        None,
    ] {
        let response = get_with(insane.clone()).await;
        assert_eq!(response.status(), 200);
        let id = header(&response, "x-request-id").expect("a generated request id");
        assert_ne!(Some(&id), insane.as_ref(), "{insane:?} must be replaced");
        uuid::Uuid::parse_str(&id).expect("generated ids are UUIDs");
        generated.push(id);
    }
    let distinct: std::collections::HashSet<&String> = generated.iter().collect();
    assert_eq!(
        distinct.len(),
        generated.len(),
        "every request gets its own id"
    );

    // The problem document carries the same id and the request path.
    let response = app
        .request(
            Method::GET,
            "/v1/regions/not-a-uuid",
            None,
            &[("x-request-id", "trace-4711")],
        )
        .await;
    assert_eq!(
        header(&response, "x-request-id").as_deref(),
        Some("trace-4711")
    );
    let body = problem(response, 404).await;
    assert_eq!(body["request_id"], "trace-4711");
    assert_eq!(body["instance"], "/v1/regions/not-a-uuid");

    let response = app.post("/v1/regions", &json!({"code": "XX"})).await;
    let id = header(&response, "x-request-id").expect("request id");
    let body = problem(response, 422).await;
    assert_eq!(body["request_id"], id.as_str());
    assert_eq!(body["instance"], "/v1/regions");

    let response = app
        .request(
            Method::GET,
            "/v1/regions?sort=colour",
            None,
            &[("x-request-id", "has spaces")],
        )
        .await;
    let id = header(&response, "x-request-id").expect("request id");
    assert_ne!(id, "has spaces");
    let body = problem(response, 400).await;
    assert_eq!(body["request_id"], id.as_str());
    assert_eq!(body["instance"], "/v1/regions");
}

async fn content_type_is_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = country_body("RU").to_string();
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("application/xml"),
        Some("json"),
        None,
    ] {
        let headers: Vec<(&str, &str)> = content_type
            .map(|t| ("content-type", t))
            .into_iter()
            .collect();
        let response = send_raw(&app, Method::POST, "/v1/regions", body.clone(), &headers).await;
        let refused = problem(response, 415).await;
        assert_eq!(
            refused["type"], "/problems/unsupported-media-type",
            "{content_type:?}"
        );
        assert_eq!(refused["instance"], "/v1/regions");
    }
    assert_eq!(app.count_rows("regions").await, 0);

    let response = send_raw(
        &app,
        Method::POST,
        "/v1/regions",
        body.clone(),
        &[("content-type", "application/json; charset=utf-8")],
    )
    .await;
    let ru = json_with_status(response, 201).await;
    assert_eq!(app.count_rows("regions").await, 1);
    let path = format!("/v1/regions/{}", ru["id"].as_str().unwrap());

    for (content_type, name) in [
        ("application/merge-patch+json", "Россия"),
        ("application/json", "Российская Федерация"),
        ("Application/Merge-Patch+JSON; charset=UTF-8", "РФ"),
    ] {
        let response = send_raw(
            &app,
            Method::PATCH,
            &path,
            json!({"name": name}).to_string(),
            &[("content-type", content_type)],
        )
        .await;
        assert_eq!(
            json_with_status(response, 200).await["name"],
            name,
            "{content_type}"
        );
    }
    for content_type in [Some("text/plain"), None] {
        let headers: Vec<(&str, &str)> = content_type
            .map(|t| ("content-type", t))
            .into_iter()
            .collect();
        let response = send_raw(
            &app,
            Method::PATCH,
            &path,
            json!({"name": "X"}).to_string(),
            &headers,
        )
        .await;
        problem(response, 415).await;
    }
    let stored = json_with_status(app.get(&path).await, 200).await;
    assert_eq!(stored["name"], "РФ");
    assert_eq!(stored["version"], 4);
}

async fn malformed_json_is_a_bad_request(backend: Backend) {
    let app = spawn_app(backend).await;
    for raw in [
        "{\"code\": ",
        "{\"code\": \"RU\",}",
        "{code: 'RU'}",
        "",
        "{} trailing",
        "\u{feff}{}",
        "{\"name\": \"\\ud800\"}",
    ] {
        let response = send_raw(
            &app,
            Method::POST,
            "/v1/regions",
            raw.to_owned(),
            &[("content-type", "application/json")],
        )
        .await;
        let refused = problem(response, 400).await;
        assert_eq!(refused["type"], "/problems/bad-request", "{raw:?}");
        assert_eq!(refused["instance"], "/v1/regions");
    }
    // Nothing may follow the document, even when the document itself is a valid body.
    let valid = country_body("RU").to_string();
    for raw in [
        format!("{valid} x"),
        format!("{valid}{valid}"),
        format!("{valid}]"),
    ] {
        let response = send_raw(
            &app,
            Method::POST,
            "/v1/regions",
            raw.clone(),
            &[("content-type", "application/json")],
        )
        .await;
        let refused = problem(response, 400).await;
        assert_eq!(refused["type"], "/problems/bad-request", "{raw}");
    }
    assert_eq!(app.count_rows("regions").await, 0);
    // Trailing whitespace is fine.
    let response = send_raw(
        &app,
        Method::POST,
        "/v1/regions",
        format!("{valid}\n\t "),
        &[("content-type", "application/json")],
    )
    .await;
    json_with_status(response, 201).await;
    app.delete(&format!(
        "/v1/regions/{}",
        json_with_status(app.get("/v1/regions").await, 200).await["items"][0]["id"]
            .as_str()
            .unwrap()
    ))
    .await;
    // Invalid UTF-8 is malformed too.
    let response = send_raw(
        &app,
        Method::POST,
        "/v1/regions",
        b"{\"code\": \"\xff\xfe\"}".to_vec(),
        &[("content-type", "application/json")],
    )
    .await;
    problem(response, 400).await;
    // Well-formed JSON of the wrong shape is a 422, not a 400.
    for (raw, field) in [
        ("[1, 2]", "body"),
        ("\"RU\"", "body"),
        ("null", "body"),
        ("42", "body"),
        ("{\"code\": 5}", "code"),
        // Not even a complete body given by position.
        ("[\"RU\", \"Россия\", \"RU\", null, \"country\"]", "body"),
    ] {
        let response = send_raw(
            &app,
            Method::POST,
            "/v1/regions",
            raw.to_owned(),
            &[("content-type", "application/json")],
        )
        .await;
        let refused = problem(response, 422).await;
        assert!(names_field(&refused, field), "{raw}: {refused}");
    }
    assert_eq!(app.count_rows("regions").await, 0);
    let ru = app.create_country("RU", "Россия").await;
    let response = send_raw(
        &app,
        Method::PATCH,
        &format!("/v1/regions/{}", ru["id"].as_str().unwrap()),
        "{\"name\": ".to_owned(),
        &[("content-type", "application/merge-patch+json")],
    )
    .await;
    problem(response, 400).await;
    assert_eq!(app.count_rows("regions").await, 1);
}

/// A valid country body padded with spaces to exactly `length` bytes.
fn padded_body(code: &str, length: usize) -> String {
    let body = country_body(code).to_string();
    assert!(body.len() <= length);
    format!("{body}{}", " ".repeat(length - body.len()))
}

/// Posts `body` to `/v1/regions` with `Transfer-Encoding: chunked` over a plain socket and
/// returns the response head.
async fn raw_chunked_post(app: &TestApp, body: &str, chunk_size: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.base_url.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let mut request = with_key(
        app,
        b"POST /v1/regions HTTP/1.1\r\nHost: localhost\r\n\
        Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
    );
    for chunk in body.as_bytes().chunks(chunk_size) {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    // The server may answer and close before reading everything; that is fine.
    let _ = stream.write_all(&request).await;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    let text = String::from_utf8_lossy(&response).into_owned();
    text.split("\r\n\r\n").next().unwrap_or_default().to_owned()
}

async fn body_over_the_limit_is_refused(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.body_limit = 2048).await;
    let at_limit = padded_body("RU", 2048);
    let response = send_raw(
        &app,
        Method::POST,
        "/v1/regions",
        at_limit,
        &[("content-type", "application/json")],
    )
    .await;
    json_with_status(response, 201).await;

    for length in [2049, 64 * 1024] {
        let response = send_raw(
            &app,
            Method::POST,
            "/v1/regions",
            padded_body("KZ", length),
            &[("content-type", "application/json")],
        )
        .await;
        let refused = problem(response, 413).await;
        assert_eq!(refused["type"], "/problems/payload-too-large");
        assert!(
            refused["detail"].as_str().unwrap().contains("2048"),
            "{refused}"
        );
    }
    // A chunked body (no declared length) is cut off at the limit as well.
    let head = raw_chunked_post(&app, &padded_body("BY", 4096), 512).await;
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("application/problem+json"),
        "{head}"
    );
    let head = raw_chunked_post(&app, &padded_body("BY", 2000), 512).await;
    assert!(head.starts_with("HTTP/1.1 201"), "{head}");
    app.delete(&format!(
        "/v1/regions/{}",
        json_with_status(app.get("/v1/regions?country_code=BY").await, 200).await["items"][0]["id"]
            .as_str()
            .unwrap()
    ))
    .await;
    assert_eq!(app.count_rows("regions").await, 1);

    let ru = json_with_status(app.get("/v1/regions").await, 200).await["items"][0].clone();
    let path = format!("/v1/regions/{}", ru["id"].as_str().unwrap());
    let big_patch = format!("{{\"name\": \"{}\"}}", "ы".repeat(1100));
    let response = send_raw(
        &app,
        Method::PATCH,
        &path,
        big_patch,
        &[("content-type", "application/merge-patch+json")],
    )
    .await;
    problem(response, 413).await;
    let stored = json_with_status(app.get(&path).await, 200).await;
    assert_eq!(stored["version"], 1);
}

async fn unknown_routes_and_methods(backend: Backend) {
    let app = spawn_app(backend).await;
    let ru = app.create_country("RU", "Россия").await;
    let item = format!("/v1/regions/{}", ru["id"].as_str().unwrap());

    for (method, path) in [
        (Method::PUT, "/v1/regions".to_owned()),
        (Method::DELETE, "/v1/regions".to_owned()),
        (Method::PATCH, "/v1/regions".to_owned()),
        (Method::PUT, item.clone()),
        (Method::POST, item.clone()),
        (Method::POST, format!("{item}/ancestors")),
    ] {
        let response = send_raw(
            &app,
            method.clone(),
            &path,
            country_body("KZ").to_string(),
            &[("content-type", "application/json")],
        )
        .await;
        let allow = header(&response, "allow").unwrap_or_default();
        let refused = problem(response, 405).await;
        assert_eq!(
            refused["type"], "/problems/method-not-allowed",
            "{method} {path}"
        );
        assert_eq!(refused["instance"], path.as_str());
        assert!(!allow.is_empty(), "{method} {path}: Allow header");
        assert!(
            !allow.split(',').any(|m| m.trim() == method.as_str()),
            "{method} {path}: Allow `{allow}` lists the refused method"
        );
    }
    for path in [
        "/v1/nothing".to_owned(),
        "/nothing".to_owned(),
        "/v2/regions".to_owned(),
        format!("{item}/children"),
        format!("{item}/ancestors/extra"),
    ] {
        let refused = problem(app.get(&path).await, 404).await;
        assert_eq!(refused["type"], "/problems/not-found", "{path}");
        assert_eq!(refused["instance"], path.as_str());
    }
    assert_eq!(app.count_rows("regions").await, 1);
}

async fn cors_allows_configured_origins_only(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.cors_origins = "https://dash.example".to_owned()
    })
    .await;
    let ru = app.create_country("RU", "Россия").await;
    let item = format!("/v1/regions/{}", ru["id"].as_str().unwrap());

    let preflight = app
        .request(
            Method::OPTIONS,
            &item,
            None,
            &[
                ("origin", "https://dash.example"),
                ("access-control-request-method", "PATCH"),
                ("access-control-request-headers", "content-type, if-match"),
            ],
        )
        .await;
    assert!(preflight.status().is_success(), "{}", preflight.status());
    // What browsers and their instrumentation add is allowed too.
    let traced = app
        .request(
            Method::OPTIONS,
            &item,
            None,
            &[
                ("origin", "https://dash.example"),
                ("access-control-request-method", "GET"),
                (
                    "access-control-request-headers",
                    "authorization, traceparent, tracestate",
                ),
            ],
        )
        .await;
    assert!(traced.status().is_success(), "{}", traced.status());
    assert_eq!(
        header(&preflight, "access-control-allow-origin").as_deref(),
        Some("https://dash.example")
    );
    let methods = header(&preflight, "access-control-allow-methods").unwrap_or_default();
    assert!(methods.contains("PATCH"), "allowed methods: {methods}");
    let headers = header(&preflight, "access-control-allow-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(
        headers.contains("if-match") && headers.contains("content-type"),
        "allowed headers: {headers}"
    );

    let actual = app
        .request(
            Method::GET,
            &item,
            None,
            &[("origin", "https://dash.example")],
        )
        .await;
    assert_eq!(actual.status(), 200);
    assert_eq!(
        header(&actual, "access-control-allow-origin").as_deref(),
        Some("https://dash.example")
    );
    let exposed = header(&actual, "access-control-expose-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    for name in [
        "etag",
        "location",
        "x-request-id",
        "idempotent-replayed",
        "retry-after",
    ] {
        assert!(exposed.contains(name), "{name} not exposed: {exposed}");
    }
    assert!(header(&actual, "etag").is_some());

    // Errors carry the CORS headers too, so the browser lets the client read them.
    let missing = app
        .request(
            Method::GET,
            "/v1/regions/not-a-uuid",
            None,
            &[("origin", "https://dash.example")],
        )
        .await;
    assert_eq!(
        header(&missing, "access-control-allow-origin").as_deref(),
        Some("https://dash.example")
    );
    problem(missing, 404).await;

    for origin in [
        "https://evil.example",
        "http://dash.example",
        "https://dash.example.org",
    ] {
        let preflight = app
            .request(
                Method::OPTIONS,
                &item,
                None,
                &[
                    ("origin", origin),
                    ("access-control-request-method", "PATCH"),
                ],
            )
            .await;
        assert!(!preflight.status().is_server_error());
        assert_eq!(
            header(&preflight, "access-control-allow-origin"),
            None,
            "{origin}"
        );
        let actual = app
            .request(Method::GET, &item, None, &[("origin", origin)])
            .await;
        assert_eq!(
            header(&actual, "access-control-allow-origin"),
            None,
            "{origin}"
        );
        assert_eq!(actual.status(), 200);
    }
}

async fn cors_without_origins_does_not_block_plain_requests(backend: Backend) {
    // Browsers send Origin on same-origin writes (the docs page does); with no CORS origins
    // configured those must still go through, just without CORS headers.
    let app = spawn_app(backend).await;
    let response = app
        .request(
            Method::POST,
            "/v1/regions",
            Some(&country_body("RU")),
            &[("origin", "http://127.0.0.1")],
        )
        .await;
    assert_eq!(header(&response, "access-control-allow-origin"), None);
    json_with_status(response, 201).await;
    assert_eq!(app.count_rows("regions").await, 1);
}

/// A CORS preflight the settings refuse is a problem document with the request id: 403
/// `/problems/cors-refused` for an origin, method or header not allowed, 400
/// `/problems/bad-request` for a malformed preflight.
async fn refused_cors_preflights_are_problems(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.cors_origins = "https://dash.example".to_owned()
    })
    .await;
    let preflight =
        |origin: Option<&'static str>, method: &'static str, headers: Option<&'static str>| {
            let app = &app;
            async move {
                let mut sent = vec![
                    ("access-control-request-method", method),
                    ("x-request-id", "preflight-7"),
                ];
                if let Some(origin) = origin {
                    sent.push(("origin", origin));
                }
                if let Some(headers) = headers {
                    sent.push(("access-control-request-headers", headers));
                }
                app.request(Method::OPTIONS, "/v1/regions", None, &sent)
                    .await
            }
        };
    let refused = |response: Response, status: u16, problem_type: &'static str| async move {
        assert_eq!(response.status(), status);
        assert_eq!(
            header(&response, "content-type").as_deref(),
            Some("application/problem+json")
        );
        assert_eq!(
            header(&response, "x-request-id").as_deref(),
            Some("preflight-7")
        );
        assert_eq!(header(&response, "access-control-allow-origin"), None);
        let vary = header(&response, "vary")
            .unwrap_or_default()
            .to_ascii_lowercase();
        assert!(vary.contains("origin"), "vary: {vary}");
        let body: Value = response.json().await.expect("problem body");
        assert_eq!(body["type"], problem_type, "{body}");
        assert_eq!(body["status"], status, "{body}");
        assert_eq!(body["request_id"], "preflight-7", "{body}");
        assert_eq!(body["instance"], "/v1/regions", "{body}");
        body["detail"].as_str().expect("detail").to_owned()
    };

    for origin in ["https://evil.example", "http://dash.example"] {
        let detail = refused(
            preflight(Some(origin), "GET", None).await,
            403,
            "/problems/cors-refused",
        )
        .await;
        assert!(detail.contains(origin), "{detail}");
    }
    let detail = refused(
        preflight(Some("https://dash.example"), "PUT", None).await,
        403,
        "/problems/cors-refused",
    )
    .await;
    assert!(
        detail.contains("`PUT`") && detail.contains("PATCH"),
        "{detail}"
    );
    let detail = refused(
        preflight(
            Some("https://dash.example"),
            "PATCH",
            Some("if-match, x-secret"),
        )
        .await,
        403,
        "/problems/cors-refused",
    )
    .await;
    assert!(
        detail.contains("x-secret") && !detail.contains("not allowed across origins: if-match"),
        "{detail}"
    );
    // A preflight without an origin is malformed.
    refused(
        preflight(None, "GET", None).await,
        400,
        "/problems/bad-request",
    )
    .await;
    // What is allowed still is.
    let allowed = preflight(Some("https://dash.example"), "PATCH", Some("if-match")).await;
    assert_eq!(allowed.status(), 200);

    // Without configured origins, every preflight is refused the same way.
    let closed = spawn_app(backend).await;
    let response = closed
        .request(
            Method::OPTIONS,
            "/v1/regions",
            None,
            &[
                ("origin", "https://dash.example"),
                ("access-control-request-method", "GET"),
            ],
        )
        .await;
    assert_eq!(response.status(), 403);
    assert!(header(&response, "x-request-id").is_some());
    let body = problem(response, 403).await;
    assert_eq!(body["type"], "/problems/cors-refused");
}

/// One HTTP/1.1 exchange over a plain socket: writes `request` (as far as the server reads
/// it) and returns the status, the headers (names lower-cased) and the body of the answer.
/// `request` with the app's admin key after its request line.
fn with_key(app: &TestApp, request: &[u8]) -> Vec<u8> {
    let line_end = request
        .windows(2)
        .position(|pair| pair == b"\r\n")
        .map_or(request.len(), |at| at + 2);
    let mut keyed = request[..line_end].to_vec();
    if line_end < request.len() {
        keyed.extend_from_slice(format!("Authorization: Bearer {}\r\n", app.admin_key).as_bytes());
    }
    keyed.extend_from_slice(&request[line_end..]);
    keyed
}

async fn raw_exchange(app: &TestApp, request: &[u8]) -> (u16, Vec<(String, String)>, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.base_url.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    // The server may answer and close before reading everything; that is fine.
    let _ = stream.write_all(&with_key(app, request)).await;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the connection was not closed within 10 s");
    parse_answer(&answer)
}

fn parse_answer(answer: &[u8]) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(answer)));
    let head = String::from_utf8_lossy(&answer[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("status line {status_line:?}"));
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    (status, headers, answer[end + 4..].to_vec())
}

fn raw_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, value)| value.as_str())
}

/// Asserts the bare answer actix-http's HTTP/1 decoder gives before the application sees the
/// request: the status, no body, no content type, no request id, and the connection closed.
fn assert_bare(answer: &(u16, Vec<(String, String)>, Vec<u8>), status: u16, what: &str) {
    let (actual, headers, body) = answer;
    assert_eq!(*actual, status, "{what}: {headers:?}");
    assert!(
        body.is_empty(),
        "{what}: body {:?}",
        String::from_utf8_lossy(body)
    );
    assert_eq!(
        raw_header(headers, "content-length"),
        Some("0"),
        "{what}: {headers:?}"
    );
    assert_eq!(raw_header(headers, "content-type"), None, "{what}");
    assert_eq!(raw_header(headers, "x-request-id"), None, "{what}");
    assert_eq!(
        raw_header(headers, "connection"),
        Some("close"),
        "{what}: {headers:?}"
    );
}

/// The limits of the request head that actix-http enforces itself, as the README documents
/// them: a request target up to 65 534 bytes reaches the application; a longer one is a
/// bare 400; a head over 128 KiB or with more than 96 headers a bare 431; control bytes in
/// a header, or no `Host`, a bare 400.
async fn errors_of_the_http_decoder_are_bare(backend: Backend) {
    let app = spawn_app(backend).await;
    let target = |length: usize| {
        let prefix = "/v1/vendors/";
        format!("{prefix}{}", "x".repeat(length - prefix.len()))
    };
    let get = |target: &str, extra: &str| {
        format!("GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{extra}\r\n")
            .into_bytes()
    };

    // The longest target actix reads reaches the application: a problem with a request id.
    let (status, headers, body) = raw_exchange(&app, &get(&target(65_534), "")).await;
    assert_eq!(status, 404);
    assert_eq!(
        raw_header(&headers, "content-type"),
        Some("application/problem+json")
    );
    assert!(raw_header(&headers, "x-request-id").is_some());
    let body: Value = serde_json::from_slice(&body).expect("problem body");
    assert_eq!(body["type"], "/problems/not-found");
    // One byte more, and the decoder refuses it.
    let answer = raw_exchange(&app, &get(&target(65_535), "")).await;
    assert_bare(&answer, 400, "a 65 535-byte target");
    let answer = raw_exchange(&app, &get(&target(100_000), "")).await;
    assert_bare(&answer, 400, "a 100 000-byte target");
    // A target longer than the head buffer: the head is too large.
    let answer = raw_exchange(&app, &get(&target(140_000), "")).await;
    assert_bare(&answer, 431, "a 140 000-byte target");

    let huge = format!("X-Padding: {}\r\n", "p".repeat(131_072));
    let answer = raw_exchange(&app, &get("/v1/regions", &huge)).await;
    assert_bare(&answer, 431, "a 128 KiB header");
    // Host, Connection and Authorization plus 93 more make 96 headers, which are read; one
    // more is not.
    let many = |count: usize| -> String { (0..count).map(|n| format!("X-H{n}: v\r\n")).collect() };
    let (status, _, _) = raw_exchange(&app, &get("/v1/regions", &many(93))).await;
    assert_eq!(status, 200, "96 headers");
    let answer = raw_exchange(&app, &get("/v1/regions", &many(94))).await;
    assert_bare(&answer, 431, "97 headers");

    for (what, header_line) in [
        ("a control byte", "X-Note: a\u{1}b\r\n"),
        ("a NUL byte", "X-Note: a\u{0}b\r\n"),
        ("an escape", "X-Note: \u{1b}[31m\r\n"),
        ("DEL", "X-Note: a\u{7f}b\r\n"),
        ("a space in a header name", "X Note: a\r\n"),
    ] {
        let answer = raw_exchange(&app, &get("/v1/regions", header_line)).await;
        assert_bare(&answer, 400, what);
    }
    let answer = raw_exchange(
        &app,
        b"GET /v1/regions HTTP/1.1\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_bare(&answer, 400, "no Host");
    let answer = raw_exchange(
        &app,
        b"POST /v1/regions HTTP/1.1\r\nHost: localhost\r\nContent-Length: ten\r\n\r\n",
    )
    .await;
    assert_bare(&answer, 400, "an unreadable Content-Length");
    let answer = raw_exchange(
        &app,
        b"POST /v1/regions HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\
          Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    )
    .await;
    assert_bare(&answer, 400, "Content-Length with Transfer-Encoding");
    let answer = raw_exchange(&app, b"GET /v1/regions HTTP/1.7\r\nHost: localhost\r\n\r\n").await;
    assert_bare(&answer, 400, "an unknown HTTP version");
    let answer = raw_exchange(
        &app,
        b"GE(T /v1/regions HTTP/1.1\r\nHost: localhost\r\n\r\n",
    )
    .await;
    assert_bare(&answer, 400, "an invalid method token");
    // Bytes above 0x7f in a header value are read and passed on.
    let (status, _, _) = raw_exchange(
        &app,
        b"GET /v1/regions HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nX-Note: caf\xe9\r\n\r\n",
    )
    .await;
    assert_eq!(status, 200, "obs-text in a header value");
    // None of the refused heads reached the application: none was counted.
    let metrics = app.get("/metrics").await.text().await.unwrap();
    let counted: f64 = metrics
        .lines()
        .filter(|line| line.starts_with("http_requests_total{"))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert_eq!(
        counted, 3.0,
        "only the 65 534-byte target, the 96 headers and the obs-text: {metrics}"
    );
}

/// A request head that does not arrive within 5 s gets a bare 408 from actix-http, and the
/// connection is closed (a slow body, by contrast, gets a problem document).
async fn a_slow_request_head_gets_a_bare_408(backend: Backend) {
    let app = spawn_app(backend).await;
    let started = Instant::now();
    let answer = raw_exchange(&app, b"GET /v1/regions HTTP/1.1\r\nHost: localhost\r\n").await;
    assert_bare(&answer, 408, "a head that never ends");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(4500) && elapsed < Duration::from_secs(9),
        "{elapsed:?}"
    );
}

async fn large_lists_are_compressed(backend: Backend) {
    let app = spawn_app(backend).await;
    let ru = app.create_country("RU", "Россия").await;
    for i in 0..60 {
        app.create_region(
            &ru,
            &format!("RU-R{i:02}"),
            &format!("Регион номер {i}"),
            "region",
        )
        .await;
    }
    let path = "/v1/regions?page_size=60";
    let plain = app.get(path).await;
    assert_eq!(header(&plain, "content-encoding"), None);
    let plain_bytes = plain.bytes().await.unwrap();
    let page: Value = serde_json::from_slice(&plain_bytes).unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 60);

    for (encoding, magic) in [("gzip", Some([0x1f_u8, 0x8b])), ("br", None)] {
        let response = app
            .request(Method::GET, path, None, &[("accept-encoding", encoding)])
            .await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            header(&response, "content-encoding").as_deref(),
            Some(encoding)
        );
        let vary = header(&response, "vary")
            .unwrap_or_default()
            .to_ascii_lowercase();
        assert!(vary.contains("accept-encoding"), "Vary: {vary}");
        assert_eq!(
            header(&response, "content-type").as_deref(),
            Some("application/json")
        );
        let bytes = response.bytes().await.unwrap();
        if let Some(magic) = magic {
            assert_eq!(&bytes[..2], &magic, "{encoding} magic bytes");
        }
        assert!(
            bytes.len() * 3 < plain_bytes.len(),
            "{encoding}: {} bytes compressed vs {} plain",
            bytes.len(),
            plain_bytes.len()
        );
    }
}

/// The value of the first metrics sample whose line starts with `name{` and holds every label.
fn metric_value(metrics: &str, name: &str, labels: &[&str]) -> Option<f64> {
    metrics
        .lines()
        .filter(|line| line.starts_with(&format!("{name}{{")))
        .find(|line| labels.iter().all(|label| line.contains(label)))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

/// A client that sends its head and then trickles the body gets 408 once the body timeout
/// has passed, for plain and idempotent POSTs alike; nothing is written.
async fn a_trickled_body_is_answered_408_in_time(backend: Backend) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app_with(backend, |settings| settings.body_timeout = 1).await;
    let address = app.base_url.trim_start_matches("http://").to_owned();
    for extra in ["", "Idempotency-Key: slow-1\r\n"] {
        let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
        let head = format!(
            "POST /v1/vendors HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
             Authorization: Bearer {}\r\nContent-Length: 200\r\n{extra}\r\n",
            app.admin_key
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let started = Instant::now();
        let trickle = async {
            for byte in b"{\"name\": \"Slow" {
                if stream.write_all(&[*byte]).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        };
        let _ = tokio::time::timeout(Duration::from_millis(900), trickle).await;
        let mut answer = Vec::new();
        let read =
            tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
        assert!(read.is_ok(), "no answer within 5 s");
        let elapsed = started.elapsed();
        let text = String::from_utf8_lossy(&answer);
        assert!(text.starts_with("HTTP/1.1 408"), "{extra}: {text}");
        assert!(text.contains("/problems/request-timeout"), "{text}");
        assert!(elapsed < Duration::from_secs(4), "{elapsed:?}");
    }
    assert_eq!(app.count_rows("vendors").await, 0);
}

async fn unknown_methods_share_one_metrics_label(backend: Backend) {
    let app = spawn_app(backend).await;
    for n in 0..20 {
        let method = Method::from_bytes(format!("BREW{n:0>150}").as_bytes()).unwrap();
        let response = app.request(method, "/v1/regions", None, &[]).await;
        assert!(response.status().is_client_error(), "{}", response.status());
    }
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(!metrics.contains("BREW"), "a method token became a label");
    let other: f64 = metrics
        .lines()
        .filter(|line| {
            line.starts_with("http_requests_total{") && line.contains(r#"method="other""#)
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert_eq!(other, 20.0, "{metrics}");
}

async fn health_readiness_and_metrics(backend: Backend) {
    let app = spawn_app(backend).await;
    let health = app.get("/healthz").await;
    assert_eq!(json_with_status(health, 200).await, json!({"status": "ok"}));
    let ready = json_with_status(app.get("/readyz").await, 200).await;
    let backend_name = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(ready, json!({"status": "ok", "database": backend_name}));

    let ru = app.create_country("RU", "Россия").await;
    let id = ru["id"].as_str().unwrap().to_owned();
    for _ in 0..3 {
        json_with_status(app.get("/v1/regions").await, 200).await;
    }
    json_with_status(app.get(&format!("/v1/regions/{id}")).await, 200).await;
    problem(app.get("/v1/regions?sort=colour").await, 400).await;
    problem(app.get(&format!("/v1/nothing/{id}")).await, 404).await;

    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    let content_type = header(&response, CONTENT_TYPE.as_str()).unwrap_or_default();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let metrics = response.text().await.unwrap();
    let list_ok = [
        r#"route="/v1/regions""#,
        r#"method="GET""#,
        r#"status="200""#,
    ];
    assert_eq!(
        metric_value(&metrics, "http_requests_total", &list_ok),
        Some(3.0),
        "{metrics}"
    );
    assert_eq!(
        metric_value(
            &metrics,
            "http_requests_total",
            &[
                r#"route="/v1/regions""#,
                r#"method="GET""#,
                r#"status="400""#
            ]
        ),
        Some(1.0)
    );
    assert_eq!(
        metric_value(
            &metrics,
            "http_requests_total",
            &[
                r#"route="/v1/regions""#,
                r#"method="POST""#,
                r#"status="201""#
            ]
        ),
        Some(1.0)
    );
    assert_eq!(
        metric_value(
            &metrics,
            "http_requests_total",
            &[r#"route="/v1/regions/{id}""#, r#"status="200""#]
        ),
        Some(1.0)
    );
    assert!(
        !metrics.contains(&id),
        "concrete ids must not become label values: {metrics}"
    );
    let mut bucket_labels = list_ok.to_vec();
    bucket_labels.push(r#"le="+Inf""#);
    assert_eq!(
        metric_value(
            &metrics,
            "http_request_duration_seconds_bucket",
            &bucket_labels
        ),
        Some(3.0)
    );
    assert!(metrics.contains("http_request_duration_seconds_sum{"));
    assert!(metrics.contains("# TYPE http_request_duration_seconds histogram"));
    let idle = metric_value(&metrics, "db_pool_connections", &[r#"state="idle""#])
        .expect("idle connections gauge");
    assert!(idle >= 1.0, "idle connections: {idle}");
    assert!(metric_value(&metrics, "db_pool_connections", &[r#"state="in_use""#]).is_some());
}

async fn concurrent_writers_all_succeed(backend: Backend) {
    let app = std::sync::Arc::new(spawn_app(backend).await);
    let ru = app.create_country("RU", "Россия").await;
    let mut tasks = Vec::new();
    for writer in 0..32 {
        let app = std::sync::Arc::clone(&app);
        let parent = ru["id"].clone();
        tasks.push(actix_web::rt::spawn(async move {
            let mut results = Vec::new();
            for n in 0..5 {
                let response = app
                    .post(
                        "/v1/regions",
                        &json!({"code": format!("RU-W{writer:02}N{n}"), "name": format!("Район {writer}-{n}"),
                            "country_code": "RU", "level": "region", "parent_id": parent}),
                    )
                    .await;
                let status = response.status().as_u16();
                let body = response.text().await.unwrap();
                results.push((status, body));
            }
            results
        }));
    }
    let mut created = Vec::new();
    for task in tasks {
        for (status, body) in task.await.unwrap() {
            assert!(status < 500, "{status}: {body}");
            assert_eq!(status, 201, "{body}");
            let region: Value = serde_json::from_str(&body).unwrap();
            created.push(region["id"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(created.len(), 160);
    assert_eq!(app.count_rows("regions").await, 161);
    let mut stored = app
        .db_texts("SELECT CAST(id AS TEXT) AS value FROM regions WHERE level = 'region'")
        .await;
    stored.sort();
    created.sort();
    assert_eq!(stored, created);
}

async fn concurrent_writers_of_one_code_get_one_winner(backend: Backend) {
    let app = std::sync::Arc::new(spawn_app(backend).await);
    let ru = app.create_country("RU", "Россия").await;
    for round in 0..3 {
        let code = format!("RU-RACE{round}");
        let mut tasks = Vec::new();
        for writer in 0..32 {
            let app = std::sync::Arc::clone(&app);
            let body = json!({"code": code, "name": format!("Гонка {writer}"), "country_code": "RU",
                "level": "region", "parent_id": ru["id"]});
            tasks.push(actix_web::rt::spawn(async move {
                let response = app.post("/v1/regions", &body).await;
                let status = response.status().as_u16();
                (status, response.text().await.unwrap())
            }));
        }
        let mut winners = 0;
        for task in tasks {
            let (status, body) = task.await.unwrap();
            match status {
                201 => winners += 1,
                409 => {
                    let conflict: Value = serde_json::from_str(&body).unwrap();
                    assert_eq!(conflict["type"], "/problems/duplicate", "{conflict}");
                    assert!(names_field(&conflict, "code"), "{conflict}");
                }
                other => panic!("{other}: {body}"),
            }
        }
        assert_eq!(winners, 1, "round {round}");
        let owners = app
            .db_texts(&format!(
                "SELECT CAST(id AS TEXT) AS value FROM regions WHERE code = '{code}'"
            ))
            .await;
        assert_eq!(owners.len(), 1);
    }
    assert_eq!(app.count_rows("regions").await, 4);
}

/// Polls `path` until it answers 200 or `within` has passed; returns the last status.
async fn wait_for_ok(app: &TestApp, path: &str, within: Duration) -> u16 {
    let deadline = Instant::now() + within;
    loop {
        let response = app.get(path).await;
        let status = response.status().as_u16();
        assert!(status == 200 || status == 503, "{path} answered {status}");
        if status == 200 || Instant::now() > deadline {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn assert_unavailable(response: Response) {
    let retry_after = header(&response, "retry-after");
    let body = problem(response, 503).await;
    assert_eq!(body["type"], "/problems/unavailable", "{body}");
    let seconds: u32 = retry_after
        .expect("Retry-After header")
        .parse()
        .expect("Retry-After in seconds");
    assert!(seconds >= 1);
    let text = body.to_string().to_lowercase();
    for leak in [
        "select",
        "postgres://",
        "sqlite",
        "connection refused",
        "/src/",
    ] {
        assert!(!text.contains(leak), "the body leaks `{leak}`: {body}");
    }
}

async fn database_outage_is_a_503_and_recovers(backend: Backend) {
    match backend {
        Backend::Postgres => {
            postgres_outage().await;
            postgres_stall().await;
        }
        Backend::Sqlite => sqlite_write_lock().await,
    }
}

/// Awaits `request`, returning its response and how long it took.
async fn timed(request: impl std::future::Future<Output = Response>) -> (Response, Duration) {
    let started = Instant::now();
    let response = request.await;
    (response, started.elapsed())
}

/// Asserts that `path` answers 200 within `within` (the process itself is fine).
async fn assert_ok_within(app: &TestApp, path: &str, within: Duration) {
    let (response, took) = timed(app.get(path)).await;
    assert_eq!(response.status(), 200, "{path}");
    assert!(took < within, "{path} took {took:?}");
}

/// Waits until no pooled connection is checked out, i.e. every call the test started, or
/// that was left waiting on the database, has ended.
async fn wait_for_idle_pool(app: &TestApp, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let state = app.pool.state();
        if state.connections == state.idle_connections {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "connections still in use: {state:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Checks out `count` connections at once and gives them back, so that many are idle.
async fn open_connections(app: &TestApp, count: usize) {
    let pool = app.pool.clone();
    actix_web::web::block(move || {
        let held: Vec<_> = (0..count)
            .map(|_| pool.get().expect("connection"))
            .collect();
        drop(held);
    })
    .await
    .expect("open connections");
    let idle = app.pool.state().idle_connections;
    assert!(idle as usize >= count, "idle connections: {idle}");
}

/// PostgreSQL stops answering while every connection stays open (the proxy holds every
/// byte, so neither the server's `statement_timeout` nor TCP can end the wait), then
/// answers again; later it stalls again and comes back with every connection cut.
async fn postgres_stall() {
    const DB_TIMEOUT: Duration = Duration::from_secs(2);
    let proxy = TcpProxy::start(&postgres_address()).await;
    let app = spawn_app_via_proxy_with(&proxy, |settings| {
        settings.db_timeout = DB_TIMEOUT.as_secs();
        settings.db_statement_timeout = 1;
        settings.db_connect_timeout = 2;
        settings.db_tcp_user_timeout = 2;
    })
    .await;
    // What scheduling on a busy test machine may add to a deadline.
    let slack = Duration::from_millis(750);
    let quick = Duration::from_secs(2);
    let ru = app.create_country("RU", "Россия").await;
    let item = format!("/v1/regions/{}", ru["id"].as_str().unwrap());
    // Open connections for every call below, so each of them finds one idle and sends its
    // statements into the stall.
    open_connections(&app, 6).await;
    json_with_status(app.get(&item).await, 200).await;

    proxy.stall();
    // The process answers without the database.
    assert_ok_within(&app, "/healthz", quick).await;
    assert_ok_within(&app, "/metrics", quick).await;
    // Requests that need it are answered 503 by the deadline, side by side.
    let kz = country_body("KZ");
    let (list, create, ready) = tokio::join!(
        timed(app.get("/v1/regions")),
        timed(app.post("/v1/regions", &kz)),
        timed(app.get("/readyz")),
    );
    for (name, (response, took), within) in [
        ("list", list, DB_TIMEOUT + slack),
        ("create", create, DB_TIMEOUT + slack),
        ("readiness", ready, Duration::from_secs(2) + slack),
    ] {
        eprintln!("stalled database: {name} answered in {took:?}");
        assert!(took < within, "{name} took {took:?}");
        assert_unavailable(response).await;
    }
    // After an unanswered call, lookups by id keep off the HTTP workers: the same deadline.
    let (response, took) = timed(app.get(&item)).await;
    eprintln!("stalled database: lookup answered in {took:?}");
    assert!(took < DB_TIMEOUT + slack, "lookup took {took:?}");
    assert_unavailable(response).await;
    assert_ok_within(&app, "/healthz", quick).await;
    assert_ok_within(&app, "/metrics", quick).await;

    proxy.resume();
    let status = wait_for_ok(&app, "/v1/regions", Duration::from_secs(15)).await;
    assert_eq!(status, 200, "the service did not recover");
    json_with_status(app.get("/readyz").await, 200).await;
    json_with_status(app.get(&item).await, 200).await;
    // The calls held during the stall end and give their connections back; the create,
    // answered 503, was rolled back when its statements got through, not committed late.
    wait_for_idle_pool(&app, Duration::from_secs(10)).await;
    assert_eq!(app.count_rows("regions").await, 1);

    // A quiet service whose first call in a stall is a lookup by id: it does not wait on a
    // worker either, as the database has not answered for a moment.
    tokio::time::sleep(Duration::from_millis(500)).await;
    proxy.stall();
    let (response, took) = timed(app.get(&item)).await;
    eprintln!("stalled database, quiet service: lookup answered in {took:?}");
    assert!(took < DB_TIMEOUT + slack, "lookup took {took:?}");
    assert_unavailable(response).await;
    assert_ok_within(&app, "/healthz", quick).await;
    // This stall ends with every connection cut, as by a restarted server: the held
    // connection is lost and dropped, and fresh ones serve.
    proxy.switch_off().await;
    proxy.resume();
    proxy.switch_on().await;
    assert_eq!(wait_for_ok(&app, &item, Duration::from_secs(15)).await, 200);
    for _ in 0..12 {
        json_with_status(app.get("/v1/regions").await, 200).await;
    }
    let kz = app.create_country("KZ", "Казахстан").await;
    assert_eq!(kz["code"], "KZ");
    wait_for_idle_pool(&app, Duration::from_secs(10)).await;
}

/// PostgreSQL goes away (every connection cut, none accepted) and comes back.
async fn postgres_outage() {
    let proxy = TcpProxy::start(&postgres_address()).await;
    let app = spawn_app_via_proxy(&proxy).await;
    let ru = app.create_country("RU", "Россия").await;
    let item = format!("/v1/regions/{}", ru["id"].as_str().unwrap());
    // Fill the pool with live connections that the outage will break.
    for _ in 0..4 {
        json_with_status(app.get("/v1/regions").await, 200).await;
    }

    proxy.switch_off().await;
    assert_unavailable(app.get("/v1/regions").await).await;
    assert_unavailable(app.get(&item).await).await;
    assert_unavailable(app.post("/v1/regions", &country_body("KZ")).await).await;
    assert_unavailable(app.patch(&item, &json!({"name": "РФ"})).await).await;
    assert_unavailable(app.get("/readyz").await).await;
    // The process itself stays up.
    json_with_status(app.get("/healthz").await, 200).await;
    assert_eq!(app.get("/metrics").await.status(), 200);

    proxy.switch_on().await;
    let status = wait_for_ok(&app, "/v1/regions", Duration::from_secs(15)).await;
    assert_eq!(status, 200, "the service did not recover");
    json_with_status(app.get("/readyz").await, 200).await;
    let kz = app.create_country("KZ", "Казахстан").await;
    assert_eq!(kz["code"], "KZ");
    let renamed = json_with_status(app.patch(&item, &json!({"name": "РФ"})).await, 200).await;
    assert_eq!(renamed["version"], 2);
    // Every pooled connection works again, not just the first.
    for _ in 0..12 {
        json_with_status(app.get("/v1/regions").await, 200).await;
    }
    assert_eq!(app.count_rows("regions").await, 2);

    // A second outage is handled just like the first.
    proxy.switch_off().await;
    assert_unavailable(app.get(&item).await).await;
    proxy.switch_on().await;
    assert_eq!(wait_for_ok(&app, &item, Duration::from_secs(15)).await, 200);
}

/// Another process holds SQLite's write lock past the busy timeout (the statement timeout),
/// then lets go.
async fn sqlite_write_lock() {
    let app = spawn_app_with(Backend::Sqlite, |settings| {
        settings.db_statement_timeout = 2;
    })
    .await;
    app.create_country("RU", "Россия").await;
    let (locked_tx, locked_rx) = std::sync::mpsc::channel::<()>();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let pool = app.pool.clone();
    let holder = std::thread::spawn(move || {
        use diesel::connection::SimpleConnection;
        let mut conn = pool.get().expect("connection");
        conn.batch_execute("BEGIN EXCLUSIVE").expect("write lock");
        locked_tx.send(()).expect("signal");
        release_rx.recv().expect("release");
        conn.batch_execute("ROLLBACK").expect("release lock");
    });
    locked_rx.recv().expect("lock taken");

    let started = Instant::now();
    assert_unavailable(app.post("/v1/regions", &country_body("KZ")).await).await;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(2),
        "writers wait for the lock first: {took:?}"
    );
    assert!(
        took < Duration::from_secs(4),
        "no longer than the busy timeout: {took:?}"
    );
    // Reads are not blocked by a writer in WAL mode.
    json_with_status(app.get("/v1/regions").await, 200).await;

    release_tx.send(()).expect("release");
    holder.join().expect("lock holder");
    let kz = app.create_country("KZ", "Казахстан").await;
    assert_eq!(kz["code"], "KZ");
    assert_eq!(app.count_rows("regions").await, 2);
}

/// Every connection gets the configured statement and idle-in-transaction timeouts (the
/// busy timeout on SQLite), and server settings in `DATABASE_URL` win over them.
async fn database_timeouts_are_set_on_every_connection(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.db_timeout = 9;
        settings.db_statement_timeout = 7;
    })
    .await;
    match backend {
        Backend::Sqlite => {
            let busy = app
                .db_texts("SELECT CAST(timeout AS TEXT) AS value FROM pragma_busy_timeout")
                .await;
            assert_eq!(busy, ["7000"]);
        }
        Backend::Postgres => {
            let settings = app
                .db_texts(
                    "SELECT current_setting('statement_timeout') || ' ' || \
                     current_setting('idle_in_transaction_session_timeout') AS value",
                )
                .await;
            assert_eq!(settings, ["7s 9s"]);
            let url = app.db_texts("SELECT current_database() AS value").await;
            let mut own = url::Url::parse(&crate::common::postgres_url(&url[0])).unwrap();
            own.set_query(Some(
                "options=-c%20statement_timeout%3D4000&connect_timeout=5",
            ));
            let overridden = spawn_app_with(backend, |settings| {
                settings.database_url = own.to_string();
            })
            .await;
            let settings = overridden
                .db_texts(
                    "SELECT current_setting('statement_timeout') || ' ' || \
                     current_setting('idle_in_transaction_session_timeout') AS value",
                )
                .await;
            assert_eq!(settings, ["4s 10s"]);
        }
    }
    // Readiness still answers on connections whose migrations ran without the bounds.
    json_with_status(app.get("/readyz").await, 200).await;
}
