//! The headers the spec declares, as the server sends them: `X-Request-Id` on every kind of
//! response, `Idempotent-Replayed` on a replayed POST, the weak `ETag` of every list with
//! its 304, and the CORS preflight and exposed headers a browser client relies on.

use std::collections::HashMap;

use reqwest::{Method, Response};
use serde_json::{json, Value};

use crate::backend_tests;
use crate::common::{json_with_status, problem, spawn_app, spawn_app_with, Backend, TestApp};

backend_tests!(
    every_list_sends_a_weak_etag_and_answers_304,
    a_list_etag_follows_the_page_content,
    every_kind_of_response_carries_x_request_id,
    cors_preflights_allow_what_browser_clients_send,
);

const COMMITTED: &str = include_str!("../../openapi/openapi.json");

fn header(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|value| value.to_str().expect("header text").to_owned())
}

/// One row of each resource, and the ids a sub-list's `{id}` takes, by collection.
async fn rows(app: &TestApp) -> HashMap<&'static str, String> {
    let country = app.create_country("KZ", "Казахстан").await;
    let region = app
        .create_region(&country, "KZ-AKT", "Актюбинская область", "region")
        .await;
    app.create_region(&region, "KZ-AKT-AKT", "Актобе", "municipality")
        .await;
    let vendor = app.create_vendor("Mindray", "CN").await;
    let localization = app
        .create(
            "/v1/localizations",
            json!({"vendor_id": vendor["id"], "country_code": "KZ", "scope": ["reagents"], "partner": "Партнёр"}),
        )
        .await;
    let laboratory = app.create_laboratory(&region, "AKT-001", json!({})).await;
    let organization = app
        .create(
            "/v1/organizations",
            json!({"name": "Оператор", "kind": "operator", "country_code": "KZ"}),
        )
        .await;
    let model = app
        .create(
            "/v1/equipment-models",
            json!({"vendor_id": vendor["id"], "name": "Анализатор", "model_code": "BC-1", "category": "hematology_analyzer"}),
        )
        .await;
    let unit = app
        .create(
            "/v1/equipment-units",
            json!({"equipment_model_id": model["id"], "laboratory_id": laboratory["id"], "serial_number": "SN-1"}),
        )
        .await;
    let certificate = app
        .create(
            "/v1/registration-certificates",
            json!({"equipment_model_id": model["id"], "country_code": "KZ", "issuing_authority": "Authority",
                "number": "N-1", "issued_on": "2024-01-01"}),
        )
        .await;
    let agreement = app
        .create(
            "/v1/recognition-agreements",
            json!({"recognizing_country_code": "KZ", "recognized_country_code": "RU", "mutual": true,
                "scope": "both", "in_force_from": "2026-01-01", "title": "Agreement", "source": "ref"}),
        )
        .await;
    let id = |row: &Value| row["id"].as_str().unwrap().to_owned();
    HashMap::from([
        ("/v1/registration-certificates", id(&certificate)),
        ("/v1/recognition-agreements", id(&agreement)),
        ("/v1/equipment-models", id(&model)),
        ("/v1/equipment-units", id(&unit)),
        ("/v1/regions", id(&region)),
        ("/v1/vendors", id(&vendor)),
        ("/v1/localizations", id(&localization)),
        ("/v1/laboratories", id(&laboratory)),
        ("/v1/organizations", id(&organization)),
    ])
}

/// Every list the spec has (every `GET` under `/v1` not on one item), with a real id for
/// those below an item.
fn list_paths(ids: &HashMap<&'static str, String>) -> Vec<String> {
    let spec: Value = serde_json::from_str(COMMITTED).unwrap();
    let mut paths = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        // The change feed is read forward by cursor (and long-polled), never revalidated.
        if !path.starts_with("/v1/")
            || path.ends_with("{id}")
            || path == "/v1/changes"
            || item.get("get").is_none()
        {
            continue;
        }
        let path = match path.find("/{id}") {
            Some(at) => {
                let id = ids
                    .get(&path[..at])
                    .unwrap_or_else(|| panic!("no row for the sub-list {path}"));
                path.replace("{id}", id)
            }
            None => path.clone(),
        };
        // Eligibility answers a question: which country.
        let path = if path.ends_with("eligibility") {
            format!("{path}?country_code=RU")
        } else {
            path
        };
        paths.push(path);
    }
    paths
}

