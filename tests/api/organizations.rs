//! The organizations API: its own rules (a name unique regardless of case, kinds, the
//! website), its filters and search. What every resource does is the contract suite's.

use serde_json::{json, Value};

use crate::backend_tests;
use crate::common::{error_fields, json_with_status, problem, spawn_app, Backend};

backend_tests!(
    create_and_read_back,
    names_are_unique_ignoring_case,
    every_invalid_field_is_named,
    patch_clears_the_website_and_refuses_null_names,
    a_patch_that_changes_nothing_keeps_the_version,
    list_filters_and_search,
);

fn names(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["name"].as_str().expect("name"))
        .collect()
}

async fn create_and_read_back(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .post(
            "/v1/organizations",
            &json!({"name": "  Федерация лабораторной медицины ", "kind": "federation",
                "country_code": "RU", "website": "https://fedlab.example"}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(response.headers()["etag"], "\"v1\"");
    let created = json_with_status(response, 201).await;
    assert_eq!(created["name"], "Федерация лабораторной медицины");
    assert_eq!(created["kind"], "federation");
    assert_eq!(created["country_code"], "RU");
    assert_eq!(created["website"], "https://fedlab.example");
    assert_eq!(created["version"], 1);
    assert_eq!(
        location,
        format!("/v1/organizations/{}", created["id"].as_str().unwrap())
    );
    let fetched = json_with_status(app.get(&location).await, 200).await;
    assert_eq!(fetched, created);
    // An absent website is null, not missing.
    let bare = app
        .create(
            "/v1/organizations",
            json!({"name": "Kurgan Laboratory Operator", "kind": "operator", "country_code": "RU"}),
        )
        .await;
    assert_eq!(bare["website"], Value::Null);
    assert_eq!(app.count_rows("organizations").await, 2);
}

async fn names_are_unique_ignoring_case(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app
        .create(
            "/v1/organizations",
            json!({"name": "Medical Distributor", "kind": "distributor", "country_code": "UZ"}),
        )
        .await;
    let refused = problem(
        app.post(
            "/v1/organizations",
            &json!({"name": "MEDICAL  distributor", "kind": "operator", "country_code": "KZ"}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(refused["type"], "/problems/duplicate");
    assert_eq!(refused["errors"][0]["field"], "name");
    assert!(refused["detail"]
        .as_str()
        .unwrap()
        .contains(first["id"].as_str().unwrap()));
    // Renaming another organization onto the name is refused the same way.
    let other = app
        .create(
            "/v1/organizations",
            json!({"name": "Other", "kind": "operator", "country_code": "UZ"}),
        )
        .await;
    let path = format!("/v1/organizations/{}", other["id"].as_str().unwrap());
    let refused = problem(
        app.patch(&path, &json!({"name": "medical distributor"}))
            .await,
        409,
    )
    .await;
    assert_eq!(refused["errors"][0]["field"], "name");
    // Its own name in another case is no conflict.
    let path = format!("/v1/organizations/{}", first["id"].as_str().unwrap());
    let renamed = json_with_status(
        app.patch(&path, &json!({"name": "MEDICAL DISTRIBUTOR"}))
            .await,
        200,
    )
    .await;
    assert_eq!(renamed["name"], "MEDICAL DISTRIBUTOR");
    assert_eq!(app.count_rows("organizations").await, 2);
}

async fn every_invalid_field_is_named(backend: Backend) {
    let app = spawn_app(backend).await;
    let refused = problem(
        app.post(
            "/v1/organizations",
            &json!({"name": " ", "kind": "operator", "country_code": "ru", "website": "ftp://x"}),
        )
        .await,
        422,
    )
    .await;
    let fields = error_fields(&refused);
    assert_eq!(fields, ["name", "country_code", "website"]);
    let refused = problem(
        app.post(
            "/v1/organizations",
            &json!({"name": "X", "kind": "bank", "country_code": "RU"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(refused["errors"][0]["field"], "kind");
    assert_eq!(app.count_rows("organizations").await, 0);
}

async fn patch_clears_the_website_and_refuses_null_names(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = app
        .create(
            "/v1/organizations",
            json!({"name": "Cluster Authority", "kind": "authority", "country_code": "UZ",
                "website": "https://cluster.example"}),
        )
        .await;
    let path = format!("/v1/organizations/{}", created["id"].as_str().unwrap());
    let patched = json_with_status(
        app.patch(&path, &json!({"website": null, "kind": "operator"}))
            .await,
        200,
    )
    .await;
    assert_eq!(patched["website"], Value::Null);
    assert_eq!(patched["kind"], "operator");
    assert_eq!(patched["name"], "Cluster Authority");
    assert_eq!(patched["version"], 2);
    let refused = problem(
        app.patch(&path, &json!({"name": null, "country_code": null}))
            .await,
        422,
    )
    .await;
    let fields = error_fields(&refused);
    assert_eq!(fields, ["name", "country_code"]);
    let stored = json_with_status(app.get(&path).await, 200).await;
    assert_eq!(stored, patched);
}

async fn a_patch_that_changes_nothing_keeps_the_version(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = app
        .create(
            "/v1/organizations",
            json!({"name": "Tashkent University", "kind": "university", "country_code": "UZ"}),
        )
        .await;
    let path = format!("/v1/organizations/{}", created["id"].as_str().unwrap());
    for patch in [
        json!({}),
        json!({"kind": "university", "name": "Tashkent University"}),
    ] {
        let response = app.patch(&path, &patch).await;
        assert_eq!(response.headers()["etag"], "\"v1\"");
        let unchanged = json_with_status(response, 200).await;
        assert_eq!(unchanged, created, "{patch}");
    }
}

async fn list_filters_and_search(backend: Backend) {
    let app = spawn_app(backend).await;
    for (name, kind, country) in [
        ("Лабораторные технологии", "operator", "RU"),
        ("Федерация лабораторной медицины", "federation", "RU"),
        ("Uzmedimpex", "distributor", "UZ"),
        ("Ministry of Health", "authority", "UZ"),
    ] {
        app.create(
            "/v1/organizations",
            json!({"name": name, "kind": kind, "country_code": country}),
        )
        .await;
    }
    for (query, expected) in [
        (
            "kind=operator&kind=federation&sort=name",
            vec!["Лабораторные технологии", "Федерация лабораторной медицины"],
        ),
        (
            "country_code=UZ&sort=-name",
            vec!["Uzmedimpex", "Ministry of Health"],
        ),
        (
            "q=лаб",
            vec!["Лабораторные технологии", "Федерация лабораторной медицины"],
        ),
        ("q=лаб мед", vec!["Федерация лабораторной медицины"]),
        ("q=health&kind=authority", vec!["Ministry of Health"]),
        ("q=health&kind=operator", vec![]),
    ] {
        let page =
            json_with_status(app.get(&format!("/v1/organizations?{query}")).await, 200).await;
        assert_eq!(names(&page), expected, "{query}");
    }
    let refused = problem(app.get("/v1/organizations?kind=bank").await, 400).await;
    assert_eq!(refused["errors"][0]["field"], "kind");
}
