//! What every resource must do, asserted once for all of them: 404s for unknown and
//! malformed ids, `If-Match` and `If-None-Match`, 415 for a wrong content type, 400 for
//! unknown list parameters and bad page tokens, and the paging property (every row exactly
//! once, in the declared order, under every sort and direction).
//!
//! A resource joins the suite with one entry in `RESOURCES`.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};

use reqwest::header::ETAG;
use reqwest::{Method, Response};
use serde_json::{json, Value};

use crate::backend_tests;
use crate::common::{json_with_status, names_field, problem, spawn_app, Backend, TestApp};

backend_tests!(
    head_answers_like_get_without_a_body,
    a_patch_that_changes_nothing_keeps_the_version,
    unknown_and_malformed_ids_are_404,
    stale_if_match_is_412_and_changes_nothing,
    if_none_match_answers_304_while_the_etag_is_current,
    wrong_content_type_is_415,
    unknown_list_parameters_are_400,
    bad_page_tokens_are_400,
    pages_hold_every_row_once_in_sort_order,
);

/// A future borrowing the app.
pub(crate) type Fresh<'a> = Pin<Box<dyn Future<Output = Value> + 'a>>;

/// How the rows of a sort compare: by text (bytes), by time, or by integer (`null` first).
#[derive(Debug, Clone, Copy)]
enum Key {
    Text,
    Time,
    Int,
}

/// One resource, as the suite sees it.
pub(crate) struct Resource {
    /// The collection, e.g. `/v1/regions`.
    pub(crate) path: &'static str,
    /// Its table, to count rows straight from the database.
    table: &'static str,
    /// A valid create body for a fresh row, distinct for each `n` (it may first create the
    /// rows it refers to, through the fixtures).
    pub(crate) body: for<'a> fn(&'a TestApp, usize) -> Fresh<'a>,
    /// A valid merge patch, distinct for each `n`; every field reads back as sent.
    patch: fn(usize) -> Value,
    /// The documented sorts, each with the field it orders by (of the same name).
    sorts: &'static [(&'static str, Key)],
}

pub(crate) const RESOURCES: &[Resource] = &[
    Resource {
        path: "/v1/regions",
        table: "regions",
        body: region_body,
        patch: region_patch,
        sorts: &[
            ("name", Key::Text),
            ("code", Key::Text),
            ("created_at", Key::Time),
            ("updated_at", Key::Time),
        ],
    },
    Resource {
        path: "/v1/laboratories",
        table: "laboratories",
        body: laboratory_body,
        patch: laboratory_patch,
        sorts: &[
            ("name", Key::Text),
            ("code", Key::Text),
            ("created_at", Key::Time),
            ("updated_at", Key::Time),
            ("capacity_per_day", Key::Int),
        ],
    },
    Resource {
        path: "/v1/vendors",
        table: "vendors",
        body: vendor_body,
        patch: vendor_patch,
        sorts: &[
            ("name", Key::Text),
            ("created_at", Key::Time),
            ("updated_at", Key::Time),
        ],
    },
    Resource {
        path: "/v1/localizations",
        table: "localizations",
        body: localization_body,
        patch: localization_patch,
        sorts: &[("created_at", Key::Time), ("updated_at", Key::Time)],
    },
    Resource {
        path: "/v1/organizations",
        table: "organizations",
        body: organization_body,
        patch: organization_patch,
        sorts: &[
            ("name", Key::Text),
            ("created_at", Key::Time),
            ("updated_at", Key::Time),
        ],
    },
    Resource {
        path: "/v1/equipment-models",
        table: "equipment_models",
        body: equipment_model_body,
        patch: equipment_model_patch,
        sorts: &[
            ("name", Key::Text),
            ("model_code", Key::Text),
            ("created_at", Key::Time),
            ("updated_at", Key::Time),
        ],
    },
    Resource {
        path: "/v1/equipment-units",
        table: "equipment_units",
        body: equipment_unit_body,
        patch: equipment_unit_patch,
        sorts: &[
            ("serial_number", Key::Text),
            ("created_at", Key::Time),
            ("updated_at", Key::Time),
        ],
    },
    Resource {
        path: "/v1/registration-certificates",
        table: "registration_certificates",
        body: certificate_body,
        patch: certificate_patch,
        sorts: &[
            // Dates compare as their YYYY-MM-DD text.
            ("issued_on", Key::Text),
            ("number", Key::Text),
            ("created_at", Key::Time),
            ("updated_at", Key::Time),
        ],
    },
    Resource {
        path: "/v1/recognition-agreements",
        table: "recognition_agreements",
        body: agreement_body,
        patch: agreement_patch,
        sorts: &[
            ("in_force_from", Key::Text),
            ("created_at", Key::Time),
            ("updated_at", Key::Time),
        ],
    },
];

