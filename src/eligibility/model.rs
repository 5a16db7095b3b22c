use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use crate::core::paging::FixedOrder;
use crate::equipment_models::model::{EquipmentCategory, EquipmentModel, EquipmentModelId};
use crate::recognition_agreements::model::{Agreement, AgreementId};
use crate::registration_certificates::model::{Certificate, CertificateId};
use crate::vendors::model::VendorId;
use crate::{define_page, text_enum};

text_enum!(
    /// Why a model may be supplied: it is `registered` in the country itself, or
    /// `recognized` there through another country's certificate and an agreement.
    EligibilityBasis {
        Registered => "registered",
        Recognized => "recognized",
    }
);

text_enum!(
    /// Why a model may not be supplied:
    ///
    /// - `no_certificate`: the model has no certificate in the country;
    /// - `certificate_not_yet_valid`, `certificate_expired`: a certificate's dates do not
    ///   cover the date;
    /// - `certificate_suspended`, `certificate_revoked`: the authority suspended or revoked
    ///   a certificate;
    /// - `no_agreement`: no agreement makes the country accept the documents of the country
    ///   that certified the model;
    /// - `one_way_agreement`: there is an agreement between the two countries, but it goes
    ///   the other way (the certifying country recognizes this country's documents);
    /// - `agreement_not_in_force`: the agreement that would carry the certificate over is not
    ///   in force on the date;
    /// - `scope_excludes_devices`: that agreement covers drugs only.
    IneligibilityReason {
        NoCertificate => "no_certificate",
        CertificateNotYetValid => "certificate_not_yet_valid",
        CertificateExpired => "certificate_expired",
        CertificateSuspended => "certificate_suspended",
        CertificateRevoked => "certificate_revoked",
        NoAgreement => "no_agreement",
        OneWayAgreement => "one_way_agreement",
        AgreementNotInForce => "agreement_not_in_force",
        ScopeExcludesDevices => "scope_excludes_devices",
    }
);

/// One reason a model may not be supplied.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({
    "code": "certificate_expired",
    "detail": "certificate РЗН 2019/8812 (RU) was valid until 2024-12-31",
    "certificate_id": "0193a0f4-9c30-7c3d-9a10-2b3c4d5e6f03",
    "agreement_id": null
}))]
pub struct Reason {
    pub code: IneligibilityReason,
    /// The reason in words, naming the certificate, agreement and dates involved.
    #[schema(example = "certificate РЗН 2019/8812 (RU) was valid until 2024-12-31")]
    pub detail: String,
    /// The certificate the reason is about; `null` when none is.
    #[schema(required = true)]
    pub certificate_id: Option<CertificateId>,
    /// The agreement the reason is about; `null` when none is.
    #[schema(required = true)]
    pub agreement_id: Option<AgreementId>,
}

/// Most reasons one answer lists.
pub const MAX_REASONS: usize = 20;

/// Whether an equipment model may be supplied in a country on a date, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "equipment_model": {
        "id": "0193a0f4-9a10-7c3d-9a10-2b3c4d5e6f01",
        "vendor_id": "0193a0f4-5e6b-7c3d-9a10-2b3c4d5e6f80",
        "name": "BC-6200 hematology analyzer",
        "model_code": "BC-6200",
        "category": "hematology_analyzer",
        "localization_id": null,
        "created_at": "2026-11-24T09:30:00Z",
        "updated_at": "2026-11-24T09:30:00Z",
        "version": 1
    },
    "country_code": "SY",
    "on": "2027-01-01",
    "eligible": true,
    "basis": "recognized",
    "certificate": {
        "id": "0193a0f4-9c30-7c3d-9a10-2b3c4d5e6f03",
        "equipment_model_id": "0193a0f4-9a10-7c3d-9a10-2b3c4d5e6f01",
        "product_name": null,
        "product_kind": "medical_device",
        "country_code": "RU",
        "issuing_authority": "Росздравнадзор",
        "number": "РЗН 2021/14567",
        "issued_on": "2021-06-10",
        "valid_until": null,
        "status": "active",
        "expired": false,
        "created_at": "2026-11-24T09:30:00Z",
        "updated_at": "2026-11-24T09:30:00Z",
        "version": 1
    },
    "agreement": {
        "id": "0193a0f4-9d40-7c3d-9a10-2b3c4d5e6f04",
        "recognizing_country_code": "SY",
        "recognized_country_code": "RU",
        "mutual": true,
        "scope": "both",
        "in_force_from": "2026-07-01",
        "in_force_until": null,
        "title": "Agreement on the mutual recognition of registration documents for medical devices and drugs",
        "source": "https://example.org/agreements/ru-sy-2026",
        "created_at": "2026-11-24T09:30:00Z",
        "updated_at": "2026-11-24T09:30:00Z",
        "version": 1
    },
    "reasons": []
}))]
pub struct Eligibility {
    pub equipment_model: EquipmentModel,
    /// The country asked about.
    #[schema(pattern = "^[A-Z]{2}$", min_length = 2, max_length = 2, example = "SY")]
    pub country_code: String,
    /// The date asked about.
    #[schema(example = "2027-01-01")]
    pub on: NaiveDate,
    /// Whether the model may be supplied in the country on the date.
    pub eligible: bool,
    /// Why it may; `null` when it may not.
    #[schema(required = true)]
    pub basis: Option<EligibilityBasis>,
    /// The certificate that allows it (of the country itself, or the one carried over);
    /// `null` when it may not.
    #[schema(required = true)]
    pub certificate: Option<Certificate>,
    /// For `recognized`: the agreement that carries the certificate over; `null` otherwise.
    #[schema(required = true)]
    pub agreement: Option<Agreement>,
    /// When it may not: every reason, at most 20, each certificate and agreement that was
    /// weighed named once; empty when it may.
    #[schema(max_items = 20)]
    pub reasons: Vec<Reason>,
}

define_page!(
    EligibilityPage,
    Eligibility,
    "A page of answers, one per equipment model, in the order of the models' ids."
);

/// The one order of the eligibility list: by model id.
#[derive(Debug, Clone, Copy)]
pub struct ModelOrder;

impl FixedOrder for ModelOrder {
    const NAME: &'static str = "equipment_model_id";
}

/// The question, already parsed: a country and a date.
#[derive(Debug, Clone)]
pub struct Question {
    pub country_code: String,
    pub on: NaiveDate,
}

/// The question for many models, with the models' filters.
#[derive(Debug, Clone)]
pub struct ListQuestion {
    pub question: Question,
    pub equipment_model_ids: Option<Vec<EquipmentModelId>>,
    pub vendor_ids: Option<Vec<VendorId>>,
    pub categories: Option<Vec<EquipmentCategory>>,
    /// Only the models that may (`true`) or may not (`false`) be supplied.
    pub eligible: Option<bool>,
}
