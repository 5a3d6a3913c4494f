//! Avisera as a service: configuration, the HTTP API, the engine that turns events into
//! notification jobs, the delivery worker and its channels, and the demo.
#![forbid(unsafe_code)]

pub mod app;
pub mod catalogue;
pub mod cli;
pub mod config;
pub mod delivery;
pub mod demo;
pub mod engine;
pub mod http;
pub mod import_cli;
pub mod ingest;
pub mod links;
pub mod metrics;
pub mod portal;
pub mod privacy;
pub mod server;
pub mod telemetry;
