//! HTTP for organizations: the standard endpoints and the list's filters.

use serde::Deserialize;
use utoipa::IntoParams;

use super::model::{
    Organization, OrganizationCreate, OrganizationFilter, OrganizationId, OrganizationKind,
    OrganizationPage, OrganizationPatch, OrganizationSort,
};
use super::service;
use crate::core::error::DomainError;
use crate::http::query::{parse_country_list, parse_list, ListFilter, SearchDoc};

pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    standard::routes(config);
}

/// Filters of `GET /v1/organizations`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrganizationListFilter {
    /// Only organizations of these kinds (repeat the parameter or separate values with
    /// commas for any of).
    #[param(value_type = Option<Vec<OrganizationKind>>, style = Form, example = json!(["operator", "federation"]))]
    pub kind: Option<String>,
    /// Only organizations registered in these countries (ISO 3166-1 alpha-2, repeated or
    /// comma-separated for any of).
    #[param(value_type = Option<Vec<String>>, style = Form, example = json!(["RU"]))]
    pub country_code: Option<String>,
}

impl ListFilter for OrganizationListFilter {
    type Parsed = OrganizationFilter;
    const SEARCH: Option<SearchDoc> = Some(SearchDoc {
        description: "Text search by words over names: every word given must begin a word of \
the name (`лаб мед` finds \"Федерация лабораторной медицины\"). Words are runs of letters and \
digits; case and Unicode form are ignored, in any script. At most 8 words; text without a \
letter or digit matches nothing.",
        example: "федерация",
    });

    fn parse(self, search: Option<Vec<String>>) -> Result<OrganizationFilter, DomainError> {
        Ok(OrganizationFilter {
            kinds: parse_list("kind", &self.kind, "an organization kind")?,
            country_codes: parse_country_list("country_code", &self.country_code)?,
            search,
        })
    }
}

crate::resource_endpoints! {
    tag "organizations", path "/v1/organizations", id OrganizationId, service service;
    /// List organizations
    ///
    /// Filters combine with AND; several values within one filter mean "any of".
    list "listOrganizations" OrganizationListFilter, OrganizationSort => OrganizationPage
        "A page of organizations";
    /// Create an organization
    ///
    /// The name must be unique regardless of case and Unicode form (409 otherwise).
    create "createOrganization" OrganizationCreate => Organization "URL of the new organization"
        [(status = 409, response = crate::http::responses::Conflict),];
    /// Get an organization
    get "getOrganization" "The organization";
    /// Update an organization
    ///
    /// JSON Merge Patch (RFC 7396). `website: null` clears the website; `name`, `kind` and
    /// `country_code` cannot be cleared. A patch that changes nothing keeps the version.
    update "updateOrganization" OrganizationPatch => "The updated organization"
        [(status = 409, response = crate::http::responses::Conflict),];
    /// Delete an organization
    ///
    /// Refused (409, `referenced_by`) while other records refer to it.
    delete "deleteOrganization" [(status = 409, response = crate::http::responses::Conflict),];
    /// List an organization's audit trail
    audit "listOrganizationAudit";
}
