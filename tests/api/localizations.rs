//! The localizations API: CRUD, the stage machine and its history, validation of references
//! to vendors and regions, list filters and keyset pagination.

use reqwest::{Method, Response};
use serde_json::{json, Value};

use crate::backend_tests;
use crate::common::{json_with_status, names_field, problem, spawn_app, Backend, TestApp};

backend_tests!(
    crud_round_trip,
    absent_optionals_are_null_and_defaults_apply,
    create_writes_the_first_history_entry,
    create_refuses_a_closed_initial_stage,
    walks_the_whole_forward_path,
    suspends_and_resumes_to_the_remembered_stage,
    resume_to_another_stage_is_refused,
    cancels_from_open_and_from_suspended,
    refuses_illegal_moves_and_keeps_history,
    stage_change_honours_if_match,
    stage_change_dates_are_checked,
    stage_change_body_is_validated,
    invalid_fields_are_named,
    patch_revalidates_references,
    patch_refuses_stage_fields,
    unknown_ids_are_not_found,
    bad_queries_are_refused,
    filters_select_any_of,
    history_is_paginated_oldest_first,
    delete_keeps_a_history_and_removes_the_rest,
);

const SCOPES: &str = "localization_scopes";
const CHANGES: &str = "localization_stage_changes";

/// The world most tests start from: Russia with the Kurgan region, Kazakhstan, and Mindray.
struct World {
    app: TestApp,
    kgn: Value,
    kz_akt: Value,
    vendor: Value,
}

async fn world(backend: Backend) -> World {
    let app = spawn_app(backend).await;
    let ru = app.create_country("RU", "Россия").await;
    let kgn = app
        .create_region(&ru, "RU-KGN", "Курганская область", "region")
        .await;
    let kz = app.create_country("KZ", "Қазақстан").await;
    let kz_akt = app
        .create_region(&kz, "KZ-AKT", "Ақтөбе облысы", "region")
        .await;
    let vendor = app.create_vendor("Mindray", "CN").await;
    World {
        app,
        kgn,
        kz_akt,
        vendor,
    }
}

impl World {
    /// A body for Mindray localizing reagents in RU-KGN, with `extra` merged in.
    fn body(&self, extra: Value) -> Value {
        let mut body = json!({
            "vendor_id": self.vendor["id"],
            "country_code": "RU",
            "region_id": self.kgn["id"],
            "scope": ["reagents"],
            "partner": "Медтехника",
        });
        merge(&mut body, extra);
        body
    }

    async fn create(&self, extra: Value) -> Value {
        self.app.create("/v1/localizations", self.body(extra)).await
    }
}

fn merge(target: &mut Value, extra: Value) {
    if let (Some(target), Value::Object(more)) = (target.as_object_mut(), extra) {
        for (key, value) in more {
            target.insert(key, value);
        }
    }
}

fn id_of(value: &Value) -> &str {
    value["id"].as_str().expect("id")
}

fn header(response: &Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .expect("header text")
        .to_owned()
}

fn today() -> String {
    chrono::Utc::now().date_naive().to_string()
}

fn tomorrow() -> String {
    (chrono::Utc::now().date_naive() + chrono::Days::new(1)).to_string()
}

async fn change(app: &TestApp, id: &str, body: Value) -> Response {
    app.post(&format!("/v1/localizations/{id}/stage-changes"), &body)
        .await
}

/// Moves to `stage`, asserting the 201 and its headers; returns the history entry.
async fn move_to(app: &TestApp, localization: &str, stage: &str) -> Value {
    let before = get(app, localization).await;
    let response = change(app, localization, json!({"stage": stage})).await;
    assert_eq!(
        response.status(),
        201,
        "moving {} to {stage}",
        before["stage"]
    );
    assert_eq!(
        header(&response, "location"),
        format!("/v1/localizations/{localization}/history")
    );
    let version = before["version"].as_i64().expect("version") + 1;
    assert_eq!(header(&response, "etag"), format!("\"v{version}\""));
    let entry = json_with_status(response, 201).await;
    assert_eq!(entry["localization_id"], localization);
    assert_eq!(entry["from_stage"], before["stage"]);
    assert_eq!(entry["to_stage"], stage);
    assert_eq!(entry["changed_on"], today());
    let after = get(app, localization).await;
    assert_eq!(after["stage"], stage);
    assert_eq!(after["version"], version);
    assert_eq!(after["stage_changed_on"], today());
    entry
}

