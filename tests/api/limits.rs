//! Rate limits and security headers: who is counted how, what a limited answer and a refusal
//! carry, what is never limited, and the headers every response has.

use reqwest::{Method, Response};
use serde_json::{json, Value};

use crate::backend_tests;
use crate::common::{problem, spawn_app, spawn_app_with, Backend, TestApp};

backend_tests!(
    a_key_over_its_quota_is_refused_with_429_and_others_are_not,
    anonymous_requests_and_refused_credentials_count_per_address,
    forwarded_for_counts_only_from_trusted_proxies,
    health_and_metrics_are_never_limited,
    security_headers_are_on_every_kind_of_answer,
    hsts_only_with_an_https_public_url,
    cors_allows_authorization_and_exposes_the_limit_headers,
);

fn header(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|value| value.to_str().unwrap().to_owned())
}

/// `RateLimit: "<name>";r=<remaining>;t=<seconds>` read into its parts.
fn limit_state(response: &Response) -> (String, u64, u64) {
    let value = header(response, "ratelimit").expect("RateLimit header");
    let mut parts = value.split(';');
    let name = parts.next().unwrap().trim_matches('"').to_owned();
    let mut number = |key: &str| -> u64 {
        let part = parts.next().unwrap_or_else(|| panic!("{key} in {value}"));
        part.strip_prefix(&format!("{key}="))
            .unwrap_or_else(|| panic!("{key} in {value}"))
            .parse()
            .unwrap()
    };
    let remaining = number("r");
    let reset = number("t");
    assert!(parts.next().is_none(), "{value}");
    (name, remaining, reset)
}

/// A request without the harness's admin key: `key` as the bearer (or none) and the
/// given headers, on a connection of its own.
async fn send(app: &TestApp, key: Option<&str>, path: &str, headers: &[(&str, &str)]) -> Response {
    let mut request = reqwest::Client::new().get(app.url(path));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

/// Asserts a 429 of `policy` and returns its `Retry-After`.
async fn assert_rate_limited(response: Response, policy: &str, quota: u32) -> u64 {
    assert_eq!(
        header(&response, "ratelimit-policy").as_deref(),
        Some(format!("\"{policy}\";q={quota};w=60").as_str())
    );
    let retry_after: u64 = header(&response, "retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    let (name, remaining, reset) = limit_state(&response);
    assert_eq!((name.as_str(), remaining, reset), (policy, 0, retry_after));
    assert_eq!(
        header(&response, "x-content-type-options").as_deref(),
        Some("nosniff")
    );
    let body = problem(response, 429).await;
    assert_eq!(body["type"], "/problems/rate-limited");
    assert_eq!(body["title"], "Too many requests");
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains(&format!("{quota} per minute")), "{detail}");
    retry_after
}

/// A key is counted by itself (the limiter runs after authentication: the policy is
/// `caller`, not `address`), across operations; its 429 refuses writes too, and other keys
/// keep their own quotas.
async fn a_key_over_its_quota_is_refused_with_429_and_others_are_not(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.rate_limit_per_key = 3).await;
    let editor = app.key("editor", None).await;
    let other = app.key("reader", None).await;
    for expected in [2, 1, 0] {
        let response = send(&app, Some(&editor), "/v1/regions", &[]).await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            header(&response, "ratelimit-policy").as_deref(),
            Some("\"caller\";q=3;w=60")
        );
        let (name, remaining, reset) = limit_state(&response);
        assert_eq!((name.as_str(), remaining), ("caller", expected));
        // One request comes back every 20 s: the quota is whole again after as many
        // 20 s as were used.
        let used = 3 - expected;
        assert!(
            reset <= 20 * used && reset > 20 * used - 2,
            "t={reset} after {used} requests"
        );
    }
    let refused = send(&app, Some(&editor), "/v1/regions", &[]).await;
    let retry_after = assert_rate_limited(refused, "caller", 3).await;
    assert!(retry_after > 15, "{retry_after}");

    // A write over the limit is refused before anything is written.
    let audited = app.count_rows("audit_events").await;
    let write = reqwest::Client::new()
        .post(app.url("/v1/regions"))
        .bearer_auth(&editor)
        .json(&json!({"code": "RU", "name": "Россия", "country_code": "RU", "level": "country"}))
        .send()
        .await
        .unwrap();
    let body = problem(write, 429).await;
    assert!(
        body["detail"].as_str().unwrap().contains("API key"),
        "{body}"
    );
    assert_eq!(app.count_rows("regions").await, 0);
    assert_eq!(app.count_rows("audit_events").await, audited);

    // Another key, and the harness's admin key, have quotas of their own.
    let response = send(&app, Some(&other), "/v1/regions", &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(limit_state(&response).1, 2);
    let admin = app.get("/v1/regions").await;
    assert_eq!(admin.status(), 200);
    assert_eq!(limit_state(&admin).1, 2);
}

