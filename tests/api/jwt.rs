//! JWT bearer tokens: `JwtVerifier::start` with its key sources (a PEM file, a JWKS served
//! over HTTP) and `verify` with the keys it holds, the JWKS's refresh and its bounds; then
//! the same tokens sent to a running server, on both backends.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use labnet::config::{Secret, Settings};
use labnet::core::auth::{ActorKind, Role, Scope};
use labnet::core::error::DomainError;
use labnet::http::jwt::{JwtVerifier, MAX_JWKS_BYTES};
use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::common::{json_with_status, problem, spawn_app, spawn_app_with, Backend, TestApp};

pub const ISSUER: &str = "https://idp.example/realms/labnet";
pub const AUDIENCE: &str = "labnet";
pub const SECRET: &str = "a-shared-secret-of-at-least-32-bytes";
pub const PRIVATE_KEY: &str = include_str!("../fixtures/jwt-rs256-private.pem");
pub const OTHER_PRIVATE_KEY: &str = include_str!("../fixtures/jwt-rs256-other-private.pem");
pub const PUBLIC_KEY_FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/jwt-rs256-public.pem"
);

/// What the JWKS server answers.
#[derive(Clone)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    /// Without `Content-Length` the body ends when the connection closes.
    pub with_length: bool,
}

impl Answer {
    pub fn ok(body: String) -> Self {
        Answer {
            status: 200,
            body,
            with_length: true,
        }
    }
}

/// A JWKS endpoint on a port of its own: answers every request with the answer last set
/// and counts the requests. Stops when dropped.
pub struct JwksServer {
    address: SocketAddr,
    answer: Arc<Mutex<Answer>>,
    hits: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl JwksServer {
    pub fn start(answer: Answer) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let server = JwksServer {
            address: listener.local_addr().unwrap(),
            answer: Arc::new(Mutex::new(answer)),
            hits: Arc::new(AtomicUsize::new(0)),
            stop: Arc::new(AtomicBool::new(false)),
        };
        let (answer, hits, stop) = (
            Arc::clone(&server.answer),
            Arc::clone(&server.hits),
            Arc::clone(&server.stop),
        );
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    let answer = answer.lock().unwrap().clone();
                    respond(stream, &answer, &hits);
                }
            }
        });
        server
    }

    pub fn url(&self) -> String {
        format!("http://{}/.well-known/jwks.json", self.address)
    }

    pub fn set(&self, answer: Answer) {
        *self.answer.lock().unwrap() = answer;
    }

    /// Requests answered so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accepting thread so it sees the flag.
        let _ = TcpStream::connect(self.address);
    }
}

/// Reads one request head, counts it, and writes the answer. The count comes first: a
/// client that stops reading an oversized answer has still made its request.
fn respond(mut stream: TcpStream, answer: &Answer, hits: &AtomicUsize) {
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let mut head = Vec::new();
    let mut buffer = [0_u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
    }
    hits.fetch_add(1, Ordering::SeqCst);
    let length = if answer.with_length {
        format!("Content-Length: {}\r\n", answer.body.len())
    } else {
        String::new()
    };
    let response = format!(
        "HTTP/1.1 {} JWKS\r\nContent-Type: application/json\r\n{length}Connection: close\r\n\r\n{}",
        answer.status, answer.body
    );
    let _ = stream.write_all(response.as_bytes());
}

/// The public JWK of a private key, with its `kid`.
pub fn jwk(private_key: &str, kid: &str) -> Value {
    let key = EncodingKey::from_rsa_pem(private_key.as_bytes()).unwrap();
    let mut jwk = Jwk::from_encoding_key(&key, Algorithm::RS256).unwrap();
    jwk.common.key_id = Some(kid.to_owned());
    serde_json::to_value(jwk).unwrap()
}

/// A JWKS document of `(private key, kid)` pairs.
pub fn jwks(keys: &[(&str, &str)]) -> String {
    let keys: Vec<Value> = keys.iter().map(|(key, kid)| jwk(key, kid)).collect();
    json!({ "keys": keys }).to_string()
}

