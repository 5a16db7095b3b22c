use crate::define_id;

define_id!(LocalizationId, "localization");
define_id!(StageChangeId, "stage change");
