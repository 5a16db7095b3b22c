//! SQL for recognition agreements.

use diesel::prelude::*;

use super::model::{AgreementFilter, AgreementId, AgreementRow, AgreementSort};
use crate::core::error::DomainError;
use crate::core::paging::{PageRequest, Sort};
use crate::db::{DbConn, MultiBackend};
use crate::schema::recognition_agreements;

crate::stored_rows!(recognition_agreements: AgreementRow by AgreementId; insert, delete);

/// Most agreements one country is party to that an eligibility answer weighs.
pub const MAX_AGREEMENTS_PER_COUNTRY: i64 = 500;

/// The agreements `country` is party to, on either side (earliest in force first).
pub fn of_country(conn: &mut DbConn, country: &str) -> QueryResult<Vec<AgreementRow>> {
    recognition_agreements::table
        .filter(
            recognition_agreements::recognizing_country_code
                .eq(country)
                .or(recognition_agreements::recognized_country_code.eq(country)),
        )
        .select(columns())
        .order((
            recognition_agreements::in_force_from.asc(),
            recognition_agreements::id.asc(),
        ))
        .limit(MAX_AGREEMENTS_PER_COUNTRY)
        .load(conn)
}

pub fn list(
    conn: &mut DbConn,
    filter: &AgreementFilter,
    sort: Sort<AgreementSort>,
    page: &PageRequest,
) -> Result<Vec<AgreementRow>, DomainError> {
    let mut query = recognition_agreements::table
        .select(columns())
        .into_boxed::<MultiBackend>();
    if let Some(codes) = &filter.country_codes {
        query = query.filter(
            recognition_agreements::recognizing_country_code
                .eq_any(codes.clone())
                .or(recognition_agreements::recognized_country_code.eq_any(codes.clone())),
        );
    }
    if let Some(codes) = &filter.recognizing_country_codes {
        crate::filter_any_of!(
            query,
            recognition_agreements::recognizing_country_code,
            codes.clone()
        );
    }
    if let Some(codes) = &filter.recognized_country_codes {
        crate::filter_any_of!(
            query,
            recognition_agreements::recognized_country_code,
            codes.clone()
        );
    }
    if let Some(scopes) = &filter.scopes {
        crate::filter_any_of!(query, recognition_agreements::scope, scopes.clone());
    }
    if let Some(on) = filter.in_force_on {
        query = query
            .filter(recognition_agreements::in_force_from.le(on))
            .filter(
                recognition_agreements::in_force_until
                    .is_null()
                    .or(recognition_agreements::in_force_until.ge(on)),
            );
    }
    let query = AgreementSort::apply(sort, query, page.after.as_ref())?;
    Ok(query.limit(page.fetch_limit()).load(conn)?)
}
