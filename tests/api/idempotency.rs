use reqwest::Method;
use serde_json::json;

use crate::backend_tests;
use crate::common::{json_with_status, names_field, problem, spawn_app, Backend};

backend_tests!(
    same_key_same_body_replays_the_first_response,
    same_key_other_body_is_refused,
    invalid_keys_are_refused,
    refused_requests_store_nothing,
    racing_retries_write_once,
    the_answer_commits_with_the_write,
    a_killed_server_leaves_each_key_answered_or_unused,
    expired_answers_are_forgotten,
);

async fn post_with_key(
    app: &crate::common::TestApp,
    body: &serde_json::Value,
    key: &str,
) -> reqwest::Response {
    app.request(
        Method::POST,
        "/v1/regions",
        Some(body),
        &[("idempotency-key", key)],
    )
    .await
}

async fn same_key_same_body_replays_the_first_response(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = json!({"code": "KZ", "name": "Қазақстан", "country_code": "KZ", "level": "country"});
    let first = post_with_key(&app, &body, "key-1").await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first_location = first.headers()["location"].clone();
    let first_etag = first.headers()["etag"].clone();
    let first_body = json_with_status(first, 201).await;

    let second = post_with_key(&app, &body, "key-1").await;
    assert_eq!(second.status(), 201);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    assert_eq!(second.headers()["location"], first_location);
    assert_eq!(second.headers()["etag"], first_etag);
    assert_eq!(second.headers()["content-type"], "application/json");
    let second_body = json_with_status(second, 201).await;
    assert_eq!(second_body, first_body);
    assert_eq!(app.count_rows("regions").await, 1);

    // Another key creates normally (and here conflicts on the unique code).
    let third = post_with_key(&app, &body, "key-2").await;
    problem(third, 409).await;
    assert_eq!(app.count_rows("regions").await, 1);
}

async fn same_key_other_body_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let body =
        json!({"code": "KZ", "name": "Kazakhstan", "country_code": "KZ", "level": "country"});
    assert_eq!(post_with_key(&app, &body, "reused").await.status(), 201);
    let other =
        json!({"code": "UZ", "name": "Uzbekistan", "country_code": "UZ", "level": "country"});
    let refused = problem(post_with_key(&app, &other, "reused").await, 422).await;
    assert!(names_field(&refused, "Idempotency-Key"), "{refused}");
    assert_eq!(app.count_rows("regions").await, 1);
    // The same body on another path is another request too.
    let elsewhere = app
        .request(
            Method::POST,
            "/v1/vendors",
            Some(&body),
            &[("idempotency-key", "reused")],
        )
        .await;
    problem(elsewhere, 422).await;
}

async fn invalid_keys_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let body =
        json!({"code": "KZ", "name": "Kazakhstan", "country_code": "KZ", "level": "country"});
    let long_key = "k".repeat(256);
    let refused = problem(post_with_key(&app, &body, &long_key).await, 400).await;
    assert!(names_field(&refused, "Idempotency-Key"), "{refused}");
    assert_eq!(app.count_rows("regions").await, 0);
    assert_eq!(app.count_rows("idempotency_keys").await, 0);
}

async fn refused_requests_store_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = json!({"code": "KZ", "name": "", "country_code": "KZ", "level": "country"});
    let first = problem(post_with_key(&app, &body, "bad-body").await, 422).await;
    let second = post_with_key(&app, &body, "bad-body").await;
    assert!(second.headers().get("idempotent-replayed").is_none());
    let second = problem(second, 422).await;
    assert_eq!(second["errors"], first["errors"]);
    assert_eq!(app.count_rows("idempotency_keys").await, 0);
    // Nothing was written under the key, so the corrected request may use it.
    let fixed =
        json!({"code": "KZ", "name": "Kazakhstan", "country_code": "KZ", "level": "country"});
    json_with_status(post_with_key(&app, &fixed, "bad-body").await, 201).await;
    assert_eq!(app.count_rows("regions").await, 1);
    assert_eq!(app.count_rows("idempotency_keys").await, 1);
}

