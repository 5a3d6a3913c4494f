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

/// One numbered migration of a store. Never edit one that was released: add the next number.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

impl Migration {
    /// SHA-256 of the SQL text, recorded when applied, so an edited migration is noticed.
    pub fn checksum(&self) -> String {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(self.sql.as_bytes()))
    }
}

/// A migration as the database recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub version: i64,
    pub name: String,
    pub checksum: String,
}

/// The newest version of `migrations` (0 when there are none).
pub fn latest(migrations: &[Migration]) -> i64 {
    migrations.last().map_or(0, |m| m.version)
}

/// What `migrate` applies next, given what the database recorded (`done`, oldest first): the
/// oldest of `migrations` not applied, or `None` when it is up to date. Refuses a database that
/// is ahead of this build or whose applied migrations differ from ours, saying what to do.
pub fn next_migration<'m>(done: &[Recorded], migrations: &'m [Migration]) -> crate::StoreResult<Option<&'m Migration>> {
    let known = latest(migrations);
    for Recorded {
        version,
        name,
        checksum,
    } in done
    {
        match migrations.iter().find(|m| m.version == *version) {
            None => {
                return Err(crate::StoreError::Schema(format!(
                    "the database schema is at version {}, newer than this avisera knows ({known}); \
                     migration {version:04} ({name}) came from a later release: upgrade avisera",
                    done.last().map_or(*version, |d| d.version)
                )));
            }
            Some(m) if m.checksum() != *checksum => {
                return Err(crate::StoreError::Schema(format!(
                    "migration {version:04} ({name}) in the database differs from this avisera's: \
                     it was edited after it was applied; restore it as released and add a new migration instead"
                )));
            }
            Some(_) => {}
        }
    }
    Ok(migrations.iter().find(|m| !done.iter().any(|d| d.version == m.version)))
}
