//! What the resource kit gives every resource: references declared beside the referring
//! resource, list parameters that take repeated keys, and a spec derived from the same
//! declarations.

use serde_json::{json, Value};

use crate::backend_tests;
use crate::common::{error_fields, json_with_status, problem, spawn_app, Backend};

backend_tests!(
    a_refused_delete_names_every_referring_collection,
    array_filters_take_repeated_keys_and_commas,
    single_valued_parameters_refuse_repeats,
    error_lists_are_bounded_and_speak_api_values,
    long_input_is_not_echoed_whole,
    racing_unconditional_writes_all_go_through,
    dates_outside_the_recorded_years_are_refused,
    compressed_or_non_utf8_bodies_are_415,
    invisible_and_control_characters_are_not_stored,
    merge_patch_merges_nested_objects,
    a_region_keeps_its_country_while_others_refer_to_it,
);

fn codes(page: &Value) -> Vec<String> {
    let mut codes: Vec<String> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["code"].as_str().expect("code").to_owned())
        .collect();
    codes.sort();
    codes
}

async fn a_refused_delete_names_every_referring_collection(backend: Backend) {
    let app = spawn_app(backend).await;
    let ru = app.create_country("RU", "Россия").await;
    let kgn = app
        .create_region(&ru, "RU-KGN", "Курганская область", "region")
        .await;
    app.create_region(&kgn, "RU-KGN-SHD", "Шадринск", "municipality")
        .await;
    app.create_laboratory(&kgn, "KGN-1", json!({})).await;
    let vendor = app.create_vendor("Mindray", "CN").await;
    app.create(
        "/v1/localizations",
        json!({"vendor_id": vendor["id"], "country_code": "RU", "region_id": kgn["id"],
            "scope": ["reagents"]}),
    )
    .await;

    // Regions are referred to by three resources, each declared beside itself.
    let path = format!("/v1/regions/{}", kgn["id"].as_str().unwrap());
    let refused = problem(app.delete(&path).await, 409).await;
    assert_eq!(refused["type"], "/problems/still-referenced");
    assert_eq!(
        refused["referenced_by"],
        json!(["laboratories (1)", "localizations (1)", "regions (1)"])
    );
    assert_eq!(app.count_rows("regions").await, 3);

    let path = format!("/v1/vendors/{}", vendor["id"].as_str().unwrap());
    let refused = problem(app.delete(&path).await, 409).await;
    assert_eq!(refused["referenced_by"], json!(["localizations (1)"]));
    assert_eq!(app.count_rows("vendors").await, 1);
}

async fn array_filters_take_repeated_keys_and_commas(backend: Backend) {
    let app = spawn_app(backend).await;
    let ru = app.create_country("RU", "Россия").await;
    for (code, status) in [
        ("L-1", "planned"),
        ("L-2", "under_construction"),
        ("L-3", "operational"),
    ] {
        app.create_laboratory(&ru, code, json!({"status": status}))
            .await;
    }
    let both = ["L-1", "L-3"];
    for query in [
        "status=planned&status=operational",
        "status=planned,operational",
        "status=planned&status=operational,planned",
    ] {
        let page = json_with_status(app.get(&format!("/v1/laboratories?{query}")).await, 200).await;
        assert_eq!(codes(&page), both, "{query}");
    }
    // Each repeated value is checked like a comma-separated one.
    let refused = problem(
        app.get("/v1/laboratories?status=planned&status=open").await,
        400,
    )
    .await;
    assert_eq!(refused["errors"][0]["field"], "status");
    assert_eq!(refused["errors"][0]["code"], "invalid");
    // Repeated codes on regions, and countries on vendors.
    let page = json_with_status(app.get("/v1/regions?code=RU&code=RU-XX").await, 200).await;
    assert_eq!(codes(&page), ["RU"]);
    app.create_vendor("Mindray", "CN").await;
    app.create_vendor("Canon", "JP").await;
    app.create_vendor("Philips", "NL").await;
    let page = json_with_status(
        app.get("/v1/vendors?country_code=CN&country_code=JP&sort=name")
            .await,
        200,
    )
    .await;
    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Canon", "Mindray"]);
}