async fn every_list_sends_a_weak_etag_and_answers_304(backend: Backend) {
    let app = spawn_app(backend).await;
    let ids = rows(&app).await;
    let paths = list_paths(&ids);
    assert!(paths.len() >= 8, "{paths:?}");
    for path in paths {
        let full = app.get(&path).await;
        let etag = header(&full, "etag").unwrap_or_else(|| panic!("GET {path}: no ETag"));
        assert!(
            etag.starts_with("W/\"") && etag.ends_with('"'),
            "{path}: {etag}"
        );
        let body = json_with_status(full, 200).await;
        // A page with rows, or an answer that is not a page (one model's eligibility).
        assert!(
            body["items"]
                .as_array()
                .map_or(body["eligible"].is_boolean(), |items| !items.is_empty()),
            "{path}: {body}"
        );

        for method in [Method::GET, Method::HEAD] {
            let cached = app
                .request(method.clone(), &path, None, &[("if-none-match", &etag)])
                .await;
            assert_eq!(cached.status(), 304, "{method} {path}");
            assert_eq!(header(&cached, "etag").as_deref(), Some(etag.as_str()));
            assert!(header(&cached, "x-request-id").is_some());
            assert!(cached.text().await.unwrap().is_empty());
        }
        // The strong form of the same tag matches too (If-None-Match compares weakly), and
        // a list of tags is searched.
        let opaque = etag.trim_start_matches("W/");
        let listed = format!("\"other\", {opaque}");
        let cached = app
            .request(Method::GET, &path, None, &[("if-none-match", &listed)])
            .await;
        assert_eq!(cached.status(), 304, "{path} with {listed}");
        let other = app
            .request(
                Method::GET,
                &path,
                None,
                &[("if-none-match", "W/\"other\"")],
            )
            .await;
        assert_eq!(other.status(), 200, "{path}");
        assert_eq!(header(&other, "etag").as_deref(), Some(etag.as_str()));
    }
}

async fn a_list_etag_follows_the_page_content(backend: Backend) {
    let app = spawn_app(backend).await;
    let country = app.create_country("RU", "Россия").await;
    let first = app.get("/v1/regions").await;
    let before = header(&first, "etag").unwrap();
    // A page of other content (another filter, another size) has another tag.
    let filtered = app.get("/v1/regions?level=region").await;
    assert_ne!(header(&filtered, "etag").unwrap(), before);

    app.create_region(&country, "RU-KGN", "Курганская область", "region")
        .await;
    let after = app
        .request(
            Method::GET,
            "/v1/regions",
            None,
            &[("if-none-match", &before)],
        )
        .await;
    assert_eq!(after.status(), 200, "the page changed");
    let changed = header(&after, "etag").unwrap();
    assert_ne!(changed, before);
    let body = json_with_status(after, 200).await;
    assert_eq!(body["items"].as_array().unwrap().len(), 2);

    // A list's tag is for If-None-Match only: it never satisfies If-Match.
    let item = format!("/v1/regions/{}", country["id"].as_str().unwrap());
    let refused = app
        .patch_if_match(&item, &json!({"name": "Российская Федерация"}), &changed)
        .await;
    problem(refused, 412).await;
    // An item's own tag is still strong, as before.
    let fetched = app.get(&item).await;
    assert!(header(&fetched, "etag").unwrap().starts_with("\"v"));
}

/// A request (method, path, body, headers) and the status it gets.
type Case<'a> = (Method, String, Option<Value>, Vec<(&'a str, &'a str)>, u16);

