//! The judgement itself, on the rows the database gave: one function for the single answer
//! and for every item of a list, so both say the same.

use chrono::NaiveDate;

use super::model::{Eligibility, EligibilityBasis, IneligibilityReason, Reason, MAX_REASONS};
use crate::core::resource::FromRow;
use crate::equipment_models::model::EquipmentModel;
use crate::recognition_agreements::model::{Agreement, AgreementRow};
use crate::registration_certificates::model::{Certificate, CertificateRow, CertificateStatus};

/// Why a certificate allows nothing on `on`, if it does not.
fn certificate_problem(
    certificate: &CertificateRow,
    on: NaiveDate,
) -> Option<(IneligibilityReason, String)> {
    let name = format!(
        "certificate {} ({})",
        certificate.number, certificate.country_code
    );
    match certificate.status {
        CertificateStatus::Revoked => {
            return Some((
                IneligibilityReason::CertificateRevoked,
                format!("{name} is revoked"),
            ))
        }
        CertificateStatus::Suspended => {
            return Some((
                IneligibilityReason::CertificateSuspended,
                format!("{name} is suspended"),
            ))
        }
        CertificateStatus::Active => {}
    }
    if certificate.issued_on > on {
        return Some((
            IneligibilityReason::CertificateNotYetValid,
            format!("{name} is valid from {}", certificate.issued_on),
        ));
    }
    match certificate.valid_until {
        Some(until) if until < on => Some((
            IneligibilityReason::CertificateExpired,
            format!("{name} was valid until {until}"),
        )),
        _ => None,
    }
}

fn reason(
    code: IneligibilityReason,
    detail: String,
    certificate: Option<&CertificateRow>,
    agreement: Option<&AgreementRow>,
) -> Reason {
    Reason {
        code,
        detail,
        certificate_id: certificate.map(|c| c.id),
        agreement_id: agreement.map(|a| a.id),
    }
}

/// Why an agreement does not carry a valid certificate of `issuer` into `country` on `on`,
/// if it does not; `None` when it does.
fn agreement_problem(
    agreement: &AgreementRow,
    on: NaiveDate,
) -> Option<(IneligibilityReason, String)> {
    if !agreement.in_force_on(on) {
        let until = agreement.in_force_until.map_or_else(
            || "without an end date".to_owned(),
            |u| format!("until {u}"),
        );
        return Some((
            IneligibilityReason::AgreementNotInForce,
            format!(
                "agreement \"{}\" is in force from {} {until}, not on {on}",
                agreement.title, agreement.in_force_from
            ),
        ));
    }
    if !agreement.scope.covers_devices() {
        return Some((
            IneligibilityReason::ScopeExcludesDevices,
            format!("agreement \"{}\" covers drugs only", agreement.title),
        ));
    }
    None
}

