//! Test harness: a real server on a random port over a fresh database per test, on either
//! backend, and small HTTP helpers.
#![allow(dead_code)]

use std::net::TcpListener;
use std::sync::{Once, OnceLock};

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use labnet::config::Settings;
use labnet::db::{self, DatabaseUrl, DbPool};
use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE};
use reqwest::{Method, Response};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each listed `async fn name(backend: Backend)` as two tests, one per backend.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[actix_web::test]
                async fn $name() {
                    super::$name($crate::common::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[actix_web::test]
                async fn $name() {
                    if $crate::common::postgres_available() {
                        super::$name($crate::common::Backend::Postgres).await
                    }
                }
            )*
        }
    };
}

fn admin_url() -> String {
    std::env::var("LABNET_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// The URL of `database` on the test server.
pub fn postgres_url(database: &str) -> String {
    with_database(&admin_url(), database)
}

fn with_database(admin: &str, database: &str) -> String {
    match admin.rfind('/') {
        Some(slash) if slash > "postgres://".len() => format!("{}/{database}", &admin[..slash]),
        _ => format!("{admin}/{database}"),
    }
}

/// Whether the PostgreSQL tests run. When `LABNET_TEST_REQUIRE_POSTGRES=1` (CI), an
/// unreachable server fails the tests instead of skipping them.
pub fn postgres_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        let reachable = PgConnection::establish(&admin_url()).is_ok();
        let required = std::env::var("LABNET_TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
        if !reachable && required {
            panic!("PostgreSQL at {} is required but unreachable", admin_url());
        }
        if !reachable {
            eprintln!(
                "PostgreSQL unreachable at {}: PostgreSQL tests skipped",
                admin_url()
            );
        }
        reachable
    })
}

/// A migrated template database, made once per test run; each test copies it.
fn postgres_template() -> &'static str {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let name = format!("labnet_tpl_{}", uuid::Uuid::now_v7().simple());
        let mut admin = PgConnection::establish(&admin_url()).expect("admin connection");
        drop_stale_databases(&mut admin);
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .expect("create template database");
        let url = DatabaseUrl::Postgres(with_database(&admin_url(), &name));
        let pool = db::build_pool(&url, 1, db::DbTimeouts::default()).expect("template pool");
        let mut conn = pool.get().expect("template connection");
        db::run_migrations(&mut conn).expect("migrate template");
        drop(conn);
        drop(pool);
        name
    })
}

/// Databases of earlier runs (older than an hour) are removed so they do not pile up.
fn drop_stale_databases(admin: &mut PgConnection) {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        datname: String,
    }
    let stale: Vec<Name> = diesel::sql_query(
        "SELECT d.datname FROM pg_database d WHERE d.datname LIKE 'labnet\\_t%' \
         AND (pg_stat_file('base/' || d.oid || '/PG_VERSION')).modification < now() - interval '1 hour'",
    )
    .load(admin)
    .unwrap_or_default();
    for name in stale {
        let _ = diesel::sql_query(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            name.datname
        ))
        .execute(admin);
    }
}

pub struct TestApp {
    pub base_url: String,
    pub client: reqwest::Client,
    pub pool: DbPool,
    pub backend: Backend,
    /// The admin key `client` sends on every request (`Authorization: Bearer ...`).
    pub admin_key: String,
    database: TestDatabase,
    server: actix_web::dev::ServerHandle,
}

/// Makes an API key straight in the database, as `labnet keys create` does: `role` is
/// reader, editor or admin; `regions` limits an editor (with `global` when the list ends in
/// `"global"`).
pub async fn make_key(pool: &DbPool, role: &str, regions: Option<Vec<&str>>) -> String {
    let global = regions.as_ref().is_some_and(|r| r.contains(&"global"));
    let regions = regions.map(|r| {
        r.into_iter()
            .filter(|region| *region != "global")
            .map(|region| labnet::regions::model::RegionId(region.parse().expect("region id")))
            .collect()
    });
    let input = labnet::api_keys::model::ApiKeyCreate {
        name: format!("test-{role}"),
        role: role.parse().expect("role"),
        regions,
        global: global.then_some(true),
        expires_at: None,
    };
    let context = labnet::core::context::WriteContext {
        caller: labnet::core::auth::Caller::system("tests"),
        ..Default::default()
    };
    labnet::api_keys::service::create(pool, &context, input)
        .await
        .expect("make a key")
        .key
}