/// Asserts a refused move: 409 with the current state and allowed moves, nothing written.
async fn refused(app: &TestApp, localization: &str, stage: &str, current: &str, allowed: &[&str]) {
    let before = get(app, localization).await;
    let history_before = history(app, localization).await.len();
    let rows_before = app.count_rows(CHANGES).await;
    let body = problem(
        change(app, localization, json!({"stage": stage})).await,
        409,
    )
    .await;
    assert_eq!(body["type"], "/problems/illegal-transition", "{body}");
    assert_eq!(body["current_state"], current, "{body}");
    assert_eq!(body["allowed_transitions"], json!(allowed), "{body}");
    assert_eq!(get(app, localization).await, before);
    assert_eq!(history(app, localization).await.len(), history_before);
    assert_eq!(app.count_rows(CHANGES).await, rows_before);
}

async fn get(app: &TestApp, id: &str) -> Value {
    json_with_status(app.get(&format!("/v1/localizations/{id}")).await, 200).await
}

async fn history(app: &TestApp, id: &str) -> Vec<Value> {
    let page = json_with_status(
        app.get(&format!("/v1/localizations/{id}/history")).await,
        200,
    )
    .await;
    assert!(page["next_page_token"].is_null());
    page["items"].as_array().expect("items").clone()
}

async fn list_ids(app: &TestApp, query: &str) -> Vec<String> {
    let page = json_with_status(app.get(&format!("/v1/localizations{query}")).await, 200).await;
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| id_of(item).to_owned())
        .collect()
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

async fn crud_round_trip(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let response = app
        .post(
            "/v1/localizations",
            &w.body(json!({
                "scope": ["consumables", "reagents"],
                "local_content_percent": 35.5,
                "target_date": "2027-12-31",
            })),
        )
        .await;
    assert_eq!(response.status(), 201);
    let location = header(&response, "location");
    assert_eq!(header(&response, "etag"), "\"v1\"");
    let created = json_with_status(response, 201).await;
    assert_eq!(location, format!("/v1/localizations/{}", id_of(&created)));
    assert_eq!(created["vendor_id"], w.vendor["id"]);
    assert_eq!(created["country_code"], "RU");
    assert_eq!(created["region_id"], w.kgn["id"]);
    // Scopes come back in enum order, whatever order they were sent in.
    assert_eq!(created["scope"], json!(["reagents", "consumables"]));
    assert_eq!(created["stage"], "interest_declared");
    assert_eq!(created["suspended_from_stage"], Value::Null);
    assert_eq!(created["local_content_percent"], 35.5);
    assert_eq!(created["target_date"], "2027-12-31");
    assert_eq!(created["partner"], "Медтехника");
    assert_eq!(created["version"], 1);
    assert_eq!(created["created_at"], created["updated_at"]);
    assert_eq!(app.count_rows("localizations").await, 1);
    assert_eq!(app.count_rows(SCOPES).await, 2);

    let response = app.get(&location).await;
    assert_eq!(header(&response, "etag"), "\"v1\"");
    assert_eq!(json_with_status(response, 200).await, created);
    let cached = app
        .request(Method::GET, &location, None, &[("if-none-match", "\"v1\"")])
        .await;
    assert_eq!(cached.status(), 304);

    let response = app
        .patch_if_match(
            &location,
            &json!({"scope": ["equipment"], "local_content_percent": null, "partner": "АО Медтехника"}),
            "\"v1\"",
        )
        .await;
    assert_eq!(header(&response, "etag"), "\"v2\"");
    let patched = json_with_status(response, 200).await;
    assert_eq!(patched["scope"], json!(["equipment"]));
    assert_eq!(patched["local_content_percent"], Value::Null);
    assert_eq!(patched["partner"], "АО Медтехника");
    assert_eq!(patched["target_date"], "2027-12-31");
    assert_eq!(patched["stage"], "interest_declared");
    assert_eq!(patched["version"], 2);
    assert_eq!(patched["created_at"], created["created_at"]);
    assert_ne!(patched["updated_at"], created["updated_at"]);
    assert_eq!(get(app, id_of(&created)).await, patched);
    assert_eq!(app.count_rows(SCOPES).await, 1);

    let stale = app
        .patch_if_match(&location, &json!({"partner": "x"}), "\"v1\"")
        .await;
    problem(stale, 412).await;
    assert_eq!(get(app, id_of(&created)).await["partner"], "АО Медтехника");

    let stale = app
        .request(Method::DELETE, &location, None, &[("if-match", "\"v1\"")])
        .await;
    problem(stale, 412).await;
    assert_eq!(app.count_rows("localizations").await, 1);
    let deleted = app
        .request(Method::DELETE, &location, None, &[("if-match", "\"v2\"")])
        .await;
    assert_eq!(deleted.status(), 204);
    problem(app.get(&location).await, 404).await;
    problem(app.delete(&location).await, 404).await;
    assert_eq!(app.count_rows("localizations").await, 0);
    assert_eq!(app.count_rows(SCOPES).await, 0);
    assert_eq!(app.count_rows(CHANGES).await, 0);
}

