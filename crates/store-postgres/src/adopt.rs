//! Adopting a database made before versioned migrations (every release up to 4b9a3ab replayed
//! `CREATE TABLE IF NOT EXISTS`, which never added a column): bring it to migration 1 in place.
//! Migration 2 then converts it to native types like any other database at version 1.

use crate::db;
use crate::migrate::{Tx, table_exists};
use avisera_domain::contact::PhoneNumber;
use avisera_store::{StoreError, StoreResult};

/// Columns added to tables after the table's first release, as they are declared in migration 1;
/// a row that predates one takes the column's default, as new rows did.
const ADDED_COLUMNS: &[(&str, &str, &str)] = &[
    // db9be2b: billing settings and what a sent notification is billed.
    ("tenants", "billing", "TEXT NOT NULL DEFAULT '{}'"),
    ("notifications", "billable", "BIGINT NOT NULL DEFAULT 1"),
    ("notifications", "sent_at", "BIGINT"),
    ("notifications", "billed_units", "BIGINT"),
    ("notifications", "unit_price_ore", "BIGINT"),
    // 2e8c6a0: the receiver's zone kept for quiet hours at sending.
    ("notifications", "time_zone", "TEXT"),
    // 0df1969: Track & Trace's lookup columns, backfilled below from the stored state.
    ("shipments", "order_reference", "TEXT"),
    ("shipments", "receiver_phone", "TEXT"),
    ("shipments", "receiver_email", "TEXT"),
];

/// The hot tables had foreign keys in the first release (9d98c37) and lost them in d058bd1.
const UNKEYED: &[&str] = &["notification_history", "notifications", "events", "shipments"];

/// Adds what the database lacks of migration 1 (`initial`, its SQL), keeping every row.
pub(crate) async fn to_initial(tx: &mut Tx, initial: &str) -> StoreResult<()> {
    let mut added_lookup = false;
    for (table, column, ty) in ADDED_COLUMNS {
        if !table_exists(tx, table).await? || columns(tx, table).await?.iter().any(|c| c == column) {
            continue;
        }
        exec(tx, &format!("ALTER TABLE {table} ADD COLUMN {column} {ty}")).await?;
        added_lookup |= *column == "order_reference";
    }
    for table in UNKEYED {
        if table_exists(tx, table).await? {
            drop_foreign_keys(tx, table).await?;
        }
    }
    crate::migrate::run_script(tx, initial).await.map_err(db)?;
    if added_lookup {
        backfill_lookup(tx).await?;
    }
    Ok(())
}

async fn exec(tx: &mut Tx, sql: &str) -> StoreResult<()> {
    sqlx::query(sql).execute(&mut **tx).await.map(|_| ()).map_err(db)
}

async fn columns(tx: &mut Tx, table: &str) -> StoreResult<Vec<String>> {
    sqlx::query_scalar(
        "SELECT column_name::text FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(&mut **tx)
    .await
    .map_err(db)
}

async fn drop_foreign_keys(tx: &mut Tx, table: &str) -> StoreResult<()> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT conname::text FROM pg_constraint WHERE contype = 'f' AND conrelid = to_regclass($1)",
    )
    .bind(table)
    .fetch_all(&mut **tx)
    .await
    .map_err(db)?;
    for name in names {
        exec(
            tx,
            &format!("ALTER TABLE {table} DROP CONSTRAINT \"{}\"", name.replace('"', "\"\"")),
        )
        .await?;
    }
    Ok(())
}

/// Fills Track & Trace's lookup columns from each shipment's stored state, as saving it does
/// today: order reference and email trimmed and lower-cased, the phone in E.164 when it parses.
/// Read from the JSON loosely, so an older state's shape cannot stop the upgrade. (At this
/// point the state is still text: migration 2 has not run.)
async fn backfill_lookup(tx: &mut Tx) -> StoreResult<()> {
    let mut after = 0i64;
    loop {
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, state FROM shipments WHERE id > $1 ORDER BY id LIMIT 500")
                .bind(after)
                .fetch_all(&mut **tx)
                .await
                .map_err(db)?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = last.0;
        for (id, state) in &rows {
            let state: serde_json::Value = serde_json::from_str(state)
                .map_err(|e| StoreError::Corrupt(format!("shipment {id}: its stored state is not JSON: {e}")))?;
            let text = |key: &str| state["details"][key].as_str().map(str::to_string);
            let order = text("order_reference").map(|r| r.trim().to_lowercase());
            // Releases before de534b1 kept the phone as given ("070-123 45 67"): E.164 when it
            // parses with the destination country, as ingest stores it since.
            let country = text("destination_country");
            let phone = text("receiver_phone").map(|raw| {
                PhoneNumber::parse(&raw, country.as_deref())
                    .map(String::from)
                    .unwrap_or(raw)
            });
            let email = text("receiver_email").map(|e| e.trim().to_lowercase());
            if order.is_none() && phone.is_none() && email.is_none() {
                continue;
            }
            sqlx::query(
                "UPDATE shipments SET order_reference = $1, receiver_phone = $2, receiver_email = $3 WHERE id = $4",
            )
            .bind(order)
            .bind(phone)
            .bind(email)
            .bind(id)
            .execute(&mut **tx)
            .await
            .map_err(db)?;
        }
    }
}