/// Concurrent retries of one request all get the one answer, and one row is written.
async fn racing_retries_write_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = json!({"name": "Acme Diagnostics", "country_code": "DE", "categories": []});
    let sends = (0..8).map(|_| {
        app.request(
            Method::POST,
            "/v1/vendors",
            Some(&body),
            &[("idempotency-key", "race-1")],
        )
    });
    let responses = futures_util::future::join_all(sends).await;
    let mut locations = Vec::new();
    let mut replayed = 0;
    for response in responses {
        assert_eq!(response.status(), 201, "every retry gets the first answer");
        if response.headers().get("idempotent-replayed").is_some() {
            replayed += 1;
        }
        locations.push(response.headers()["location"].clone());
    }
    assert_eq!(replayed, 7);
    locations.dedup();
    assert_eq!(locations.len(), 1, "{locations:?}");
    assert_eq!(app.count_rows("vendors").await, 1);
    assert_eq!(app.count_rows("idempotency_keys").await, 1);
}

/// A key's answer is committed with the write: there is no state in which the write is
/// stored and the key is not (a crash between them used to leave the key free to write a
/// second row), and a write that rolls back leaves the key unused.
async fn the_answer_commits_with_the_write(backend: Backend) {
    let app = spawn_app(backend).await;
    let body =
        json!({"code": "KZ", "name": "Kazakhstan", "country_code": "KZ", "level": "country"});
    let created = post_with_key(&app, &body, "with-write").await;
    let location = created.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    json_with_status(created, 201).await;
    let stored = app
        .db_texts(
            "SELECT CAST(status_code AS TEXT) || ' ' || response_body AS value \
             FROM idempotency_keys WHERE idempotency_key = 'with-write'",
        )
        .await;
    assert_eq!(stored.len(), 1);
    assert!(stored[0].starts_with("201 {"), "{stored:?}");
    let id = location.rsplit('/').next().expect("id");
    assert!(stored[0].contains(id), "{stored:?}");

    // A write that fails on a rule inside its transaction (the code is taken) leaves no key.
    let clash = json!({"code": "KZ", "name": "Other", "country_code": "KZ", "level": "country"});
    problem(post_with_key(&app, &clash, "rolled-back").await, 409).await;
    assert_eq!(app.count_rows("idempotency_keys").await, 1);

    // A stage change, the other kind of POST, is stored the same way.
    let vendor = app.create_vendor("Acme", "DE").await;
    let localization = app
        .create(
            "/v1/localizations",
            json!({"vendor_id": vendor["id"], "country_code": "KZ", "region_id": id,
                "scope": ["reagents"]}),
        )
        .await;
    let path = format!(
        "/v1/localizations/{}/stage-changes",
        localization["id"].as_str().expect("id")
    );
    let change = json!({"stage": "negotiating"});
    let send = || {
        app.request(
            Method::POST,
            &path,
            Some(&change),
            &[("idempotency-key", "stage-1")],
        )
    };
    let first = send().await;
    let first_etag = first.headers()["etag"].clone();
    let first_body = json_with_status(first, 201).await;
    let again = send().await;
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.headers()["etag"], first_etag);
    assert_eq!(json_with_status(again, 201).await, first_body);
    let history = json_with_status(
        app.get(&format!(
            "/v1/localizations/{}/history",
            localization["id"].as_str().expect("id")
        ))
        .await,
        200,
    )
    .await;
    assert_eq!(history["items"].as_array().expect("items").len(), 2);
}

/// The service process, started on a test's database.
struct Process {
    child: std::process::Child,
    base_url: String,
}

