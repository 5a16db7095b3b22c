//! HTTP for recognition agreements: the standard endpoints and the list's filters.

use serde::Deserialize;
use utoipa::IntoParams;

use super::model::{
    Agreement, AgreementCreate, AgreementFilter, AgreementId, AgreementPage, AgreementPatch,
    AgreementScope, AgreementSort,
};
use super::service;
use crate::core::error::DomainError;
use crate::http::query::{parse_country_list, parse_date, parse_list, ListFilter, SearchDoc};

pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    standard::routes(config);
}

/// Filters of `GET /v1/recognition-agreements`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AgreementListFilter {
    /// Only agreements with these countries on either side (ISO 3166-1 alpha-2, repeated
    /// or comma-separated for any of).
    #[param(value_type = Option<Vec<String>>, style = Form, example = json!(["SY"]))]
    pub country_code: Option<String>,
    /// Only agreements by which these countries recognize others' documents.
    #[param(value_type = Option<Vec<String>>, style = Form, example = json!(["SY"]))]
    pub recognizing_country_code: Option<String>,
    /// Only agreements recognizing these countries' documents.
    #[param(value_type = Option<Vec<String>>, style = Form, example = json!(["RU"]))]
    pub recognized_country_code: Option<String>,
    /// Only agreements of these scopes (repeated or comma-separated for any of).
    #[param(value_type = Option<Vec<AgreementScope>>, style = Form, example = json!(["medical_devices", "both"]))]
    pub scope: Option<String>,
    /// Only agreements in force on this date (YYYY-MM-DD).
    #[param(value_type = Option<String>, format = Date, example = "2027-01-01")]
    pub in_force_on: Option<String>,
}

impl ListFilter for AgreementListFilter {
    type Parsed = AgreementFilter;
    const SEARCH: Option<SearchDoc> = None;

    fn parse(self, _search: Option<Vec<String>>) -> Result<AgreementFilter, DomainError> {
        Ok(AgreementFilter {
            country_codes: parse_country_list("country_code", &self.country_code)?,
            recognizing_country_codes: parse_country_list(
                "recognizing_country_code",
                &self.recognizing_country_code,
            )?,
            recognized_country_codes: parse_country_list(
                "recognized_country_code",
                &self.recognized_country_code,
            )?,
            scopes: parse_list("scope", &self.scope, "an agreement scope")?,
            in_force_on: parse_date("in_force_on", &self.in_force_on)?,
        })
    }
}

crate::resource_endpoints! {
    tag "registration", path "/v1/recognition-agreements", id AgreementId, service service;
    /// List recognition agreements
    ///
    /// Filters combine with AND; several values within one filter mean "any of".
    list "listRecognitionAgreements" AgreementListFilter, AgreementSort => AgreementPage
        "A page of recognition agreements";
    /// Record a recognition agreement
    ///
    /// `recognizing_country_code` accepts the registration documents of
    /// `recognized_country_code` (and, when `mutual`, the other way too) for the `scope`'s
    /// products, from `in_force_from` until `in_force_until` (both included).
    create "createRecognitionAgreement" AgreementCreate => Agreement "URL of the new agreement" [];
    /// Get a recognition agreement
    get "getRecognitionAgreement" "The recognition agreement";
    /// Update a recognition agreement
    ///
    /// JSON Merge Patch (RFC 7396). `in_force_until: null` removes the end date.
    update "updateRecognitionAgreement" AgreementPatch => "The updated recognition agreement" [];
    /// Delete a recognition agreement
    delete "deleteRecognitionAgreement" [];
    /// List a recognition agreement's audit trail
    audit "listRecognitionAgreementAudit";
}
