//! Supply eligibility: may an equipment model be supplied in a country on a date, and why.
//! A certificate of that country allows it directly; a certificate of another country
//! allows it through an agreement by which the first country recognizes the second's
//! documents. Otherwise the answer names each reason it may not.

pub mod handlers;
pub mod model;
pub mod repo;
pub mod rules;
pub mod service;

pub use handlers::{model_routes, routes};