/// Without credentials, requests count by client address; refused credentials count there
/// too (and are answered 401 while the address has quota left), so guessing keys is
/// limited; a valid key from the same address is not held back by them.
async fn anonymous_requests_and_refused_credentials_count_per_address(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.public_read = true;
        settings.rate_limit_anonymous = 3;
    })
    .await;
    let anonymous = send(&app, None, "/v1/regions", &[]).await;
    assert_eq!(anonymous.status(), 200);
    assert_eq!(
        header(&anonymous, "ratelimit-policy").as_deref(),
        Some("\"address\";q=3;w=60")
    );
    assert_eq!(limit_state(&anonymous).1, 2);

    let wrong = format!("{}x", app.admin_key);
    let refused = send(&app, Some(&wrong), "/v1/regions", &[]).await;
    assert_eq!(refused.status(), 401);
    assert!(header(&refused, "www-authenticate").is_some());
    assert_eq!(limit_state(&refused).0, "address");
    assert_eq!(limit_state(&refused).1, 1);
    problem(refused, 401).await;

    // Outside /v1 (the spec, problem pages, unknown paths) requests count by address too.
    let spec = send(&app, None, "/openapi.json", &[]).await;
    assert_eq!(spec.status(), 200);
    let (name, remaining, reset) = limit_state(&spec);
    assert_eq!((name.as_str(), remaining), ("address", 0));
    assert!((58..=60).contains(&reset), "t={reset}");

    // The address is spent: anonymous reads and wrong keys get 429, a 429 instead of the
    // 401 (the key is not even worth a lookup to a guesser).
    let refused = send(&app, None, "/v1/regions", &[]).await;
    assert_rate_limited(refused, "address", 3).await;
    let refused = send(&app, Some("lnk_guess"), "/v1/regions", &[]).await;
    let body = problem(refused, 429).await;
    assert!(
        body["detail"].as_str().unwrap().contains("address"),
        "{body}"
    );
    let missing = send(&app, None, "/nothing-here", &[]).await;
    assert_eq!(missing.status(), 429);

    // A valid key from the same address is counted as itself.
    let reader = app.key("reader", None).await;
    let response = send(&app, Some(&reader), "/v1/regions", &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(limit_state(&response).0, "caller");
}

