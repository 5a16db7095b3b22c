//! Operational endpoints outside `/v1`: liveness, readiness, metrics, and the fallback for
//! unknown routes.

use actix_web::http::header::ContentType;
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db;
use crate::error::ApiError;
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
async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let backend = state
        .settings
        .database()
        .map(|url| url.backend_name())
        .unwrap_or("unknown");
    db::run(&state.pool, |conn| {
        db::migrations_complete(conn)
            .map_err(|e| {
                tracing::warn!(error = %e, "readiness check failed");
                ApiError::unavailable("the database does not answer")
            })
            .and_then(|complete| {
                if complete {
                    Ok(())
                } else {
                    Err(ApiError::unavailable("database migrations are pending"))
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

/// Requests that match no endpoint: 405 when the path exists with other methods, else 404.
pub async fn no_route(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let _ = ContentType::json();
    if req.match_pattern().is_some() {
        return Err(ApiError::MethodNotAllowed(format!(
            "{} is not supported on {}",
            req.method(),
            req.path()
        )));
    }
    Err(ApiError::NotFound(format!(
        "there is no endpoint at {}",
        req.path()
    )))
}