// ---- the resources' rows ----

/// A number no other row of this test run has, so codes and names never collide.
pub(crate) fn fresh_number() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(1);
    NEXT.fetch_add(1, AtomicOrdering::Relaxed)
}

/// Spreads consecutive numbers out, so name order differs from creation order.
fn scrambled(n: usize) -> usize {
    (n * 7919) % 1000
}

/// Latin and Cyrillic names in turn, so text sorts compare bytes across scripts.
fn name(latin: &str, cyrillic: &str, n: usize) -> String {
    let word = if n.is_multiple_of(2) { latin } else { cyrillic };
    format!("{word} {:03} {n}", scrambled(n))
}

/// The country the suite's regions and laboratories live in, created on first use.
async fn country(app: &TestApp) -> Value {
    let page = json_with_status(app.get("/v1/regions?code=KZ").await, 200).await;
    match page["items"].as_array().and_then(|items| items.first()) {
        Some(kz) => kz.clone(),
        None => app.create_country("KZ", "Қазақстан").await,
    }
}

fn region_body(app: &TestApp, n: usize) -> Fresh<'_> {
    Box::pin(async move {
        let kz = country(app).await;
        json!({"code": format!("KZ-T{n}"), "name": name("Region", "Область", n), "country_code": "KZ", "level": "region", "parent_id": kz["id"]})
    })
}

fn region_patch(n: usize) -> Value {
    json!({"name": name("Renamed region", "Новая область", n), "rollout_target_year": 2030})
}

fn laboratory_body(app: &TestApp, n: usize) -> Fresh<'_> {
    Box::pin(async move {
        let kz = country(app).await;
        // Nulls and a repeated value, so the capacity sort has ties to break by id.
        let capacity = match n % 3 {
            0 => Value::Null,
            1 => json!(500),
            _ => json!(scrambled(n)),
        };
        json!({"region_id": kz["id"], "code": format!("C{:03}-{n}", scrambled(n)), "name": name("Laboratory", "Лаборатория", n), "kind": "central", "status": "planned", "capacity_per_day": capacity})
    })
}

fn laboratory_patch(n: usize) -> Value {
    json!({"name": name("Renamed laboratory", "КДЛ", n), "capacity_per_day": 800 + n})
}

fn vendor_body(_app: &TestApp, n: usize) -> Fresh<'_> {
    Box::pin(async move {
        json!({"name": name("Vendor", "Поставщик", n), "country_code": "CN"})
    })
}

fn vendor_patch(n: usize) -> Value {
    json!({"website": format!("https://vendor-{n}.example")})
}

fn localization_body(app: &TestApp, n: usize) -> Fresh<'_> {
    Box::pin(async move {
        let vendor = app
            .create_vendor(&name("Localized vendor", "Производитель", n), "CN")
            .await;
        json!({"vendor_id": vendor["id"], "country_code": "KZ", "scope": ["reagents"], "partner": name("Partner", "Партнёр", n)})
    })
}

fn localization_patch(n: usize) -> Value {
    json!({"partner": name("New partner", "Новый партнёр", n), "target_date": "2028-01-31"})
}

fn organization_body(_app: &TestApp, n: usize) -> Fresh<'_> {
    Box::pin(async move {
        json!({"name": name("Operator", "Оператор", n), "kind": "operator", "country_code": "KZ"})
    })
}