async fn single_valued_parameters_refuse_repeats(backend: Backend) {
    let app = spawn_app(backend).await;
    for query in [
        "sort=name&sort=code",
        "page_size=1&page_size=2",
        "q=a&q=b",
        "include_subregions=true&include_subregions=true",
    ] {
        let refused = problem(app.get(&format!("/v1/laboratories?{query}")).await, 400).await;
        let name = query.split('=').next().unwrap();
        assert_eq!(refused["errors"][0]["field"], name, "{query}");
        assert_eq!(
            refused["errors"][0]["code"], "duplicate_parameter",
            "{query}"
        );
    }
    // The history takes paging only.
    let refused = problem(
        app.get("/v1/localizations/0193a0f4-7a21-7c3d-9a10-2b3c4d5e6f80/history?sort=id")
            .await,
        400,
    )
    .await;
    assert_eq!(refused["errors"][0]["field"], "sort");
    assert_eq!(refused["errors"][0]["code"], "unknown_parameter");
}

/// The spec lists exactly the sorts each list accepts, from the same declaration.
#[test]
fn sort_parameters_list_the_declared_sorts() {
    let spec = serde_json::to_value(labnet::openapi::spec()).unwrap();
    for (path, fields) in [
        (
            "/v1/regions",
            vec!["name", "code", "created_at", "updated_at"],
        ),
        (
            "/v1/laboratories",
            vec![
                "name",
                "code",
                "created_at",
                "updated_at",
                "capacity_per_day",
            ],
        ),
        ("/v1/vendors", vec!["name", "created_at", "updated_at"]),
        ("/v1/localizations", vec!["created_at", "updated_at"]),
        (
            "/v1/regions/{id}/descendants",
            vec!["name", "code", "created_at", "updated_at"],
        ),
    ] {
        let parameters = spec["paths"][path]["get"]["parameters"].as_array().unwrap();
        let sort = parameters.iter().find(|p| p["name"] == "sort").unwrap();
        let mut expected: Vec<String> = fields
            .iter()
            .flat_map(|f| [f.to_string(), format!("-{f}")])
            .collect();
        if path == "/v1/laboratories" {
            // The order `near` gives, ascending only.
            expected.push("distance".to_owned());
        }
        assert_eq!(sort["schema"]["enum"], json!(expected), "{path}");
        // Array filters say they may be repeated: form style, exploded (the default).
        for parameter in parameters {
            if parameter["schema"]["type"] == "array" {
                assert_eq!(parameter["style"], "form", "{path} {parameter}");
                assert_ne!(parameter["explode"], json!(false), "{path} {parameter}");
            }
        }
    }
}

/// Every path `docs/adding-a-resource.md` names for its worked example exists.
#[test]
fn the_worked_example_is_true() {
    let root = env!("CARGO_MANIFEST_DIR");
    let page = std::fs::read_to_string(format!("{root}/docs/adding-a-resource.md")).unwrap();
    let mut named = 0;
    for span in page.split('`').skip(1).step_by(2) {
        let path = span.trim_end_matches('/');
        let is_path = ["src/", "migrations/", "tests/", "openapi/"]
            .iter()
            .any(|prefix| path.starts_with(prefix))
            && !path.contains(' ');
        if is_path {
            let path = path.split("::").next().unwrap();
            assert!(
                std::path::Path::new(root).join(path).exists(),
                "docs/adding-a-resource.md names {path}, which does not exist"
            );
            named += 1;
        }
    }
    assert!(named >= 12, "only {named} paths named");
    for backend in ["postgres", "sqlite"] {
        for file in ["up.sql", "down.sql"] {
            let path =
                format!("{root}/migrations/{backend}/2026-12-02-000010_organizations/{file}");
            assert!(std::path::Path::new(&path).exists(), "{path}");
        }
    }
}