enum TestDatabase {
    Sqlite(tempfile::TempDir),
    Postgres(String),
    /// Another app's database (its URL): that app drops it.
    Shared(String),
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let server = self.server.clone();
        actix_web::rt::spawn(async move { server.stop(false).await });
        if let TestDatabase::Postgres(name) = &self.database {
            if let Ok(mut admin) = PgConnection::establish(&admin_url()) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin);
            }
        }
        let _ = &self.database;
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Starts the real application with the settings `main` would use, adjusted by `tweak`.
pub async fn spawn_app_with(backend: Backend, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let (url, database) = match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("labnet.db");
            (DatabaseUrl::Sqlite(path), TestDatabase::Sqlite(dir))
        }
        Backend::Postgres => {
            let template = postgres_template();
            let name = format!("labnet_t_{}", uuid::Uuid::now_v7().simple());
            let mut admin = PgConnection::establish(&admin_url()).expect("admin connection");
            diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {template}"))
                .execute(&mut admin)
                .expect("create test database");
            (
                DatabaseUrl::Postgres(with_database(&admin_url(), &name)),
                TestDatabase::Postgres(name),
            )
        }
    };
    let mut settings = Settings {
        database_url: match &url {
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            DatabaseUrl::Postgres(u) => u.clone(),
        },
        ..test_settings()
    };
    tweak(&mut settings);
    serve(settings, backend, database).await
}

/// What the tests change from the defaults: a small pool and two workers per server.
fn test_settings() -> Settings {
    Settings {
        pool_size: 8,
        workers: 2,
        ..Settings::default()
    }
}

/// With `TEST_LOG` set (to anything but `0`), the server's logs go to the test's output,
/// which libtest shows for failing tests (and for all with `--nocapture`). `RUST_LOG`
/// filters them (default `info`).
fn init_test_log() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let enabled = std::env::var_os("TEST_LOG").is_some_and(|v| !v.is_empty() && v != "0");
        if enabled {
            let filter = tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_test_writer()
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
                .try_init();
        }
    });
}

