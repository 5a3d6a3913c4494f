//! End-to-end tests: the real HTTP API on port 0, real SQLite and PostgreSQL, a real SMTP
//! server process (aiosmtpd) and an SMS provider played by a real HTTP server.

mod api;
mod billing;
mod browser;
mod cli;
mod crash;
mod delivery;
mod edifact;
mod hardening;
mod helpers;
mod limits;
mod ops;
mod phones;
mod portal;
mod receiver;
mod triggers;
mod waiting;
mod webhook;
