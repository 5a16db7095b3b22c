use serde_json::{json, Value};

use crate::backend_tests;
use crate::common::{
    json_with_status, list_all, names_field, problem, spawn_app, spawn_app_with, Backend, TestApp,
};

backend_tests!(
    search_matches_word_beginnings_and_follows_writes,
    search_pages_in_every_order,
    common_words_and_refilled_search_data,
    create_get_and_cache_round_trip_every_field,
    minimal_create_shows_nulls_and_defaults,
    patch_round_trips_and_replaces_accreditation_and_disciplines,
    duplicate_code_is_409,
    codes_are_unique_regardless_of_case,
    codes_differing_only_in_case_in_any_script_are_409,
    stored_code_keys_are_refilled_when_asked,
    each_invalid_field_is_named,
    several_invalid_fields_are_listed_together,
    every_allowed_status_transition,
    refused_status_transitions_name_the_allowed_ones,
    hub_rules,
    concurrent_moves_cannot_close_a_loop,
    delete_is_refused_while_a_lab_uses_it_as_hub,
    filter_by_region_and_subregions,
    filter_by_kind_status_discipline_and_parent,
    filter_by_accreditation,
    search_is_case_insensitive_in_cyrillic,
    sort_by_capacity_with_nulls_and_paging,
    failed_write_leaves_no_partial_rows,
    bad_query_parameters_are_400,
    reads_by_id_wait_for_a_busy_pool,
);

/// RU > Курганская область > Курган, and KZ > Актюбинская область.
struct World {
    ru: Value,
    kurgan_oblast: Value,
    kurgan_city: Value,
    kz: Value,
    aktobe: Value,
}

async fn world(app: &TestApp) -> World {
    let ru = app.create_country("RU", "Россия").await;
    let kurgan_oblast = app
        .create_region(&ru, "RU-KGN", "Курганская область", "region")
        .await;
    let kurgan_city = app
        .create_region(&kurgan_oblast, "RU-KGN-KUR", "Курган", "municipality")
        .await;
    let kz = app.create_country("KZ", "Казахстан").await;
    let aktobe = app
        .create_region(&kz, "KZ-AKT", "Актюбинская область", "region")
        .await;
    World {
        ru,
        kurgan_oblast,
        kurgan_city,
        kz,
        aktobe,
    }
}

fn id(value: &Value) -> &str {
    value["id"].as_str().expect("id")
}

fn lab_path(lab: &Value) -> String {
    format!("/v1/laboratories/{}", id(lab))
}

/// The codes of a list response's items, in order.
async fn codes(app: &TestApp, path: &str) -> Vec<String> {
    let page = json_with_status(app.get(path).await, 200).await;
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["code"].as_str().expect("code").to_owned())
        .collect()
}

fn sorted(mut values: Vec<String>) -> Vec<String> {
    values.sort();
    values
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

async fn patch_ok(app: &TestApp, lab: &Value, body: Value) -> Value {
    json_with_status(app.patch(&lab_path(lab), &body).await, 200).await
}

async fn create_and_get_round_trip_every_field_inner(app: &TestApp, w: &World) -> Value {
    let hub = app
        .create_laboratory(&w.kurgan_oblast, "KGN-HUB", json!({}))
        .await;
    let body = json!({
        "region_id": w.kurgan_city["id"],
        "code": "  KGN-CKDL-001  ",
        "name": "Центральная клинико-диагностическая лаборатория",
        "kind": "branch",
        "parent_id": hub["id"],
        "status": "under_construction",
        "address": "Курган, ул. Гоголя, 76",
        "latitude": 55.441,
        "longitude": 65.3411,
        "capacity_per_day": 12000,
        "opened_on": "2025-09-01",
        "operator": "ООО «Лабораторные технологии»",
        "accreditation": {"standard": "ISO 15189", "certificate_number": "RA.RU.21МЛ45", "valid_until": "2029-03-31"},
        "disciplines": ["molecular_diagnostics", "clinical_chemistry", "hematology"]
    });
    let response = app.post("/v1/laboratories", &body).await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let created = json_with_status(response, 201).await;
    assert_eq!(location, lab_path(&created));
    assert_eq!(etag, "\"v1\"");
    let expected = json!({
        "id": created["id"],
        "region_id": w.kurgan_city["id"],
        "code": "KGN-CKDL-001",
        "name": "Центральная клинико-диагностическая лаборатория",
        "kind": "branch",
        "parent_id": hub["id"],
        "status": "under_construction",
        "address": "Курган, ул. Гоголя, 76",
        "latitude": 55.441,
        "longitude": 65.3411,
        "capacity_per_day": 12000,
        "opened_on": "2025-09-01",
        "operator": "ООО «Лабораторные технологии»",
        "accreditation": {"standard": "ISO 15189", "certificate_number": "RA.RU.21МЛ45", "valid_until": "2029-03-31"},
        "disciplines": ["clinical_chemistry", "hematology", "molecular_diagnostics"],
        "equipment_counts": {},
        "created_at": created["created_at"],
        "updated_at": created["created_at"],
        "version": 1
    });
    assert_eq!(created, expected);
    assert!(created["created_at"].as_str().unwrap().ends_with('Z'));
    created
}

async fn create_get_and_cache_round_trip_every_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let w = world(&app).await;
    let created = create_and_get_round_trip_every_field_inner(&app, &w).await;
    let response = app.get(&lab_path(&created)).await;
    assert_eq!(response.headers()["etag"], "\"v1\"");
    let fetched = json_with_status(response, 200).await;
    assert_eq!(fetched, created);
    let cached = app
        .request(
            reqwest::Method::GET,
            &lab_path(&created),
            None,
            &[("if-none-match", "\"v1\"")],
        )
        .await;
    assert_eq!(cached.status(), 304);
    assert_eq!(cached.headers()["etag"], "\"v1\"");
    let stale = app
        .request(
            reqwest::Method::GET,
            &lab_path(&created),
            None,
            &[("if-none-match", "\"v7\"")],
        )
        .await;
    assert_eq!(stale.status(), 200);
    assert_eq!(app.count_rows("laboratories").await, 2);
    assert_eq!(app.count_rows("laboratory_disciplines").await, 3);
}

async fn minimal_create_shows_nulls_and_defaults(backend: Backend) {
    let app = spawn_app(backend).await;
    let w = world(&app).await;
    let created = app
        .create(
            "/v1/laboratories",
            json!({"region_id": w.aktobe["id"], "code": "AKT-01", "name": "Ақтөбе зертханасы", "kind": "mobile"}),
        )
        .await;
    for field in [
        "parent_id",
        "address",
        "latitude",
        "longitude",
        "capacity_per_day",
        "opened_on",
        "operator",
        "accreditation",
    ] {
        assert!(
            created.as_object().unwrap().contains_key(field) && created[field].is_null(),
            "{field} should be present and null in {created}"
        );
    }
    assert_eq!(created["status"], "planned");
    assert_eq!(created["disciplines"], json!([]));
    assert_eq!(created["name"], "Ақтөбе зертханасы");
    assert_eq!(app.count_rows("laboratory_disciplines").await, 0);
}

