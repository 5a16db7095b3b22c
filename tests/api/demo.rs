//! `labnet seed-demo`: the illustrative data set loads through the services, answers the
//! questions the README walks through, and a second run changes nothing.

use serde_json::Value;

use crate::backend_tests;
use crate::common::{json_with_status, list_all, Backend, TestApp};

backend_tests!(seeding_twice_changes_nothing, the_demo_network_is_browsable);

const TABLES: &[&str] = &[
    "regions",
    "laboratories",
    "vendors",
    "localizations",
    "organizations",
    "audit_events",
];

async fn counts(app: &TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in TABLES {
        counts.push(app.count_rows(table).await);
    }
    counts
}

async fn seeding_twice_changes_nothing(backend: Backend) {
    let app = crate::common::spawn_app(backend).await;
    let first = labnet::demo::seed(&app.pool).await.expect("first seed");
    assert!(
        first
            .lines
            .iter()
            .all(|line| line.ends_with(", 0 already there")),
        "{:?}",
        first.lines
    );
    let after_first = counts(&app).await;
    assert_eq!(&after_first[..5], &[11, 30, 7, 6, 4], "rows per table");

    let second = labnet::demo::seed(&app.pool).await.expect("second seed");
    assert!(
        second.lines.iter().all(|line| line.contains(": 0 made,")),
        "{:?}",
        second.lines
    );
    // Not one row more, the audit trail included: nothing was written again.
    assert_eq!(counts(&app).await, after_first);
}

async fn the_demo_network_is_browsable(backend: Backend) {
    let app = crate::common::spawn_app(backend).await;
    labnet::demo::seed(&app.pool).await.expect("seed");

    let pilot = list_all(&app, "/v1/regions?rollout_stage=pilot", 5).await;
    let codes: Vec<&str> = pilot.iter().filter_map(|r| r["code"].as_str()).collect();
    assert_eq!(codes, ["RU-KGN"]);

    let kurgan_id = pilot[0]["id"].as_str().expect("id");
    let labs = list_all(&app, &format!("/v1/laboratories?region_id={kurgan_id}"), 5).await;
    assert_eq!(labs.len(), 3);
    let hub = labs
        .iter()
        .find(|lab| lab["kind"] == "central")
        .expect("a hub in Kurgan");
    assert_eq!(hub["status"], "operational");
    for spoke in labs.iter().filter(|lab| lab["kind"] != "central") {
        assert_eq!(spoke["parent_id"], hub["id"], "{spoke}");
    }

    let localizations = json_with_status(
        app.get("/v1/localizations?country_code=RU&page_size=50")
            .await,
        200,
    )
    .await;
    let stages: Vec<&str> = localizations["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|item: &Value| item["stage"].as_str())
        .collect();
    assert_eq!(stages.len(), 6);
    assert!(stages.contains(&"agreement_signed") && stages.contains(&"production_setup"));

    // Written as the `seed-demo` system actor.
    let events = json_with_status(app.get("/v1/audit-events?page_size=1").await, 200).await;
    assert_eq!(events["items"][0]["actor"]["id"], "seed-demo", "{events}");
}
