//! The regions API: CRUD, the tree (levels, countries, cycles, moves), ancestors and
//! descendants, list filters and sorts, and keyset pagination under concurrent writes.

use std::collections::{HashMap, HashSet};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::common::{
    json_with_status, list_all, names_field, problem, spawn_app, Backend, TestApp,
};

backend_tests!(
    changes_that_would_strand_subregions_are_refused,
    regions_are_found_by_exact_code,
    create_and_get_region,
    create_normalizes_and_fills_defaults,
    patch_is_a_merge_patch,
    every_invalid_field_is_named,
    patch_validation_names_the_field,
    duplicate_code_is_a_conflict,
    unknown_ids_are_not_found,
    conditional_requests,
    delete_and_refused_delete,
    moving_under_own_descendant_is_a_cycle,
    moving_a_subtree,
    ancestors_and_descendants,
    list_filters,
    list_sorts_in_byte_order,
    bad_list_parameters,
    tampered_page_tokens,
    random_pages_cover_every_row_once,
    pages_stay_correct_while_rows_come_and_go,
);

fn id_of(value: &Value) -> String {
    value["id"].as_str().expect("id").to_owned()
}

fn names_of(items: &[Value]) -> Vec<&str> {
    items
        .iter()
        .map(|r| r["name"].as_str().expect("name"))
        .collect()
}

fn ids_of(items: &[Value]) -> Vec<String> {
    items.iter().map(id_of).collect()
}

fn page_items(page: &Value) -> Vec<Value> {
    page["items"].as_array().expect("items").clone()
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .expect("header text")
        .to_owned()
}

const NULL_MARK: &str = "<null>";

/// The stored value of one column of one region, read from the database; `None` when the
/// row does not exist or the value is null.
async fn stored(app: &TestApp, id: &str, column: &str) -> Option<String> {
    let rows = app
        .db_texts(&format!(
            "SELECT COALESCE(CAST({column} AS TEXT), '{NULL_MARK}') AS value FROM regions \
             WHERE CAST(id AS TEXT) = '{id}'"
        ))
        .await;
    assert!(rows.len() <= 1, "one row per id");
    rows.into_iter().next().filter(|value| value != NULL_MARK)
}

async fn create_and_get_region(backend: Backend) {
    let app = spawn_app(backend).await;
    let ru = app.create_country("RU", "Россия").await;
    let response = app
        .post("/v1/regions", &json!({"code": "RU-KGN", "name": "Курганская область", "country_code": "RU", "level": "region", "parent_id": ru["id"]}))
        .await;
    assert_eq!(response.status(), 201);
    let location = header(&response, "location");
    let etag = header(&response, "etag");
    assert_eq!(etag, "\"v1\"");
    let created = json_with_status(response, 201).await;
    assert_eq!(location, format!("/v1/regions/{}", id_of(&created)));
    let fetched = app.get(&location).await;
    assert_eq!(header(&fetched, "etag"), etag);
    assert_eq!(json_with_status(fetched, 200).await, created);
    let cached = app
        .request(Method::GET, &location, None, &[("if-none-match", &etag)])
        .await;
    assert_eq!(cached.status(), 304);
    assert_eq!(header(&cached, "etag"), etag);
    assert_eq!(app.count_rows("regions").await, 2);
    assert_eq!(
        stored(&app, &id_of(&created), "name").await.as_deref(),
        Some("Курганская область")
    );
}

async fn create_normalizes_and_fills_defaults(backend: Backend) {
    let app = spawn_app(backend).await;
    let kz = app.create_country("KZ", "Қазақстан").await;
    assert_eq!(kz["level"], "country");
    assert_eq!(kz["depth"], 0);
    assert_eq!(kz["parent_id"], Value::Null);
    assert_eq!(kz["rollout_stage"], "not_planned");
    assert_eq!(kz["rollout_target_year"], Value::Null);
    assert_eq!(kz["version"], 1);
    assert_eq!(kz["created_at"], kz["updated_at"]);

    let ru = app.create_country("RU", "Россия").await;
    let ural = app
        .create("/v1/regions", json!({"code": "ru-ural", "name": "Уральский федеральный округ", "country_code": "RU", "level": "district", "parent_id": ru["id"]}))
        .await;
    assert_eq!(ural["code"], "RU-URAL");
    assert_eq!(ural["depth"], 1);
    let kurgan = app
        .create("/v1/regions", json!({"code": "ru-kgn", "name": "  Курганская область ", "country_code": "RU", "level": "region", "parent_id": ural["id"], "rollout_stage": "pilot", "rollout_target_year": 2026}))
        .await;
    assert_eq!(kurgan["code"], "RU-KGN");
    assert_eq!(kurgan["name"], "Курганская область");
    assert_eq!(kurgan["country_code"], "RU");
    assert_eq!(kurgan["parent_id"], ural["id"]);
    assert_eq!(kurgan["level"], "region");
    assert_eq!(kurgan["depth"], 2);
    assert_eq!(kurgan["rollout_stage"], "pilot");
    assert_eq!(kurgan["rollout_target_year"], 2026);
    let shadrinsk = app
        .create_region(&kurgan, "RU-KGN-SHD", "Шадринск", "municipality")
        .await;
    assert_eq!(shadrinsk["depth"], 3);

    let aktobe = app
        .create_region(&kz, "KZ-AKT", "Ақтөбе облысы", "region")
        .await;
    assert_eq!(aktobe["name"], "Ақтөбе облысы");
    assert_eq!(aktobe["depth"], 1);
    let fetched = json_with_status(
        app.get(&format!("/v1/regions/{}", id_of(&aktobe))).await,
        200,
    )
    .await;
    assert_eq!(fetched, aktobe);

    assert_eq!(app.count_rows("regions").await, 6);
    let id = id_of(&kurgan);
    assert_eq!(stored(&app, &id, "code").await.as_deref(), Some("RU-KGN"));
    assert_eq!(
        stored(&app, &id, "rollout_stage").await.as_deref(),
        Some("pilot")
    );
    assert_eq!(
        stored(&app, &id_of(&aktobe), "name").await.as_deref(),
        Some("Ақтөбе облысы")
    );
}

