//! Registration certificates: a country's authority allowing an equipment model, or a named
//! drug or reagent, on its market from a date, until a date or without a limit. Whether a
//! certificate has expired is derived from its dates when it is read.

pub mod handlers;
pub mod model;
pub mod repo;
pub mod service;

pub use handlers::routes;
