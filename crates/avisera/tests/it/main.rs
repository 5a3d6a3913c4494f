//! End-to-end tests: the real HTTP API on port 0, real SQLite and PostgreSQL, a real SMTP
//! server process (aiosmtpd) and an SMS provider played by a real HTTP server.

mod accounts;
mod api;
mod billing;
mod browser;
mod cli;
mod crash;
mod delivery;
mod demo;
mod edifact;
mod errors;
mod event_time;
mod failover;
mod fair;
mod hardening;
mod helpers;
mod holidays;
mod leaks;
mod limits;
mod nats;
mod opens;
mod ops;
mod phones;
mod plans;
mod portal;
mod receipts;
mod receiver;
mod shapes;
mod signup;
mod stats;
mod track;
mod triggers;
mod upgrade;
mod waiting;
mod webhook;