async fn absent_optionals_are_null_and_defaults_apply(backend: Backend) {
    let w = world(backend).await;
    let created = w
        .app
        .create(
            "/v1/localizations",
            json!({"vendor_id": w.vendor["id"], "country_code": "KZ", "scope": ["equipment"]}),
        )
        .await;
    for field in [
        "region_id",
        "suspended_from_stage",
        "local_content_percent",
        "target_date",
        "partner",
    ] {
        let value = created.get(field);
        assert_eq!(value, Some(&Value::Null), "{field} in {created}");
    }
    assert_eq!(created["stage"], "interest_declared");
    assert_eq!(created["stage_changed_on"], today());
    // Blank text is no text.
    let blank = w.create(json!({"partner": "   "})).await;
    assert_eq!(blank["partner"], Value::Null);
}

async fn create_writes_the_first_history_entry(backend: Backend) {
    let w = world(backend).await;
    let created = w
        .create(json!({
            "stage": "negotiating",
            "stage_changed_on": "2025-03-01",
            "note": "Talks on reagents for the Kurgan pilot",
            "source": "https://example.org/news/mindray-kurgan",
        }))
        .await;
    assert_eq!(created["stage"], "negotiating");
    assert_eq!(created["stage_changed_on"], "2025-03-01");
    let entries = history(&w.app, id_of(&created)).await;
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    assert_eq!(entry["localization_id"], created["id"]);
    assert_eq!(entry["from_stage"], Value::Null);
    assert_eq!(entry["to_stage"], "negotiating");
    assert_eq!(entry["changed_on"], "2025-03-01");
    assert_eq!(entry["note"], "Talks on reagents for the Kurgan pilot");
    assert_eq!(entry["source"], "https://example.org/news/mindray-kurgan");
    assert!(entry["id"].is_string() && entry["created_at"].is_string());
    assert_eq!(w.app.count_rows(CHANGES).await, 1);

    let plain = w.create(json!({})).await;
    let entries = history(&w.app, id_of(&plain)).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["to_stage"], "interest_declared");
    assert_eq!(entries[0]["changed_on"], today());
    assert_eq!(entries[0]["note"], Value::Null);
    assert_eq!(entries[0]["source"], Value::Null);
    assert_eq!(w.app.count_rows(CHANGES).await, 2);
}

async fn create_refuses_a_closed_initial_stage(backend: Backend) {
    let w = world(backend).await;
    for stage in ["suspended", "cancelled"] {
        let response = w
            .app
            .post("/v1/localizations", &w.body(json!({"stage": stage})))
            .await;
        let body = problem(response, 422).await;
        assert!(names_field(&body, "stage"), "{body}");
    }
    let response = w
        .app
        .post(
            "/v1/localizations",
            &w.body(json!({"stage_changed_on": tomorrow()})),
        )
        .await;
    let body = problem(response, 422).await;
    assert!(names_field(&body, "stage_changed_on"), "{body}");
    let response = w
        .app
        .post("/v1/localizations", &w.body(json!({"stage": "shipping"})))
        .await;
    let body = problem(response, 422).await;
    assert!(names_field(&body, "stage"), "{body}");
    assert_eq!(w.app.count_rows("localizations").await, 0);
    assert_eq!(w.app.count_rows(CHANGES).await, 0);
}

async fn walks_the_whole_forward_path(backend: Backend) {
    let w = world(backend).await;
    let created = w.create(json!({})).await;
    let id = id_of(&created);
    let path = [
        "negotiating",
        "agreement_signed",
        "production_setup",
        "producing",
    ];
    for stage in path {
        move_to(&w.app, id, stage).await;
    }
    let done = get(&w.app, id).await;
    assert_eq!(done["stage"], "producing");
    assert_eq!(done["version"], 5);
    assert_eq!(done["suspended_from_stage"], Value::Null);
    let entries = history(&w.app, id).await;
    let moves: Vec<(Value, Value)> = entries
        .iter()
        .map(|e| (e["from_stage"].clone(), e["to_stage"].clone()))
        .collect();
    assert_eq!(
        moves,
        vec![
            (Value::Null, json!("interest_declared")),
            (json!("interest_declared"), json!("negotiating")),
            (json!("negotiating"), json!("agreement_signed")),
            (json!("agreement_signed"), json!("production_setup")),
            (json!("production_setup"), json!("producing")),
        ]
    );
    assert_eq!(w.app.count_rows(CHANGES).await, 5);
    // Producing is the end of the forward path.
    refused(
        &w.app,
        id,
        "producing",
        "producing",
        &["suspended", "cancelled"],
    )
    .await;
}