/// The claims of a valid token for `sub` with `role`, `extra` merged in.
pub fn claims(sub: &str, role: &str, extra: Value) -> Value {
    let mut claims = json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": sub,
        "exp": jsonwebtoken::get_current_timestamp() + 600,
        "labnet_role": role,
    });
    for (name, value) in extra.as_object().unwrap() {
        claims[name] = value.clone();
    }
    claims
}

pub fn rs256(private_key: &str, kid: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = kid.map(str::to_owned);
    let key = EncodingKey::from_rsa_pem(private_key.as_bytes()).unwrap();
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

pub fn hs256(claims: &Value) -> String {
    let key = EncodingKey::from_secret(SECRET.as_bytes()).unwrap();
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &key).unwrap()
}

/// JWT settings with the issuer and audience of the tests and no key source.
pub fn jwt_settings() -> Settings {
    Settings {
        jwt_issuer: ISSUER.to_owned(),
        jwt_audience: AUDIENCE.to_owned(),
        ..Settings::default()
    }
}

pub fn jwks_settings(server: &JwksServer) -> Settings {
    Settings {
        jwt_jwks_url: server.url(),
        ..jwt_settings()
    }
}

async fn start(settings: &Settings) -> Arc<JwtVerifier> {
    JwtVerifier::start(settings).await.unwrap().unwrap()
}

/// The detail of the 401 a token gets.
fn refusal(verifier: &JwtVerifier, token: &str) -> String {
    match verifier.verify(token) {
        Err(DomainError::Unauthorized(detail)) => detail,
        other => panic!("expected a 401, got {other:?}"),
    }
}

/// Waits (on the runtime, so the refresh task runs) until `done`, for at most 5 s.
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn token_a() -> String {
    rs256(
        PRIVATE_KEY,
        Some("a"),
        &claims("alice", "editor", json!({})),
    )
}

fn token_b() -> String {
    rs256(
        OTHER_PRIVATE_KEY,
        Some("b"),
        &claims("bob", "admin", json!({})),
    )
}

#[actix_web::test]
async fn rs256_tokens_verify_with_the_jwks_key_their_kid_names() {
    let server = JwksServer::start(Answer::ok(jwks(&[
        (PRIVATE_KEY, "a"),
        (OTHER_PRIVATE_KEY, "b"),
    ])));
    let verifier = start(&jwks_settings(&server)).await;
    assert_eq!(server.hits(), 1, "the key set is fetched at start");

    let region = "0193a0f4-9d20-7c3d-9a10-2b3c4d5e6fa0";
    let scoped = claims(
        "alice",
        "editor",
        json!({"name": "Alice", "labnet_regions": [region]}),
    );
    let caller = verifier
        .verify(&rs256(PRIVATE_KEY, Some("a"), &scoped))
        .unwrap();
    assert_eq!(caller.actor.kind, ActorKind::Token);
    assert_eq!(caller.actor.id, "alice");
    assert_eq!(caller.actor.name.as_deref(), Some("Alice"));
    assert_eq!(caller.role, Some(Role::Editor));
    assert_eq!(
        caller.scope.regions.unwrap()[0].to_string(),
        region,
        "the regions claim limits the scope"
    );
    assert_eq!(verifier.verify(&token_b()).unwrap().role, Some(Role::Admin));

    // A key id names one key: another key's signature under it does not verify.
    let forged = rs256(
        OTHER_PRIVATE_KEY,
        Some("a"),
        &claims("eve", "admin", json!({})),
    );
    assert_eq!(
        refusal(&verifier, &forged),
        "the token's signature does not verify"
    );
    // With two keys, a token must say which.
    let no_kid = rs256(PRIVATE_KEY, None, &claims("alice", "editor", json!({})));
    assert_eq!(
        refusal(&verifier, &no_kid),
        "the token names no key id (kid)"
    );
    // Nothing HS256 is accepted without a secret.
    assert_eq!(
        refusal(&verifier, &hs256(&claims("eve", "admin", json!({})))),
        "HS256 tokens are not accepted here"
    );
}

#[actix_web::test]
async fn a_jwks_with_one_key_verifies_tokens_without_kid() {
    let server = JwksServer::start(Answer::ok(jwks(&[(PRIVATE_KEY, "only")])));
    let verifier = start(&jwks_settings(&server)).await;
    let no_kid = rs256(PRIVATE_KEY, None, &claims("alice", "reader", json!({})));
    assert_eq!(verifier.verify(&no_kid).unwrap().role, Some(Role::Reader));
}