async fn patch_round_trips_and_replaces_accreditation_and_disciplines(backend: Backend) {
    let app = spawn_app(backend).await;
    let w = world(&app).await;
    let lab = create_and_get_round_trip_every_field_inner(&app, &w).await;
    let response = app
        .patch(
            &lab_path(&lab),
            &json!({
                "name": "КДЛ №2 г. Кургана",
                "code": "KGN-KDL-002",
                "region_id": w.kurgan_oblast["id"],
                "kind": "central",
                "parent_id": null,
                "address": null,
                "latitude": null,
                "longitude": null,
                "capacity_per_day": 0,
                "opened_on": "2026-01-15",
                "operator": "ГБУ «Курганская областная больница»",
                "accreditation": {"standard": "ГОСТ Р ИСО 15189-2015", "certificate_number": "РОСС RU.0001.22ЛА01", "valid_until": "2030-12-31"},
                "disciplines": ["genetics", "coagulation"]
            }),
        )
        .await;
    assert_eq!(response.headers()["etag"], "\"v2\"");
    let patched = json_with_status(response, 200).await;
    assert_eq!(patched["name"], "КДЛ №2 г. Кургана");
    assert_eq!(patched["code"], "KGN-KDL-002");
    assert_eq!(patched["region_id"], w.kurgan_oblast["id"]);
    assert_eq!(patched["kind"], "central");
    assert!(patched["parent_id"].is_null());
    assert!(patched["address"].is_null());
    assert!(patched["latitude"].is_null() && patched["longitude"].is_null());
    assert_eq!(patched["capacity_per_day"], 0);
    assert_eq!(patched["opened_on"], "2026-01-15");
    assert_eq!(patched["operator"], "ГБУ «Курганская областная больница»");
    assert_eq!(
        patched["accreditation"],
        json!({"standard": "ГОСТ Р ИСО 15189-2015", "certificate_number": "РОСС RU.0001.22ЛА01", "valid_until": "2030-12-31"})
    );
    assert_eq!(patched["disciplines"], json!(["coagulation", "genetics"]));
    assert_eq!(patched["status"], "under_construction");
    assert_eq!(patched["version"], 2);
    assert_eq!(patched["created_at"], lab["created_at"]);
    assert_ne!(patched["updated_at"], lab["updated_at"]);
    let fetched = json_with_status(app.get(&lab_path(&lab)).await, 200).await;
    assert_eq!(fetched, patched);
    assert_eq!(app.count_rows("laboratory_disciplines").await, 2);

    // `null` removes the accreditation; absent members stay.
    let cleared = patch_ok(
        &app,
        &lab,
        json!({"accreditation": null, "disciplines": []}),
    )
    .await;
    assert!(cleared["accreditation"].is_null());
    assert_eq!(cleared["disciplines"], json!([]));
    assert_eq!(cleared["name"], "КДЛ №2 г. Кургана");
    assert_eq!(app.count_rows("laboratory_disciplines").await, 0);
}

async fn duplicate_code_is_409(backend: Backend) {
    let app = spawn_app(backend).await;
    let w = world(&app).await;
    app.create_laboratory(&w.kurgan_oblast, "KGN-001", json!({}))
        .await;
    let words = app.count_rows("laboratory_search_terms").await;
    let disciplines = app.count_rows("laboratory_disciplines").await;
    let response = app
        .post(
            "/v1/laboratories",
            &json!({"region_id": w.kurgan_oblast["id"], "code": " KGN-001 ", "name": "Другая лаборатория", "kind": "branch", "disciplines": ["virology"]}),
        )
        .await;
    let body = problem(response, 409).await;
    assert_eq!(body["type"], "/problems/duplicate");
    assert_eq!(body["errors"][0]["field"], "code");
    assert_eq!(body["errors"][0]["code"], "duplicate");
    // Nothing of the refused laboratory is kept: neither its words nor its disciplines.
    assert_eq!(app.count_rows("laboratories").await, 1);
    assert_eq!(app.count_rows("laboratory_search_terms").await, words);
    assert_eq!(app.count_rows("laboratory_disciplines").await, disciplines);

    let other = app
        .create_laboratory(&w.kurgan_oblast, "KGN-002", json!({}))
        .await;
    let body = problem(
        app.patch(&lab_path(&other), &json!({"code": "KGN-001"}))
            .await,
        409,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "code");
    // Keeping its own code is not a conflict.
    patch_ok(
        &app,
        &other,
        json!({"code": "KGN-002", "name": "Новое имя"}),
    )
    .await;
}

async fn each_invalid_field_is_named(backend: Backend) {
    let app = spawn_app(backend).await;
    let w = world(&app).await;
    let base = json!({"region_id": w.kurgan_oblast["id"], "code": "KGN-X", "name": "Лаборатория", "kind": "central"});
    let with = |extra: Value| {
        let mut body = base.clone();
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let cases = [
        (
            json!({"latitude": 91, "longitude": 65}),
            "latitude",
            "out_of_range",
        ),
        (
            json!({"latitude": 55, "longitude": -181}),
            "longitude",
            "out_of_range",
        ),
        (json!({"latitude": 55.4}), "longitude", "required"),
        (json!({"longitude": 65.3}), "latitude", "required"),
        (
            json!({"capacity_per_day": -1}),
            "capacity_per_day",
            "out_of_range",
        ),
        (
            json!({"disciplines": ["hematology", "astrology"]}),
            "disciplines[1]",
            "invalid_value",
        ),
        (
            json!({"disciplines": ["hematology", "virology", "hematology"]}),
            "disciplines[2]",
            "duplicate",
        ),
        (
            json!({"region_id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f70"}),
            "region_id",
            "not_found",
        ),
        (json!({"kind": "hospital"}), "kind", "invalid_value"),
        (
            json!({"accreditation": {"standard": "ISO 15189", "certificate_number": "RA.RU.1"}}),
            "accreditation.valid_until",
            "required",
        ),
        (
            json!({"accreditation": {"standard": " ", "certificate_number": "RA.RU.1", "valid_until": "2029-01-01"}}),
            "accreditation.standard",
            "required",
        ),
        (json!({"status": "closed"}), "status", "invalid"),
        (json!({"name": "  "}), "name", "required"),
        (json!({"code": "K".repeat(65)}), "code", "too_long"),
        (json!({"address": "д".repeat(501)}), "address", "too_long"),
        (
            json!({"opened_on": "2025-02-30"}),
            "opened_on",
            "invalid_type",
        ),
        (json!({"colour": "blue"}), "colour", "unknown_field"),
        (
            json!({"parent_id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f70"}),
            "parent_id",
            "not_found",
        ),
    ];
    for (extra, field, code) in cases {
        let body = problem(
            app.post("/v1/laboratories", &with(extra.clone())).await,
            422,
        )
        .await;
        assert_eq!(body["type"], "/problems/validation");
        assert!(
            names_field(&body, field),
            "{extra} should name {field}: {body}"
        );
        let error = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["field"] == field)
            .unwrap();
        assert_eq!(error["code"], code, "{extra}: {body}");
    }
    assert_eq!(app.count_rows("laboratories").await, 0);
    assert_eq!(app.count_rows("laboratory_disciplines").await, 0);

    let lab = app
        .create_laboratory(&w.kurgan_oblast, "KGN-001", json!({}))
        .await;
    for (patch, field) in [
        (json!({"name": null}), "name"),
        (json!({"code": null}), "code"),
        (json!({"kind": null}), "kind"),
        (json!({"status": null}), "status"),
        (json!({"region_id": null}), "region_id"),
        (json!({"disciplines": null}), "disciplines"),
        (json!({"latitude": 10}), "longitude"),
        (
            json!({"capacity_per_day": 3000000000i64}),
            "capacity_per_day",
        ),
    ] {
        let body = problem(app.patch(&lab_path(&lab), &patch).await, 422).await;
        assert!(
            names_field(&body, field),
            "{patch} should name {field}: {body}"
        );
    }
    let unchanged = json_with_status(app.get(&lab_path(&lab)).await, 200).await;
    assert_eq!(unchanged, lab);
}