async fn patch_is_a_merge_patch(backend: Backend) {
    let app = spawn_app(backend).await;
    let ru = app.create_country("RU", "Россия").await;
    let kurgan = app
        .create("/v1/regions", json!({"code": "RU-KGN", "name": "Курганская область", "country_code": "RU", "level": "region", "parent_id": ru["id"], "rollout_stage": "planned", "rollout_target_year": 2027}))
        .await;
    let path = format!("/v1/regions/{}", id_of(&kurgan));

    // Only the members present change.
    let response = app.patch(&path, &json!({"rollout_stage": "pilot"})).await;
    assert_eq!(header(&response, "etag"), "\"v2\"");
    let patched = json_with_status(response, 200).await;
    assert_eq!(patched["rollout_stage"], "pilot");
    assert_eq!(patched["rollout_target_year"], 2027);
    assert_eq!(patched["name"], "Курганская область");
    assert_eq!(patched["code"], "RU-KGN");
    assert_eq!(patched["parent_id"], ru["id"]);
    assert_eq!(patched["version"], 2);
    assert_eq!(patched["created_at"], kurgan["created_at"]);
    assert!(
        patched["updated_at"].as_str() >= kurgan["updated_at"].as_str(),
        "updated_at moves forward"
    );

    // `null` clears an optional member.
    let cleared = json_with_status(
        app.patch(&path, &json!({"rollout_target_year": null}))
            .await,
        200,
    )
    .await;
    assert_eq!(cleared["rollout_target_year"], Value::Null);
    assert_eq!(cleared["rollout_stage"], "pilot");
    assert_eq!(cleared["version"], 3);
    assert_eq!(
        stored(&app, &id_of(&kurgan), "rollout_target_year").await,
        None
    );

    // A required member cannot be cleared.
    let refused = problem(app.patch(&path, &json!({"name": null})).await, 422).await;
    assert!(names_field(&refused, "name"), "{refused}");
    assert_eq!(refused["type"], "/problems/validation");
    assert_eq!(
        stored(&app, &id_of(&kurgan), "name").await.as_deref(),
        Some("Курганская область")
    );
    assert_eq!(
        stored(&app, &id_of(&kurgan), "version").await.as_deref(),
        Some("3")
    );

    // A code patch is upper-cased like on create.
    let renamed = json_with_status(
        app.patch(&path, &json!({"code": "ru-kgn2", "name": "Курган"}))
            .await,
        200,
    )
    .await;
    assert_eq!(renamed["code"], "RU-KGN2");
    assert_eq!(renamed["name"], "Курган");
    assert_eq!(
        stored(&app, &id_of(&kurgan), "code").await.as_deref(),
        Some("RU-KGN2")
    );

    // application/json is accepted as well.
    let plain = app
        .request(
            Method::PATCH,
            &path,
            Some(&json!({"rollout_target_year": 2030})),
            &[("content-type", "application/json")],
        )
        .await;
    assert_eq!(
        json_with_status(plain, 200).await["rollout_target_year"],
        2030
    );
}

async fn every_invalid_field_is_named(backend: Backend) {
    let app = spawn_app(backend).await;
    let ru = app.create_country("RU", "Россия").await;
    let kz = app.create_country("KZ", "Казахстан").await;
    let ural = app
        .create_region(&ru, "RU-URAL", "Уральский округ", "district")
        .await;
    let kurgan = app
        .create_region(&ural, "RU-KGN", "Курганская область", "region")
        .await;
    let shadrinsk = app
        .create_region(&kurgan, "RU-KGN-SHD", "Шадринск", "municipality")
        .await;
    let rows = app.count_rows("regions").await;

    let region = |extra: Value| {
        let mut body = json!({"code": "RU-NEW", "name": "Новая", "country_code": "RU", "level": "region", "parent_id": ru["id"]});
        for (k, v) in extra.as_object().expect("object") {
            body[k] = v.clone();
        }
        body
    };
    let without = |field: &str| {
        let mut body = region(json!({}));
        body.as_object_mut().expect("object").remove(field);
        body
    };
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "unknown country",
            json!({"code": "XX", "name": "X", "country_code": "XX", "level": "country"}),
            "country_code",
        ),
        (
            "lower-case country",
            json!({"code": "RU-A", "name": "A", "country_code": "ru", "level": "region", "parent_id": ru["id"]}),
            "country_code",
        ),
        (
            "three letters",
            region(json!({"country_code": "RUS"})),
            "country_code",
        ),
        (
            "code of another country",
            region(json!({"code": "KZ-AKT"})),
            "code",
        ),
        (
            "code not ISO 3166-2 style",
            region(json!({"code": "RU KGN"})),
            "code",
        ),
        ("blank code", region(json!({"code": "  "})), "code"),
        // Codes are taken exactly as the spec's patterns have them.
        (
            "code with spaces around it",
            region(json!({"code": " RU-KGN2 "})),
            "code",
        ),
        (
            "code with a letter that upper-cases to ASCII",
            region(json!({"code": "RU-STRAßE"})),
            "code",
        ),
        (
            "code with an invisible character",
            region(json!({"code": "RU-K\u{200b}GN2"})),
            "code",
        ),
        (
            "country code with a space",
            region(json!({"country_code": "RU "})),
            "country_code",
        ),
        (
            "country with a parent",
            json!({"code": "KZ", "name": "Казахстан 2", "country_code": "KZ", "level": "country", "parent_id": ru["id"]}),
            "parent_id",
        ),
        (
            "country code is not its alpha-2",
            json!({"code": "BY-MN", "name": "Беларусь", "country_code": "BY", "level": "country"}),
            "code",
        ),
        (
            "region under a municipality",
            region(json!({"parent_id": shadrinsk["id"]})),
            "parent_id",
        ),
        (
            "district under a region",
            region(json!({"level": "district", "parent_id": kurgan["id"]})),
            "parent_id",
        ),
        (
            "region under a region",
            region(json!({"parent_id": kurgan["id"]})),
            "parent_id",
        ),
        (
            "parent in another country",
            json!({"code": "KZ-AKT", "name": "Ақтөбе", "country_code": "KZ", "level": "region", "parent_id": ural["id"]}),
            "parent_id",
        ),
        (
            "unknown parent",
            region(json!({"parent_id": uuid::Uuid::now_v7().to_string()})),
            "parent_id",
        ),
        (
            "parent is not a UUID",
            region(json!({"parent_id": "abc"})),
            "parent_id",
        ),
        (
            "year too early",
            region(json!({"rollout_target_year": 1989})),
            "rollout_target_year",
        ),
        (
            "year too late",
            region(json!({"rollout_target_year": 2101})),
            "rollout_target_year",
        ),
        (
            "year is text",
            region(json!({"rollout_target_year": "2026"})),
            "rollout_target_year",
        ),
        ("unknown field", region(json!({"colour": "red"})), "colour"),
        (
            "unknown level",
            region(json!({"level": "province"})),
            "level",
        ),
        (
            "unknown stage",
            region(json!({"rollout_stage": "done"})),
            "rollout_stage",
        ),
        ("missing name", without("name"), "name"),
        ("missing level", without("level"), "level"),
        ("blank name", region(json!({"name": " \t "})), "name"),
        (
            "name too long",
            region(json!({"name": "я".repeat(201)})),
            "name",
        ),
        ("null name", region(json!({"name": null})), "name"),
        (
            "NUL in the name",
            region(json!({"name": "Кур\u{0}ган"})),
            "name",
        ),
        (
            "NUL in the code",
            region(json!({"code": "RU-\u{0}"})),
            "code",
        ),
    ];
    for (what, body, field) in cases {
        let refused = problem(app.post("/v1/regions", &body).await, 422).await;
        assert_eq!(refused["type"], "/problems/validation", "{what}: {refused}");
        assert!(
            names_field(&refused, field),
            "{what}: expected `{field}` in {refused}"
        );
        assert_eq!(refused["instance"], "/v1/regions", "{what}");
    }
    // A country with a parent and a bad code names both at once.
    let both = problem(
        app.post("/v1/regions", &json!({"code": "KZ-X", "name": "Казахстан", "country_code": "KZ", "level": "country", "parent_id": kz["id"]}))
            .await,
        422,
    )
    .await;
    assert!(
        names_field(&both, "code") && names_field(&both, "parent_id"),
        "{both}"
    );
    assert_eq!(app.count_rows("regions").await, rows);
}