/// A body with more invalid fields than one answer lists is answered with the first 50 and
/// a count; list duplicates are named by their API value.
async fn error_lists_are_bounded_and_speak_api_values(backend: Backend) {
    let app = spawn_app(backend).await;
    let ru = app.create_country("RU", "Россия").await;
    let disciplines = vec!["hematology"; 2000];
    let body = json!({"region_id": ru["id"], "code": "KGN-1", "name": "Lab", "kind": "central",
        "disciplines": disciplines});
    let refused = problem(app.post("/v1/laboratories", &body).await, 422).await;
    let errors = refused["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 51, "{refused}");
    assert_eq!(errors[0]["field"], "disciplines[1]");
    assert_eq!(errors[0]["code"], "duplicate");
    assert_eq!(errors[0]["message"], "`hematology` is listed twice");
    assert_eq!(errors[50]["code"], "too_many_errors");
    assert_eq!(errors[50]["field"], "body");
    assert_eq!(
        errors[50]["message"],
        "1949 more invalid fields are not listed"
    );
    assert_eq!(
        refused["detail"],
        "more than 50 fields are invalid; the first 50 are listed"
    );
    assert_eq!(app.count_rows("laboratories").await, 0);
}

/// A long path is not echoed whole: the detail repeats at most 100 characters of the id,
/// `instance` at most 2 000 of the path.
async fn long_input_is_not_echoed_whole(backend: Backend) {
    let app = spawn_app(backend).await;
    let long = "x".repeat(60_000);
    let path = format!("/v1/vendors/{long}");
    let response = app.get(&path).await;
    let text = response.text().await.unwrap();
    assert!(text.len() < 3_000, "{} bytes", text.len());
    let refused: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(refused["status"], 404);
    let detail = refused["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("`{}…`", "x".repeat(100))),
        "{detail}"
    );
    let instance = refused["instance"].as_str().unwrap();
    assert!(instance.starts_with("/v1/vendors/xxx") && instance.ends_with('…'));
    assert_eq!(instance.chars().count(), 2001);
}

/// Writes without `If-Match` racing each other all go through, the last one winning: a
/// 412 is only for a stale `If-Match`. Every write is counted in the version.
async fn racing_unconditional_writes_all_go_through(backend: Backend) {
    let app = spawn_app(backend).await;
    let vendor = app.create_vendor("Racing vendor", "CN").await;
    let path = format!("/v1/vendors/{}", vendor["id"].as_str().unwrap());
    let patches: Vec<_> = (0..40)
        .map(|n| {
            let body = json!({"website": format!("https://racing-{n}.example")});
            let path = path.clone();
            let app = &app;
            async move { app.patch(&path, &body).await.status().as_u16() }
        })
        .collect();
    let statuses = futures_util::future::join_all(patches).await;
    assert!(statuses.iter().all(|status| *status == 200), "{statuses:?}");
    let stored = json_with_status(app.get(&path).await, 200).await;
    assert_eq!(stored["version"], 41, "{stored}");
}

/// Dates outside the years 1900–2200 are refused everywhere, naming the field, the same on
/// both backends; nothing is written.
async fn dates_outside_the_recorded_years_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let ru = app.create_country("RU", "Россия").await;
    let refused = problem(
        app.post(
            "/v1/laboratories",
            &json!({"region_id": ru["id"], "code": "L-1", "name": "Lab", "kind": "central",
                "opened_on": "1899-12-31",
                "accreditation": {"standard": "ISO 15189", "certificate_number": "1",
                    "valid_until": "2201-01-01"}}),
        )
        .await,
        422,
    )
    .await;
    let fields = error_fields(&refused);
    assert!(fields.contains(&"opened_on"), "{refused}");
    assert!(fields.contains(&"accreditation.valid_until"), "{refused}");
    assert_eq!(app.count_rows("laboratories").await, 0);
    // A year of more than four digits is not a date as the spec's `format: date` has it.
    let refused = problem(
        app.post(
            "/v1/laboratories",
            &json!({"region_id": ru["id"], "code": "L-1", "name": "Lab", "kind": "central",
                "accreditation": {"standard": "ISO 15189", "certificate_number": "1",
                    "valid_until": "+10000-01-01"}}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(
        refused["errors"][0]["field"], "accreditation.valid_until",
        "{refused}"
    );
    assert_eq!(app.count_rows("laboratories").await, 0);
    let refused = problem(
        app.post(
            "/v1/laboratories",
            &json!({"region_id": ru["id"], "code": "L-1", "name": "Lab", "kind": "central",
                "opened_on": "2201-01-01"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(refused["errors"][0]["field"], "opened_on");
    assert_eq!(refused["errors"][0]["code"], "out_of_range");
    for on in ["1899-12-31", "2201-01-01"] {
        let refused = problem(
            app.get(&format!(
                "/v1/laboratories?accredited=true&accredited_on={on}"
            ))
            .await,
            400,
        )
        .await;
        assert_eq!(refused["errors"][0]["field"], "accredited_on");
        assert_eq!(refused["errors"][0]["code"], "out_of_range");
    }
    let page = json_with_status(
        app.get("/v1/laboratories?accredited=true&accredited_on=2200-12-31")
            .await,
        200,
    )
    .await;
    assert_eq!(page["items"], json!([]));
    let vendor = app.create_vendor("Dated vendor", "CN").await;
    let refused = problem(
        app.post(
            "/v1/localizations",
            &json!({"vendor_id": vendor["id"], "country_code": "RU", "scope": ["reagents"],
                "target_date": "1800-01-01", "stage_changed_on": "1850-06-01"}),
        )
        .await,
        422,
    )
    .await;
    let fields = error_fields(&refused);
    assert!(fields.contains(&"target_date"), "{refused}");
    assert!(fields.contains(&"stage_changed_on"), "{refused}");
    assert_eq!(app.count_rows("localizations").await, 0);
}

/// A gzip body or a body in another charset is refused with 415, not misread.
async fn compressed_or_non_utf8_bodies_are_415(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = json!({"name": "Encoded", "country_code": "CN"});
    for headers in [
        vec![
            ("content-type", "application/json"),
            ("content-encoding", "gzip"),
        ],
        vec![("content-type", "application/json; charset=iso-8859-1")],
        vec![("content-type", "application/json; charset=\"windows-1251\"")],
    ] {
        let refused = problem(
            app.request(reqwest::Method::POST, "/v1/vendors", Some(&body), &headers)
                .await,
            415,
        )
        .await;
        assert_eq!(
            refused["type"], "/problems/unsupported-media-type",
            "{headers:?}"
        );
    }
    assert_eq!(app.count_rows("vendors").await, 0);
    for (n, content_type) in [
        "application/json; charset=utf-8",
        "application/json; charset=UTF-8",
    ]
    .into_iter()
    .enumerate()
    {
        let response = app
            .request(
                reqwest::Method::POST,
                "/v1/vendors",
                Some(&json!({"name": format!("Vendor {n}"), "country_code": "CN"})),
                &[
                    ("content-type", content_type),
                    ("content-encoding", "identity"),
                ],
            )
            .await;
        assert_eq!(response.status(), 201, "{content_type}");
    }
}

/// Names are stored in NFC without invisible format characters, so they cannot slip past
/// uniqueness; a name of only such characters is blank; control characters are refused in
/// one-line texts and allowed as line breaks in notes.
async fn invisible_and_control_characters_are_not_stored(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = app.create_vendor("Acme", "CN").await;
    for name in [
        "Acme\u{200b}",
        "\u{200b}Acme",
        "Ac\u{ad}me",
        "\u{feff}Acme\u{2060}",
    ] {
        let refused = problem(
            app.post("/v1/vendors", &json!({"name": name, "country_code": "CN"}))
                .await,
            409,
        )
        .await;
        assert_eq!(refused["errors"][0]["field"], "name", "{name:?}");
    }
    assert_eq!(app.count_rows("vendors").await, 1);
    let refused = problem(
        app.post(
            "/v1/vendors",
            &json!({"name": "\u{200b}\u{200d}", "country_code": "CN"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(refused["errors"][0]["code"], "required");
    for name in ["Bell\u{7}", "Esc\u{1b}[31m", "Two\r\nLines", "Tab\tbed"] {
        let refused = problem(
            app.post("/v1/vendors", &json!({"name": name, "country_code": "CN"}))
                .await,
            422,
        )
        .await;
        assert_eq!(refused["errors"][0]["field"], "name", "{name:?}");
        assert_eq!(refused["errors"][0]["code"], "invalid", "{name:?}");
    }
    // Decomposed letters are stored composed (NFC).
    let composed = app
        .create(
            "/v1/vendors",
            json!({"name": "Cafe\u{301} Medical", "country_code": "FR"}),
        )
        .await;
    assert_eq!(composed["name"], "Caf\u{e9} Medical");
    // A stage change's note may span lines.
    let ru = app.create_country("RU", "Россия").await;
    let localization = app
        .create(
            "/v1/localizations",
            json!({"vendor_id": acme["id"], "country_code": "RU", "region_id": ru["id"],
                "scope": ["reagents"]}),
        )
        .await;
    let path = format!(
        "/v1/localizations/{}/stage-changes",
        localization["id"].as_str().unwrap()
    );
    let change = app
        .create(
            &path,
            json!({"stage": "negotiating", "note": "First line\nsecond line"}),
        )
        .await;
    assert_eq!(change["note"], "First line\nsecond line");
}

/// JSON Merge Patch (RFC 7396) merges a nested object member by member.
async fn merge_patch_merges_nested_objects(backend: Backend) {
    let app = spawn_app(backend).await;
    let ru = app.create_country("RU", "Россия").await;
    let accredited = app
        .create_laboratory(
            &ru,
            "ACC-1",
            json!({"accreditation": {"standard": "ISO 15189", "certificate_number": "RA.1",
                "valid_until": "2027-01-31"}}),
        )
        .await;
    let path = format!("/v1/laboratories/{}", accredited["id"].as_str().unwrap());
    let patched = json_with_status(
        app.patch(
            &path,
            &json!({"accreditation": {"valid_until": "2030-01-01"}}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        patched["accreditation"],
        json!({"standard": "ISO 15189", "certificate_number": "RA.1", "valid_until": "2030-01-01"})
    );
    // A member cannot be cleared; nothing changes.
    let refused = problem(
        app.patch(&path, &json!({"accreditation": {"standard": null}}))
            .await,
        422,
    )
    .await;
    assert_eq!(refused["errors"][0]["field"], "accreditation.standard");
    assert_eq!(json_with_status(app.get(&path).await, 200).await, patched);
    // Without an accreditation, a partial one names what is missing.
    let bare = app.create_laboratory(&ru, "ACC-2", json!({})).await;
    let path = format!("/v1/laboratories/{}", bare["id"].as_str().unwrap());
    let refused = problem(
        app.patch(
            &path,
            &json!({"accreditation": {"valid_until": "2030-01-01"}}),
        )
        .await,
        422,
    )
    .await;
    let fields = error_fields(&refused);
    assert_eq!(
        fields,
        ["accreditation.standard", "accreditation.certificate_number"]
    );
    // `null` still removes the whole accreditation.
    let path = format!("/v1/laboratories/{}", accredited["id"].as_str().unwrap());
    let removed =
        json_with_status(app.patch(&path, &json!({"accreditation": null})).await, 200).await;
    assert_eq!(removed["accreditation"], Value::Null);
}

/// A region's country cannot change under the laboratories and localizations in it: they
/// belong to that country. The 409 names them, and nothing changes.
async fn a_region_keeps_its_country_while_others_refer_to_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let ru = app.create_country("RU", "Россия").await;
    let kz = app.create_country("KZ", "Қазақстан").await;
    let region = app
        .create(
            "/v1/regions",
            json!({"code": "RU-X1", "name": "Borderland", "country_code": "RU", "level": "region"}),
        )
        .await;
    let path = format!("/v1/regions/{}", region["id"].as_str().unwrap());
    app.create_laboratory(&region, "B-1", json!({})).await;
    let refused = problem(
        app.patch(&path, &json!({"country_code": "KZ", "code": "KZ-X1"}))
            .await,
        409,
    )
    .await;
    assert_eq!(refused["type"], "/problems/still-referenced");
    assert_eq!(refused["referenced_by"], json!(["laboratories (1)"]));
    let stored = json_with_status(app.get(&path).await, 200).await;
    assert_eq!(stored["country_code"], "RU");
    assert_eq!(stored["version"], 1);
    // Without anything in it, the region may change country.
    let empty = app
        .create(
            "/v1/regions",
            json!({"code": "RU-X2", "name": "Empty", "country_code": "RU", "level": "region"}),
        )
        .await;
    let path = format!("/v1/regions/{}", empty["id"].as_str().unwrap());
    let moved = json_with_status(
        app.patch(&path, &json!({"country_code": "KZ", "code": "KZ-X2"}))
            .await,
        200,
    )
    .await;
    assert_eq!(moved["country_code"], "KZ");
    let _ = (ru, kz);
}