/// Starts the application through `labnet::server::start`, the function `main` uses, on a
/// random port. Its migrations run on the blocking pool, so the test's runtime stays free
/// for whatever it runs itself (such as a proxy in front of the database); the JWT
/// verifier's key refresh, when tokens are configured, runs on it.
async fn serve(settings: Settings, backend: Backend, database: TestDatabase) -> TestApp {
    init_test_log();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (server, pool) = labnet::server::start(settings, listener)
        .await
        .expect("start the server");
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let admin_key = make_key(&pool, "admin", None).await;
    let mut headers = HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {admin_key}")).expect("key header"),
    );
    TestApp {
        base_url: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::builder()
            .default_headers(headers)
            .build()
            .expect("client"),
        admin_key,
        pool,
        backend,
        database,
        server: handle,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Response {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(
                reqwest::header::HeaderName::from_bytes(name.as_bytes()).expect("header name"),
                HeaderValue::from_str(value).expect("header value"),
            );
        }
        let mut builder = self.client.request(method, self.url(path)).headers(map);
        if let Some(body) = body {
            if !headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
            {
                builder = builder.header(CONTENT_TYPE, "application/json");
            }
            builder = builder.body(body.to_string());
        }
        builder.send().await.expect("request sent")
    }

    /// Sends a request with another credential: `Some(key)` as the bearer, `None` for none.
    pub async fn request_as(
        &self,
        key: Option<&str>,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Response {
        let client = reqwest::Client::new();
        let method_is_patch = method == Method::PATCH;
        let mut builder = client.request(method, self.url(path));
        if let Some(key) = key {
            builder = builder.header(reqwest::header::AUTHORIZATION, format!("Bearer {key}"));
        }
        if let Some(body) = body {
            let content_type = if method_is_patch {
                "application/merge-patch+json"
            } else {
                "application/json"
            };
            builder = builder
                .header(CONTENT_TYPE, content_type)
                .body(body.to_string());
        }
        builder.send().await.expect("request sent")
    }

    /// A key with `role` (and, for an editor, `regions`) in this app's database.
    pub async fn key(&self, role: &str, regions: Option<Vec<&str>>) -> String {
        make_key(&self.pool, role, regions).await
    }

    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path, None, &[]).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.request(Method::POST, path, Some(body), &[]).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Response {
        self.request(
            Method::PATCH,
            path,
            Some(body),
            &[("content-type", "application/merge-patch+json")],
        )
        .await
    }

    pub async fn patch_if_match(&self, path: &str, body: &Value, etag: &str) -> Response {
        self.request(
            Method::PATCH,
            path,
            Some(body),
            &[
                ("content-type", "application/merge-patch+json"),
                ("if-match", etag),
            ],
        )
        .await
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.request(Method::DELETE, path, None, &[]).await
    }

    /// Rows in a table, read straight from the database.
    pub async fn count_rows(&self, table: &str) -> i64 {
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = BigInt)]
            count: i64,
        }
        let pool = self.pool.clone();
        let sql = format!("SELECT COUNT(*) AS count FROM {table}");
        actix_web::web::block(move || {
            let mut conn = pool.get().expect("connection");
            diesel::sql_query(sql)
                .get_result::<Count>(&mut **conn)
                .expect("count")
                .count
        })
        .await
        .expect("count rows")
    }

    // ---- fixtures, created through the API ----

    /// Creates a resource and returns its body; panics with the problem on failure.
    pub async fn create(&self, path: &str, body: Value) -> Value {
        let response = self.post(path, &body).await;
        let status = response.status();
        let value: Value = response.json().await.expect("json body");
        assert_eq!(status, 201, "creating {path} with {body} failed: {value}");
        value
    }

    pub async fn create_country(&self, code: &str, name: &str) -> Value {
        self.create(
            "/v1/regions",
            json!({"code": code, "name": name, "country_code": code, "level": "country"}),
        )
        .await
    }

    pub async fn create_region(
        &self,
        parent: &Value,
        code: &str,
        name: &str,
        level: &str,
    ) -> Value {
        self.create(
            "/v1/regions",
            json!({"code": code, "name": name, "country_code": parent["country_code"], "level": level, "parent_id": parent["id"]}),
        )
        .await
    }

    pub async fn create_vendor(&self, name: &str, country_code: &str) -> Value {
        self.create(
            "/v1/vendors",
            json!({"name": name, "country_code": country_code}),
        )
        .await
    }

    pub async fn create_laboratory(&self, region: &Value, code: &str, extra: Value) -> Value {
        let mut body = json!({"region_id": region["id"], "code": code, "name": format!("Laboratory {code}"), "kind": "central", "status": "planned"});
        if let (Some(target), Some(more)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in more {
                target.insert(k.clone(), v.clone());
            }
        }
        self.create("/v1/laboratories", body).await
    }
}

/// Reads a response as JSON, asserting the status first.
pub async fn json_with_status(response: Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let text = response.text().await.expect("body");
    assert_eq!(actual, status, "unexpected status, body: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Asserts a problem+json response with this status and returns it.
/// The `field` of each entry of a problem's `errors[]`, in order.
pub fn error_fields(problem: &Value) -> Vec<&str> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|error| error["field"].as_str())
                .collect()
        })
        .unwrap_or_default()
}

pub async fn problem(response: Response, status: u16) -> Value {
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = json_with_status(response, status).await;
    assert_eq!(
        content_type, "application/problem+json",
        "problem content type for {body}"
    );
    assert_eq!(body["status"], status, "problem status in {body}");
    assert!(
        body["type"].is_string() && body["title"].is_string() && body["detail"].is_string(),
        "problem shape: {body}"
    );
    assert!(body["request_id"].is_string(), "problem request_id: {body}");
    body
}

/// True when the problem's `errors[]` names `field`.
pub fn names_field(problem: &Value, field: &str) -> bool {
    problem["errors"]
        .as_array()
        .is_some_and(|errors| errors.iter().any(|e| e["field"] == field))
}

// ---- helpers for lists, raw database reads and database outages ----

