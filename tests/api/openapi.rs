use serde_json::Value;

use crate::backend_tests;
use crate::common::{json_with_status, spawn_app, Backend};

const COMMITTED: &str = include_str!("../../openapi/openapi.json");

/// The committed spec is what the code generates; regenerate with
/// `cargo run -- openapi > openapi/openapi.json`.
#[test]
fn committed_spec_matches_the_code() {
    let generated = labnet::openapi::spec_json().unwrap();
    assert!(
        generated == COMMITTED,
        "openapi/openapi.json is out of date: run `cargo run -- openapi > openapi/openapi.json`"
    );
}

#[test]
fn every_operation_has_id_tag_summary_and_error_responses() {
    let spec: Value = serde_json::from_str(COMMITTED).unwrap();
    let mut operation_ids = std::collections::HashSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let id = operation["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            assert!(
                id.chars().next().unwrap().is_ascii_lowercase() && !id.contains('_'),
                "{id} is not lowerCamelCase"
            );
            assert!(
                operation_ids.insert(id.to_owned()),
                "duplicate operationId {id}"
            );
            assert!(
                operation["tags"].as_array().is_some_and(|t| t.len() == 1),
                "{id} needs one tag"
            );
            assert!(operation["summary"].is_string(), "{id} has no summary");
            if path.starts_with("/v1/") {
                let responses = operation["responses"].as_object().unwrap();
                assert!(
                    responses.contains_key("503") && responses.contains_key("500"),
                    "{id} lacks 503/500"
                );
                if path.contains("{id}") {
                    assert!(responses.contains_key("404"), "{id} lacks 404");
                }
                if method == "post" || method == "patch" {
                    for status in ["400", "413", "415", "422"] {
                        assert!(responses.contains_key(status), "{id} lacks {status}");
                    }
                }
                if method == "patch" || method == "delete" {
                    assert!(responses.contains_key("412"), "{id} lacks 412");
                }
            }
        }
    }
}

backend_tests!(served_spec_is_the_committed_one);

async fn served_spec_is_the_committed_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let served = json_with_status(app.get("/openapi.json").await, 200).await;
    let committed: Value = serde_json::from_str(COMMITTED).unwrap();
    assert_eq!(served, committed);
    let docs = app.get("/docs/").await;
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("swagger"));
}
