//! The storage every Avisera store implements, as role traits (`roles`), and what goes in and
//! out of it. `Store` is all roles at once; a caller that needs less takes the narrower trait.
#![forbid(unsafe_code)]

mod accounts;
#[cfg(feature = "conformance")]
pub mod conformance;
mod ingest;
mod limits;
mod plan_requests;
mod records;
mod roles;
mod schema;
mod send;
mod signups;
mod stats;

pub use accounts::*;
pub use ingest::*;
pub use limits::*;
pub use plan_requests::*;
pub use records::*;
pub use roles::*;
pub use schema::*;
pub use send::*;
pub use signups::*;
pub use stats::*;

/// What went wrong in the store, by what the caller can do about it: the edge maps each kind
/// to its answer (404, 409, 503 with a retry, 500) without reading the text.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A write named a row that does not exist (a tenant, a user): asking again changes nothing.
    #[error("{0}")]
    NotFound(String),
    /// A write broke a uniqueness rule of the data, named by `constraint` (as the database
    /// names it): the value is taken; asking again changes nothing.
    #[error("{message}")]
    Conflict { constraint: String, message: String },
    /// The database gave the transaction up because of a concurrent one (a serialization
    /// failure, a deadlock, a busy SQLite file). The store runs its transactions again a few
    /// times; this reaches the caller only when every run was given up: retry later.
    #[error("the database gave up the transaction for a concurrent one ({0}); retry")]
    Retryable(String),
    /// The database cannot be reached: no connection free in time, a connection refused or
    /// lost, TLS. Nothing was written; retry later.
    #[error("the database is unavailable ({0}); retry later")]
    Unavailable(String),
    /// A stored value does not read back as what it should be.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The schema cannot be migrated as it is (newer than this build, or an applied migration
    /// that differs from this build's); the text says what to do.
    #[error("{0}")]
    Schema(String),
    /// Any other error from the database: a defect of ours (a statement it refuses), or a
    /// database URL that cannot work.
    #[error("database error: {0}")]
    Database(String),
}

impl StoreError {
    /// A conflict on `constraint`, with a message that says what is taken.
    pub fn conflict(constraint: impl Into<String>, message: impl Into<String>) -> Self {
        StoreError::Conflict {
            constraint: constraint.into(),
            message: message.into(),
        }
    }

    /// Worth running again later, unchanged: the database was busy or unreachable.
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Retryable(_) | StoreError::Unavailable(_))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Decides, inside the event's transaction, what the event does to its shipment and which
/// notifications it causes. The engine supplies it; `domain::ingest::plan_batch` decides the
/// batch with it, and the store only persists that plan.
pub type Decide<'a> =
    dyn Fn(avisera_domain::shipment::Shipment, &avisera_domain::event::CarrierEvent) -> Decision + Send + Sync + 'a;

/// What a delivering node uses: the outbox, opt-outs and receivers' chosen channels (read
/// together per tenant of a batch, `SendReads`), the tenant's rules and templates (checked
/// again before sending), its SMS spend, and the shipment an SMS refused by the budget becomes
/// an email about. No portal, no notification log, no migrations.
pub trait DeliveryStore: Outbox + SendReads + TenantConfig + Usage + EventStore {}

impl<T> DeliveryStore for T where T: Outbox + SendReads + TenantConfig + Usage + EventStore + ?Sized {}

/// What taking events in uses: what a batch is decided with, in one read (`IngestReads`: the
/// tenant's configuration and the addresses among the batch's that bounced, so an email rule
/// falls back to SMS for them), its SMS spend (a budget that stops SMS), the events' one
/// transaction, and the outbox for budget notices.
pub trait IngestStore: IngestReads + EventStore + TenantConfig + Usage + Outbox {}

impl<T> IngestStore for T where T: IngestReads + EventStore + TenantConfig + Usage + Outbox + ?Sized {}

/// What replaying a rule over stored events reads: the tenant's configuration, its events in
/// arrival order, its opt-outs, the addresses that bounced and the channels receivers chose.
/// It writes nothing.
pub trait ReplayStore: EventStore + TenantConfig + Suppressions + Receipts + Receivers {}

impl<T> ReplayStore for T where T: EventStore + TenantConfig + Suppressions + Receipts + Receivers + ?Sized {}

/// Every role at once: what the binary opens and hands around. Implemented for every type
/// that implements all roles, so a store implements the roles and nothing else; a `&dyn Store`
/// becomes any narrower `&dyn` role (each is a supertrait).
pub trait Store:
    Maintenance
    + NotificationLog
    + Portal
    + DeliveryStore
    + IngestStore
    + ReplayStore
    + RateLimits
    + Receipts
    + Engagement
    + SignUps
    + PlanRequests
    + Accounts
    + Privacy
    + Ratings
    + 'static
{
}

impl<T> Store for T where
    T: Maintenance
        + NotificationLog
        + Portal
        + DeliveryStore
        + IngestStore
        + ReplayStore
        + RateLimits
        + Receipts
        + Engagement
        + SignUps
        + PlanRequests
        + Accounts
        + Privacy
        + Ratings
        + ?Sized
        + 'static
{
}
