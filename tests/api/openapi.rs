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

backend_tests!(
    served_spec_is_the_committed_one,
    served_spec_names_the_configured_public_url
);

async fn served_spec_is_the_committed_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let served = json_with_status(app.get("/openapi.json").await, 200).await;
    let committed: Value = serde_json::from_str(COMMITTED).unwrap();
    assert_eq!(served, committed);
    let docs = app.get("/docs/").await;
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("swagger"));
}

// ---- what the spec says about every operation, walked generically ----

/// The committed spec.
fn committed() -> Value {
    serde_json::from_str(COMMITTED).unwrap()
}

/// Every operation: (path, method, operation).
fn operations(spec: &Value) -> Vec<(String, String, Value)> {
    let mut found = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            found.push((path.clone(), method.clone(), operation.clone()));
        }
    }
    found
}

/// A response or a `$ref` to a shared one, resolved.
fn resolve<'a>(spec: &'a Value, response: &'a Value) -> &'a Value {
    match response["$ref"].as_str() {
        Some(reference) => {
            let name = reference
                .strip_prefix("#/components/responses/")
                .unwrap_or_else(|| panic!("unexpected $ref {reference}"));
            &spec["components"]["responses"][name]
        }
        None => response,
    }
}

/// The names in a schema's `enum`.
fn enum_names(schema: &Value) -> Vec<String> {
    schema["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("no enum in {schema}"))
        .iter()
        .map(|value| value.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn every_response_declares_x_request_id() {
    let spec = committed();
    let mut checked = 0;
    for (path, method, operation) in operations(&spec) {
        for (status, response) in operation["responses"].as_object().unwrap() {
            let header = &resolve(&spec, response)["headers"]["X-Request-Id"];
            assert_eq!(
                header["schema"]["$ref"], "#/components/schemas/RequestId",
                "{method} {path} {status} does not declare X-Request-Id"
            );
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} responses");
    for (name, response) in spec["components"]["responses"].as_object().unwrap() {
        assert!(
            response["headers"]["X-Request-Id"].is_object(),
            "{name} lacks X-Request-Id"
        );
    }
    let schema = &spec["components"]["schemas"]["RequestId"];
    assert_eq!(schema["type"], "string");
    assert_eq!(schema["maxLength"], 128);
}

#[test]
fn post_successes_declare_idempotent_replayed_and_nothing_else_does() {
    let spec = committed();
    let mut posts = 0;
    for (path, method, operation) in operations(&spec) {
        for (status, response) in operation["responses"].as_object().unwrap() {
            let header = &resolve(&spec, response)["headers"]["Idempotent-Replayed"];
            if method == "post" && status.starts_with('2') {
                assert_eq!(
                    header["schema"]["enum"],
                    serde_json::json!(["true"]),
                    "POST {path} {status}"
                );
                posts += 1;
            } else {
                assert!(
                    header.is_null(),
                    "{method} {path} {status} is never replayed"
                );
            }
        }
    }
    assert!(posts >= 6, "{posts} POST successes");
}

/// A resource's GET, a list's GET: each answers with an ETag, and 304 to `If-None-Match`.
#[test]
fn every_read_declares_etag_and_304() {
    let spec = committed();
    let mut reads = 0;
    for (path, method, operation) in operations(&spec) {
        // The change feed is read on from a cursor (and may wait), never revalidated.
        if method != "get" || !path.starts_with("/v1/") || path == "/v1/changes" {
            continue;
        }
        let responses = &operation["responses"];
        for status in ["200", "304"] {
            assert!(
                responses[status]["headers"]["ETag"].is_object(),
                "GET {path} {status} declares no ETag"
            );
        }
        let takes_if_none_match = operation["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|parameter| parameter["name"] == "If-None-Match" && parameter["in"] == "header");
        assert!(takes_if_none_match, "GET {path} takes no If-None-Match");
        reads += 1;
    }
    assert!(reads >= 13, "{reads} reads");
    let description = spec["info"]["description"].as_str().unwrap();
    assert!(
        description.contains("a list's is weak"),
        "the description says which responses carry which ETag: {description}"
    );
}

/// Every create links to every operation on what it created; an action below an item
/// (`POST /v1/x/{id}/changes`) links to the other operations on that item.
#[test]
fn every_create_links_to_the_operations_on_what_it_created() {
    let spec = committed();
    let all = operations(&spec);
    let operation_ids: std::collections::HashSet<String> = all
        .iter()
        .map(|(_, _, operation)| operation["operationId"].as_str().unwrap().to_owned())
        .collect();
    let mut creates = 0;
    for (path, method, operation) in &all {
        if method != "post" {
            continue;
        }
        let links = operation["responses"]["201"]["links"]
            .as_object()
            .unwrap_or_else(|| panic!("POST {path} has no links"));
        for (name, link) in links {
            let target = link["operationId"].as_str().unwrap();
            assert_eq!(name, target);
            assert!(operation_ids.contains(target), "{target} is no operation");
            assert!(link.get("operation_id").is_none(), "{link}");
        }
        let (item, source) = match path.find("/{id}") {
            Some(at) => (path[..at + 5].to_owned(), "$request.path.id"),
            None => (format!("{path}/{{id}}"), "$response.body#/id"),
        };
        let expected: Vec<&str> = all
            .iter()
            .filter(|(other, other_method, _)| {
                (other == &item || other.starts_with(&format!("{item}/")))
                    && !(other == path && other_method == "post")
            })
            .map(|(_, _, target)| target["operationId"].as_str().unwrap())
            .collect();
        assert!(!expected.is_empty(), "POST {path} has nothing to link to");
        if !path.contains('{') && path != "/v1/api-keys" {
            // A collection's create reaches get, update and delete of the new item (an API
            // key is only read and revoked).
            let methods: Vec<&str> = all
                .iter()
                .filter(|(other, _, _)| other == &item)
                .map(|(_, method, _)| method.as_str())
                .collect();
            for needed in ["get", "patch", "delete"] {
                assert!(methods.contains(&needed), "{item} has no {needed}");
            }
            creates += 1;
        }
        for target in expected {
            let link = &links
                .get(target)
                .unwrap_or_else(|| panic!("POST {path} does not link to {target}"));
            assert_eq!(link["parameters"]["id"], source, "POST {path} → {target}");
        }
    }
    assert_eq!(creates, 9, "every resource's create");
    let stage =
        &spec["paths"]["/v1/localizations/{id}/stage-changes"]["post"]["responses"]["201"]["links"];
    assert!(stage["listLocalizationHistory"].is_object(), "{stage}");
    let region = &spec["paths"]["/v1/regions"]["post"]["responses"]["201"]["links"];
    for target in ["listRegionAncestors", "listRegionDescendants", "getRegion"] {
        assert!(region[target].is_object(), "createRegion → {target}");
    }
}

/// The enumerations of `Problem` are the service's own tables.
#[test]
fn problem_enums_are_the_service_tables() {
    use labnet::core::error::{FieldCode, ProblemType};
    use labnet::equipment_units::model::EquipmentUnitStatus;
    use labnet::laboratories::model::LaboratoryStatus;
    use labnet::localizations::model::LocalizationStage;
    use labnet::registration_certificates::model::CertificateStatus;

    let spec = committed();
    let schemas = &spec["components"]["schemas"];
    let problem = &schemas["Problem"]["properties"];
    assert_eq!(problem["type"]["$ref"], "#/components/schemas/ProblemType");
    let types: Vec<&str> = ProblemType::ALL.iter().map(|p| p.uri).collect();
    assert_eq!(enum_names(&schemas["ProblemType"]), types);
    for required in [
        "/problems/duplicate",
        "/problems/still-referenced",
        "/problems/cycle",
        "/problems/conflict",
        "/problems/method-not-allowed",
        "/problems/cors-refused",
        "/problems/illegal-transition",
        "/problems/request-timeout",
    ] {
        assert!(types.contains(&required), "{required}");
    }

    assert_eq!(
        schemas["FieldError"]["properties"]["code"]["$ref"],
        "#/components/schemas/FieldCode"
    );
    let codes: Vec<&str> = FieldCode::ALL.iter().map(|c| c.name()).collect();
    assert_eq!(enum_names(&schemas["FieldCode"]), codes);
    let description = schemas["FieldCode"]["description"].as_str().unwrap();
    for code in &codes {
        assert!(
            description.contains(&format!("`{code}`")),
            "{code} unexplained"
        );
    }

    let mut states: Vec<String> = LaboratoryStatus::ALL
        .iter()
        .map(ToString::to_string)
        .chain(LocalizationStage::ALL.iter().map(ToString::to_string))
        .chain(EquipmentUnitStatus::ALL.iter().map(ToString::to_string))
        .chain(CertificateStatus::ALL.iter().map(ToString::to_string))
        .collect();
    states.sort();
    states.dedup();
    assert_eq!(enum_names(&schemas["StateName"]), states);
    // Left out when it does not apply, never null: optional and not nullable.
    let current = &problem["current_state"]["allOf"];
    assert_eq!(current.as_array().map(Vec::len), Some(1));
    assert_eq!(current[0]["$ref"], "#/components/schemas/StateName");
    for member in [
        "instance",
        "request_id",
        "allowed_transitions",
        "referenced_by",
    ] {
        assert!(
            !problem[member].to_string().contains("null"),
            "Problem.{member} is never sent as null: {}",
            problem[member]
        );
    }
    assert_eq!(
        problem["allowed_transitions"]["items"]["$ref"],
        "#/components/schemas/StateName"
    );
    assert!(problem["current_state"]["description"]
        .as_str()
        .unwrap()
        .contains("/problems/illegal-transition"));

    // The shared 409 shows each conflict type.
    let examples = &spec["components"]["responses"]["Conflict"]["content"]
        ["application/problem+json"]["examples"];
    for conflict in ProblemType::ALL.iter().filter(|p| p.status == 409) {
        assert_eq!(
            examples[conflict.name]["value"]["type"], conflict.uri,
            "no example of {}",
            conflict.uri
        );
    }
}

#[test]
fn problem_pages_are_documented() {
    use labnet::core::error::ProblemType;
    let spec = committed();
    let operation = &spec["paths"]["/problems/{name}"]["get"];
    assert_eq!(operation["operationId"], "getProblemType");
    let name = &operation["parameters"][0];
    assert_eq!(name["in"], "path");
    let names: Vec<&str> = ProblemType::ALL.iter().map(|p| p.name).collect();
    assert_eq!(enum_names(&name["schema"]), names);
    let content = &operation["responses"]["200"]["content"];
    assert!(content["text/html"].is_object(), "{content}");
    assert_eq!(
        content["application/json"]["schema"]["$ref"],
        "#/components/schemas/ProblemTypeDescription"
    );
    assert_eq!(
        operation["responses"]["404"]["$ref"],
        "#/components/responses/NotFound"
    );
}

/// Multi-valued filters are arrays sent as repeated keys, which generated clients send by
/// default; items of an enumerated field refer to its enum.
#[test]
fn array_filters_are_exploded_forms() {
    let spec = committed();
    let mut arrays = 0;
    for (path, _, operation) in operations(&spec) {
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            let schema = &parameter["schema"];
            if schema["type"] != "array" {
                continue;
            }
            let name = parameter["name"].as_str().unwrap();
            assert_eq!(parameter["in"], "query", "{path} {name}");
            assert_eq!(parameter["style"], "form", "{path} {name}");
            assert_eq!(parameter["explode"], true, "{path} {name}");
            let items = &schema["items"];
            match items["$ref"].as_str() {
                Some(reference) => {
                    let target = reference.trim_start_matches("#/components/schemas/");
                    let values = enum_names(&spec["components"]["schemas"][target]);
                    assert!(!values.is_empty(), "{path} {name}");
                }
                None => assert_eq!(items["type"], "string", "{path} {name}"),
            }
            arrays += 1;
        }
    }
    assert!(arrays >= 20, "{arrays} array filters");
    // The enumerated filters name their enum.
    let parameters = &spec["paths"]["/v1/laboratories"]["get"]["parameters"];
    let status = parameters
        .as_array()
        .unwrap()
        .iter()
        .find(|parameter| parameter["name"] == "status")
        .unwrap();
    assert_eq!(
        status["schema"]["items"]["$ref"],
        "#/components/schemas/LaboratoryStatus"
    );
    // Id filters take UUIDs (`parent_id` also takes `null`, so it stays a string).
    for (path, name) in [
        ("/v1/laboratories", "region_id"),
        ("/v1/localizations", "region_id"),
        ("/v1/localizations", "vendor_id"),
    ] {
        let parameter = spec["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|parameter| parameter["name"] == name)
            .unwrap()
            .clone();
        assert_eq!(
            parameter["schema"]["items"]["format"], "uuid",
            "{path} {name}"
        );
    }
}

/// What the server refuses, the parameters' schemas exclude, so that schema-valid requests
/// are accepted (what a fuzzer such as schemathesis checks).
#[test]
fn header_and_search_parameters_say_what_the_server_takes() {
    let spec = committed();
    for (path, method, operation) in operations(&spec) {
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            match parameter["name"].as_str().unwrap() {
                "Idempotency-Key" => {
                    assert_eq!(method, "post", "{path}");
                    assert_eq!(parameter["schema"]["pattern"], "^[!-~]{1,255}$", "{path}");
                }
                "q" => {
                    assert_eq!(parameter["schema"]["minLength"], 1, "{path}");
                    assert_eq!(parameter["schema"]["pattern"], "\\S", "{path}");
                }
                _ => {}
            }
        }
    }
}

/// Generated clients get a base URL: one absolute server, the default local address.
#[test]
fn the_spec_names_the_default_server() {
    let spec = committed();
    let servers = spec["servers"].as_array().expect("servers");
    assert_eq!(servers.len(), 1);
    assert_eq!(servers[0]["url"], labnet::config::DEFAULT_PUBLIC_URL);
    let url = servers[0]["url"].as_str().unwrap();
    assert!(url.starts_with("http") && !url.ends_with('/'), "{url}");
}

/// A deployment names its own address; the rest of its spec is the committed one.
async fn served_spec_names_the_configured_public_url(backend: Backend) {
    let app = crate::common::spawn_app_with(backend, |settings| {
        settings.public_url = "https://labnet.example/api/".to_owned()
    })
    .await;
    let mut served = json_with_status(app.get("/openapi.json").await, 200).await;
    assert_eq!(served["servers"][0]["url"], "https://labnet.example/api");
    let mut committed = committed();
    served.as_object_mut().unwrap().remove("servers");
    committed.as_object_mut().unwrap().remove("servers");
    assert_eq!(served, committed);
}