fn organization_patch(n: usize) -> Value {
    json!({"kind": "federation", "website": format!("https://organization-{n}.example")})
}

/// The one vendor the suite's equipment models belong to, created on first use.
pub(crate) async fn model_vendor(app: &TestApp) -> Value {
    let page = json_with_status(app.get("/v1/vendors?q=suitevendor").await, 200).await;
    match page["items"].as_array().and_then(|items| items.first()) {
        Some(vendor) => vendor.clone(),
        None => app.create_vendor("Suitevendor Diagnostics", "CN").await,
    }
}

fn equipment_model_body(app: &TestApp, n: usize) -> Fresh<'_> {
    Box::pin(async move {
        let vendor = model_vendor(app).await;
        json!({"vendor_id": vendor["id"], "name": name("Analyzer", "Анализатор", n), "model_code": format!("M{:03}-{n}", scrambled(n)), "category": "hematology_analyzer"})
    })
}

fn equipment_model_patch(n: usize) -> Value {
    json!({"name": name("Renamed analyzer", "Новый анализатор", n), "category": "pcr_analyzer"})
}

/// The laboratory and the model the suite's units are of, created on first use.
async fn unit_home(app: &TestApp) -> (Value, Value) {
    let page = json_with_status(app.get("/v1/laboratories?code=UNITS-HOME").await, 200).await;
    let lab = match page["items"].as_array().and_then(|items| items.first()) {
        Some(lab) => lab.clone(),
        None => {
            let kz = country(app).await;
            app.create_laboratory(&kz, "UNITS-HOME", json!({})).await
        }
    };
    let vendor = model_vendor(app).await;
    let page = json_with_status(app.get("/v1/equipment-models?q=units").await, 200).await;
    let model = match page["items"].as_array().and_then(|items| items.first()) {
        Some(model) => model.clone(),
        None => {
            app.create(
                "/v1/equipment-models",
                json!({"vendor_id": vendor["id"], "name": "Units analyzer", "model_code": "UNITS-1", "category": "pcr_analyzer"}),
            )
            .await
        }
    };
    (lab, model)
}

fn equipment_unit_body(app: &TestApp, n: usize) -> Fresh<'_> {
    Box::pin(async move {
        let (lab, model) = unit_home(app).await;
        json!({"equipment_model_id": model["id"], "laboratory_id": lab["id"], "serial_number": name("SN", "СН", n), "supplier_name": name("Distributor", "Дистрибьютор", n)})
    })
}

fn equipment_unit_patch(n: usize) -> Value {
    json!({"supplier_name": name("New distributor", "Новый дистрибьютор", n), "installed_on": "2026-05-01"})
}

/// A date spread over years, so date sorts differ from creation order and tie sometimes.
fn spread_date(n: usize) -> String {
    format!("20{:02}-0{}-1{}", 10 + scrambled(n) % 15, 1 + n % 9, n % 3)
}

fn certificate_body(_app: &TestApp, n: usize) -> Fresh<'_> {
    Box::pin(async move {
        json!({"product_name": name("Reagent", "Реагент", n), "product_kind": "drug", "country_code": "KZ",
            "issuing_authority": "Authority", "number": name("N", "РК", n), "issued_on": spread_date(n)})
    })
}

fn certificate_patch(n: usize) -> Value {
    json!({"issuing_authority": name("Renamed authority", "Ведомство", n), "valid_until": "2099-12-31"})
}

fn agreement_body(_app: &TestApp, n: usize) -> Fresh<'_> {
    Box::pin(async move {
        json!({"recognizing_country_code": "KZ", "recognized_country_code": "RU", "mutual": n.is_multiple_of(2),
            "scope": "medical_devices", "in_force_from": spread_date(n),
            "title": name("Agreement", "Соглашение", n), "source": format!("ref-{n}")})
    })
}

fn agreement_patch(n: usize) -> Value {
    json!({"title": name("Renamed agreement", "Новое соглашение", n), "in_force_until": "2099-12-31"})
}

// ---- helpers ----