async fn patch_validation_names_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let ru = app.create_country("RU", "Россия").await;
    let kz = app.create_country("KZ", "Казахстан").await;
    let ural = app
        .create_region(&ru, "RU-URAL", "Уральский округ", "district")
        .await;
    let kurgan = app
        .create_region(&ural, "RU-KGN", "Курганская область", "region")
        .await;
    app.create_region(&kurgan, "RU-KGN-SHD", "Шадринск", "municipality")
        .await;
    let tyumen = app
        .create_region(&ural, "RU-TYU", "Тюменская область", "region")
        .await;
    let tobolsk = app
        .create_region(&tyumen, "RU-TYU-TOB", "Тобольск", "municipality")
        .await;
    let path = format!("/v1/regions/{}", id_of(&kurgan));
    let cases: Vec<(&str, Value, &str)> = vec![
        ("null code", json!({"code": null}), "code"),
        (
            "null country",
            json!({"country_code": null}),
            "country_code",
        ),
        ("null level", json!({"level": null}), "level"),
        (
            "null stage",
            json!({"rollout_stage": null}),
            "rollout_stage",
        ),
        ("unknown field", json!({"colour": "red"}), "colour"),
        (
            "unknown stage",
            json!({"rollout_stage": "finished"}),
            "rollout_stage",
        ),
        (
            "year out of range",
            json!({"rollout_target_year": 3000}),
            "rollout_target_year",
        ),
        ("code of another country", json!({"code": "KZ-KGN"}), "code"),
        (
            "parent in another country",
            json!({"parent_id": kz["id"]}),
            "parent_id",
        ),
        (
            "unknown parent",
            json!({"parent_id": uuid::Uuid::now_v7().to_string()}),
            "parent_id",
        ),
        (
            "parent at the same level",
            json!({"parent_id": tobolsk["id"], "level": "municipality"}),
            "parent_id",
        ),
        (
            "parent at a deeper level",
            json!({"parent_id": tobolsk["id"]}),
            "parent_id",
        ),
        (
            "country with a parent",
            json!({"level": "country"}),
            "parent_id",
        ),
        ("blank name", json!({"name": ""}), "name"),
        ("NUL in the name", json!({"name": "\u{0}"}), "name"),
    ];
    for (what, body, field) in cases {
        let refused = problem(app.patch(&path, &body).await, 422).await;
        assert!(
            names_field(&refused, field),
            "{what}: expected `{field}` in {refused}"
        );
        assert_eq!(refused["instance"], path.as_str(), "{what}");
    }
    let unchanged = json_with_status(app.get(&path).await, 200).await;
    assert_eq!(unchanged, kurgan, "refused patches change nothing");
    assert_eq!(
        stored(&app, &id_of(&kurgan), "version").await.as_deref(),
        Some("1")
    );
}

async fn duplicate_code_is_a_conflict(backend: Backend) {
    let app = spawn_app(backend).await;
    let ru = app.create_country("RU", "Россия").await;
    let kurgan = app
        .create_region(&ru, "RU-KGN", "Курганская область", "region")
        .await;
    for code in ["RU-KGN", "ru-kgn", "Ru-Kgn"] {
        let conflict = problem(
            app.post("/v1/regions", &json!({"code": code, "name": "Другая", "country_code": "RU", "level": "region", "parent_id": ru["id"]}))
                .await,
            409,
        )
        .await;
        assert_eq!(conflict["type"], "/problems/duplicate", "{conflict}");
        assert!(names_field(&conflict, "code"), "{conflict}");
    }
    let country_again = problem(
        app.post(
            "/v1/regions",
            &json!({"code": "RU", "name": "Россия 2", "country_code": "RU", "level": "country"}),
        )
        .await,
        409,
    )
    .await;
    assert!(names_field(&country_again, "code"), "{country_again}");

    let tyumen = app
        .create_region(&ru, "RU-TYU", "Тюменская область", "region")
        .await;
    let conflict = problem(
        app.patch(
            &format!("/v1/regions/{}", id_of(&tyumen)),
            &json!({"code": "ru-kgn"}),
        )
        .await,
        409,
    )
    .await;
    assert!(names_field(&conflict, "code"), "{conflict}");
    // Keeping one's own code is no conflict.
    json_with_status(
        app.patch(
            &format!("/v1/regions/{}", id_of(&kurgan)),
            &json!({"code": "RU-KGN"}),
        )
        .await,
        200,
    )
    .await;

    let owners = app
        .db_texts("SELECT CAST(id AS TEXT) AS value FROM regions WHERE code = 'RU-KGN'")
        .await;
    assert_eq!(owners, vec![id_of(&kurgan)]);
    assert_eq!(
        stored(&app, &id_of(&tyumen), "code").await.as_deref(),
        Some("RU-TYU")
    );
    assert_eq!(app.count_rows("regions").await, 3);
}

async fn unknown_ids_are_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_country("RU", "Россия").await;
    let missing = uuid::Uuid::now_v7();
    for path in [
        format!("/v1/regions/{missing}"),
        format!("/v1/regions/{missing}/ancestors"),
        format!("/v1/regions/{missing}/descendants"),
    ] {
        let body = problem(app.get(&path).await, 404).await;
        assert_eq!(body["type"], "/problems/not-found");
        assert_eq!(body["instance"], path.as_str());
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains(&missing.to_string()),
            "{body}"
        );
    }
    let path = format!("/v1/regions/{missing}");
    problem(app.patch(&path, &json!({"name": "X"})).await, 404).await;
    problem(app.delete(&path).await, 404).await;

    for raw in ["not-a-uuid", "12345", "RU-KGN"] {
        for path in [
            format!("/v1/regions/{raw}"),
            format!("/v1/regions/{raw}/ancestors"),
            format!("/v1/regions/{raw}/descendants"),
        ] {
            let body = problem(app.get(&path).await, 404).await;
            let detail = body["detail"].as_str().unwrap();
            assert!(
                detail.contains("UUID"),
                "detail should say ids are UUIDs: {body}"
            );
        }
        let path = format!("/v1/regions/{raw}");
        let patched = problem(app.patch(&path, &json!({"name": "X"})).await, 404).await;
        assert!(
            patched["detail"].as_str().unwrap().contains("UUID"),
            "{patched}"
        );
        let deleted = problem(app.delete(&path).await, 404).await;
        assert!(
            deleted["detail"].as_str().unwrap().contains("UUID"),
            "{deleted}"
        );
    }
    assert_eq!(app.count_rows("regions").await, 1);
}

