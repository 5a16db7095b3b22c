//! The spec's schemas say exactly what the server takes and gives, for every schema at once:
//! the rules are checked by walking the generated document, and the behaviour tests send
//! each documented member what the schema allows or refuses, so a new resource (one entry in
//! the contract suite's `RESOURCES`) is held to the same rules without a test of its own.

use std::collections::{BTreeMap, BTreeSet};

use regex::Regex;
use serde_json::{json, Map, Value};

use crate::backend_tests;
use crate::common::{json_with_status, names_field, problem, spawn_app, Backend, TestApp};
use crate::contract::{fresh_number, Resource, RESOURCES};

backend_tests!(
    null_is_refused_exactly_where_the_patch_schema_says,
    every_answer_has_every_documented_member_and_keeps_its_limits,
    whole_numbers_and_dates_are_read_and_refused_in_the_apis_words,
    text_limits_are_the_servers,
    patterns_are_the_servers,
);

// ---- reading the spec ----

fn spec() -> Value {
    serde_json::from_str(&labnet::openapi::spec_json().expect("spec")).expect("spec json")
}

fn schemas(spec: &Value) -> &Map<String, Value> {
    spec["components"]["schemas"].as_object().expect("schemas")
}

/// The component a `$ref` names, or the schema itself.
fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("unexpected reference {reference}"));
            &spec["components"]["schemas"][name]
        }
        None => schema,
    }
}

fn is_null_type(schema: &Value) -> bool {
    schema["type"] == "null"
}

/// Whether a property's schema lets `null` through.
fn nullable(spec: &Value, property: &Value) -> bool {
    let types_null = match &property["type"] {
        Value::Array(types) => types.iter().any(|t| t == "null"),
        Value::String(t) => t == "null",
        _ => false,
    };
    let branch_null = ["oneOf", "anyOf"].iter().any(|key| {
        property[key]
            .as_array()
            .is_some_and(|branches| branches.iter().any(|b| nullable(spec, resolve(spec, b))))
    });
    // A schema that constrains nothing (an audit change's `old`/`new`, any JSON value)
    // takes `null` too.
    let any_value = ["type", "$ref", "oneOf", "anyOf", "allOf", "enum", "const"]
        .iter()
        .all(|key| property.get(key).is_none());
    types_null || branch_null || any_value
}

/// The schema of a property's non-null values, references resolved.
fn value_schema<'a>(spec: &'a Value, property: &'a Value) -> &'a Value {
    match property["oneOf"].as_array() {
        Some(branches) => {
            let values: Vec<&Value> = branches.iter().filter(|b| !is_null_type(b)).collect();
            assert_eq!(values.len(), 1, "one non-null branch in {property}");
            resolve(spec, values[0])
        }
        None => resolve(spec, property),
    }
}

/// The schema name a `$ref` (or a nullable one) points at.
fn reference_name(property: &Value) -> Option<&str> {
    let direct = property["$ref"].as_str();
    let branch = property["oneOf"]
        .as_array()
        .and_then(|branches| branches.iter().find_map(|b| b["$ref"].as_str()));
    direct
        .or(branch)
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
}

/// Every schema name reachable from `schema`.
fn collect_references(spec: &Value, schema: &Value, found: &mut BTreeSet<String>) {
    match schema {
        Value::Object(members) => {
            if let Some(name) = members
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                if found.insert(name.to_owned()) {
                    collect_references(spec, &spec["components"]["schemas"][name], found);
                }
            }
            for value in members.values() {
                collect_references(spec, value, found);
            }
        }
        Value::Array(items) => {
            for item in items {
                collect_references(spec, item, found);
            }
        }
        _ => {}
    }
}

/// The operations of the document: (method, path, operation).
fn operations(spec: &Value) -> Vec<(&str, &str, &Value)> {
    let mut all = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            if operation.get("responses").is_some() {
                all.push((method.as_str(), path.as_str(), operation));
            }
        }
    }
    all
}

/// The schemas some 2xx response has, and everything they refer to.
fn response_schemas(spec: &Value) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (_, _, operation) in operations(spec) {
        for (status, response) in operation["responses"].as_object().expect("responses") {
            if status.starts_with('2') {
                collect_references(spec, &response["content"], &mut found);
            }
        }
    }
    found
}

