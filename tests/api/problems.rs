//! Problem types and field-error codes: every type the service sends resolves to a page
//! (`GET /problems/{name}`, HTML or JSON), unknown names are 404, and no code or type in the
//! sources is missing from the tables the spec is generated from.

use std::path::{Path, PathBuf};

use labnet::core::error::{FieldCode, ProblemType};
use reqwest::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE, VARY};
use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::common::{json_with_status, problem, spawn_app, Backend};

backend_tests!(
    every_problem_type_has_a_page,
    problem_pages_answer_json_when_asked,
    unknown_problem_names_are_404,
    the_type_of_a_live_problem_resolves,
);

fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> String {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Each type of the table resolves, as a client follows `type` from a problem document:
/// an HTML page with its title, status, when it happens and what to do.
async fn every_problem_type_has_a_page(backend: Backend) {
    let app = spawn_app(backend).await;
    for problem_type in ProblemType::ALL {
        let response = app.get(problem_type.uri).await;
        assert_eq!(response.status(), 200, "{}", problem_type.uri);
        assert!(
            header(&response, CONTENT_TYPE).starts_with("text/html"),
            "{}",
            problem_type.uri
        );
        assert!(header(&response, VARY)
            .to_ascii_lowercase()
            .contains("accept"));
        assert!(header(&response, CACHE_CONTROL).contains("max-age"));
        assert!(response.headers().get("x-request-id").is_some());
        let page = response.text().await.unwrap();
        let title = problem_type.title.replace('&', "&amp;");
        assert!(
            page.contains(&format!("<h1>{title}</h1>")),
            "{}: {page}",
            problem_type.uri
        );
        assert!(page.contains(&format!("<strong>{}</strong>", problem_type.status)));
        assert!(page.contains("When it happens") && page.contains("What to do"));
        assert!(page.starts_with("<!DOCTYPE html>"));
    }

    let page = app.get("/problems/duplicate").await.text().await.unwrap();
    assert!(page.contains("A unique field is already taken"), "{page}");
    assert!(page.contains("<code>duplicate</code>"), "{page}");
    // The page links to the others, relative to itself.
    assert!(page.contains("<a href=\"not-found\">"), "{page}");

    // HEAD works like GET, without the body.
    let head = app
        .request(Method::HEAD, "/problems/duplicate", None, &[])
        .await;
    assert_eq!(head.status(), 200);
    assert!(header(&head, CONTENT_TYPE).starts_with("text/html"));
    assert!(head.text().await.unwrap().is_empty());
}

async fn problem_pages_answer_json_when_asked(backend: Backend) {
    let app = spawn_app(backend).await;
    for accept in [
        "application/json",
        "application/problem+json",
        "text/html;q=0.5, application/json",
    ] {
        let response = app
            .request(
                Method::GET,
                "/problems/precondition-failed",
                None,
                &[("accept", accept)],
            )
            .await;
        assert!(
            header(&response, CONTENT_TYPE).starts_with("application/json"),
            "{accept}"
        );
        let body = json_with_status(response, 200).await;
        assert_eq!(body["type"], "/problems/precondition-failed");
        assert_eq!(body["title"], "The resource has changed");
        assert_eq!(body["status"], 412);
        assert!(
            body["when"].as_str().unwrap().contains("If-Match"),
            "{body}"
        );
        assert!(
            body["what_to_do"].as_str().unwrap().contains("ETag"),
            "{body}"
        );
    }
    for accept in ["text/html", "*/*", "application/json;q=0.5, text/html"] {
        let response = app
            .request(
                Method::GET,
                "/problems/precondition-failed",
                None,
                &[(ACCEPT.as_str(), accept)],
            )
            .await;
        assert!(
            header(&response, CONTENT_TYPE).starts_with("text/html"),
            "{accept}"
        );
    }
}

async fn unknown_problem_names_are_404(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in [
        "/problems/nope",
        "/problems/NOT-FOUND",
        "/problems/not-found/x",
    ] {
        let body = problem(app.get(path).await, 404).await;
        assert_eq!(body["type"], "/problems/not-found", "{path}");
        assert_eq!(body["instance"], path);
    }
    let body = problem(app.get("/problems/nope").await, 404).await;
    assert!(
        body["detail"].as_str().unwrap().contains("`nope`"),
        "{body}"
    );
    // The problem pages only read.
    let refused = app
        .request(Method::POST, "/problems/duplicate", Some(&json!({})), &[])
        .await;
    let body = problem(refused, 405).await;
    assert_eq!(body["type"], "/problems/method-not-allowed");
}

/// A client follows the `type` of a problem it got, and lands on its page.
async fn the_type_of_a_live_problem_resolves(backend: Backend) {
    let app = spawn_app(backend).await;
    let missing = problem(
        app.get("/v1/regions/0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f70")
            .await,
        404,
    )
    .await;
    let invalid = problem(app.post("/v1/regions", &json!({"name": 5})).await, 422).await;
    for body in [missing, invalid] {
        let page_url = reqwest::Url::parse(&app.url("/v1/regions/x"))
            .unwrap()
            .join(body["type"].as_str().unwrap())
            .unwrap();
        let page = app.client.get(page_url).send().await.unwrap();
        assert_eq!(page.status(), 200, "{body}");
        let text = page.text().await.unwrap();
        assert!(text.contains(body["title"].as_str().unwrap()), "{text}");
    }
}

// ---- the tables cover the sources ----

fn source_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            source_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

pub fn sources() -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    source_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            (path, text)
        })
        .collect()
}

