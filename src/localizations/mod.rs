//! Localizations: a vendor bringing (part of) its production into a country.

pub mod model;

pub fn routes(_config: &mut utoipa_actix_web::service_config::ServiceConfig) {}
