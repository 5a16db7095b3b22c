//! HTTP for API keys: admins make, list, read and revoke them.

use actix_web::{delete, get, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::model::{
    ApiKey, ApiKeyCreate, ApiKeyCreated, ApiKeyFilter, ApiKeyId, ApiKeyPage, ApiKeySort,
    ApiKeyStatus,
};
use super::service;
use crate::core::auth::Role;
use crate::core::error::DomainError;
use crate::http::auth::{Admin, Authorized, Writer};
use crate::http::extract::{IdPath, IfMatch, IfNoneMatch};
use crate::http::json::JsonBody;
use crate::http::query::{parse_list, ListFilter, ListQuery};
use crate::AppState;

pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config
        .service(list_api_keys)
        .service(create_api_key)
        .service(get_api_key)
        .service(revoke_api_key);
}

/// Filters of `GET /v1/api-keys`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ApiKeyListFilter {
    /// Only keys with these roles (repeat the parameter or separate values with commas for
    /// any of).
    #[param(value_type = Option<Vec<Role>>, style = Form, example = json!(["editor"]))]
    pub role: Option<String>,
    /// Only keys in these states (repeated or comma-separated for any of).
    #[param(value_type = Option<Vec<ApiKeyStatus>>, style = Form, example = json!(["active"]))]
    pub status: Option<String>,
}

impl ListFilter for ApiKeyListFilter {
    type Parsed = ApiKeyFilter;
    const SEARCH: Option<crate::http::query::SearchDoc> = None;

    fn parse(self, _: Option<Vec<String>>) -> Result<ApiKeyFilter, DomainError> {
        Ok(ApiKeyFilter {
            roles: parse_list("role", &self.role, "a role")?,
            statuses: parse_list("status", &self.status, "a key status")?,
        })
    }
}

type ListParams = ListQuery<ApiKeyListFilter, ApiKeySort>;

/// List API keys
///
/// Every key, revoked and expired ones included, oldest first by default; never their
/// secrets.
#[utoipa::path(
    tag = "api-keys",
    operation_id = "listApiKeys",
    security(("bearer" = ["admin"])),
    params(ListParams, IfNoneMatch),
    responses(
        (status = 200, description = "A page of API keys", body = ApiKeyPage,
            headers(("ETag" = String, description = "Weak tag of the page's content; 304 for `If-None-Match` while the page is unchanged"))),
        (status = 304, description = "The cached page is current",
            headers(("ETag" = String, description = "Weak tag of the page's content; 304 for `If-None-Match` while the page is unchanged"))),
        (status = 400, response = crate::http::responses::BadRequest)
    )
)]
#[get("")]
async fn list_api_keys(
    _caller: Authorized<Admin>,
    state: web::Data<AppState>,
    query: ListParams,
    cached: IfNoneMatch,
) -> Result<HttpResponse, DomainError> {
    let (items, next_page_token) =
        service::list(&state.pool, query.filter, query.sort, query.page).await?;
    crate::http::listed(
        &cached,
        &ApiKeyPage {
            items,
            next_page_token,
        },
    )
}

/// Create an API key
///
/// The answer holds the key itself (`key`), this once: only its SHA-256 is stored. An
/// `editor` key may be limited to `regions` (with their subregions), and with `global` also
/// write rows that belong to no region. The key works until `expires_at` (if given) or until
/// it is revoked. Send it as `Authorization: Bearer <key>`. This operation does not take
/// `Idempotency-Key`: its answer carries the secret, which is never stored; a retry makes a
/// second key, which can be revoked.
#[utoipa::path(
    tag = "api-keys",
    operation_id = "createApiKey",
    security(("bearer" = ["admin"])),
    request_body(content = ApiKeyCreate, content_type = "application/json"),
    responses(
        (status = 201, description = "Created; the body holds the key, shown only now", body = ApiKeyCreated,
            headers(("Location" = String, description = "URL of the new key"),
                ("ETag" = String, description = "Version tag"))),
        (status = 400, response = crate::http::responses::BadRequest),
    )
)]
#[post("")]
async fn create_api_key(
    context: Writer<Admin>,
    state: web::Data<AppState>,
    body: JsonBody<ApiKeyCreate>,
) -> Result<HttpResponse, DomainError> {
    let mut context = context.into_context();
    // The answer is never stored: it holds the secret.
    context.idempotency = None;
    let created = service::create(&state.pool, &context, body.0).await?;
    let answer = crate::http::created(
        format!("/v1/api-keys/{}", created.api_key.id),
        created.api_key.version,
        &created,
    )?;
    let mut response = crate::http::idempotency::answer_response(answer, false);
    response.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// Get an API key
#[utoipa::path(
    tag = "api-keys",
    operation_id = "getApiKey",
    security(("bearer" = ["admin"])),
    params(ApiKeyId, IfNoneMatch),
    responses(
        (status = 200, description = "The key, without its secret", body = ApiKey,
            headers(("ETag" = String, description = "Version tag"))),
        (status = 304, description = "The cached copy is current",
            headers(("ETag" = String, description = "Version tag")))
    )
)]
#[get("/{id}")]
async fn get_api_key(
    _caller: Authorized<Admin>,
    state: web::Data<AppState>,
    id: IdPath<ApiKeyId>,
    cached: IfNoneMatch,
) -> Result<HttpResponse, DomainError> {
    let key = service::get(&state.pool, id.0).await?;
    Ok(crate::http::fetched(&cached, key.version, &key))
}

/// Revoke an API key
///
/// The key stops working at once on this instance, and within `LABNET_KEY_CACHE_SECONDS`
/// (5 s by default) on every other instance. It stays listed, as `revoked`, for the audit
/// trail. Revoking a revoked key changes nothing (204 again). With `If-Match`, only the
/// version it names is revoked (412 otherwise).
#[utoipa::path(
    tag = "api-keys",
    operation_id = "revokeApiKey",
    security(("bearer" = ["admin"])),
    params(ApiKeyId, IfMatch),
    responses(
        (status = 204, description = "Revoked"),
        (status = 412, response = crate::http::responses::PreconditionFailed)
    )
)]
#[delete("/{id}")]
async fn revoke_api_key(
    context: Writer<Admin>,
    state: web::Data<AppState>,
    id: IdPath<ApiKeyId>,
    precondition: IfMatch,
) -> Result<HttpResponse, DomainError> {
    service::revoke(&state.pool, &context, id.0, precondition.0).await?;
    state.auth.forget_key(id.0);
    Ok(HttpResponse::NoContent().finish())
}
