//! Who may do what: every operation of the spec against every kind of caller, region scopes
//! and their escapes, and the life of an API key.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::common::{json_with_status, problem, spawn_app, spawn_app_with, Backend, TestApp};

backend_tests!(
    every_operation_answers_every_caller_as_its_role_says,
    a_scoped_editor_cannot_escape_its_regions,
    a_key_lives_is_used_and_is_revoked,
    an_expired_key_is_refused,
    credentials_are_checked_before_anything_else,
    public_reads_open_gets_only,
    two_instances_honour_keys_made_and_revoked_on_either,
);

/// The records every operation of the matrix is sent to: a country with two regions A and B;
/// in A a subregion, a laboratory, a localization and an equipment unit; a vendor, an
/// organization, an equipment model and a key.
struct Fixture {
    region_a: String,
    region_b: String,
    ids: BTreeMap<&'static str, String>,
}

async fn fixture(app: &TestApp, index: usize) -> Fixture {
    let code = ["KZ", "RU", "DE", "FR", "IT", "ES", "PL", "CZ", "AT", "BE"][index];
    let tag = index.to_string();
    let country = app.create_country(code, "Country").await;
    let a = app
        .create_region(&country, &format!("{code}-AA"), "A", "region")
        .await;
    let b = app
        .create_region(&country, &format!("{code}-BB"), "B", "region")
        .await;
    let sub = app
        .create_region(&a, &format!("{code}-AA1"), "A1", "municipality")
        .await;
    let lab = app
        .create_laboratory(&a, &format!("LAB-{tag}"), json!({}))
        .await;
    let vendor = app.create_vendor(&format!("Vendor {tag}"), "DE").await;
    // The localization's own vendor: the matrix's vendor is referenced by nothing.
    let supplier = app.create_vendor(&format!("Supplier {tag}"), "DE").await;
    let localization = app
        .create(
            "/v1/localizations",
            json!({"vendor_id": supplier["id"], "country_code": country["country_code"],
                "region_id": a["id"], "scope": ["reagents"]}),
        )
        .await;
    let organization = app
        .create(
            "/v1/organizations",
            json!({"name": format!("Org {tag}"), "kind": "operator", "country_code": "KZ"}),
        )
        .await;
    // The model's own vendor, so that the matrix's vendor stays referenced by nothing.
    let maker = app.create_vendor(&format!("Maker {tag}"), "DE").await;
    let model = app
        .create(
            "/v1/equipment-models",
            json!({"vendor_id": maker["id"], "name": "Analyzer", "model_code": format!("M-{tag}"),
                "category": "hematology_analyzer"}),
        )
        .await;
    // A unit of its own model on a laboratory of its own, so that the matrix's model and
    // laboratory stay referenced by nothing.
    let unit_lab = app
        .create_laboratory(&a, &format!("UNIT-LAB-{tag}"), json!({}))
        .await;
    let unit_model = app
        .create(
            "/v1/equipment-models",
            json!({"vendor_id": maker["id"], "name": "Analyzer", "model_code": format!("U-{tag}"),
                "category": "hematology_analyzer"}),
        )
        .await;
    let unit = app
        .create(
            "/v1/equipment-units",
            json!({"equipment_model_id": unit_model["id"], "laboratory_id": unit_lab["id"],
                "serial_number": format!("SN-{tag}")}),
        )
        .await;
    let certificate = app
        .create(
            "/v1/registration-certificates",
            json!({"equipment_model_id": unit_model["id"], "country_code": "RU",
                "issuing_authority": "Authority", "number": format!("C-{tag}"), "issued_on": "2024-01-01"}),
        )
        .await;
    let agreement = app
        .create(
            "/v1/recognition-agreements",
            json!({"recognizing_country_code": "SY", "recognized_country_code": "RU", "mutual": false,
                "scope": "both", "in_force_from": "2026-07-01", "title": format!("Agreement {tag}"),
                "source": "ref"}),
        )
        .await;
    let key = app
        .create(
            "/v1/api-keys",
            json!({"name": format!("k-{tag}"), "role": "reader"}),
        )
        .await;
    let id = |v: &Value| v["id"].as_str().unwrap().to_owned();
    Fixture {
        region_a: id(&a),
        region_b: id(&b),
        ids: BTreeMap::from([
            ("regions", id(&sub)),
            ("laboratories", id(&lab)),
            ("vendors", id(&vendor)),
            ("localizations", id(&localization)),
            ("organizations", id(&organization)),
            ("equipment-models", id(&model)),
            ("equipment-units", id(&unit)),
            ("registration-certificates", id(&certificate)),
            ("recognition-agreements", id(&agreement)),
            ("api-keys", id(&key)),
        ]),
    }
}