async fn several_invalid_fields_are_listed_together(backend: Backend) {
    let app = spawn_app(backend).await;
    let w = world(&app).await;
    let body = problem(
        app.post(
            "/v1/laboratories",
            &json!({
                "region_id": w.kurgan_oblast["id"], "code": "", "name": "Лаборатория", "kind": "central",
                "latitude": 91, "longitude": -181, "capacity_per_day": -5,
                "disciplines": ["hematology", "hematology"]
            }),
        )
        .await,
        422,
    )
    .await;
    for field in [
        "code",
        "latitude",
        "longitude",
        "capacity_per_day",
        "disciplines[1]",
    ] {
        assert!(names_field(&body, field), "{field} missing from {body}");
    }
    assert_eq!(body["errors"].as_array().unwrap().len(), 5);
    assert_eq!(body["detail"], "5 fields are invalid");
    assert_eq!(app.count_rows("laboratories").await, 0);
}

async fn every_allowed_status_transition(backend: Backend) {
    let app = spawn_app(backend).await;
    let w = world(&app).await;
    // The main path, one step at a time.
    let lab = app
        .create_laboratory(&w.kurgan_oblast, "KGN-001", json!({}))
        .await;
    let mut version = 1;
    for status in [
        "under_construction",
        "operational",
        "suspended",
        "operational",
        "suspended",
        "closed",
    ] {
        let patched = patch_ok(&app, &lab, json!({"status": status})).await;
        version += 1;
        assert_eq!(patched["status"], status);
        assert_eq!(patched["version"], version);
    }
    // Every status but closed may close; each may start there at creation.
    for (index, start) in ["planned", "under_construction", "operational", "suspended"]
        .iter()
        .enumerate()
    {
        let other = app
            .create_laboratory(
                &w.kurgan_oblast,
                &format!("KGN-C{index}"),
                json!({"status": start}),
            )
            .await;
        assert_eq!(other["status"], *start);
        // The current status again is not a move: accepted, nothing changes.
        let same = patch_ok(&app, &other, json!({"status": start})).await;
        assert_eq!(same, other);
        let closed = patch_ok(&app, &other, json!({"status": "closed"})).await;
        assert_eq!(closed["status"], "closed");
        assert_eq!(closed["version"], 2);
    }
    let closed = patch_ok(&app, &lab, json!({"status": "closed"})).await;
    assert_eq!(closed["version"], version);
}

async fn refused_status_transitions_name_the_allowed_ones(backend: Backend) {
    let app = spawn_app(backend).await;
    let w = world(&app).await;
    let cases = [
        ("operational", "planned", vec!["suspended", "closed"]),
        (
            "operational",
            "under_construction",
            vec!["suspended", "closed"],
        ),
        ("planned", "suspended", vec!["under_construction", "closed"]),
        (
            "planned",
            "operational",
            vec!["under_construction", "closed"],
        ),
        (
            "under_construction",
            "planned",
            vec!["operational", "closed"],
        ),
        (
            "suspended",
            "under_construction",
            vec!["operational", "closed"],
        ),
        ("closed", "operational", vec![]),
        ("closed", "planned", vec![]),
    ];
    for (index, (from, to, allowed)) in cases.into_iter().enumerate() {
        let start = if from == "closed" {
            "operational"
        } else {
            from
        };
        let lab = app
            .create_laboratory(
                &w.kurgan_oblast,
                &format!("KGN-T{index}"),
                json!({"status": start}),
            )
            .await;
        let lab = if from == "closed" {
            patch_ok(&app, &lab, json!({"status": "closed"})).await
        } else {
            lab
        };
        let body = problem(
            app.patch(
                &lab_path(&lab),
                &json!({"status": to, "name": "Не должно сохраниться"}),
            )
            .await,
            409,
        )
        .await;
        assert_eq!(body["type"], "/problems/illegal-transition");
        assert_eq!(body["current_state"], from, "{body}");
        assert_eq!(
            body["allowed_transitions"],
            json!(allowed),
            "{from}→{to}: {body}"
        );
        let stored = json_with_status(app.get(&lab_path(&lab)).await, 200).await;
        assert_eq!(stored, lab);
    }
}

async fn hub_rules(backend: Backend) {
    let app = spawn_app(backend).await;
    let w = world(&app).await;
    let a = app
        .create_laboratory(&w.kurgan_oblast, "A", json!({}))
        .await;
    let b = app
        .create_laboratory(
            &w.kurgan_oblast,
            "B",
            json!({"kind": "branch", "parent_id": a["id"]}),
        )
        .await;
    let c = app
        .create_laboratory(
            &w.kurgan_city,
            "C",
            json!({"kind": "branch", "parent_id": b["id"]}),
        )
        .await;
    assert_eq!(c["parent_id"], b["id"]);

    // Its own hub.
    let body = problem(
        app.patch(&lab_path(&a), &json!({"parent_id": a["id"]}))
            .await,
        409,
    )
    .await;
    assert_eq!(body["type"], "/problems/cycle");
    assert_eq!(body["errors"][0]["field"], "parent_id");
    assert_eq!(body["errors"][0]["code"], "cycle");
    // C → B → A; A → C would close the loop.
    let body = problem(
        app.patch(&lab_path(&a), &json!({"parent_id": c["id"]}))
            .await,
        409,
    )
    .await;
    assert_eq!(body["errors"][0]["code"], "cycle");
    assert_eq!(body["errors"][0]["field"], "parent_id");
    let stored = json_with_status(app.get(&lab_path(&a)).await, 200).await;
    assert!(stored["parent_id"].is_null());

    // A collection point only sends samples on.
    let point = app
        .create_laboratory(
            &w.kurgan_city,
            "P",
            json!({"kind": "collection_point", "parent_id": a["id"]}),
        )
        .await;
    let body = problem(
        app.post(
            "/v1/laboratories",
            &json!({"region_id": w.kurgan_city["id"], "code": "D", "name": "Пункт", "kind": "collection_point", "parent_id": point["id"]}),
        )
        .await,
        422,
    )
    .await;
    assert!(names_field(&body, "parent_id"), "{body}");
    problem(
        app.patch(&lab_path(&c), &json!({"parent_id": point["id"]}))
            .await,
        422,
    )
    .await;
    // A hub that serves others cannot become a collection point.
    problem(
        app.patch(&lab_path(&a), &json!({"kind": "collection_point"}))
            .await,
        409,
    )
    .await;

    // The hub must be in the same country.
    let aktobe = app.create_laboratory(&w.aktobe, "AKT", json!({})).await;
    let body = problem(
        app.post(
            "/v1/laboratories",
            &json!({"region_id": w.aktobe["id"], "code": "AKT-2", "name": "Филиал", "kind": "branch", "parent_id": a["id"]}),
        )
        .await,
        422,
    )
    .await;
    assert!(names_field(&body, "parent_id"), "{body}");
    let body = problem(
        app.patch(&lab_path(&c), &json!({"parent_id": aktobe["id"]}))
            .await,
        422,
    )
    .await;
    assert!(names_field(&body, "parent_id"), "{body}");
    // Moving a lab abroad while its hub stays home is refused as well.
    let body = problem(
        app.patch(&lab_path(&c), &json!({"region_id": w.aktobe["id"]}))
            .await,
        422,
    )
    .await;
    assert!(names_field(&body, "parent_id"), "{body}");
    // So is moving a hub abroad while its labs stay home.
    problem(
        app.patch(&lab_path(&a), &json!({"region_id": w.aktobe["id"]}))
            .await,
        409,
    )
    .await;

    // Re-pointing to a valid hub and detaching both work.
    let moved = patch_ok(&app, &c, json!({"parent_id": a["id"]})).await;
    assert_eq!(moved["parent_id"], a["id"]);
    let detached = patch_ok(&app, &c, json!({"parent_id": null})).await;
    assert!(detached["parent_id"].is_null());
    assert_eq!(app.count_rows("laboratories").await, 5);
}

