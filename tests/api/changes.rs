//! The change feed: every committed change exactly once, in an order that keeps each
//! record's versions increasing, with deletes as tombstones, long polling, and one
//! sequence for every instance on one PostgreSQL database.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::backend_tests;
use crate::common::{json_with_status, names_field, problem, spawn_app, Backend, TestApp};

backend_tests!(
    concurrent_writes_appear_once_in_order,
    deletes_are_tombstones,
    wait_returns_when_a_change_arrives,
    bad_parameters_are_refused,
    two_instances_read_one_sequence,
);

/// One read of the feed after `cursor`.
async fn read(app: &TestApp, cursor: &str, limit: u32) -> (Vec<Value>, String) {
    let path = if cursor.is_empty() {
        format!("/v1/changes?limit={limit}")
    } else {
        format!("/v1/changes?after={cursor}&limit={limit}")
    };
    let page = json_with_status(app.get(&path).await, 200).await;
    let next = page["next_cursor"]
        .as_str()
        .expect("next_cursor")
        .to_owned();
    (page["items"].as_array().unwrap().clone(), next)
}

/// Reads on from `cursor` until the feed has nothing more.
async fn drain(app: &TestApp, cursor: &mut String, into: &mut Vec<Value>) {
    loop {
        let (items, next) = read(app, cursor, 7).await;
        if items.is_empty() {
            assert_eq!(&next, cursor, "an empty read keeps the cursor");
            return;
        }
        assert_eq!(items.last().unwrap()["cursor"].as_str().unwrap(), next);
        into.extend(items);
        *cursor = next;
    }
}

/// Creates `count` vendors and renames each twice: three changes per vendor.
async fn write_vendors(app: &TestApp, writer: usize, count: usize) -> usize {
    for n in 0..count {
        let vendor = app
            .create_vendor(&format!("Vendor {writer}-{n}"), "CN")
            .await;
        let path = format!("/v1/vendors/{}", vendor["id"].as_str().unwrap());
        for round in 1..=2 {
            let renamed = app
                .patch(
                    &path,
                    &json!({"name": format!("Vendor {writer}-{n} r{round}")}),
                )
                .await;
            assert_eq!(renamed.status(), 200);
        }
    }
    count * 3
}

/// Every change once, and each record's versions increasing.
fn assert_once_in_order(items: &[Value]) {
    let mut seen = HashSet::new();
    let mut last_version: HashMap<String, i64> = HashMap::new();
    for item in items {
        let id = item["resource_id"].as_str().unwrap().to_owned();
        let version = item["version"].as_i64().unwrap();
        let action = item["action"].as_str().unwrap().to_owned();
        assert!(
            seen.insert((id.clone(), version, action)),
            "repeated change: {item}"
        );
        if let Some(previous) = last_version.get(&id) {
            assert!(
                version > *previous || (version == *previous && item["deleted"] == true),
                "versions out of order for {id}: {previous} then {version}"
            );
        }
        last_version.insert(id, version);
    }
    let cursors: HashSet<&str> = items
        .iter()
        .map(|i| i["cursor"].as_str().unwrap())
        .collect();
    assert_eq!(
        cursors.len(),
        items.len(),
        "every change has its own cursor"
    );
}

async fn in_feed_events(app: &TestApp) -> usize {
    app.db_texts("SELECT CAST(seq AS TEXT) AS value FROM audit_events WHERE in_feed")
        .await
        .len()
}