/// Where a record lies, for the scoped editors: in region A, or in no region.
fn regional(collection: &str) -> bool {
    matches!(
        collection,
        "regions" | "laboratories" | "localizations" | "equipment-units"
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Anonymous,
    BadToken,
    Revoked,
    Expired,
    Reader,
    Editor,
    EditorInside,
    EditorOutside,
    Admin,
}

/// What the matrix expects: an exact status, or "let through" (anything but 401 and 403:
/// the operation itself then answers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expected {
    Status(u16),
    LetThrough,
}

fn expected(caller: Caller, role: &str, method: &str, collection: &str, has_id: bool) -> Expected {
    use Caller::*;
    use Expected::*;
    match caller {
        Anonymous | BadToken | Revoked | Expired => Status(401),
        Admin => LetThrough,
        Reader => match role {
            "reader" => LetThrough,
            _ => Status(403),
        },
        Editor | EditorInside | EditorOutside => match role {
            "reader" => LetThrough,
            "admin" => Status(403),
            _ if caller == Editor => LetThrough,
            // A body is checked before the rows it touches: `{}` is refused as invalid.
            _ if method == "post" => Status(422),
            _ if !has_id => LetThrough,
            _ if !regional(collection) => Status(403),
            _ if caller == EditorInside => LetThrough,
            _ => Status(403),
        },
    }
}

/// Every operation of the served spec × every kind of caller → the status its `security`
/// says. Reads the operations from the spec, so a new operation is in the matrix at once.
async fn every_operation_answers_every_caller_as_its_role_says(backend: Backend) {
    let app = spawn_app(backend).await;
    let spec: Value = app.get("/openapi.json").await.json().await.unwrap();
    let mut operations: Vec<(String, String, String)> = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        if !path.starts_with("/v1/") {
            continue;
        }
        for (method, operation) in item.as_object().unwrap() {
            let Some(requirements) = operation["security"].as_array() else {
                panic!("{method} {path} declares no security");
            };
            let roles = requirements[0]["bearer"].as_array().unwrap();
            assert_eq!(roles.len(), 1, "{method} {path}: one role");
            operations.push((
                path.clone(),
                method.clone(),
                roles[0].as_str().unwrap().to_owned(),
            ));
        }
    }
    // Deletes last, so each runs on a record the others left in place.
    operations.sort_by_key(|(path, method, _)| (method == "delete", path.clone()));
    assert!(operations.len() >= 30, "{}", operations.len());

    let callers = [
        Caller::Anonymous,
        Caller::BadToken,
        Caller::Revoked,
        Caller::Expired,
        Caller::Reader,
        Caller::Editor,
        Caller::EditorInside,
        Caller::EditorOutside,
        Caller::Admin,
    ];
    for (index, caller) in callers.into_iter().enumerate() {
        let fixture = fixture(&app, index).await;
        let key: Option<String> = match caller {
            Caller::Anonymous => None,
            Caller::BadToken => Some("not-a-key-or-token".to_owned()),
            Caller::Revoked => {
                let key = app.key("admin", None).await;
                let listed: Value = app
                    .get("/v1/api-keys?page_size=500")
                    .await
                    .json()
                    .await
                    .unwrap();
                let id = listed["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|k| key.starts_with(k["prefix"].as_str().unwrap()))
                    .unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                let revoked = app.delete(&format!("/v1/api-keys/{id}")).await;
                assert_eq!(revoked.status(), 204);
                Some(key)
            }
            Caller::Expired => Some(expired_key(&app).await),
            Caller::Reader => Some(app.key("reader", None).await),
            Caller::Editor => Some(app.key("editor", None).await),
            Caller::EditorInside => Some(app.key("editor", Some(vec![&fixture.region_a])).await),
            Caller::EditorOutside => Some(app.key("editor", Some(vec![&fixture.region_b])).await),
            Caller::Admin => Some(app.key("admin", None).await),
        };
        for (path, method, role) in &operations {
            let collection = path.trim_start_matches("/v1/").split('/').next().unwrap();
            let has_id = path.contains("{id}");
            let target = if has_id {
                let id = fixture
                    .ids
                    .get(collection)
                    .unwrap_or_else(|| panic!("no record to send {method} {path} to"));
                path.replace("{id}", id)
            } else {
                path.clone()
            };
            let http_method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let body = matches!(method.as_str(), "post" | "patch").then(|| json!({}));
            let response = app
                .request_as(key.as_deref(), http_method, &target, body.as_ref())
                .await;
            let status = response.status().as_u16();
            let want = expected(caller, role, method, collection, has_id);
            match want {
                Expected::Status(want) => {
                    assert_eq!(status, want, "{caller:?} {method} {path} (needs {role})");
                    let body = problem(response, want).await;
                    if want == 403 && caller == Caller::Reader {
                        assert_eq!(body["required_role"], role.as_str(), "{method} {path}");
                    }
                }
                Expected::LetThrough => assert!(
                    status != 401 && status != 403,
                    "{caller:?} {method} {path} (needs {role}) got {status}"
                ),
            }
        }
    }
}

