//! HTTP for the audit trail (`GET /v1/audit-events`) and the change feed
//! (`GET /v1/changes`). A record's own trail (`GET /v1/{resources}/{id}/audit`) is one of
//! the kit's standard endpoints (`resource_endpoints!`).

use std::future::{ready, Ready};
use std::time::Duration;

use actix_web::{get, web, FromRequest, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::model::{
    AuditEventPage, AuditFilter, ChangeFeed, FeedCursor, NewestFirst, RESOURCE_TYPES,
};
use super::service::{self, FeedRequest, DEFAULT_FEED_LIMIT, MAX_FEED_LIMIT, MAX_WAIT_SECONDS};
use crate::core::error::{DomainError, FieldCode};
use crate::core::time::{parse_timestamp, Timestamp};
use crate::db::audit::AuditAction;
use crate::http::auth::{Authorized, Reader};
use crate::http::extract::IfNoneMatch;
use crate::http::query::{parse_list, parse_one, FilteredPageQuery, ListFilter};
use crate::AppState;

pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config.service(list_audit_events).service(read_changes);
}

/// Filters of `GET /v1/audit-events`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditEventListFilter {
    /// Only events of these record types (repeat the parameter or separate values with
    /// commas for any of): `region`, `laboratory`, `vendor`, `localization`,
    /// `organization`, `equipment_model`, `equipment_unit`, `registration_certificate`,
    /// `recognition_agreement`, `api_key`.
    #[param(value_type = Option<Vec<String>>, style = Form, example = json!(["laboratory", "region"]))]
    pub resource_type: Option<String>,
    /// Only events of this record.
    #[param(value_type = Option<uuid::Uuid>, example = "0193a0f4-8b31-7c3d-9a10-2b3c4d5e6f71")]
    pub resource_id: Option<String>,
    /// Only events made by this actor (an API key's id, a token's subject, `cli`).
    #[param(value_type = Option<String>, example = "0193a0f4-9d20-7c3d-9a10-2b3c4d5e6fa0")]
    pub actor_id: Option<String>,
    /// Only events with these actions (repeated or comma-separated for any of).
    #[param(value_type = Option<Vec<AuditAction>>, style = Form, example = json!(["update", "delete"]))]
    pub action: Option<String>,
    /// Only events that occurred strictly after this instant (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime, example = "2026-11-01T00:00:00Z")]
    pub occurred_after: Option<String>,
    /// Only events that occurred strictly before this instant (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime, example = "2026-12-01T00:00:00Z")]
    pub occurred_before: Option<String>,
}

fn parse_instant(parameter: &str, raw: &Option<String>) -> Result<Option<Timestamp>, DomainError> {
    raw.as_deref()
        .map(|text| {
            parse_timestamp(text.trim()).map(Timestamp).map_err(|_| {
                DomainError::bad_parameter(
                    parameter,
                    FieldCode::Invalid,
                    format!(
                        "`{}` is not an RFC 3339 date-time (such as 2026-11-24T09:30:00Z)",
                        crate::core::error::echo(text)
                    ),
                )
            })
        })
        .transpose()
}

impl ListFilter for AuditEventListFilter {
    type Parsed = AuditFilter;
    const SEARCH: Option<crate::http::query::SearchDoc> = None;

    fn parse(self, _: Option<Vec<String>>) -> Result<AuditFilter, DomainError> {
        let resource_types = parse_list::<String>("resource_type", &self.resource_type, "a type")?;
        if let Some(types) = &resource_types {
            if let Some(unknown) = types.iter().find(|t| !RESOURCE_TYPES.contains(&t.as_str())) {
                return Err(DomainError::bad_parameter(
                    "resource_type",
                    FieldCode::Invalid,
                    format!(
                        "`{}` is not a resource type; use one of {}",
                        crate::core::error::echo(unknown),
                        RESOURCE_TYPES.join(", ")
                    ),
                ));
            }
        }
        let actor_id = match self.actor_id.as_deref().map(str::trim) {
            Some("") => {
                return Err(DomainError::bad_parameter(
                    "actor_id",
                    FieldCode::Invalid,
                    "give an actor id",
                ))
            }
            other => other.map(str::to_owned),
        };
        let filter = AuditFilter {
            resource_types,
            resource_id: self
                .resource_id
                .as_deref()
                .map(|raw| parse_one("resource_id", raw, "a UUID"))
                .transpose()?,
            actor_id,
            actions: parse_list("action", &self.action, "an audit action")?,
            occurred_after: parse_instant("occurred_after", &self.occurred_after)?,
            occurred_before: parse_instant("occurred_before", &self.occurred_before)?,
        };
        Ok(filter)
    }
}

type AuditEventQuery = FilteredPageQuery<AuditEventListFilter, NewestFirst>;