async fn conditional_requests(backend: Backend) {
    let app = spawn_app(backend).await;
    let ru = app.create_country("RU", "Россия").await;
    let kurgan = app
        .create_region(&ru, "RU-KGN", "Курганская область", "region")
        .await;
    let path = format!("/v1/regions/{}", id_of(&kurgan));
    let id = id_of(&kurgan);

    for matching in ["\"v1\"", "W/\"v1\"", "\"v7\", \"v1\"", "*"] {
        let response = app
            .request(Method::GET, &path, None, &[("if-none-match", matching)])
            .await;
        assert_eq!(response.status(), 304, "If-None-Match {matching}");
        assert_eq!(response.text().await.unwrap(), "");
    }
    let stale = app
        .request(Method::GET, &path, None, &[("if-none-match", "\"v2\"")])
        .await;
    assert_eq!(stale.status(), 200);
    assert_eq!(header(&stale, "etag"), "\"v1\"");

    // A stale If-Match is refused and nothing changes.
    let refused = problem(
        app.patch_if_match(&path, &json!({"name": "Курган"}), "\"v9\"")
            .await,
        412,
    )
    .await;
    assert_eq!(refused["type"], "/problems/precondition-failed");
    assert_eq!(
        stored(&app, &id, "name").await.as_deref(),
        Some("Курганская область")
    );
    assert_eq!(stored(&app, &id, "version").await.as_deref(), Some("1"));

    // The current one goes through and yields the next ETag.
    let response = app
        .patch_if_match(&path, &json!({"name": "Курган"}), "\"v1\"")
        .await;
    assert_eq!(header(&response, "etag"), "\"v2\"");
    let updated = json_with_status(response, 200).await;
    assert_eq!(updated["version"], 2);
    assert_eq!(stored(&app, &id, "name").await.as_deref(), Some("Курган"));
    assert_eq!(stored(&app, &id, "version").await.as_deref(), Some("2"));

    // The old ETag is stale now, for reads and for writes.
    let response = app
        .request(Method::GET, &path, None, &[("if-none-match", "\"v1\"")])
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "etag"), "\"v2\"");
    problem(
        app.patch_if_match(&path, &json!({"name": "Курганская"}), "\"v1\"")
            .await,
        412,
    )
    .await;
    let delete_stale = app
        .request(Method::DELETE, &path, None, &[("if-match", "\"v1\"")])
        .await;
    problem(delete_stale, 412).await;
    assert_eq!(stored(&app, &id, "name").await.as_deref(), Some("Курган"));

    let delete_current = app
        .request(Method::DELETE, &path, None, &[("if-match", "\"v2\"")])
        .await;
    assert_eq!(delete_current.status(), 204);
    assert_eq!(stored(&app, &id, "name").await, None);
}

async fn delete_and_refused_delete(backend: Backend) {
    let app = spawn_app(backend).await;
    let ru = app.create_country("RU", "Россия").await;
    let kurgan = app
        .create_region(&ru, "RU-KGN", "Курганская область", "region")
        .await;
    let shadrinsk = app
        .create_region(&kurgan, "RU-KGN-SHD", "Шадринск", "municipality")
        .await;
    let kurgan_path = format!("/v1/regions/{}", id_of(&kurgan));

    let refused = problem(app.delete(&kurgan_path).await, 409).await;
    assert_eq!(refused["type"], "/problems/still-referenced");
    assert_eq!(refused["referenced_by"], json!(["regions (1)"]));
    assert!(stored(&app, &id_of(&kurgan), "code").await.is_some());
    assert_eq!(app.count_rows("regions").await, 3);

    let response = app
        .delete(&format!("/v1/regions/{}", id_of(&shadrinsk)))
        .await;
    assert_eq!(response.status(), 204);
    assert_eq!(response.text().await.unwrap(), "");
    assert_eq!(app.count_rows("regions").await, 2);
    problem(
        app.get(&format!("/v1/regions/{}", id_of(&shadrinsk))).await,
        404,
    )
    .await;

    assert_eq!(app.delete(&kurgan_path).await.status(), 204);
    assert_eq!(stored(&app, &id_of(&kurgan), "code").await, None);
    problem(app.get(&kurgan_path).await, 404).await;
    problem(app.delete(&kurgan_path).await, 404).await;
    assert_eq!(app.count_rows("regions").await, 1);
    // The code is free again.
    app.create_region(&ru, "RU-KGN", "Курганская область", "region")
        .await;
}

