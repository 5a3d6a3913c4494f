//! Translating between domain values and columns: instants are epoch milliseconds, structured
//! values are JSON text.

use avisera_domain::Timestamp;
use avisera_store::StoreError;
use serde::{Serialize, de::DeserializeOwned};

pub fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

pub fn ts(ms: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_millisecond(ms).map_err(|e| StoreError::Corrupt(format!("bad instant {ms}: {e}")))
}

pub fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("domain values always serialise")
}

pub fn from_json<T: DeserializeOwned>(what: &str, s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

pub fn parse<T: std::str::FromStr>(what: &str, s: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}
