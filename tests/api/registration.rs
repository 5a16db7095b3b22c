//! Registration certificates, recognition agreements and supply eligibility: their rules,
//! filters and references, and every answer the eligibility question can get (each
//! reason, the date edges, both directions of an agreement, expired and revoked
//! certificates), for one model and for a page of them.

use serde_json::{json, Value};

use crate::backend_tests;
use crate::common::{error_fields, json_with_status, problem, spawn_app, Backend, TestApp};
use crate::equipment::create_model;

backend_tests!(
    a_certificate_is_recorded_with_its_derived_expiry,
    certificate_numbers_are_unique_per_country_and_authority,
    a_certificate_is_for_a_model_or_a_named_product,
    certificate_status_moves_are_guarded,
    certificate_filters,
    agreements_are_between_two_countries_in_order_of_dates,
    a_certificate_of_the_country_allows_directly,
    a_mutual_agreement_carries_certificates_both_ways,
    a_one_way_agreement_carries_one_way_only,
    the_dates_of_agreements_and_certificates_are_inclusive,
    every_reason_a_model_may_not_be_supplied_is_named,
    the_question_is_checked,
    the_batch_answers_in_the_database_with_the_same_verdicts,
);

fn path_of(collection: &str, row: &Value) -> String {
    format!("/v1/{collection}/{}", row["id"].as_str().unwrap())
}

async fn certificate(
    app: &TestApp,
    model: &Value,
    country: &str,
    number: &str,
    extra: Value,
) -> Value {
    let mut body = json!({"equipment_model_id": model["id"], "country_code": country,
        "issuing_authority": format!("Authority of {country}"), "number": number, "issued_on": "2021-06-10"});
    if let (Some(target), Some(more)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in more {
            target.insert(k.clone(), v.clone());
        }
    }
    app.create("/v1/registration-certificates", body).await
}

async fn agreement(
    app: &TestApp,
    recognizing: &str,
    recognized: &str,
    mutual: bool,
    extra: Value,
) -> Value {
    let mut body = json!({"recognizing_country_code": recognizing, "recognized_country_code": recognized,
        "mutual": mutual, "scope": "both", "in_force_from": "2026-07-01",
        "title": format!("{recognizing}–{recognized} recognition"), "source": "https://example.org/agreement"});
    if let (Some(target), Some(more)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in more {
            target.insert(k.clone(), v.clone());
        }
    }
    app.create("/v1/recognition-agreements", body).await
}

async fn a_model(app: &TestApp, code: &str) -> Value {
    let page = json_with_status(app.get("/v1/vendors?q=mindray").await, 200).await;
    let vendor = match page["items"].as_array().and_then(|items| items.first()) {
        Some(vendor) => vendor.clone(),
        None => app.create_vendor("Mindray", "CN").await,
    };
    create_model(app, &vendor, code, "hematology_analyzer").await
}

async fn ask(app: &TestApp, model: &Value, country: &str, on: &str) -> Value {
    json_with_status(
        app.get(&format!(
            "{}/eligibility?country_code={country}&on={on}",
            path_of("equipment-models", model)
        ))
        .await,
        200,
    )
    .await
}

