//! Laboratories: the facilities of the network.

pub mod model;

pub fn routes(_config: &mut utoipa_actix_web::service_config::ServiceConfig) {}