/// List audit events
///
/// Every write to the registry and to API keys, newest first: who made it (`actor`), when,
/// in which request (`request_id`, the request's `X-Request-Id`), and each field it changed
/// with its old and new value. Events are written in the write's own transaction and can be
/// neither changed nor deleted. Filters combine with AND; several values within one filter
/// mean "any of".
#[utoipa::path(
    tag = "audit",
    operation_id = "listAuditEvents",
    security(("bearer" = ["reader"])),
    params(AuditEventQuery, IfNoneMatch),
    responses(
        (status = 200, description = "A page of audit events, newest first", body = AuditEventPage,
            headers(("ETag" = String, description = "Weak tag of the page's content; 304 for `If-None-Match` while the page is unchanged"))),
        (status = 304, description = "The cached page is current",
            headers(("ETag" = String, description = "Weak tag of the page's content; 304 for `If-None-Match` while the page is unchanged"))),
        (status = 400, response = crate::http::responses::BadRequest)
    )
)]
#[get("/v1/audit-events")]
async fn list_audit_events(
    _caller: Authorized<Reader>,
    state: web::Data<AppState>,
    query: AuditEventQuery,
    cached: IfNoneMatch,
) -> Result<HttpResponse, DomainError> {
    let (items, next_page_token) = service::list(&state.pool, query.filter, query.page).await?;
    crate::http::listed(
        &cached,
        &AuditEventPage {
            items,
            next_page_token,
        },
    )
}

/// Parameters of `GET /v1/changes` (for the documentation; [`FeedQuery`] reads them).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedParams {
    /// Read the changes after this cursor (`next_cursor` or an item's `cursor` from an
    /// earlier read); absent to read from the first change.
    #[param(value_type = Option<String>, example = "ZjE6NDI")]
    pub after: Option<String>,
    /// Most changes to return, 1–1000 (default 100).
    #[param(value_type = Option<i32>, minimum = 1, maximum = 1000, example = 100)]
    pub limit: Option<String>,
    /// When there is nothing after `after`: how many seconds, 0–30 (default 0), to wait for
    /// a change before answering with an empty list.
    #[param(value_type = Option<i32>, minimum = 0, maximum = 30, example = 20)]
    pub wait: Option<String>,
}

/// The parsed parameters of a feed read.
pub struct FeedQuery(pub FeedRequest);

fn parse_bounded(
    name: &str,
    raw: Option<&str>,
    default: i64,
    min: i64,
    max: i64,
) -> Result<i64, DomainError> {
    match raw {
        None => Ok(default),
        Some(text) => match text.trim().parse::<i64>() {
            Ok(value) if (min..=max).contains(&value) => Ok(value),
            _ => Err(DomainError::bad_parameter(
                name,
                FieldCode::OutOfRange,
                format!("must be an integer between {min} and {max}"),
            )),
        },
    }
}

impl FeedQuery {
    pub fn parse(query: &str) -> Result<Self, DomainError> {
        let mut after: Option<String> = None;
        let mut limit: Option<String> = None;
        let mut wait: Option<String> = None;
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let slot = match name.as_ref() {
                "after" => &mut after,
                "limit" => &mut limit,
                "wait" => &mut wait,
                _ => {
                    return Err(DomainError::bad_parameter(
                        &name,
                        FieldCode::UnknownParameter,
                        "unknown query parameter",
                    ))
                }
            };
            if slot.is_some() {
                return Err(DomainError::bad_parameter(
                    &name,
                    FieldCode::DuplicateParameter,
                    "the parameter is given more than once and takes one value",
                ));
            }
            *slot = Some(value.into_owned());
        }
        let after = match after.as_deref() {
            None => FeedCursor::START,
            Some(text) => FeedCursor::decode(text)?,
        };
        let limit = parse_bounded(
            "limit",
            limit.as_deref(),
            DEFAULT_FEED_LIMIT,
            1,
            MAX_FEED_LIMIT,
        )?;
        let max_wait = i64::try_from(MAX_WAIT_SECONDS).unwrap_or(30);
        let wait = parse_bounded("wait", wait.as_deref(), 0, 0, max_wait)?;
        Ok(FeedQuery(FeedRequest {
            after,
            limit,
            wait: Duration::from_secs(u64::try_from(wait).unwrap_or(0)),
        }))
    }
}

impl FromRequest for FeedQuery {
    type Error = DomainError;
    type Future = Ready<Result<Self, DomainError>>;

    fn from_request(req: &HttpRequest, _payload: &mut actix_web::dev::Payload) -> Self::Future {
        ready(Self::parse(req.query_string()))
    }
}

/// Read the change feed
///
/// Every change to regions, laboratories, vendors, localizations, organizations, equipment
/// models and units, registration certificates and recognition agreements, in the order the
/// writes committed, each exactly once: a client that reads on from `next_cursor`
/// sees every change, none twice, and each record's versions in increasing order, however
/// many writers and service instances there are. Each item carries the whole record after
/// the write (`resource`), or `deleted: true` and `resource: null` for a delete (a
/// tombstone). `next_cursor` is always sent: the position after the last item, or the
/// given cursor when nothing is new. With `wait`, a read that finds nothing new waits up to
/// that many seconds for a change (long polling) instead of answering at once.
#[utoipa::path(
    tag = "audit",
    operation_id = "readChanges",
    security(("bearer" = ["reader"])),
    params(FeedParams),
    responses(
        (status = 200, description = "The changes after the cursor, oldest first", body = ChangeFeed),
        (status = 400, response = crate::http::responses::BadRequest)
    )
)]
#[get("/v1/changes")]
async fn read_changes(
    _caller: Authorized<Reader>,
    state: web::Data<AppState>,
    query: FeedQuery,
) -> Result<HttpResponse, DomainError> {
    let feed: ChangeFeed = service::feed(&state.pool, query.0).await?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(feed))
}
