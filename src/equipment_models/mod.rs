//! Equipment models: the analyzers, sample-handling systems and imaging devices that vendors
//! make, each unique by its model code within its vendor, and, when produced locally, the
//! localization it is produced under.

pub mod handlers;
pub mod model;
pub mod repo;
pub mod service;

pub use handlers::routes;