impl Resource {
    /// Creates a fresh row through the API and returns it.
    pub(crate) async fn create(&self, app: &TestApp) -> Value {
        let body = (self.body)(app, fresh_number()).await;
        app.create(self.path, body).await
    }

    fn item(&self, row: &Value) -> String {
        format!("{}/{}", self.path, id_of(row))
    }
}

/// Each resource in turn on a fresh app of `backend`; the resource is named in the output
/// of a failing test.
async fn each_resource<F>(backend: Backend, check: F)
where
    F: for<'a> Fn(&'a TestApp, &'static Resource) -> Pin<Box<dyn Future<Output = ()> + 'a>>,
{
    for resource in RESOURCES {
        println!("contract check of {} on {backend:?}", resource.path);
        let app = spawn_app(backend).await;
        check(&app, resource).await;
    }
}

fn id_of(row: &Value) -> &str {
    row["id"].as_str().expect("id")
}

fn header(response: &Response, name: impl reqwest::header::AsHeaderName) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|value| value.to_str().expect("header text").to_owned())
}

/// The strong ETag of a row at its version.
fn etag_of(row: &Value) -> String {
    format!("\"v{}\"", row["version"].as_i64().expect("version"))
}

/// Sends `body` with exactly these headers (no Content-Type unless given).
async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> Response {
    let mut builder = app.client.request(method, app.url(path));
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    if let Some(body) = body {
        builder = builder.body(body.to_string());
    }
    builder.send().await.expect("request sent")
}

/// GETs a row, asserting 200 and that its ETag header names its version.
async fn fetch(app: &TestApp, path: &str) -> Value {
    let response = app.get(path).await;
    let etag = header(&response, ETAG);
    let row = json_with_status(response, 200).await;
    assert_eq!(etag, Some(etag_of(&row)), "ETag of {path}: {row}");
    row
}

/// Asserts a successful write: 200, the next version and its ETag, and every patched field
/// reading back as sent.
async fn assert_patched(response: Response, before: &Value, patch: &Value) -> Value {
    let etag = header(&response, ETAG);
    let row = json_with_status(response, 200).await;
    let version = before["version"].as_i64().expect("version") + 1;
    assert_eq!(row["version"], version, "{row}");
    assert_eq!(etag, Some(format!("\"v{version}\"")), "{row}");
    for (field, value) in patch.as_object().expect("patch object") {
        assert_eq!(&row[field], value, "{field} after {patch}: {row}");
    }
    assert_eq!(row["id"], before["id"]);
    assert_eq!(row["created_at"], before["created_at"]);
    row
}

/// Asserts a 404 problem for `path`, with the request path as its instance.
async fn assert_not_found(response: Response, path: &str) -> Value {
    let body = problem(response, 404).await;
    assert_eq!(body["type"], "/problems/not-found", "{body}");
    assert_eq!(body["instance"], path, "{body}");
    body
}

fn detail(problem: &Value) -> &str {
    problem["detail"].as_str().expect("detail")
}

// ---- the contract ----

async fn unknown_and_malformed_ids_are_404(backend: Backend) {
    each_resource(backend, |app, r| {
        Box::pin(async move {
            let row = r.create(app).await;
            let rows = app.count_rows(r.table).await;
            let patch = (r.patch)(fresh_number());

            let unknown = uuid::Uuid::now_v7().to_string();
            let path = format!("{}/{unknown}", r.path);
            for response in [
                app.get(&path).await,
                app.patch(&path, &patch).await,
                app.delete(&path).await,
            ] {
                let body = assert_not_found(response, &path).await;
                assert!(detail(&body).contains(&unknown), "names the id: {body}");
            }

            for raw in ["not-a-uuid", "42", "kgn-ckdl-001"] {
                let path = format!("{}/{raw}", r.path);
                for response in [
                    app.get(&path).await,
                    app.patch(&path, &patch).await,
                    app.delete(&path).await,
                ] {
                    let body = assert_not_found(response, &path).await;
                    assert!(detail(&body).contains("UUID"), "says ids are UUIDs: {body}");
                }
            }

            // Other spellings of the row's own id name no resource: one URL per resource.
            let id: uuid::Uuid = id_of(&row).parse().unwrap();
            for raw in [
                format!("%7B{id}%7D"),
                format!("urn:uuid:{id}"),
                id.simple().to_string(),
                id.hyphenated().to_string().to_uppercase(),
            ] {
                let path = format!("{}/{raw}", r.path);
                for response in [
                    app.get(&path).await,
                    app.patch(&path, &patch).await,
                    app.delete(&path).await,
                ] {
                    let body = assert_not_found(response, &path).await;
                    assert!(detail(&body).contains("UUID"), "says ids are UUIDs: {body}");
                }
            }

            assert_eq!(fetch(app, &r.item(&row)).await, row);
            assert_eq!(app.count_rows(r.table).await, rows);
        })
    })
    .await;
}

