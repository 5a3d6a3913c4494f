//! Translating between domain values and PostgreSQL's native types: an instant is a
//! `timestamptz` (through `PgTime`), a structured value is `jsonb` (through `sqlx::types::Json`).
//!
//! sqlx 0.8 has no `jiff` support, and neither `chrono` nor `time` is in our build. PostgreSQL
//! sends a `timestamptz` in binary as microseconds since 2000-01-01 UTC, so `PgTime` encodes and
//! decodes that integer itself: exact, no extra dependency, and no conversion written into
//! every statement. It writes whole milliseconds (what the other stores keep) and reads
//! whatever precision the column holds.

use avisera_domain::Timestamp;
use avisera_store::StoreError;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::types::Oid;
use sqlx::postgres::{PgArgumentBuffer, PgHasArrayType, PgTypeInfo, PgValueFormat, PgValueRef, Postgres};
use sqlx::{Decode, Encode, Type};

/// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01T00:00:00Z).
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// An instant as a `timestamptz` column or parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PgTime(pub Timestamp);

impl From<Timestamp> for PgTime {
    fn from(t: Timestamp) -> Self {
        PgTime(t)
    }
}

impl From<PgTime> for Timestamp {
    fn from(t: PgTime) -> Self {
        t.0
    }
}

/// `timestamptz` and its array have fixed OIDs in every PostgreSQL, so no lookup by name.
impl Type<Postgres> for PgTime {
    fn type_info() -> PgTypeInfo {
        PgTypeInfo::with_oid(Oid(1184))
    }
}

impl PgHasArrayType for PgTime {
    fn array_type_info() -> PgTypeInfo {
        PgTypeInfo::with_oid(Oid(1185))
    }
}

impl Encode<'_, Postgres> for PgTime {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        // Whole milliseconds, as the SQLite store keeps them (and the Any store kept them), so an instant
        // reads back the same on every engine (and prints the same in a bill).
        let micros = self.0.as_millisecond() * 1000 - PG_EPOCH_MICROS;
        <i64 as Encode<'_, Postgres>>::encode_by_ref(&micros, buf)
    }

    fn size_hint(&self) -> usize {
        std::mem::size_of::<i64>()
    }
}

impl<'r> Decode<'r, Postgres> for PgTime {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        match value.format() {
            PgValueFormat::Binary => {
                let micros = <i64 as Decode<'r, Postgres>>::decode(value)?;
                let unix = micros
                    .checked_add(PG_EPOCH_MICROS)
                    .ok_or("timestamptz out of range (infinity?)")?;
                Ok(PgTime(Timestamp::from_microsecond(unix)?))
            }
            // Only the simple (text) protocol sends this; PostgreSQL writes "2026-11-25 10:00:00.123+00".
            PgValueFormat::Text => {
                let text = value.as_str()?;
                let iso = match text.rfind(['+', '-']) {
                    Some(at) if text[at..].len() == 3 => format!("{text}:00"),
                    _ => text.to_string(),
                };
                Ok(PgTime(iso.replacen(' ', "T", 1).parse()?))
            }
        }
    }
}

pub fn parse<T: std::str::FromStr>(what: &str, s: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_postgres_epoch_is_2000_01_01() {
        let pg_epoch: Timestamp = "2000-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(pg_epoch.as_microsecond(), PG_EPOCH_MICROS);
    }
}
