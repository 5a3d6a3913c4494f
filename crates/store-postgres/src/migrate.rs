//! Versioned migrations: numbered SQL files in `migrations/`, embedded in the binary and
//! recorded in `schema_migrations`, each applied in its own transaction under an advisory lock.
//!
//! Migration 1 is byte for byte the PostgreSQL migration 1 of the `Any` store the earlier
//! releases ran on (`avisera-store-sql`, since removed), so a database that store migrated
//! carries the same checksum and goes on from here.
//! Our own migrator rather than sqlx's: a database made before migrations must be brought to
//! migration 1 by Rust code (`adopt`) in the same transaction and lock that records it.

use crate::db;
pub use avisera_store::Migration;
use avisera_store::{
    AppliedMigration, MigrationReport, Recorded, SchemaStatus, StoreError, StoreResult, latest, next_migration,
};
use sqlx::{PgPool, Postgres, Transaction};

pub(crate) type Tx = Transaction<'static, Postgres>;

/// This build's migrations, oldest first, numbered from 1 without gaps.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sql: include_str!("../migrations/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "native_types",
        sql: include_str!("../migrations/0002_native_types.sql"),
    },
    Migration {
        version: 3,
        name: "fair_claims_and_rate_limits",
        sql: include_str!("../migrations/0003_fair_claims_and_rate_limits.sql"),
    },
    Migration {
        version: 4,
        name: "receipts",
        sql: include_str!("../migrations/0004_receipts.sql"),
    },
    Migration {
        version: 5,
        name: "visits",
        sql: include_str!("../migrations/0005_visits.sql"),
    },
    Migration {
        version: 6,
        name: "accounts",
        sql: include_str!("../migrations/0006_accounts.sql"),
    },
    Migration {
        version: 7,
        name: "opens",
        sql: include_str!("../migrations/0007_opens.sql"),
    },
    Migration {
        version: 8,
        name: "provider",
        sql: include_str!("../migrations/0008_provider.sql"),
    },
    Migration {
        version: 9,
        name: "receivers",
        sql: include_str!("../migrations/0009_receivers.sql"),
    },
    Migration {
        version: 10,
        name: "rule_archive",
        sql: include_str!("../migrations/0010_rule_archive.sql"),
    },
    Migration {
        version: 11,
        name: "api_key_prefix",
        sql: include_str!("../migrations/0011_api_key_prefix.sql"),
    },
    Migration {
        version: 12,
        name: "privacy",
        sql: include_str!("../migrations/0012_privacy.sql"),
    },
    Migration {
        version: 13,
        name: "brands",
        sql: include_str!("../migrations/0013_brands.sql"),
    },
    Migration {
        version: 14,
        name: "ratings",
        sql: include_str!("../migrations/0014_ratings.sql"),
    },
    Migration {
        version: 15,
        name: "email_key_index",
        sql: include_str!("../migrations/0015_email_key_index.sql"),
    },
    Migration {
        version: 16,
        name: "user_phone",
        sql: include_str!("../migrations/0016_user_phone.sql"),
    },
    Migration {
        version: 17,
        name: "api_key_last_used",
        sql: include_str!("../migrations/0017_api_key_last_used.sql"),
    },
    Migration {
        version: 18,
        name: "drop_global_due_index",
        sql: include_str!("../migrations/0018_drop_global_due_index.sql"),
    },
    Migration {
        version: 19,
        name: "reserved_sms_index",
        sql: include_str!("../migrations/0019_reserved_sms_index.sql"),
    },
    Migration {
        version: 20,
        name: "notification_log_index",
        sql: include_str!("../migrations/0020_notification_log_index.sql"),
    },
    Migration {
        version: 21,
        name: "sent_index_covers_the_price",
        sql: include_str!("../migrations/0021_sent_index_covers_the_price.sql"),
    },
    Migration {
        version: 22,
        name: "sms_spend_counter",
        sql: include_str!("../migrations/0022_sms_spend_counter.sql"),
    },
];

/// Serialises `migrate` across nodes sharing one database; the same key as the earlier
/// releases' store (avisera-store-sql), so a node of such a release migrating at the same
/// moment waits too.
const ADVISORY_LOCK: i64 = 7413001;

/// A transaction that no other `migrate` runs beside: the advisory lock is held to its end.
async fn begin_locked(pool: &PgPool) -> StoreResult<Tx> {
    let mut tx = pool.begin().await.map_err(db)?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(ADVISORY_LOCK)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    Ok(tx)
}

pub(crate) async fn table_exists(tx: &mut Tx, table: &str) -> StoreResult<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1)",
    )
    .bind(table)
    .fetch_one(&mut **tx)
    .await
    .map_err(db)
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

pub(crate) async fn status(pool: &PgPool, migrations: &[Migration]) -> StoreResult<SchemaStatus> {
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

/// As avisera-store-sql made it (epoch milliseconds): the migrator's own table is shared with
/// databases that store migrated, and nothing reads `applied_at` but an operator.
const CREATE_TABLE: &str = "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)";

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
pub(crate) async fn migrate(pool: &PgPool, migrations: &[Migration]) -> StoreResult<MigrationReport> {
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

/// Creates the migrations table; true when the database was made before migrations and was
/// adopted as version 1.
fn bootstrap<'a>(pool: &'a PgPool, first: &'a Migration) -> BoxFuture<'a, StoreResult<bool>> {
    Box::pin(async move {
        let mut tx = begin_locked(pool).await?;
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

// The steps are boxed: as plain `async fn`s awaited in `migrate`'s loop they trip rustc's
// higher-ranked `Send` check in the async trait ("`Send` is not general enough").
type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

enum Next {
    Applied(AppliedMigration),
    UpToDate(i64),
}

/// Applies the oldest missing migration and records it, in one transaction.
fn apply_next<'a>(pool: &'a PgPool, migrations: &'a [Migration]) -> BoxFuture<'a, StoreResult<Next>> {
    Box::pin(async move {
        let mut tx = begin_locked(pool).await?;
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

/// Runs a migration's statements in order, split at `;` (a migration holds no `;` inside a
/// string, a comment or a body), so an error names the statement that failed.
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

    /// Databases migrated by avisera-store-sql recorded migration 1's checksum; ours must match
    /// it (the SHA-256 of that release's file) or they would be refused as edited.
    #[test]
    fn migration_1_is_the_any_stores_postgres_migration_1() {
        assert_eq!(
            MIGRATIONS[0].checksum(),
            "320993d25ed8495598a760f42ec6e3631502677dfd2306a0058a361bf42f71a1"
        );
    }
}