async fn suspends_and_resumes_to_the_remembered_stage(backend: Backend) {
    let w = world(backend).await;
    for (start, path) in [
        ("interest_declared", &[][..]),
        ("agreement_signed", &[][..]),
        ("production_setup", &["producing"][..]),
    ] {
        let created = w.create(json!({"stage": start})).await;
        let id = id_of(&created);
        let mut at = start;
        for stage in path {
            move_to(&w.app, id, stage).await;
            at = stage;
        }
        move_to(&w.app, id, "suspended").await;
        let suspended = get(&w.app, id).await;
        assert_eq!(suspended["suspended_from_stage"], at);
        move_to(&w.app, id, at).await;
        let resumed = get(&w.app, id).await;
        assert_eq!(resumed["stage"], at);
        assert_eq!(resumed["suspended_from_stage"], Value::Null);
        let entries = history(&w.app, id).await;
        let tail: Vec<(Value, Value)> = entries[entries.len() - 2..]
            .iter()
            .map(|e| (e["from_stage"].clone(), e["to_stage"].clone()))
            .collect();
        assert_eq!(
            tail,
            vec![
                (json!(at), json!("suspended")),
                (json!("suspended"), json!(at))
            ]
        );
        // A resumed localization goes on from where it was.
        if at != "producing" {
            let next = match at {
                "interest_declared" => "negotiating",
                _ => "production_setup",
            };
            move_to(&w.app, id, next).await;
        }
    }
}

async fn resume_to_another_stage_is_refused(backend: Backend) {
    let w = world(backend).await;
    let created = w.create(json!({"stage": "agreement_signed"})).await;
    let id = id_of(&created);
    move_to(&w.app, id, "suspended").await;
    let allowed = ["agreement_signed", "cancelled"];
    for stage in [
        "interest_declared",
        "negotiating",
        "production_setup",
        "producing",
    ] {
        refused(&w.app, id, stage, "suspended", &allowed).await;
    }
    refused(&w.app, id, "suspended", "suspended", &allowed).await;
    assert_eq!(
        get(&w.app, id).await["suspended_from_stage"],
        "agreement_signed"
    );
}

async fn cancels_from_open_and_from_suspended(backend: Backend) {
    let w = world(backend).await;
    let open = w.create(json!({"stage": "negotiating"})).await;
    let entry = move_to(&w.app, id_of(&open), "cancelled").await;
    assert_eq!(entry["from_stage"], "negotiating");

    let paused = w.create(json!({"stage": "producing"})).await;
    move_to(&w.app, id_of(&paused), "suspended").await;
    let entry = move_to(&w.app, id_of(&paused), "cancelled").await;
    assert_eq!(entry["from_stage"], "suspended");
    let cancelled = get(&w.app, id_of(&paused)).await;
    assert_eq!(cancelled["suspended_from_stage"], Value::Null);

    // Cancelled is final: nothing leaves it, not even to where it came from.
    for localization in [&open, &paused] {
        for stage in [
            "interest_declared",
            "negotiating",
            "producing",
            "suspended",
            "cancelled",
        ] {
            refused(&w.app, id_of(localization), stage, "cancelled", &[]).await;
        }
    }
    assert_eq!(w.app.count_rows(CHANGES).await, 2 + 3);
}

async fn refuses_illegal_moves_and_keeps_history(backend: Backend) {
    let w = world(backend).await;
    let created = w.create(json!({})).await;
    let id = id_of(&created);
    let from_interest = ["negotiating", "suspended", "cancelled"];
    // Skipping a step.
    refused(
        &w.app,
        id,
        "agreement_signed",
        "interest_declared",
        &from_interest,
    )
    .await;
    refused(&w.app, id, "producing", "interest_declared", &from_interest).await;
    // The same stage is not a change.
    refused(
        &w.app,
        id,
        "interest_declared",
        "interest_declared",
        &from_interest,
    )
    .await;
    move_to(&w.app, id, "negotiating").await;
    move_to(&w.app, id, "agreement_signed").await;
    let from_signed = ["production_setup", "suspended", "cancelled"];
    // Backwards.
    refused(&w.app, id, "negotiating", "agreement_signed", &from_signed).await;
    refused(
        &w.app,
        id,
        "interest_declared",
        "agreement_signed",
        &from_signed,
    )
    .await;
    refused(&w.app, id, "producing", "agreement_signed", &from_signed).await;
    let body = problem(
        change(&w.app, id, json!({"stage": "negotiating"})).await,
        409,
    )
    .await;
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("backwards")),
        "{body}"
    );
    assert_eq!(history(&w.app, id).await.len(), 3);
}