async fn concurrent_moves_cannot_close_a_loop(backend: Backend) {
    let app = spawn_app(backend).await;
    let w = world(&app).await;
    for round in 0..5 {
        let a = app
            .create_laboratory(&w.kurgan_oblast, &format!("A{round}"), json!({}))
            .await;
        let b = app
            .create_laboratory(&w.kurgan_oblast, &format!("B{round}"), json!({}))
            .await;
        let (first, second) = futures_util::future::join(
            app.patch(&lab_path(&a), &json!({"parent_id": b["id"]})),
            app.patch(&lab_path(&b), &json!({"parent_id": a["id"]})),
        )
        .await;
        let mut statuses = [first.status().as_u16(), second.status().as_u16()];
        statuses.sort();
        // One move wins; the other sees it and is refused as a cycle (or, on SQLite, may
        // find the database busy and be told to retry).
        assert!(
            statuses == [200, 409] || statuses == [200, 503],
            "round {round}: {statuses:?}"
        );
        let a = json_with_status(app.get(&lab_path(&a)).await, 200).await;
        let b = json_with_status(app.get(&lab_path(&b)).await, 200).await;
        assert!(
            a["parent_id"].is_null() || b["parent_id"].is_null(),
            "round {round}: a loop was stored"
        );
    }
}

async fn delete_is_refused_while_a_lab_uses_it_as_hub(backend: Backend) {
    let app = spawn_app(backend).await;
    let w = world(&app).await;
    let hub = app
        .create_laboratory(
            &w.kurgan_oblast,
            "HUB",
            json!({"disciplines": ["hematology", "virology"]}),
        )
        .await;
    let branch = app
        .create_laboratory(
            &w.kurgan_city,
            "BR",
            json!({"kind": "branch", "parent_id": hub["id"], "disciplines": ["urinalysis"]}),
        )
        .await;
    let body = problem(app.delete(&lab_path(&hub)).await, 409).await;
    assert_eq!(body["type"], "/problems/still-referenced");
    assert_eq!(body["referenced_by"], json!(["laboratories (1)"]));
    assert_eq!(app.count_rows("laboratories").await, 2);
    assert_eq!(app.count_rows("laboratory_disciplines").await, 3);
    json_with_status(app.get(&lab_path(&hub)).await, 200).await;

    let deleted = app.delete(&lab_path(&branch)).await;
    assert_eq!(deleted.status(), 204);
    assert_eq!(app.count_rows("laboratory_disciplines").await, 2);
    assert_eq!(app.delete(&lab_path(&hub)).await.status(), 204);
    assert_eq!(app.count_rows("laboratories").await, 0);
    assert_eq!(app.count_rows("laboratory_disciplines").await, 0);
    problem(app.get(&lab_path(&hub)).await, 404).await;
    problem(app.delete(&lab_path(&hub)).await, 404).await;
}

async fn filter_by_region_and_subregions(backend: Backend) {
    let app = spawn_app(backend).await;
    let w = world(&app).await;
    app.create_laboratory(&w.kurgan_oblast, "OBL", json!({}))
        .await;
    app.create_laboratory(&w.kurgan_city, "CITY", json!({}))
        .await;
    app.create_laboratory(&w.aktobe, "AKT", json!({})).await;
    let ru = id(&w.ru);
    let oblast = id(&w.kurgan_oblast);
    let city = id(&w.kurgan_city);
    let aktobe = id(&w.aktobe);

    assert!(codes(&app, &format!("/v1/laboratories?region_id={ru}"))
        .await
        .is_empty());
    assert_eq!(
        codes(&app, &format!("/v1/laboratories?region_id={oblast}")).await,
        strings(&["OBL"])
    );
    assert_eq!(
        codes(
            &app,
            &format!("/v1/laboratories?region_id={oblast}&include_subregions=false")
        )
        .await,
        strings(&["OBL"])
    );
    assert_eq!(
        codes(&app, &format!("/v1/laboratories?region_id={city},{aktobe}")).await,
        strings(&["CITY", "AKT"])
    );
    assert_eq!(
        codes(
            &app,
            &format!("/v1/laboratories?region_id={ru}&include_subregions=true")
        )
        .await,
        strings(&["OBL", "CITY"])
    );
    assert_eq!(
        codes(
            &app,
            &format!("/v1/laboratories?region_id={oblast}&include_subregions=true")
        )
        .await,
        strings(&["OBL", "CITY"])
    );
    assert_eq!(
        codes(
            &app,
            &format!("/v1/laboratories?region_id={city}&include_subregions=true")
        )
        .await,
        strings(&["CITY"])
    );
    assert_eq!(
        codes(
            &app,
            &format!(
                "/v1/laboratories?region_id={}&include_subregions=true",
                id(&w.kz)
            )
        )
        .await,
        strings(&["AKT"])
    );
    let body = problem(
        app.get("/v1/laboratories?include_subregions=true").await,
        400,
    )
    .await;
    assert!(names_field(&body, "include_subregions"), "{body}");
    let body = problem(
        app.get(&format!(
            "/v1/laboratories?region_id={ru},{aktobe}&include_subregions=true"
        ))
        .await,
        400,
    )
    .await;
    assert!(names_field(&body, "region_id"), "{body}");
    problem(app.get("/v1/laboratories?region_id=RU").await, 400).await;
}

async fn filter_by_kind_status_discipline_and_parent(backend: Backend) {
    let app = spawn_app(backend).await;
    let w = world(&app).await;
    let hub = app
        .create_laboratory(
            &w.kurgan_oblast,
            "HUB",
            json!({"status": "operational", "disciplines": ["clinical_chemistry", "virology"]}),
        )
        .await;
    app.create_laboratory(
        &w.kurgan_city,
        "BR",
        json!({"kind": "branch", "parent_id": hub["id"], "disciplines": ["hematology"]}),
    )
    .await;
    app.create_laboratory(
        &w.kurgan_city,
        "PT",
        json!({"kind": "collection_point", "parent_id": hub["id"], "status": "under_construction"}),
    )
    .await;
    app.create_laboratory(
        &w.aktobe,
        "MOB",
        json!({"kind": "mobile", "status": "suspended", "disciplines": ["genetics", "virology"]}),
    )
    .await;

    assert_eq!(
        codes(&app, "/v1/laboratories?kind=central,mobile").await,
        strings(&["HUB", "MOB"])
    );
    assert_eq!(
        codes(&app, "/v1/laboratories?status=planned,suspended").await,
        strings(&["BR", "MOB"])
    );
    assert_eq!(
        codes(
            &app,
            "/v1/laboratories?kind=collection_point&status=under_construction"
        )
        .await,
        strings(&["PT"])
    );
    assert_eq!(
        codes(&app, "/v1/laboratories?discipline=virology").await,
        strings(&["HUB", "MOB"])
    );
    assert_eq!(
        codes(&app, "/v1/laboratories?discipline=hematology,genetics").await,
        strings(&["BR", "MOB"])
    );
    assert!(codes(&app, "/v1/laboratories?discipline=toxicology")
        .await
        .is_empty());
    assert_eq!(
        codes(&app, "/v1/laboratories?parent_id=null").await,
        strings(&["HUB", "MOB"])
    );
    assert_eq!(
        codes(&app, &format!("/v1/laboratories?parent_id={}", id(&hub))).await,
        strings(&["BR", "PT"])
    );
    // Items on a page carry their own disciplines.
    let page = json_with_status(app.get("/v1/laboratories?discipline=virology").await, 200).await;
    assert_eq!(
        page["items"][0]["disciplines"],
        json!(["clinical_chemistry", "virology"])
    );
    assert_eq!(
        page["items"][1]["disciplines"],
        json!(["virology", "genetics"])
    );
    assert!(page["next_page_token"].is_null());
    let body = problem(app.get("/v1/laboratories?kind=hospital").await, 400).await;
    assert!(names_field(&body, "kind"));
    problem(app.get("/v1/laboratories?discipline=astrology").await, 400).await;
    problem(app.get("/v1/laboratories?status=open").await, 400).await;
}

