//! Avisera's operations, one home for what the API, the portal, the command line, the worker
//! and the event consumers all do: take events in, manage rules, templates, tenants, users and
//! plans, make bills, read the notification log.
//!
//! Nothing here knows HTTP or SQL. An operation takes the narrowest store role it needs, the
//! time or a `Clock`, and a small context struct; it answers with domain values or an
//! [`Error`] with a stable code, and the edge decides what status or page that becomes.
#![forbid(unsafe_code)]

mod account_mail;
pub mod billing;
pub mod budget;
pub mod csv;
mod error;
pub mod ingest;
pub mod log;
pub mod manual;
pub mod plans;
pub mod privacy;
pub mod profile;
pub mod ratings;
pub mod receipts;
pub mod replay;
pub mod rules;
pub mod sessions;
pub mod signups;
pub mod stats;
pub mod templates;
pub mod tenants;
pub mod texts;
pub mod users;

pub use error::Error;

pub type Result<T, E = Error> = std::result::Result<T, E>;
