//! Regions: administrative territories nested country > district > region > municipality.

pub mod handlers;
pub mod model;
pub mod repo;
pub mod service;

pub use handlers::routes;
