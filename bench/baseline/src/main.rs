//! The lean reference service of the labnet benchmark.
//!
//! It serves `GET /laboratories/{id}` from the same PostgreSQL `laboratories` table as
//! labnet, with one prepared statement looked up by primary key, and answers with the row
//! as JSON in the same shape labnet gives it (the disciplines come from a sub-select of the
//! same statement). Nothing else: no logging, metrics, ETags or middleware. The gap between
//! it and labnet under the same load is what labnet's layers cost.
//!
//! Settings (environment):
//!   DATABASE_URL         postgres://… (required)
//!   BASELINE_BIND        address to listen on (default 127.0.0.1:18091)
//!   BASELINE_POOL_SIZE   database connections (default 32)
//!   BASELINE_WORKERS     HTTP worker threads (default: one per core)

use actix_web::{get, web, App, HttpResponse, HttpServer};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use serde::Serialize;
use tokio_postgres::NoTls;
use uuid::Uuid;

const SELECT_LABORATORY: &str = "\
SELECT l.id, l.region_id, l.code, l.name, l.kind, l.parent_id, l.status, l.address, \
       l.latitude, l.longitude, l.capacity_per_day, l.opened_on, l.operator, \
       l.accreditation_standard, l.accreditation_certificate_number, \
       l.accreditation_valid_until, l.created_at, l.updated_at, l.version, \
       ARRAY(SELECT d.discipline FROM laboratory_disciplines d \
             WHERE d.laboratory_id = l.id ORDER BY d.discipline) AS disciplines \
FROM laboratories l WHERE l.id = $1";

#[derive(Serialize)]
struct Accreditation {
    standard: String,
    certificate_number: String,
    valid_until: NaiveDate,
}

#[derive(Serialize)]
struct Laboratory {
    id: Uuid,
    region_id: Uuid,
    code: String,
    name: String,
    kind: String,
    parent_id: Option<Uuid>,
    status: String,
    address: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    capacity_per_day: Option<i32>,
    opened_on: Option<NaiveDate>,
    operator: Option<String>,
    accreditation: Option<Accreditation>,
    disciplines: Vec<String>,
    created_at: String,
    updated_at: String,
    version: i64,
}

fn timestamp(value: DateTime<Utc>) -> String {
    value.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn from_row(row: &tokio_postgres::Row) -> Result<Laboratory, tokio_postgres::Error> {
    let standard: Option<String> = row.try_get(13)?;
    let certificate_number: Option<String> = row.try_get(14)?;
    let valid_until: Option<NaiveDate> = row.try_get(15)?;
    let accreditation = match (standard, certificate_number, valid_until) {
        (Some(standard), Some(certificate_number), Some(valid_until)) => Some(Accreditation {
            standard,
            certificate_number,
            valid_until,
        }),
        _ => None,
    };
    Ok(Laboratory {
        id: row.try_get(0)?,
        region_id: row.try_get(1)?,
        code: row.try_get(2)?,
        name: row.try_get(3)?,
        kind: row.try_get(4)?,
        parent_id: row.try_get(5)?,
        status: row.try_get(6)?,
        address: row.try_get(7)?,
        latitude: row.try_get(8)?,
        longitude: row.try_get(9)?,
        capacity_per_day: row.try_get(10)?,
        opened_on: row.try_get(11)?,
        operator: row.try_get(12)?,
        accreditation,
        disciplines: row.try_get(19)?,
        created_at: timestamp(row.try_get(16)?),
        updated_at: timestamp(row.try_get(17)?),
        version: row.try_get(18)?,
    })
}

fn problem(status: actix_web::http::StatusCode, detail: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/problem+json")
        .body(format!(
            "{{\"status\":{},\"detail\":{}}}",
            status.as_u16(),
            serde_json::Value::String(detail.to_owned())
        ))
}

#[get("/laboratories/{id}")]
async fn get_laboratory(pool: web::Data<Pool>, id: web::Path<String>) -> HttpResponse {
    use actix_web::http::StatusCode;
    let Ok(id) = Uuid::parse_str(&id) else {
        return problem(StatusCode::NOT_FOUND, "no such laboratory");
    };
    let client = match pool.get().await {
        Ok(client) => client,
        Err(e) => return problem(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    };
    let statement = match client.prepare_cached(SELECT_LABORATORY).await {
        Ok(statement) => statement,
        Err(e) => return problem(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    };
    match client.query_opt(&statement, &[&id]).await {
        Ok(Some(row)) => match from_row(&row) {
            Ok(laboratory) => HttpResponse::Ok().json(laboratory),
            Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
        },
        Ok(None) => problem(StatusCode::NOT_FOUND, "no such laboratory"),
        Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

#[get("/readyz")]
async fn readyz(pool: web::Data<Pool>) -> HttpResponse {
    match pool.get().await {
        Ok(client) => match client.simple_query("SELECT 1").await {
            Ok(_) => HttpResponse::Ok().body("ready"),
            Err(_) => HttpResponse::ServiceUnavailable().finish(),
        },
        Err(_) => HttpResponse::ServiceUnavailable().finish(),
    }
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let url = std::env::var("DATABASE_URL")
        .map_err(|_| std::io::Error::other("DATABASE_URL (postgres://…) is required"))?;
    let bind = env_or("BASELINE_BIND", "127.0.0.1:18091");
    let pool_size: usize = env_or("BASELINE_POOL_SIZE", "32")
        .parse()
        .map_err(|_| std::io::Error::other("BASELINE_POOL_SIZE must be a number"))?;
    let workers: usize = match std::env::var("BASELINE_WORKERS") {
        Ok(raw) => raw
            .parse()
            .map_err(|_| std::io::Error::other("BASELINE_WORKERS must be a number"))?,
        Err(_) => std::thread::available_parallelism().map_or(2, |n| n.get()),
    };

    let config: tokio_postgres::Config = url
        .parse()
        .map_err(|e| std::io::Error::other(format!("DATABASE_URL: {e}")))?;
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    let pool = Pool::builder(manager)
        .max_size(pool_size)
        .build()
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let pool = web::Data::new(pool);

    HttpServer::new(move || {
        App::new()
            .app_data(pool.clone())
            .service(get_laboratory)
            .service(readyz)
    })
    .workers(workers)
    .bind(&bind)?
    .run()
    .await
}
