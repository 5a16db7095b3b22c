//! SQL for registration certificates.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::model::{CertificateFilter, CertificateId, CertificateRow, CertificateSort};
use crate::core::error::DomainError;
use crate::core::paging::{PageRequest, Sort};
use crate::db::{DbConn, MultiBackend};
use crate::equipment_models::model::EquipmentModelId;
use crate::schema::registration_certificates;

crate::stored_rows!(registration_certificates: CertificateRow by CertificateId; insert, delete);
crate::refers_to!(registration_certificates.equipment_model_id -> EquipmentModelId as "registration certificates");

/// The certificate with this number from this country's authority, other than `except`.
pub fn number_owner(
    conn: &mut DbConn,
    (country_code, authority_key, number_key): (&str, &str, &str),
    except: Option<CertificateId>,
) -> QueryResult<Option<CertificateId>> {
    let mut query = registration_certificates::table
        .filter(registration_certificates::country_code.eq(country_code))
        .filter(registration_certificates::authority_key.eq(authority_key))
        .filter(registration_certificates::number_key.eq(number_key))
        .select(registration_certificates::id)
        .into_boxed::<MultiBackend>();
    if let Some(id) = except {
        query = query.filter(registration_certificates::id.ne(id));
    }
    query.first(conn).optional()
}

/// Most certificates of one model an eligibility answer weighs; a model registered in more
/// countries than this is judged on its most recently issued ones.
pub const MAX_CERTIFICATES_PER_MODEL: i64 = 200;

/// The certificates of these models (most recently issued first), at most
/// `MAX_CERTIFICATES_PER_MODEL` for each model on average.
pub fn of_models(
    conn: &mut DbConn,
    models: &[EquipmentModelId],
) -> QueryResult<Vec<CertificateRow>> {
    if models.is_empty() {
        return Ok(Vec::new());
    }
    let bound =
        MAX_CERTIFICATES_PER_MODEL.saturating_mul(i64::try_from(models.len()).unwrap_or(i64::MAX));
    registration_certificates::table
        .filter(registration_certificates::equipment_model_id.eq_any(models.to_vec()))
        .select(columns())
        .order((
            registration_certificates::issued_on.desc(),
            registration_certificates::id.asc(),
        ))
        .limit(bound)
        .load(conn)
}

pub fn list(
    conn: &mut DbConn,
    filter: &CertificateFilter,
    sort: Sort<CertificateSort>,
    page: &PageRequest,
) -> Result<Vec<CertificateRow>, DomainError> {
    let mut query = registration_certificates::table
        .select(columns())
        .into_boxed::<MultiBackend>();
    if let Some(ids) = &filter.equipment_model_ids {
        crate::filter_any_of!(
            query,
            registration_certificates::equipment_model_id,
            ids.clone()
        );
    }
    if let Some(codes) = &filter.country_codes {
        crate::filter_any_of!(
            query,
            registration_certificates::country_code,
            codes.clone()
        );
    }
    if let Some(statuses) = &filter.statuses {
        crate::filter_any_of!(query, registration_certificates::status, statuses.clone());
    }
    if let Some(kinds) = &filter.product_kinds {
        crate::filter_any_of!(
            query,
            registration_certificates::product_kind,
            kinds.clone()
        );
    }
    if let Some(key) = &filter.number_key {
        query = query.filter(registration_certificates::number_key.eq(key.clone()));
    }
    let today: NaiveDate = super::model::today();
    match filter.expired {
        Some(true) => query = query.filter(registration_certificates::valid_until.lt(today)),
        Some(false) => {
            query = query.filter(
                registration_certificates::valid_until
                    .is_null()
                    .or(registration_certificates::valid_until.ge(today)),
            )
        }
        None => {}
    }
    let query = CertificateSort::apply(sort, query, page.after.as_ref())?;
    Ok(query.limit(page.fetch_limit()).load(conn)?)
}