/// `X-Forwarded-For` names the client only when the peer is a trusted proxy, and only the
/// entries that trusted proxies appended are believed.
async fn forwarded_for_counts_only_from_trusted_proxies(backend: Backend) {
    let behind_proxy = spawn_app_with(backend, |settings| {
        settings.public_read = true;
        settings.rate_limit_anonymous = 1;
        settings.trusted_proxies = "127.0.0.0/8".to_owned();
    })
    .await;
    let from = |address: &'static str| [("x-forwarded-for", address)];
    let app = &behind_proxy;
    assert_eq!(
        send(app, None, "/v1/regions", &from("198.51.100.1"))
            .await
            .status(),
        200
    );
    let again = send(app, None, "/v1/regions", &from("198.51.100.1")).await;
    assert_rate_limited(again, "address", 1).await;
    // Another client behind the same proxy has its own quota.
    assert_eq!(
        send(app, None, "/v1/regions", &from("198.51.100.2"))
            .await
            .status(),
        200
    );
    // What the client wrote itself, left of the address the proxy saw, is not believed.
    let spoofed = send(app, None, "/v1/regions", &from("203.0.113.9, 198.51.100.1")).await;
    assert_eq!(spoofed.status(), 429);
    // Hosts of one IPv6 /64 are one client.
    assert_eq!(
        send(app, None, "/v1/regions", &from("2001:db8:1:2::1"))
            .await
            .status(),
        200
    );
    let same_network = send(app, None, "/v1/regions", &from("2001:db8:1:2::ff")).await;
    assert_eq!(same_network.status(), 429);
    // The proxy itself (no header) is a client of its own.
    assert_eq!(send(app, None, "/v1/regions", &[]).await.status(), 200);

    // Without trusted proxies the header changes nothing: the peer is counted.
    let direct = spawn_app_with(backend, |settings| {
        settings.public_read = true;
        settings.rate_limit_anonymous = 1;
    })
    .await;
    assert_eq!(
        send(&direct, None, "/v1/regions", &from("198.51.100.1"))
            .await
            .status(),
        200
    );
    let other = send(&direct, None, "/v1/regions", &from("198.51.100.2")).await;
    assert_rate_limited(other, "address", 1).await;
}

/// Probes and scrapers share addresses with clients: they are neither limited nor counted.
async fn health_and_metrics_are_never_limited(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.rate_limit_anonymous = 1;
        settings.rate_limit_per_key = 1;
    })
    .await;
    for _ in 0..5 {
        for path in ["/healthz", "/readyz", "/metrics"] {
            for key in [None, Some(app.admin_key.as_str())] {
                let response = send(&app, key, path, &[]).await;
                assert_eq!(response.status(), 200, "{path}");
                assert_eq!(header(&response, "ratelimit"), None, "{path}");
                assert_eq!(header(&response, "ratelimit-policy"), None, "{path}");
            }
        }
    }
    // None of them used the quota.
    let response = send(&app, None, "/openapi.json", &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(limit_state(&response).1, 0);
    let response = app.get("/v1/regions").await;
    assert_eq!(response.status(), 200);
    assert_eq!(limit_state(&response).1, 0);
}

