//! SQL for eligibility: a page of models, each known in the query itself to be eligible or
//! not, so that `eligible=` filters before paging.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::model::ListQuestion;
use crate::core::paging::PageRequest;
use crate::db::{DbConn, MultiBackend};
use crate::equipment_models::model::{EquipmentModelId, EquipmentModelRow};
use crate::recognition_agreements::model::AgreementScope;
use crate::registration_certificates::model::CertificateStatus;
use crate::schema::{equipment_models, recognition_agreements, registration_certificates};

const DEVICE_SCOPES: [AgreementScope; 2] = [AgreementScope::MedicalDevices, AgreementScope::Both];

/// A page of the models the question is about (one more than the page), in id order.
pub fn models(
    conn: &mut DbConn,
    list: &ListQuestion,
    page: &PageRequest,
) -> QueryResult<Vec<EquipmentModelRow>> {
    let country = list.question.country_code.clone();
    let on: NaiveDate = list.question.on;
    let in_force = || {
        recognition_agreements::in_force_from.le(on).and(
            recognition_agreements::in_force_until
                .is_null()
                .or(recognition_agreements::in_force_until.ge(on)),
        )
    };
    // The countries whose device certificates the country accepts on the date: through
    // agreements it recognizes them by, and mutual ones that recognize it.
    let recognized = recognition_agreements::table
        .filter(recognition_agreements::recognizing_country_code.eq(country.clone()))
        .filter(in_force())
        .filter(recognition_agreements::scope.eq_any(DEVICE_SCOPES))
        .select(recognition_agreements::recognized_country_code);
    let mutual = recognition_agreements::table
        .filter(recognition_agreements::recognized_country_code.eq(country.clone()))
        .filter(recognition_agreements::mutual.eq(true))
        .filter(in_force())
        .filter(recognition_agreements::scope.eq_any(DEVICE_SCOPES))
        .select(recognition_agreements::recognizing_country_code);
    // Models with an active certificate valid on the date in one of those countries or in
    // the country itself. NULL model ids (certificates of named products) are left out, so
    // that `NOT IN` stays true for the others.
    let allowed = registration_certificates::table
        .filter(registration_certificates::equipment_model_id.is_not_null())
        .filter(registration_certificates::status.eq(CertificateStatus::Active))
        .filter(registration_certificates::issued_on.le(on))
        .filter(
            registration_certificates::valid_until
                .is_null()
                .or(registration_certificates::valid_until.ge(on)),
        )
        .filter(
            registration_certificates::country_code
                .eq(country)
                .or(registration_certificates::country_code.eq_any(recognized))
                .or(registration_certificates::country_code.eq_any(mutual)),
        )
        .select(registration_certificates::equipment_model_id);
    let mut query = equipment_models::table
        .select(<EquipmentModelRow as Selectable<MultiBackend>>::construct_selection())
        .order(equipment_models::id.asc())
        .into_boxed::<MultiBackend>();
    match list.eligible {
        Some(true) => query = query.filter(equipment_models::id.nullable().eq_any(allowed)),
        Some(false) => {
            query = query.filter(diesel::dsl::not(
                equipment_models::id.nullable().eq_any(allowed),
            ))
        }
        None => {}
    }
    if let Some(ids) = &list.equipment_model_ids {
        crate::filter_any_of!(query, equipment_models::id, ids.clone());
    }
    if let Some(ids) = &list.vendor_ids {
        crate::filter_any_of!(query, equipment_models::vendor_id, ids.clone());
    }
    if let Some(categories) = &list.categories {
        crate::filter_any_of!(query, equipment_models::category, categories.clone());
    }
    if let Some(cursor) = &page.after {
        query = query.filter(equipment_models::id.gt(EquipmentModelId(cursor.id)));
    }
    query.limit(page.fetch_limit()).load(conn)
}