fn reason_codes(answer: &Value) -> Vec<&str> {
    answer["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .map(|reason| reason["code"].as_str().expect("code"))
        .collect()
}

async fn a_certificate_is_recorded_with_its_derived_expiry(backend: Backend) {
    let app = spawn_app(backend).await;
    let model = a_model(&app, "BC-6200").await;
    let response = app
        .post(
            "/v1/registration-certificates",
            &json!({"equipment_model_id": model["id"], "country_code": "RU",
                "issuing_authority": " Росздравнадзор ", "number": " РЗН 2021/14567 ", "issued_on": "2021-06-10"}),
        )
        .await;
    let created = json_with_status(response, 201).await;
    assert_eq!(created["issuing_authority"], "Росздравнадзор");
    assert_eq!(created["number"], "РЗН 2021/14567");
    assert_eq!(created["product_kind"], "medical_device");
    assert_eq!(created["product_name"], Value::Null);
    assert_eq!(created["valid_until"], Value::Null);
    assert_eq!(created["status"], "active");
    assert_eq!(created["expired"], false);
    assert_eq!(
        json_with_status(
            app.get(&path_of("registration-certificates", &created))
                .await,
            200
        )
        .await,
        created
    );
    // Past its end date it reads as expired; the stored row holds no such flag.
    let old = certificate(
        &app,
        &model,
        "KZ",
        "KZ-1",
        json!({"issued_on": "2019-01-01", "valid_until": "2024-12-31"}),
    )
    .await;
    assert_eq!(old["expired"], true);
    assert_eq!(old["status"], "active");
    let extended = json_with_status(
        app.patch(
            &path_of("registration-certificates", &old),
            &json!({"valid_until": null}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(extended["expired"], false);
    assert_eq!(app.count_rows("registration_certificates").await, 2);
}

async fn certificate_numbers_are_unique_per_country_and_authority(backend: Backend) {
    let app = spawn_app(backend).await;
    let model = a_model(&app, "BC-6200").await;
    let first = certificate(&app, &model, "RU", "РЗН 2021/1", json!({})).await;
    let refused = problem(
        app.post(
            "/v1/registration-certificates",
            &json!({"product_name": "Reagent", "country_code": "RU", "issuing_authority": "AUTHORITY OF RU",
                "number": "рзн 2021/1", "issued_on": "2022-01-01"}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(refused["type"], "/problems/duplicate");
    assert_eq!(error_fields(&refused), ["number"]);
    assert!(refused["detail"]
        .as_str()
        .unwrap()
        .contains(first["id"].as_str().unwrap()));
    // The same number from another country or another authority is another certificate.
    certificate(&app, &model, "KZ", "РЗН 2021/1", json!({})).await;
    certificate(
        &app,
        &model,
        "RU",
        "РЗН 2021/1",
        json!({"issuing_authority": "Другое ведомство"}),
    )
    .await;
    assert_eq!(app.count_rows("registration_certificates").await, 3);
}

async fn a_certificate_is_for_a_model_or_a_named_product(backend: Backend) {
    let app = spawn_app(backend).await;
    let model = a_model(&app, "BC-6200").await;
    let base = json!({"country_code": "RU", "issuing_authority": "A", "number": "N-1", "issued_on": "2021-06-10"});
    let with = |extra: Value| {
        let mut body = base.clone();
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    for (body, fields) in [
        (with(json!({})), vec!["equipment_model_id"]),
        (
            with(json!({"equipment_model_id": model["id"], "product_name": "Reagent"})),
            vec!["product_name"],
        ),
        (
            with(json!({"equipment_model_id": model["id"], "product_kind": "drug"})),
            vec!["product_kind"],
        ),
        (
            with(
                json!({"equipment_model_id": model["id"], "valid_until": "2021-06-09", "country_code": "XX"}),
            ),
            vec!["country_code", "valid_until"],
        ),
        (
            with(json!({"equipment_model_id": "0193a0f4-0000-7000-8000-000000000000"})),
            vec!["equipment_model_id"],
        ),
    ] {
        let refused = problem(app.post("/v1/registration-certificates", &body).await, 422).await;
        assert_eq!(error_fields(&refused), fields, "{body}");
    }
    assert_eq!(app.count_rows("registration_certificates").await, 0);
    let drug = app
        .create(
            "/v1/registration-certificates",
            with(json!({"product_name": "Глюкоза-тест", "product_kind": "drug"})),
        )
        .await;
    assert_eq!(drug["equipment_model_id"], Value::Null);
    assert_eq!(drug["product_kind"], "drug");
    // What a certificate is for is fixed.
    let refused = problem(
        app.patch(
            &path_of("registration-certificates", &drug),
            &json!({"product_name": "Other"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(error_fields(&refused), ["product_name"]);
    // A model with a certificate stays.
    let held = certificate(&app, &model, "RU", "N-2", json!({})).await;
    let refused = problem(app.delete(&path_of("equipment-models", &model)).await, 409).await;
    assert_eq!(
        refused["referenced_by"],
        json!(["registration certificates (1)"])
    );
    assert_eq!(
        app.delete(&path_of("registration-certificates", &held))
            .await
            .status(),
        204
    );
    assert_eq!(
        app.delete(&path_of("equipment-models", &model))
            .await
            .status(),
        204
    );
}

async fn certificate_status_moves_are_guarded(backend: Backend) {
    let app = spawn_app(backend).await;
    let model = a_model(&app, "BC-6200").await;
    let created = certificate(&app, &model, "RU", "N-1", json!({})).await;
    let path = path_of("registration-certificates", &created);
    for (status, version) in [
        ("suspended", 2),
        ("active", 3),
        ("active", 3),
        ("revoked", 4),
    ] {
        let moved = json_with_status(app.patch(&path, &json!({"status": status})).await, 200).await;
        assert_eq!(moved["status"], status);
        assert_eq!(moved["version"], version);
    }
    let refused = problem(app.patch(&path, &json!({"status": "active"})).await, 409).await;
    assert_eq!(refused["type"], "/problems/illegal-transition");
    assert_eq!(refused["current_state"], "revoked");
    assert_eq!(refused["allowed_transitions"], json!([]));
    // A revoked certificate may be recorded as such.
    let revoked = certificate(&app, &model, "KZ", "N-2", json!({"status": "revoked"})).await;
    assert_eq!(revoked["status"], "revoked");
}

async fn certificate_filters(backend: Backend) {
    let app = spawn_app(backend).await;
    let model = a_model(&app, "BC-6200").await;
    let other = a_model(&app, "BC-5000").await;
    certificate(&app, &model, "RU", "A-1", json!({})).await;
    certificate(
        &app,
        &model,
        "KZ",
        "A-2",
        json!({"valid_until": "2022-01-01"}),
    )
    .await;
    certificate(
        &app,
        &other,
        "RU",
        "A-3",
        json!({"status": "suspended", "issued_on": "2023-01-01"}),
    )
    .await;
    let numbers = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["number"].as_str().unwrap().to_owned())
            .collect()
    };
    for (query, expected) in [
        (
            format!("equipment_model_id={}", model["id"].as_str().unwrap()),
            vec!["A-1", "A-2"],
        ),
        ("country_code=RU".to_owned(), vec!["A-1", "A-3"]),
        ("status=suspended".to_owned(), vec!["A-3"]),
        ("expired=true".to_owned(), vec!["A-2"]),
        ("expired=false".to_owned(), vec!["A-1", "A-3"]),
        ("number=a-2".to_owned(), vec!["A-2"]),
        ("product_kind=drug".to_owned(), vec![]),
    ] {
        let page = json_with_status(
            app.get(&format!(
                "/v1/registration-certificates?sort=number&{query}"
            ))
            .await,
            200,
        )
        .await;
        assert_eq!(numbers(&page), expected, "{query}");
    }
    let page = json_with_status(
        app.get("/v1/registration-certificates?sort=-issued_on")
            .await,
        200,
    )
    .await;
    assert_eq!(numbers(&page)[0], "A-3");
    let refused = problem(
        app.get(&format!(
            "/v1/registration-certificates?number={}",
            "x".repeat(101)
        ))
        .await,
        400,
    )
    .await;
    assert_eq!(error_fields(&refused), ["number"]);
}

async fn agreements_are_between_two_countries_in_order_of_dates(backend: Backend) {
    let app = spawn_app(backend).await;
    let refused = problem(
        app.post(
            "/v1/recognition-agreements",
            &json!({"recognizing_country_code": "RU", "recognized_country_code": "RU", "mutual": true,
                "scope": "both", "in_force_from": "2026-07-01", "in_force_until": "2026-06-30",
                "title": " ", "source": "ref"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(
        error_fields(&refused),
        ["recognized_country_code", "in_force_until", "title"]
    );
    assert_eq!(app.count_rows("recognition_agreements").await, 0);
    let ru_sy = agreement(&app, "SY", "RU", true, json!({})).await;
    assert_eq!(ru_sy["mutual"], true);
    assert_eq!(ru_sy["in_force_until"], Value::Null);
    agreement(
        &app,
        "KZ",
        "RU",
        false,
        json!({"scope": "drugs", "in_force_from": "2020-01-01", "in_force_until": "2021-12-31"}),
    )
    .await;
    let titles = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["title"].as_str().unwrap().to_owned())
            .collect()
    };
    for (query, expected) in [
        (
            "country_code=RU",
            vec!["KZ–RU recognition", "SY–RU recognition"],
        ),
        ("country_code=SY", vec!["SY–RU recognition"]),
        ("recognizing_country_code=KZ", vec!["KZ–RU recognition"]),
        ("recognized_country_code=SY", vec![]),
        ("scope=drugs", vec!["KZ–RU recognition"]),
        ("in_force_on=2021-12-31", vec!["KZ–RU recognition"]),
        ("in_force_on=2027-01-01", vec!["SY–RU recognition"]),
    ] {
        let page = json_with_status(
            app.get(&format!(
                "/v1/recognition-agreements?sort=in_force_from&{query}"
            ))
            .await,
            200,
        )
        .await;
        assert_eq!(titles(&page), expected, "{query}");
    }
    let ended = json_with_status(
        app.patch(
            &path_of("recognition-agreements", &ru_sy),
            &json!({"in_force_until": "2030-12-31"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(ended["in_force_until"], "2030-12-31");
    assert_eq!(ended["version"], 2);
}

async fn a_certificate_of_the_country_allows_directly(backend: Backend) {
    let app = spawn_app(backend).await;
    let model = a_model(&app, "BC-6200").await;
    let sy = certificate(&app, &model, "SY", "SY-1", json!({})).await;
    let answer = ask(&app, &model, "SY", "2027-01-01").await;
    assert_eq!(answer["eligible"], true);
    assert_eq!(answer["basis"], "registered");
    assert_eq!(answer["certificate"], sy);
    assert_eq!(answer["agreement"], Value::Null);
    assert_eq!(answer["reasons"], json!([]));
    assert_eq!(answer["equipment_model"], model);
    assert_eq!(answer["country_code"], "SY");
    assert_eq!(answer["on"], "2027-01-01");
}

async fn a_mutual_agreement_carries_certificates_both_ways(backend: Backend) {
    let app = spawn_app(backend).await;
    let russian = a_model(&app, "BC-6200").await;
    let syrian = a_model(&app, "BC-5000").await;
    let ru = certificate(&app, &russian, "RU", "RU-1", json!({})).await;
    certificate(&app, &syrian, "SY", "SY-1", json!({})).await;
    let deal = agreement(&app, "SY", "RU", true, json!({})).await;
    let answer = ask(&app, &russian, "SY", "2027-01-01").await;
    assert_eq!(answer["eligible"], true);
    assert_eq!(answer["basis"], "recognized");
    assert_eq!(answer["certificate"], ru);
    assert_eq!(answer["agreement"], deal);
    let answer = ask(&app, &syrian, "RU", "2027-01-01").await;
    assert_eq!(answer["eligible"], true, "{answer}");
    assert_eq!(answer["basis"], "recognized");
}

async fn a_one_way_agreement_carries_one_way_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let russian = a_model(&app, "BC-6200").await;
    let syrian = a_model(&app, "BC-5000").await;
    certificate(&app, &russian, "RU", "RU-1", json!({})).await;
    let sy = certificate(&app, &syrian, "SY", "SY-1", json!({})).await;
    // Syria recognizes Russia's documents; Russia does not recognize Syria's.
    let deal = agreement(&app, "SY", "RU", false, json!({})).await;
    assert_eq!(
        ask(&app, &russian, "SY", "2027-01-01").await["eligible"],
        true
    );
    let answer = ask(&app, &syrian, "RU", "2027-01-01").await;
    assert_eq!(answer["eligible"], false);
    assert_eq!(answer["basis"], Value::Null);
    assert_eq!(answer["certificate"], Value::Null);
    assert_eq!(
        reason_codes(&answer),
        ["no_certificate", "one_way_agreement"]
    );
    assert_eq!(answer["reasons"][1]["agreement_id"], deal["id"]);
    assert_eq!(answer["reasons"][1]["certificate_id"], sy["id"]);
    // Without any agreement the reason says so.
    let kz_model = a_model(&app, "BC-30").await;
    certificate(&app, &kz_model, "KZ", "KZ-1", json!({})).await;
    let answer = ask(&app, &kz_model, "SY", "2027-01-01").await;
    assert_eq!(reason_codes(&answer), ["no_certificate", "no_agreement"]);
}

async fn the_dates_of_agreements_and_certificates_are_inclusive(backend: Backend) {
    let app = spawn_app(backend).await;
    let model = a_model(&app, "BC-6200").await;
    certificate(
        &app,
        &model,
        "RU",
        "RU-1",
        json!({"issued_on": "2021-06-10", "valid_until": "2031-06-09"}),
    )
    .await;
    agreement(
        &app,
        "SY",
        "RU",
        true,
        json!({"in_force_from": "2026-07-01", "in_force_until": "2030-12-31"}),
    )
    .await;
    for (on, eligible, reasons) in [
        (
            "2026-06-30",
            false,
            vec!["no_certificate", "agreement_not_in_force"],
        ),
        ("2026-07-01", true, vec![]),
        ("2030-12-31", true, vec![]),
        (
            "2031-01-01",
            false,
            vec!["no_certificate", "agreement_not_in_force"],
        ),
    ] {
        let answer = ask(&app, &model, "SY", on).await;
        assert_eq!(answer["eligible"], eligible, "{on}: {answer}");
        assert_eq!(reason_codes(&answer), reasons, "{on}");
    }
    // In Russia itself the certificate's own dates bound it, both ends included.
    for (on, eligible, reasons) in [
        ("2021-06-09", false, vec!["certificate_not_yet_valid"]),
        ("2021-06-10", true, vec![]),
        ("2031-06-09", true, vec![]),
        ("2031-06-10", false, vec!["certificate_expired"]),
    ] {
        let answer = ask(&app, &model, "RU", on).await;
        assert_eq!(answer["eligible"], eligible, "{on}: {answer}");
        assert_eq!(reason_codes(&answer), reasons, "{on}");
    }
}

async fn every_reason_a_model_may_not_be_supplied_is_named(backend: Backend) {
    let app = spawn_app(backend).await;
    let model = a_model(&app, "BC-6200").await;
    // No certificate at all.
    let answer = ask(&app, &model, "SY", "2027-01-01").await;
    assert_eq!(reason_codes(&answer), ["no_certificate"]);
    let expired = certificate(
        &app,
        &model,
        "RU",
        "RU-OLD",
        json!({"issued_on": "2015-01-01", "valid_until": "2020-12-31"}),
    )
    .await;
    let revoked = certificate(
        &app,
        &model,
        "RU",
        "RU-REV",
        json!({"issued_on": "2016-01-01", "status": "revoked"}),
    )
    .await;
    let suspended = certificate(
        &app,
        &model,
        "SY",
        "SY-SUS",
        json!({"issued_on": "2017-01-01", "status": "suspended"}),
    )
    .await;
    certificate(
        &app,
        &model,
        "KZ",
        "KZ-1",
        json!({"issued_on": "2018-01-01"}),
    )
    .await;
    let drugs_only = agreement(&app, "SY", "KZ", false, json!({"scope": "drugs"})).await;
    agreement(&app, "SY", "RU", true, json!({})).await;
    let answer = ask(&app, &model, "SY", "2027-01-01").await;
    assert_eq!(answer["eligible"], false);
    // Most recently issued first.
    assert_eq!(
        reason_codes(&answer),
        [
            "scope_excludes_devices",
            "certificate_suspended",
            "certificate_revoked",
            "certificate_expired"
        ]
    );
    let ids: Vec<&Value> = answer["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["certificate_id"])
        .collect();
    assert_eq!(ids[1], &suspended["id"]);
    assert_eq!(ids[2], &revoked["id"]);
    assert_eq!(ids[3], &expired["id"]);
    assert_eq!(answer["reasons"][0]["agreement_id"], drugs_only["id"]);
    assert!(answer["reasons"][3]["detail"]
        .as_str()
        .unwrap()
        .contains("2020-12-31"));
}

async fn the_question_is_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    let model = a_model(&app, "BC-6200").await;
    let base = format!("{}/eligibility", path_of("equipment-models", &model));
    for (query, field) in [
        ("", "country_code"),
        ("?country_code=Syria", "country_code"),
        ("?country_code=SY&on=2027-13-01", "on"),
        ("?country_code=SY&page_size=5", "page_size"),
        ("?country_code=SY&colour=red", "colour"),
    ] {
        let refused = problem(app.get(&format!("{base}{query}")).await, 400).await;
        assert_eq!(error_fields(&refused), [field], "{query}");
    }
    // Without `on`, today.
    let today = chrono::Utc::now().date_naive().to_string();
    let answer = json_with_status(app.get(&format!("{base}?country_code=SY")).await, 200).await;
    assert_eq!(answer["on"], today);
    problem(
        app.get(
            "/v1/equipment-models/0193a0f4-0000-7000-8000-000000000000/eligibility?country_code=SY",
        )
        .await,
        404,
    )
    .await;
    let refused = problem(app.get("/v1/eligibility?on=2027-01-01").await, 400).await;
    assert_eq!(error_fields(&refused), ["country_code"]);
}

async fn the_batch_answers_in_the_database_with_the_same_verdicts(backend: Backend) {
    let app = spawn_app(backend).await;
    let sysmex = app.create_vendor("Sysmex", "JP").await;
    let direct = a_model(&app, "M-DIRECT").await;
    let carried = a_model(&app, "M-CARRIED").await;
    let lapsed = a_model(&app, "M-LAPSED").await;
    let bare = a_model(&app, "M-BARE").await;
    let chemistry = create_model(&app, &sysmex, "M-CHEM", "clinical_chemistry_analyzer").await;
    certificate(&app, &direct, "SY", "SY-1", json!({})).await;
    certificate(&app, &carried, "RU", "RU-1", json!({})).await;
    certificate(
        &app,
        &lapsed,
        "RU",
        "RU-2",
        json!({"valid_until": "2026-12-31"}),
    )
    .await;
    certificate(&app, &chemistry, "RU", "RU-3", json!({})).await;
    // A certificate of a named product has no model: it must not hide the others.
    app.create(
        "/v1/registration-certificates",
        json!({"product_name": "Reagent", "product_kind": "drug", "country_code": "SY",
            "issuing_authority": "A", "number": "D-1", "issued_on": "2020-01-01"}),
    )
    .await;
    agreement(&app, "SY", "RU", true, json!({})).await;
    let codes = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| {
                item["equipment_model"]["model_code"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    let mut by_id = [&direct, &carried, &lapsed, &bare, &chemistry];
    by_id.sort_by_key(|model| model["id"].as_str().unwrap().to_owned());
    let all = json_with_status(
        app.get("/v1/eligibility?country_code=SY&on=2027-01-01")
            .await,
        200,
    )
    .await;
    let expected: Vec<String> = by_id
        .iter()
        .map(|m| m["model_code"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes(&all), expected);
    // Each item says what the single answer says.
    for item in all["items"].as_array().unwrap() {
        let single = ask(&app, &item["equipment_model"], "SY", "2027-01-01").await;
        assert_eq!(item, &single);
    }
    let eligible = json_with_status(
        app.get("/v1/eligibility?country_code=SY&on=2027-01-01&eligible=true")
            .await,
        200,
    )
    .await;
    let mut yes = codes(&eligible);
    yes.sort();
    assert_eq!(yes, ["M-CARRIED", "M-CHEM", "M-DIRECT"]);
    assert!(eligible["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|item| item["eligible"] == true));
    let ineligible = json_with_status(
        app.get("/v1/eligibility?country_code=SY&on=2027-01-01&eligible=false")
            .await,
        200,
    )
    .await;
    let mut no = codes(&ineligible);
    no.sort();
    assert_eq!(no, ["M-BARE", "M-LAPSED"]);
    let filtered = json_with_status(
        app.get(&format!(
            "/v1/eligibility?country_code=SY&on=2027-01-01&eligible=true&vendor_id={}",
            sysmex["id"].as_str().unwrap()
        ))
        .await,
        200,
    )
    .await;
    assert_eq!(codes(&filtered), ["M-CHEM"]);
    let filtered = json_with_status(
        app.get(
            "/v1/eligibility?country_code=SY&on=2027-01-01&category=clinical_chemistry_analyzer",
        )
        .await,
        200,
    )
    .await;
    assert_eq!(codes(&filtered), ["M-CHEM"]);
    // Page by page, every model once, in the same order.
    let mut walked = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..10 {
        let url = match &token {
            Some(token) => format!(
                "/v1/eligibility?country_code=SY&on=2027-01-01&page_size=2&page_token={token}"
            ),
            None => "/v1/eligibility?country_code=SY&on=2027-01-01&page_size=2".to_owned(),
        };
        let page = json_with_status(app.get(&url).await, 200).await;
        walked.extend(codes(&page));
        match page["next_page_token"].as_str() {
            Some(next) => token = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(walked, expected);
}