#[actix_web::test]
async fn an_unknown_kid_fetches_the_keys_again_at_most_once_per_interval() {
    let server = JwksServer::start(Answer::ok(jwks(&[(PRIVATE_KEY, "a")])));
    let verifier = start(&jwks_settings(&server)).await;
    // The provider rotates a key in.
    server.set(Answer::ok(jwks(&[
        (PRIVATE_KEY, "a"),
        (OTHER_PRIVATE_KEY, "b"),
    ])));
    // The first request with the new kid gets 401 at once (nothing waits for the fetch)...
    let started = Instant::now();
    assert_eq!(
        refusal(&verifier, &token_b()),
        "the token's key id (kid) names no key of the identity provider"
    );
    assert!(started.elapsed() < Duration::from_millis(500));
    // ...and the fetch it asked for brings the key in.
    eventually("the new key is fetched", || {
        verifier.verify(&token_b()).is_ok()
    })
    .await;
    assert_eq!(server.hits(), 2);

    // More unknown ids within the interval ask for nothing more.
    for kid in ["c", "d", "e"] {
        let token = rs256(PRIVATE_KEY, Some(kid), &claims("eve", "admin", json!({})));
        assert!(refusal(&verifier, &token).contains("names no key"));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(server.hits(), 2, "unknown key ids are rate limited");
    assert!(verifier.verify(&token_a()).is_ok());
}

#[actix_web::test]
async fn a_failing_jwks_does_not_stop_the_start_and_is_fetched_later() {
    let server = JwksServer::start(Answer {
        status: 503,
        body: "{}".to_owned(),
        with_length: true,
    });
    let verifier = start(&jwks_settings(&server)).await;
    assert_eq!(server.hits(), 1);
    server.set(Answer::ok(jwks(&[(PRIVATE_KEY, "a")])));
    assert_eq!(
        refusal(&verifier, &token_a()),
        "the identity provider's keys have not been fetched yet"
    );
    eventually("the keys are fetched", || {
        verifier.verify(&token_a()).is_ok()
    })
    .await;
}

#[actix_web::test]
async fn an_unreachable_jwks_url_does_not_hold_the_start_up() {
    // A port nobody listens on.
    let address = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let settings = Settings {
        jwt_jwks_url: format!("http://{address}/jwks"),
        ..jwt_settings()
    };
    let started = Instant::now();
    let verifier = start(&settings).await;
    assert!(started.elapsed() < Duration::from_secs(6));
    assert!(refusal(&verifier, &token_a()).contains("not been fetched"));
}

#[actix_web::test]
async fn keys_are_refreshed_periodically_and_kept_when_a_fetch_fails() {
    let server = JwksServer::start(Answer::ok(jwks(&[(PRIVATE_KEY, "a")])));
    let settings = Settings {
        jwt_jwks_refresh: 1,
        ..jwks_settings(&server)
    };
    let verifier = start(&settings).await;

    // An outage of the provider: the keys held stay in use.
    server.set(Answer {
        status: 500,
        body: "oops".to_owned(),
        with_length: true,
    });
    eventually("a refresh has failed", || server.hits() >= 2).await;
    assert!(verifier.verify(&token_a()).is_ok());

    // The provider replaces key a with key b: the periodic refresh follows it, with no
    // token asking for it.
    server.set(Answer::ok(jwks(&[(OTHER_PRIVATE_KEY, "b")])));
    eventually("key a is dropped", || verifier.verify(&token_a()).is_err()).await;
    assert!(verifier.verify(&token_b()).is_ok());

    // The refresh task ends with the verifier.
    drop(verifier);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let hits = server.hits();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(server.hits(), hits, "no fetch after the verifier is gone");
}

#[actix_web::test]
async fn oversized_jwks_documents_are_refused() {
    let padding = " ".repeat(MAX_JWKS_BYTES);
    let body = format!("{}{padding}", jwks(&[(PRIVATE_KEY, "a")]));
    for with_length in [true, false] {
        let server = JwksServer::start(Answer {
            status: 200,
            body: body.clone(),
            with_length,
        });
        let verifier = start(&jwks_settings(&server)).await;
        assert_eq!(server.hits(), 1);
        assert!(
            refusal(&verifier, &token_a()).contains("not been fetched"),
            "with_length {with_length}"
        );
    }
    // Just under the bound is fine.
    let fits = format!(
        "{}{}",
        jwks(&[(PRIVATE_KEY, "a")]),
        " ".repeat(MAX_JWKS_BYTES - 4096)
    );
    let server = JwksServer::start(Answer {
        status: 200,
        body: fits,
        with_length: false,
    });
    let verifier = start(&jwks_settings(&server)).await;
    assert!(verifier.verify(&token_a()).is_ok());
}

#[actix_web::test]
async fn rs256_tokens_verify_with_the_pem_file_and_hs256_with_the_secret() {
    let settings = Settings {
        jwt_public_key_file: PUBLIC_KEY_FILE.to_owned(),
        jwt_hs256_secret: Secret(SECRET.to_owned()),
        jwt_role_claim: "groups".to_owned(),
        jwt_role_map: "lab-admins=admin,staff=reader".to_owned(),
        ..jwt_settings()
    };
    let verifier = start(&settings).await;
    let rs = rs256(
        PRIVATE_KEY,
        None,
        &claims("alice", "-", json!({"groups": ["staff", "lab-admins"]})),
    );
    let caller = verifier.verify(&rs).unwrap();
    assert_eq!(caller.role, Some(Role::Admin));
    assert_eq!(caller.scope, Scope::everything());
    let hs = hs256(&claims("svc", "-", json!({"groups": "staff"})));
    assert_eq!(verifier.verify(&hs).unwrap().role, Some(Role::Reader));
    let other = rs256(
        OTHER_PRIVATE_KEY,
        None,
        &claims("eve", "-", json!({"groups": "lab-admins"})),
    );
    assert_eq!(
        refusal(&verifier, &other),
        "the token's signature does not verify"
    );
}

#[actix_web::test]
async fn start_answers_none_without_settings_and_refuses_inconsistent_ones() {
    assert!(JwtVerifier::start(&Settings::default())
        .await
        .unwrap()
        .is_none());
    let refused = |settings: Settings| async move {
        JwtVerifier::start(&settings).await.map(|_| ()).unwrap_err()
    };
    let error = refused(jwt_settings()).await;
    assert!(error.contains("needs a key source"), "{error}");
    let error = refused(Settings {
        jwt_public_key_file: "/nonexistent/jwt.pem".to_owned(),
        ..jwt_settings()
    })
    .await;
    assert!(error.starts_with("LABNET_JWT_PUBLIC_KEY_FILE"), "{error}");
    let error = refused(Settings {
        jwt_issuer: String::new(),
        jwt_jwks_url: "http://127.0.0.1:9/jwks".to_owned(),
        ..jwt_settings()
    })
    .await;
    assert!(error.contains("without LABNET_JWT_ISSUER"), "{error}");
}

// ---- over HTTP ----

backend_tests!(
    an_editor_token_writes_and_is_named_in_the_audit_trail,
    a_reader_token_reads_but_cannot_write,
    refused_tokens_get_401_invalid_token_and_write_nothing,
    rs256_tokens_verify_with_the_jwks_of_the_running_server,
    a_server_starts_while_its_jwks_fails_and_takes_the_keys_later,
    a_regions_claim_limits_where_an_editor_token_writes,
    without_jwt_settings_tokens_are_refused,
    the_served_spec_does_not_depend_on_the_jwt_settings,
);

/// A server accepting HS256 tokens signed with [`SECRET`].
async fn spawn_hs256_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |settings| {
        *settings = Settings {
            jwt_issuer: ISSUER.to_owned(),
            jwt_audience: AUDIENCE.to_owned(),
            jwt_hs256_secret: Secret(SECRET.to_owned()),
            ..settings.clone()
        }
    })
    .await
}