async fn stage_change_honours_if_match(backend: Backend) {
    let w = world(backend).await;
    let created = w.create(json!({})).await;
    let id = id_of(&created);
    let path = format!("/v1/localizations/{id}/stage-changes");
    let body = json!({"stage": "negotiating"});
    let stale = w
        .app
        .request(Method::POST, &path, Some(&body), &[("if-match", "\"v7\"")])
        .await;
    problem(stale, 412).await;
    assert_eq!(get(&w.app, id).await["stage"], "interest_declared");
    assert_eq!(history(&w.app, id).await.len(), 1);
    let fresh = w
        .app
        .request(Method::POST, &path, Some(&body), &[("if-match", "\"v1\"")])
        .await;
    assert_eq!(fresh.status(), 201);
    assert_eq!(header(&fresh, "etag"), "\"v2\"");
    // The ETag of the stage change is the localization's: a PATCH can use it.
    let patched = w
        .app
        .patch_if_match(
            &format!("/v1/localizations/{id}"),
            &json!({"target_date": "2028-06-30"}),
            "\"v2\"",
        )
        .await;
    assert_eq!(json_with_status(patched, 200).await["version"], 3);
    let old = w
        .app
        .request(
            Method::POST,
            &path,
            Some(&json!({"stage": "agreement_signed"})),
            &[("if-match", "\"v2\"")],
        )
        .await;
    problem(old, 412).await;
    assert_eq!(history(&w.app, id).await.len(), 2);
}

async fn stage_change_dates_are_checked(backend: Backend) {
    let w = world(backend).await;
    let created = w.create(json!({"stage_changed_on": "2025-06-01"})).await;
    let id = id_of(&created);
    let before = problem(
        change(
            &w.app,
            id,
            json!({"stage": "negotiating", "changed_on": "2025-05-31"}),
        )
        .await,
        422,
    )
    .await;
    assert!(names_field(&before, "changed_on"), "{before}");
    let future = problem(
        change(
            &w.app,
            id,
            json!({"stage": "negotiating", "changed_on": tomorrow()}),
        )
        .await,
        422,
    )
    .await;
    assert!(names_field(&future, "changed_on"), "{future}");
    assert_eq!(history(&w.app, id).await.len(), 1);
    assert_eq!(get(&w.app, id).await["version"], 1);

    // The same day as the previous change is fine.
    let response = change(
        &w.app,
        id,
        json!({"stage": "negotiating", "changed_on": "2025-06-01", "note": "Talks opened", "source": "Protocol No. 12"}),
    )
    .await;
    let entry = json_with_status(response, 201).await;
    assert_eq!(entry["changed_on"], "2025-06-01");
    assert_eq!(entry["note"], "Talks opened");
    assert_eq!(entry["source"], "Protocol No. 12");
    let response = change(
        &w.app,
        id,
        json!({"stage": "agreement_signed", "changed_on": "2025-09-15"}),
    )
    .await;
    json_with_status(response, 201).await;
    let current = get(&w.app, id).await;
    assert_eq!(current["stage_changed_on"], "2025-09-15");
    let late = problem(
        change(
            &w.app,
            id,
            json!({"stage": "production_setup", "changed_on": "2025-09-14"}),
        )
        .await,
        422,
    )
    .await;
    assert!(names_field(&late, "changed_on"), "{late}");
    let entries = history(&w.app, id).await;
    let dates: Vec<&Value> = entries.iter().map(|e| &e["changed_on"]).collect();
    assert_eq!(
        dates,
        vec![
            &json!("2025-06-01"),
            &json!("2025-06-01"),
            &json!("2025-09-15")
        ]
    );
}

async fn stage_change_body_is_validated(backend: Backend) {
    let w = world(backend).await;
    let created = w.create(json!({})).await;
    let id = id_of(&created);
    let long = "x".repeat(2001);
    let body = problem(
        change(
            &w.app,
            id,
            json!({"stage": "negotiating", "note": long, "source": long}),
        )
        .await,
        422,
    )
    .await;
    assert!(
        names_field(&body, "note") && names_field(&body, "source"),
        "{body}"
    );
    let body = problem(change(&w.app, id, json!({"stage": "paused"})).await, 422).await;
    assert!(names_field(&body, "stage"), "{body}");
    let body = problem(change(&w.app, id, json!({"note": "no stage"})).await, 422).await;
    assert!(names_field(&body, "stage"), "{body}");
    let bad_json = w
        .app
        .request(
            Method::POST,
            &format!("/v1/localizations/{id}/stage-changes"),
            None,
            &[("content-type", "application/json")],
        )
        .await;
    problem(bad_json, 400).await;
    assert_eq!(history(&w.app, id).await.len(), 1);
}

