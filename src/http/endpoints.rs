//! The endpoints every resource has, written once: list, create, get, update (JSON Merge
//! Patch), delete and the record's audit trail, each with its OpenAPI documentation. A resource names its types, its
//! service and its documentation; what is special about it (extra responses, the text of
//! each operation) goes in the invocation. The service module must offer `list`, `create`,
//! `get`, `update` and `delete` with the kit's signatures.

/// Declares a resource's standard endpoints in a module `standard`, with
/// `standard::routes` registering them.
///
/// ```ignore
/// crate::resource_endpoints! {
///     tag "vendors", path "/v1/vendors", id VendorId, service service;
///     /// List vendors
///     list "listVendors" VendorListFilter, VendorSort => VendorPage "A page of vendors";
///     /// Create a vendor
///     create "createVendor" VendorCreate => Vendor "URL of the new vendor" [];
///     /// Get a vendor
///     get "getVendor" Vendor "The vendor";
///     /// Update a vendor
///     update "updateVendor" VendorPatch => Vendor "The updated vendor" [];
///     /// Delete a vendor
///     delete "deleteVendor" [];
///     /// List a vendor's audit trail
///     audit "listVendorAudit";
/// }
/// ```
#[macro_export]
macro_rules! resource_endpoints {
    (
        tag $tag:literal, path $path:literal, id $id:ident, service $service:ident;
        $(#[$list_doc:meta])*
        list $list_op:literal $filter:ident, $sort:ident => $page:ident $page_desc:literal
            $(or $alt:ident $alt_media:literal)?;
        $(#[$create_doc:meta])*
        create $create_op:literal $create:ident => $resource:ident $location_desc:literal
            [$($create_extra:tt)*];
        $(#[$get_doc:meta])*
        get $get_op:literal $get_desc:literal;
        $(#[$update_doc:meta])*
        update $update_op:literal $patch:ident => $updated_desc:literal [$($update_extra:tt)*];
        $(#[$delete_doc:meta])*
        delete $delete_op:literal [$($delete_extra:tt)*];
        $(#[$audit_doc:meta])*
        audit $audit_op:literal;
    ) => {
        mod standard {
            use actix_web::{delete, get, patch, post, web, HttpResponse};

            use super::*;
            use $crate::core::error::DomainError;
            use $crate::http::auth::{Authorized, Editor, Reader, Writer};
            use $crate::http::extract::{IdPath, IfMatch, IfNoneMatch};
            use $crate::http::idempotency::answer_response;
            use $crate::http::json::JsonBody;
            use $crate::AppState;

            type ListParams = $crate::http::query::ListQuery<$filter, $sort>;

            pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
                config
                    .service(list_items)
                    .service(create_item)
                    .service(get_item)
                    .service(update_item)
                    .service(delete_item)
                    .service(list_item_audit);
            }

            /// The paging parameters of a record's audit trail (always oldest first).
            type AuditParams =
                $crate::http::query::PageQuery<$crate::audit::model::OldestFirst>;

            $(#[$list_doc])*
            #[utoipa::path(
                tag = $tag,
                operation_id = $list_op,
                security(("bearer" = ["reader"])),
                params(ListParams, IfNoneMatch),
                responses(
                    (status = 200, description = $page_desc,
                        content(($page = "application/json") $(, ($alt = $alt_media))?),
                        headers(("ETag" = String, description = "Weak tag of the page's content; 304 for `If-None-Match` while the page is unchanged"))),
                    (status = 304, description = "The cached page is current",
                        headers(("ETag" = String, description = "Weak tag of the page's content; 304 for `If-None-Match` while the page is unchanged"))),
                    (status = 400, response = $crate::http::responses::BadRequest)
                )
            )]
            #[get("")]
            async fn list_items(
                _caller: Authorized<Reader>,
                state: web::Data<AppState>,
                query: ListParams,
                cached: IfNoneMatch,
                request: actix_web::HttpRequest,
            ) -> Result<HttpResponse, DomainError> {
                // The media types the page can take, JSON first (the default); chosen
                // before the query runs, so a 406 costs nothing. A list with one form
                // answers JSON whatever `Accept` says.
                let offered: &[&str] = &["application/json" $(, $alt_media)?];
                let form = if offered.len() > 1 {
                    $crate::http::negotiated(&request, offered)?
                } else {
                    0
                };
                let (items, next_page_token) =
                    $service::list(&state.pool, query.filter, query.sort, query.page).await?;
                let page = $page {
                    items,
                    next_page_token,
                };
                $(
                    if form == 1 {
                        return $crate::http::listed_in(&cached, &$alt::from(page), offered, form);
                    }
                )?
                $crate::http::listed_in(&cached, &page, offered, form)
            }

            $(#[$create_doc])*
            #[utoipa::path(
                tag = $tag,
                operation_id = $create_op,
                security(("bearer" = ["editor"])),
                request_body(content = $create, content_type = "application/json"),
                responses(
                    (status = 201, description = "Created", body = $resource,
                        headers(("Location" = String, description = $location_desc),
                            ("ETag" = String, description = "Version tag"))),
                    (status = 400, response = $crate::http::responses::BadRequest),
                    $($create_extra)*
                )
            )]
            #[post("")]
            async fn create_item(
                context: Writer<Editor>,
                state: web::Data<AppState>,
                body: JsonBody<$create>,
            ) -> Result<HttpResponse, DomainError> {
                let answer = |item: &$resource| {
                    $crate::http::created(format!("{}/{}", $path, item.id), item.version, item)
                };
                let context = context.into_context().answering(answer);
                let item = $service::create(&state.pool, &context, body.0).await?;
                Ok(answer_response(answer(&item)?, false))
            }

            $(#[$get_doc])*
            #[utoipa::path(
                tag = $tag,
                operation_id = $get_op,
                security(("bearer" = ["reader"])),
                params($id, IfNoneMatch),
                responses(
                    (status = 200, description = $get_desc, body = $resource,
                        headers(("ETag" = String, description = "Version tag"))),
                    (status = 304, description = "The cached copy is current",
                        headers(("ETag" = String, description = "Version tag")))
                )
            )]
            #[get("/{id}")]
            async fn get_item(
                _caller: Authorized<Reader>,
                state: web::Data<AppState>,
                id: IdPath<$id>,
                cached: IfNoneMatch,
            ) -> Result<HttpResponse, DomainError> {
                let item = $service::get(&state.pool, id.0).await?;
                Ok($crate::http::fetched(&cached, item.version, &item))
            }

            $(#[$update_doc])*
            #[utoipa::path(
                tag = $tag,
                operation_id = $update_op,
                security(("bearer" = ["editor"])),
                params($id, IfMatch),
                request_body(content = $patch, content_type = "application/merge-patch+json"),
                responses(
                    (status = 200, description = $updated_desc, body = $resource,
                        headers(("ETag" = String, description = "New version tag"))),
                    (status = 400, response = $crate::http::responses::BadRequest),
                    $($update_extra)*
                    (status = 412, response = $crate::http::responses::PreconditionFailed)
                )
            )]
            #[patch("/{id}")]
            async fn update_item(
                context: Writer<Editor>,
                state: web::Data<AppState>,
                id: IdPath<$id>,
                precondition: IfMatch,
                body: JsonBody<$patch>,
            ) -> Result<HttpResponse, DomainError> {
                let item =
                    $service::update(&state.pool, &context, id.0, body.0, precondition.0).await?;
                Ok($crate::http::updated(item.version, &item))
            }

            $(#[$delete_doc])*
            #[utoipa::path(
                tag = $tag,
                operation_id = $delete_op,
                security(("bearer" = ["editor"])),
                params($id, IfMatch),
                responses(
                    (status = 204, description = "Deleted"),
                    $($delete_extra)*
                    (status = 412, response = $crate::http::responses::PreconditionFailed)
                )
            )]
            #[delete("/{id}")]
            async fn delete_item(
                context: Writer<Editor>,
                state: web::Data<AppState>,
                id: IdPath<$id>,
                precondition: IfMatch,
            ) -> Result<HttpResponse, DomainError> {
                $service::delete(&state.pool, &context, id.0, precondition.0).await?;
                Ok(HttpResponse::NoContent().finish())
            }

            $(#[$audit_doc])*
            ///
            /// Every write to the record, oldest first: who made it, when, in which request,
            /// and each field it changed with its old and new value. A deleted record keeps
            /// its trail, ending with the `delete` event; a record that never existed is 404.
            #[utoipa::path(
                tag = $tag,
                operation_id = $audit_op,
                security(("bearer" = ["reader"])),
                params($id, AuditParams, IfNoneMatch),
                responses(
                    (status = 200, description = "A page of the record's audit events, oldest first",
                        body = $crate::audit::model::AuditEventPage,
                        headers(("ETag" = String, description = "Weak tag of the page's content; 304 for `If-None-Match` while the page is unchanged"))),
                    (status = 304, description = "The cached page is current",
                        headers(("ETag" = String, description = "Weak tag of the page's content; 304 for `If-None-Match` while the page is unchanged"))),
                    (status = 400, response = $crate::http::responses::BadRequest),
                    (status = 404, response = $crate::http::responses::NotFound)
                )
            )]
            #[get("/{id}/audit")]
            async fn list_item_audit(
                _caller: Authorized<Reader>,
                state: web::Data<AppState>,
                id: IdPath<$id>,
                query: AuditParams,
                cached: IfNoneMatch,
            ) -> Result<HttpResponse, DomainError> {
                let resource_type = <$resource as $crate::db::audit::Audited>::RESOURCE_TYPE;
                let found =
                    $crate::audit::service::trail(&state.pool, resource_type, id.0 .0, query.page)
                        .await?;
                let Some((items, next_page_token)) = found else {
                    // No event names it: 404 unless it exists all the same (written before
                    // the trail was kept).
                    $service::get(&state.pool, id.0).await?;
                    return $crate::http::listed(&cached, &$crate::audit::model::AuditEventPage {
                        items: Vec::new(),
                        next_page_token: None,
                    });
                };
                $crate::http::listed(&cached, &$crate::audit::model::AuditEventPage {
                    items,
                    next_page_token,
                })
            }
        }
    };
}