/// Asserts the headers every response carries, with the strict policy unless `docs`.
fn assert_security_headers(response: &Response, what: &str, docs: bool) {
    assert_eq!(
        header(response, "x-content-type-options").as_deref(),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(
        header(response, "x-frame-options").as_deref(),
        Some("DENY"),
        "{what}"
    );
    assert_eq!(
        header(response, "referrer-policy").as_deref(),
        Some("no-referrer"),
        "{what}"
    );
    assert_eq!(
        header(response, "cross-origin-resource-policy").as_deref(),
        Some("same-origin"),
        "{what}"
    );
    let policy = header(response, "content-security-policy").unwrap_or_default();
    assert!(
        policy.contains("frame-ancestors 'none'"),
        "{what}: {policy}"
    );
    assert!(policy.starts_with("default-src 'none'"), "{what}: {policy}");
    if docs {
        for directive in [
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "connect-src 'self'",
        ] {
            assert!(policy.contains(directive), "{what}: {policy}");
        }
        assert!(!policy.contains("unsafe-eval"), "{what}: {policy}");
    } else {
        assert!(!policy.contains("script-src"), "{what}: {policy}");
    }
    assert_eq!(
        header(response, "strict-transport-security"),
        None,
        "{what}: HSTS over a plain-http public URL"
    );
}

/// Successes, problems of every layer (routing, authentication, rate limits, CORS), the
/// documentation and the operational endpoints all carry the security headers; the
/// handlers' `Cache-Control` is left as they set it.
async fn security_headers_are_on_every_kind_of_answer(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.cors_origins = "https://dash.example".to_owned();
        settings.rate_limit_anonymous = 20;
    })
    .await;
    let ok = app.get("/v1/regions").await;
    assert_eq!(ok.status(), 200);
    assert_security_headers(&ok, "200", false);
    assert_eq!(header(&ok, "cache-control"), None);

    let missing = app.get("/v1/nothing-here").await;
    assert_security_headers(&missing, "404 of the default service", false);
    problem(missing, 404).await;
    let missing = app
        .get("/v1/regions/0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f70")
        .await;
    assert_security_headers(&missing, "404 of a handler", false);
    problem(missing, 404).await;
    let bad = app.get("/v1/regions?colour=red").await;
    assert_security_headers(&bad, "400", false);
    problem(bad, 400).await;

    let refused = app
        .request(
            Method::OPTIONS,
            "/v1/regions",
            None,
            &[
                ("origin", "https://evil.example"),
                ("access-control-request-method", "GET"),
            ],
        )
        .await;
    assert_security_headers(&refused, "CORS refusal", false);
    problem(refused, 403).await;
    let preflight = app
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
    assert_eq!(preflight.status(), 200);
    assert_security_headers(&preflight, "preflight", false);

    // The problem pages are HTML without scripts or styles: the strict policy holds, and
    // their own caching stays.
    let page = app.get("/problems/rate-limited").await;
    assert_eq!(page.status(), 200);
    assert_security_headers(&page, "problem page", false);
    assert_eq!(
        header(&page, "cache-control").as_deref(),
        Some("public, max-age=86400")
    );
    for path in ["/healthz", "/metrics", "/openapi.json"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_security_headers(&response, path, false);
    }

    // Swagger UI gets what it loads from this origin, and nothing from elsewhere.
    let redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/docs"))
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.status(), 308);
    assert_security_headers(&redirect, "/docs", true);
    for path in [
        "/docs/",
        "/docs/swagger-ui-bundle.js",
        "/docs/swagger-initializer.js",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_security_headers(&response, path, true);
        if path.ends_with("initializer.js") {
            let script = response.text().await.unwrap();
            assert!(script.contains("\"validatorUrl\": \"none\""), "{script}");
        }
    }
    let index = app.get("/docs/").await.text().await.unwrap();
    assert!(
        !index.contains("<script>") && !index.contains("<style"),
        "Swagger UI's page has inline code the policy would block: {index}"
    );

    // Refused credentials, then the address over its quota.
    let unauthorized = send(&app, Some("lnk_wrong"), "/v1/regions", &[]).await;
    assert_security_headers(&unauthorized, "401", false);
    problem(unauthorized, 401).await;
    let mut limited = None;
    for _ in 0..20 {
        let response = send(&app, Some("lnk_wrong"), "/v1/regions", &[]).await;
        if response.status() == 429 {
            limited = Some(response);
            break;
        }
        assert_eq!(response.status(), 401);
    }
    let limited = limited.expect("a 429 within the quota of 20");
    assert_security_headers(&limited, "429", false);
    problem(limited, 429).await;
}

/// HSTS is sent only when clients reach the service over https, on every answer then; the
/// docs may then also call the public origin.
async fn hsts_only_with_an_https_public_url(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.public_url = "https://labnet.example/api".to_owned()
    })
    .await;
    for (path, status) in [
        ("/v1/regions", 200),
        ("/v1/nothing-here", 404),
        ("/docs/", 200),
        ("/healthz", 200),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), status, "{path}");
        assert_eq!(
            header(&response, "strict-transport-security").as_deref(),
            Some("max-age=31536000"),
            "{path}"
        );
    }
    let docs = app.get("/docs/").await;
    let policy = header(&docs, "content-security-policy").unwrap();
    assert!(
        policy.contains("connect-src 'self' https://labnet.example;"),
        "{policy}"
    );

    let plain = spawn_app(backend).await;
    let response = plain.get("/v1/regions").await;
    assert_eq!(header(&response, "strict-transport-security"), None);
}

