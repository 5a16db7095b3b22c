//! The audit trail: each write's event (who, when, which request, each changed field), its
//! filters and paging, and that events can be neither changed nor deleted.

use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::common::{
    json_with_status, list_all, names_field, problem, spawn_app, Backend, TestApp,
};

backend_tests!(
    laboratory_trail_follows_each_write,
    audit_events_filter_and_page,
    trail_of_unknown_record_is_404,
    events_cannot_be_changed_or_deleted,
);

/// The id of the key `key` (its prefix is its first characters), read from the key list.
async fn key_id(app: &TestApp, key: &str) -> String {
    let keys = list_all(app, "/v1/api-keys", 10).await;
    keys.iter()
        .find(|k| key.starts_with(k["prefix"].as_str().unwrap()))
        .map(|k| k["id"].as_str().unwrap().to_owned())
        .expect("the key is listed")
}

fn change<'a>(event: &'a Value, field: &str) -> Option<&'a Value> {
    event["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["field"] == field)
}

async fn laboratory_trail_follows_each_write(backend: Backend) {
    let app = spawn_app(backend).await;
    let country = app.create_country("RU", "Россия").await;
    let editor = app.key("editor", None).await;
    let editor_id = key_id(&app, &editor).await;

    let body = json!({"region_id": country["id"], "code": "KRG-001", "name": "Kurgan hub", "kind": "central", "status": "planned"});
    let created = json_with_status(
        app.send_as(
            &editor,
            Method::POST,
            "/v1/laboratories",
            Some(&body),
            &[("x-request-id", "req-create-1")],
        )
        .await,
        201,
    )
    .await;
    let path = format!("/v1/laboratories/{}", created["id"].as_str().unwrap());
    let updated = json_with_status(
        app.send_as(
            &editor,
            Method::PATCH,
            &path,
            Some(&json!({"name": "Kurgan central hub"})),
            &[
                ("content-type", "application/merge-patch+json"),
                ("x-request-id", "req-update-2"),
            ],
        )
        .await,
        200,
    )
    .await;
    assert_eq!(updated["version"], 2);
    let deleted = app
        .send_as(
            &editor,
            Method::DELETE,
            &path,
            None,
            &[("x-request-id", "req-delete-3")],
        )
        .await;
    assert_eq!(deleted.status(), 204);

    let trail = json_with_status(app.get(&format!("{path}/audit")).await, 200).await;
    let events = trail["items"].as_array().unwrap();
    assert_eq!(events.len(), 3, "{trail}");
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["create", "update", "delete"]);
    let versions: Vec<i64> = events
        .iter()
        .map(|e| e["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [1, 2, 2]);
    let requests: Vec<&str> = events
        .iter()
        .map(|e| e["request_id"].as_str().unwrap())
        .collect();
    assert_eq!(requests, ["req-create-1", "req-update-2", "req-delete-3"]);
    for event in events {
        assert_eq!(event["actor"]["kind"], "api_key");
        assert_eq!(event["actor"]["id"], editor_id.as_str());
        assert_eq!(event["actor"]["name"], "test-editor");
        assert_eq!(event["resource_type"], "laboratory");
        assert_eq!(event["resource_id"], created["id"]);
    }
    // Create: every member from null; update: only the name; delete: every member to null.
    let name = change(&events[0], "name").unwrap();
    assert_eq!(
        (&name["old"], &name["new"]),
        (&Value::Null, &json!("Kurgan hub"))
    );
    assert_eq!(change(&events[0], "code").unwrap()["new"], "KRG-001");
    assert!(
        change(&events[0], "version").is_none(),
        "bookkeeping is not listed"
    );
    let changes = events[1]["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(
        changes[0],
        json!({"field": "name", "old": "Kurgan hub", "new": "Kurgan central hub"})
    );
    let name = change(&events[2], "name").unwrap();
    assert_eq!(
        (&name["old"], &name["new"]),
        (&json!("Kurgan central hub"), &Value::Null)
    );

    // The record is gone, its trail is not; paging walks the same events.
    assert_eq!(app.get(&path).await.status(), 404);
    let paged = list_all(&app, &format!("{path}/audit?page_size=1"), 5).await;
    assert_eq!(&paged, events);
    let bad = problem(
        app.get(&format!("{path}/audit?page_token=nonsense")).await,
        400,
    )
    .await;
    assert!(names_field(&bad, "page_token"), "{bad}");
}

async fn audit_events_filter_and_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let country = app.create_country("RU", "Россия").await;
    let vendor = app.create_vendor("Mindray", "CN").await;
    let editor = app.key("editor", None).await;
    let editor_id = key_id(&app, &editor).await;
    let lab = app.create_laboratory(&country, "KRG-001", json!({})).await;
    let lab_path = format!("/v1/laboratories/{}", lab["id"].as_str().unwrap());
    let patched = app
        .send_as(
            &editor,
            Method::PATCH,
            &lab_path,
            Some(&json!({"name": "Renamed"})),
            &[("content-type", "application/merge-patch+json")],
        )
        .await;
    assert_eq!(patched.status(), 200);

    // Newest first, across every type (the key made above included).
    let all = list_all(&app, "/v1/audit-events?page_size=2", 10).await;
    let described: Vec<(String, String)> = all
        .iter()
        .map(|e| {
            (
                e["resource_type"].as_str().unwrap().to_owned(),
                e["action"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("laboratory", "update"),
        ("laboratory", "create"),
        ("api_key", "create"),
        ("vendor", "create"),
        ("region", "create"),
    ]
    .iter()
    .map(|(t, a)| (t.to_string(), a.to_string()))
    .collect();
    // The admin key the harness made comes first of all, outside this list's tail.
    assert_eq!(&described[..5], &expected[..], "{all:?}");

    let only = |query: &str| {
        let app = &app;
        let query = query.to_owned();
        async move {
            json_with_status(app.get(&format!("/v1/audit-events?{query}")).await, 200).await
                ["items"]
                .as_array()
                .unwrap()
                .clone()
        }
    };
    let labs = only("resource_type=laboratory").await;
    assert_eq!(labs.len(), 2);
    let several = only("resource_type=vendor&resource_type=region").await;
    assert_eq!(several.len(), 2);
    assert_eq!(
        only("resource_type=vendor,region&action=update")
            .await
            .len(),
        0
    );
    let by_editor = only(&format!("actor_id={editor_id}")).await;
    assert_eq!(by_editor.len(), 1);
    assert_eq!(by_editor[0]["action"], "update");
    let of_vendor = only(&format!("resource_id={}", vendor["id"].as_str().unwrap())).await;
    assert_eq!(of_vendor.len(), 1);
    assert_eq!(of_vendor[0]["resource_type"], "vendor");
    let updates = only("action=update").await;
    assert_eq!(updates.len(), 1);
    let at = updates[0]["occurred_at"].as_str().unwrap().to_owned();
    let encoded = url::form_urlencoded::byte_serialize(at.as_bytes()).collect::<String>();
    assert_eq!(only(&format!("occurred_after={encoded}")).await.len(), 0);
    let before = only(&format!("occurred_before={encoded}")).await;
    assert_eq!(before.len(), all.len() - 1);
    assert!(before.iter().all(|e| e["action"] != "update"));
    assert_eq!(
        only("occurred_after=2000-01-01T00:00:00Z&occurred_before=2000-01-02T00:00:00Z")
            .await
            .len(),
        0
    );

    for (query, field) in [
        ("resource_type=planet", "resource_type"),
        ("action=erase", "action"),
        ("resource_id=42", "resource_id"),
        ("occurred_after=yesterday", "occurred_after"),
        ("colour=red", "colour"),
        ("page_size=0", "page_size"),
        ("sort=seq", "sort"),
    ] {
        let body = problem(app.get(&format!("/v1/audit-events?{query}")).await, 400).await;
        assert!(names_field(&body, field), "{query}: {body}");
    }

    // Any reader may read the trail; no credentials may not.
    let reader = app.key("reader", None).await;
    assert_eq!(
        app.request_as(Some(&reader), Method::GET, "/v1/audit-events", None)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.request_as(None, Method::GET, "/v1/audit-events", None)
            .await
            .status(),
        401
    );
}

async fn trail_of_unknown_record_is_404(backend: Backend) {
    let app = spawn_app(backend).await;
    for resource in [
        "regions",
        "laboratories",
        "vendors",
        "localizations",
        "organizations",
    ] {
        let path = format!("/v1/{resource}/0193a0f4-8b31-7c3d-9a10-2b3c4d5e6f71/audit");
        problem(app.get(&path).await, 404).await;
    }
    let vendor = app.create_vendor("Mindray", "CN").await;
    let trail = json_with_status(
        app.get(&format!(
            "/v1/vendors/{}/audit",
            vendor["id"].as_str().unwrap()
        ))
        .await,
        200,
    )
    .await;
    assert_eq!(trail["items"].as_array().unwrap().len(), 1);
    assert!(trail["next_page_token"].is_null());
    // A vendor's id is no laboratory's.
    let as_lab = format!("/v1/laboratories/{}/audit", vendor["id"].as_str().unwrap());
    problem(app.get(&as_lab).await, 404).await;
}

async fn events_cannot_be_changed_or_deleted(backend: Backend) {
    use diesel::RunQueryDsl;
    let app = spawn_app(backend).await;
    app.create_vendor("Mindray", "CN").await;
    let before = app.count_rows("audit_events").await;
    let pool = app.pool.clone();
    let outcomes = actix_web::web::block(move || {
        let mut conn = pool.get().expect("connection");
        [
            "UPDATE audit_events SET actor_id = 'someone else'",
            "UPDATE audit_events SET changes = '[]'",
            "DELETE FROM audit_events",
        ]
        .map(|sql| {
            diesel::sql_query(sql)
                .execute(&mut **conn)
                .map_err(|e| e.to_string())
        })
    })
    .await
    .unwrap();
    for outcome in &outcomes {
        let error = outcome.as_ref().expect_err("the statement is refused");
        assert!(error.contains("audit events cannot be"), "{error}");
    }
    assert_eq!(app.count_rows("audit_events").await, before);
    if backend == Backend::Postgres {
        // Reading the feed hands out positions; one cannot be handed out twice.
        json_with_status(app.get("/v1/changes").await, 200).await;
        let pool = app.pool.clone();
        let moved = actix_web::web::block(move || {
            let mut conn = pool.get().expect("connection");
            diesel::sql_query(
                "UPDATE audit_events SET position = position + 1000 WHERE position IS NOT NULL",
            )
            .execute(&mut **conn)
            .map_err(|e| e.to_string())
        })
        .await
        .unwrap();
        assert!(moved
            .expect_err("refused")
            .contains("audit events cannot be changed"));
    }
    let actors = app
        .db_texts("SELECT actor_id AS value FROM audit_events")
        .await;
    assert!(actors.iter().all(|a| a != "someone else"));
}

/// Every resource type written to the trail (an `audited!` declaration or an `Audited`
/// implementation in the sources) is one the trail's `resource_type` filter takes, and
/// every type it takes is written by something: a new resource cannot be left out.
#[test]
fn every_audited_resource_type_is_listed() {
    use std::collections::BTreeSet;
    let mut written = BTreeSet::new();
    for (_, text) in crate::problems::sources() {
        for marker in ["audited!(", "const RESOURCE_TYPE: &'static str = \""] {
            for (at, _) in text.match_indices(marker) {
                let rest = &text[at + marker.len()..];
                let rest = if marker.starts_with("audited") {
                    // `audited!(Type as "name", ...)`; the macro's own definition has none.
                    match rest.split_once(" as \"") {
                        Some((ty, name)) if !ty.contains(['$', '\n']) => name,
                        _ => continue,
                    }
                } else {
                    rest
                };
                if let Some((name, _)) = rest.split_once('"') {
                    written.insert(name.to_owned());
                }
            }
        }
    }
    let listed: BTreeSet<String> = labnet::audit::model::RESOURCE_TYPES
        .iter()
        .map(|name| (*name).to_owned())
        .collect();
    assert!(written.len() >= 10, "found {written:?}");
    assert_eq!(written, listed);
}
