//! Installed equipment: units of equipment models at laboratories, each with a serial
//! number unique per model, its status (`in_service`, `maintenance`, `decommissioned`) and
//! who supplied it.

pub mod handlers;
pub mod model;
pub mod repo;
pub mod service;

pub use handlers::{laboratory_routes, routes};
