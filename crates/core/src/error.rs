//! What an operation can refuse, by what the caller should do about it. Each kind has a
//! stable code that clients and pages may rely on; the text keeps saying what to do.

use avisera_domain::event::FieldError;
use avisera_domain::mapping::MappingError;
use avisera_domain::template::TemplateError;
use avisera_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// What the caller named does not exist for this tenant ("rule 7", "tenant").
    #[error("{what} not found")]
    NotFound { what: String },
    /// The input is wrong; `field` names the part when one part is, and `code` says which
    /// kind of input it was (`invalid_rule`, `invalid_brand`, `invalid_billing`, ...).
    #[error("{message}")]
    Invalid {
        code: &'static str,
        field: Option<String>,
        message: String,
    },
    /// A template that does not render: the language, part, line and variable are named.
    #[error("{0}")]
    Template(TemplateError),
    /// A tenant's event-code mapping line that does not parse (the line is named).
    #[error("{0}")]
    Mapping(MappingError),
    /// Enabling (or keeping enabled) a rule whose trigger the tenant's plan lacks; the text
    /// names the plan that has it.
    #[error("{0}")]
    PlanLacksTrigger(String),
    /// A filter of a query (the log's status, a date) that does not parse.
    #[error("{field}: {message}")]
    Filter { field: &'static str, message: String },
    /// An event dated outside the allowed range reached ingest from a door that checks
    /// without a clock; nothing of the batch is stored.
    #[error("event {index} (tracking number {tracking_number}): {error}")]
    EventTime {
        index: usize,
        tracking_number: String,
        error: FieldError,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Error {
    pub fn not_found(what: impl Into<String>) -> Self {
        Error::NotFound { what: what.into() }
    }

    /// A wrong `field`, said as "field: message".
    pub fn field(code: &'static str, field: &str, message: impl std::fmt::Display) -> Self {
        Error::Invalid {
            code,
            field: Some(field.to_string()),
            message: format!("{field}: {message}"),
        }
    }

    /// The stable code of this kind of refusal.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotFound { .. } => "not_found",
            Error::Invalid { code, .. } => code,
            Error::Template(_) => "invalid_template",
            Error::Mapping(_) => "invalid_mapping",
            Error::PlanLacksTrigger(_) => "plan_lacks_trigger",
            Error::Filter { .. } => "invalid_query",
            Error::EventTime { .. } => "invalid_event",
            Error::Store(StoreError::NotFound(_)) => "not_found",
            Error::Store(StoreError::Conflict { .. }) => "conflict",
            Error::Store(StoreError::Retryable(_)) => "store_busy",
            Error::Store(StoreError::Unavailable(_) | StoreError::Schema(_)) => "store_unavailable",
            Error::Store(StoreError::Corrupt(_) | StoreError::Database(_)) => "internal_error",
        }
    }
}

impl From<TemplateError> for Error {
    fn from(e: TemplateError) -> Self {
        Error::Template(e)
    }
}
