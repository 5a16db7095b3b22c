//! vendors.

pub fn routes(_config: &mut utoipa_actix_web::service_config::ServiceConfig) {}