/// Judges `model` for `country` on `on`, given the model's certificates (most recently
/// issued first) and the agreements `country` is party to (earliest first).
pub fn judge(
    model: EquipmentModel,
    certificates: &[CertificateRow],
    agreements: &[AgreementRow],
    country: &str,
    on: NaiveDate,
) -> Eligibility {
    let answer = |basis: Option<EligibilityBasis>,
                  certificate: Option<&CertificateRow>,
                  agreement: Option<&AgreementRow>,
                  reasons: Vec<Reason>| {
        Eligibility {
            equipment_model: model.clone(),
            country_code: country.to_owned(),
            on,
            eligible: basis.is_some(),
            basis,
            certificate: certificate.map(|c| Certificate::from_row(c.clone(), ())),
            agreement: agreement.map(|a| Agreement::from_row(a.clone(), ())),
            reasons,
        }
    };
    let valid = |c: &&CertificateRow| certificate_problem(c, on).is_none();
    if let Some(direct) = certificates
        .iter()
        .filter(|c| c.country_code == country)
        .find(valid)
    {
        return answer(
            Some(EligibilityBasis::Registered),
            Some(direct),
            None,
            Vec::new(),
        );
    }
    for foreign in certificates
        .iter()
        .filter(|c| c.country_code != country)
        .filter(valid)
    {
        if let Some(agreement) = agreements.iter().find(|a| {
            a.carries(&foreign.country_code, country) && agreement_problem(a, on).is_none()
        }) {
            return answer(
                Some(EligibilityBasis::Recognized),
                Some(foreign),
                Some(agreement),
                Vec::new(),
            );
        }
    }
    let mut reasons = Vec::new();
    if !certificates.iter().any(|c| c.country_code == country) {
        reasons.push(reason(
            IneligibilityReason::NoCertificate,
            format!(
                "equipment model {} has no registration certificate in {country}",
                model.model_code
            ),
            None,
            None,
        ));
    }
    for certificate in certificates {
        if let Some((code, detail)) = certificate_problem(certificate, on) {
            reasons.push(reason(code, detail, Some(certificate), None));
            continue;
        }
        // A valid certificate of another country: what keeps it from carrying over.
        let issuer = certificate.country_code.as_str();
        let carrying: Vec<&AgreementRow> = agreements
            .iter()
            .filter(|a| a.carries(issuer, country))
            .collect();
        if carrying.is_empty() {
            let other_way: Vec<&AgreementRow> = agreements
                .iter()
                .filter(|a| a.between(issuer, country))
                .collect();
            if other_way.is_empty() {
                reasons.push(reason(
                    IneligibilityReason::NoAgreement,
                    format!(
                        "no agreement makes {country} accept {issuer}'s registration documents \
                         (certificate {})",
                        certificate.number
                    ),
                    Some(certificate),
                    None,
                ));
            }
            for agreement in other_way {
                reasons.push(reason(
                    IneligibilityReason::OneWayAgreement,
                    format!(
                        "agreement \"{}\" makes {issuer} accept {country}'s documents, not the \
                         other way",
                        agreement.title
                    ),
                    Some(certificate),
                    Some(agreement),
                ));
            }
        }
        for agreement in carrying {
            if let Some((code, detail)) = agreement_problem(agreement, on) {
                reasons.push(reason(code, detail, Some(certificate), Some(agreement)));
            }
        }
    }
    reasons.truncate(MAX_REASONS);
    answer(None, None, None, reasons)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::time::now;
    use crate::equipment_models::model::{EquipmentCategory, EquipmentModelId};
    use crate::recognition_agreements::model::{AgreementId, AgreementScope};
    use crate::registration_certificates::model::{CertificateId, ProductKind};
    use crate::vendors::model::VendorId;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
    }

    fn model() -> EquipmentModel {
        EquipmentModel {
            id: EquipmentModelId::generate(),
            vendor_id: VendorId::generate(),
            name: "BC-6200".into(),
            model_code: "BC-6200".into(),
            category: EquipmentCategory::HematologyAnalyzer,
            localization_id: None,
            created_at: now(),
            updated_at: now(),
            version: 1,
        }
    }

    fn certificate(
        country: &str,
        until: Option<&str>,
        status: CertificateStatus,
    ) -> CertificateRow {
        CertificateRow {
            id: CertificateId::generate(),
            equipment_model_id: None,
            product_name: None,
            product_kind: ProductKind::MedicalDevice,
            country_code: country.into(),
            issuing_authority: "Authority".into(),
            authority_key: "authority".into(),
            number: format!("N-{country}"),
            number_key: format!("n-{country}"),
            issued_on: date("2020-01-01"),
            valid_until: until.map(date),
            status,
            created_at: now(),
            updated_at: now(),
            version: 1,
        }
    }

    fn agreement(
        recognizing: &str,
        recognized: &str,
        mutual: bool,
        scope: AgreementScope,
    ) -> AgreementRow {
        AgreementRow {
            id: AgreementId::generate(),
            recognizing_country_code: recognizing.into(),
            recognized_country_code: recognized.into(),
            mutual,
            scope,
            in_force_from: date("2026-07-01"),
            in_force_until: Some(date("2030-12-31")),
            title: "Agreement".into(),
            source: "ref".into(),
            created_at: now(),
            updated_at: now(),
            version: 1,
        }
    }

    fn codes(answer: &Eligibility) -> Vec<IneligibilityReason> {
        answer.reasons.iter().map(|r| r.code).collect()
    }

    use AgreementScope::*;
    use CertificateStatus::*;
    use IneligibilityReason as R;

    #[test]
    fn a_certificate_of_the_country_allows_directly() {
        let answer = judge(
            model(),
            &[certificate("SY", None, Active)],
            &[],
            "SY",
            date("2027-01-01"),
        );
        assert!(answer.eligible);
        assert_eq!(answer.basis, Some(EligibilityBasis::Registered));
        assert!(answer.reasons.is_empty());
    }

    #[test]
    fn a_mutual_agreement_carries_either_way_and_a_one_way_only_one_way() {
        let on = date("2027-01-01");
        let ru = [certificate("RU", None, Active)];
        let mutual = [agreement("RU", "SY", true, Both)];
        assert_eq!(
            judge(model(), &ru, &mutual, "SY", on).basis,
            Some(EligibilityBasis::Recognized)
        );
        let one_way = [agreement("SY", "RU", false, MedicalDevices)];
        assert!(judge(model(), &ru, &one_way, "SY", on).eligible);
        let backwards = [agreement("RU", "SY", false, MedicalDevices)];
        let answer = judge(model(), &ru, &backwards, "SY", on);
        assert!(!answer.eligible);
        assert_eq!(codes(&answer), [R::NoCertificate, R::OneWayAgreement]);
        assert_eq!(
            codes(&judge(model(), &ru, &[], "SY", on)),
            [R::NoCertificate, R::NoAgreement]
        );
    }

    #[test]
    fn dates_bound_certificates_and_agreements_inclusively() {
        let ru = [certificate("RU", Some("2027-01-01"), Active)];
        let deal = [agreement("SY", "RU", false, Both)];
        assert!(judge(model(), &ru, &deal, "SY", date("2027-01-01")).eligible);
        assert_eq!(
            codes(&judge(model(), &ru, &deal, "SY", date("2027-01-02"))),
            [R::NoCertificate, R::CertificateExpired]
        );
        let ru = [certificate("RU", None, Active)];
        assert!(judge(model(), &ru, &deal, "SY", date("2026-07-01")).eligible);
        assert_eq!(
            codes(&judge(model(), &ru, &deal, "SY", date("2026-06-30"))),
            [R::NoCertificate, R::AgreementNotInForce]
        );
        assert!(judge(model(), &ru, &deal, "SY", date("2030-12-31")).eligible);
        assert!(!judge(model(), &ru, &deal, "SY", date("2031-01-01")).eligible);
        assert_eq!(
            codes(&judge(model(), &ru, &deal, "SY", date("2019-12-31"))),
            [R::NoCertificate, R::CertificateNotYetValid]
        );
    }

    #[test]
    fn every_failing_certificate_and_agreement_is_named() {
        let on = date("2027-01-01");
        let certificates = [
            certificate("SY", None, Revoked),
            certificate("RU", None, Suspended),
            certificate("KZ", None, Active),
        ];
        let agreements = [agreement("SY", "KZ", false, Drugs)];
        let answer = judge(model(), &certificates, &agreements, "SY", on);
        assert!(!answer.eligible);
        assert_eq!(
            codes(&answer),
            [
                R::CertificateRevoked,
                R::CertificateSuspended,
                R::ScopeExcludesDevices
            ]
        );
        assert_eq!(answer.reasons[2].agreement_id, Some(agreements[0].id));
        assert_eq!(answer.reasons[2].certificate_id, Some(certificates[2].id));
        let none = judge(model(), &[], &agreements, "SY", on);
        assert_eq!(codes(&none), [R::NoCertificate]);
    }
}
