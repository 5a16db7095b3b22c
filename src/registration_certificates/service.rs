//! Rules for registration certificates: what a certificate is for (a model or a named
//! product), its dates, the number unique per country and authority, and the status moves.

use chrono::NaiveDate;

use super::model::{
    Certificate, CertificateCreate, CertificateFilter, CertificateId, CertificatePatch,
    CertificateRow, CertificateSort, CertificateStatus, ProductKind,
};
use super::repo;
use crate::core::context::WriteContext;
use crate::core::error::DomainError;
use crate::core::paging::{PageRequest, Sort};
use crate::core::precondition::Precondition;
use crate::core::resource::FromRow;
use crate::core::states::StateMachine;
use crate::core::time::{now, Timestamp};
use crate::db::audit::{Change, Place};
use crate::db::errors::unique_or;
use crate::db::rows::{delete_resource, get_resource, list_page, without_children};
use crate::db::{self, DbConn, DbPool};
use crate::validation::{code_key, search_key, Checks};

const MAX_PRODUCT_LENGTH: usize = 300;
const MAX_AUTHORITY_LENGTH: usize = 300;
pub const MAX_NUMBER_LENGTH: usize = 100;

fn number_taken(owner: Option<CertificateId>, number: &str) -> DomainError {
    DomainError::taken(
        "registration certificate",
        "number",
        owner.map(|id| id.0),
        format!(
            "the number `{number}` from this country's authority (numbers are compared \
             ignoring case)"
        ),
    )
}

/// The fields a client may change, checked.
struct CertificateFields {
    country_code: String,
    issuing_authority: String,
    number: String,
    issued_on: NaiveDate,
    valid_until: Option<NaiveDate>,
    status: CertificateStatus,
}

fn checked(
    fields: CertificateFields,
    mut checks: Checks,
) -> Result<CertificateFields, DomainError> {
    let country_code = checks.country_code("country_code", &fields.country_code);
    let issuing_authority = checks.text(
        "issuing_authority",
        &fields.issuing_authority,
        MAX_AUTHORITY_LENGTH,
    );
    let number = checks.text("number", &fields.number, MAX_NUMBER_LENGTH);
    checks.date("issued_on", Some(fields.issued_on));
    checks.date("valid_until", fields.valid_until);
    if fields
        .valid_until
        .is_some_and(|until| until < fields.issued_on)
    {
        checks.push(
            "valid_until",
            "out_of_range",
            format!("must not be before `issued_on` ({})", fields.issued_on),
        );
    }
    checks.finish()?;
    Ok(CertificateFields {
        country_code,
        issuing_authority,
        number,
        ..fields
    })
}

/// What a certificate is for; fixed once it is recorded.
struct Subject {
    equipment_model_id: Option<crate::equipment_models::model::EquipmentModelId>,
    product_name: Option<String>,
    product_kind: ProductKind,
}

impl Subject {
    fn of(row: &CertificateRow) -> Self {
        Self {
            equipment_model_id: row.equipment_model_id,
            product_name: row.product_name.clone(),
            product_kind: row.product_kind,
        }
    }
}

/// The row of `fields` for what the certificate is for; refuses a number another
/// certificate of the same country and authority holds.
fn row_of(
    conn: &mut DbConn,
    id: CertificateId,
    subject: Subject,
    fields: CertificateFields,
    (created_at, updated_at, version): (Timestamp, Timestamp, i64),
) -> Result<CertificateRow, DomainError> {
    let authority_key = search_key(&fields.issuing_authority);
    let number_key = code_key(&fields.number);
    let key = (
        fields.country_code.as_str(),
        authority_key.as_str(),
        number_key.as_str(),
    );
    if let Some(owner) = repo::number_owner(conn, key, Some(id))? {
        return Err(number_taken(Some(owner), &fields.number));
    }
    Ok(CertificateRow {
        id,
        equipment_model_id: subject.equipment_model_id,
        product_name: subject.product_name,
        product_kind: subject.product_kind,
        country_code: fields.country_code,
        issuing_authority: fields.issuing_authority,
        authority_key,
        number: fields.number,
        number_key,
        issued_on: fields.issued_on,
        valid_until: fields.valid_until,
        status: fields.status,
        created_at,
        updated_at,
        version,
    })
}

