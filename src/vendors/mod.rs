//! Vendors: manufacturers of laboratory and medical equipment, reagents and consumables.

pub mod model;

pub fn routes(_config: &mut utoipa_actix_web::service_config::ServiceConfig) {}