async fn filter_by_accreditation(backend: Backend) {
    let app = spawn_app(backend).await;
    let w = world(&app).await;
    let accreditation = |until: &str| json!({"accreditation": {"standard": "ISO 15189", "certificate_number": format!("RA.RU.{until}"), "valid_until": until}});
    app.create_laboratory(&w.kurgan_oblast, "LONG", accreditation("2099-12-31"))
        .await;
    app.create_laboratory(&w.kurgan_oblast, "OLD", accreditation("2020-06-30"))
        .await;
    app.create_laboratory(&w.kurgan_oblast, "NONE", json!({}))
        .await;

    assert_eq!(
        codes(&app, "/v1/laboratories?accredited=true").await,
        strings(&["LONG"])
    );
    assert_eq!(
        codes(&app, "/v1/laboratories?accredited=false").await,
        strings(&["OLD", "NONE"])
    );
    assert_eq!(
        codes(
            &app,
            "/v1/laboratories?accredited=true&accredited_on=2020-06-30"
        )
        .await,
        strings(&["LONG", "OLD"])
    );
    assert_eq!(
        codes(
            &app,
            "/v1/laboratories?accredited=false&accredited_on=2020-07-01"
        )
        .await,
        strings(&["OLD", "NONE"])
    );
    assert_eq!(
        codes(
            &app,
            "/v1/laboratories?accredited=false&accredited_on=2019-01-01"
        )
        .await,
        strings(&["NONE"])
    );
    let body = problem(
        app.get("/v1/laboratories?accredited_on=2026-01-01").await,
        400,
    )
    .await;
    assert!(names_field(&body, "accredited_on"));
    problem(
        app.get("/v1/laboratories?accredited=true&accredited_on=2026-13-01")
            .await,
        400,
    )
    .await;
    problem(app.get("/v1/laboratories?accredited=yes").await, 400).await;
}

