//! Versioned migrations: numbered SQL files (`migrations/`), embedded in the binary and
//! recorded in `schema_migrations`, each applied in its own transaction.
//!
//! Our own migrator rather than sqlx's: a database made before migrations must be brought to
//! migration 1 by Rust code (inspect its columns, rebuild tables, backfill from JSON) in the same
//! transaction that records it, which sqlx's `Migrator` (SQL files only) cannot do; and the
//! checksums that the earlier releases' store (avisera-store-sql, since removed) recorded
//! (SHA-256 of the SQL) must keep matching.

use crate::{Tx, begin_write, db};
pub use avisera_store::Migration;
use avisera_store::{
    AppliedMigration, MigrationReport, Recorded, SchemaStatus, StoreError, StoreResult, latest, next_migration,
};
use sqlx::SqlitePool;

/// This build's migrations, oldest first, numbered from 1 without gaps. 0001 is byte for byte
/// the one the earlier releases' store (store-sql) applied (databases record its checksum).
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sql: include_str!("../migrations/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "fair_claims_and_rate_limits",
        sql: include_str!("../migrations/0002_fair_claims_and_rate_limits.sql"),
    },
    Migration {
        version: 3,
        name: "receipts",
        sql: include_str!("../migrations/0003_receipts.sql"),
    },
    Migration {
        version: 4,
        name: "visits",
        sql: include_str!("../migrations/0004_visits.sql"),
    },
    Migration {
        version: 5,
        name: "accounts",
        sql: include_str!("../migrations/0005_accounts.sql"),
    },
    Migration {
        version: 6,
        name: "opens",
        sql: include_str!("../migrations/0006_opens.sql"),
    },
    Migration {
        version: 7,
        name: "provider",
        sql: include_str!("../migrations/0007_provider.sql"),
    },
    Migration {
        version: 8,
        name: "receivers",
        sql: include_str!("../migrations/0008_receivers.sql"),
    },
    Migration {
        version: 9,
        name: "rule_archive",
        sql: include_str!("../migrations/0009_rule_archive.sql"),
    },
    Migration {
        version: 10,
        name: "api_key_prefix",
        sql: include_str!("../migrations/0010_api_key_prefix.sql"),
    },
    Migration {
        version: 11,
        name: "privacy",
        sql: include_str!("../migrations/0011_privacy.sql"),
    },
    Migration {
        version: 12,
        name: "brands",
        sql: include_str!("../migrations/0012_brands.sql"),
    },
    Migration {
        version: 13,
        name: "ratings",
        sql: include_str!("../migrations/0013_ratings.sql"),
    },
    Migration {
        version: 14,
        name: "email_key_index",
        sql: include_str!("../migrations/0014_email_key_index.sql"),
    },
    Migration {
        version: 15,
        name: "user_phone",
        sql: include_str!("../migrations/0015_user_phone.sql"),
    },
    Migration {
        version: 16,
        name: "api_key_last_used",
        sql: include_str!("../migrations/0016_api_key_last_used.sql"),
    },
];

pub(crate) async fn table_exists(tx: &mut Tx, table: &str) -> StoreResult<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?1")
        .bind(table)
        .fetch_one(&mut **tx)
        .await
        .map_err(db)?;
    Ok(n > 0)
}

/// Versions applied, with their checksums, oldest first.
async fn applied(tx: &mut Tx) -> StoreResult<Vec<Recorded>> {
    let rows: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
            .fetch_all(&mut **tx)
            .await
            .map_err(db)?;
    Ok(rows
        .into_iter()
        .map(|(version, name, checksum)| Recorded {
            version,
            name,
            checksum,
        })
        .collect())
}

pub(crate) async fn status(pool: &SqlitePool, migrations: &[Migration]) -> StoreResult<SchemaStatus> {
    let known = latest(migrations);
    // Only reads; dropped (rolled back) at the end.
    let mut tx = pool.begin().await.map_err(db)?;
    if table_exists(&mut tx, "schema_migrations").await? {
        let version = applied(&mut tx).await?.last().map_or(0, |a| a.version);
        Ok(SchemaStatus::At { version, known })
    } else if table_exists(&mut tx, "tenants").await? {
        Ok(SchemaStatus::PreMigrations { known })
    } else {
        Ok(SchemaStatus::Empty { known })
    }
}

const CREATE_TABLE: &str = "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)";

async fn record(tx: &mut Tx, m: &Migration) -> StoreResult<()> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    sqlx::query("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?1, ?2, ?3, ?4)")
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
/// version 1, then applies each missing migration in its own transaction, under SQLite's write
/// lock (taken at BEGIN IMMEDIATE) so that two processes never apply one twice.
pub(crate) async fn migrate(pool: &SqlitePool, migrations: &[Migration]) -> StoreResult<MigrationReport> {
    let mut report = MigrationReport::default();
    let Some(first) = migrations.first() else {
        return Ok(report);
    };
    report.adopted = bootstrap(pool, first).await?;
    loop {
        match apply_next(pool, migrations).await? {
            Next::Applied(m) => report.applied.push(m),
            Next::UpToDate(version) => {
                report.version = version;
                return Ok(report);
            }
        }
    }
}

// The steps are boxed: as plain `async fn`s awaited in `migrate`'s loop they trip rustc's
// higher-ranked `Send` check in the async trait ("`Send` is not general enough").
type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// Creates the migrations table; true when the database was made before migrations and was
/// adopted as version 1.
fn bootstrap<'a>(pool: &'a SqlitePool, first: &'a Migration) -> BoxFuture<'a, StoreResult<bool>> {
    Box::pin(async move {
        let mut tx = begin_write(pool).await?;
        if table_exists(&mut tx, "schema_migrations").await? {
            return Ok(false);
        }
        let made_before_migrations = table_exists(&mut tx, "tenants").await?;
        if made_before_migrations {
            crate::adopt::to_initial(&mut tx, first.sql).await?;
        }
        sqlx::query(CREATE_TABLE).execute(&mut *tx).await.map_err(db)?;
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
fn apply_next<'a>(pool: &'a SqlitePool, migrations: &'a [Migration]) -> BoxFuture<'a, StoreResult<Next>> {
    Box::pin(async move {
        let mut tx = begin_write(pool).await?;
        let done = applied(&mut tx).await?;
        let Some(next) = next_migration(&done, migrations)? else {
            return Ok(Next::UpToDate(done.last().map_or(0, |d| d.version)));
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

/// Runs a migration's statements in order, in the caller's transaction. They are split at `;`,
/// so a migration holds no `;` inside a string, a comment or a body: sqlx's multi-statement
/// `raw_sql` future fails rustc's higher-ranked `Send` check inside the async trait.
pub(crate) async fn run_script(tx: &mut Tx, sql: &str) -> Result<(), sqlx::Error> {
    for statement in sql.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        sqlx::query(statement).execute(&mut **tx).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_from_one_without_gaps() {
        let versions: Vec<i64> = MIGRATIONS.iter().map(|m| m.version).collect();
        assert_eq!(versions, (1..=versions.len() as i64).collect::<Vec<_>>());
    }

    /// Databases that store-sql migrated recorded the checksum of its SQLite 0001: ours must be
    /// the same text, or every one of them would be refused as edited.
    #[test]
    fn the_first_migration_is_the_one_store_sql_released() {
        assert_eq!(
            MIGRATIONS[0].checksum(),
            "2b16d3e5c39c0e80ddd17a23c8875d19a9b2af45e73bc9e76369919fee5e9eda"
        );
    }
}
