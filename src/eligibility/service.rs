//! Answers to the eligibility question, for one model or a page of them, in a fixed number
//! of queries: the models, their certificates, and the agreements of the country.

use std::collections::HashMap;

use super::model::{Eligibility, ListQuestion, ModelOrder, Question};
use super::{repo, rules};
use crate::core::error::DomainError;
use crate::core::ids::ResourceId;
use crate::core::paging::{finish_page, Cursor, FixedOrder, PageRequest};
use crate::core::resource::FromRow;
use crate::db::{self, DbConn, DbPool};
use crate::equipment_models::model::{EquipmentModel, EquipmentModelId, EquipmentModelRow};
use crate::registration_certificates::model::CertificateRow;

/// The answers for these models.
fn judge_all(
    conn: &mut DbConn,
    models: Vec<EquipmentModelRow>,
    question: &Question,
) -> Result<Vec<Eligibility>, DomainError> {
    let ids: Vec<EquipmentModelId> = models.iter().map(|model| model.id).collect();
    let mut by_model: HashMap<EquipmentModelId, Vec<CertificateRow>> = HashMap::new();
    for certificate in crate::registration_certificates::repo::of_models(conn, &ids)? {
        if let Some(model) = certificate.equipment_model_id {
            by_model.entry(model).or_default().push(certificate);
        }
    }
    let agreements = crate::recognition_agreements::repo::of_country(conn, &question.country_code)?;
    Ok(models
        .into_iter()
        .map(|row| {
            let certificates = by_model.remove(&row.id).unwrap_or_default();
            rules::judge(
                EquipmentModel::from_row(row, ()),
                &certificates,
                &agreements,
                &question.country_code,
                question.on,
            )
        })
        .collect())
}

/// May this model be supplied in the country on the date (404 for an unknown model)?
pub async fn of_model(
    pool: &DbPool,
    id: EquipmentModelId,
    question: Question,
) -> Result<Eligibility, DomainError> {
    db::lookup(pool, move |conn| {
        let model = crate::equipment_models::repo::find(conn, id)?.ok_or_else(|| id.not_found())?;
        judge_all(conn, vec![model], &question)?
            .pop()
            .ok_or_else(|| id.not_found())
    })
    .await
}

/// A page of answers, one per model the filters select.
pub async fn list(
    pool: &DbPool,
    list: ListQuestion,
    page: PageRequest,
) -> Result<(Vec<Eligibility>, Option<String>), DomainError> {
    db::run(pool, move |conn| {
        let rows = repo::models(conn, &list, &page)?;
        let (rows, token) = finish_page(rows, &page, |row| {
            Cursor::new(ModelOrder::NAME, None, row.id.0)
        });
        Ok((judge_all(conn, rows, &list.question)?, token))
    })
    .await
}