async fn concurrent_writes_appear_once_in_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut cursor = String::new();
    let mut items = Vec::new();
    let writing = std::cell::Cell::new(true);
    let reader = async {
        while writing.get() {
            let (page, next) = read(&app, &cursor, 5).await;
            items.extend(page);
            cursor = next;
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let writers = async {
        let counts = tokio::join!(
            write_vendors(&app, 1, 6),
            write_vendors(&app, 2, 6),
            write_vendors(&app, 3, 6),
            write_vendors(&app, 4, 6),
        );
        writing.set(false);
        counts.0 + counts.1 + counts.2 + counts.3
    };
    let ((), written) = tokio::join!(reader, writers);
    drain(&app, &mut cursor, &mut items).await;

    assert_eq!(written, 72);
    assert_eq!(items.len(), written, "every committed change, once");
    assert_eq!(in_feed_events(&app).await, written);
    assert_once_in_order(&items);
    for item in &items {
        assert_eq!(item["resource_type"], "vendor");
        assert_eq!(item["deleted"], false);
        assert_eq!(item["resource"]["id"], item["resource_id"]);
        assert_eq!(item["resource"]["version"], item["version"]);
    }
    // Every vendor's last change carries its final name.
    let last: HashMap<&str, &Value> = items
        .iter()
        .map(|i| (i["resource_id"].as_str().unwrap(), i))
        .collect();
    assert_eq!(last.len(), 24);
    assert!(last
        .values()
        .all(|i| i["version"] == 3 && i["resource"]["name"].as_str().unwrap().ends_with(" r2")));
    // The API keys' events stay out of the feed.
    assert!(items.iter().all(|i| i["resource_type"] != "api_key"));
}

async fn deletes_are_tombstones(backend: Backend) {
    let app = spawn_app(backend).await;
    let vendor = app.create_vendor("Mindray", "CN").await;
    let path = format!("/v1/vendors/{}", vendor["id"].as_str().unwrap());
    assert_eq!(app.delete(&path).await.status(), 204);
    let (items, next) = read(&app, "", 100).await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(items[0]["action"], "create");
    assert_eq!(items[0]["deleted"], false);
    assert_eq!(items[0]["resource"]["name"], "Mindray");
    assert_eq!(items[1]["action"], "delete");
    assert_eq!(items[1]["deleted"], true);
    assert!(items[1]["resource"].is_null());
    assert_eq!(items[1]["resource_id"], vendor["id"]);
    assert_eq!(items[1]["version"], 1);
    // Reading from an item's cursor resumes right after it.
    let first = items[0]["cursor"].as_str().unwrap();
    let (rest, _) = read(&app, first, 100).await;
    assert_eq!(rest, items[1..]);
    let (none, same) = read(&app, &next, 100).await;
    assert!(none.is_empty());
    assert_eq!(same, next);
}

async fn wait_returns_when_a_change_arrives(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, head) = read(&app, "", 100).await;

    // Nothing arrives: the read waits about `wait` seconds, then answers empty.
    let started = Instant::now();
    let (items, next) = read_waiting(&app, &head, 1).await;
    let waited = started.elapsed();
    assert!(items.is_empty());
    assert_eq!(next, head);
    assert!(waited >= Duration::from_millis(900), "{waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");

    // A write during the wait answers the read at once.
    let started = Instant::now();
    let write = async {
        actix_web::rt::time::sleep(Duration::from_millis(500)).await;
        app.create_vendor("Mindray", "CN").await
    };
    let (vendor, (items, _)) = tokio::join!(write, read_waiting(&app, &head, 20));
    let waited = started.elapsed();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["resource_id"], vendor["id"]);
    assert!(waited >= Duration::from_millis(400), "{waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
}

async fn read_waiting(app: &TestApp, cursor: &str, wait: u32) -> (Vec<Value>, String) {
    let page = json_with_status(
        app.get(&format!("/v1/changes?after={cursor}&wait={wait}"))
            .await,
        200,
    )
    .await;
    (
        page["items"].as_array().unwrap().clone(),
        page["next_cursor"].as_str().unwrap().to_owned(),
    )
}

async fn bad_parameters_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    for (query, field) in [
        ("after=not-a-cursor", "after"),
        ("after=ZjE6LTE", "after"),
        ("after=eHl6", "after"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("wait=31", "wait"),
        ("wait=-1", "wait"),
        ("limit=5&limit=6", "limit"),
        ("since=0", "since"),
    ] {
        let body = problem(app.get(&format!("/v1/changes?{query}")).await, 400).await;
        assert!(names_field(&body, field), "{query}: {body}");
    }
    let reader = app.key("reader", None).await;
    let answer = app
        .request_as(
            Some(&reader),
            reqwest::Method::GET,
            "/v1/changes?limit=1000",
            None,
        )
        .await;
    assert_eq!(answer.status(), 200);
    assert_eq!(
        app.request_as(None, reqwest::Method::GET, "/v1/changes", None)
            .await
            .status(),
        401
    );
}

async fn two_instances_read_one_sequence(backend: Backend) {
    if backend != Backend::Postgres {
        // SQLite is one file with one writer: one instance per database.
        return;
    }
    let first = spawn_app(backend).await;
    {
        let second = first.spawn_second().await;
        let mut seen_first = Vec::new();
        let mut cursor_first = String::new();
        let mut seen_second = Vec::new();
        let mut cursor_second = String::new();
        let writing = std::cell::Cell::new(true);
        let readers = async {
            while writing.get() {
                let (page, next) = read(&first, &cursor_first, 4).await;
                seen_first.extend(page);
                cursor_first = next;
                let (page, next) = read(&second, &cursor_second, 6).await;
                seen_second.extend(page);
                cursor_second = next;
            }
        };
        let writers = async {
            let counts = tokio::join!(
                write_vendors(&first, 1, 5),
                write_vendors(&second, 2, 5),
                write_vendors(&first, 3, 5),
                write_vendors(&second, 4, 5),
            );
            writing.set(false);
            counts.0 + counts.1 + counts.2 + counts.3
        };
        let ((), written) = tokio::join!(readers, writers);
        drain(&first, &mut cursor_first, &mut seen_first).await;
        drain(&second, &mut cursor_second, &mut seen_second).await;

        assert_eq!(
            seen_first.len(),
            written,
            "complete through the first instance"
        );
        assert_eq!(in_feed_events(&first).await, written);
        assert_once_in_order(&seen_first);
        assert_eq!(
            seen_first, seen_second,
            "one sequence through both instances"
        );
        assert_eq!(cursor_first, cursor_second);
    }
}