/// The top-level arguments of the call whose `(` is at `open`, as source text.
fn call_arguments(text: &str, open: usize) -> Vec<String> {
    let mut arguments = vec![String::new()];
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for character in text[open..].chars() {
        if in_string {
            arguments.last_mut().unwrap().push(character);
            match (escaped, character) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match character {
            '"' => in_string = true,
            '(' | '[' | '{' => {
                depth += 1;
                if depth == 1 {
                    continue;
                }
            }
            ')' | ']' | '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => {
                arguments.push(String::new());
                continue;
            }
            _ => {}
        }
        arguments.last_mut().unwrap().push(character);
    }
    // A trailing comma leaves no argument after it.
    if arguments.last().is_some_and(|last| last.trim().is_empty()) {
        arguments.pop();
    }
    arguments
}

/// The string literals that look like codes (`snake_case`) in a piece of source.
fn code_literals(argument: &str) -> Vec<String> {
    argument
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|text| !text.is_empty() && text.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .map(str::to_owned)
        .collect()
}

/// Every code literal given to a field error, wherever it is built (`FieldError::new`,
/// `DomainError::invalid`, `DomainError::bad_parameter`, `Checks::push`), is in the
/// `FieldCode` table the spec's enum comes from.
#[test]
fn every_field_code_in_the_sources_is_in_the_table() {
    let mut checked = Vec::new();
    for (path, text) in sources() {
        for call in ["FieldError::new(", "invalid(", "bad_parameter(", ".push("] {
            for (at, _) in text.match_indices(call) {
                let open = at + call.len() - 1;
                let arguments = call_arguments(&text, open);
                let Some(code) = arguments.get(1) else {
                    continue;
                };
                if arguments.len() != 3 {
                    continue;
                }
                for literal in code_literals(code) {
                    assert!(
                        FieldCode::named(&literal).is_some(),
                        "{}: field-error code `{literal}` is not in the FieldCode table",
                        path.display()
                    );
                    checked.push(literal);
                }
            }
        }
    }
    // The scan finds the codes it is there to check.
    for expected in [
        "required",
        "out_of_range",
        "too_long",
        "duplicate",
        "read_only",
    ] {
        assert!(
            checked.iter().any(|code| code == expected),
            "the scan did not see `{expected}`: {checked:?}"
        );
    }
    assert!(checked.len() > 20, "{} codes seen", checked.len());
}

/// Every `/problems/…` the sources mention (documentation, examples) is in the table.
#[test]
fn every_problem_type_in_the_sources_is_in_the_table() {
    let mut seen = 0;
    for (path, text) in sources() {
        for (at, _) in text.match_indices("/problems/") {
            let name: String = text[at + "/problems/".len()..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '-')
                .collect();
            if name.is_empty() {
                continue;
            }
            assert!(
                ProblemType::named(&name).is_some(),
                "{}: `/problems/{name}` is not in the ProblemType table",
                path.display()
            );
            seen += 1;
        }
    }
    assert!(seen > 20, "{seen} mentions");
}

/// The codes of the query and JSON extractors are sent as the table spells them.
#[test]
fn field_codes_serialize_as_their_names() {
    for code in FieldCode::ALL {
        assert_eq!(
            serde_json::to_value(code).unwrap(),
            Value::from(code.name())
        );
        assert_eq!(FieldCode::named(code.name()), Some(*code));
    }
    for name in [
        "unknown_parameter",
        "duplicate_parameter",
        "too_many_words",
        "mismatch",
        "too_many_errors",
        "unknown_field",
        "invalid_type",
        "invalid_value",
        "cycle",
    ] {
        assert!(FieldCode::named(name).is_some(), "{name}");
    }
    let mut uris: Vec<&str> = ProblemType::ALL.iter().map(|p| p.uri).collect();
    uris.sort();
    uris.dedup();
    assert_eq!(
        uris.len(),
        ProblemType::ALL.len(),
        "problem types are unique"
    );
}
