//! `labnet seed-demo`: the illustrative data set loads through the services, answers the
//! questions the README walks through, and a second run changes nothing.

use serde_json::Value;

use crate::backend_tests;
use crate::common::{json_with_status, list_all, Backend, TestApp};

backend_tests!(
    seeding_twice_changes_nothing,
    the_demo_network_is_browsable,
    the_walk_through_eligibility_answers_hold,
);

const TABLES: &[&str] = &[
    "regions",
    "laboratories",
    "vendors",
    "localizations",
    "organizations",
    "equipment_models",
    "registration_certificates",
    "recognition_agreements",
    "equipment_units",
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
    assert_eq!(
        &after_first[..9],
        &[11, 30, 7, 6, 4, 7, 8, 1, 6],
        "rows per table"
    );

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

/// The README's walk-through: may an analyzer registered in Russia be supplied in Syria on
/// 2027-01-01?
async fn the_walk_through_eligibility_answers_hold(backend: Backend) {
    let app = crate::common::spawn_app(backend).await;
    labnet::demo::seed(&app.pool).await.expect("seed");
    let models = list_all(&app, "/v1/equipment-models?sort=model_code", 5).await;
    let model = |code: &str| {
        models
            .iter()
            .find(|m| m["model_code"] == code)
            .unwrap_or_else(|| panic!("no model {code}"))
            .clone()
    };
    let ask = |code: &str| {
        let id = model(code)["id"].as_str().expect("id").to_owned();
        let app = &app;
        async move {
            json_with_status(
                app.get(&format!(
                    "/v1/equipment-models/{id}/eligibility?country_code=SY&on=2027-01-01"
                ))
                .await,
                200,
            )
            .await
        }
    };
    let analyzer = ask("BC-6200").await;
    assert_eq!(analyzer["eligible"], true, "{analyzer}");
    assert_eq!(analyzer["basis"], "recognized");
    assert_eq!(analyzer["certificate"]["number"], "РЗН 2021/14567");
    assert_eq!(analyzer["agreement"]["recognizing_country_code"], "SY");
    let expired = ask("BS-2000M").await;
    assert_eq!(expired["eligible"], false);
    assert_eq!(
        expired["reasons"][1]["code"], "certificate_expired",
        "{expired}"
    );
    assert_eq!(
        ask("CL-6000i").await["reasons"][1]["code"],
        "certificate_revoked"
    );
    assert_eq!(
        ask("TSX-036A").await["reasons"][1]["code"],
        "certificate_suspended"
    );
    assert_eq!(ask("HS40").await["basis"], "registered");
    let eligible = list_all(
        &app,
        "/v1/eligibility?country_code=SY&on=2027-01-01&eligible=true",
        5,
    )
    .await;
    let mut codes: Vec<&str> = eligible
        .iter()
        .filter_map(|item| item["equipment_model"]["model_code"].as_str())
        .collect();
    codes.sort_unstable();
    assert_eq!(codes, ["BC-6200", "HS40", "INSITUM-64", "KRT-E"]);
    // The Kurgan hub's equipment shows on it.
    let hub = json_with_status(app.get("/v1/laboratories?code=KGN-HUB-01").await, 200).await;
    assert_eq!(
        hub["items"][0]["equipment_counts"],
        serde_json::json!({"clinical_chemistry_analyzer": 1, "hematology_analyzer": 2})
    );
}
