//! HTTP for vendors: the standard endpoints and the list's filters.

use serde::Deserialize;
use utoipa::IntoParams;

use super::model::{
    ProductCategory, Vendor, VendorCreate, VendorFilter, VendorId, VendorPage, VendorPatch,
    VendorSort,
};
use super::service;
use crate::core::error::DomainError;
use crate::http::query::{parse_country_list, parse_list, ListFilter, SearchDoc};

pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    standard::routes(config);
}

/// Filters of `GET /v1/vendors`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VendorListFilter {
    /// Only vendors based in these countries (ISO 3166-1 alpha-2; repeat the parameter or
    /// separate values with commas for any of).
    #[param(value_type = Option<Vec<String>>, style = Form, example = json!(["CN", "KR"]))]
    pub country_code: Option<String>,
    /// Only vendors making at least one of these categories (repeated or comma-separated).
    #[param(value_type = Option<Vec<ProductCategory>>, style = Form, example = json!(["reagents", "consumables"]))]
    pub category: Option<String>,
}

impl ListFilter for VendorListFilter {
    type Parsed = VendorFilter;
    const SEARCH: Option<SearchDoc> = Some(SearchDoc {
        description: "Text search by words over names: every word given must begin a word of \
the name (`med` finds \"Samsung Medison\"). Words are runs of letters and digits; case and \
Unicode form are ignored, in any script. At most 8 words; text without a letter or digit \
matches nothing.",
        example: "mindray",
    });

    fn parse(self, search: Option<Vec<String>>) -> Result<VendorFilter, DomainError> {
        Ok(VendorFilter {
            country_codes: parse_country_list("country_code", &self.country_code)?,
            categories: parse_list("category", &self.category, "a product category")?,
            search,
        })
    }
}

crate::resource_endpoints! {
    tag "vendors", path "/v1/vendors", id VendorId, service service;
    /// List vendors
    ///
    /// Filters combine with AND; several values within one filter mean "any of".
    list "listVendors" VendorListFilter, VendorSort => VendorPage "A page of vendors";
    /// Create a vendor
    ///
    /// The name must be unique regardless of case and Unicode form (409 otherwise).
    create "createVendor" VendorCreate => Vendor "URL of the new vendor"
        [(status = 409, response = crate::http::responses::Conflict),];
    /// Get a vendor
    get "getVendor" "The vendor";
    /// Update a vendor
    ///
    /// JSON Merge Patch (RFC 7396). `categories` replaces the whole set; `website: null` clears
    /// the website; `name` and `country_code` cannot be cleared.
    update "updateVendor" VendorPatch => "The updated vendor"
        [(status = 409, response = crate::http::responses::Conflict),];
    /// Delete a vendor
    ///
    /// Refused (409, `referenced_by`) while localizations refer to it; its categories go with it.
    delete "deleteVendor" [(status = 409, response = crate::http::responses::Conflict),];
    /// List a vendor's audit trail
    audit "listVendorAudit";
}
