//! Operational endpoints outside `/v1`: liveness, readiness, metrics, and the fallback for
//! unknown routes. Liveness and metrics never touch the database, so they answer while it
//! hangs; readiness asks it, within 2 s.

use std::collections::HashMap;

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::core::error::DomainError;
use crate::db;
use crate::AppState;

pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config.service(healthz).service(readyz).service(metrics);
}

/// Liveness or readiness report.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "ok", "database": "postgres"}))]
pub struct HealthStatus {
    /// `ok`.
    pub status: String,
    /// The database backend in use (readiness only).
    #[serde(skip_serializing_if = "Option::is_none")]
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
