//! The audit trail and the change feed, read from `audit_events` (which the one write path,
//! `db::write`, fills in each write's own transaction): every event filtered and paged
//! newest first, one record's life oldest first, and the feed of registry changes in commit
//! order with a resumable cursor.

pub mod handlers;
pub mod model;
pub mod repo;
pub mod service;

pub use handlers::routes;