/// Browsers may send `Authorization` across origins and let scripts read the limit, its
/// refusal and the credential challenge; preflights are not counted.
async fn cors_allows_authorization_and_exposes_the_limit_headers(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.cors_origins = "https://dash.example".to_owned();
        settings.rate_limit_per_key = 1;
    })
    .await;
    let key = app.key("reader", None).await;
    for _ in 0..3 {
        let preflight = send_options(&app).await;
        assert_eq!(preflight.status(), 200);
        let allowed = header(&preflight, "access-control-allow-headers")
            .unwrap_or_default()
            .to_ascii_lowercase();
        assert!(allowed.contains("authorization"), "{allowed}");
        assert_eq!(header(&preflight, "ratelimit"), None);
    }
    let origin = [("origin", "https://dash.example")];
    let first = send(&app, Some(&key), "/v1/regions", &origin).await;
    assert_eq!(first.status(), 200, "the preflights used none of the quota");
    let limited = send(&app, Some(&key), "/v1/regions", &origin).await;
    assert_eq!(limited.status(), 429);
    for response in [&first, &limited] {
        assert_eq!(
            header(response, "access-control-allow-origin").as_deref(),
            Some("https://dash.example")
        );
        let exposed = header(response, "access-control-expose-headers")
            .unwrap_or_default()
            .to_ascii_lowercase();
        for name in [
            "ratelimit",
            "ratelimit-policy",
            "retry-after",
            "www-authenticate",
            "x-request-id",
        ] {
            assert!(
                exposed.split(',').any(|exposed| exposed.trim() == name),
                "{name} not exposed: {exposed}"
            );
        }
    }
}

async fn send_options(app: &TestApp) -> Response {
    reqwest::Client::new()
        .request(Method::OPTIONS, app.url("/v1/regions"))
        .header("origin", "https://dash.example")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .unwrap()
}

fn spec() -> Value {
    serde_json::from_str(&labnet::openapi::spec_json().unwrap()).unwrap()
}

/// Every counted operation documents the shared 429 and the limit headers on each of its
/// answers; the probes document neither.
#[test]
fn the_spec_documents_the_limits_where_they_apply() {
    let spec = spec();
    let exempt = ["/healthz", "/readyz", "/metrics"];
    let mut counted = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            let limited = !exempt.contains(&path.as_str());
            assert_eq!(
                responses.get("429").map(|r| r["$ref"].clone()),
                limited.then(|| json!("#/components/responses/TooManyRequests")),
                "{method} {path}"
            );
            for (status, response) in responses {
                if response.get("$ref").is_some() {
                    continue;
                }
                for name in ["RateLimit", "RateLimit-Policy"] {
                    assert_eq!(
                        response["headers"][name].is_object(),
                        limited,
                        "{method} {path} {status} {name}"
                    );
                }
            }
            counted += usize::from(path.starts_with("/v1/"));
        }
    }
    assert!(counted > 20, "{counted} operations under /v1");
    let too_many = &spec["components"]["responses"]["TooManyRequests"];
    for name in [
        "Retry-After",
        "RateLimit",
        "RateLimit-Policy",
        "X-Request-Id",
    ] {
        assert!(too_many["headers"][name].is_object(), "429 lacks {name}");
    }
    assert!(too_many["content"]["application/problem+json"].is_object());
    assert!(spec["components"]["responses"]["CorsRefused"]["headers"]["RateLimit"].is_null());
    let description = spec["info"]["description"].as_str().unwrap();
    for needle in ["RateLimit-Policy", "LABNET_RATE_LIMIT_PER_KEY", "429"] {
        assert!(description.contains(needle), "description lacks {needle}");
    }
    // The documented syntax is the one sent.
    let pattern = spec["components"]["schemas"]["RateLimit"]["pattern"]
        .as_str()
        .unwrap();
    let pattern = regex::Regex::new(pattern).unwrap();
    assert!(pattern.is_match("\"caller\";r=5999;t=1"));
    assert!(pattern.is_match("\"address\";r=0;t=17"));
}
