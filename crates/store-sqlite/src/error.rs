//! What a SQLite error means for the caller, by its extended result code, and running a
//! transaction again when the file was busy with another writer.

use avisera_store::{StoreError, StoreResult};
use std::future::Future;
use std::time::Duration;

/// Runs of a transaction before a `Retryable` error reaches the caller.
pub(crate) const RUNS: u32 = 4;

/// SQLite's extended result codes that the store sorts by (sqlite3.h).
const CONSTRAINT_UNIQUE: i32 = 2067;
const CONSTRAINT_PRIMARYKEY: i32 = 1555;
const CONSTRAINT_FOREIGNKEY: i32 = 787;
/// Primary codes (the low byte of an extended one): another connection holds the lock.
const BUSY: i32 = 5;
const LOCKED: i32 = 6;

/// Sorts a sqlx error into the store's kinds; the text keeps SQLite's own words.
pub fn classify(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) => {
            let code = d.code().and_then(|c| c.parse::<i32>().ok()).unwrap_or(0);
            // SQLite names no constraint, only its columns: "UNIQUE constraint failed: users.email".
            let columns = || d.message().split_once(": ").map_or("", |(_, cols)| cols).to_string();
            match code {
                CONSTRAINT_UNIQUE | CONSTRAINT_PRIMARYKEY => {
                    let constraint = columns();
                    let message = format!("already taken: the value must be unique ({constraint})");
                    StoreError::conflict(constraint, message)
                }
                // Our schema never deletes a row that others refer to, so a broken reference is
                // a write naming a row that does not exist.
                CONSTRAINT_FOREIGNKEY => {
                    StoreError::NotFound(format!("the row it refers to does not exist ({})", d.message()))
                }
                c if matches!(c & 0xff, BUSY | LOCKED) => StoreError::Retryable(e.to_string()),
                _ => StoreError::Database(e.to_string()),
            }
        }
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => StoreError::Unavailable(e.to_string()),
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => StoreError::Corrupt(e.to_string()),
        _ => StoreError::Database(e.to_string()),
    }
}

/// Runs `transaction` until the file is not busy, at most `RUNS` times, waiting a little longer
/// before each new run. Only for work that is whole in one transaction: a run that failed left
/// nothing behind.
pub(crate) async fn retrying<T, F, Fut>(mut transaction: F) -> StoreResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = StoreResult<T>>,
{
    let mut run = 1;
    loop {
        match transaction().await {
            Err(StoreError::Retryable(_)) if run < RUNS => {
                tokio::time::sleep(Duration::from_millis(5 << run)).await;
                run += 1;
            }
            done => return done,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn errors_without_a_database_code_sort_into_kinds() {
        assert!(matches!(
            classify(sqlx::Error::PoolTimedOut),
            StoreError::Unavailable(_)
        ));
        assert!(matches!(classify(sqlx::Error::PoolClosed), StoreError::Unavailable(_)));
        assert!(matches!(
            classify(sqlx::Error::Io(std::io::ErrorKind::NotFound.into())),
            StoreError::Unavailable(_)
        ));
        assert!(matches!(
            classify(sqlx::Error::Decode("not a number".into())),
            StoreError::Corrupt(_)
        ));
        assert!(matches!(classify(sqlx::Error::RowNotFound), StoreError::Database(_)));
    }

    async fn failing(times: u32, error: fn() -> StoreError) -> (StoreResult<&'static str>, u32) {
        let runs = AtomicU32::new(0);
        let out = retrying(|| async {
            if runs.fetch_add(1, Ordering::SeqCst) < times {
                Err(error())
            } else {
                Ok("done")
            }
        })
        .await;
        (out, runs.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn a_busy_transaction_is_run_again_a_bounded_number_of_times() {
        let busy = || StoreError::Retryable("database is locked".into());
        let (out, runs) = failing(RUNS - 1, busy).await;
        assert_eq!((out.unwrap(), runs), ("done", RUNS), "the last run succeeds");
        let (out, runs) = failing(u32::MAX, busy).await;
        assert!(matches!(out, Err(StoreError::Retryable(_))), "{out:?}");
        assert_eq!(runs, RUNS, "gives up after {RUNS} runs");
        let (out, runs) = failing(u32::MAX, || StoreError::conflict("users.email", "taken")).await;
        assert!(matches!(out, Err(StoreError::Conflict { .. })), "{out:?}");
        assert_eq!(runs, 1, "a conflict is never run again");
        let (_, runs) = failing(u32::MAX, || StoreError::Unavailable("pool timed out".into())).await;
        assert_eq!(runs, 1, "an unreachable database is the caller's to wait for");
    }
}
