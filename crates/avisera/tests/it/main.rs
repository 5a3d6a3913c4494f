//! End-to-end tests: the real HTTP API on port 0, real SQLite and PostgreSQL, a real SMTP
//! server process (aiosmtpd) and an SMS provider played by a real HTTP server.

mod api;
mod billing;
mod browser;
mod cli;
mod crash;
mod delivery;
mod edifact;
mod errors;
mod event_time;
mod fair;
mod hardening;
mod helpers;
mod leaks;
mod limits;
mod nats;
mod ops;
mod opt_out_property;
mod phones;
mod portal;
mod receipts;
mod receiver;
mod receiver_pages;
mod shapes;
mod stats;
mod triggers;
mod upgrade;
mod waiting;
mod webhook;