/// The schemas some request body has, and everything they refer to.
fn request_schemas(spec: &Value) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (_, _, operation) in operations(spec) {
        collect_references(spec, &operation["requestBody"], &mut found);
    }
    found
}

/// The schema of an operation's JSON request body.
fn request_body<'a>(spec: &'a Value, method: &str, path: &str) -> &'a Value {
    let content = spec["paths"][path][method]["requestBody"]["content"]
        .as_object()
        .unwrap_or_else(|| panic!("{method} {path} has no body"));
    let (_, media) = content.iter().next().expect("a media type");
    resolve(spec, &media["schema"])
}

/// The schema of an operation's answer with this status.
fn response_body<'a>(spec: &'a Value, method: &str, path: &str, status: &str) -> &'a Value {
    let content = spec["paths"][path][method]["responses"][status]["content"]
        .as_object()
        .unwrap_or_else(|| panic!("{method} {path} has no {status} body"));
    // The JSON form, which is what the answers checked here are (a list may also have
    // another, chosen by `Accept`).
    let media = content
        .get("application/json")
        .or_else(|| content.values().next())
        .expect("a media type");
    resolve(spec, &media["schema"])
}

fn properties(schema: &Value) -> &Map<String, Value> {
    schema["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("no properties in {schema}"))
}

fn required(schema: &Value) -> BTreeSet<&str> {
    schema["required"]
        .as_array()
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Calls `check(where, name, property)` for every property of every schema of the
/// document, inline ones included, at any depth.
fn each_property(value: &Value, at: &str, check: &mut dyn FnMut(&str, &str, &Value)) {
    match value {
        Value::Object(members) => {
            if let Some(Value::Object(properties)) = members.get("properties") {
                for (name, property) in properties {
                    check(at, name, property);
                }
            }
            for (key, member) in members {
                each_property(member, &format!("{at}/{key}"), check);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                each_property(item, &format!("{at}/{index}"), check);
            }
        }
        _ => {}
    }
}

// ---- the rules, on the document ----

/// `T` or `T | null` in generated clients, never `T | undefined`: every member of every
/// answer is always sent, `null` when empty. The one member left out rather than `null` is
/// the database of `/healthz`, which only readiness reports.
#[test]
fn response_schemas_require_every_property() {
    let spec = spec();
    let left_out_when_empty = [
        ("HealthStatus", "database"),
        ("Actor", "name"),
        ("Laboratory", "distance_km"),
    ];
    let responses = response_schemas(&spec);
    for name in [
        "Region",
        "Vendor",
        "Localization",
        "StageChange",
        "Laboratory",
    ] {
        assert!(responses.contains(name), "{name} is no response schema");
    }
    for name in &responses {
        let schema = &schemas(&spec)[name];
        let Some(members) = schema["properties"].as_object() else {
            continue;
        };
        let required = required(schema);
        for (member, property) in members {
            if left_out_when_empty.contains(&(name.as_str(), member.as_str())) {
                assert!(!nullable(&spec, property), "{name}.{member} is never null");
                continue;
            }
            assert!(
                required.contains(member.as_str()),
                "{name}.{member} is always sent: it must be required"
            );
        }
    }
    for page in schemas(&spec).keys().filter(|n| n.ends_with("Page")) {
        let schema = &schemas(&spec)[page];
        assert_eq!(
            required(schema),
            BTreeSet::from(["items", "next_page_token"]),
            "{page}"
        );
        assert!(nullable(&spec, &schema["properties"]["next_page_token"]));
        assert!(!nullable(&spec, &schema["properties"]["items"]));
    }
}

/// A patch member may be left out; it is nullable only where `null` clears it (which the
/// behaviour test `null_is_refused_exactly_where_the_patch_schema_says` holds the server
/// to).
#[test]
fn patch_schemas_require_nothing() {
    let spec = spec();
    let patches: Vec<&String> = schemas(&spec)
        .keys()
        .filter(|n| n.ends_with("Patch"))
        .collect();
    assert!(patches.len() >= 6, "{patches:?}");
    for name in patches {
        assert!(
            required(&schemas(&spec)[name]).is_empty(),
            "{name}: a merge patch requires no member"
        );
    }
    let region = &schemas(&spec)["RegionPatch"]["properties"];
    for member in ["code", "name", "country_code", "level", "rollout_stage"] {
        assert!(!nullable(&spec, &region[member]), "RegionPatch.{member}");
    }
    for member in ["parent_id", "rollout_target_year"] {
        assert!(nullable(&spec, &region[member]), "RegionPatch.{member}");
    }
    let vendor = &schemas(&spec)["VendorPatch"]["properties"];
    for member in ["name", "country_code", "categories"] {
        assert!(!nullable(&spec, &vendor[member]), "VendorPatch.{member}");
    }
    let localization = &schemas(&spec)["LocalizationPatch"]["properties"];
    for member in ["vendor_id", "country_code", "scope"] {
        assert!(
            !nullable(&spec, &localization[member]),
            "LocalizationPatch.{member}"
        );
    }
}

/// openapi-typescript, @hey-api/openapi-ts and openapi-python-client read a property's
/// description on the property; one inside a `oneOf`/`anyOf`/`allOf` branch is lost.
#[test]
fn no_property_keeps_its_description_in_a_branch() {
    let spec = spec();
    let mut misplaced = Vec::new();
    let mut hoisted = 0;
    each_property(&spec, "#", &mut |at, name, property| {
        for key in ["oneOf", "anyOf", "allOf"] {
            if let Some(branches) = property[key].as_array() {
                if branches.iter().any(|b| b.get("description").is_some()) {
                    misplaced.push(format!("{at}: {name}"));
                }
                if property["description"].is_string() {
                    hoisted += 1;
                }
            }
        }
    });
    assert!(
        misplaced.is_empty(),
        "descriptions inside branches: {misplaced:#?}"
    );
    assert!(
        hoisted >= 14,
        "nullable references keep their descriptions ({hoisted})"
    );
    let parent = &schemas(&spec)["Region"]["properties"]["parent_id"];
    assert_eq!(
        parent["description"],
        "The enclosing region; `null` for a root."
    );
}

/// The family of a schema: `Laboratory`, `LaboratoryCreate` and `LaboratoryPatch` describe
/// the same members.
fn family(name: &str) -> &str {
    name.strip_suffix("Create")
        .or_else(|| name.strip_suffix("Patch"))
        .unwrap_or(name)
}

/// What a member is, apart from whether it may be null or left out.
fn signature(property: &Value) -> Value {
    let value = match property["oneOf"].as_array() {
        Some(branches) => branches
            .iter()
            .find(|b| !is_null_type(b))
            .cloned()
            .unwrap_or(Value::Null),
        None => property.clone(),
    };
    let base_type = match &value["type"] {
        Value::Array(types) => types.iter().find(|t| *t != "null").cloned(),
        other => Some(other.clone()),
    };
    // An object member is patched with its own patch schema (`AccreditationPatch`).
    let reference = value["$ref"]
        .as_str()
        .map(|r| r.strip_suffix("Patch").unwrap_or(r));
    json!({
        "ref": reference,
        "type": base_type,
        "format": value["format"],
        "minimum": value["minimum"],
        "maximum": value["maximum"],
        "maxLength": value["maxLength"],
        "minItems": value["minItems"],
        "maxItems": value["maxItems"],
        "uniqueItems": value["uniqueItems"],
        "items": value["items"],
    })
}

/// A member has one type, format and range wherever it appears (the resource, its create
/// body and its patch): `capacity_per_day` is one int32 from 0 to 2147483647.
#[test]
fn a_member_is_the_same_in_every_schema_of_its_resource() {
    let spec = spec();
    let mut seen: BTreeMap<(String, String), (String, Value)> = BTreeMap::new();
    for (name, schema) in schemas(&spec) {
        let Some(members) = schema["properties"].as_object() else {
            continue;
        };
        for (member, property) in members {
            let key = (family(name).to_owned(), member.clone());
            let signature = signature(property);
            match seen.get(&key) {
                Some((first, expected)) => assert_eq!(
                    &signature, expected,
                    "{name}.{member} differs from {first}.{member}"
                ),
                None => {
                    seen.insert(key, (name.clone(), signature));
                }
            }
        }
    }
    for name in ["Laboratory", "LaboratoryCreate", "LaboratoryPatch"] {
        let capacity = &schemas(&spec)[name]["properties"]["capacity_per_day"];
        assert_eq!(capacity["format"], "int32", "{name}");
        assert_eq!(capacity["minimum"], 0, "{name}");
        assert_eq!(capacity["maximum"], i64::from(i32::MAX), "{name}");
        assert!(
            capacity["type"]
                .as_array()
                .is_some_and(|t| t.contains(&json!("integer"))),
            "{name}"
        );
    }
}

/// Every rule the server checks that a schema can say is in the schema: lengths of texts,
/// ranges of numbers, sizes and uniqueness of lists, the shapes of codes, formats, and a
/// realistic example.
#[test]
fn request_members_declare_their_limits() {
    let spec = spec();
    let requests = request_schemas(&spec);
    let mut checked = 0;
    for name in &requests {
        let schema = &schemas(&spec)[name];
        let Some(members) = schema["properties"].as_object() else {
            continue;
        };
        for (member, property) in members {
            if reference_name(property).is_some() {
                continue;
            }
            checked += 1;
            let value = signature(property);
            let at = format!("{name}.{member}");
            match value["type"].as_str() {
                Some("string") => {
                    let formatted = property["format"].is_string();
                    assert!(
                        formatted || property["maxLength"].is_u64(),
                        "{at} has no maxLength"
                    );
                    if property["format"] == "uri" {
                        assert_eq!(property["maxLength"], 2048, "{at}");
                    }
                    assert!(property["example"].is_string(), "{at} has no example");
                }
                Some("integer") | Some("number") => {
                    assert!(property["minimum"].is_number(), "{at} has no minimum");
                    assert!(property["maximum"].is_number(), "{at} has no maximum");
                    assert!(property["example"].is_number(), "{at} has no example");
                }
                Some("array") => {
                    assert_eq!(property["uniqueItems"], true, "{at}: repeats are refused");
                    let items = resolve(&spec, &property["items"]);
                    match items["enum"].as_array().map(Vec::len) {
                        Some(variants) => assert_eq!(
                            property["maxItems"].as_u64().map(|n| n as usize),
                            Some(variants),
                            "{at}: at most each value once"
                        ),
                        None => assert!(property["maxItems"].is_u64(), "{at} has no maxItems"),
                    }
                }
                Some("boolean") => {}
                other => panic!("{at}: unexpected type {other:?}"),
            }
        }
    }
    assert!(checked > 40, "{checked} request members checked");
    // Codes have their shapes wherever they appear.
    let mut country_codes = 0;
    each_property(&spec, "#", &mut |at, name, property| {
        if name == "country_code" {
            country_codes += 1;
            assert_eq!(property["pattern"], "^[A-Z]{2}$", "{at}");
            assert_eq!(property["minLength"], 2, "{at}");
            assert_eq!(property["maxLength"], 2, "{at}");
        }
    });
    assert!(country_codes >= 12, "{country_codes}");
    let all = schemas(&spec);
    assert_eq!(
        all["RegionCreate"]["properties"]["code"]["pattern"],
        "^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$"
    );
    assert_eq!(
        all["Region"]["properties"]["code"]["pattern"],
        "^[A-Z0-9]+(-[A-Z0-9]+)*$"
    );
    for (schema, member, max) in [
        ("RegionCreate", "code", 32),
        ("RegionCreate", "name", 200),
        ("VendorCreate", "name", 200),
        ("OrganizationCreate", "name", 300),
        ("LaboratoryCreate", "code", 64),
        ("LaboratoryCreate", "name", 300),
        ("LaboratoryCreate", "address", 500),
        ("LaboratoryCreate", "operator", 300),
        ("Accreditation", "standard", 100),
        ("Accreditation", "certificate_number", 100),
        ("LocalizationCreate", "partner", 300),
        ("LocalizationCreate", "note", 2000),
        ("StageChangeCreate", "source", 2000),
    ] {
        assert_eq!(
            all[schema]["properties"][member]["maxLength"], max,
            "{schema}.{member}"
        );
    }
    for date in [
        ("LaboratoryCreate", "opened_on"),
        ("Accreditation", "valid_until"),
        ("LocalizationPatch", "target_date"),
        ("StageChangeCreate", "changed_on"),
    ] {
        assert_eq!(
            all[date.0]["properties"][date.1]["format"], "date",
            "{date:?}"
        );
    }
}

// ---- the rules, on the server ----

/// A fresh row of `resource` and its item path.
async fn fresh_row(app: &TestApp, resource: &Resource) -> (Value, String) {
    let row = resource.create(app).await;
    let path = format!("{}/{}", resource.path, row["id"].as_str().expect("id"));
    (row, path)
}

/// Each member of each patch schema gets `null`: a nullable one is cleared (200, `null` in
/// the answer), any other is refused with 422 naming it. Members of an object member
/// (`accreditation`) are sent `null` inside it.
async fn null_is_refused_exactly_where_the_patch_schema_says(backend: Backend) {
    let app = spawn_app(backend).await;
    let spec = spec();
    for resource in RESOURCES {
        let (_, path) = fresh_row(&app, resource).await;
        let item = format!("{}/{{id}}", resource.path);
        let patch = request_body(&spec, "patch", &item);
        for (member, property) in properties(patch) {
            let response = app.patch(&path, &json!({ member: null })).await;
            if nullable(&spec, property) {
                let body = json_with_status(response, 200).await;
                assert_eq!(body[member], Value::Null, "{path}: {member} cleared");
            } else {
                let refused = problem(response, 422).await;
                assert!(names_field(&refused, member), "{path}: {member}: {refused}");
            }
            let inner = value_schema(&spec, property);
            if let Some(inner_members) = inner["properties"].as_object() {
                for (name, inner_property) in inner_members {
                    let body = json!({ member: { name: null } });
                    let response = app.patch(&path, &body).await;
                    let field = format!("{member}.{name}");
                    if nullable(&spec, inner_property) {
                        assert_ne!(response.status(), 422, "{path}: {field}");
                    } else {
                        let refused = problem(response, 422).await;
                        assert!(names_field(&refused, &field), "{path}: {field}: {refused}");
                    }
                }
            }
        }
    }
}

/// Holds a value to its schema's shape: objects have exactly the documented members,
/// `null` only where nullable, and strings, numbers and lists within their limits.
fn check_shape(spec: &Value, schema: &Value, value: &Value, at: &str) {
    let schema = resolve(spec, schema);
    if value.is_null() {
        assert!(nullable(spec, schema), "{at} is null but not nullable");
        return;
    }
    if schema["oneOf"].is_array() {
        check_shape(spec, value_schema(spec, schema), value, at);
        return;
    }
    if let Some(members) = schema["properties"].as_object() {
        let object = value
            .as_object()
            .unwrap_or_else(|| panic!("{at} is not an object: {value}"));
        let sent: BTreeSet<&str> = object.keys().map(String::as_str).collect();
        let documented: BTreeSet<&str> = members.keys().map(String::as_str).collect();
        // Every member sent is documented; every required one is sent (an optional one is
        // left out where it does not apply).
        assert!(
            sent.is_subset(&documented),
            "{at}: members sent {sent:?}, documented {documented:?}"
        );
        let must = required(schema);
        assert!(
            must.is_subset(&sent),
            "{at}: members required {must:?}, sent {sent:?}"
        );
        for (name, member) in members {
            if let Some(value) = object.get(name) {
                check_shape(spec, member, value, &format!("{at}.{name}"));
            }
        }
        return;
    }
    if let Some(items) = value.as_array() {
        for (index, item) in items.iter().enumerate() {
            check_shape(spec, &schema["items"], item, &format!("{at}[{index}]"));
        }
        if schema["uniqueItems"] == true {
            let distinct: BTreeSet<String> = items.iter().map(Value::to_string).collect();
            assert_eq!(distinct.len(), items.len(), "{at}: repeated items");
        }
        if let Some(max) = schema["maxItems"].as_u64() {
            assert!(items.len() as u64 <= max, "{at}: more than {max} items");
        }
        return;
    }
    if let Some(text) = value.as_str() {
        let length = text.chars().count() as u64;
        if let Some(max) = schema["maxLength"].as_u64() {
            assert!(length <= max, "{at}: longer than {max}");
        }
        if let Some(min) = schema["minLength"].as_u64() {
            assert!(length >= min, "{at}: shorter than {min}");
        }
        if let Some(pattern) = schema["pattern"].as_str() {
            let pattern = Regex::new(pattern).expect("pattern");
            assert!(
                pattern.is_match(text),
                "{at}: `{text}` does not match {pattern}"
            );
        }
        if let Some(allowed) = schema["enum"].as_array() {
            assert!(allowed.contains(value), "{at}: `{text}` is not in the enum");
        }
        return;
    }
    if let Some(number) = value.as_f64() {
        if let Some(min) = schema["minimum"].as_f64() {
            assert!(number >= min, "{at}: below {min}");
        }
        if let Some(max) = schema["maximum"].as_f64() {
            assert!(number <= max, "{at}: above {max}");
        }
        if schema["type"] == "integer"
            || schema["type"]
                .as_array()
                .is_some_and(|t| t.contains(&json!("integer")))
        {
            assert!(
                value.is_i64() || value.is_u64(),
                "{at}: {value} is no integer"
            );
        }
    }
}

/// Every answer of every read of a resource (the item, the list and its sub-lists), of its
/// create and of its patch carries exactly the documented members, `null` when empty.
async fn every_answer_has_every_documented_member_and_keeps_its_limits(backend: Backend) {
    let app = spawn_app(backend).await;
    let spec = spec();
    for resource in RESOURCES {
        let collection = resource.path;
        let item = format!("{collection}/{{id}}");
        let body = (resource.body)(&app, fresh_number()).await;
        let response = app.post(collection, &body).await;
        let created = json_with_status(response, 201).await;
        check_shape(
            &spec,
            response_body(&spec, "post", collection, "201"),
            &created,
            &format!("POST {collection}"),
        );
        let id = created["id"].as_str().expect("id");
        for (method, path, _) in operations(&spec) {
            if method != "get" || !(path == collection || path.starts_with(&item)) {
                continue;
            }
            let mut url = path.replace("{id}", id);
            if url.ends_with("/eligibility") {
                // The question needs its country.
                url.push_str("?country_code=RU");
            }
            let answer = json_with_status(app.get(&url).await, 200).await;
            let schema = response_body(&spec, "get", path, "200");
            check_shape(&spec, schema, &answer, &format!("GET {url}"));
            if schema["properties"]["next_page_token"].is_object() {
                assert_eq!(
                    answer["next_page_token"],
                    Value::Null,
                    "GET {url}: last page"
                );
            }
        }
        let patched = json_with_status(
            app.patch(&format!("{collection}/{id}"), &json!({})).await,
            200,
        )
        .await;
        check_shape(
            &spec,
            response_body(&spec, "patch", &item, "200"),
            &patched,
            &format!("PATCH {collection}"),
        );
    }
}

fn field_error<'a>(problem: &'a Value, field: &str) -> &'a Value {
    problem["errors"]
        .as_array()
        .and_then(|errors| errors.iter().find(|e| e["field"] == field))
        .unwrap_or_else(|| panic!("{field} is not named in {problem}"))
}

