//! Organizations: the operators, federations, distributors, manufacturers, universities and
//! authorities that the network's agreements and clusters are made between.

pub mod handlers;
pub mod model;
pub mod repo;
pub mod service;

pub use handlers::routes;