/// Follows `next_page_token` from `path` (which may already carry a query string) to the end
/// and returns every item in order; fails if the walk does not finish within `max_pages`.
pub async fn list_all(app: &TestApp, path: &str, max_pages: usize) -> Vec<Value> {
    let separator = if path.contains('?') { '&' } else { '?' };
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..max_pages {
        let url = match &token {
            Some(token) => format!("{path}{separator}page_token={token}"),
            None => path.to_owned(),
        };
        let page = json_with_status(app.get(&url).await, 200).await;
        items.extend(
            page["items"]
                .as_array()
                .expect("items array")
                .iter()
                .cloned(),
        );
        match page["next_page_token"].as_str() {
            Some(next) => token = Some(next.to_owned()),
            None => {
                assert!(page["next_page_token"].is_null(), "next_page_token: {page}");
                return items;
            }
        }
    }
    panic!("{path} did not finish within {max_pages} pages");
}

impl TestApp {
    /// A second server on this app's database, as a second instance of the service runs
    /// (drop it before this app, which owns the database).
    pub async fn spawn_second(&self) -> TestApp {
        let settings = Settings {
            database_url: self.database_url(),
            ..test_settings()
        };
        let url = self.database_url();
        serve(settings, self.backend, TestDatabase::Shared(url)).await
    }

