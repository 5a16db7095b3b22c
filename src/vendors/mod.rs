//! Vendors: manufacturers of laboratory and medical equipment, reagents and consumables.

pub mod handlers;
pub mod model;
pub mod repo;
pub mod service;

pub use handlers::routes;
