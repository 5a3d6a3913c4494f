//! Versioned migrations: numbered SQL files per engine (`migrations/sqlite`, `migrations/postgres`),
//! embedded in the binary and recorded in `schema_migrations`, each applied in its own transaction.
//!
//! Our own migrator rather than sqlx's: a database made before migrations must be brought to
//! migration 1 by Rust code (inspect its columns, rebuild tables, backfill from JSON) in the same
//! transaction and lock that records it, which sqlx's `Migrator` (SQL files only) cannot do, and
//! embedding with `sqlx::migrate!` would add the macros crate to the build for ~100 lines.

use crate::db;
use crate::setup::Dialect;
use avisera_store::{AppliedMigration, MigrationReport, SchemaStatus, StoreError, StoreResult};
use sha2::{Digest, Sha256};
use sqlx::{Any, AnyPool, Row, Transaction};

pub(crate) type Tx = Transaction<'static, Any>;

/// One numbered migration. Never edit one that was released: add the next number.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

impl Migration {
    /// SHA-256 of the SQL text, recorded when applied, so an edited migration is noticed.
    pub fn checksum(&self) -> String {
        hex::encode(Sha256::digest(self.sql.as_bytes()))
    }
}

const SQLITE: &[Migration] = &[Migration {
    version: 1,
    name: "initial",
    sql: include_str!("../migrations/sqlite/0001_initial.sql"),
}];

const POSTGRES: &[Migration] = &[Migration {
    version: 1,
    name: "initial",
    sql: include_str!("../migrations/postgres/0001_initial.sql"),
}];

impl Dialect {
    /// This build's migrations for the engine, oldest first, numbered from 1 without gaps.
    pub fn migrations(self) -> &'static [Migration] {
        match self {
            Dialect::Sqlite => SQLITE,
            Dialect::Postgres => POSTGRES,
        }
    }
}

/// Serialises `migrate` across nodes sharing one PostgreSQL database.
const ADVISORY_LOCK: i64 = 7413001;

/// A transaction that no other `migrate` runs beside: PostgreSQL's advisory lock, held to the
/// transaction's end; SQLite's write lock taken at BEGIN.
fn begin_locked(pool: &AnyPool, dialect: Dialect) -> BoxFuture<'_, StoreResult<Tx>> {
    Box::pin(async move {
        match dialect {
            Dialect::Sqlite => crate::begin_write(pool, dialect).await,
            Dialect::Postgres => {
                let mut tx = pool.begin().await.map_err(db)?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(ADVISORY_LOCK)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                Ok(tx)
            }
        }
    })
}

// The steps are boxed: as plain `async fn`s awaited in `migrate`'s loop they trip rustc's
// higher-ranked `Send` check in the async trait ("`Executor` is not general enough").
type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

pub(crate) async fn table_exists(tx: &mut Tx, dialect: Dialect, table: &str) -> StoreResult<bool> {
    let sql = match dialect {
        Dialect::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1",
        Dialect::Postgres => {
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1"
        }
    };
    let n: i64 = sqlx::query(sql)
        .bind(table)
        .fetch_one(&mut **tx)
        .await
        .and_then(|r| r.try_get(0))
        .map_err(db)?;
    Ok(n > 0)
}

/// Versions applied, with their checksums, oldest first.
async fn applied(tx: &mut Tx) -> StoreResult<Vec<(i64, String, String)>> {
    let rows = sqlx::query("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
        .fetch_all(&mut **tx)
        .await
        .map_err(db)?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(db)
}

pub(crate) async fn status(pool: &AnyPool, dialect: Dialect, migrations: &[Migration]) -> StoreResult<SchemaStatus> {
    let known = latest(migrations);
    // Only reads; dropped (rolled back) at the end.
    let mut tx = pool.begin().await.map_err(db)?;
    if table_exists(&mut tx, dialect, "schema_migrations").await? {
        let version = applied(&mut tx).await?.last().map_or(0, |a| a.0);
        Ok(SchemaStatus::At { version, known })
    } else if table_exists(&mut tx, dialect, "tenants").await? {
        Ok(SchemaStatus::PreMigrations { known })
    } else {
        Ok(SchemaStatus::Empty { known })
    }
}

fn latest(migrations: &[Migration]) -> i64 {
    migrations.last().map_or(0, |m| m.version)
}

fn create_table(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => {
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)"
        }
        Dialect::Postgres => {
            "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)"
        }
    }
}

async fn record(tx: &mut Tx, m: &Migration) -> StoreResult<()> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    sqlx::query("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)")
        .bind(m.version)
        .bind(m.name)
        .bind(m.checksum())
        .bind(now)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    Ok(())
}