/// Asserts a 422 naming `field` with a message of the API's own, not serde's.
async fn refused_in_our_words(response: reqwest::Response, field: &str, starts: &str) {
    let refused = problem(response, 422).await;
    let error = field_error(&refused, field);
    let message = error["message"].as_str().expect("message");
    assert!(message.starts_with(starts), "{field}: {message}");
    for serde_words in [
        "invalid type",
        "expected",
        "trailing input",
        "premature end",
    ] {
        assert!(!message.contains(serde_words), "{field}: {message}");
    }
}

/// `12000.0` is the whole number 12000; `12000.5` is refused naming the member, and so is
/// a date that is not `YYYY-MM-DD`, in bodies and in query parameters alike.
async fn whole_numbers_and_dates_are_read_and_refused_in_the_apis_words(backend: Backend) {
    let app = spawn_app(backend).await;
    let kz = app.create_country("KZ", "Қазақстан").await;
    let laboratory = app
        .create_laboratory(&kz, "KZ-NUM-1", json!({"capacity_per_day": 12000.0}))
        .await;
    assert_eq!(laboratory["capacity_per_day"], json!(12000));
    let path = format!(
        "/v1/laboratories/{}",
        laboratory["id"].as_str().expect("id")
    );
    let read = json_with_status(app.get(&path).await, 200).await;
    assert_eq!(read["capacity_per_day"], json!(12000));
    let patched = json_with_status(
        app.patch(&path, &json!({"capacity_per_day": 1.5e4})).await,
        200,
    )
    .await;
    assert_eq!(patched["capacity_per_day"], json!(15000));

    let body = |extra: Value| {
        let mut body =
            json!({"region_id": kz["id"], "code": "KZ-NUM-2", "name": "Lab", "kind": "central"});
        for (k, v) in extra.as_object().expect("object") {
            body[k] = v.clone();
        }
        body
    };
    for bad in [json!(12000.5), json!("12000"), json!(true)] {
        let response = app
            .post("/v1/laboratories", &body(json!({"capacity_per_day": bad})))
            .await;
        refused_in_our_words(response, "capacity_per_day", "must be a whole number").await;
    }
    let response = app
        .post("/v1/laboratories", &body(json!({"capacity_per_day": 1e10})))
        .await;
    refused_in_our_words(
        response,
        "capacity_per_day",
        "must be between 0 and 2147483647",
    )
    .await;
    let response = app.patch(&path, &json!({"capacity_per_day": 0.5})).await;
    refused_in_our_words(response, "capacity_per_day", "must be a whole number").await;
    let year = app
        .create(
            "/v1/regions",
            json!({"code": "KZ-YR", "name": "Year", "country_code": "KZ", "level": "region", "parent_id": kz["id"], "rollout_target_year": 2026.0}),
        )
        .await;
    assert_eq!(year["rollout_target_year"], json!(2026));

    let date_message = "must be a date as YYYY-MM-DD";
    for bad in ["2025-9-1", "2025-09-01x", "2025-02-30", "01.09.2025", ""] {
        let response = app
            .post("/v1/laboratories", &body(json!({"opened_on": bad})))
            .await;
        refused_in_our_words(response, "opened_on", date_message).await;
        let response = app.patch(&path, &json!({"opened_on": bad})).await;
        refused_in_our_words(response, "opened_on", date_message).await;
    }
    let response = app
        .post(
            "/v1/laboratories",
            &body(json!({"accreditation": {"standard": "ISO 15189", "certificate_number": "1", "valid_until": "2029-3-31"}})),
        )
        .await;
    refused_in_our_words(response, "accreditation.valid_until", date_message).await;
    let response = app
        .patch(&path, &json!({"accreditation": {"valid_until": 20290331}}))
        .await;
    refused_in_our_words(response, "accreditation.valid_until", date_message).await;
    let vendor = app.create_vendor("Dated vendor", "CN").await;
    let response = app
        .post(
            "/v1/localizations",
            &json!({"vendor_id": vendor["id"], "country_code": "KZ", "scope": ["reagents"], "target_date": "2027-12-31T00:00:00Z"}),
        )
        .await;
    refused_in_our_words(response, "target_date", date_message).await;
    assert_eq!(app.count_rows("localizations").await, 0);

    let refused = problem(
        app.get("/v1/laboratories?accredited=true&accredited_on=2026-1-1")
            .await,
        400,
    )
    .await;
    let error = field_error(&refused, "accredited_on");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.starts_with(date_message)),
        "{refused}"
    );
    assert_eq!(app.count_rows("laboratories").await, 1);
}