async fn moving_under_own_descendant_is_a_cycle(backend: Backend) {
    let app = spawn_app(backend).await;
    let ru = app.create_country("RU", "Россия").await;
    let ural = app
        .create_region(&ru, "RU-URAL", "Уральский округ", "district")
        .await;
    let kurgan = app
        .create_region(&ural, "RU-KGN", "Курганская область", "region")
        .await;
    let shadrinsk = app
        .create_region(&kurgan, "RU-KGN-SHD", "Шадринск", "municipality")
        .await;
    let ural_path = format!("/v1/regions/{}", id_of(&ural));

    // The level rule would refuse this too; the cycle is what is reported.
    for target in [&shadrinsk, &kurgan, &ural] {
        let cycle = problem(
            app.patch(&ural_path, &json!({"parent_id": target["id"]}))
                .await,
            409,
        )
        .await;
        assert_eq!(cycle["type"], "/problems/cycle", "{cycle}");
        assert!(names_field(&cycle, "parent_id"), "{cycle}");
    }
    // A level change in the same patch does not get past the cycle check either.
    let cycle = problem(
        app.patch(
            &format!("/v1/regions/{}", id_of(&kurgan)),
            &json!({"parent_id": shadrinsk["id"], "level": "municipality"}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(cycle["type"], "/problems/cycle", "{cycle}");

    // The tree is unchanged.
    let ancestors = json_with_status(
        app.get(&format!("/v1/regions/{}/ancestors", id_of(&shadrinsk)))
            .await,
        200,
    )
    .await;
    assert_eq!(
        ids_of(&page_items(&ancestors)),
        vec![id_of(&ru), id_of(&ural), id_of(&kurgan)]
    );
    assert_eq!(
        stored(&app, &id_of(&ural), "parent_id").await,
        Some(id_of(&ru))
    );
    assert_eq!(
        stored(&app, &id_of(&ural), "version").await.as_deref(),
        Some("1")
    );
    assert_eq!(
        stored(&app, &id_of(&kurgan), "level").await.as_deref(),
        Some("region")
    );
}

async fn moving_a_subtree(backend: Backend) {
    let app = spawn_app(backend).await;
    let ru = app.create_country("RU", "Россия").await;
    let ural = app
        .create_region(&ru, "RU-URAL", "Уральский округ", "district")
        .await;
    let siberia = app
        .create_region(&ru, "RU-SIB", "Сибирский округ", "district")
        .await;
    let kurgan = app
        .create_region(&ural, "RU-KGN", "Курганская область", "region")
        .await;
    let shadrinsk = app
        .create_region(&kurgan, "RU-KGN-SHD", "Шадринск", "municipality")
        .await;
    let tyumen = app
        .create_region(&ural, "RU-TYU", "Тюменская область", "region")
        .await;

    let moved = json_with_status(
        app.patch(
            &format!("/v1/regions/{}", id_of(&kurgan)),
            &json!({"parent_id": siberia["id"]}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(moved["parent_id"], siberia["id"]);
    assert_eq!(moved["depth"], 2);

    let ancestors = json_with_status(
        app.get(&format!("/v1/regions/{}/ancestors", id_of(&shadrinsk)))
            .await,
        200,
    )
    .await;
    assert_eq!(
        ids_of(&page_items(&ancestors)),
        vec![id_of(&ru), id_of(&siberia), id_of(&kurgan)]
    );
    let under_ural = list_all(
        &app,
        &format!("/v1/regions/{}/descendants", id_of(&ural)),
        5,
    )
    .await;
    assert_eq!(ids_of(&under_ural), vec![id_of(&tyumen)]);
    let under_siberia = list_all(
        &app,
        &format!("/v1/regions/{}/descendants?sort=code", id_of(&siberia)),
        5,
    )
    .await;
    assert_eq!(
        ids_of(&under_siberia),
        vec![id_of(&kurgan), id_of(&shadrinsk)]
    );
    let children = list_all(
        &app,
        &format!("/v1/regions?parent_id={}", id_of(&siberia)),
        5,
    )
    .await;
    assert_eq!(ids_of(&children), vec![id_of(&kurgan)]);
    assert_eq!(
        stored(&app, &id_of(&kurgan), "parent_id").await,
        Some(id_of(&siberia))
    );
    let shadrinsk_path = stored(&app, &id_of(&shadrinsk), "path").await.unwrap();
    assert!(
        shadrinsk_path.starts_with(&format!("/{}/{}/", id_of(&ru), id_of(&siberia))),
        "stored path follows the move: {shadrinsk_path}"
    );

    // Lifting the region right under the country makes the whole subtree shallower; the
    // child's representation changes, so its ETag must change too.
    let before = app.get(&format!("/v1/regions/{}", id_of(&shadrinsk))).await;
    let old_etag = header(&before, "etag");
    let lifted = json_with_status(
        app.patch(
            &format!("/v1/regions/{}", id_of(&kurgan)),
            &json!({"parent_id": ru["id"]}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(lifted["depth"], 1);
    let child = app
        .request(
            Method::GET,
            &format!("/v1/regions/{}", id_of(&shadrinsk)),
            None,
            &[("if-none-match", &old_etag)],
        )
        .await;
    assert_eq!(child.status(), 200, "a moved child is not fresh any more");
    assert_ne!(header(&child, "etag"), old_etag);
    let child = json_with_status(child, 200).await;
    assert_eq!(child["depth"], 2);
    assert!(child["version"].as_i64().unwrap() > shadrinsk["version"].as_i64().unwrap());
    let ancestors = json_with_status(
        app.get(&format!("/v1/regions/{}/ancestors", id_of(&shadrinsk)))
            .await,
        200,
    )
    .await;
    assert_eq!(
        ids_of(&page_items(&ancestors)),
        vec![id_of(&ru), id_of(&kurgan)]
    );
    let under_siberia = list_all(
        &app,
        &format!("/v1/regions/{}/descendants", id_of(&siberia)),
        5,
    )
    .await;
    assert!(under_siberia.is_empty());
}

async fn ancestors_and_descendants(backend: Backend) {
    let app = spawn_app(backend).await;
    let ru = app.create_country("RU", "Россия").await;
    let kz = app.create_country("KZ", "Казахстан").await;
    let ural = app
        .create_region(&ru, "RU-URAL", "Уральский округ", "district")
        .await;
    let kurgan = app
        .create_region(&ural, "RU-KGN", "Курганская область", "region")
        .await;
    let tyumen = app
        .create_region(&ural, "RU-TYU", "Тюменская область", "region")
        .await;
    let mut municipalities = Vec::new();
    for (code, name) in [
        ("RU-KGN-KUR", "Курган"),
        ("RU-KGN-SHD", "Шадринск"),
        ("RU-KGN-DAL", "Далматово"),
    ] {
        municipalities.push(app.create_region(&kurgan, code, name, "municipality").await);
    }
    let tobolsk = app
        .create_region(&tyumen, "RU-TYU-TOB", "Тобольск", "municipality")
        .await;
    app.create_region(&kz, "KZ-AKT", "Ақтөбе облысы", "region")
        .await;

    let ancestors = json_with_status(
        app.get(&format!(
            "/v1/regions/{}/ancestors",
            id_of(&municipalities[0])
        ))
        .await,
        200,
    )
    .await;
    let items = page_items(&ancestors);
    assert_eq!(
        ids_of(&items),
        vec![id_of(&ru), id_of(&ural), id_of(&kurgan)]
    );
    assert_eq!(items[0]["depth"], 0);
    assert_eq!(items[2]["code"], "RU-KGN");
    let of_root = json_with_status(
        app.get(&format!("/v1/regions/{}/ancestors", id_of(&ru)))
            .await,
        200,
    )
    .await;
    assert_eq!(of_root, json!({"items": []}));

    // The whole subtree, never the region itself, two at a time.
    let mut expected: Vec<String> = vec![id_of(&ural), id_of(&kurgan), id_of(&tyumen)];
    expected.extend(municipalities.iter().map(id_of));
    expected.push(id_of(&tobolsk));
    let path = format!("/v1/regions/{}/descendants?page_size=2", id_of(&ru));
    let first = json_with_status(app.get(&path).await, 200).await;
    assert_eq!(page_items(&first).len(), 2);
    assert!(first["next_page_token"].is_string());
    let all = list_all(&app, &path, 10).await;
    assert_eq!(ids_of(&all), expected, "created_at order, whole subtree");

    let municipal = list_all(
        &app,
        &format!(
            "/v1/regions/{}/descendants?page_size=2&level=municipality&sort=name",
            id_of(&ural)
        ),
        10,
    )
    .await;
    assert_eq!(
        names_of(&municipal),
        vec!["Далматово", "Курган", "Тобольск", "Шадринск"]
    );

    let searched = list_all(
        &app,
        &format!("/v1/regions/{}/descendants?q=тобол", id_of(&ru)),
        10,
    )
    .await;
    assert_eq!(ids_of(&searched), vec![id_of(&tobolsk)]);
    // By name, the whole subtree, in order, across pages.
    let by_name = list_all(
        &app,
        &format!(
            "/v1/regions/{}/descendants?sort=name&page_size=3",
            id_of(&ural)
        ),
        10,
    )
    .await;
    let names = names_of(&by_name);
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names.len(), 6);
    assert_eq!(names, sorted);
    let leaves = list_all(
        &app,
        &format!("/v1/regions/{}/descendants", id_of(&tobolsk)),
        3,
    )
    .await;
    assert!(leaves.is_empty());

    let bad = problem(
        app.get(&format!(
            "/v1/regions/{}/descendants?country_code=RU",
            id_of(&ru)
        ))
        .await,
        400,
    )
    .await;
    assert!(names_field(&bad, "country_code"), "{bad}");
    let bad = problem(
        app.get(&format!(
            "/v1/regions/{}/descendants?level=province",
            id_of(&ru)
        ))
        .await,
        400,
    )
    .await;
    assert!(names_field(&bad, "level"), "{bad}");
}

/// Two countries with a few regions at different stages.
async fn seed_two_countries(app: &TestApp) -> HashMap<&'static str, Value> {
    let mut seeded = HashMap::new();
    let ru = app.create_country("RU", "Россия").await;
    let kz = app.create_country("KZ", "Казахстан").await;
    let by = app.create_country("BY", "Беларусь").await;
    let kurgan = app
        .create("/v1/regions", json!({"code": "RU-KGN", "name": "Курганская область", "country_code": "RU", "level": "region", "parent_id": ru["id"], "rollout_stage": "pilot", "rollout_target_year": 2026}))
        .await;
    let tyumen = app
        .create("/v1/regions", json!({"code": "RU-TYU", "name": "Тюменская область", "country_code": "RU", "level": "region", "parent_id": ru["id"], "rollout_stage": "planned"}))
        .await;
    let shadrinsk = app
        .create_region(&kurgan, "RU-KGN-SHD", "Шадринск", "municipality")
        .await;
    let aktobe = app
        .create("/v1/regions", json!({"code": "KZ-AKT", "name": "Ақтөбе облысы", "country_code": "KZ", "level": "region", "parent_id": kz["id"], "rollout_stage": "in_progress"}))
        .await;
    let almaty = app
        .create("/v1/regions", json!({"code": "KZ-ALA", "name": "Almaty", "country_code": "KZ", "level": "region", "parent_id": kz["id"], "rollout_stage": "completed"}))
        .await;
    for (key, value) in [
        ("ru", ru),
        ("kz", kz),
        ("by", by),
        ("kurgan", kurgan),
        ("tyumen", tyumen),
        ("shadrinsk", shadrinsk),
        ("aktobe", aktobe),
        ("almaty", almaty),
    ] {
        seeded.insert(key, value);
    }
    seeded
}

async fn list_filters(backend: Backend) {
    let app = spawn_app(backend).await;
    let s = seed_two_countries(&app).await;
    let ids = |keys: &[&str]| -> HashSet<String> { keys.iter().map(|k| id_of(&s[k])).collect() };
    let found = |items: Vec<Value>| -> HashSet<String> { ids_of(&items).into_iter().collect() };

    let cases: Vec<(String, Vec<&str>)> = vec![
        ("country_code=KZ".into(), vec!["kz", "aktobe", "almaty"]),
        (
            "country_code=KZ,BY".into(),
            vec!["kz", "aktobe", "almaty", "by"],
        ),
        (
            "country_code=BY, KZ".into(),
            vec!["kz", "aktobe", "almaty", "by"],
        ),
        ("parent_id=null".into(), vec!["ru", "kz", "by"]),
        (
            format!("parent_id={}", id_of(&s["ru"])),
            vec!["kurgan", "tyumen"],
        ),
        (
            format!("parent_id={},{}", id_of(&s["kurgan"]), id_of(&s["kz"])),
            vec!["shadrinsk", "aktobe", "almaty"],
        ),
        ("level=country".into(), vec!["ru", "kz", "by"]),
        (
            "level=region,municipality&country_code=RU".into(),
            vec!["kurgan", "tyumen", "shadrinsk"],
        ),
        ("rollout_stage=pilot".into(), vec!["kurgan"]),
        (
            "rollout_stage=pilot,completed,planned".into(),
            vec!["kurgan", "almaty", "tyumen"],
        ),
        ("rollout_stage=not_planned&level=region".into(), vec![]),
        ("q=курган".into(), vec!["kurgan"]),
        ("q=КУРГАН".into(), vec!["kurgan"]),
        ("q=КурГанская ОБЛ".into(), vec!["kurgan"]),
        ("q=ru-kgn".into(), vec!["kurgan", "shadrinsk"]),
        ("q=RU-KGN-".into(), vec!["kurgan", "shadrinsk"]),
        ("q=shd".into(), vec!["shadrinsk"]),
        ("q=кург".into(), vec!["kurgan"]),
        ("q=урган".into(), vec![]),
        ("q=обл кур".into(), vec!["kurgan"]),
        ("q=обл тюм кур".into(), vec![]),
        ("q=область".into(), vec!["kurgan", "tyumen"]),
        ("q=АҚТӨБЕ".into(), vec!["aktobe"]),
        ("q=ALMATY".into(), vec!["almaty"]),
        ("q=облыс&country_code=RU".into(), vec![]),
        ("q=%25".into(), vec![]),
        ("q=_".into(), vec![]),
        ("q=ru&level=country".into(), vec!["ru"]),
    ];
    for (query, expected) in cases {
        let items = list_all(&app, &format!("/v1/regions?{query}"), 5).await;
        assert_eq!(found(items), ids(&expected), "?{query}");
    }
    // Default order is creation order.
    let all = list_all(&app, "/v1/regions", 5).await;
    let order: Vec<String> = [
        "ru",
        "kz",
        "by",
        "kurgan",
        "tyumen",
        "shadrinsk",
        "aktobe",
        "almaty",
    ]
    .iter()
    .map(|k| id_of(&s[k]))
    .collect();
    assert_eq!(ids_of(&all), order);
}

async fn list_sorts_in_byte_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let ru = app.create_country("RU", "Россия").await;
    // Mixed scripts and cases; byte (code point) order, not any language's collation.
    let names = [
        "ёлка",
        "Яр",
        "alpha",
        "Zeta",
        "Абакан",
        "ябл",
        "beta",
        "Ёрш",
        "Ω",
    ];
    let codes = ["Q", "b", "Z", "a1", "M", "c", "K", "9", "AA"];
    let mut created = Vec::new();
    for (name, code) in names.iter().zip(codes) {
        created.push(
            app.create_region(&ru, &format!("RU-{code}"), name, "region")
                .await,
        );
    }
    created.push(ru);
    let mut by_name: Vec<(String, String)> = created
        .iter()
        .map(|r| (r["name"].as_str().unwrap().to_owned(), id_of(r)))
        .collect();
    by_name.sort();
    let mut by_code: Vec<(String, String)> = created
        .iter()
        .map(|r| (r["code"].as_str().unwrap().to_owned(), id_of(r)))
        .collect();
    by_code.sort();
    for (sort, mut expected) in [("name", by_name), ("code", by_code)] {
        let ascending = list_all(&app, &format!("/v1/regions?sort={sort}&page_size=3"), 10).await;
        let expected_ids: Vec<String> = expected.iter().map(|(_, id)| id.clone()).collect();
        assert_eq!(ids_of(&ascending), expected_ids, "sort={sort}");
        expected.reverse();
        let expected_ids: Vec<String> = expected.iter().map(|(_, id)| id.clone()).collect();
        let descending = list_all(&app, &format!("/v1/regions?sort=-{sort}&page_size=4"), 10).await;
        assert_eq!(ids_of(&descending), expected_ids, "sort=-{sort}");
    }
    let codes: Vec<String> = list_all(&app, "/v1/regions?sort=code", 2)
        .await
        .iter()
        .map(|r| r["code"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes[0], "RU", "upper-cased codes: {codes:?}");
    assert_eq!(codes[1], "RU-9");

    for bad in [
        "colour",
        "-colour",
        "--name",
        "Name",
        "id",
        "search_text",
        "",
    ] {
        let refused = problem(app.get(&format!("/v1/regions?sort={bad}")).await, 400).await;
        assert!(names_field(&refused, "sort"), "sort={bad}: {refused}");
    }
}

async fn bad_list_parameters(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_country("RU", "Россия").await;
    let cases = [
        ("page_size=0", "page_size"),
        ("page_size=501", "page_size"),
        ("page_size=abc", "page_size"),
        ("page_size=-1", "page_size"),
        ("page_size=2.5", "page_size"),
        ("country_code=XX", "country_code"),
        ("country_code=ru", "country_code"),
        ("parent_id=abc", "parent_id"),
        ("level=province", "level"),
        ("rollout_stage=done", "rollout_stage"),
        ("q=", "q"),
        ("colour=red", "colour"),
        ("page_size=5&page_size=6", "page_size"),
        ("q=a%00b", "q"),
        ("country_code=R%00", "country_code"),
        ("sort=na%00me", "sort"),
    ];
    for (query, field) in cases {
        let refused = problem(app.get(&format!("/v1/regions?{query}")).await, 400).await;
        assert!(names_field(&refused, field), "?{query}: {refused}");
        assert_eq!(refused["type"], "/problems/bad-request");
        assert_eq!(refused["instance"], "/v1/regions");
    }
    let long = "я".repeat(201);
    let refused = problem(app.get(&format!("/v1/regions?q={long}")).await, 400).await;
    assert!(names_field(&refused, "q"), "{refused}");
    for size in ["1", "500"] {
        let page =
            json_with_status(app.get(&format!("/v1/regions?page_size={size}")).await, 200).await;
        assert_eq!(page_items(&page).len(), 1);
        assert_eq!(page["next_page_token"], Value::Null);
    }
}

async fn tampered_page_tokens(backend: Backend) {
    let app = spawn_app(backend).await;
    let ru = app.create_country("RU", "Россия").await;
    for i in 0..4 {
        app.create_region(&ru, &format!("RU-R{i}"), &format!("Регион {i}"), "region")
            .await;
    }
    let first = json_with_status(app.get("/v1/regions?sort=name&page_size=2").await, 200).await;
    let name_token = first["next_page_token"].as_str().unwrap().to_owned();
    let valid = json_with_status(
        app.get(&format!(
            "/v1/regions?sort=name&page_size=2&page_token={name_token}"
        ))
        .await,
        200,
    )
    .await;
    assert_eq!(page_items(&valid).len(), 2);

    let encode = |value: Value| URL_SAFE_NO_PAD.encode(value.to_string());
    let some_id = uuid::Uuid::now_v7().to_string();
    let mut rng = StdRng::seed_from_u64(7);
    let random_bytes: Vec<u8> = (0..48).map(|_| rng.random()).collect();
    let tokens: Vec<(String, &str)> = vec![
        (encode(json!({"hello": "world"})), "name"),
        (encode(json!([1, 2, 3])), "name"),
        (encode(json!("text")), "name"),
        (URL_SAFE_NO_PAD.encode(&random_bytes), "name"),
        ("!!!not base64!!!".to_owned(), "name"),
        ("%00%01".to_owned(), "name"),
        (name_token.clone(), "code"),
        (name_token.clone(), "-name"),
        (name_token.clone(), "created_at"),
        (
            encode(json!({"v": 2, "sort": "name", "key": "Регион 1", "id": some_id})),
            "name",
        ),
        (
            encode(json!({"v": 1, "sort": "name", "key": 5, "id": some_id})),
            "name",
        ),
        (
            encode(json!({"v": 1, "sort": "name", "id": some_id})),
            "name",
        ),
        (
            encode(json!({"v": 1, "sort": "name", "key": "x", "id": "not-a-uuid"})),
            "name",
        ),
        (
            encode(json!({"v": 1, "sort": "created_at", "key": "yesterday", "id": some_id})),
            "created_at",
        ),
        (
            encode(json!({"v": 1, "sort": "-updated_at", "key": 17, "id": some_id})),
            "-updated_at",
        ),
        (
            encode(json!({"v": 1, "sort": "name", "key": "a\u{0}b", "id": some_id})),
            "name",
        ),
        (
            encode(
                json!({"v": 1, "sort": "created_at", "key": "2026-01-01T00:00:00\u{0}Z", "id": some_id}),
            ),
            "created_at",
        ),
    ];
    for (token, sort) in tokens {
        let response = app
            .get(&format!(
                "/v1/regions?sort={sort}&page_size=2&page_token={token}"
            ))
            .await;
        let refused = problem(response, 400).await;
        assert!(
            names_field(&refused, "page_token"),
            "token {token} with sort={sort}: {refused}"
        );
    }
    // A token for a descendants list is held to the same rules.
    let refused = problem(
        app.get(&format!(
            "/v1/regions/{}/descendants?sort=code&page_token={name_token}",
            id_of(&ru)
        ))
        .await,
        400,
    )
    .await;
    assert!(names_field(&refused, "page_token"), "{refused}");
}

// ---- property tests of keyset pagination ----

const SORTS: [&str; 5] = ["name", "-name", "code", "created_at", "-updated_at"];

/// Names from a small pool, so that equal names are common and the id decides.
const NAME_POOL: [&str; 12] = [
    "Курган",
    "курган",
    "Kurgan",
    "Ақтөбе",
    "Aktobe",
    "Шадринск",
    "Zhezkazgan",
    "Жезқазған",
    "ёлка",
    "Ёлка",
    "Alma",
    "Алма",
];

fn random_name(rng: &mut StdRng) -> String {
    if rng.random_bool(0.5) {
        (*NAME_POOL.choose(rng).expect("pool")).to_owned()
    } else {
        let first = NAME_POOL.choose(rng).expect("pool");
        let second = NAME_POOL.choose(rng).expect("pool");
        format!("{first} {second}")
    }
}

/// The sort key of a region under `sort` (without the direction).
fn sort_key(region: &Value, sort: &str) -> String {
    let field = sort.trim_start_matches('-');
    let raw = region[field].as_str().expect("sort field");
    if field.ends_with("_at") {
        let parsed = chrono::DateTime::parse_from_rfc3339(raw).expect("timestamp");
        format!("{:020}", parsed.timestamp_micros())
    } else {
        raw.to_owned()
    }
}

/// Orders regions as the service must: by key, then by id, both reversed for `-` sorts.
fn expected_order(regions: &[Value], sort: &str) -> Vec<String> {
    let mut keyed: Vec<(String, String)> = regions
        .iter()
        .map(|r| (sort_key(r, sort), id_of(r)))
        .collect();
    keyed.sort();
    if sort.starts_with('-') {
        keyed.reverse();
    }
    keyed.into_iter().map(|(_, id)| id).collect()
}

/// Creates `count` regions with random names under `country`, in random code order.
async fn create_random_regions(
    app: &TestApp,
    rng: &mut StdRng,
    country: &Value,
    count: usize,
    tag: &str,
) -> Vec<Value> {
    let mut suffixes: Vec<usize> = (0..count).collect();
    suffixes.shuffle(rng);
    let mut created = Vec::new();
    for suffix in suffixes {
        let code = format!("RU-{tag}{suffix:03}");
        created.push(
            app.create_region(country, &code, &random_name(rng), "region")
                .await,
        );
    }
    created
}

async fn random_pages_cover_every_row_once(backend: Backend) {
    for seed in 0..4u64 {
        let app = spawn_app(backend).await;
        let mut rng = StdRng::seed_from_u64(seed);
        let ru = app.create_country("RU", "Россия").await;
        let count = rng.random_range(20..=60);
        let mut regions = create_random_regions(&app, &mut rng, &ru, count, "P").await;
        regions.push(ru);
        for sort in SORTS {
            let expected = expected_order(&regions, sort);
            let mut seen = Vec::new();
            let mut token: Option<String> = None;
            for _ in 0..=regions.len() {
                let size = rng.random_range(1..=12);
                let mut url = format!("/v1/regions?sort={sort}&page_size={size}");
                if let Some(token) = &token {
                    url.push_str(&format!("&page_token={token}"));
                }
                let page = json_with_status(app.get(&url).await, 200).await;
                let items = page_items(&page);
                assert!(items.len() <= size, "page larger than {size}");
                seen.extend(ids_of(&items));
                match page["next_page_token"].as_str() {
                    Some(next) => {
                        assert_eq!(items.len(), size, "only the last page may be short");
                        token = Some(next.to_owned());
                    }
                    None => break,
                }
            }
            assert_eq!(seen, expected, "seed {seed}, sort={sort}, {count} rows");
        }
    }
}

async fn pages_stay_correct_while_rows_come_and_go(backend: Backend) {
    for seed in 10..14u64 {
        let app = spawn_app(backend).await;
        let mut rng = StdRng::seed_from_u64(seed);
        let ru = app.create_country("RU", "Россия").await;
        let count = rng.random_range(20..=40);
        let mut live = create_random_regions(&app, &mut rng, &ru, count, "L").await;
        let mut next_code = 0usize;
        for sort in SORTS {
            let at_start: HashSet<String> = live.iter().map(id_of).collect();
            let mut deleted: HashSet<String> = HashSet::new();
            let mut inserted: HashSet<String> = HashSet::new();
            let mut walk: Vec<Value> = Vec::new();
            let mut token: Option<String> = None;
            let mut finished = false;
            for _ in 0..200 {
                let size = rng.random_range(1..=8);
                let mut url = format!("/v1/regions?sort={sort}&page_size={size}&level=region");
                if let Some(token) = &token {
                    url.push_str(&format!("&page_token={token}"));
                }
                let page = json_with_status(app.get(&url).await, 200).await;
                walk.extend(page_items(&page));
                let Some(next) = page["next_page_token"].as_str() else {
                    finished = true;
                    break;
                };
                token = Some(next.to_owned());
                // Between pages: a few deletes (anywhere, including rows already seen and the
                // row the token points at) and a few inserts.
                for _ in 0..rng.random_range(0..=2) {
                    if live.len() > 5 {
                        let victim = live.swap_remove(rng.random_range(0..live.len()));
                        let response = app.delete(&format!("/v1/regions/{}", id_of(&victim))).await;
                        assert_eq!(response.status(), 204);
                        deleted.insert(id_of(&victim));
                    }
                }
                if rng.random_bool(0.3) {
                    if let Some(last) = walk.last() {
                        let id = id_of(last);
                        if let Some(position) = live.iter().position(|r| id_of(r) == id) {
                            live.swap_remove(position);
                            let response = app.delete(&format!("/v1/regions/{id}")).await;
                            assert_eq!(response.status(), 204);
                            deleted.insert(id);
                        }
                    }
                }
                for _ in 0..rng.random_range(0..=2) {
                    next_code += 1;
                    let region = app
                        .create_region(
                            &ru,
                            &format!("RU-N{next_code:04}"),
                            &random_name(&mut rng),
                            "region",
                        )
                        .await;
                    inserted.insert(id_of(&region));
                    live.push(region);
                }
            }
            assert!(finished, "seed {seed}, sort={sort}: the walk did not end");
            let ids = ids_of(&walk);
            let mut counts: HashMap<&str, usize> = HashMap::new();
            for id in &ids {
                *counts.entry(id.as_str()).or_default() += 1;
            }
            let context = format!("seed {seed}, sort={sort}");
            for (id, n) in &counts {
                assert_eq!(*n, 1, "{context}: {id} appears {n} times");
                assert!(
                    at_start.contains(*id) || inserted.contains(*id),
                    "{context}: unknown row {id}"
                );
            }
            for id in at_start.difference(&deleted) {
                assert!(
                    counts.contains_key(id.as_str()),
                    "{context}: {id} existed all along but was skipped"
                );
            }
            // The walk is in order, with the same keys it was ordered by.
            let expected = expected_order(&walk, sort);
            assert_eq!(ids, expected, "{context}: walk out of order");
        }
        let stored = app.count_rows("regions").await;
        assert_eq!(stored, i64::try_from(live.len()).unwrap() + 1);
    }
}

async fn regions_are_found_by_exact_code(backend: Backend) {
    let app = spawn_app(backend).await;
    let ru = app.create_country("RU", "Россия").await;
    app.create_region(&ru, "RU-KGN", "Курганская область", "region")
        .await;
    app.create_region(&ru, "RU-KGNX", "Другая область", "region")
        .await;
    let page = json_with_status(app.get("/v1/regions?code=ru-kgn").await, 200).await;
    assert_eq!(names_of(&page_items(&page)), ["Курганская область"]);
    let page = json_with_status(app.get("/v1/regions?code=RU-KGN,RU&sort=code").await, 200).await;
    let codes: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["RU", "RU-KGN"]);
}

async fn changes_that_would_strand_subregions_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let ru = app.create_country("RU", "Россия").await;
    let kurgan = app
        .create_region(&ru, "RU-KGN", "Курганская область", "region")
        .await;
    app.create_region(&kurgan, "RU-KGN-SHD", "Шадринск", "municipality")
        .await;
    let path = format!("/v1/regions/{}", kurgan["id"].as_str().unwrap());

    // A region holding a municipality cannot become one.
    let refused = problem(
        app.patch(&path, &json!({"level": "municipality"})).await,
        409,
    )
    .await;
    assert!(
        refused["detail"].as_str().unwrap().contains("municipality"),
        "{refused}"
    );
    // Nor move to another country while its subregions stay in this one.
    app.create_country("KZ", "Қазақстан").await;
    let refused = problem(
        app.patch(
            &path,
            &json!({"country_code": "KZ", "code": "KZ-KGN", "parent_id": null}),
        )
        .await,
        409,
    )
    .await;
    assert!(
        refused["detail"].as_str().unwrap().contains("subregions"),
        "{refused}"
    );
    let unchanged = json_with_status(app.get(&path).await, 200).await;
    assert_eq!(unchanged, kurgan);

    // A leaf may change both.
    let leaf = app
        .create_region(&ru, "RU-TYU", "Тюменская область", "region")
        .await;
    let leaf_path = format!("/v1/regions/{}", leaf["id"].as_str().unwrap());
    let moved = json_with_status(
        app.patch(
            &leaf_path,
            &json!({"country_code": "KZ", "code": "KZ-TYU", "parent_id": null}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(moved["country_code"], "KZ");
}
