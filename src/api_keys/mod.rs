//! API keys: who may call the API, with which role and in which regions. Admins manage them
//! through `/v1/api-keys`; `labnet keys ...` makes the first one on the server itself.

pub mod cli;
pub mod handlers;
pub mod model;
pub mod repo;
pub mod service;

pub use handlers::routes;