/// A text as long as its `maxLength` (in characters, Cyrillic here) is taken, one longer is
/// refused naming the member, and the length counts what was sent, spaces around it
/// included, so the server refuses exactly what the schema refuses.
async fn text_limits_are_the_servers(backend: Backend) {
    let app = spawn_app(backend).await;
    let spec = spec();
    for resource in RESOURCES {
        let create = request_body(&spec, "post", resource.path);
        for (member, property) in properties(create) {
            let Some(max) = property["maxLength"].as_u64() else {
                continue;
            };
            if property["pattern"].is_string() || property["format"].is_string() {
                continue;
            }
            let max = max as usize;
            let at = format!("POST {} {member}", resource.path);
            let with = |value: String| {
                let app = &app;
                async move {
                    let mut body = (resource.body)(app, fresh_number()).await;
                    body[member] = json!(value);
                    app.post(resource.path, &body).await
                }
            };
            let taken = json_with_status(with("Ж".repeat(max)).await, 201).await;
            // Members of a create body that the resource does not echo (a localization's
            // first `note`) are taken all the same.
            if taken.get(member).is_some() {
                assert_eq!(
                    taken[member].as_str().map(|t| t.chars().count()),
                    Some(max),
                    "{at}"
                );
            }
            for too_long in ["Ж".repeat(max + 1), format!(" {}", "Ж".repeat(max))] {
                let refused = problem(with(too_long).await, 422).await;
                assert_eq!(field_error(&refused, member)["code"], "too_long", "{at}");
            }
        }
        let (_, path) = fresh_row(&app, resource).await;
        let patch = request_body(&spec, "patch", &format!("{}/{{id}}", resource.path));
        for (member, property) in properties(patch) {
            let Some(max) = property["maxLength"].as_u64() else {
                continue;
            };
            if property["pattern"].is_string() || property["format"].is_string() {
                continue;
            }
            let max = max as usize;
            let refused = problem(
                app.patch(&path, &json!({ member: "Ы".repeat(max + 1) }))
                    .await,
                422,
            )
            .await;
            assert_eq!(
                field_error(&refused, member)["code"],
                "too_long",
                "{path} {member}"
            );
            let taken = json_with_status(
                app.patch(&path, &json!({ member: "Ы".repeat(max) })).await,
                200,
            )
            .await;
            assert_eq!(taken[member], json!("Ы".repeat(max)), "{path} {member}");
        }
    }
}