async fn invalid_fields_are_named(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let cases = [
        (
            json!({"vendor_id": "0193a0f4-6b10-7c3d-9a10-2b3c4d5e6f90"}),
            "vendor_id",
            "not_found",
        ),
        (
            json!({"region_id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f70"}),
            "region_id",
            "not_found",
        ),
        // KZ-AKT is in Kazakhstan, the localization is into Russia.
        (json!({"region_id": w.kz_akt["id"]}), "region_id", "invalid"),
        (
            json!({"local_content_percent": 101}),
            "local_content_percent",
            "out_of_range",
        ),
        (
            json!({"local_content_percent": -1}),
            "local_content_percent",
            "out_of_range",
        ),
        (json!({"scope": []}), "scope", "required"),
        (
            json!({"scope": ["reagents", "reagents"]}),
            "scope[1]",
            "duplicate",
        ),
        (json!({"scope": ["robots"]}), "scope[0]", "invalid_value"),
        (json!({"country_code": "XX"}), "country_code", "invalid"),
        (json!({"country_code": "ru"}), "country_code", "invalid"),
        (json!({"partner": "п".repeat(301)}), "partner", "too_long"),
        (
            json!({"target_date": "31.12.2027"}),
            "target_date",
            "invalid_type",
        ),
        (json!({"version": 3}), "version", "unknown_field"),
    ];
    for (extra, field, code) in cases {
        let response = app.post("/v1/localizations", &w.body(extra.clone())).await;
        let body = problem(response, 422).await;
        let error = body["errors"]
            .as_array()
            .and_then(|errors| errors.iter().find(|e| e["field"] == field))
            .unwrap_or_else(|| panic!("{extra}: no error for {field} in {body}"));
        assert_eq!(error["code"], code, "{extra}: {body}");
    }
    let missing = app
        .post(
            "/v1/localizations",
            &json!({"country_code": "RU", "scope": ["reagents"]}),
        )
        .await;
    let body = problem(missing, 422).await;
    assert!(names_field(&body, "vendor_id"), "{body}");
    // Several invalid fields are reported together.
    let response = app
        .post(
            "/v1/localizations",
            &w.body(json!({"scope": [], "local_content_percent": 150, "country_code": "ZZ"})),
        )
        .await;
    let body = problem(response, 422).await;
    for field in ["scope", "local_content_percent", "country_code"] {
        assert!(names_field(&body, field), "{field} in {body}");
    }
    assert_eq!(app.count_rows("localizations").await, 0);
    assert_eq!(app.count_rows(SCOPES).await, 0);
    assert_eq!(app.count_rows(CHANGES).await, 0);
    // A region in the right country is accepted.
    let kz = w
        .create(json!({"country_code": "KZ", "region_id": w.kz_akt["id"]}))
        .await;
    assert_eq!(kz["region_id"], w.kz_akt["id"]);
}

