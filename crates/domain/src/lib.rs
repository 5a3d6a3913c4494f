//! Avisera's domain: what a shipment, an event, a trigger, a rule, a template and a notification
//! are, and the decisions between them. Nothing here does I/O; time comes in as an argument.
#![forbid(unsafe_code)]

pub mod billing;
pub mod clock;
pub mod colour;
pub mod contact;
pub mod dispatch;
pub mod email_layout;
pub mod engine;
pub mod event;
pub mod failover;
pub mod holidays;
pub mod ids;
pub mod ingest;
pub mod limits;
pub mod links;
pub mod logo;
pub mod mapping;
pub mod money;
pub mod notification;
pub mod opening_hours;
pub mod organisation;
pub mod plan;
pub mod planner;
pub mod privacy;
pub mod rate;
pub mod rating;
pub mod reason;
pub mod receipt;
pub mod receiver;
pub mod replay;
pub mod retry;
pub mod rule;
pub mod shipment;
pub mod signup;
pub mod sms;
pub mod stats;
pub mod template;
pub mod template_advice;
pub mod tenant;
pub mod timing;
pub mod trigger;
pub mod user;
pub mod visit;
pub mod working_days;
pub mod zone;

pub use clock::{Clock, FixedClock, SystemClock};
pub use ids::{BrandId, LogoId, NotificationId, RuleId, ShipmentId, TemplateId, TenantId, UserId};
pub use jiff::Timestamp;
