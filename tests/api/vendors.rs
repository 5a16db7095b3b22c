use std::collections::HashSet;

use diesel::prelude::*;
use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::common::{json_with_status, names_field, problem, spawn_app, Backend, TestApp};

backend_tests!(
    create_and_get_vendor,
    duplicate_names_differ_only_in_case,
    concurrent_creates_of_one_name,
    invalid_bodies_name_the_field,
    bad_query_parameters_are_400,
    update_vendor_with_merge_patch,
    patch_cannot_clear_required_fields,
    delete_vendor_removes_its_categories,
    delete_refused_while_localized,
    filter_by_country_category_and_text,
    sort_by_name,
    paginate_across_pages,
);

fn header(response: &reqwest::Response, name: &str) -> String {
    response.headers()[name].to_str().unwrap().to_owned()
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn list_names(app: &TestApp, query: &str) -> Vec<String> {
    let page = json_with_status(app.get(&format!("/v1/vendors?{query}")).await, 200).await;
    let mut found = names(&page);
    found.sort();
    found
}

/// Inserts a localization row straight into the database, so the reference exists whatever
/// state the localizations endpoints are in. The literals read the same on both backends.
async fn insert_localization(app: &TestApp, vendor_id: &str) {
    let sql = format!(
        "INSERT INTO localizations (id, vendor_id, country_code, stage, stage_changed_on, \
         created_at, updated_at, version) VALUES ('{}', '{vendor_id}', 'RU', \
         'interest_declared', '2026-01-15', '2026-01-15T00:00:00.000000Z', \
         '2026-01-15T00:00:00.000000Z', 1)",
        uuid::Uuid::now_v7()
    );
    let pool = app.pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get().unwrap();
        diesel::sql_query(sql).execute(&mut **conn).unwrap();
    })
    .await
    .unwrap();
}

async fn create_and_get_vendor(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .post(
            "/v1/vendors",
            &json!({
                "name": "Mindray",
                "country_code": "CN",
                "website": "https://www.mindray.com",
                "categories": ["reagents", "laboratory_equipment", "medical_equipment"]
            }),
        )
        .await;
    assert_eq!(response.status(), 201);
    let location = header(&response, "location");
    let etag = header(&response, "etag");
    let created = json_with_status(response, 201).await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(location, format!("/v1/vendors/{id}"));
    assert_eq!(etag, "\"v1\"");
    assert_eq!(created["name"], "Mindray");
    assert_eq!(created["country_code"], "CN");
    assert_eq!(created["website"], "https://www.mindray.com");
    // Returned in enumeration order, not in the order sent.
    assert_eq!(
        created["categories"],
        json!(["laboratory_equipment", "medical_equipment", "reagents"])
    );
    assert_eq!(created["version"], 1);
    assert!(created["created_at"].is_string() && created["updated_at"].is_string());

    let response = app.get(&location).await;
    assert_eq!(header(&response, "etag"), etag);
    let fetched = json_with_status(response, 200).await;
    assert_eq!(fetched, created);

    let cached = app
        .request(Method::GET, &location, None, &[("if-none-match", &etag)])
        .await;
    assert_eq!(cached.status(), 304);
    assert_eq!(header(&cached, "etag"), etag);

    // Optional values are present as null, categories as an empty list.
    let bare = app.create_vendor("Sysmex", "JP").await;
    assert_eq!(bare["website"], Value::Null);
    assert_eq!(bare["categories"], json!([]));

    assert_eq!(app.count_rows("vendors").await, 2);
    assert_eq!(app.count_rows("vendor_categories").await, 3);
}