async fn head_answers_like_get_without_a_body(backend: Backend) {
    each_resource(backend, |app, r| {
        Box::pin(async move {
            let created = r.create(app).await;
            for path in [r.item(&created), r.path.to_owned()] {
                let get = send(app, Method::GET, &path, None, &[]).await;
                let get_etag = header(&get, "etag");
                let get_length = get.text().await.unwrap().len();
                let head = send(app, Method::HEAD, &path, None, &[]).await;
                assert_eq!(head.status(), 200, "HEAD {path}");
                assert_eq!(header(&head, "etag"), get_etag, "HEAD {path}");
                assert_eq!(
                    header(&head, "content-length"),
                    Some(get_length.to_string()),
                    "HEAD {path}"
                );
                assert_eq!(head.text().await.unwrap(), "", "HEAD {path}");
            }
            // Conditional HEAD, and HEAD of what does not exist.
            let fresh = send(
                app,
                Method::HEAD,
                &r.item(&created),
                None,
                &[("if-none-match", &etag_of(&created))],
            )
            .await;
            assert_eq!(fresh.status(), 304);
            let missing = format!("{}/{}", r.path, uuid::Uuid::now_v7());
            let head = send(app, Method::HEAD, &missing, None, &[]).await;
            assert_eq!(head.status(), 404);
            assert_eq!(head.text().await.unwrap(), "");
        })
    })
    .await;
}

async fn a_patch_that_changes_nothing_keeps_the_version(backend: Backend) {
    each_resource(backend, |app, r| {
        Box::pin(async move {
            let created = r.create(app).await;
            let path = r.item(&created);
            let patch = (r.patch)(fresh_number());
            let patched = assert_patched(app.patch(&path, &patch).await, &created, &patch).await;
            // An empty patch, and the same patch again, change nothing: no new version.
            for unchanged in [json!({}), patch.clone()] {
                let response = app.patch(&path, &unchanged).await;
                assert_eq!(
                    header(&response, "etag"),
                    Some(etag_of(&patched)),
                    "{unchanged}"
                );
                let body = json_with_status(response, 200).await;
                assert_eq!(body, patched, "{unchanged}");
            }
            assert_eq!(fetch(app, &path).await, patched);
        })
    })
    .await;
}