/// The header the spec declares on every response is on every kind of answer, with the id
/// the request gave.
async fn every_kind_of_response_carries_x_request_id(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.cors_origins = "https://dash.example".to_owned()
    })
    .await;
    let country = app.create_country("RU", "Россия").await;
    let item = format!("/v1/regions/{}", country["id"].as_str().unwrap());
    let version_tag = header(&app.get(&item).await, "etag").unwrap();
    let list_tag = header(&app.get("/v1/regions").await, "etag").unwrap();
    let region = json!({"code": "RU-KGN", "name": "Курганская область", "country_code": "RU",
        "level": "region", "parent_id": country["id"]});
    let cases: Vec<Case> = vec![
        (Method::GET, "/v1/regions".into(), None, vec![], 200),
        (
            Method::GET,
            "/v1/regions".into(),
            None,
            vec![("if-none-match", &list_tag)],
            304,
        ),
        (
            Method::GET,
            item.clone(),
            None,
            vec![("if-none-match", &version_tag)],
            304,
        ),
        (Method::HEAD, item.clone(), None, vec![], 200),
        (
            Method::POST,
            "/v1/regions".into(),
            Some(region.clone()),
            vec![],
            201,
        ),
        (
            Method::POST,
            "/v1/regions".into(),
            Some(region),
            vec![],
            409,
        ),
        (
            Method::GET,
            "/v1/regions?colour=red".into(),
            None,
            vec![],
            400,
        ),
        (Method::GET, "/v1/regions/nope".into(), None, vec![], 404),
        (Method::PUT, item.clone(), Some(json!({})), vec![], 405),
        (
            Method::PATCH,
            item.clone(),
            Some(json!({})),
            vec![("if-match", "\"v0\"")],
            412,
        ),
        (
            Method::POST,
            "/v1/regions".into(),
            Some(json!({})),
            vec![("content-type", "text/plain")],
            415,
        ),
        (
            Method::POST,
            "/v1/regions".into(),
            Some(json!({"name": 5})),
            vec![],
            422,
        ),
        (Method::GET, "/problems/not-found".into(), None, vec![], 200),
        (Method::GET, "/healthz".into(), None, vec![], 200),
        (Method::GET, "/readyz".into(), None, vec![], 200),
        (Method::GET, "/metrics".into(), None, vec![], 200),
        (Method::GET, "/openapi.json".into(), None, vec![], 200),
        (
            Method::OPTIONS,
            "/v1/regions".into(),
            None,
            vec![
                ("origin", "https://dash.example"),
                ("access-control-request-method", "POST"),
            ],
            200,
        ),
        (
            Method::OPTIONS,
            "/v1/regions".into(),
            None,
            vec![
                ("origin", "https://evil.example"),
                ("access-control-request-method", "POST"),
            ],
            403,
        ),
    ];
    for (n, (method, path, body, mut headers, status)) in cases.into_iter().enumerate() {
        let id = format!("case-{n}");
        headers.push(("x-request-id", &id));
        let response = app
            .request(method.clone(), &path, body.as_ref(), &headers)
            .await;
        assert_eq!(response.status(), status, "{method} {path}");
        assert_eq!(
            header(&response, "x-request-id").as_deref(),
            Some(id.as_str()),
            "{method} {path} → {status}"
        );
        assert_eq!(header(&response, "idempotent-replayed"), None);
    }

    // A replayed POST says so, under the id of the request that got it.
    let body = json!({"code": "RU-TYU", "name": "Тюменская область", "country_code": "RU",
        "level": "region", "parent_id": country["id"]});
    let send = |id: &'static str| {
        let (app, body) = (&app, &body);
        async move {
            app.request(
                Method::POST,
                "/v1/regions",
                Some(body),
                &[("idempotency-key", "replay-1"), ("x-request-id", id)],
            )
            .await
        }
    };
    let first = send("first").await;
    assert_eq!(first.status(), 201);
    assert_eq!(header(&first, "idempotent-replayed"), None);
    let again = send("again").await;
    assert_eq!(again.status(), 201);
    assert_eq!(
        header(&again, "idempotent-replayed").as_deref(),
        Some("true")
    );
    assert_eq!(header(&again, "x-request-id").as_deref(), Some("again"));
}

/// What browsers and their instrumentation send in a preflight is allowed, `HEAD` included;
/// the headers the spec declares are readable by scripts; anything else is a problem.
async fn cors_preflights_allow_what_browser_clients_send(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.cors_origins = "https://dash.example".to_owned()
    })
    .await;
    let requested = "authorization, traceparent, tracestate, idempotency-key, x-request-id, \
                     if-match, if-none-match, content-type, accept";
    for method in ["GET", "HEAD", "POST", "PATCH", "DELETE"] {
        let preflight = app
            .request(
                Method::OPTIONS,
                "/v1/regions",
                None,
                &[
                    ("origin", "https://dash.example"),
                    ("access-control-request-method", method),
                    ("access-control-request-headers", requested),
                ],
            )
            .await;
        assert_eq!(preflight.status(), 200, "{method}");
        let methods = header(&preflight, "access-control-allow-methods").unwrap_or_default();
        assert!(methods.contains(method), "{method}: {methods}");
        let allowed = header(&preflight, "access-control-allow-headers")
            .unwrap_or_default()
            .to_ascii_lowercase();
        for name in requested.split(',').map(str::trim) {
            assert!(allowed.contains(name), "{name} not allowed: {allowed}");
        }
    }

    // A script can read the headers the spec declares, on a replay too.
    let country = json!({"code": "RU", "name": "Россия", "country_code": "RU", "level": "country"});
    for _ in 0..2 {
        let response = app
            .request(
                Method::POST,
                "/v1/regions",
                Some(&country),
                &[
                    ("origin", "https://dash.example"),
                    ("idempotency-key", "cors-1"),
                ],
            )
            .await;
        assert_eq!(response.status(), 201);
        let exposed = header(&response, "access-control-expose-headers")
            .unwrap_or_default()
            .to_ascii_lowercase();
        for name in ["x-request-id", "idempotent-replayed", "etag", "location"] {
            assert!(exposed.contains(name), "{name} not exposed: {exposed}");
        }
    }

    for (origin, method, headers) in [
        ("https://evil.example", "GET", "traceparent"),
        ("https://dash.example", "PUT", "traceparent"),
        ("https://dash.example", "GET", "x-secret"),
    ] {
        let refused = app
            .request(
                Method::OPTIONS,
                "/v1/regions",
                None,
                &[
                    ("origin", origin),
                    ("access-control-request-method", method),
                    ("access-control-request-headers", headers),
                ],
            )
            .await;
        assert!(header(&refused, "x-request-id").is_some());
        let body = problem(refused, 403).await;
        assert_eq!(
            body["type"], "/problems/cors-refused",
            "{origin} {method} {headers}"
        );
    }
}
