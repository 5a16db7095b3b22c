//! Recognition agreements: one country accepting another's registration documents, for
//! medical devices, drugs or both, in force from a date; a mutual agreement carries the
//! documents both ways.

pub mod handlers;
pub mod model;
pub mod repo;
pub mod service;

pub use handlers::routes;