    /// Sends a request with `key` as the bearer and extra `headers`.
    pub async fn send_as(
        &self,
        key: &str,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Response {
        let mut builder = reqwest::Client::new()
            .request(method, self.url(path))
            .header(reqwest::header::AUTHORIZATION, format!("Bearer {key}"));
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        if let Some(body) = body {
            if !headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
            {
                builder = builder.header(CONTENT_TYPE, "application/json");
            }
            builder = builder.body(body.to_string());
        }
        builder.send().await.expect("request sent")
    }

    /// The `DATABASE_URL` of this test's database, for a second server process on it.
    pub fn database_url(&self) -> String {
        match &self.database {
            TestDatabase::Sqlite(dir) => {
                format!("sqlite://{}", dir.path().join("labnet.db").display())
            }
            TestDatabase::Postgres(name) => with_database(&admin_url(), name),
            TestDatabase::Shared(url) => url.clone(),
        }
    }

    /// The single text column `value` of every row a query returns, read straight from the
    /// database (write `CAST(x AS TEXT) AS value` for other types; works on both backends).
    pub async fn db_texts(&self, sql: &str) -> Vec<String> {
        #[derive(QueryableByName)]
        struct Text {
            #[diesel(sql_type = diesel::sql_types::Text)]
            value: String,
        }
        let pool = self.pool.clone();
        let sql = sql.to_owned();
        actix_web::web::block(move || {
            let mut conn = pool.get().expect("connection");
            diesel::sql_query(sql)
                .load::<Text>(&mut **conn)
                .expect("query")
                .into_iter()
                .map(|row| row.value)
                .collect::<Vec<_>>()
        })
        .await
        .expect("database read")
    }
}

/// A TCP proxy in front of a database server that can be switched off (no new connections
/// and every live one cut) and on again, to simulate an outage, or stalled (connections stay
/// open, new ones are accepted, but no byte is forwarded either way) and resumed, to
/// simulate a database that stops answering without going away.
pub struct TcpProxy {
    pub port: u16,
    target: String,
    tasks: std::sync::Arc<std::sync::Mutex<ProxyTasks>>,
    stalled: std::sync::Arc<tokio::sync::watch::Sender<bool>>,
}

#[derive(Default)]
struct ProxyTasks {
    listener: Option<tokio::task::JoinHandle<()>>,
    connections: Vec<tokio::task::JoinHandle<()>>,
}

/// Copies `from` to `to` while the proxy is not stalled; a chunk read just before a stall
/// is held until it ends.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut stalled: tokio::sync::watch::Receiver<bool>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buffer = vec![0_u8; 16 * 1024];
    loop {
        if stalled.wait_for(|stalled| !stalled).await.is_err() {
            break;
        }
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        if stalled.wait_for(|stalled| !stalled).await.is_err() {
            break;
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

impl TcpProxy {
    /// Starts forwarding from a fresh port on 127.0.0.1 to `target` (`host:port`).
    pub async fn start(target: &str) -> Self {
        let mut proxy = Self {
            port: 0,
            target: target.to_owned(),
            tasks: Default::default(),
            stalled: std::sync::Arc::new(tokio::sync::watch::channel(false).0),
        };
        proxy.port = proxy.listen(0).await;
        proxy
    }

    async fn listen(&self, port: u16) -> u16 {
        let address: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().expect("address");
        let mut attempts = 0;
        let listener = loop {
            let socket = tokio::net::TcpSocket::new_v4().expect("socket");
            socket.set_reuseaddr(true).expect("reuseaddr");
            match socket.bind(address).and_then(|()| socket.listen(64)) {
                Ok(listener) => break listener,
                Err(error) if attempts < 50 => {
                    attempts += 1;
                    eprintln!("proxy cannot listen on {address} yet: {error}");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(error) => panic!("proxy cannot listen on {address}: {error}"),
            }
        };
        let port = listener.local_addr().expect("proxy address").port();
        let target = self.target.clone();
        let tasks = std::sync::Arc::clone(&self.tasks);
        let stalled = std::sync::Arc::clone(&self.stalled);
        let accept = tokio::spawn(async move {
            loop {
                let Ok((inbound, _)) = listener.accept().await else {
                    continue;
                };
                let target = target.clone();
                let (upstream, downstream) = (stalled.subscribe(), stalled.subscribe());
                let forward = tokio::spawn(async move {
                    if let Ok(outbound) = tokio::net::TcpStream::connect(&target).await {
                        let (client_read, client_write) = inbound.into_split();
                        let (server_read, server_write) = outbound.into_split();
                        tokio::join!(
                            pump(client_read, server_write, upstream),
                            pump(server_read, client_write, downstream)
                        );
                    }
                });
                let mut tasks = tasks.lock().expect("proxy tasks");
                tasks.connections.retain(|task| !task.is_finished());
                tasks.connections.push(forward);
            }
        });
        self.tasks.lock().expect("proxy tasks").listener = Some(accept);
        port
    }

    /// Stops forwarding bytes, in both directions, on every connection (live or new), while
    /// keeping them all open.
    pub fn stall(&self) {
        self.stalled.send_replace(true);
    }

    /// Forwards again, starting with what was held during the stall.
    pub fn resume(&self) {
        self.stalled.send_replace(false);
    }

    /// Stops accepting and drops every live connection.
    pub async fn switch_off(&self) {
        let (listener, connections) = {
            let mut tasks = self.tasks.lock().expect("proxy tasks");
            (
                tasks.listener.take(),
                std::mem::take(&mut tasks.connections),
            )
        };
        for task in listener.into_iter().chain(connections) {
            task.abort();
            let _ = task.await;
        }
    }

    /// Accepts connections again, on the same port.
    pub async fn switch_on(&self) {
        let port = self.listen(self.port).await;
        assert_eq!(port, self.port, "proxy port");
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        if let Ok(mut tasks) = self.tasks.lock() {
            for task in tasks
                .listener
                .take()
                .into_iter()
                .chain(tasks.connections.drain(..))
            {
                task.abort();
            }
        }
    }
}

/// `host:port` of the PostgreSQL server the tests use.
pub fn postgres_address() -> String {
    let parsed = url::Url::parse(&admin_url()).expect("PostgreSQL URL");
    format!(
        "{}:{}",
        parsed.host_str().unwrap_or("127.0.0.1"),
        parsed.port().unwrap_or(5432)
    )
}

/// Starts the application on a fresh PostgreSQL database that it reaches only through
/// `proxy` (the test database itself is made and dropped directly).
pub async fn spawn_app_via_proxy(proxy: &TcpProxy) -> TestApp {
    spawn_app_via_proxy_with(proxy, |_| {}).await
}

/// [`spawn_app_via_proxy`] with settings adjusted by `tweak`.
pub async fn spawn_app_via_proxy_with(
    proxy: &TcpProxy,
    tweak: impl FnOnce(&mut Settings),
) -> TestApp {
    let template = postgres_template();
    let name = format!("labnet_t_{}", uuid::Uuid::now_v7().simple());
    let mut admin = PgConnection::establish(&admin_url()).expect("admin connection");
    diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {template}"))
        .execute(&mut admin)
        .expect("create test database");
    let mut proxied = url::Url::parse(&with_database(&admin_url(), &name)).expect("database URL");
    proxied.set_host(Some("127.0.0.1")).expect("proxy host");
    proxied.set_port(Some(proxy.port)).expect("proxy port");
    let mut settings = Settings {
        database_url: proxied.to_string(),
        ..test_settings()
    };
    tweak(&mut settings);
    serve(settings, Backend::Postgres, TestDatabase::Postgres(name)).await
}
