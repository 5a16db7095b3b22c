//! Equipment models and installed units: their own rules (a model code unique within its
//! vendor, the localization the model is produced under, serial numbers unique per model,
//! the unit status moves, the unit counts on a laboratory), their filters and references.
//! What every resource does is the contract suite's.

use serde_json::{json, Value};

use crate::backend_tests;
use crate::common::{error_fields, json_with_status, problem, spawn_app, Backend, TestApp};

backend_tests!(
    a_model_is_created_and_read_back,
    model_codes_are_unique_within_a_vendor_ignoring_case,
    a_model_refers_to_its_vendor_and_its_vendors_localization,
    every_invalid_model_field_is_named,
    model_filters_and_search,
    what_a_model_refers_to_cannot_be_deleted_or_moved_away,
    a_unit_is_installed_and_counted_on_its_laboratory,
    serial_numbers_are_unique_per_model_ignoring_case,
    unit_status_moves_are_guarded_and_decommissioned_units_are_not_counted,
    a_unit_refers_to_what_exists_and_holds_it,
    a_moved_unit_moves_between_the_counts,
    unit_filters_and_a_laboratorys_equipment,
    a_laboratory_with_equipment_in_service_is_not_closed,
    new_counts_are_a_recorded_change_of_the_laboratory,
);

/// A region with a laboratory, a vendor and two of its models.
struct Site {
    region: Value,
    lab: Value,
    vendor: Value,
    hematology: Value,
    chemistry: Value,
}

async fn site(app: &TestApp) -> Site {
    let country = app.create_country("RU", "Россия").await;
    let region = app
        .create_region(&country, "RU-KGN", "Курганская область", "region")
        .await;
    let lab = app.create_laboratory(&region, "KGN-001", json!({})).await;
    let vendor = app.create_vendor("Mindray", "CN").await;
    let hematology = create_model(app, &vendor, "BC-6200", "hematology_analyzer").await;
    let chemistry = create_model(app, &vendor, "BS-2000M", "clinical_chemistry_analyzer").await;
    Site {
        region,
        lab,
        vendor,
        hematology,
        chemistry,
    }
}

async fn install(app: &TestApp, model: &Value, lab: &Value, serial: &str) -> Value {
    app.create(
        "/v1/equipment-units",
        json!({"equipment_model_id": model["id"], "laboratory_id": lab["id"], "serial_number": serial}),
    )
    .await
}

fn path_of(collection: &str, row: &Value) -> String {
    format!("/v1/{collection}/{}", row["id"].as_str().unwrap())
}

fn serials(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["serial_number"].as_str().expect("serial_number"))
        .collect()
}

pub(crate) async fn create_model(
    app: &TestApp,
    vendor: &Value,
    code: &str,
    category: &str,
) -> Value {
    app.create(
        "/v1/equipment-models",
        json!({"vendor_id": vendor["id"], "name": format!("Analyzer {code}"), "model_code": code, "category": category}),
    )
    .await
}

fn codes(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["model_code"].as_str().expect("model_code"))
        .collect()
}

