use crate::define_id;

define_id!(LaboratoryId, "laboratory");
