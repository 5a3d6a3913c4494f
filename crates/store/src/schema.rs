//! Where a database's schema stands against the migrations this build knows, and what
//! `migrate` did. The store decides the numbers; the binary words the advice to the operator.

/// A migration that `migrate` applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    pub version: i64,
    pub name: String,
}

/// What one `migrate` did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MigrationReport {
    /// The database was made before versioned migrations (its tables but no migrations
    /// table): it was brought to the shape of migration 1 in place, with its data.
    pub adopted: bool,
    /// Migrations applied now, in order (empty: it was up to date).
    pub applied: Vec<AppliedMigration>,
    /// The schema's version afterwards.
    pub version: i64,
}

/// The database's schema compared with what this build knows (`known`, its newest migration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaStatus {
    /// No tables at all: a new database.
    Empty { known: i64 },
    /// Avisera's tables without the migrations table: made before versioned migrations.
    PreMigrations { known: i64 },
    /// At `version`; equal to, behind or ahead of `known`.
    At { version: i64, known: i64 },
}

impl SchemaStatus {
    pub fn is_current(self) -> bool {
        matches!(self, SchemaStatus::At { version, known } if version == known)
    }
}