async fn stale_if_match_is_412_and_changes_nothing(backend: Backend) {
    each_resource(backend, |app, r| {
        Box::pin(async move {
            let created = r.create(app).await;
            let path = r.item(&created);
            assert_eq!(created["version"], 1, "{created}");
            let rows = app.count_rows(r.table).await;

            // Without If-Match the write goes ahead.
            let patch = (r.patch)(fresh_number());
            let v2 = assert_patched(app.patch(&path, &patch).await, &created, &patch).await;

            // A stale or unknown ETag is refused, and nothing changes; so is the current one
            // as a weak tag (If-Match compares strongly).
            let delete_if = |tag: String| {
                let path = path.clone();
                async move { send(app, Method::DELETE, &path, None, &[("if-match", &tag)]).await }
            };
            for stale in [
                etag_of(&created),
                "\"v99\"".to_owned(),
                format!("W/{}", etag_of(&v2)),
            ] {
                let other = (r.patch)(fresh_number());
                let refused = problem(app.patch_if_match(&path, &other, &stale).await, 412).await;
                assert_eq!(
                    refused["type"], "/problems/precondition-failed",
                    "{refused}"
                );
                assert_eq!(
                    fetch(app, &path).await,
                    v2,
                    "after a PATCH with If-Match {stale}"
                );

                let refused = problem(delete_if(stale.clone()).await, 412).await;
                assert_eq!(
                    refused["type"], "/problems/precondition-failed",
                    "{refused}"
                );
                assert_eq!(
                    fetch(app, &path).await,
                    v2,
                    "after a DELETE with If-Match {stale}"
                );
                assert_eq!(app.count_rows(r.table).await, rows);
            }

            // The current ETag goes through and yields the next one.
            let patch = (r.patch)(fresh_number());
            let v3 = assert_patched(
                app.patch_if_match(&path, &patch, &etag_of(&v2)).await,
                &v2,
                &patch,
            )
            .await;
            assert_eq!(fetch(app, &path).await, v3);

            // The ETag just replaced is stale now.
            problem(delete_if(etag_of(&v2)).await, 412).await;
            assert_eq!(fetch(app, &path).await, v3);
            assert_eq!(app.count_rows(r.table).await, rows);

            let deleted = delete_if(etag_of(&v3)).await;
            assert_eq!(deleted.status(), 204);
            assert_eq!(deleted.text().await.expect("body"), "");
            assert_not_found(app.get(&path).await, &path).await;
            assert_eq!(app.count_rows(r.table).await, rows - 1);
        })
    })
    .await;
}

async fn if_none_match_answers_304_while_the_etag_is_current(backend: Backend) {
    each_resource(backend, |app, r| {
        Box::pin(async move {
            let created = r.create(app).await;
            let path = r.item(&created);
            let etag = etag_of(&created);
            let get_if_none_match = |tag: String| {
                let path = path.clone();
                async move { send(app, Method::GET, &path, None, &[("if-none-match", &tag)]).await }
            };

            for matching in [
                etag.clone(),
                format!("W/{etag}"),
                format!("\"v0\", {etag}"),
                "*".to_owned(),
            ] {
                let response = get_if_none_match(matching.clone()).await;
                assert_eq!(response.status(), 304, "If-None-Match {matching}");
                assert_eq!(header(&response, ETAG), Some(etag.clone()), "{matching}");
                assert_eq!(response.text().await.expect("body"), "", "{matching}");
            }

            let response = get_if_none_match("\"v99\"".to_owned()).await;
            assert_eq!(header(&response, ETAG), Some(etag.clone()));
            assert_eq!(json_with_status(response, 200).await, created);

            // After a write the old ETag no longer matches.
            let patch = (r.patch)(fresh_number());
            let patched = assert_patched(app.patch(&path, &patch).await, &created, &patch).await;
            let response = get_if_none_match(etag.clone()).await;
            assert_eq!(header(&response, ETAG), Some(etag_of(&patched)));
            assert_eq!(json_with_status(response, 200).await, patched);
            let response = get_if_none_match(etag_of(&patched)).await;
            assert_eq!(response.status(), 304);
        })
    })
    .await;
}

async fn wrong_content_type_is_415(backend: Backend) {
    each_resource(backend, |app, r| {
        Box::pin(async move {
            let row = r.create(app).await;
            let path = r.item(&row);
            let rows = app.count_rows(r.table).await;

            let body = (r.body)(app, fresh_number()).await;
            let patch = (r.patch)(fresh_number());
            for content_type in [Some("text/plain"), None] {
                let headers: Vec<(&str, &str)> = content_type
                    .map(|t| ("content-type", t))
                    .into_iter()
                    .collect();
                for (method, target, sent) in [
                    (Method::POST, r.path, &body),
                    (Method::PATCH, path.as_str(), &patch),
                ] {
                    let response = send(app, method.clone(), target, Some(sent), &headers).await;
                    let refused = problem(response, 415).await;
                    assert_eq!(
                        refused["type"], "/problems/unsupported-media-type",
                        "{method} {target} with {content_type:?}: {refused}"
                    );
                    assert_eq!(refused["instance"], target, "{refused}");
                }
            }
            assert_eq!(app.count_rows(r.table).await, rows);
            assert_eq!(fetch(app, &path).await, row);

            // The same bodies as JSON are accepted: only the content type was wrong.
            app.create(r.path, body).await;
            assert_patched(app.patch(&path, &patch).await, &row, &patch).await;
            assert_eq!(app.count_rows(r.table).await, rows + 1);
        })
    })
    .await;
}