/// Brings the database to the newest of `migrations`: adopts a pre-migrations database as
/// version 1, then applies each missing migration in its own transaction under the lock.
pub(crate) async fn migrate(
    pool: &AnyPool,
    dialect: Dialect,
    migrations: &[Migration],
) -> StoreResult<MigrationReport> {
    let mut report = MigrationReport::default();
    let Some(first) = migrations.first() else {
        return Ok(report);
    };
    report.adopted = bootstrap(pool, dialect, first).await?;
    loop {
        match apply_next(pool, dialect, migrations).await? {
            Next::Applied(m) => report.applied.push(m),
            Next::UpToDate(version) => {
                report.version = version;
                return Ok(report);
            }
        }
    }
}

/// Creates the migrations table; true when the database was made before migrations and was
/// adopted as version 1.
fn bootstrap<'a>(pool: &'a AnyPool, dialect: Dialect, first: &'a Migration) -> BoxFuture<'a, StoreResult<bool>> {
    Box::pin(async move {
        let mut tx = begin_locked(pool, dialect).await?;
        if table_exists(&mut tx, dialect, "schema_migrations").await? {
            return Ok(false);
        }
        let made_before_migrations = table_exists(&mut tx, dialect, "tenants").await?;
        if made_before_migrations {
            crate::adopt::to_initial(&mut tx, dialect, first.sql).await?;
        }
        sqlx::query(create_table(dialect)).execute(&mut *tx).await.map_err(db)?;
        if made_before_migrations {
            record(&mut tx, first).await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(made_before_migrations)
    })
}

enum Next {
    Applied(AppliedMigration),
    UpToDate(i64),
}

/// Applies the oldest missing migration and records it, in one transaction.
fn apply_next<'a>(
    pool: &'a AnyPool,
    dialect: Dialect,
    migrations: &'a [Migration],
) -> BoxFuture<'a, StoreResult<Next>> {
    Box::pin(async move {
        let mut tx = begin_locked(pool, dialect).await?;
        let done = applied(&mut tx).await?;
        check_history(&done, migrations)?;
        let Some(next) = migrations.iter().find(|m| !done.iter().any(|d| d.0 == m.version)) else {
            return Ok(Next::UpToDate(done.last().map_or(0, |d| d.0)));
        };
        run_script(&mut tx, next.sql).await.map_err(|e| {
            StoreError::Schema(format!(
                "migration {:04} ({}) failed, nothing of it was applied: {e}",
                next.version, next.name
            ))
        })?;
        record(&mut tx, next).await?;
        tx.commit().await.map_err(db)?;
        Ok(Next::Applied(AppliedMigration {
            version: next.version,
            name: next.name.to_string(),
        }))
    })
}

/// Runs a migration's statements in order. They are split at `;`, so a migration holds no `;`
/// inside a string, a comment or a body (the `Any` driver's multi-statement `raw_sql` cannot be
/// held across an await in our `Send` futures).
pub(crate) async fn run_script(tx: &mut Tx, sql: &str) -> Result<(), sqlx::Error> {
    let statements: Vec<&str> = sql.split(';').map(str::trim).filter(|s| !s.is_empty()).collect();
    for statement in statements {
        sqlx::query(statement).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Refuses a database that is ahead of this build or whose applied migrations differ from ours.
fn check_history(done: &[(i64, String, String)], migrations: &[Migration]) -> StoreResult<()> {
    let known = latest(migrations);
    for (version, name, checksum) in done {
        match migrations.iter().find(|m| m.version == *version) {
            None => {
                return Err(StoreError::Schema(format!(
                    "the database schema is at version {}, newer than this avisera knows ({known}); \
                     migration {version:04} ({name}) came from a later release: upgrade avisera",
                    done.last().map_or(*version, |d| d.0)
                )));
            }
            Some(m) if m.checksum() != *checksum => {
                return Err(StoreError::Schema(format!(
                    "migration {version:04} ({name}) in the database differs from this avisera's: \
                     it was edited after it was applied; restore it as released and add a new migration instead"
                )));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both engines number the same migrations 1, 2, 3... with the same names, so a database
    /// moved between engines (and the typed drivers to come) agree on what a version means.
    #[test]
    fn migrations_are_numbered_from_one_without_gaps_alike_on_both_engines() {
        for dialect in [Dialect::Sqlite, Dialect::Postgres] {
            let versions: Vec<i64> = dialect.migrations().iter().map(|m| m.version).collect();
            assert_eq!(versions, (1..=versions.len() as i64).collect::<Vec<_>>(), "{dialect:?}");
        }
        let names = |d: Dialect| d.migrations().iter().map(|m| (m.version, m.name)).collect::<Vec<_>>();
        assert_eq!(names(Dialect::Sqlite), names(Dialect::Postgres));
    }
}