/// A key that expired a moment ago.
async fn expired_key(app: &TestApp) -> String {
    let soon = chrono::Utc::now() + chrono::Duration::milliseconds(1500);
    let created = app
        .create(
            "/v1/api-keys",
            json!({"name": "short-lived", "role": "admin", "expires_at": soon.to_rfc3339()}),
        )
        .await;
    let key = created["key"].as_str().unwrap().to_owned();
    let works = app
        .request_as(Some(&key), Method::GET, "/v1/regions", None)
        .await;
    assert_eq!(works.status(), 200, "before it expires");
    tokio::time::sleep(std::time::Duration::from_millis(1700)).await;
    key
}

async fn an_expired_key_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = expired_key(&app).await;
    let response = app
        .request_as(Some(&key), Method::GET, "/v1/regions", None)
        .await;
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.contains("invalid_token"), "{challenge}");
    let refused = problem(response, 401).await;
    assert_eq!(refused["type"], "/problems/unauthorized");
    assert!(
        refused["detail"].as_str().unwrap().contains("expired"),
        "{refused}"
    );
    let listed: Value = app
        .get("/v1/api-keys?status=expired")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
}

/// A scoped editor's attempts to leave its regions are refused with 403, and nothing of
/// them is written.
async fn a_scoped_editor_cannot_escape_its_regions(backend: Backend) {
    let app = spawn_app(backend).await;
    let country = app.create_country("KZ", "Kazakhstan").await;
    let inside = app
        .create_region(&country, "KZ-AKT", "Aktobe", "region")
        .await;
    let outside = app
        .create_region(&country, "KZ-ALA", "Almaty", "region")
        .await;
    let town = app
        .create_region(&inside, "KZ-AKT-1", "Town", "municipality")
        .await;
    let lab = app.create_laboratory(&inside, "AKT-001", json!({})).await;
    let foreign_hub = app.create_laboratory(&outside, "ALA-001", json!({})).await;
    let key = app
        .key("editor", Some(vec![inside["id"].as_str().unwrap()]))
        .await;
    let as_editor = |method: Method, path: String, body: Value| {
        let key = key.clone();
        let app = &app;
        async move { app.request_as(Some(&key), method, &path, Some(&body)).await }
    };
    let lab_path = format!("/v1/laboratories/{}", lab["id"].as_str().unwrap());
    let town_path = format!("/v1/regions/{}", town["id"].as_str().unwrap());

    // Inside its region it writes.
    let renamed = as_editor(Method::PATCH, lab_path.clone(), json!({"name": "Renamed"})).await;
    assert_eq!(renamed.status(), 200);

    let escapes = [
        (
            Method::PATCH,
            lab_path.clone(),
            json!({"region_id": outside["id"]}),
        ),
        (
            Method::PATCH,
            town_path.clone(),
            json!({"parent_id": outside["id"]}),
        ),
        (
            Method::PATCH,
            lab_path.clone(),
            json!({"parent_id": foreign_hub["id"]}),
        ),
        (
            Method::POST,
            "/v1/laboratories".to_owned(),
            json!({"region_id": outside["id"], "code": "ALA-002", "name": "New", "kind": "branch"}),
        ),
        (
            Method::POST,
            "/v1/vendors".to_owned(),
            json!({"name": "Vendor", "country_code": "DE", "categories": []}),
        ),
    ];
    let labs_before = app.count_rows("laboratories").await;
    let events_before = app.count_rows("audit_events").await;
    for (method, path, body) in escapes {
        let response = as_editor(method.clone(), path.clone(), body.clone()).await;
        let refused = problem(response, 403).await;
        assert_eq!(
            refused["type"], "/problems/forbidden",
            "{method} {path} {body}"
        );
        assert!(refused["outside_regions"].is_array(), "{refused}");
    }
    assert_eq!(app.count_rows("laboratories").await, labs_before);
    assert_eq!(app.count_rows("vendors").await, 0);
    assert_eq!(app.count_rows("audit_events").await, events_before);
    let stored = json_with_status(app.get(&lab_path).await, 200).await;
    assert_eq!(stored["region_id"], inside["id"]);
    assert_eq!(stored["parent_id"], Value::Null);
    assert_eq!(stored["name"], "Renamed");
    let stored_town = json_with_status(app.get(&town_path).await, 200).await;
    assert_eq!(stored_town["parent_id"], inside["id"]);
    // The vendor refusal names no region: it needs `global` scope.
    let vendor = as_editor(
        Method::POST,
        "/v1/vendors".to_owned(),
        json!({"name": "Vendor", "country_code": "DE", "categories": []}),
    )
    .await;
    assert_eq!(problem(vendor, 403).await["outside_regions"], json!([]));
    // With global scope the same editor may write a vendor.
    let global = app
        .key(
            "editor",
            Some(vec![inside["id"].as_str().unwrap(), "global"]),
        )
        .await;
    let vendor = app
        .request_as(
            Some(&global),
            Method::POST,
            "/v1/vendors",
            Some(&json!({"name": "Vendor", "country_code": "DE", "categories": []})),
        )
        .await;
    assert_eq!(vendor.status(), 201);
}

