//! What a PostgreSQL error means for the caller, by its SQLSTATE, and running a transaction
//! again when PostgreSQL gave it up for a concurrent one.

use avisera_store::{StoreError, StoreResult};
use sqlx::error::ErrorKind;
use std::future::Future;
use std::time::Duration;

/// Runs of a transaction before a `Retryable` error reaches the caller.
pub(crate) const RUNS: u32 = 4;

/// Sorts a sqlx error into the store's kinds; the text keeps the database's own words.
pub fn classify(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) => {
            let code = d.code().map(|c| c.into_owned()).unwrap_or_default();
            let constraint = || d.constraint().map(str::to_string).unwrap_or_default();
            match d.kind() {
                ErrorKind::UniqueViolation => {
                    let constraint = constraint();
                    let message = format!("already taken: the value must be unique ({constraint})");
                    return StoreError::conflict(constraint, message);
                }
                // Our schema never deletes a row that others refer to, so a broken reference is a
                // write naming a row that does not exist.
                ErrorKind::ForeignKeyViolation => {
                    return StoreError::NotFound(format!("the row it refers to does not exist ({})", constraint()));
                }
                _ => {}
            }
            if is_retryable(&code) {
                StoreError::Retryable(e.to_string())
            } else if is_unavailable(&code) {
                StoreError::Unavailable(e.to_string())
            } else {
                StoreError::Database(e.to_string())
            }
        }
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => StoreError::Unavailable(e.to_string()),
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => StoreError::Corrupt(e.to_string()),
        _ => StoreError::Database(e.to_string()),
    }
}

/// Serialization failure, deadlock, lock not available.
fn is_retryable(code: &str) -> bool {
    matches!(code, "40001" | "40P01" | "55P03")
}

/// Connection exceptions (class 08), too many connections, the server shutting down or
/// restarting (class 57P, but not 57014, a cancelled statement).
fn is_unavailable(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "53300" | "57P01" | "57P02" | "57P03")
}

/// Runs `transaction` until it is not given up for a concurrent one, at most `RUNS` times,
/// waiting a little longer before each new run. Only for work that is whole in one
/// transaction: a run that failed left nothing behind.
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
    fn codes_sort_into_kinds() {
        for code in ["40001", "40P01", "55P03"] {
            assert!(is_retryable(code), "{code}");
        }
        for code in ["23505", "57014", "22021", "22022", "42501", "5", "6"] {
            assert!(!is_retryable(code), "{code}");
            assert!(!is_unavailable(code), "{code}");
        }
        for code in ["08006", "08001", "53300", "57P01"] {
            assert!(is_unavailable(code), "{code}");
        }
        assert!(matches!(
            classify(sqlx::Error::PoolTimedOut),
            StoreError::Unavailable(_)
        ));
        assert!(matches!(
            classify(sqlx::Error::Io(std::io::ErrorKind::ConnectionRefused.into())),
            StoreError::Unavailable(_)
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
    async fn a_transaction_given_up_is_run_again_a_bounded_number_of_times() {
        let busy = || StoreError::Retryable("deadlock detected".into());
        let (out, runs) = failing(RUNS - 1, busy).await;
        assert_eq!((out.unwrap(), runs), ("done", RUNS), "the last run succeeds");
        let (out, runs) = failing(u32::MAX, busy).await;
        assert!(matches!(out, Err(StoreError::Retryable(_))), "{out:?}");
        assert_eq!(runs, RUNS, "gives up after {RUNS} runs");
        let (out, runs) = failing(u32::MAX, || StoreError::conflict("users_email_key", "taken")).await;
        assert!(matches!(out, Err(StoreError::Conflict { .. })), "{out:?}");
        assert_eq!(runs, 1, "a conflict is never run again");
        let (_, runs) = failing(u32::MAX, || StoreError::Unavailable("pool timed out".into())).await;
        assert_eq!(runs, 1, "an unreachable database is the caller's to wait for");
    }
}
