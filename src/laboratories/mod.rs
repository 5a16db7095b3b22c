//! Laboratories: the facilities of the network, their hub hierarchy and lifecycle status.

pub mod geojson;
pub mod handlers;
pub mod model;
pub mod repo;
pub mod search;
pub mod service;

pub use handlers::routes;