async fn a_model_is_created_and_read_back(backend: Backend) {
    let app = spawn_app(backend).await;
    let mindray = app.create_vendor("Mindray", "CN").await;
    let response = app
        .post(
            "/v1/equipment-models",
            &json!({"vendor_id": mindray["id"], "name": "  BC-6200 hematology analyzer ",
                "model_code": " BC-6200", "category": "hematology_analyzer"}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let created = json_with_status(response, 201).await;
    assert_eq!(created["name"], "BC-6200 hematology analyzer");
    assert_eq!(created["model_code"], "BC-6200");
    assert_eq!(created["vendor_id"], mindray["id"]);
    assert_eq!(created["category"], "hematology_analyzer");
    assert_eq!(created["localization_id"], Value::Null);
    assert_eq!(created["version"], 1);
    assert_eq!(
        location,
        format!("/v1/equipment-models/{}", created["id"].as_str().unwrap())
    );
    assert_eq!(
        json_with_status(app.get(&location).await, 200).await,
        created
    );
    assert_eq!(app.count_rows("equipment_models").await, 1);
}

async fn model_codes_are_unique_within_a_vendor_ignoring_case(backend: Backend) {
    let app = spawn_app(backend).await;
    let mindray = app.create_vendor("Mindray", "CN").await;
    let sysmex = app.create_vendor("Sysmex", "JP").await;
    let first = create_model(&app, &mindray, "BC-6200", "hematology_analyzer").await;
    let refused = problem(
        app.post(
            "/v1/equipment-models",
            &json!({"vendor_id": mindray["id"], "name": "Another", "model_code": "bc-6200", "category": "ct"}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(refused["type"], "/problems/duplicate");
    assert_eq!(error_fields(&refused), ["model_code"]);
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains(first["id"].as_str().unwrap()),
        "{refused}"
    );
    // Another vendor may use the same code.
    create_model(&app, &sysmex, "BC-6200", "hematology_analyzer").await;
    // Renaming the code onto a taken one is refused too.
    let second = create_model(&app, &mindray, "BC-5000", "hematology_analyzer").await;
    let path = format!("/v1/equipment-models/{}", second["id"].as_str().unwrap());
    problem(
        app.patch(&path, &json!({"model_code": "BC-6200"})).await,
        409,
    )
    .await;
    assert_eq!(app.count_rows("equipment_models").await, 3);
}

async fn a_model_refers_to_its_vendor_and_its_vendors_localization(backend: Backend) {
    let app = spawn_app(backend).await;
    let mindray = app.create_vendor("Mindray", "CN").await;
    let canon = app.create_vendor("Canon Medical", "JP").await;
    let canon_in_ru = app
        .create(
            "/v1/localizations",
            json!({"vendor_id": canon["id"], "country_code": "RU", "scope": ["equipment"]}),
        )
        .await;
    let unknown = "0193a0f4-0000-7000-8000-000000000000";
    let refused = problem(
        app.post(
            "/v1/equipment-models",
            &json!({"vendor_id": unknown, "name": "X", "model_code": "X-1", "category": "ct",
                "localization_id": unknown}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(error_fields(&refused), ["vendor_id", "localization_id"]);
    assert_eq!(refused["errors"][0]["code"], "not_found");
    // Another vendor's localization.
    let refused = problem(
        app.post(
            "/v1/equipment-models",
            &json!({"vendor_id": mindray["id"], "name": "X", "model_code": "X-1", "category": "ct",
                "localization_id": canon_in_ru["id"]}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(error_fields(&refused), ["localization_id"]);
    assert_eq!(refused["errors"][0]["code"], "invalid");
    assert_eq!(app.count_rows("equipment_models").await, 0);
    let aquilion = app
        .create(
            "/v1/equipment-models",
            json!({"vendor_id": canon["id"], "name": "Aquilion Lightning", "model_code": "TSX-036A",
                "category": "ct", "localization_id": canon_in_ru["id"]}),
        )
        .await;
    assert_eq!(aquilion["localization_id"], canon_in_ru["id"]);
    let path = format!("/v1/equipment-models/{}", aquilion["id"].as_str().unwrap());
    // Moving the model to another vendor while it keeps Canon's localization is refused.
    let refused = problem(
        app.patch(&path, &json!({"vendor_id": mindray["id"]})).await,
        422,
    )
    .await;
    assert_eq!(error_fields(&refused), ["localization_id"]);
    // Clearing the localization with the move is accepted.
    let moved = json_with_status(
        app.patch(
            &path,
            &json!({"vendor_id": mindray["id"], "localization_id": null}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(moved["vendor_id"], mindray["id"]);
    assert_eq!(moved["localization_id"], Value::Null);
    assert_eq!(moved["version"], 2);
}

async fn every_invalid_model_field_is_named(backend: Backend) {
    let app = spawn_app(backend).await;
    let vendor = app.create_vendor("Mindray", "CN").await;
    let refused = problem(
        app.post(
            "/v1/equipment-models",
            &json!({"vendor_id": vendor["id"], "name": "  ", "model_code": "x".repeat(101),
                "category": "hematology_analyzer"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(error_fields(&refused), ["name", "model_code"]);
    assert_eq!(refused["errors"][0]["code"], "required");
    assert_eq!(refused["errors"][1]["code"], "too_long");
    let refused = problem(
        app.post(
            "/v1/equipment-models",
            &json!({"vendor_id": vendor["id"], "name": "A", "model_code": "A", "category": "toaster"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(error_fields(&refused), ["category"]);
    let model = create_model(&app, &vendor, "BC-6200", "hematology_analyzer").await;
    let path = format!("/v1/equipment-models/{}", model["id"].as_str().unwrap());
    let refused = problem(
        app.patch(&path, &json!({"name": null, "category": null}))
            .await,
        422,
    )
    .await;
    assert_eq!(error_fields(&refused), ["name", "category"]);
    assert_eq!(app.count_rows("equipment_models").await, 1);
}

async fn model_filters_and_search(backend: Backend) {
    let app = spawn_app(backend).await;
    let mindray = app.create_vendor("Mindray", "CN").await;
    let canon = app.create_vendor("Canon Medical", "JP").await;
    let canon_in_ru = app
        .create(
            "/v1/localizations",
            json!({"vendor_id": canon["id"], "country_code": "RU", "scope": ["equipment"]}),
        )
        .await;
    create_model(&app, &mindray, "BC-6200", "hematology_analyzer").await;
    create_model(&app, &mindray, "BS-2000M", "clinical_chemistry_analyzer").await;
    app.create(
        "/v1/equipment-models",
        json!({"vendor_id": canon["id"], "name": "Aquilion Lightning", "model_code": "TSX-036A",
            "category": "ct", "localization_id": canon_in_ru["id"]}),
    )
    .await;
    let list = |query: &str| format!("/v1/equipment-models?sort=model_code&{query}");
    let page = json_with_status(
        app.get(&list(&format!(
            "vendor_id={}",
            mindray["id"].as_str().unwrap()
        )))
        .await,
        200,
    )
    .await;
    assert_eq!(codes(&page), ["BC-6200", "BS-2000M"]);
    let page = json_with_status(
        app.get(&list("category=ct&category=hematology_analyzer"))
            .await,
        200,
    )
    .await;
    assert_eq!(codes(&page), ["BC-6200", "TSX-036A"]);
    let page = json_with_status(app.get(&list("localized=true")).await, 200).await;
    assert_eq!(codes(&page), ["TSX-036A"]);
    let page = json_with_status(app.get(&list("localized=false")).await, 200).await;
    assert_eq!(codes(&page), ["BC-6200", "BS-2000M"]);
    let page = json_with_status(
        app.get(&list(&format!(
            "localization_id={}",
            canon_in_ru["id"].as_str().unwrap()
        )))
        .await,
        200,
    )
    .await;
    assert_eq!(codes(&page), ["TSX-036A"]);
    let page = json_with_status(app.get(&list("q=bc%206200")).await, 200).await;
    assert_eq!(codes(&page), ["BC-6200"]);
    let page = json_with_status(app.get(&list("q=aquilion")).await, 200).await;
    assert_eq!(codes(&page), ["TSX-036A"]);
    let refused = problem(app.get(&list("category=toaster")).await, 400).await;
    assert_eq!(error_fields(&refused), ["category"]);
    let refused = problem(app.get(&list("localized=maybe")).await, 400).await;
    assert_eq!(error_fields(&refused), ["localized"]);
}

async fn what_a_model_refers_to_cannot_be_deleted_or_moved_away(backend: Backend) {
    let app = spawn_app(backend).await;
    let canon = app.create_vendor("Canon Medical", "JP").await;
    let other = app.create_vendor("Other Vendor", "JP").await;
    let canon_in_ru = app
        .create(
            "/v1/localizations",
            json!({"vendor_id": canon["id"], "country_code": "RU", "scope": ["equipment"]}),
        )
        .await;
    let model = app
        .create(
            "/v1/equipment-models",
            json!({"vendor_id": canon["id"], "name": "Aquilion Lightning", "model_code": "TSX-036A",
                "category": "ct", "localization_id": canon_in_ru["id"]}),
        )
        .await;
    let vendor_path = format!("/v1/vendors/{}", canon["id"].as_str().unwrap());
    let refused = problem(app.delete(&vendor_path).await, 409).await;
    assert_eq!(refused["type"], "/problems/still-referenced");
    assert!(
        refused["referenced_by"]
            .as_array()
            .unwrap()
            .contains(&json!("equipment models (1)")),
        "{refused}"
    );
    let localization_path = format!("/v1/localizations/{}", canon_in_ru["id"].as_str().unwrap());
    let refused = problem(app.delete(&localization_path).await, 409).await;
    assert_eq!(refused["referenced_by"], json!(["equipment models (1)"]));
    // The localization cannot pass to another vendor while Canon's model is produced under it.
    problem(
        app.patch(&localization_path, &json!({"vendor_id": other["id"]}))
            .await,
        409,
    )
    .await;
    let stored = json_with_status(app.get(&localization_path).await, 200).await;
    assert_eq!(stored["vendor_id"], canon["id"]);
    // Once the model is gone, the vendor's localization and the vendor can go.
    let model_path = format!("/v1/equipment-models/{}", model["id"].as_str().unwrap());
    assert_eq!(app.delete(&model_path).await.status(), 204);
    assert_eq!(app.get(&model_path).await.status(), 404);
    assert_eq!(app.delete(&localization_path).await.status(), 204);
    assert_eq!(app.delete(&vendor_path).await.status(), 204);
    assert_eq!(app.count_rows("equipment_models").await, 0);
}

async fn a_unit_is_installed_and_counted_on_its_laboratory(backend: Backend) {
    let app = spawn_app(backend).await;
    let site = site(&app).await;
    let lab_path = path_of("laboratories", &site.lab);
    let fresh = json_with_status(app.get(&lab_path).await, 200).await;
    assert_eq!(fresh["equipment_counts"], json!({}));
    let etag = app.get(&lab_path).await.headers()["etag"]
        .to_str()
        .unwrap()
        .to_owned();
    let response = app
        .post(
            "/v1/equipment-units",
            &json!({"equipment_model_id": site.hematology["id"], "laboratory_id": site.lab["id"],
                "serial_number": " MR-24-001873 ", "installed_on": "2026-03-15",
                "supplier_name": "Медтехника"}),
        )
        .await;
    let unit = json_with_status(response, 201).await;
    assert_eq!(unit["serial_number"], "MR-24-001873");
    assert_eq!(unit["status"], "in_service");
    assert_eq!(unit["installed_on"], "2026-03-15");
    assert_eq!(unit["supplier_name"], "Медтехника");
    assert_eq!(unit["supplier_vendor_id"], Value::Null);
    assert_eq!(
        json_with_status(app.get(&path_of("equipment-units", &unit)).await, 200).await,
        unit
    );
    install(&app, &site.hematology, &site.lab, "MR-24-001874").await;
    install(&app, &site.chemistry, &site.lab, "BS-77").await;
    let lab = json_with_status(app.get(&lab_path).await, 200).await;
    assert_eq!(
        lab["equipment_counts"],
        json!({"clinical_chemistry_analyzer": 1, "hematology_analyzer": 2})
    );
    assert_eq!(lab["version"], fresh["version"].as_i64().unwrap() + 3);
    // The cached copy is stale: the counts changed, so did the ETag.
    let cached = app
        .request(
            reqwest::Method::GET,
            &lab_path,
            None,
            &[("if-none-match", &etag)],
        )
        .await;
    assert_eq!(cached.status(), 200);
    // The list shows the same counts.
    let page = json_with_status(app.get("/v1/laboratories").await, 200).await;
    assert_eq!(
        page["items"][0]["equipment_counts"],
        lab["equipment_counts"]
    );
    assert_eq!(app.count_rows("equipment_units").await, 3);
}

async fn serial_numbers_are_unique_per_model_ignoring_case(backend: Backend) {
    let app = spawn_app(backend).await;
    let site = site(&app).await;
    let first = install(&app, &site.hematology, &site.lab, "MR-1").await;
    let refused = problem(
        app.post(
            "/v1/equipment-units",
            &json!({"equipment_model_id": site.hematology["id"], "laboratory_id": site.lab["id"],
                "serial_number": "mr-1"}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(refused["type"], "/problems/duplicate");
    assert_eq!(error_fields(&refused), ["serial_number"]);
    assert!(refused["detail"]
        .as_str()
        .unwrap()
        .contains(first["id"].as_str().unwrap()));
    // The same serial number on another model is another unit.
    let other = install(&app, &site.chemistry, &site.lab, "MR-1").await;
    // Moving that unit onto the first model would make two.
    problem(
        app.patch(
            &path_of("equipment-units", &other),
            &json!({"equipment_model_id": site.hematology["id"]}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(app.count_rows("equipment_units").await, 2);
}

async fn unit_status_moves_are_guarded_and_decommissioned_units_are_not_counted(backend: Backend) {
    let app = spawn_app(backend).await;
    let site = site(&app).await;
    let refused = problem(
        app.post(
            "/v1/equipment-units",
            &json!({"equipment_model_id": site.hematology["id"], "laboratory_id": site.lab["id"],
                "serial_number": "MR-1", "status": "decommissioned"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(error_fields(&refused), ["status"]);
    let unit = install(&app, &site.hematology, &site.lab, "MR-1").await;
    let path = path_of("equipment-units", &unit);
    let lab_path = path_of("laboratories", &site.lab);
    let maintenance = json_with_status(
        app.patch(&path, &json!({"status": "maintenance"})).await,
        200,
    )
    .await;
    assert_eq!(maintenance["status"], "maintenance");
    assert_eq!(maintenance["version"], 2);
    // Maintenance still counts: the lab keeps its version.
    let lab = json_with_status(app.get(&lab_path).await, 200).await;
    assert_eq!(lab["equipment_counts"], json!({"hematology_analyzer": 1}));
    let lab_version = lab["version"].as_i64().unwrap();
    // Restating the status changes nothing.
    let same = json_with_status(
        app.patch(&path, &json!({"status": "maintenance"})).await,
        200,
    )
    .await;
    assert_eq!(same["version"], 2);
    let gone = json_with_status(
        app.patch(&path, &json!({"status": "decommissioned"})).await,
        200,
    )
    .await;
    assert_eq!(gone["status"], "decommissioned");
    let lab = json_with_status(app.get(&lab_path).await, 200).await;
    assert_eq!(lab["equipment_counts"], json!({}));
    assert_eq!(lab["version"], lab_version + 1);
    let refused = problem(
        app.patch(&path, &json!({"status": "in_service"})).await,
        409,
    )
    .await;
    assert_eq!(refused["type"], "/problems/illegal-transition");
    assert_eq!(refused["current_state"], "decommissioned");
    assert_eq!(refused["allowed_transitions"], json!([]));
    let stored = json_with_status(app.get(&path).await, 200).await;
    assert_eq!(stored["status"], "decommissioned");
    assert_eq!(stored["version"], 3);
}

async fn a_unit_refers_to_what_exists_and_holds_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let site = site(&app).await;
    let unknown = "0193a0f4-0000-7000-8000-000000000000";
    let refused = problem(
        app.post(
            "/v1/equipment-units",
            &json!({"equipment_model_id": unknown, "laboratory_id": unknown, "serial_number": "S-1",
                "supplier_vendor_id": unknown}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(
        error_fields(&refused),
        ["equipment_model_id", "laboratory_id", "supplier_vendor_id"]
    );
    let refused = problem(
        app.post(
            "/v1/equipment-units",
            &json!({"equipment_model_id": site.hematology["id"], "laboratory_id": site.lab["id"],
                "serial_number": "S-1", "supplier_vendor_id": site.vendor["id"], "supplier_name": "Медтехника"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(error_fields(&refused), ["supplier_name"]);
    let closed = app
        .create_laboratory(&site.region, "KGN-CLOSED", json!({}))
        .await;
    json_with_status(
        app.patch(
            &path_of("laboratories", &closed),
            &json!({"status": "closed"}),
        )
        .await,
        200,
    )
    .await;
    let refused = problem(
        app.post(
            "/v1/equipment-units",
            &json!({"equipment_model_id": site.hematology["id"], "laboratory_id": closed["id"], "serial_number": "S-1"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(error_fields(&refused), ["laboratory_id"]);
    assert_eq!(app.count_rows("equipment_units").await, 0);
    let unit = app
        .create(
            "/v1/equipment-units",
            json!({"equipment_model_id": site.hematology["id"], "laboratory_id": site.lab["id"],
                "serial_number": "S-1", "supplier_vendor_id": site.vendor["id"]}),
        )
        .await;
    assert_eq!(unit["supplier_vendor_id"], site.vendor["id"]);
    // What the unit refers to stays while it does.
    for (path, referring) in [
        (path_of("laboratories", &site.lab), "equipment units (1)"),
        (
            path_of("equipment-models", &site.hematology),
            "equipment units (1)",
        ),
    ] {
        let refused = problem(app.delete(&path).await, 409).await;
        assert_eq!(refused["referenced_by"], json!([referring]), "{path}");
    }
    let refused = problem(app.delete(&path_of("vendors", &site.vendor)).await, 409).await;
    assert!(refused["referenced_by"]
        .as_array()
        .unwrap()
        .contains(&json!("equipment units (as supplier) (1)")));
    // A unit recorded by mistake is deleted, and the laboratory then can be.
    assert_eq!(
        app.delete(&path_of("equipment-units", &unit))
            .await
            .status(),
        204
    );
    assert_eq!(
        app.delete(&path_of("laboratories", &site.lab))
            .await
            .status(),
        204
    );
}

async fn a_moved_unit_moves_between_the_counts(backend: Backend) {
    let app = spawn_app(backend).await;
    let site = site(&app).await;
    let other = app
        .create_laboratory(&site.region, "KGN-002", json!({}))
        .await;
    let unit = install(&app, &site.hematology, &site.lab, "MR-1").await;
    let before = json_with_status(app.get(&path_of("laboratories", &other)).await, 200).await;
    let moved = json_with_status(
        app.patch(
            &path_of("equipment-units", &unit),
            &json!({"laboratory_id": other["id"]}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(moved["laboratory_id"], other["id"]);
    let from = json_with_status(app.get(&path_of("laboratories", &site.lab)).await, 200).await;
    let to = json_with_status(app.get(&path_of("laboratories", &other)).await, 200).await;
    assert_eq!(from["equipment_counts"], json!({}));
    assert_eq!(to["equipment_counts"], json!({"hematology_analyzer": 1}));
    assert_eq!(to["version"], before["version"].as_i64().unwrap() + 1);
    // Changing the model moves the unit between categories.
    json_with_status(
        app.patch(
            &path_of("equipment-units", &unit),
            &json!({"equipment_model_id": site.chemistry["id"]}),
        )
        .await,
        200,
    )
    .await;
    let to = json_with_status(app.get(&path_of("laboratories", &other)).await, 200).await;
    assert_eq!(
        to["equipment_counts"],
        json!({"clinical_chemistry_analyzer": 1})
    );
    // So does a change of the model's category, with a new version of the laboratory.
    json_with_status(
        app.patch(
            &path_of("equipment-models", &site.chemistry),
            &json!({"category": "pcr_analyzer"}),
        )
        .await,
        200,
    )
    .await;
    let recounted = json_with_status(app.get(&path_of("laboratories", &other)).await, 200).await;
    assert_eq!(recounted["equipment_counts"], json!({"pcr_analyzer": 1}));
    assert_eq!(recounted["version"], to["version"].as_i64().unwrap() + 1);
}

async fn unit_filters_and_a_laboratorys_equipment(backend: Backend) {
    let app = spawn_app(backend).await;
    let site = site(&app).await;
    let country =
        json_with_status(app.get("/v1/regions?code=RU").await, 200).await["items"][0].clone();
    let elsewhere = app
        .create_region(&country, "RU-SVE", "Свердловская область", "region")
        .await;
    let far_lab = app
        .create_laboratory(&elsewhere, "SVE-001", json!({}))
        .await;
    let sysmex = app.create_vendor("Sysmex", "JP").await;
    let xn = create_model(&app, &sysmex, "XN-1000", "hematology_analyzer").await;
    install(&app, &site.hematology, &site.lab, "A-1").await;
    install(&app, &site.chemistry, &site.lab, "A-2").await;
    let far = install(&app, &xn, &far_lab, "A-3").await;
    json_with_status(
        app.patch(
            &path_of("equipment-units", &far),
            &json!({"status": "maintenance"}),
        )
        .await,
        200,
    )
    .await;
    let list = |query: String| format!("/v1/equipment-units?sort=serial_number&{query}");
    let id = |row: &Value| row["id"].as_str().unwrap().to_owned();
    for (query, expected) in [
        (
            format!("laboratory_id={}", id(&site.lab)),
            vec!["A-1", "A-2"],
        ),
        (format!("region_id={}", id(&elsewhere)), vec!["A-3"]),
        (
            "category=hematology_analyzer".to_owned(),
            vec!["A-1", "A-3"],
        ),
        (format!("vendor_id={}", id(&sysmex)), vec!["A-3"]),
        ("status=maintenance".to_owned(), vec!["A-3"]),
        (
            "status=in_service&category=hematology_analyzer".to_owned(),
            vec!["A-1"],
        ),
        ("serial_number=a-2".to_owned(), vec!["A-2"]),
        (format!("equipment_model_id={}", id(&xn)), vec!["A-3"]),
    ] {
        let page = json_with_status(app.get(&list(query.clone())).await, 200).await;
        assert_eq!(serials(&page), expected, "{query}");
    }
    let refused = problem(
        app.get(&list(format!("serial_number={}", "x".repeat(101))))
            .await,
        400,
    )
    .await;
    assert_eq!(error_fields(&refused), ["serial_number"]);
    let refused = problem(app.get(&list("status=broken".to_owned())).await, 400).await;
    assert_eq!(error_fields(&refused), ["status"]);
    // A laboratory's equipment, with the same filters.
    let equipment = format!(
        "{}/equipment?sort=serial_number",
        path_of("laboratories", &site.lab)
    );
    let page = json_with_status(app.get(&equipment).await, 200).await;
    assert_eq!(serials(&page), ["A-1", "A-2"]);
    let page = json_with_status(
        app.get(&format!("{equipment}&category=clinical_chemistry_analyzer"))
            .await,
        200,
    )
    .await;
    assert_eq!(serials(&page), ["A-2"]);
    let page = json_with_status(
        app.get(&format!("{equipment}&laboratory_id={}", id(&far_lab)))
            .await,
        200,
    )
    .await;
    assert_eq!(serials(&page), Vec::<&str>::new());
    problem(
        app.get("/v1/laboratories/0193a0f4-0000-7000-8000-000000000000/equipment")
            .await,
        404,
    )
    .await;
}

async fn a_laboratory_with_equipment_in_service_is_not_closed(backend: Backend) {
    let app = spawn_app(backend).await;
    let site = site(&app).await;
    let unit = install(&app, &site.hematology, &site.lab, "MR-1").await;
    install(&app, &site.chemistry, &site.lab, "MR-2").await;
    let lab_path = path_of("laboratories", &site.lab);
    let refused = problem(
        app.patch(&lab_path, &json!({"status": "closed"})).await,
        409,
    )
    .await;
    assert_eq!(refused["type"], "/problems/conflict");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap_or_default()
            .starts_with("2 equipment units"),
        "{refused}"
    );
    let lab = json_with_status(app.get(&lab_path).await, 200).await;
    assert_eq!(lab["status"], "planned");
    // Maintenance still counts; once both are decommissioned the laboratory closes.
    let unit_path = path_of("equipment-units", &unit);
    json_with_status(
        app.patch(&unit_path, &json!({"status": "maintenance"}))
            .await,
        200,
    )
    .await;
    let other =
        json_with_status(app.get("/v1/equipment-units?serial_number=MR-2").await, 200).await;
    let other_path = path_of("equipment-units", &other["items"][0]);
    problem(
        app.patch(&lab_path, &json!({"status": "closed"})).await,
        409,
    )
    .await;
    for path in [&unit_path, &other_path] {
        json_with_status(
            app.patch(path, &json!({"status": "decommissioned"})).await,
            200,
        )
        .await;
    }
    let closed = json_with_status(
        app.patch(&lab_path, &json!({"status": "closed"})).await,
        200,
    )
    .await;
    assert_eq!(closed["status"], "closed");
}

/// A unit's write that changes its laboratory's counts records that change in the
/// laboratory's trail and in the change feed, as the same caller and request.
async fn new_counts_are_a_recorded_change_of_the_laboratory(backend: Backend) {
    let app = spawn_app(backend).await;
    let site = site(&app).await;
    let unit = install(&app, &site.hematology, &site.lab, "MR-1").await;
    let lab_path = path_of("laboratories", &site.lab);
    let lab = json_with_status(app.get(&lab_path).await, 200).await;
    let trail = json_with_status(app.get(&format!("{lab_path}/audit")).await, 200).await;
    let events = trail["items"].as_array().expect("items");
    assert_eq!(events.len(), 2, "{trail}");
    let counted = &events[1];
    assert_eq!(counted["action"], "update");
    assert_eq!(counted["version"], lab["version"]);
    let fields: Vec<&str> = counted["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| c["field"].as_str().expect("field"))
        .collect();
    assert!(fields.contains(&"equipment_counts"), "{fields:?}");
    let unit_trail = json_with_status(
        app.get(&format!("{}/audit", path_of("equipment-units", &unit)))
            .await,
        200,
    )
    .await;
    assert_eq!(counted["request_id"], unit_trail["items"][0]["request_id"]);
    assert_eq!(counted["actor"], unit_trail["items"][0]["actor"]);
    // The feed's last laboratory entry is the laboratory with its counts.
    let feed = json_with_status(app.get("/v1/changes?limit=1000").await, 200).await;
    let last_lab = feed["items"]
        .as_array()
        .expect("items")
        .iter()
        .rev()
        .find(|item| item["resource_type"] == "laboratory")
        .expect("a laboratory change");
    assert_eq!(
        last_lab["resource"]["equipment_counts"],
        json!({"hematology_analyzer": 1})
    );
    assert_eq!(last_lab["resource"]["version"], lab["version"]);
    // A write that leaves the counts as they were records nothing for the laboratory.
    json_with_status(
        app.patch(
            &path_of("equipment-units", &unit),
            &json!({"serial_number": "MR-1A"}),
        )
        .await,
        200,
    )
    .await;
    let trail = json_with_status(app.get(&format!("{lab_path}/audit")).await, 200).await;
    assert_eq!(trail["items"].as_array().map(Vec::len), Some(2));
}
