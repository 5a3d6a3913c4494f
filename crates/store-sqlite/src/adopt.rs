//! Adopting a database made before versioned migrations (every release up to 4b9a3ab replayed
//! `CREATE TABLE IF NOT EXISTS`, which never added a column): bring it to migration 1 in place.

use crate::migrate::table_exists;
use crate::{Tx, db};
use avisera_domain::contact::PhoneNumber;
use avisera_store::{StoreError, StoreResult};

/// Columns added to tables after the table's first release, as they are declared in migration 1;
/// a row that predates one takes the column's default, as new rows did.
const ADDED_COLUMNS: &[(&str, &str, &str)] = &[
    // db9be2b: billing settings and what a sent notification is billed.
    ("tenants", "billing", "TEXT NOT NULL DEFAULT '{}'"),
    ("notifications", "billable", "INTEGER NOT NULL DEFAULT 1"),
    ("notifications", "sent_at", "INTEGER"),
    ("notifications", "billed_units", "INTEGER"),
    ("notifications", "unit_price_ore", "INTEGER"),
    // 2e8c6a0: the receiver's zone kept for quiet hours at sending.
    ("notifications", "time_zone", "TEXT"),
    // 0df1969: Track & Trace's lookup columns, backfilled below from the stored state.
    ("shipments", "order_reference", "TEXT"),
    ("shipments", "receiver_phone", "TEXT"),
    ("shipments", "receiver_email", "TEXT"),
];

/// The hot tables had foreign keys in the first release (9d98c37) and lost them in d058bd1;
/// children first, so that no table is dropped while another still refers to it.
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
            drop_foreign_keys(tx, table, initial).await?;
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
    sqlx::query_scalar("SELECT name FROM pragma_table_info(?1) ORDER BY cid")
        .bind(table)
        .fetch_all(&mut **tx)
        .await
        .map_err(db)
}

/// SQLite cannot drop a constraint: copy the rows into the table as migration 1 declares it,
/// then put that table in the old one's place (its indexes come back when migration 1's
/// CREATE INDEX statements run).
async fn drop_foreign_keys(tx: &mut Tx, table: &str, initial: &str) -> StoreResult<()> {
    let keys: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pragma_foreign_key_list(?1)")
        .bind(table)
        .fetch_one(&mut **tx)
        .await
        .map_err(db)?;
    if keys == 0 {
        return Ok(());
    }
    let head = format!("CREATE TABLE IF NOT EXISTS {table} (");
    let create = initial
        .split(';')
        .find_map(|s| s.find(&head).map(|at| &s[at + head.len()..]))
        .ok_or_else(|| StoreError::Schema(format!("migration 1 does not create {table}")))?;
    let cols = columns(tx, table).await?.join(", ");
    exec(tx, &format!("CREATE TABLE {table}_unkeyed ({create}")).await?;
    exec(
        tx,
        &format!("INSERT INTO {table}_unkeyed ({cols}) SELECT {cols} FROM {table}"),
    )
    .await?;
    exec(tx, &format!("DROP TABLE {table}")).await?;
    exec(tx, &format!("ALTER TABLE {table}_unkeyed RENAME TO {table}")).await?;
    Ok(())
}

/// Fills Track & Trace's lookup columns from each shipment's stored state, as saving it does
/// today: order reference and email trimmed and lower-cased, the phone in E.164 when it parses.
/// Read from the JSON loosely, so an older state's shape cannot stop the upgrade.
async fn backfill_lookup(tx: &mut Tx) -> StoreResult<()> {
    let mut after = 0i64;
    loop {
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, state FROM shipments WHERE id > ?1 ORDER BY id LIMIT 500")
                .bind(after)
                .fetch_all(&mut **tx)
                .await
                .map_err(db)?;
        let Some((last, _)) = rows.last() else {
            return Ok(());
        };
        after = *last;
        for (id, state) in rows {
            let state: serde_json::Value = serde_json::from_str(&state)
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
                "UPDATE shipments SET order_reference = ?1, receiver_phone = ?2, receiver_email = ?3 WHERE id = ?4",
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
