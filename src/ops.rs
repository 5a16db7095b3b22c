//! Operational endpoints outside `/v1`: liveness, readiness, metrics, the pages describing
//! each problem type, and the fallback for unknown routes. Liveness and metrics never touch
//! the database, so they answer while it hangs; readiness asks it, within 2 s.

use std::collections::HashMap;

use std::future::{ready, Ready};

use actix_web::http::header;
use actix_web::{get, web, FromRequest, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::Required;
use utoipa::ToSchema;

use crate::core::error::{echo, DomainError, ProblemType};
use crate::db;
use crate::AppState;

pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config
        .service(healthz)
        .service(readyz)
        .service(metrics)
        .service(problem_page);
}

/// Liveness or readiness report.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "ok", "database": "postgres"}))]
pub struct HealthStatus {
    /// `ok`.
    pub status: String,
    /// The database backend in use; present on readiness only (left out, never `null`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String, required = false, example = "postgres")]
    pub database: Option<String>,
}

/// Liveness: the process is up and serving.
#[utoipa::path(
    tag = "operations",
    operation_id = "getHealth",
    responses((status = 200, description = "The process is up", body = HealthStatus))
)]
#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(HealthStatus {
        status: "ok".to_owned(),
        database: None,
    })
}

/// How long `/readyz` waits for the database before it answers 503.
const READINESS_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Readiness: the database answers and every migration is applied.
#[utoipa::path(
    tag = "operations",
    operation_id = "getReadiness",
    responses(
        (status = 200, description = "Ready to serve", body = HealthStatus),
        (status = 503, response = crate::http::responses::ServiceUnavailable)
    )
)]
#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, DomainError> {
    let backend = state
        .settings
        .database()
        .map(|url| url.backend_name())
        .unwrap_or("unknown");
    db::run_within(&state.pool, READINESS_TIMEOUT, |conn| {
        db::migrations_complete(conn)
            .map_err(|e| {
                tracing::warn!(error = %e, "readiness check failed");
                DomainError::unavailable("the database does not answer")
            })
            .and_then(|complete| {
                if complete {
                    Ok(())
                } else {
                    Err(DomainError::unavailable("database migrations are pending"))
                }
            })
    })
    .await?;
    Ok(HttpResponse::Ok().json(HealthStatus {
        status: "ok".to_owned(),
        database: Some(backend.to_owned()),
    }))
}

/// Prometheus metrics: request counts and latency histograms by route and status, and the
/// database pool's connections in use and idle.
#[utoipa::path(
    tag = "operations",
    operation_id = "getMetrics",
    responses((status = 200, description = "Prometheus text exposition format", body = String, content_type = "text/plain; version=0.0.4"))
)]
#[get("/metrics")]
async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(&state.pool))
}

/// `/docs` → `/docs/`, where Swagger UI is served.
pub async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((actix_web::http::header::LOCATION, "/docs/"))
        .finish()
}

/// The methods each documented path pattern answers, taken from the spec; the `Allow`
/// header of a 405 lists them.
#[derive(Debug, Default)]
pub struct RouteMethods(HashMap<String, String>);

impl RouteMethods {
    pub fn from_spec(spec: &utoipa::openapi::OpenApi) -> Self {
        let routes = spec
            .paths
            .paths
            .iter()
            .map(|(pattern, item)| {
                let methods: Vec<&str> = [
                    ("GET", item.get.is_some()),
                    ("HEAD", item.get.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                ]
                .into_iter()
                .filter_map(|(method, present)| present.then_some(method))
                .collect();
                (pattern.clone(), methods.join(", "))
            })
            .collect();
        Self(routes)
    }

    /// The `Allow` value of a matched pattern; undocumented routes (the docs) only read.
    fn allow(&self, pattern: &str) -> String {
        self.0
            .get(pattern)
            .cloned()
            .unwrap_or_else(|| "GET, HEAD".to_owned())
    }
}

/// Requests that match no endpoint: 405 when the path exists with other methods, else 404.
pub async fn no_route(req: HttpRequest) -> Result<HttpResponse, DomainError> {
    if let Some(pattern) = req.match_pattern() {
        let allow = req
            .app_data::<web::Data<RouteMethods>>()
            .map(|routes| routes.allow(&pattern))
            .unwrap_or_else(|| "GET, HEAD".to_owned());
        return Err(DomainError::MethodNotAllowed {
            detail: format!(
                "{} is not supported on {}; use {allow}",
                req.method(),
                req.path()
            ),
            allow,
        });
    }
    Err(DomainError::NotFound(format!(
        "there is no endpoint at {}",
        req.path()
    )))
}

/// The problem type named by the `{name}` of `/problems/{name}`; an unknown name is a 404.
#[derive(Debug, Clone, Copy)]
pub struct ProblemName(pub &'static ProblemType);

impl FromRequest for ProblemName {
    type Error = DomainError;
    type Future = Ready<Result<Self, DomainError>>;

    fn from_request(req: &HttpRequest, _payload: &mut actix_web::dev::Payload) -> Self::Future {
        let raw = req.match_info().get("name").unwrap_or_default();
        ready(ProblemType::named(raw).map(ProblemName).ok_or_else(|| {
            DomainError::NotFound(format!(
                "there is no problem type `{}`; the types are listed in the `ProblemType` schema",
                echo(raw)
            ))
        }))
    }
}

impl utoipa::IntoParams for ProblemName {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![ParameterBuilder::new()
            .name("name")
            .parameter_in(ParameterIn::Path)
            .required(Required::True)
            .description(Some(
                "The problem type's name: the last segment of its `type` URI",
            ))
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(ProblemType::ALL.iter().map(|problem| problem.name))),
            ))
            .build()]
    }
}

