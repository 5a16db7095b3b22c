use labnet::generate::{generate, GenerateOptions};

use crate::backend_tests;
use crate::common::{json_with_status, spawn_app, Backend};

backend_tests!(generated_data_follows_the_rules);

async fn generated_data_follows_the_rules(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool = app.pool.clone();
    let options = GenerateOptions {
        regions: 120,
        laboratories: 1500,
        vendors: 40,
        localizations: 200,
        seed: 7,
        batch_size: 500,
        progress: false,
    };
    let report = actix_web::web::block(move || generate(&pool, options))
        .await
        .unwrap()
        .unwrap();
    assert!(
        report
            .lines
            .iter()
            .any(|l| l.starts_with("laboratories: 1500 rows")),
        "{:?}",
        report.lines
    );

    assert_eq!(app.count_rows("regions").await, 120);
    assert_eq!(app.count_rows("laboratories").await, 1500);
    assert_eq!(app.count_rows("vendors").await, 40);
    assert_eq!(app.count_rows("localizations").await, 200);
    assert!(app.count_rows("localization_stage_changes").await >= 200);
    assert!(app.count_rows("laboratory_disciplines").await > 0);

    // A second run into the same database is refused, and writes nothing.
    let pool = app.pool.clone();
    let refused = actix_web::web::block(move || generate(&pool, options))
        .await
        .unwrap();
    assert!(refused.is_err());
    assert_eq!(app.count_rows("laboratories").await, 1500);

    // The API reads every generated laboratory, and each hub is in the same country.
    let mut next: Option<String> = None;
    let mut seen = 0;
    loop {
        let path = match &next {
            Some(token) => format!("/v1/laboratories?page_size=500&page_token={token}"),
            None => "/v1/laboratories?page_size=500".to_owned(),
        };
        let page = json_with_status(app.get(&path).await, 200).await;
        seen += page["items"].as_array().unwrap().len();
        match page["next_page_token"].as_str() {
            Some(token) => next = Some(token.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, 1500);
    let lab = json_with_status(
        app.get("/v1/laboratories?kind=collection_point&page_size=1")
            .await,
        200,
    )
    .await;
    let lab = &lab["items"][0];
    let hub_id = lab["parent_id"]
        .as_str()
        .expect("a collection point has a hub");
    let hub = json_with_status(app.get(&format!("/v1/laboratories/{hub_id}")).await, 200).await;
    let region_of = |id: &str| format!("/v1/regions/{id}");
    let lab_region = json_with_status(
        app.get(&region_of(lab["region_id"].as_str().unwrap()))
            .await,
        200,
    )
    .await;
    let hub_region = json_with_status(
        app.get(&region_of(hub["region_id"].as_str().unwrap()))
            .await,
        200,
    )
    .await;
    assert_eq!(lab_region["country_code"], hub_region["country_code"]);

    // Localization histories end at the current stage.
    let page = json_with_status(app.get("/v1/localizations?page_size=20").await, 200).await;
    for localization in page["items"].as_array().unwrap() {
        let id = localization["id"].as_str().unwrap();
        let history = json_with_status(
            app.get(&format!("/v1/localizations/{id}/history?page_size=500"))
                .await,
            200,
        )
        .await;
        let last = history["items"]
            .as_array()
            .unwrap()
            .last()
            .cloned()
            .unwrap();
        assert_eq!(last["to_stage"], localization["stage"], "{localization}");
    }
    // Cyrillic search finds generated names.
    let found = json_with_status(app.get("/v1/laboratories?q=%D0%BB%D0%B0%D0%B1%D0%BE%D1%80%D0%B0%D1%82%D0%BE%D1%80%D0%B8%D1%8F&page_size=5").await, 200).await;
    assert!(!found["items"].as_array().unwrap().is_empty());
}
