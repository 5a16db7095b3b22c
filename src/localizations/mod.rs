//! Localizations: a vendor bringing (part of) its production into a country, with the
//! history of its stage changes.

pub mod handlers;
pub mod model;
pub mod repo;
pub mod service;

pub use handlers::routes;