async fn unknown_list_parameters_are_400(backend: Backend) {
    each_resource(backend, |app, r| {
        Box::pin(async move {
            r.create(app).await;
            for (query, unknown) in [
                ("colour=red", "colour"),
                ("page_size=2&colour=red", "colour"),
                ("sort=created_at&pagesize=2", "pagesize"),
            ] {
                let path = format!("{}?{query}", r.path);
                let refused = problem(app.get(&path).await, 400).await;
                assert_eq!(
                    refused["type"], "/problems/bad-request",
                    "{path}: {refused}"
                );
                assert_eq!(refused["instance"], r.path, "{path}: {refused}");
                assert_eq!(refused["errors"][0]["field"], unknown, "{path}: {refused}");
                assert_eq!(
                    refused["errors"][0]["code"], "unknown_parameter",
                    "{path}: {refused}"
                );
            }
        })
    })
    .await;
}

async fn bad_page_tokens_are_400(backend: Backend) {
    each_resource(backend, |app, r| {
        Box::pin(async move {
            r.create(app).await;
            r.create(app).await;
            let first =
                json_with_status(app.get(&format!("{}?page_size=1", r.path)).await, 200).await;
            let issued = first["next_page_token"]
                .as_str()
                .expect("a next page")
                .to_owned();

            let mut queries = vec![
                "page_token=not-a-token".to_owned(),
                "page_token=garbage".to_owned(),
                // base64url of `{"v":1}`: decodes, but is no position.
                "page_token=eyJ2IjoxfQ".to_owned(),
                // A real token, cut short.
                format!("page_token={}", &issued[..issued.len() / 2]),
            ];
            // A token is bound to the sort it was issued for.
            queries.push(format!("sort=-created_at&page_token={issued}"));
            for (sort, _) in r.sorts {
                if *sort != "created_at" {
                    queries.push(format!("sort={sort}&page_token={issued}"));
                }
            }
            for query in queries {
                let path = format!("{}?{query}", r.path);
                let refused = problem(app.get(&path).await, 400).await;
                assert_eq!(
                    refused["type"], "/problems/bad-request",
                    "{path}: {refused}"
                );
                assert!(names_field(&refused, "page_token"), "{path}: {refused}");
                assert_eq!(
                    refused["errors"][0]["field"], "page_token",
                    "{path}: {refused}"
                );
            }
            // The issued token itself is good.
            let second = json_with_status(
                app.get(&format!("{}?page_size=1&page_token={issued}", r.path))
                    .await,
                200,
            )
            .await;
            assert_eq!(second["items"].as_array().expect("items").len(), 1);
        })
    })
    .await;
}

/// The value a sort orders a row by.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum SortValue {
    Null,
    Int(i64),
    Text(String),
    Time(chrono::DateTime<chrono::Utc>),
}

fn sort_value(row: &Value, field: &str, key: Key) -> SortValue {
    let value = &row[field];
    match (key, value) {
        (Key::Int, Value::Null) => SortValue::Null,
        (Key::Int, _) => SortValue::Int(value.as_i64().expect("integer sort field")),
        (Key::Text, _) => SortValue::Text(value.as_str().expect("text sort field").to_owned()),
        (Key::Time, _) => SortValue::Time(
            chrono::DateTime::parse_from_rfc3339(value.as_str().expect("time sort field"))
                .expect("RFC 3339 timestamp")
                .with_timezone(&chrono::Utc),
        ),
    }
}