pub async fn create(
    pool: &DbPool,
    context: &WriteContext,
    input: CertificateCreate,
) -> Result<Certificate, DomainError> {
    let mut checks = Checks::new();
    let product_name = checks.optional_text(
        "product_name",
        input.product_name.as_deref(),
        MAX_PRODUCT_LENGTH,
    );
    let product_kind = input.product_kind.unwrap_or(ProductKind::MedicalDevice);
    match (input.equipment_model_id, &product_name) {
        (Some(_), Some(_)) => checks.push(
            "product_name",
            "invalid",
            "a certificate is for an equipment model or for a named product, not both",
        ),
        (None, None) => checks.push(
            "equipment_model_id",
            "required",
            "give the equipment model the certificate is for, or the `product_name`",
        ),
        (Some(_), None) if product_kind != ProductKind::MedicalDevice => checks.push(
            "product_kind",
            "invalid",
            "a certificate of an equipment model is for a `medical_device`",
        ),
        _ => {}
    }
    let fields = checked(
        CertificateFields {
            country_code: input.country_code,
            issuing_authority: input.issuing_authority,
            number: input.number,
            issued_on: input.issued_on,
            valid_until: input.valid_until,
            status: input.status.unwrap_or(CertificateStatus::Active),
        },
        checks,
    )?;
    let model = input.equipment_model_id;
    db::write(pool, context, move |conn| {
        if let Some(model) = model {
            if !crate::equipment_models::repo::exists(conn, model)? {
                return Err(DomainError::invalid(
                    "equipment_model_id",
                    "not_found",
                    format!("equipment model {model} does not exist"),
                ));
            }
        }
        let at = now();
        let id = CertificateId::generate();
        let subject = Subject {
            equipment_model_id: model,
            product_name,
            product_kind,
        };
        let row = row_of(conn, id, subject, fields, (at, at, 1))?;
        repo::insert(conn, &row).map_err(|e| unique_or(e, || number_taken(None, &row.number)))?;
        Ok(Change::created(Certificate::from_row(row, ())))
    })
    .await?
    .into_after()
}

pub async fn get(pool: &DbPool, id: CertificateId) -> Result<Certificate, DomainError> {
    get_resource(pool, id, repo::find).await
}

pub async fn list(
    pool: &DbPool,
    filter: CertificateFilter,
    sort: Sort<CertificateSort>,
    page: PageRequest,
) -> Result<(Vec<Certificate>, Option<String>), DomainError> {
    list_page(pool, filter, sort, page, repo::list, without_children).await
}

pub async fn update(
    pool: &DbPool,
    context: &WriteContext,
    id: CertificateId,
    patch: CertificatePatch,
    precondition: Precondition,
) -> Result<Certificate, DomainError> {
    db::write(pool, context, move |conn| {
        let current = repo::current(conn, id, &precondition)?;
        let mut checks = Checks::new();
        let fields = CertificateFields {
            country_code: checks.patched(
                "country_code",
                patch.country_code,
                current.country_code.clone(),
            ),
            issuing_authority: checks.patched(
                "issuing_authority",
                patch.issuing_authority,
                current.issuing_authority.clone(),
            ),
            number: checks.patched("number", patch.number, current.number.clone()),
            issued_on: checks.patched("issued_on", patch.issued_on, current.issued_on),
            valid_until: patch.valid_until.unwrap_or(current.valid_until),
            status: checks.patched("status", patch.status, current.status),
        };
        let fields = checked(fields, checks)?;
        if fields.status != current.status {
            current.status.check_move(fields.status, None)?;
        }
        let row = row_of(
            conn,
            id,
            Subject::of(&current),
            fields,
            (current.created_at, now(), current.version + 1),
        )?;
        let taken = row.number.clone();
        repo::save(conn, current, row, |e| {
            unique_or(e, || number_taken(None, &taken))
        })
    })
    .await?
    .into_after()
}

pub async fn delete(
    pool: &DbPool,
    context: &WriteContext,
    id: CertificateId,
    precondition: Precondition,
) -> Result<(), DomainError> {
    delete_resource(
        pool,
        context,
        id,
        precondition,
        repo::find_for_update,
        repo::delete_row::<Certificate>,
    )
    .await
}

// A certificate belongs to a country, not to a region: writing one needs `global` scope.
crate::audited!(Certificate as "registration_certificate", |_certificate, _conn| Ok(vec![
    Place::Nowhere
]));