impl Process {
    async fn start(database_url: &str) -> Process {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("free port")
            .port();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_labnet"))
            .env("DATABASE_URL", database_url)
            .env("LABNET_BIND", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start the service");
        let process = Process {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let client = reqwest::Client::new();
        loop {
            let ready = client
                .get(format!("{}/readyz", process.base_url))
                .send()
                .await
                .is_ok_and(|response| response.status() == 200);
            if ready {
                return process;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the service did not start"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn post_vendor(
    client: &reqwest::Client,
    base_url: &str,
    key: &str,
) -> reqwest::Result<reqwest::Response> {
    client
        .post(format!("{base_url}/v1/vendors"))
        .header("idempotency-key", key)
        .json(&json!({"name": key, "country_code": "DE", "categories": []}))
        .send()
        .await
}

/// kill -9 under keyed writes, then a restart and a retry of every key sent: each retry
/// gets its first answer or writes afresh, never "still in flight", and no key writes two
/// rows. Taking the key, the write and the answer in separate transactions left keys that
/// had written but had no answer.
async fn a_killed_server_leaves_each_key_answered_or_unused(backend: Backend) {
    let app = spawn_app(backend).await;
    let database_url = app.database_url();
    let mut process = Process::start(&database_url).await;
    let client = app.client.clone();
    let sent = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let writers: Vec<_> = (0..8)
        .map(|writer| {
            let (client, base_url, sent) = (client.clone(), process.base_url.clone(), sent.clone());
            tokio::spawn(async move {
                for n in 0.. {
                    let key = format!("crash-{writer}-{n}");
                    sent.lock().expect("keys").push(key.clone());
                    if post_vendor(&client, &base_url, &key).await.is_err() {
                        break;
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    process.child.kill().expect("kill -9");
    process.child.wait().expect("reaped");
    for writer in writers {
        writer.await.expect("writer");
    }
    let keys = sent.lock().expect("keys").clone();
    assert!(
        keys.len() > 16,
        "too few writes before the kill: {}",
        keys.len()
    );

    let restarted = Process::start(&database_url).await;
    for key in &keys {
        let response = post_vendor(&client, &restarted.base_url, key)
            .await
            .expect("retry");
        assert_eq!(
            response.status(),
            201,
            "the retry of {key} was not answered"
        );
        let vendor: serde_json::Value = response.json().await.expect("json");
        assert_eq!(vendor["name"], key.as_str());
    }
    assert_eq!(app.count_rows("vendors").await, keys.len() as i64);
    assert_eq!(app.count_rows("idempotency_keys").await, keys.len() as i64);
}

/// An answer older than 24 hours is not replayed: its key writes afresh, and the purge
/// removes such rows.
async fn expired_answers_are_forgotten(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool = app.pool.clone();
    actix_web::web::block(move || {
        use diesel::RunQueryDsl;
        use labnet::db::idempotency::StoredResponse;
        let mut conn = pool.get().expect("connection");
        let created_at =
            labnet::core::time::Timestamp(chrono::Utc::now() - chrono::Duration::hours(25));
        for key in ["expired-1", "expired-2"] {
            diesel::insert_into(labnet::schema::idempotency_keys::table)
                .values(StoredResponse {
                    idempotency_key: key.to_owned(),
                    fingerprint: "another request".to_owned(),
                    status_code: Some(201),
                    response_headers: Some("[]".to_owned()),
                    response_body: Some("{}".to_owned()),
                    created_at,
                })
                .execute(&mut **conn)
                .expect("insert an old answer");
        }
    })
    .await
    .expect("insert task");
    let body =
        json!({"code": "KZ", "name": "Kazakhstan", "country_code": "KZ", "level": "country"});
    let fresh = post_with_key(&app, &body, "expired-1").await;
    assert!(fresh.headers().get("idempotent-replayed").is_none());
    json_with_status(fresh, 201).await;
    assert_eq!(app.count_rows("regions").await, 1);

    let pool = app.pool.clone();
    let purged = actix_web::web::block(move || {
        let mut conn = pool.get().expect("connection");
        labnet::db::idempotency::purge_expired(&mut conn, 100)
    })
    .await
    .expect("purge task")
    .expect("purge");
    // The keyed POST above may have started this process's own purge already.
    assert!(purged <= 1, "{purged}");
    let left = app
        .db_texts("SELECT idempotency_key AS value FROM idempotency_keys")
        .await;
    assert_eq!(left, vec!["expired-1".to_owned()]);
}
