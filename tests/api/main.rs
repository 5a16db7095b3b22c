//! The one integration-test binary: every module starts the real application and speaks
//! HTTP to it, on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit;
mod auth;
mod changes;
mod cli;
mod common;
mod contract;
mod demo;
mod equipment;
mod generate;
mod geo;
mod headers;
mod http;
mod idempotency;
mod jwt;
mod kit;
mod laboratories;
mod limits;
mod localizations;
mod migrations;
mod openapi;
mod organizations;
mod problems;
mod regions;
mod registration;
mod spec_truth;
mod vendors;
