//! HTTP for registration certificates: the standard endpoints and the list's filters.

use serde::Deserialize;
use utoipa::IntoParams;

use super::model::{
    Certificate, CertificateCreate, CertificateFilter, CertificateId, CertificatePage,
    CertificatePatch, CertificateSort, CertificateStatus, ProductKind,
};
use super::service;
use crate::core::error::DomainError;
use crate::equipment_models::model::EquipmentModelId;
use crate::http::query::{
    parse_bool, parse_code_key, parse_country_list, parse_id_list, parse_list, ListFilter,
    SearchDoc,
};

pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    standard::routes(config);
}

/// Filters of `GET /v1/registration-certificates`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CertificateListFilter {
    /// Only certificates of these equipment models (ids, repeated or comma-separated for
    /// any of).
    #[param(value_type = Option<Vec<uuid::Uuid>>, style = Form, example = json!(["0193a0f4-9a10-7c3d-9a10-2b3c4d5e6f01"]))]
    pub equipment_model_id: Option<String>,
    /// Only certificates issued in these countries (ISO 3166-1 alpha-2, repeated or
    /// comma-separated for any of).
    #[param(value_type = Option<Vec<String>>, style = Form, example = json!(["RU"]))]
    pub country_code: Option<String>,
    /// Only certificates in these statuses (repeated or comma-separated for any of).
    #[param(value_type = Option<Vec<CertificateStatus>>, style = Form, example = json!(["active"]))]
    pub status: Option<String>,
    /// Only certificates for these kinds of product (repeated or comma-separated for any
    /// of).
    #[param(value_type = Option<Vec<ProductKind>>, style = Form, example = json!(["medical_device"]))]
    pub product_kind: Option<String>,
    /// `true`: only certificates whose `valid_until` has passed (today, UTC); `false`: only
    /// the others, those without a limit included.
    #[param(value_type = Option<bool>, example = false)]
    pub expired: Option<String>,
    /// Only the certificates with this number, ignoring case (at most 100 characters).
    #[param(value_type = Option<String>, min_length = 1, max_length = 100, example = "РЗН 2021/14567")]
    pub number: Option<String>,
}

impl ListFilter for CertificateListFilter {
    type Parsed = CertificateFilter;
    const SEARCH: Option<SearchDoc> = None;

    fn parse(self, _search: Option<Vec<String>>) -> Result<CertificateFilter, DomainError> {
        let number_key = parse_code_key("number", &self.number, service::MAX_NUMBER_LENGTH)?;
        Ok(CertificateFilter {
            equipment_model_ids: parse_id_list::<EquipmentModelId>(
                "equipment_model_id",
                &self.equipment_model_id,
            )?,
            country_codes: parse_country_list("country_code", &self.country_code)?,
            statuses: parse_list("status", &self.status, "a certificate status")?,
            product_kinds: parse_list("product_kind", &self.product_kind, "a product kind")?,
            expired: parse_bool("expired", &self.expired)?,
            number_key,
        })
    }
}

crate::resource_endpoints! {
    tag "registration", path "/v1/registration-certificates", id CertificateId, service service;
    /// List registration certificates
    ///
    /// Filters combine with AND; several values within one filter mean "any of".
    list "listRegistrationCertificates" CertificateListFilter, CertificateSort => CertificatePage
        "A page of registration certificates";
    /// Record a registration certificate
    ///
    /// A certificate is for an existing equipment model (422 otherwise) or for a named
    /// product, not both. Its number is unique per country and issuing authority regardless
    /// of case (409). `valid_until` may not be before `issued_on` (422).
    create "createRegistrationCertificate" CertificateCreate => Certificate "URL of the new certificate"
        [(status = 409, response = crate::http::responses::Conflict),];
    /// Get a registration certificate
    get "getRegistrationCertificate" "The registration certificate";
    /// Update a registration certificate
    ///
    /// JSON Merge Patch (RFC 7396). `valid_until: null` makes the certificate valid without
    /// a limit. What the certificate is for cannot change. Status moves (409 with
    /// `current_state` and `allowed_transitions` otherwise):
    ///
    /// {moves:CertificateStatus}
    update "updateRegistrationCertificate" CertificatePatch => "The updated registration certificate"
        [(status = 409, response = crate::http::responses::Conflict),];
    /// Delete a registration certificate
    ///
    /// For a certificate recorded by mistake; one the authority withdrew is `revoked`
    /// instead, and keeps its record.
    delete "deleteRegistrationCertificate" [];
    /// List a registration certificate's audit trail
    audit "listRegistrationCertificateAudit";
}