async fn search_is_case_insensitive_in_cyrillic(backend: Backend) {
    let app = spawn_app(backend).await;
    let w = world(&app).await;
    app.create_laboratory(
        &w.kurgan_oblast,
        "KGN-CKDL-001",
        json!({"name": "Центральная клинико-диагностическая лаборатория"}),
    )
    .await;
    app.create_laboratory(
        &w.kurgan_city,
        "KGN-PZ-7",
        json!({"name": "Пункт забора Шадринск"}),
    )
    .await;
    app.create_laboratory(&w.aktobe, "AKT-ZR-1", json!({"name": "Ақтөбе Зертханасы"}))
        .await;

    for q in [
        "ЦЕНТРАЛЬНАЯ",
        "клинико-ДИАГНОСТИЧЕСКАЯ",
        "ckdl",
        "Kgn-Ckdl-001",
    ] {
        assert_eq!(
            codes(&app, &format!("/v1/laboratories?q={}", urlencode(q))).await,
            strings(&["KGN-CKDL-001"]),
            "q={q}"
        );
    }
    assert_eq!(
        codes(
            &app,
            &format!("/v1/laboratories?q={}", urlencode("шадРИНСК"))
        )
        .await,
        strings(&["KGN-PZ-7"])
    );
    assert_eq!(
        codes(&app, &format!("/v1/laboratories?q={}", urlencode("АҚТӨБЕ"))).await,
        strings(&["AKT-ZR-1"])
    );
    assert_eq!(
        codes(&app, &format!("/v1/laboratories?q={}", urlencode("kgn"))).await,
        strings(&["KGN-CKDL-001", "KGN-PZ-7"])
    );
    assert!(
        codes(&app, &format!("/v1/laboratories?q={}", urlencode("Тюмень")))
            .await
            .is_empty()
    );
    // Pattern characters are literal.
    assert!(codes(&app, "/v1/laboratories?q=%25").await.is_empty());
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn sort_by_capacity_with_nulls_and_paging(backend: Backend) {
    let app = spawn_app(backend).await;
    let w = world(&app).await;
    for (code, capacity) in [
        ("C500", json!(500)),
        ("NULL1", Value::Null),
        ("C12000", json!(12000)),
        ("C0", json!(0)),
        ("NULL2", Value::Null),
        ("C500B", json!(500)),
    ] {
        app.create_laboratory(
            &w.kurgan_oblast,
            code,
            json!({"capacity_per_day": capacity}),
        )
        .await;
    }
    let ascending = codes(&app, "/v1/laboratories?sort=capacity_per_day").await;
    // Nulls first; ties in creation (id) order.
    assert_eq!(
        ascending,
        strings(&["NULL1", "NULL2", "C0", "C500", "C500B", "C12000"])
    );
    let descending = codes(&app, "/v1/laboratories?sort=-capacity_per_day").await;
    let mut reversed = ascending.clone();
    reversed.reverse();
    assert_eq!(descending, reversed);

    for sort in [
        "capacity_per_day",
        "-capacity_per_day",
        "name",
        "-code",
        "updated_at",
    ] {
        let mut walked = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..10 {
            let mut path = format!("/v1/laboratories?sort={sort}&page_size=2");
            if let Some(token) = &token {
                path.push_str(&format!("&page_token={token}"));
            }
            let page = json_with_status(app.get(&path).await, 200).await;
            let items = page["items"].as_array().unwrap();
            assert!(items.len() <= 2);
            walked.extend(items.iter().map(|i| i["code"].as_str().unwrap().to_owned()));
            match page["next_page_token"].as_str() {
                Some(next) => token = Some(next.to_owned()),
                None => break,
            }
        }
        let whole = codes(&app, &format!("/v1/laboratories?sort={sort}")).await;
        assert_eq!(walked, whole, "sort {sort}");
        assert_eq!(walked.len(), 6);
    }
    assert_eq!(
        codes(&app, "/v1/laboratories?sort=code").await,
        sorted(ascending.clone())
    );
    // A token made for one sort is refused for another.
    let page = json_with_status(
        app.get("/v1/laboratories?sort=capacity_per_day&page_size=1")
            .await,
        200,
    )
    .await;
    let token = page["next_page_token"].as_str().unwrap();
    problem(
        app.get(&format!("/v1/laboratories?sort=name&page_token={token}"))
            .await,
        400,
    )
    .await;
    problem(app.get("/v1/laboratories?sort=latitude").await, 400).await;
}

async fn failed_write_leaves_no_partial_rows(backend: Backend) {
    let app = spawn_app(backend).await;
    let w = world(&app).await;
    let lab = app
        .create_laboratory(
            &w.kurgan_oblast,
            "KGN-001",
            json!({"disciplines": ["hematology", "immunology"], "status": "operational"}),
        )
        .await;
    for patch in [
        json!({"name": "Новое имя", "disciplines": ["hematology", "hematology"]}),
        json!({"name": "Новое имя", "disciplines": ["virology", "astrology"]}),
        json!({"disciplines": ["virology"], "status": "planned"}),
        json!({"disciplines": ["virology"], "latitude": 95, "longitude": 10}),
    ] {
        let response = app.patch(&lab_path(&lab), &patch).await;
        assert!(
            response.status() == 422 || response.status() == 409,
            "{patch}: {}",
            response.status()
        );
        let stored = json_with_status(app.get(&lab_path(&lab)).await, 200).await;
        assert_eq!(stored, lab, "after {patch}");
        assert_eq!(app.count_rows("laboratory_disciplines").await, 2);
    }
    // A refused create writes neither the laboratory nor its disciplines.
    problem(
        app.post(
            "/v1/laboratories",
            &json!({"region_id": w.kurgan_oblast["id"], "code": "KGN-001", "name": "Дубликат", "kind": "branch", "disciplines": ["virology"]}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(app.count_rows("laboratories").await, 1);
    assert_eq!(app.count_rows("laboratory_disciplines").await, 2);
}

async fn bad_query_parameters_are_400(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = problem(app.get("/v1/laboratories?colour=blue").await, 400).await;
    assert_eq!(body["errors"][0]["code"], "unknown_parameter");
    problem(app.get("/v1/laboratories?page_token=garbage").await, 400).await;
    problem(app.get("/v1/laboratories?page_size=0").await, 400).await;
    problem(app.get("/v1/laboratories?parent_id=nope").await, 400).await;
    let empty = json_with_status(app.get("/v1/laboratories").await, 200).await;
    assert_eq!(empty, json!({"items": [], "next_page_token": null}));
}

/// `q` matches the beginnings of words, every word of the search must match, and the
/// stored words follow creates, renames, code changes and deletes.
async fn search_matches_word_beginnings_and_follows_writes(backend: Backend) {
    let app = spawn_app(backend).await;
    let country = app.create_country("RU", "Россия").await;
    let region = app
        .create_region(&country, "RU-KGN", "Курганская область", "region")
        .await;
    let percent = app
        .create_laboratory(
            &region,
            "KGN-1",
            json!({"name": "Лаборатория 100% контроля"}),
        )
        .await;
    let thousand = app
        .create_laboratory(&region, "KGN-2", json!({"name": "Лаборатория 1000 тестов"}))
        .await;
    let underscore = app
        .create_laboratory(&region, "KGN-3", json!({"name": "Пункт a_b"}))
        .await;
    app.create_laboratory(&region, "KGN-4", json!({"name": "Пункт axb"}))
        .await;

    let search = |term: &str| {
        let encoded: String = url_encode(term);
        format!("/v1/laboratories?q={encoded}&sort=code")
    };
    let none = Vec::<String>::new();
    for (term, expected) in [
        // `100` begins both `100` and `1000`; `%` is not a word character.
        ("100%", vec!["KGN-1", "KGN-2"]),
        ("1000", vec!["KGN-2"]),
        ("ЛАБОРАТОРИЯ", vec!["KGN-1", "KGN-2"]),
        ("лаб", vec!["KGN-1", "KGN-2"]),
        // The middle of a word is not a match.
        ("аборатория", vec![]),
        // Every word must match, in any order.
        ("тест лаб", vec!["KGN-2"]),
        ("лаб пункт", vec![]),
        ("a_b", vec!["KGN-3"]),
        ("kgn-4", vec!["KGN-4"]),
        ("%", vec![]),
    ] {
        assert_eq!(
            codes_in_page(&json_with_status(app.get(&search(term)).await, 200).await),
            expected,
            "q={term}"
        );
    }
    let nine_words = problem(app.get(&search("a b c d e f g h i")).await, 400).await;
    assert_eq!(nine_words["errors"][0]["field"], "q");
    assert_eq!(nine_words["errors"][0]["code"], "too_many_words");

    // A rename moves the laboratory from one search to another.
    let path = format!("/v1/laboratories/{}", percent["id"].as_str().unwrap());
    json_with_status(
        app.patch(&path, &json!({"name": "Центр иммунологии"}))
            .await,
        200,
    )
    .await;
    assert_eq!(
        codes_in_page(&json_with_status(app.get(&search("контроля")).await, 200).await),
        none
    );
    assert_eq!(
        codes_in_page(&json_with_status(app.get(&search("иммунолог")).await, 200).await),
        ["KGN-1"]
    );
    // So does a new code.
    let path = format!("/v1/laboratories/{}", thousand["id"].as_str().unwrap());
    json_with_status(app.patch(&path, &json!({"code": "TST-20"})).await, 200).await;
    assert_eq!(
        codes_in_page(&json_with_status(app.get(&search("tst")).await, 200).await),
        ["TST-20"]
    );
    assert_eq!(
        codes_in_page(&json_with_status(app.get(&search("kgn")).await, 200).await),
        ["KGN-1", "KGN-3", "KGN-4"]
    );

    // A deleted laboratory is no longer found.
    let path = format!("/v1/laboratories/{}", underscore["id"].as_str().unwrap());
    assert_eq!(app.delete(&path).await.status(), 204);
    assert_eq!(
        codes_in_page(&json_with_status(app.get(&search("a_b")).await, 200).await),
        none
    );
    assert_eq!(
        codes_in_page(&json_with_status(app.get(&search("пункт")).await, 200).await),
        ["KGN-4"]
    );
    // No stale words are left behind: центр иммунологии kgn 1, лаборатория 1000 тестов
    // tst 20, пункт axb kgn 4.
    assert_eq!(app.count_rows("laboratory_search_terms").await, 13);
}

/// Pages of a search come in the requested order with nothing repeated or skipped,
/// whichever way the search runs: cut from the words table (the default order, nothing
/// else filtered), joined with it (another order or another filter), or in either
/// direction.
async fn search_pages_in_every_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let w = world(&app).await;
    for n in 1..=7 {
        let status = if n % 2 == 0 { "operational" } else { "planned" };
        app.create_laboratory(
            &w.kurgan_oblast,
            &format!("L-{n}"),
            json!({"name": format!("Лаборатория {n}"), "status": status}),
        )
        .await;
    }
    app.create_laboratory(&w.kurgan_oblast, "P-1", json!({"name": "Пункт забора"}))
        .await;
    let all = ["L-1", "L-2", "L-3", "L-4", "L-5", "L-6", "L-7"];
    let reversed: Vec<&str> = all.iter().rev().copied().collect();
    for (query, expected) in [
        ("q=лаборатория&page_size=2", all.to_vec()),
        ("q=ЛАБ&page_size=3&sort=-created_at", reversed.clone()),
        ("q=лаборатория&page_size=2&sort=name", all.to_vec()),
        ("q=лаборатория&page_size=2&sort=-code", reversed),
        (
            "q=лаборатория&page_size=1&status=operational",
            vec!["L-2", "L-4", "L-6"],
        ),
        ("q=лаборатория 5&page_size=1", vec!["L-5"]),
        ("q=5 лаборатория&page_size=1&sort=-name", vec!["L-5"]),
        ("q=забор пункт&page_size=1", vec!["P-1"]),
    ] {
        let items = list_all(&app, &format!("/v1/laboratories?{query}"), 10).await;
        assert_eq!(codes_of(&items), strings(&expected), "?{query}");
    }

    // A laboratory created between two pages shows up at the end, once.
    let first = json_with_status(app.get("/v1/laboratories?q=лаб&page_size=4").await, 200).await;
    let token = first["next_page_token"].as_str().unwrap().to_owned();
    app.create_laboratory(&w.kurgan_oblast, "L-8", json!({"name": "Лаборатория 8"}))
        .await;
    let rest = list_all(
        &app,
        &format!("/v1/laboratories?q=лаб&page_size=4&page_token={token}"),
        10,
    )
    .await;
    assert_eq!(codes_of(&rest), strings(&["L-5", "L-6", "L-7", "L-8"]));
}

/// Words in thousands of names: read from the words table in key order, or (a prefix of
/// thousands of longer words) by reading the list in order; every way gives the same pages. The rows here are written straight to the
/// database and their search data refilled the way a migration asks for it.
async fn codes_are_unique_regardless_of_case(backend: Backend) {
    let app = spawn_app(backend).await;
    let w = world(&app).await;
    let original = app
        .create_laboratory(&w.kurgan_oblast, "KGN-001", json!({}))
        .await;
    let words = app.count_rows("laboratory_search_terms").await;
    let body = problem(
        app.post(
            "/v1/laboratories",
            &json!({"region_id": w.kurgan_oblast["id"], "code": "kgn-001", "name": "Другая лаборатория", "kind": "branch"}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(body["type"], "/problems/duplicate");
    assert_eq!(body["errors"][0]["field"], "code");
    assert_eq!(body["errors"][0]["code"], "duplicate");
    assert_eq!(app.count_rows("laboratories").await, 1);
    assert_eq!(app.count_rows("laboratory_search_terms").await, words);

    let other = app
        .create_laboratory(&w.kurgan_oblast, "KGN-002", json!({}))
        .await;
    let body = problem(
        app.patch(&lab_path(&other), &json!({"code": "Kgn-001"}))
            .await,
        409,
    )
    .await;
    assert_eq!(body["type"], "/problems/duplicate");
    assert_eq!(body["errors"][0]["field"], "code");
    let unchanged = json_with_status(app.get(&lab_path(&other)).await, 200).await;
    assert_eq!(unchanged["code"], "KGN-002");

    // The exact original is still fine, and the code is kept as typed.
    let same = patch_ok(&app, &original, json!({"code": "KGN-001"})).await;
    assert_eq!(same["code"], "KGN-001");
    // A laboratory may change the case of its own code.
    let recased = patch_ok(&app, &original, json!({"code": "Kgn-001"})).await;
    assert_eq!(recased["code"], "Kgn-001");
    // The `code` filter ignores case too.
    assert_eq!(
        codes(&app, "/v1/laboratories?code=KGN-001").await,
        strings(&["Kgn-001"])
    );
    assert_eq!(
        sorted(codes(&app, "/v1/laboratories?code=kgn-001,KGN-002").await),
        strings(&["KGN-002", "Kgn-001"])
    );
    // The old form of the code is free only once nobody holds it in any case.
    let body = problem(
        app.post(
            "/v1/laboratories",
            &json!({"region_id": w.kurgan_oblast["id"], "code": "KGN-001", "name": "Третья", "kind": "branch"}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "code");
    patch_ok(&app, &original, json!({"code": "KGN-100"})).await;
    app.create_laboratory(&w.kurgan_oblast, "kgn-001", json!({}))
        .await;
}

async fn codes_differing_only_in_case_in_any_script_are_409(backend: Backend) {
    let app = spawn_app(backend).await;
    let w = world(&app).await;
    app.create_laboratory(&w.kurgan_oblast, "КДЛ-Ёлки-1", json!({}))
        .await;
    app.create_laboratory(&w.kurgan_oblast, "STRASSE-1", json!({}))
        .await;
    for code in ["кдл-ёлки-1", "КДЛ-ЁЛКИ-1", "straße-1", "Strasse-1"] {
        let body = problem(
            app.post(
                "/v1/laboratories",
                &json!({"region_id": w.kurgan_oblast["id"], "code": code, "name": "Другая", "kind": "branch"}),
            )
            .await,
            409,
        )
        .await;
        assert_eq!(body["errors"][0]["field"], "code", "{code}");
    }
    // Another letter is another code (`ё` is not `е` in a code).
    app.create_laboratory(&w.kurgan_oblast, "кдл-елки-1", json!({}))
        .await;
    assert_eq!(
        codes(
            &app,
            &format!("/v1/laboratories?code={}", urlencode("кдл-ёлки-1"))
        )
        .await,
        strings(&["КДЛ-Ёлки-1"])
    );
}

/// Code keys written behind the service's back (or by SQL's ASCII-only `lower()` in the
/// migration) are set from Rust when a `pending_code_key_refill` row asks for it, and two
/// codes that differ only in case stop the refill with both named.
async fn stored_code_keys_are_refilled_when_asked(backend: Backend) {
    use diesel::prelude::*;
    use labnet::schema::{laboratories, pending_code_key_refill};

    let app = spawn_app(backend).await;
    let w = world(&app).await;
    let lab = app
        .create_laboratory(&w.kurgan_oblast, "КДЛ-1", json!({}))
        .await;
    let other = app
        .create_laboratory(&w.kurgan_oblast, "кдл-2", json!({}))
        .await;
    let (lab_id, other_id) = (id(&lab).to_owned(), id(&other).to_owned());
    let pool = app.pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get().expect("connection");
        let lab_id: labnet::laboratories::model::LaboratoryId =
            serde_json::from_value(json!(lab_id)).unwrap();
        let other_id: labnet::laboratories::model::LaboratoryId =
            serde_json::from_value(json!(other_id)).unwrap();
        let ask = |conn: &mut labnet::db::DbConn| {
            diesel::insert_into(pending_code_key_refill::table)
                .values(pending_code_key_refill::requested.eq(true))
                .execute(conn)
                .expect("refill asked");
        };
        let key_of = |conn: &mut labnet::db::DbConn, id| -> String {
            laboratories::table
                .find(id)
                .select(laboratories::code_key)
                .first(conn)
                .expect("key")
        };
        // What the migration's `lower()` leaves for a Cyrillic code.
        diesel::update(laboratories::table.find(lab_id))
            .set(laboratories::code_key.eq("КДЛ-1"))
            .execute(&mut **conn)
            .expect("stale key");
        ask(&mut conn);
        assert!(labnet::search_rebuild::rebuild_if_requested(&mut conn).expect("refill"));
        assert_eq!(key_of(&mut conn, lab_id), "кдл-1");
        assert!(!labnet::search_rebuild::rebuild_if_requested(&mut conn).expect("no refill"));

        // A clash: `кдл-2` next to `КДЛ-2` with a stale key.
        diesel::update(laboratories::table.find(lab_id))
            .set((
                laboratories::code.eq("КДЛ-2"),
                laboratories::code_key.eq("КДЛ-2"),
            ))
            .execute(&mut **conn)
            .expect("clashing code");
        ask(&mut conn);
        let error = labnet::search_rebuild::rebuild_if_requested(&mut conn)
            .expect_err("a clash stops the refill");
        let message = error.to_string();
        assert!(message.contains("differ only in case"), "{message}");
        assert!(message.contains(&lab_id.to_string()), "{message}");
        assert!(message.contains(&other_id.to_string()), "{message}");
        // Nothing was committed: the request waits for the next start.
        let waiting: i64 = pending_code_key_refill::table
            .count()
            .get_result(&mut **conn)
            .expect("count");
        assert_eq!(waiting, 1);
    })
    .await
    .unwrap();
}

async fn common_words_and_refilled_search_data(backend: Backend) {
    use diesel::prelude::*;
    use labnet::core::time::Timestamp;
    use labnet::laboratories::model::{LaboratoryId, LaboratoryRow};
    use labnet::regions::model::RegionId;

    const COUNT: usize = 5200;
    let app = spawn_app(backend).await;
    let country = app.create_country("RU", "Россия").await;
    let region_id: RegionId = serde_json::from_value(country["id"].clone()).unwrap();
    let pool = app.pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get().expect("connection");
        // A second apart from an hour ago: the first rows are older than a laboratory the
        // test creates through the API later, the last ones newer, however slow the run.
        let start = chrono::Utc::now() - chrono::Duration::hours(1);
        labnet::db::write_transaction(&mut conn, |conn| {
            for n in 1..=COUNT {
                let at = Timestamp(start + chrono::Duration::seconds(n as i64));
                let row = LaboratoryRow {
                    equipment_counts: "{}".into(),
                    id: LaboratoryId::generate(),
                    region_id,
                    code: format!("P-{n}"),
                    code_key: format!("p-{n}"),
                    name: format!("Пункт {n}"),
                    search_text: String::new(),
                    kind: labnet::laboratories::model::LaboratoryKind::Central,
                    parent_id: None,
                    status: labnet::laboratories::model::LaboratoryStatus::Planned,
                    address: None,
                    latitude: None,
                    longitude: None,
                    capacity_per_day: None,
                    opened_on: None,
                    operator: None,
                    accreditation_standard: None,
                    accreditation_certificate_number: None,
                    accreditation_valid_until: None,
                    created_at: at,
                    updated_at: at,
                    version: 1,
                };
                let laboratory = <labnet::laboratories::model::Laboratory as labnet::core::resource::FromRow>::from_row(row.clone(), Vec::new());
                let event = labnet::db::audit::event_for(
                    &labnet::core::context::WriteContext::default(),
                    &labnet::db::audit::Change::created(laboratory),
                )
                .expect("event")
                .expect("an event for a create");
                labnet::laboratories::repo::insert(conn, &row, &[], &[], &event)?;
            }
            diesel::insert_into(labnet::schema::pending_search_rebuild::table)
                .values(labnet::schema::pending_search_rebuild::requested.eq(true))
                .execute(conn)?;
            Ok::<_, diesel::result::Error>(())
        })
        .expect("rows written");
        assert!(labnet::search_rebuild::rebuild_if_requested(&mut conn).expect("refill"));
        // Asked once, done once.
        assert!(!labnet::search_rebuild::rebuild_if_requested(&mut conn).expect("no refill"));
    })
    .await
    .unwrap();
    // Words: пункт, the number, p.
    assert_eq!(
        app.count_rows("laboratory_search_terms").await,
        3 * COUNT as i64
    );
    assert_eq!(app.count_rows("pending_search_rebuild").await, 0);

    let expected = |numbers: std::ops::RangeInclusive<usize>| -> Vec<String> {
        numbers.map(|n| format!("P-{n}")).collect()
    };
    // `пункт` (every name) and `p` (every code) are common words.
    let first = json_with_status(app.get("/v1/laboratories?q=пункт&page_size=3").await, 200).await;
    assert_eq!(codes_in_page(&first), expected(1..=3));
    let token = first["next_page_token"].as_str().unwrap();
    let second = json_with_status(
        app.get(&format!(
            "/v1/laboratories?q=пункт&page_size=3&page_token={token}"
        ))
        .await,
        200,
    )
    .await;
    assert_eq!(codes_in_page(&second), expected(4..=6));
    let last = json_with_status(
        app.get("/v1/laboratories?q=p%20%D0%BF%D1%83%D0%BD&page_size=2&sort=-created_at")
            .await,
        200,
    )
    .await;
    assert_eq!(codes_in_page(&last), ["P-5200", "P-5199"]);
    // `пун` only begins longer words, thousands of them: in the default order they are read
    // from the words table and sorted; in another order the list is read in that order and
    // each name tested.
    for (query, expected) in [
        ("q=пун&page_size=2", vec!["P-1", "P-2"]),
        ("q=пун&page_size=1&sort=-code", vec!["P-999"]),
        ("q=пун p&page_size=1&sort=name", vec!["P-1"]),
    ] {
        let page = json_with_status(app.get(&format!("/v1/laboratories?{query}")).await, 200).await;
        assert_eq!(codes_in_page(&page), expected, "?{query}");
    }
    // A rare word next to a common one.
    for query in [
        "q=пункт 4321",
        "q=4321 p&sort=name",
        "q=p-4321&status=planned",
    ] {
        let page = json_with_status(app.get(&format!("/v1/laboratories?{query}")).await, 200).await;
        assert_eq!(codes_in_page(&page), ["P-4321"], "?{query}");
    }
    // `432` begins 4320..4329 and 432 itself.
    let prefix = list_all(&app, "/v1/laboratories?q=432&page_size=4&sort=code", 5).await;
    assert_eq!(prefix.len(), 11);

    // A subtree this large is read in list order (on SQLite) rather than gathered and
    // sorted; a small one is gathered. Both give the same pages.
    let oblast = app
        .create_region(&country, "RU-KGN", "Курганская область", "region")
        .await;
    app.create_laboratory(&oblast, "KGN-1", json!({"status": "operational"}))
        .await;
    let subtree = format!(
        "/v1/laboratories?region_id={}&include_subregions=true&page_size=2",
        id(&country)
    );
    let first = json_with_status(app.get(&subtree).await, 200).await;
    assert_eq!(codes_in_page(&first), expected(1..=2));
    let token = first["next_page_token"].as_str().unwrap();
    let second =
        json_with_status(app.get(&format!("{subtree}&page_token={token}")).await, 200).await;
    assert_eq!(codes_in_page(&second), expected(3..=4));
    for (query, expected) in [
        ("&sort=name", vec!["KGN-1", "P-1"]),
        ("&sort=-created_at", vec!["P-5200", "P-5199"]),
        ("&status=operational", vec!["KGN-1"]),
        ("&sort=-code&kind=central", vec!["P-999", "P-998"]),
    ] {
        let page = json_with_status(app.get(&format!("{subtree}{query}")).await, 200).await;
        assert_eq!(codes_in_page(&page), expected, "{subtree}{query}");
    }
    let small = json_with_status(
        app.get(&format!(
            "/v1/laboratories?region_id={}&include_subregions=true",
            id(&oblast)
        ))
        .await,
        200,
    )
    .await;
    assert_eq!(codes_in_page(&small), ["KGN-1"]);
}

/// The codes of the laboratories in a list page.
fn codes_in_page(page: &Value) -> Vec<String> {
    codes_of(page["items"].as_array().expect("items"))
}

fn codes_of(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|lab| lab["code"].as_str().expect("code").to_owned())
        .collect()
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A read by id runs on the HTTP worker only when a connection is idle; with the only
/// connection taken, reads wait for it in the pool's queue and all succeed.
async fn reads_by_id_wait_for_a_busy_pool(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.pool_size = 1).await;
    let w = world(&app).await;
    let lab = app
        .create_laboratory(&w.kurgan_city, "KUR-1", json!({}))
        .await;
    let pool = app.pool.clone();
    let (taken_tx, taken_rx) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        let conn = pool.get().expect("the only connection");
        taken_tx.send(()).expect("signal");
        std::thread::sleep(std::time::Duration::from_millis(300));
        drop(conn);
    });
    taken_rx.recv().expect("connection taken");
    assert_eq!(app.pool.state().idle_connections, 0);
    let path = lab_path(&lab);
    let reads = (0..6).map(|_| app.get(&path));
    for response in futures_util::future::join_all(reads).await {
        let body = json_with_status(response, 200).await;
        assert_eq!(body["code"], "KUR-1");
    }
    holder.join().expect("holder");
}