async fn a_key_lives_is_used_and_is_revoked(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = app
        .post(
            "/v1/api-keys",
            &json!({"name": "ops-reader", "role": "reader"}),
        )
        .await;
    assert_eq!(created.headers()["cache-control"], "no-store");
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let created = json_with_status(created, 201).await;
    let key = created["key"].as_str().unwrap().to_owned();
    assert!(
        key.starts_with(created["prefix"].as_str().unwrap()),
        "{created}"
    );
    assert_eq!(created["status"], "active");
    assert_eq!(created["regions"], Value::Null);
    // Only the hash is stored.
    let stored = app.db_texts("SELECT key_hash AS value FROM api_keys").await;
    assert!(stored
        .iter()
        .all(|hash| !hash.contains(&key) && hash.len() == 64));
    let read = json_with_status(app.get(&location).await, 200).await;
    assert!(read.get("key").is_none(), "{read}");
    assert_eq!(read["last_used_at"], Value::Null);

    let used = app
        .request_as(Some(&key), Method::GET, "/v1/regions", None)
        .await;
    assert_eq!(used.status(), 200);
    let write = app
        .request_as(Some(&key), Method::POST, "/v1/vendors", Some(&json!({})))
        .await;
    assert_eq!(problem(write, 403).await["required_role"], "editor");
    let mut last_used = Value::Null;
    for _ in 0..50 {
        last_used = json_with_status(app.get(&location).await, 200).await["last_used_at"].clone();
        if !last_used.is_null() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(last_used.is_string(), "last use noted");

    let revoked = app.delete(&location).await;
    assert_eq!(revoked.status(), 204);
    let refused = app
        .request_as(Some(&key), Method::GET, "/v1/regions", None)
        .await;
    assert!(problem(refused, 401).await["detail"]
        .as_str()
        .unwrap()
        .contains("revoked"));
    let read = json_with_status(app.get(&location).await, 200).await;
    assert_eq!(read["status"], "revoked");
    assert!(read["revoked_at"].is_string());
    // Revoking again changes nothing.
    assert_eq!(app.delete(&location).await.status(), 204);
    assert_eq!(
        json_with_status(app.get(&location).await, 200).await["version"],
        read["version"]
    );
    // The key's create and revocation are in the audit trail, without the secret.
    let events = app
        .db_texts("SELECT action || ' ' || changes AS value FROM audit_events WHERE resource_type = 'api_key' ORDER BY seq")
        .await;
    let mine: Vec<&String> = events
        .iter()
        .filter(|e| e.contains("ops-reader") || e.starts_with("revoke"))
        .collect();
    assert!(mine.iter().any(|e| e.starts_with("create ")), "{events:?}");
    assert!(mine.iter().any(|e| e.starts_with("revoke ")), "{events:?}");
    assert!(events.iter().all(|e| !e.contains(&key)));

    // Bad requests name their field.
    let bad = app
        .post(
            "/v1/api-keys",
            &json!({"name": " ", "role": "admin", "regions": [uuid::Uuid::now_v7()]}),
        )
        .await;
    let bad = problem(bad, 422).await;
    let fields = crate::common::error_fields(&bad);
    assert!(
        fields.contains(&"name") && fields.contains(&"regions"),
        "{bad}"
    );
}

/// Refused credentials get 401 with the bearer challenge wherever they are sent, before the
/// path's own answer (404) or the body's (422).
async fn credentials_are_checked_before_anything_else(backend: Backend) {
    let app = spawn_app(backend).await;
    let missing = app
        .request_as(None, Method::POST, "/v1/vendors", Some(&json!({"x": 1})))
        .await;
    assert_eq!(
        missing.headers()["www-authenticate"],
        "Bearer realm=\"labnet\""
    );
    let missing = problem(missing, 401).await;
    assert_eq!(missing["type"], "/problems/unauthorized");
    for bad in ["Basic abc", "Bearer", "Bearer lnk_short"] {
        let response = reqwest::Client::new()
            .get(app.url(&format!("/v1/vendors/{}", uuid::Uuid::now_v7())))
            .header("authorization", bad)
            .send()
            .await
            .unwrap();
        assert!(response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token"));
        problem(response, 401).await;
    }
    // Operations endpoints need no credentials.
    assert_eq!(
        app.request_as(None, Method::GET, "/healthz", None)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.request_as(None, Method::GET, "/openapi.json", None)
            .await
            .status(),
        200
    );
}

async fn public_reads_open_gets_only(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.public_read = true).await;
    let read = app.request_as(None, Method::GET, "/v1/regions", None).await;
    assert_eq!(read.status(), 200);
    let write = app
        .request_as(
            None,
            Method::POST,
            "/v1/vendors",
            Some(&json!({"name": "V", "country_code": "DE", "categories": []})),
        )
        .await;
    problem(write, 401).await;
    let keys = app
        .request_as(None, Method::GET, "/v1/api-keys", None)
        .await;
    problem(keys, 401).await;
}

/// Two instances on one database: a key made through one works on the other at once, and
/// one revoked through either stops working on the other within `LABNET_KEY_CACHE_SECONDS`.
async fn two_instances_honour_keys_made_and_revoked_on_either(backend: Backend) {
    let first = spawn_app(backend).await;
    {
        let second = first.spawn_second().await;
        let created = first
            .post(
                "/v1/api-keys",
                &json!({"name": "shared-editor", "role": "editor"}),
            )
            .await;
        let location = created.headers()["location"].to_str().unwrap().to_owned();
        let key = json_with_status(created, 201).await["key"]
            .as_str()
            .unwrap()
            .to_owned();
        let on_second = second
            .request_as(Some(&key), Method::GET, "/v1/regions", None)
            .await;
        assert_eq!(on_second.status(), 200);
        let write = second
            .request_as(
                Some(&key),
                Method::POST,
                "/v1/vendors",
                Some(&json!({"name": "Shared", "country_code": "DE", "categories": []})),
            )
            .await;
        json_with_status(write, 201).await;

        // Revoked through the second; the first read the key before and cached it.
        let on_first = first
            .request_as(Some(&key), Method::GET, "/v1/regions", None)
            .await;
        assert_eq!(on_first.status(), 200);
        assert_eq!(second.delete(&location).await.status(), 204);
        let refused = second
            .request_as(Some(&key), Method::GET, "/v1/regions", None)
            .await;
        problem(refused, 401).await;
        let cache =
            std::time::Duration::from_secs(labnet::config::Settings::default().key_cache_seconds);
        let started = std::time::Instant::now();
        let mut status = 200;
        while started.elapsed() < cache + std::time::Duration::from_secs(3) {
            status = first
                .request_as(Some(&key), Method::GET, "/v1/regions", None)
                .await
                .status()
                .as_u16();
            if status == 401 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(status, 401, "the revocation reached the first instance");
        // No write through the first slipped in with the revoked key.
        let write = first
            .request_as(
                Some(&key),
                Method::POST,
                "/v1/vendors",
                Some(&json!({"name": "Late", "country_code": "DE", "categories": []})),
            )
            .await;
        problem(write, 401).await;
        assert!(first
            .db_texts("SELECT name AS value FROM vendors")
            .await
            .iter()
            .all(|name| name != "Late"));
    }
}