/// Values near a member's valid one (other case, spaces or an invisible character around
/// it, a line break, nothing): those the schema's `pattern` refuses the server refuses with
/// 422 naming the member, and those it accepts the server does not refuse for their shape.
async fn patterns_are_the_servers(backend: Backend) {
    let app = spawn_app(backend).await;
    let spec = spec();
    let variants = |valid: &str| {
        vec![
            valid.to_lowercase(),
            valid.to_uppercase(),
            format!(" {valid}"),
            format!("{valid} "),
            format!("{valid}\u{200b}"),
            format!("{valid}\n"),
            format!("{valid}ß"),
            String::new(),
        ]
    };
    let mut refused_count = 0;
    for resource in RESOURCES {
        for (method, path) in [
            ("post", resource.path.to_owned()),
            ("patch", format!("{}/{{id}}", resource.path)),
        ] {
            let schema = request_body(&spec, method, &path);
            for (member, property) in properties(schema) {
                let Some(pattern) = property["pattern"].as_str() else {
                    continue;
                };
                let pattern = Regex::new(pattern).expect("pattern");
                let (row, item) = fresh_row(&app, resource).await;
                let valid = row[member].as_str().expect("a text member").to_owned();
                assert!(pattern.is_match(&valid), "{path} {member}: `{valid}`");
                for value in variants(&valid) {
                    let response = if method == "post" {
                        let mut body = (resource.body)(&app, fresh_number()).await;
                        body[member] = json!(value);
                        app.post(resource.path, &body).await
                    } else {
                        app.patch(&item, &json!({ member: value })).await
                    };
                    let at = format!("{method} {path} {member} = {value:?}");
                    if pattern.is_match(&value) {
                        let status = response.status().as_u16();
                        let body: Value = response.json().await.unwrap_or(Value::Null);
                        assert!(
                            status != 422 || !names_field(&body, member),
                            "{at}: the pattern takes it, the server refused it: {body}"
                        );
                    } else {
                        let refused = problem(response, 422).await;
                        assert!(names_field(&refused, member), "{at}: {refused}");
                        refused_count += 1;
                    }
                }
            }
        }
    }
    assert!(refused_count > 30, "{refused_count} refusals checked");
}
