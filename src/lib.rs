//! labnet: the central registry of a clinical-laboratory network.

pub mod api_keys;
pub mod audit;
pub mod config;
pub mod core;
pub mod db;
pub mod demo;
pub mod generate;
pub mod http;
pub mod openapi;
pub mod ops;
pub mod schema;
pub mod search_rebuild;
pub mod server;
pub mod telemetry;
pub mod validation;

pub mod eligibility;
pub mod equipment_models;
pub mod equipment_units;
pub mod laboratories;
pub mod localizations;
pub mod organizations;
pub mod recognition_agreements;
pub mod regions;
pub mod registration_certificates;
pub mod vendors;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{from_fn, Compress};
use actix_web::{web, App};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Settings;
use crate::db::DbPool;
use crate::http::json::BodyLimit;
use crate::telemetry::Metrics;

/// What every handler can reach: the pool, the settings, the metrics registry and what
/// resolves callers.
#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub settings: Settings,
    pub metrics: web::Data<Metrics>,
    pub auth: std::sync::Arc<http::auth::Authenticator>,
    /// The rate limiters, one set shared by every worker.
    pub limits: web::Data<http::limits::RateLimits>,
}

impl AppState {
    /// `tokens` checks the bearer credentials that are not API keys (`None`: only API keys
    /// are accepted).
    pub fn new(
        pool: DbPool,
        settings: Settings,
        tokens: Option<std::sync::Arc<dyn http::auth::TokenVerifier>>,
    ) -> Result<Self, String> {
        let metrics = Metrics::new().map_err(|e| format!("metrics registry: {e}"))?;
        let auth = http::auth::Authenticator::new(
            std::time::Duration::from_secs(settings.key_cache_seconds),
            settings.public_read,
            tokens,
        );
        let limits = http::limits::RateLimits::new(&settings)?;
        Ok(Self {
            pool,
            settings,
            metrics: web::Data::new(metrics),
            auth: std::sync::Arc::new(auth),
            limits: web::Data::new(limits),
        })
    }
}

/// Registers every documented endpoint; used by the server and by the spec generator.
pub fn configure_api(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config
        .service(utoipa_actix_web::scope("/v1/regions").configure(regions::routes))
        .service(utoipa_actix_web::scope("/v1/laboratories").configure(laboratories::routes))
        .service(utoipa_actix_web::scope("/v1/vendors").configure(vendors::routes))
        .service(utoipa_actix_web::scope("/v1/localizations").configure(localizations::routes))
        .service(utoipa_actix_web::scope("/v1/organizations").configure(organizations::routes))
        .service(
            utoipa_actix_web::scope("/v1/equipment-models").configure(equipment_models::routes),
        )
        .service(utoipa_actix_web::scope("/v1/equipment-units").configure(equipment_units::routes))
        .service(
            utoipa_actix_web::scope("/v1/registration-certificates")
                .configure(registration_certificates::routes),
        )
        .service(
            utoipa_actix_web::scope("/v1/recognition-agreements")
                .configure(recognition_agreements::routes),
        )
        .service(utoipa_actix_web::scope("/v1/eligibility").configure(eligibility::routes))
        .service(utoipa_actix_web::scope("/v1/api-keys").configure(api_keys::routes))
        .configure(audit::routes)
        .configure(ops::routes);
}

/// The whole application, as `main` serves it and as the tests start it.
pub fn build_app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, spec) = App::new()
        .into_utoipa_app()
        .openapi(openapi::base())
        .configure(configure_api)
        .split_for_parts();
    let mut spec = openapi::finish(spec);
    openapi::set_public_url(&mut spec, state.settings.public_base_url());
    let route_methods = web::Data::new(ops::RouteMethods::from_spec(&spec));
    let cors = http::cors::cors(&state.settings);
    app.app_data(web::Data::new(state.clone()))
        .app_data(state.metrics.clone())
        .app_data(web::Data::new(BodyLimit {
            bytes: state.settings.body_limit,
            timeout: std::time::Duration::from_secs(state.settings.body_timeout),
        }))
        .app_data(route_methods)
        .app_data(state.limits.clone())
        .app_data(web::Data::new(http::security::SecurityHeaders::new(
            &state.settings,
        )))
        .route("/docs", web::get().to(ops::docs_redirect))
        .service(
            SwaggerUi::new("/docs/{_:.*}")
                .url("/openapi.json", spec)
                // Swagger UI would otherwise send the spec's address to swagger.io's online
                // validator and show its badge, both outside the docs' CSP.
                .config(utoipa_swagger_ui::Config::default().validator_url("none")),
        )
        .default_service(web::to(ops::no_route))
        .wrap(from_fn(http::idempotency::idempotent_post))
        // Wrapped inside authentication, so it runs after it and counts the caller it
        // found; outside idempotency, so a replayed answer counts too.
        .wrap(from_fn(http::limits::rate_limit))
        .wrap(from_fn(http::auth::authenticate))
        .wrap(Compress::default())
        .wrap(cors)
        .wrap(from_fn(http::cors::refusal_as_problem))
        .wrap(from_fn(http::head::head_as_get))
        .wrap(from_fn(telemetry::observe_request))
        // Outermost, so that every other layer's answers carry the headers too.
        .wrap(from_fn(http::security::security_headers))
}
