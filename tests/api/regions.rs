use serde_json::json;

use crate::backend_tests;
use crate::common::{json_with_status, problem, spawn_app, Backend};

backend_tests!(create_and_get_region);

async fn create_and_get_region(backend: Backend) {
    let app = spawn_app(backend).await;
    let ru = app.create_country("RU", "Россия").await;
    let response = app
        .post("/v1/regions", &json!({"code": "RU-KGN", "name": "Курганская область", "country_code": "RU", "level": "region", "parent_id": ru["id"]}))
        .await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let created = json_with_status(response, 201).await;
    assert_eq!(
        location,
        format!("/v1/regions/{}", created["id"].as_str().unwrap())
    );
    let fetched = json_with_status(app.get(&location).await, 200).await;
    assert_eq!(fetched, created);
    let cached = app
        .request(
            reqwest::Method::GET,
            &location,
            None,
            &[("if-none-match", &etag)],
        )
        .await;
    assert_eq!(cached.status(), 304);
    problem(app.get("/v1/regions/not-a-uuid").await, 404).await;
    assert_eq!(app.count_rows("regions").await, 2);
}