/// A problem type, as `GET /problems/{name}` describes it in JSON.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "/problems/precondition-failed",
    "title": "The resource has changed",
    "status": 412,
    "when": "`If-Match` names a version of the resource that is no longer current: someone else changed it since it was read. Nothing was written.",
    "what_to_do": "Read the resource again (`GET`), apply the change to the current version, and retry with its `ETag`."
}))]
pub struct ProblemTypeDescription {
    #[serde(rename = "type")]
    #[schema(schema_with = crate::http::problem::problem_type_schema)]
    pub problem_type: &'static str,
    /// The `title` of its problem documents.
    pub title: &'static str,
    /// The HTTP status it comes with.
    pub status: u16,
    /// When the service answers with it.
    pub when: &'static str,
    /// What a client should do about it.
    pub what_to_do: &'static str,
}

impl From<&'static ProblemType> for ProblemTypeDescription {
    fn from(problem: &'static ProblemType) -> Self {
        Self {
            problem_type: problem.uri,
            title: problem.title,
            status: problem.status,
            when: problem.when,
            what_to_do: problem.remedy,
        }
    }
}

/// How long clients and caches may keep a problem type's page: the texts change only with
/// a new release.
const PROBLEM_PAGE_MAX_AGE: u32 = 86_400;

/// Describe a problem type
///
/// The page a problem document's `type` leads to: the type's title and status, when the
/// service answers with it and what to do about it. HTML by default; JSON when the `Accept`
/// header prefers `application/json`.
#[utoipa::path(
    tag = "problems",
    operation_id = "getProblemType",
    params(ProblemName),
    responses(
        (status = 200, description = "The problem type's description",
            content(
                (String = "text/html"),
                (ProblemTypeDescription = "application/json")
            ),
            headers(("Vary" = String, description = "`Accept`: the representation depends on it"))),
        (status = 404, response = crate::http::responses::NotFound)
    )
)]
#[get("/problems/{name}")]
async fn problem_page(req: HttpRequest, name: ProblemName) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::VARY, "Accept"))
        .insert_header((
            header::CACHE_CONTROL,
            format!("public, max-age={PROBLEM_PAGE_MAX_AGE}"),
        ));
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok());
    if prefers_json(accept) {
        response.json(ProblemTypeDescription::from(name.0))
    } else {
        response
            .content_type("text/html; charset=utf-8")
            .body(problem_html(name.0))
    }
}

/// Whether the client would rather have JSON than HTML; HTML wins ties.
fn prefers_json(accept: Option<&str>) -> bool {
    let json = crate::http::negotiate::quality(accept, "application/json").max(
        crate::http::negotiate::quality(accept, "application/problem+json"),
    );
    json > crate::http::negotiate::quality(accept, "text/html")
}

/// Text for HTML, with `code` spans (between backticks) as `<code>`.
fn html_text(text: &str) -> String {
    let mut html = String::with_capacity(text.len() + 16);
    let mut in_code = false;
    for character in text.chars() {
        match character {
            '`' => {
                html.push_str(if in_code { "</code>" } else { "<code>" });
                in_code = !in_code;
            }
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '"' => html.push_str("&quot;"),
            other => html.push(other),
        }
    }
    if in_code {
        html.push_str("</code>");
    }
    html
}

/// The HTML page of a problem type, with links to the others.
fn problem_html(problem: &ProblemType) -> String {
    let others: String = ProblemType::ALL
        .iter()
        .map(|other| {
            format!(
                "<li><a href=\"{}\">{}</a> ({})</li>",
                other.name,
                html_text(other.title),
                other.status
            )
        })
        .collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<title>{title} — labnet</title>\n</head>\n<body>\n<h1>{title}</h1>\n\
<p>Problem type <code>{uri}</code>, HTTP status <strong>{status}</strong>.</p>\n\
<h2>When it happens</h2>\n<p>{when}</p>\n<h2>What to do</h2>\n<p>{remedy}</p>\n\
<h2>Every problem type</h2>\n<ul>{others}</ul>\n</body>\n</html>\n",
        title = html_text(problem.title),
        uri = html_text(problem.uri),
        status = problem.status,
        when = html_text(problem.when),
        remedy = html_text(problem.remedy),
    )
}

#[cfg(test)]
mod tests {
    use super::{html_text, prefers_json};

    #[test]
    fn json_only_when_preferred() {
        assert!(!prefers_json(None));
        assert!(!prefers_json(Some("*/*")));
        assert!(!prefers_json(Some(
            "text/html,application/xhtml+xml,*/*;q=0.8"
        )));
        assert!(prefers_json(Some("application/json")));
        assert!(prefers_json(Some("application/problem+json")));
        assert!(prefers_json(Some("application/json, text/html;q=0.5")));
        assert!(!prefers_json(Some("application/json;q=0.5, text/html")));
        assert!(prefers_json(Some("text/html;q=0, */*")));
        assert!(!prefers_json(Some("image/png")));
    }

    #[test]
    fn html_text_escapes_and_marks_code() {
        assert_eq!(
            html_text("send `If-Match` <now> & \"then\""),
            "send <code>If-Match</code> &lt;now&gt; &amp; &quot;then&quot;"
        );
    }
}
