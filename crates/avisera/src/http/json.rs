//! The API's JSON reader. A body is the documented object (serde alone would take an array
//! where a struct belongs, positionally), a key appears once per object, and a batch of events
//! is counted while it is read, so an oversized one stops at the limit instead of filling memory.

use super::error::{ApiError, parse_json};
use axum::http::StatusCode;
use serde::Serialize;
use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Value, json};
use std::cell::Cell;
use std::collections::HashSet;
use std::fmt;

/// What a JSON value is at its top level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Object,
    Array,
    Scalar,
}

/// Reads one JSON value whole, refusing a key that appears twice in an object, and says what
/// the value was. It notes in its cell whether an array appears anywhere inside: without one,
/// serde cannot have read an array as a struct, and the costlier shape check is skipped.
#[derive(Clone, Copy)]
struct Unique<'c>(&'c Cell<bool>);

impl<'de> DeserializeSeed<'de> for Unique<'_> {
    type Value = Kind;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Kind, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Unique<'_> {
    type Value = Kind;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Kind, E> {
        Ok(Kind::Scalar)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Kind, E> {
        Ok(Kind::Scalar)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Kind, E> {
        Ok(Kind::Scalar)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Kind, E> {
        Ok(Kind::Scalar)
    }
    fn visit_str<E>(self, _: &str) -> Result<Kind, E> {
        Ok(Kind::Scalar)
    }
    fn visit_unit<E>(self) -> Result<Kind, E> {
        Ok(Kind::Scalar)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Kind, A::Error> {
        self.0.set(true);
        while seq.next_element_seed(self)?.is_some() {}
        Ok(Kind::Array)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Kind, A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if seen.contains(&key) {
                return Err(de::Error::custom(format!(
                    "the key {key:?} appears twice in one object; send it once"
                )));
            }
            map.next_value_seed(self)?;
            seen.insert(key);
        }
        Ok(Kind::Object)
    }
}

/// Checks a whole body: well-formed, no duplicate key, and what its top level is.
fn scan(body: &[u8]) -> Result<Kind, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "empty_body",
            "the body is empty; send a JSON object (see /openapi.json)",
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let kind = Unique(&Cell::new(false))
        .deserialize(&mut de)
        .and_then(|k| de.end().map(|()| k));
    // A syntax error gets the usual 400 with line and column; a duplicate key a 422.
    kind.map_err(|e| parse_json::<IgnoredAny>(body).err().unwrap_or_else(|| decode_error(&e)))
}

fn decode_error(e: &serde_json::Error) -> ApiError {
    ApiError::invalid("invalid_body", e.to_string()).with(json!({ "line": e.line(), "column": e.column() }))
}

fn not_an_object(what: &str) -> ApiError {
    ApiError::invalid(
        "not_an_object",
        format!("{what} must be a JSON object ({{...}}) with the documented fields, not an array or a single value"),
    )
}

/// Parses a body that must be one JSON object of type `T`: not an array (serde would read one
/// positionally), not empty, no key twice, and no array where `T` has an object inside either.
/// Errors name the place.
pub fn object<T: DeserializeOwned + Serialize>(body: &[u8]) -> Result<T, ApiError> {
    if scan(body)? != Kind::Object {
        return Err(not_an_object("the body"));
    }
    let parsed: T = parse_json(body)?;
    nested_objects(body, &parsed).map_err(|field| {
        ApiError::invalid(
            "not_an_object",
            format!("{field} must be a JSON object ({{...}}), not an array"),
        )
        .with(json!({ "field": field }))
    })?;
    Ok(parsed)
}

/// serde reads a struct from an array too, positionally, at any depth. After parsing, a place
/// where the body has an array and the parsed value (written back) has an object is refused;
/// its path is the error.
fn nested_objects<T: Serialize>(body: &[u8], parsed: &T) -> Result<(), String> {
    fn walk(given: &Value, parsed: &Value, path: &str) -> Result<(), String> {
        let at = |key: &str| {
            if path.is_empty() {
                key.to_string()
            } else {
                format!("{path}.{key}")
            }
        };
        match (given, parsed) {
            (Value::Array(_), Value::Object(_)) => Err(if path.is_empty() {
                "the body".into()
            } else {
                path.into()
            }),
            (Value::Object(g), Value::Object(p)) => g
                .iter()
                .filter_map(|(k, v)| p.get(k).map(|w| (k, v, w)))
                .try_for_each(|(k, v, w)| walk(v, w, &at(k))),
            (Value::Array(g), Value::Array(p)) if g.len() == p.len() => g
                .iter()
                .zip(p)
                .enumerate()
                .try_for_each(|(i, (v, w))| walk(v, w, &format!("{path}[{i}]"))),
            _ => Ok(()),
        }
    }
    let (Ok(given), Ok(parsed)) = (serde_json::from_slice::<Value>(body), serde_json::to_value(parsed)) else {
        return Ok(());
    };
    walk(&given, &parsed, "")
}

/// The events of a body: one event object, an array of them, or `{"events": [...]}` (with
/// other keys beside `events` when `other_keys` allows it). Each event is a raw slice of the
/// body, read by `item`; at most `max` of them, counted while reading.
pub struct Batch<'a> {
    pub items: Vec<&'a RawValue>,
    /// The body was one event object (not a list).
    pub single: bool,
}

