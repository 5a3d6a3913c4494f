//! Domain values as SQLite columns: instants are integer epoch milliseconds (`Millis`), names
//! of domain values are their text slugs (`Slug`), structured values are JSON text
//! (`sqlx::types::Json`). Each decodes inside `FromRow`, so a bad value is a decode error
//! that names its column, and the store reports it as `Corrupt`.

use avisera_domain::Timestamp;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::sqlite::{SqliteArgumentValue, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Sqlite, Type};
use std::str::FromStr;

/// An instant stored as epoch milliseconds in an INTEGER column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Millis(pub Timestamp);

impl Type<Sqlite> for Millis {
    fn type_info() -> SqliteTypeInfo {
        <i64 as Type<Sqlite>>::type_info()
    }

    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <i64 as Type<Sqlite>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Sqlite> for Millis {
    fn encode_by_ref(&self, buf: &mut Vec<SqliteArgumentValue<'q>>) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<'q, Sqlite>>::encode(self.0.as_millisecond(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Millis {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let ms = <i64 as Decode<'r, Sqlite>>::decode(value)?;
        Ok(Millis(
            Timestamp::from_millisecond(ms).map_err(|e| format!("bad instant {ms}: {e}"))?,
        ))
    }
}

/// A domain value stored as its slug (a plan, a channel, a status, a trigger, a role), read
/// back through its `FromStr`. Written with the value's own `slug()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slug<T>(pub T);

impl<T> Type<Sqlite> for Slug<T> {
    fn type_info() -> SqliteTypeInfo {
        <&str as Type<Sqlite>>::type_info()
    }

    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <&str as Type<Sqlite>>::compatible(ty)
    }
}

impl<'r, T> Decode<'r, Sqlite> for Slug<T>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let s = <&str as Decode<'r, Sqlite>>::decode(value)?;
        s.parse().map(Slug).map_err(|e| format!("{s:?}: {e}").into())
    }
}
