use reqwest::Method;
use serde_json::json;

use crate::backend_tests;
use crate::common::{json_with_status, names_field, problem, spawn_app, Backend};

backend_tests!(
    same_key_same_body_replays_the_first_response,
    same_key_other_body_is_refused,
    invalid_keys_are_refused,
    refused_requests_are_replayed_too,
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

async fn refused_requests_are_replayed_too(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = json!({"code": "KZ", "name": "", "country_code": "KZ", "level": "country"});
    let first = problem(post_with_key(&app, &body, "bad-body").await, 422).await;
    let second = post_with_key(&app, &body, "bad-body").await;
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    let second = problem(second, 422).await;
    assert_eq!(second["errors"], first["errors"]);
    assert_eq!(app.count_rows("regions").await, 0);
}