pub fn batch(body: &[u8], max: usize, other_keys: bool) -> Result<Batch<'_>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return scan(body).map(|_| Batch {
            items: Vec::new(),
            single: false,
        });
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let top = (TopSeed { max })
        .deserialize(&mut de)
        .and_then(|top| de.end().map(|()| top));
    let top = top.map_err(|e| {
        if e.to_string().starts_with(TOO_MANY) {
            too_many(max)
        } else {
            // Syntax errors get the same 400 with line and column as every other body.
            match parse_json::<IgnoredAny>(body) {
                Err(syntax) => syntax,
                Ok(_) => decode_error(&e),
            }
        }
    })?;
    let items = match top {
        Top::List(items) => items,
        Top::Object {
            keys,
            events: Some(events),
        } if other_keys || keys == 1 => match events {
            Some(items) => items,
            None => {
                return Err(ApiError::invalid("invalid_body", "`events` must be an array of events")
                    .with(json!({"field": "events"})));
            }
        },
        Top::Object { .. } => {
            let whole: &RawValue = serde_json::from_slice(body).map_err(|e| decode_error(&e))?;
            return Ok(Batch {
                items: vec![whole],
                single: true,
            });
        }
        Top::Scalar => return Err(not_an_object("an event")),
    };
    Ok(Batch { items, single: false })
}

/// The events of a batch, each read as `T` (by `item`) and checked by `check`: the good ones
/// with their index in the batch, and the refused ones as (index, field, what is wrong). Every
/// door that takes JSON events (the API, carrier webhooks, NATS) splits its batch here.
#[allow(clippy::type_complexity)]
pub fn check_each<T, E>(
    items: Vec<&RawValue>,
    check: impl Fn(T) -> Result<E, (Option<String>, String)>,
) -> (Vec<(usize, E)>, Vec<(usize, Option<String>, String)>)
where
    T: DeserializeOwned + Serialize,
{
    let (mut good, mut refused) = (Vec::with_capacity(items.len()), Vec::new());
    for (i, raw) in items.into_iter().enumerate() {
        match item::<T>(raw).and_then(&check) {
            Ok(event) => good.push((i, event)),
            Err((field, message)) => refused.push((i, field, message)),
        }
    }
    (good, refused)
}

/// Reads one event of a batch as `T`: an object, no key twice. The error is the field (as
/// serde names it, or null) and the message, for the batch's results.
pub fn item<T: DeserializeOwned + Serialize>(raw: &RawValue) -> Result<T, (Option<String>, String)> {
    let mut de = serde_json::Deserializer::from_str(raw.get());
    let arrays = Cell::new(false);
    match Unique(&arrays).deserialize(&mut de) {
        Ok(Kind::Object) => {}
        Ok(_) => {
            return Err((
                None,
                "an event must be a JSON object ({...}), not an array or a single value".into(),
            ));
        }
        Err(e) => return Err((None, e.to_string())),
    }
    // The plain decoder first; only a refused event is read again to find its field's path.
    let parsed: T = match serde_json::from_str(raw.get()) {
        Ok(parsed) => parsed,
        Err(plain) => {
            let e = serde_path_to_error::deserialize::<_, T>(&mut serde_json::Deserializer::from_str(raw.get()))
                .err()
                .map(|e| {
                    let field = e.path().to_string();
                    ((field != ".").then_some(field), e.into_inner().to_string())
                });
            return Err(e.unwrap_or((None, plain.to_string())));
        }
    };
    if arrays.get() {
        nested_objects(raw.get().as_bytes(), &parsed)
            .map_err(|field| (Some(field), "must be a JSON object ({...}), not an array".into()))?;
    }
    Ok(parsed)
}

const TOO_MANY: &str = "too many events";

fn too_many(max: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "batch_too_large",
        format!("a batch holds at most {max} events; split it (nothing was stored)"),
    )
    .with(json!({ "max_events": max }))
}

enum Top<'a> {
    List(Vec<&'a RawValue>),
    /// An object: how many keys, and its `events` (counted like a list; `None` inside when it
    /// is not an array).
    Object {
        keys: usize,
        events: Option<Option<Vec<&'a RawValue>>>,
    },
    Scalar,
}

struct TopSeed {
    max: usize,
}

impl<'de> DeserializeSeed<'de> for TopSeed {
    type Value = Top<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Top<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopSeed {
    type Value = Top<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an event object or an array of events")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Top<'de>, E> {
        Ok(Top::Scalar)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Top<'de>, E> {
        Ok(Top::Scalar)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Top<'de>, E> {
        Ok(Top::Scalar)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Top<'de>, E> {
        Ok(Top::Scalar)
    }
    fn visit_str<E>(self, _: &str) -> Result<Top<'de>, E> {
        Ok(Top::Scalar)
    }
    fn visit_unit<E>(self) -> Result<Top<'de>, E> {
        Ok(Top::Scalar)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Top<'de>, A::Error> {
        ItemsSeed { max: self.max }
            .visit_seq(seq)
            .map(|items| Top::List(items.unwrap_or_default()))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Top<'de>, A::Error> {
        let (mut seen, mut events) = (HashSet::new(), None);
        while let Some(key) = map.next_key::<String>()? {
            if key == "events" && events.is_none() {
                events = Some(map.next_value_seed(ItemsSeed { max: self.max })?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format!(
                    "the key {key:?} appears twice in one object; send it once"
                )));
            }
        }
        Ok(Top::Object {
            keys: seen.len(),
            events,
        })
    }
}

/// An array of events as raw slices, at most `max`: the element after the limit stops the read.
/// `None` when the value is not an array.
struct ItemsSeed {
    max: usize,
}

impl<'de> DeserializeSeed<'de> for ItemsSeed {
    type Value = Option<Vec<&'de RawValue>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ItemsSeed {
    type Value = Option<Vec<&'de RawValue>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of events")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<&'de RawValue>()? {
            if items.len() == self.max {
                return Err(de::Error::custom(TOO_MANY));
            }
            items.push(item);
        }
        Ok(Some(items))
    }
}