async fn patch_revalidates_references(backend: Backend) {
    let w = world(backend).await;
    let created = w.create(json!({})).await;
    let path = format!("/v1/localizations/{}", id_of(&created));
    let cases = [
        (json!({"country_code": "KZ"}), "region_id"),
        (json!({"region_id": w.kz_akt["id"]}), "region_id"),
        (
            json!({"vendor_id": "0193a0f4-6b10-7c3d-9a10-2b3c4d5e6f90"}),
            "vendor_id",
        ),
        (json!({"vendor_id": null}), "vendor_id"),
        (json!({"scope": null}), "scope"),
        (json!({"scope": []}), "scope"),
        (
            json!({"local_content_percent": 100.5}),
            "local_content_percent",
        ),
    ];
    for (patch, field) in cases {
        let body = problem(w.app.patch(&path, &patch).await, 422).await;
        assert!(names_field(&body, field), "{patch}: {body}");
    }
    assert_eq!(get(&w.app, id_of(&created)).await, created);
    // Moving the country and the site together is consistent.
    let moved = json_with_status(
        w.app
            .patch(
                &path,
                &json!({"country_code": "KZ", "region_id": w.kz_akt["id"]}),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(moved["country_code"], "KZ");
    assert_eq!(moved["region_id"], w.kz_akt["id"]);
    let other = w.app.create_vendor("Sinovision", "CN").await;
    let cleared = json_with_status(
        w.app
            .patch(
                &path,
                &json!({"region_id": null, "vendor_id": other["id"], "partner": null}),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(cleared["region_id"], Value::Null);
    assert_eq!(cleared["vendor_id"], other["id"]);
    assert_eq!(cleared["partner"], Value::Null);
    assert_eq!(cleared["version"], 3);
}

async fn patch_refuses_stage_fields(backend: Backend) {
    let w = world(backend).await;
    let created = w.create(json!({})).await;
    let path = format!("/v1/localizations/{}", id_of(&created));
    for (field, value) in [
        ("stage", json!("producing")),
        ("suspended_from_stage", json!(null)),
        ("stage_changed_on", json!("2025-01-01")),
    ] {
        let body = problem(w.app.patch(&path, &json!({ field: value })).await, 422).await;
        let error = body["errors"]
            .as_array()
            .and_then(|errors| errors.iter().find(|e| e["field"] == field))
            .unwrap_or_else(|| panic!("no error for {field} in {body}"));
        assert_eq!(error["code"], "read_only", "{body}");
        assert!(
            error["message"]
                .as_str()
                .is_some_and(|m| m.contains("stage-changes")),
            "{body}"
        );
    }
    assert_eq!(get(&w.app, id_of(&created)).await, created);
    assert_eq!(history(&w.app, id_of(&created)).await.len(), 1);
}

async fn unknown_ids_are_not_found(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let unknown = "0193a0f4-7a21-7c3d-9a10-2b3c4d5e6f80";
    problem(app.get(&format!("/v1/localizations/{unknown}")).await, 404).await;
    let body = problem(app.get("/v1/localizations/not-a-uuid").await, 404).await;
    assert!(
        body["detail"].as_str().is_some_and(|d| d.contains("UUID")),
        "{body}"
    );
    problem(
        app.get(&format!("/v1/localizations/{unknown}/history"))
            .await,
        404,
    )
    .await;
    problem(app.get("/v1/localizations/not-a-uuid/history").await, 404).await;
    problem(
        app.patch(
            &format!("/v1/localizations/{unknown}"),
            &json!({"partner": "x"}),
        )
        .await,
        404,
    )
    .await;
    problem(
        app.delete(&format!("/v1/localizations/{unknown}")).await,
        404,
    )
    .await;
    problem(
        change(app, unknown, json!({"stage": "negotiating"})).await,
        404,
    )
    .await;
    assert_eq!(app.count_rows(CHANGES).await, 0);
}

async fn bad_queries_are_refused(backend: Backend) {
    let w = world(backend).await;
    let created = w.create(json!({})).await;
    let id = id_of(&created);
    for (query, parameter) in [
        ("?colour=red", "colour"),
        ("?page_token=not-a-token", "page_token"),
        ("?page_size=0", "page_size"),
        ("?stage=shipping", "stage"),
        ("?scope=robots", "scope"),
        ("?vendor_id=mindray", "vendor_id"),
        ("?country_code=XX", "country_code"),
        ("?sort=partner", "sort"),
    ] {
        let body = problem(w.app.get(&format!("/v1/localizations{query}")).await, 400).await;
        assert!(names_field(&body, parameter), "{query}: {body}");
    }
    for (query, parameter) in [
        ("?sort=created_at", "sort"),
        ("?page_token=eyJ2IjoxfQ", "page_token"),
    ] {
        let body = problem(
            w.app
                .get(&format!("/v1/localizations/{id}/history{query}"))
                .await,
            400,
        )
        .await;
        assert!(names_field(&body, parameter), "{query}: {body}");
    }
}

async fn filters_select_any_of(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let sinovision = app.create_vendor("Sinovision", "CN").await;
    let mindray_ru = w.create(json!({"scope": ["reagents"]})).await;
    let mindray_kz = w
        .create(json!({"country_code": "KZ", "region_id": null, "scope": ["equipment", "consumables"], "stage": "negotiating"}))
        .await;
    let sino_ru = w
        .create(json!({"vendor_id": sinovision["id"], "region_id": null, "scope": ["equipment"], "stage": "producing"}))
        .await;
    let ids = |values: &[&Value]| sorted(values.iter().map(|v| id_of(v).to_owned()).collect());

    assert_eq!(
        sorted(
            list_ids(
                app,
                &format!("?vendor_id={}", w.vendor["id"].as_str().expect("id"))
            )
            .await
        ),
        ids(&[&mindray_ru, &mindray_kz])
    );
    assert_eq!(
        sorted(
            list_ids(
                app,
                &format!(
                    "?vendor_id={},{}",
                    w.vendor["id"].as_str().expect("id"),
                    sinovision["id"].as_str().expect("id")
                )
            )
            .await
        ),
        ids(&[&mindray_ru, &mindray_kz, &sino_ru])
    );
    assert_eq!(
        sorted(list_ids(app, "?country_code=RU").await),
        ids(&[&mindray_ru, &sino_ru])
    );
    assert_eq!(sorted(list_ids(app, "?country_code=KZ,RU").await).len(), 3);
    assert_eq!(
        sorted(list_ids(app, "?stage=negotiating,producing").await),
        ids(&[&mindray_kz, &sino_ru])
    );
    assert_eq!(
        list_ids(app, "?stage=interest_declared").await,
        vec![id_of(&mindray_ru).to_owned()]
    );
    assert!(list_ids(app, "?stage=cancelled").await.is_empty());
    assert_eq!(
        sorted(list_ids(app, "?scope=equipment").await),
        ids(&[&mindray_kz, &sino_ru])
    );
    assert_eq!(
        sorted(list_ids(app, "?scope=reagents,consumables").await),
        ids(&[&mindray_ru, &mindray_kz])
    );
    assert_eq!(
        list_ids(
            app,
            &format!("?region_id={}", w.kgn["id"].as_str().expect("id"))
        )
        .await,
        vec![id_of(&mindray_ru).to_owned()]
    );
    // Filters combine with AND.
    assert_eq!(
        list_ids(app, "?country_code=RU&scope=equipment&stage=producing").await,
        vec![id_of(&sino_ru).to_owned()]
    );
    assert!(list_ids(app, "?country_code=KZ&scope=reagents")
        .await
        .is_empty());
    // Items carry their scopes, loaded for the whole page.
    let page = json_with_status(app.get("/v1/localizations?scope=equipment").await, 200).await;
    for item in page["items"].as_array().expect("items") {
        let expected = if item["id"] == mindray_kz["id"] {
            json!(["equipment", "consumables"])
        } else {
            json!(["equipment"])
        };
        assert_eq!(item["scope"], expected, "{item}");
    }
}

async fn history_is_paginated_oldest_first(backend: Backend) {
    let w = world(backend).await;
    let created = w.create(json!({})).await;
    let id = id_of(&created);
    for stage in [
        "negotiating",
        "suspended",
        "negotiating",
        "agreement_signed",
    ] {
        move_to(&w.app, id, stage).await;
    }
    let all = history(&w.app, id).await;
    assert_eq!(all.len(), 5);
    let mut pages = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut path = format!("/v1/localizations/{id}/history?page_size=2");
        if let Some(token) = &token {
            path.push_str(&format!("&page_token={token}"));
        }
        let page = json_with_status(w.app.get(&path).await, 200).await;
        pages.push(page["items"].as_array().expect("items").clone());
        match page["next_page_token"].as_str() {
            Some(next) => token = Some(next.to_owned()),
            None => break,
        }
        assert!(pages.len() < 5, "paging did not end");
    }
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![2, 2, 1]);
    assert_eq!(pages.concat(), all);
    let stages: Vec<&Value> = all.iter().map(|e| &e["to_stage"]).collect();
    assert_eq!(
        stages,
        vec![
            &json!("interest_declared"),
            &json!("negotiating"),
            &json!("suspended"),
            &json!("negotiating"),
            &json!("agreement_signed")
        ]
    );
    // Entries of another localization never show up.
    let other = w.create(json!({})).await;
    move_to(&w.app, id_of(&other), "cancelled").await;
    assert_eq!(history(&w.app, id).await, all);
}

async fn delete_keeps_a_history_and_removes_the_rest(backend: Backend) {
    let w = world(backend).await;
    let moved = w
        .create(json!({"scope": ["equipment", "reagents", "consumables"]}))
        .await;
    let doomed = w
        .create(json!({"scope": ["reagents", "consumables"]}))
        .await;
    for stage in ["negotiating", "agreement_signed", "suspended"] {
        move_to(&w.app, id_of(&moved), stage).await;
    }
    assert_eq!(w.app.count_rows(CHANGES).await, 4 + 1);
    assert_eq!(w.app.count_rows(SCOPES).await, 3 + 2);
    // A localization whose history holds stage changes keeps it: the delete is refused.
    let refused = problem(
        w.app
            .delete(&format!("/v1/localizations/{}", id_of(&moved)))
            .await,
        409,
    )
    .await;
    assert_eq!(refused["type"], "/problems/still-referenced");
    assert_eq!(refused["referenced_by"], json!(["stage changes (3)"]));
    assert!(refused["detail"].as_str().unwrap().contains("cancelled"));
    assert_eq!(history(&w.app, id_of(&moved)).await.len(), 4);
    // One that never changed stage goes, with its scopes and its opening entry.
    let response = w
        .app
        .delete(&format!("/v1/localizations/{}", id_of(&doomed)))
        .await;
    assert_eq!(response.status(), 204);
    assert_eq!(w.app.count_rows("localizations").await, 1);
    assert_eq!(w.app.count_rows(CHANGES).await, 4);
    assert_eq!(w.app.count_rows(SCOPES).await, 3);
    problem(
        w.app
            .get(&format!("/v1/localizations/{}/history", id_of(&doomed)))
            .await,
        404,
    )
    .await;
    // The vendor's region and the vendor itself are untouched.
    assert_eq!(w.app.count_rows("regions").await, 4);
    assert_eq!(w.app.count_rows("vendors").await, 1);
}