fn hs256_with(secret: &str, claims: &Value) -> String {
    let key = EncodingKey::from_secret(secret.as_bytes()).unwrap();
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &key).unwrap()
}

fn vendor(name: &str) -> Value {
    json!({"name": name, "country_code": "DE"})
}

/// The 401 of a refused bearer credential: problem+json, and a challenge with
/// `invalid_token` (RFC 6750). Returns its detail.
async fn invalid_token(response: reqwest::Response) -> String {
    let challenge = response
        .headers()
        .get(reqwest::header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = problem(response, 401).await;
    assert_eq!(body["type"], "/problems/unauthorized", "{body}");
    assert!(
        challenge.starts_with("Bearer ") && challenge.contains("error=\"invalid_token\""),
        "{challenge}"
    );
    body["detail"].as_str().unwrap().to_owned()
}

async fn an_editor_token_writes_and_is_named_in_the_audit_trail(backend: Backend) {
    let app = spawn_hs256_app(backend).await;
    let token = hs256(&claims(
        "idp|alice",
        "editor",
        json!({"name": "Alice Smirnova"}),
    ));
    let response = app
        .request_as(
            Some(&token),
            Method::POST,
            "/v1/vendors",
            Some(&vendor("Token Vendor")),
        )
        .await;
    let created = json_with_status(response, 201).await;
    let id = created["id"].as_str().unwrap();
    let actors = app
        .db_texts(&format!(
            "SELECT actor_kind || ' ' || actor_id || ' ' || COALESCE(actor_name, '-') AS value \
             FROM audit_events WHERE resource_id = '{id}'"
        ))
        .await;
    assert_eq!(actors, ["token idp|alice Alice Smirnova"]);
    // A token without a regions claim writes rows in no region and in any region alike.
    let country = json_with_status(
        app.request_as(
            Some(&token),
            Method::POST,
            "/v1/regions",
            Some(&json!({"code": "KZ", "name": "Kazakhstan", "country_code": "KZ", "level": "country"})),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(country["code"], "KZ");
    // Editors manage no API keys.
    let keys = app
        .request_as(Some(&token), Method::GET, "/v1/api-keys", None)
        .await;
    assert_eq!(problem(keys, 403).await["required_role"], "admin");
}

async fn a_reader_token_reads_but_cannot_write(backend: Backend) {
    let app = spawn_hs256_app(backend).await;
    app.create_vendor("Existing", "DE").await;
    let token = hs256(&claims("idp|bob", "reader", json!({})));
    let listed = json_with_status(
        app.request_as(Some(&token), Method::GET, "/v1/vendors", None)
            .await,
        200,
    )
    .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
    let events_before = app.count_rows("audit_events").await;
    let refused = app
        .request_as(
            Some(&token),
            Method::POST,
            "/v1/vendors",
            Some(&vendor("Refused")),
        )
        .await;
    let refused = problem(refused, 403).await;
    assert_eq!(refused["type"], "/problems/forbidden");
    assert_eq!(refused["required_role"], "editor");
    assert_eq!(app.count_rows("vendors").await, 1);
    assert_eq!(app.count_rows("audit_events").await, events_before);
}

async fn refused_tokens_get_401_invalid_token_and_write_nothing(backend: Backend) {
    let app = spawn_hs256_app(backend).await;
    let now = jsonwebtoken::get_current_timestamp();
    let expired = claims(
        "idp|alice",
        "admin",
        json!({"exp": now - 600, "iat": now - 1200}),
    );
    let cases = [
        (hs256(&expired), "the token has expired"),
        (
            hs256_with(
                "another-shared-secret-of-32-bytes-or-more",
                &claims("idp|alice", "admin", json!({})),
            ),
            "the token's signature does not verify",
        ),
        (
            hs256(&claims(
                "idp|alice",
                "admin",
                json!({"aud": "another-service"}),
            )),
            "the token's audience (aud) does not include this service",
        ),
        (
            hs256(&claims(
                "idp|alice",
                "admin",
                json!({"iss": "https://evil.example"}),
            )),
            "the token's issuer (iss) is not accepted",
        ),
        (
            hs256(&claims("idp|alice", "superuser", json!({}))),
            "the token's `labnet_role` claim names no role: reader, editor or admin",
        ),
        // No RS256 key is configured on this server.
        (
            rs256(PRIVATE_KEY, None, &claims("idp|alice", "admin", json!({}))),
            "RS256 tokens are not accepted here",
        ),
        (
            "opaque-session-token".to_owned(),
            "the bearer credential is neither an API key (`lnk_…`) nor a JWT",
        ),
    ];
    for (token, reason) in cases {
        for (method, path, body) in [
            (Method::POST, "/v1/vendors", Some(vendor("Forged"))),
            (Method::GET, "/v1/vendors", None),
        ] {
            let response = app
                .request_as(Some(&token), method.clone(), path, body.as_ref())
                .await;
            assert_eq!(invalid_token(response).await, reason, "{method} {path}");
        }
    }
    // An unsigned token names its algorithm.
    let unsigned = format!(
        "eyJhbGciOiJub25lIn0.{}.",
        base64_url(&claims("idp|alice", "admin", json!({})).to_string())
    );
    let response = app
        .request_as(Some(&unsigned), Method::GET, "/v1/vendors", None)
        .await;
    assert!(
        invalid_token(response)
            .await
            .contains("`none` are not accepted"),
        "alg none"
    );
    assert_eq!(app.count_rows("vendors").await, 0);
}

fn base64_url(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

async fn rs256_tokens_verify_with_the_jwks_of_the_running_server(backend: Backend) {
    let jwks_server = JwksServer::start(Answer::ok(jwks(&[(PRIVATE_KEY, "a")])));
    let url = jwks_server.url();
    let app = spawn_app_with(backend, |settings| {
        *settings = Settings {
            jwt_issuer: ISSUER.to_owned(),
            jwt_audience: AUDIENCE.to_owned(),
            jwt_jwks_url: url,
            ..settings.clone()
        }
    })
    .await;
    assert_eq!(jwks_server.hits(), 1, "the key set is fetched at start");
    let admin = rs256(
        PRIVATE_KEY,
        Some("a"),
        &claims("idp|carol", "admin", json!({})),
    );
    let key = json_with_status(
        app.request_as(
            Some(&admin),
            Method::POST,
            "/v1/api-keys",
            Some(&json!({"name": "made-by-token", "role": "reader"})),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(key["role"], "reader");
    let actors = app
        .db_texts(&format!(
            "SELECT actor_kind || ' ' || actor_id AS value FROM audit_events \
             WHERE resource_id = '{}'",
            key["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(actors, ["token idp|carol"]);
    // A key the provider does not list: refused, and the set is fetched again.
    let unknown = rs256(
        OTHER_PRIVATE_KEY,
        Some("b"),
        &claims("idp|carol", "admin", json!({})),
    );
    let response = app
        .request_as(Some(&unknown), Method::GET, "/v1/vendors", None)
        .await;
    assert_eq!(
        invalid_token(response).await,
        "the token's key id (kid) names no key of the identity provider"
    );
    eventually("the key set is fetched again", || jwks_server.hits() == 2).await;
}

async fn a_server_starts_while_its_jwks_fails_and_takes_the_keys_later(backend: Backend) {
    let jwks_server = JwksServer::start(Answer {
        status: 503,
        body: "{}".to_owned(),
        with_length: true,
    });
    let url = jwks_server.url();
    let app = spawn_app_with(backend, |settings| {
        *settings = Settings {
            jwt_issuer: ISSUER.to_owned(),
            jwt_audience: AUDIENCE.to_owned(),
            jwt_jwks_url: url,
            jwt_jwks_refresh: 1,
            ..settings.clone()
        }
    })
    .await;
    assert_eq!(jwks_server.hits(), 1);
    // API keys work meanwhile; tokens get 401.
    app.create_vendor("By key", "DE").await;
    let response = app
        .request_as(Some(&token_a()), Method::GET, "/v1/vendors", None)
        .await;
    assert_eq!(
        invalid_token(response).await,
        "the identity provider's keys have not been fetched yet"
    );
    jwks_server.set(Answer::ok(jwks(&[(PRIVATE_KEY, "a")])));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let response = app
            .request_as(Some(&token_a()), Method::GET, "/v1/vendors", None)
            .await;
        if response.status() == 200 {
            break;
        }
        assert_eq!(response.status(), 401);
        assert!(Instant::now() < deadline, "the keys were not fetched");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn a_regions_claim_limits_where_an_editor_token_writes(backend: Backend) {
    let app = spawn_hs256_app(backend).await;
    let country = app.create_country("KZ", "Kazakhstan").await;
    let inside = app
        .create_region(&country, "KZ-AKT", "Aktobe", "region")
        .await;
    let outside = app
        .create_region(&country, "KZ-ALA", "Almaty", "region")
        .await;
    let token = hs256(&claims(
        "idp|dana",
        "editor",
        json!({"labnet_regions": [inside["id"]]}),
    ));
    let lab = |region: &Value, code: &str| json!({"region_id": region["id"], "code": code, "name": format!("Lab {code}"), "kind": "branch"});
    let created = app
        .request_as(
            Some(&token),
            Method::POST,
            "/v1/laboratories",
            Some(&lab(&inside, "AKT-001")),
        )
        .await;
    assert_eq!(json_with_status(created, 201).await["code"], "AKT-001");

    let outside_id = outside["id"].as_str().unwrap();
    let refused = app
        .request_as(
            Some(&token),
            Method::POST,
            "/v1/laboratories",
            Some(&lab(&outside, "ALA-001")),
        )
        .await;
    let refused = problem(refused, 403).await;
    assert_eq!(refused["type"], "/problems/forbidden");
    assert_eq!(refused["outside_regions"], json!([outside_id]), "{refused}");
    // Rows in no region need the global claim.
    let vendor_refused = app
        .request_as(
            Some(&token),
            Method::POST,
            "/v1/vendors",
            Some(&vendor("Nowhere")),
        )
        .await;
    assert_eq!(
        problem(vendor_refused, 403).await["outside_regions"],
        json!([])
    );
    assert_eq!(app.count_rows("laboratories").await, 1);
    assert_eq!(app.count_rows("vendors").await, 0);

    let global = hs256(&claims(
        "idp|dana",
        "editor",
        json!({"labnet_regions": [inside["id"]], "labnet_global": true}),
    ));
    let vendor_created = app
        .request_as(
            Some(&global),
            Method::POST,
            "/v1/vendors",
            Some(&vendor("Global")),
        )
        .await;
    assert_eq!(
        json_with_status(vendor_created, 201).await["name"],
        "Global"
    );
    // Global scope does not widen the regions.
    let still_refused = app
        .request_as(
            Some(&global),
            Method::POST,
            "/v1/laboratories",
            Some(&lab(&outside, "ALA-002")),
        )
        .await;
    assert_eq!(
        problem(still_refused, 403).await["outside_regions"],
        json!([outside_id])
    );
}

async fn without_jwt_settings_tokens_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = hs256(&claims("idp|alice", "admin", json!({})));
    for (method, path, body) in [
        (Method::GET, "/v1/vendors", None),
        (Method::POST, "/v1/vendors", Some(vendor("Refused"))),
    ] {
        let response = app
            .request_as(Some(&token), method, path, body.as_ref())
            .await;
        assert_eq!(
            invalid_token(response).await,
            "this service accepts no JWTs: send an API key (`lnk_…`)"
        );
    }
    assert_eq!(app.count_rows("vendors").await, 0);
    // API keys work as ever.
    let key = app.key("editor", None).await;
    let created = app
        .request_as(
            Some(&key),
            Method::POST,
            "/v1/vendors",
            Some(&vendor("By key")),
        )
        .await;
    assert_eq!(created.status(), 201);
}

async fn the_served_spec_does_not_depend_on_the_jwt_settings(backend: Backend) {
    let app = spawn_hs256_app(backend).await;
    let served = json_with_status(app.get("/openapi.json").await, 200).await;
    let committed: Value =
        serde_json::from_str(include_str!("../../openapi/openapi.json")).unwrap();
    assert_eq!(served, committed);
    let description = served["components"]["securitySchemes"]["bearer"]["description"]
        .as_str()
        .unwrap();
    assert!(description.contains(labnet::http::jwt::JWT_DESCRIPTION));
    assert!(
        description.contains("\"labnet_role\": \"editor\""),
        "{description}"
    );
}