async fn duplicate_names_differ_only_in_case(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_vendor("Mindray", "CN").await;
    let body = problem(
        app.post(
            "/v1/vendors",
            &json!({"name": "MINDRAY", "country_code": "CN"}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(body["type"], "/problems/duplicate");
    assert!(names_field(&body, "name"), "{body}");

    app.create_vendor("МедТех", "RU").await;
    let body = problem(
        app.post(
            "/v1/vendors",
            &json!({"name": "медтех", "country_code": "RU"}),
        )
        .await,
        409,
    )
    .await;
    assert!(names_field(&body, "name"), "{body}");
    assert_eq!(app.count_rows("vendors").await, 2);

    // Renaming onto another vendor's name is refused; changing one's own case is not.
    let other = app.create_vendor("Sysmex", "JP").await;
    let path = format!("/v1/vendors/{}", other["id"].as_str().unwrap());
    let body = problem(app.patch(&path, &json!({"name": "mindray"})).await, 409).await;
    assert!(names_field(&body, "name"), "{body}");
    let renamed = json_with_status(app.patch(&path, &json!({"name": "SYSMEX"})).await, 200).await;
    assert_eq!(renamed["name"], "SYSMEX");
}

/// Requests racing past the service's name check still get a 409, never a 500.
async fn concurrent_creates_of_one_name(backend: Backend) {
    let app = spawn_app(backend).await;
    let bodies: Vec<Value> = [
        "Mindray", "MINDRAY", "mindray", "MindRay", "MINDray", "mINDRAY",
    ]
    .iter()
    .map(|name| json!({"name": name, "country_code": "CN", "categories": ["reagents"]}))
    .collect();
    let responses =
        futures_util::future::join_all(bodies.iter().map(|body| app.post("/v1/vendors", body)))
            .await;
    let mut created = 0;
    for response in responses {
        match response.status().as_u16() {
            201 => created += 1,
            409 => {
                let body = problem(response, 409).await;
                assert!(names_field(&body, "name"), "{body}");
            }
            other => panic!(
                "unexpected status {other}: {}",
                response.text().await.unwrap()
            ),
        }
    }
    assert_eq!(created, 1);
    assert_eq!(app.count_rows("vendors").await, 1);
    assert_eq!(app.count_rows("vendor_categories").await, 1);
}

async fn invalid_bodies_name_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let cases = [
        (json!({"name": "A", "country_code": "XX"}), "country_code"),
        (json!({"name": "A", "country_code": "ru"}), "country_code"),
        (
            json!({"name": "A", "country_code": "RU", "website": "ftp://x"}),
            "website",
        ),
        (
            json!({"name": "A", "country_code": "RU", "website": "not a url"}),
            "website",
        ),
        (
            json!({"name": "A", "country_code": "RU", "categories": ["reagents", "reagents"]}),
            "categories[1]",
        ),
        (
            json!({"name": "A", "country_code": "RU", "colour": "red"}),
            "colour",
        ),
        (json!({"country_code": "RU"}), "name"),
        (json!({"name": "   ", "country_code": "RU"}), "name"),
    ];
    for (body, field) in cases {
        let problem_body = problem(app.post("/v1/vendors", &body).await, 422).await;
        assert_eq!(problem_body["type"], "/problems/validation");
        assert!(
            names_field(&problem_body, field),
            "{body} should name {field}: {problem_body}"
        );
    }
    let body = problem(
        app.post(
            "/v1/vendors",
            &json!({"name": "A", "country_code": "RU", "categories": ["toys"]}),
        )
        .await,
        422,
    )
    .await;
    assert!(
        body["errors"][0]["field"]
            .as_str()
            .unwrap()
            .starts_with("categories"),
        "{body}"
    );
    assert_eq!(app.count_rows("vendors").await, 0);
    assert_eq!(app.count_rows("vendor_categories").await, 0);
}

async fn bad_query_parameters_are_400(backend: Backend) {
    let app = spawn_app(backend).await;
    for (query, parameter) in [
        ("colour=red", "colour"),
        ("page_token=garbage", "page_token"),
        ("sort=website", "sort"),
        ("category=toys", "category"),
        ("country_code=XX", "country_code"),
        ("page_size=0", "page_size"),
    ] {
        let body = problem(app.get(&format!("/v1/vendors?{query}")).await, 400).await;
        assert!(names_field(&body, parameter), "{query}: {body}");
    }
    // A token made for one sort is refused for another.
    for name in ["A", "B"] {
        app.create_vendor(name, "RU").await;
    }
    let page = json_with_status(app.get("/v1/vendors?page_size=1").await, 200).await;
    let token = page["next_page_token"].as_str().unwrap();
    let body = problem(
        app.get(&format!(
            "/v1/vendors?page_size=1&sort=name&page_token={token}"
        ))
        .await,
        400,
    )
    .await;
    assert!(names_field(&body, "page_token"), "{body}");
}

async fn update_vendor_with_merge_patch(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = app
        .create(
            "/v1/vendors",
            json!({
                "name": "Mindray",
                "country_code": "CN",
                "website": "https://www.mindray.com",
                "categories": ["reagents", "software"]
            }),
        )
        .await;
    let path = format!("/v1/vendors/{}", created["id"].as_str().unwrap());

    let response = app
        .patch(
            &path,
            &json!({"website": null, "categories": ["consumables", "laboratory_equipment"]}),
        )
        .await;
    assert_eq!(header(&response, "etag"), "\"v2\"");
    let updated = json_with_status(response, 200).await;
    assert_eq!(updated["name"], "Mindray");
    assert_eq!(updated["website"], Value::Null);
    assert_eq!(
        updated["categories"],
        json!(["laboratory_equipment", "consumables"])
    );
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["created_at"], created["created_at"]);
    assert_eq!(app.count_rows("vendor_categories").await, 2);

    // Absent members stay as they are; categories are untouched when not sent.
    let updated = json_with_status(
        app.patch(
            &path,
            &json!({"name": "Mindray Medical", "country_code": "HK"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(updated["name"], "Mindray Medical");
    assert_eq!(updated["country_code"], "HK");
    assert_eq!(
        updated["categories"],
        json!(["laboratory_equipment", "consumables"])
    );
    assert_eq!(updated["version"], 3);

    let updated = json_with_status(app.patch(&path, &json!({"categories": []})).await, 200).await;
    assert_eq!(updated["categories"], json!([]));
    assert_eq!(app.count_rows("vendor_categories").await, 0);

    let fetched = json_with_status(app.get(&path).await, 200).await;
    assert_eq!(fetched, updated);

    // The name is searchable under its new form.
    assert_eq!(list_names(&app, "q=medical").await, vec!["Mindray Medical"]);
}

async fn patch_cannot_clear_required_fields(backend: Backend) {
    let app = spawn_app(backend).await;
    let vendor = app.create_vendor("Mindray", "CN").await;
    let path = format!("/v1/vendors/{}", vendor["id"].as_str().unwrap());
    for (body, field) in [
        (json!({"name": null}), "name"),
        (json!({"country_code": null}), "country_code"),
        (json!({"country_code": "ru"}), "country_code"),
        (json!({"website": "ftp://x"}), "website"),
        (json!({"categories": ["toys"]}), "categories[0]"),
        (json!({"categories": null}), "categories"),
        (json!({"id": "x"}), "id"),
    ] {
        let body_problem = problem(app.patch(&path, &body).await, 422).await;
        assert!(
            names_field(&body_problem, field),
            "{body} should name {field}: {body_problem}"
        );
    }
    let fetched = json_with_status(app.get(&path).await, 200).await;
    assert_eq!(fetched, vendor);
}

async fn delete_vendor_removes_its_categories(backend: Backend) {
    let app = spawn_app(backend).await;
    let vendor = app
        .create(
            "/v1/vendors",
            json!({"name": "Sysmex", "country_code": "JP", "categories": ["reagents", "laboratory_equipment"]}),
        )
        .await;
    let kept = app
        .create(
            "/v1/vendors",
            json!({"name": "Roche", "country_code": "CH", "categories": ["reagents"]}),
        )
        .await;
    let path = format!("/v1/vendors/{}", vendor["id"].as_str().unwrap());
    let response = app.delete(&path).await;
    assert_eq!(response.status(), 204);
    problem(app.get(&path).await, 404).await;
    problem(app.delete(&path).await, 404).await;
    assert_eq!(app.count_rows("vendors").await, 1);
    assert_eq!(app.count_rows("vendor_categories").await, 1);
    let still = json_with_status(
        app.get(&format!("/v1/vendors/{}", kept["id"].as_str().unwrap()))
            .await,
        200,
    )
    .await;
    assert_eq!(still["categories"], json!(["reagents"]));
}

async fn delete_refused_while_localized(backend: Backend) {
    let app = spawn_app(backend).await;
    let vendor = app.create_vendor("Mindray", "CN").await;
    let id = vendor["id"].as_str().unwrap();
    insert_localization(&app, id).await;
    let path = format!("/v1/vendors/{id}");
    let body = problem(app.delete(&path).await, 409).await;
    assert_eq!(body["type"], "/problems/still-referenced");
    assert_eq!(body["referenced_by"], json!(["localizations (1)"]));
    let fetched = json_with_status(app.get(&path).await, 200).await;
    assert_eq!(fetched, vendor);
    assert_eq!(app.count_rows("vendors").await, 1);
}

async fn filter_by_country_category_and_text(backend: Backend) {
    let app = spawn_app(backend).await;
    for (name, country, categories) in [
        (
            "Mindray",
            "CN",
            json!(["laboratory_equipment", "medical_equipment", "reagents"]),
        ),
        ("Sinovision", "CN", json!(["medical_equipment"])),
        ("Samsung Medison", "KR", json!(["medical_equipment"])),
        ("Sysmex", "JP", json!(["laboratory_equipment", "reagents"])),
        ("МедТех", "RU", json!(["consumables"])),
        ("Ёлка Лаб", "RU", json!([])),
    ] {
        app.create(
            "/v1/vendors",
            json!({"name": name, "country_code": country, "categories": categories}),
        )
        .await;
    }
    assert_eq!(
        list_names(&app, "country_code=CN,KR").await,
        vec!["Mindray", "Samsung Medison", "Sinovision"]
    );
    assert_eq!(list_names(&app, "country_code=JP").await, vec!["Sysmex"]);
    // Any of: a vendor with both categories is listed once.
    assert_eq!(
        list_names(&app, "category=reagents,consumables").await,
        vec!["Mindray", "Sysmex", "МедТех"]
    );
    assert_eq!(
        list_names(&app, "category=medical_equipment&country_code=CN").await,
        vec!["Mindray", "Sinovision"]
    );
    assert_eq!(
        list_names(&app, "category=software").await,
        Vec::<String>::new()
    );
    assert_eq!(list_names(&app, "q=MINDRAY").await, vec!["Mindray"]);
    assert_eq!(list_names(&app, "q=medison").await, vec!["Samsung Medison"]);
    assert_eq!(
        list_names(&app, "q=%D0%BC%D0%B5%D0%B4%D1%82%D0%B5%D1%85").await,
        vec!["МедТех"]
    );
    assert_eq!(
        list_names(&app, "q=%D0%9C%D0%95%D0%94").await,
        vec!["МедТех"]
    );
    // `ё` and `е` are the same letter for search.
    assert_eq!(
        list_names(&app, "q=%D0%B5%D0%BB%D0%BA%D0%B0").await,
        vec!["Ёлка Лаб"]
    );
    // Pattern characters are matched literally.
    assert_eq!(list_names(&app, "q=%25").await, Vec::<String>::new());
    let page = json_with_status(app.get("/v1/vendors?category=reagents").await, 200).await;
    for item in page["items"].as_array().unwrap() {
        assert!(item["categories"]
            .as_array()
            .unwrap()
            .contains(&json!("reagents")));
    }
}

async fn sort_by_name(backend: Backend) {
    let app = spawn_app(backend).await;
    for name in ["Mindray", "Abbott", "Sysmex", "Beckman Coulter", "Roche"] {
        app.create_vendor(name, "US").await;
    }
    let ascending = json_with_status(app.get("/v1/vendors?sort=name").await, 200).await;
    assert_eq!(
        names(&ascending),
        vec!["Abbott", "Beckman Coulter", "Mindray", "Roche", "Sysmex"]
    );
    let descending = json_with_status(app.get("/v1/vendors?sort=-name").await, 200).await;
    assert_eq!(
        names(&descending),
        vec!["Sysmex", "Roche", "Mindray", "Beckman Coulter", "Abbott"]
    );
    // The default order is creation order.
    let default = json_with_status(app.get("/v1/vendors").await, 200).await;
    assert_eq!(
        names(&default),
        vec!["Mindray", "Abbott", "Sysmex", "Beckman Coulter", "Roche"]
    );
    assert_eq!(default["next_page_token"], Value::Null);
}

async fn paginate_across_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let all = ["Mindray", "Abbott", "Sysmex", "Beckman Coulter", "Roche"];
    for name in all {
        app.create(
            "/v1/vendors",
            json!({"name": name, "country_code": "US", "categories": ["reagents"]}),
        )
        .await;
    }
    for sort in ["created_at", "-created_at", "name", "-name", "updated_at"] {
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut path = format!("/v1/vendors?page_size=2&sort={sort}");
            if let Some(t) = &token {
                path.push_str(&format!("&page_token={t}"));
            }
            let page = json_with_status(app.get(&path).await, 200).await;
            let items = page["items"].as_array().unwrap();
            assert!(items.len() <= 2);
            for item in items {
                assert_eq!(item["categories"], json!(["reagents"]));
            }
            seen.extend(names(&page));
            pages += 1;
            match page["next_page_token"].as_str() {
                Some(next) => token = Some(next.to_owned()),
                None => break,
            }
        }
        assert_eq!(pages, 3, "{sort}");
        assert_eq!(seen.len(), all.len(), "{sort}: {seen:?}");
        let unique: HashSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), all.len(), "{sort}: {seen:?}");
        if sort == "name" {
            assert_eq!(
                seen,
                vec!["Abbott", "Beckman Coulter", "Mindray", "Roche", "Sysmex"]
            );
        }
        if sort == "-created_at" {
            let mut reversed = all.to_vec();
            reversed.reverse();
            assert_eq!(seen, reversed);
        }
    }
}