/// Walks the list (`query` picks the sort, empty for the default) `page_size` rows a page
/// to the end: every page but the last is full and has a `next_page_token`; the last one's
/// is null.
async fn walk(app: &TestApp, collection: &str, query: &str, page_size: usize) -> Vec<Value> {
    let mut rows: Vec<Value> = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut path = format!("{collection}?{query}&page_size={page_size}");
        if let Some(token) = &token {
            path.push_str(&format!("&page_token={token}"));
        }
        let page = json_with_status(app.get(&path).await, 200).await;
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= page_size, "{path}: {} items", items.len());
        rows.extend(items.iter().cloned());
        match &page["next_page_token"] {
            Value::String(next) => {
                assert_eq!(
                    items.len(),
                    page_size,
                    "{path}: a short page before the end"
                );
                token = Some(next.clone());
            }
            Value::Null => return rows,
            other => panic!("{path}: next_page_token is {other}"),
        }
        assert!(rows.len() < 1000, "{path}: paging does not end");
    }
}

/// The ids among `rows` that are in `created`, in the order of `rows`.
fn created_among<'a>(rows: &'a [Value], created: &[String]) -> Vec<&'a str> {
    rows.iter()
        .map(id_of)
        .filter(|id| created.iter().any(|c| c == id))
        .collect()
}

async fn pages_hold_every_row_once_in_sort_order(backend: Backend) {
    each_resource(backend, |app, r| {
        Box::pin(async move {
            let mut created = Vec::new();
            for _ in 0..7 {
                created.push(id_of(&r.create(app).await).to_owned());
            }
            // Two rows touched, the first one last: updated order differs from created order.
            for index in [3, 0] {
                let path = format!("{}/{}", r.path, created[index]);
                let before = fetch(app, &path).await;
                let patch = (r.patch)(fresh_number());
                assert_patched(app.patch(&path, &patch).await, &before, &patch).await;
            }

            for &(field, key) in r.sorts {
                for descending in [false, true] {
                    let sort = if descending {
                        format!("-{field}")
                    } else {
                        field.to_owned()
                    };
                    let rows = walk(app, r.path, &format!("sort={sort}"), 2).await;
                    let whole = json_with_status(
                        app.get(&format!("{}?sort={sort}&page_size=500", r.path))
                            .await,
                        200,
                    )
                    .await;
                    assert_eq!(
                        Value::Array(rows.clone()),
                        whole["items"],
                        "{sort}: the pages put together are the whole list"
                    );

                    let mut seen: HashMap<&str, usize> = HashMap::new();
                    for row in &rows {
                        *seen.entry(id_of(row)).or_default() += 1;
                    }
                    assert!(
                        seen.values().all(|&count| count == 1),
                        "{sort}: a row twice"
                    );
                    for id in &created {
                        assert_eq!(seen.get(id.as_str()), Some(&1), "{sort}: row {id}");
                    }

                    // In the order the sort says, the id breaking ties (the same way round).
                    let expected = if descending {
                        Ordering::Greater
                    } else {
                        Ordering::Less
                    };
                    for pair in rows.windows(2) {
                        let order = sort_value(&pair[0], field, key)
                            .cmp(&sort_value(&pair[1], field, key))
                            .then_with(|| id_of(&pair[0]).cmp(id_of(&pair[1])));
                        assert_eq!(order, expected, "{sort}: {} before {}", pair[0], pair[1]);
                    }

                    // Rows made one after the other come in creation order; the last touched
                    // come first when the most recently updated do.
                    let ours = created_among(&rows, &created);
                    match sort.as_str() {
                        "created_at" => assert_eq!(ours, created, "{sort}"),
                        "-created_at" => {
                            let reversed: Vec<&str> =
                                created.iter().rev().map(String::as_str).collect();
                            assert_eq!(ours, reversed, "{sort}");
                        }
                        "-updated_at" => assert_eq!(
                            ours[..2],
                            [created[0].as_str(), created[3].as_str()],
                            "{sort}"
                        ),
                        _ => {}
                    }
                }
            }

            // Without a sort, the list is in creation order.
            let rows = walk(app, r.path, "", 2).await;
            assert_eq!(created_among(&rows, &created), created, "default order");
        })
    })
    .await;
}
