//! `POST /v1/events`: one event (an object), or a batch (an array, or `{"events": [...]}`).
//!
//! Batch semantics: every event is checked on its own. The valid ones are stored together in
//! one transaction; the invalid ones are listed by index with the field and what is wrong, and
//! nothing of them is stored. Status 202 when all were accepted (or were duplicates), 207 when
//! some were rejected, 422 when none could be accepted. A duplicate (same `event_id`, or same
//! code, time and location for the shipment) is reported as such and notifies nobody again.

use super::auth::Authenticated;
use super::error::ApiError;
use super::json::{self, Batch};
use crate::app::App;
use avisera_core::ingest::Source;
use avisera_domain::event::{CarrierEvent, EventInput, FieldError};
use avisera_store::EventOutcome;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;
use utoipa::ToSchema;

const MAX_BATCH: usize = 10_000;

/// What a batch did: counts, and per event (by index) its result.
#[derive(Serialize, ToSchema)]
pub struct EventResults {
    pub accepted: usize,
    pub duplicates: usize,
    pub rejected: usize,
    #[schema(value_type = Vec<EventResultDoc>)]
    pub results: Vec<EventResult>,
}

impl EventResults {
    /// A batch's answer: `results` holds the refused events' results; each stored event
    /// (`valid[k]`, at `index[k]` in the batch) gets its outcome, named by `key`. The status
    /// is 202 when nothing was refused, 422 when nothing was taken, 207 otherwise.
    pub fn of(
        mut results: Vec<Option<EventResult>>,
        index: Vec<usize>,
        valid: &[CarrierEvent],
        outcomes: Vec<EventOutcome>,
        key: fn(String) -> EventKey,
    ) -> (StatusCode, EventResults) {
        let rejected = results.iter().filter(|r| r.is_some()).count();
        let (mut accepted, mut duplicates) = (0, 0);
        for ((i, event), outcome) in index.into_iter().zip(valid).zip(outcomes) {
            match outcome {
                EventOutcome::Accepted { .. } => accepted += 1,
                EventOutcome::Duplicate { .. } => duplicates += 1,
            }
            results[i] = Some(EventResult::Stored {
                index: i,
                outcome,
                id: key(event.tracking_number.clone()),
                warnings: event.warnings(),
            });
        }
        let status = match (rejected, accepted + duplicates) {
            (0, _) => StatusCode::ACCEPTED,
            (_, 0) => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::MULTI_STATUS,
        };
        let results = results.into_iter().flatten().collect();
        (
            status,
            EventResults {
                accepted,
                duplicates,
                rejected,
                results,
            },
        )
    }
}

/// One event's result, as `EventResultDoc` documents it.
#[derive(Serialize)]
#[serde(untagged)]
pub enum EventResult {
    Stored {
        index: usize,
        #[serde(flatten)]
        outcome: EventOutcome,
        #[serde(flatten)]
        id: EventKey,
        warnings: Vec<FieldError>,
    },
    Rejected {
        index: usize,
        result: Rejected,
        field: Option<String>,
        message: String,
    },
}

/// How the door names the event's parcel: `tracking_number` (the API), `item_id` (webhooks).
#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKey {
    TrackingNumber(String),
    ItemId(String),
}

#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rejected {
    Rejected,
}

impl EventResult {
    /// An event that is wrong: the field (none when the whole event is) and what is wrong.
    pub fn rejected(index: usize, field: Option<String>, message: String) -> Self {
        EventResult::Rejected {
            index,
            result: Rejected::Rejected,
            field,
            message,
        }
    }
}

/// One event's result: `accepted` (with the notifications it caused), `duplicate`, or
/// `rejected` (with the field and what is wrong; nothing of it was stored).
#[derive(ToSchema)]
#[schema(as = EventResult)]
#[allow(dead_code)]
pub struct EventResultDoc {
    index: usize,
    #[schema(inline)]
    result: ResultKind,
    /// Accepted and duplicate events.
    tracking_number: Option<String>,
    /// Accepted and duplicate events: the shipment's id.
    shipment_id: Option<i64>,
    /// Accepted events: how many notifications the event planned.
    notifications: Option<u32>,
    /// Accepted events: the code maps to no trigger or milestone.
    unknown_code: Option<bool>,
    /// Accepted events: what will keep a message from the receiver (a phone or email that
    /// does not parse, a phone that cannot take an SMS); the event is stored all the same.
    warnings: Option<Vec<Warning>>,
    /// Rejected events: the field that is wrong (null when the whole event is).
    field: Option<String>,
    /// Rejected events: what is wrong.
    message: Option<String>,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
enum ResultKind {
    Accepted,
    Duplicate,
    Rejected,
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct Warning {
    field: String,
    message: String,
}

/// The body: one event, an array of 1 to 10,000, or `{"events": [...]}`.
#[derive(ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum EventBatch {
    One(Box<EventDoc>),
    List(Vec<EventDoc>),
    Wrapped(EventList),
}

#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct EventList {
    #[schema(min_items = 1, max_items = 10000)]
    events: Vec<EventDoc>,
}

/// `domain::event::EventInput`: a carrier event. Text fields are trimmed, at most 500
/// characters, without control characters but line breaks.
#[derive(ToSchema)]
#[schema(as = Event)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct EventDoc {
    /// The carrier's event id; without it, code + time + location identify the event.
    event_id: Option<String>,
    /// At most 64 letters, digits and dashes.
    #[schema(pattern = r"^\s*[A-Za-z0-9-]{1,64}\s*$", example = "00370712345678901234")]
    tracking_number: String,
    /// The carrier's event code, e.g. DELIVERED; unknown codes are stored and fire nothing.
    #[schema(min_length = 1, example = "DELIVERED")]
    code: String,
    /// With offset; from 2000-01-01 to 24 hours after now.
    #[schema(format = DateTime, example = "2026-11-25T14:05:00+01:00")]
    occurred_at: String,
    location: Option<String>,
    shipment: Option<ShipmentInputDoc>,
    pickup_point: Option<PickupPointDoc>,
}

#[derive(ToSchema)]
#[schema(as = ShipmentInput)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ShipmentInputDoc {
    receiver: Option<ReceiverDoc>,
    /// Two letters, e.g. SE.
    destination_country: Option<String>,
    service_code: Option<String>,
    sender_account: Option<String>,
    order_reference: Option<String>,
    is_return: Option<bool>,
    carrier: Option<String>,
    expected_delivery: Option<String>,
    /// At most 50.
    attributes: Option<BTreeMap<String, String>>,
}

#[derive(ToSchema)]
#[schema(as = Receiver)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ReceiverDoc {
    name: Option<String>,
    /// As people write it: `070-123 45 67`, `+46 70 123 45 67`.
    phone: Option<String>,
    email: Option<String>,
    /// Two or three letters, e.g. sv.
    language: Option<String>,
    /// An IANA zone such as Europe/Oslo; from the destination country when absent.
    time_zone: Option<String>,
}

#[derive(ToSchema)]
#[schema(as = PickupPoint)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct PickupPointDoc {
    #[schema(min_length = 1)]
    name: String,
    address: Option<String>,
    opening_hours: Option<String>,
    /// With offset; empty is none.
    #[schema(schema_with = super::schema::optional_instant)]
    storage_deadline: Option<String>,
}

/// A 422: a single event that is wrong (an error), or a batch none of whose events could be
/// accepted (the results).
#[derive(ToSchema)]
#[schema(as = EventsUnprocessable)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum Unprocessable {
    Error(super::api_doc::ErrorBody),
    Results(EventResults),
}

/// Post carrier events: one event, an array, or `{"events": [...]}`. Each event is checked on
/// its own; the valid ones are stored together in one transaction.
#[utoipa::path(post, path = "/v1/events", tag = "events", security(("apiKey" = [])),
    request_body(content = EventBatch, content_type = "application/json"),
    responses(
        (status = 202, description = "every event accepted or a duplicate", body = EventResults),
        (status = 207, description = "some events rejected (listed); the others stored", body = EventResults),
        (status = 400, description = "malformed JSON or an empty body", body = super::api_doc::ErrorBody),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody),
        (status = 413, description = "more than 10,000 events, or a body over max_body_bytes", body = super::api_doc::ErrorBody),
        (status = 422, description = "nothing could be accepted", body = Unprocessable)))]
pub async fn post_events(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    body: Bytes,
) -> Result<(StatusCode, Json<EventResults>), ApiError> {
    let Batch { items, single } = json::batch(&body, MAX_BATCH, false)?;
    if items.is_empty() {
        return Err(ApiError::invalid("empty_batch", "the batch holds no events"));
    }

    let mut results: Vec<Option<EventResult>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    let now = app.clock.now();
    let (good, refused) = json::check_each(items, |input: EventInput| {
        input.check_at(now).map_err(|e| (Some(e.field), e.message))
    });
    for (i, field, message) in refused {
        results[i] = Some(EventResult::rejected(i, field, message));
    }
    let (valid_index, valid): (Vec<usize>, Vec<_>) = good.into_iter().unzip();
    let rejected = results.iter().filter(|r| r.is_some()).count();
    crate::metrics::add(&app.metrics.events_rejected, rejected as u64);

    let outcomes = app.ingest().events(Source::Api, tenant, &valid).await?;
    let (status, answer) = EventResults::of(results, valid_index, &valid, outcomes, EventKey::TrackingNumber);
    if single && let Some(EventResult::Rejected { field, message, .. }) = answer.results.first() {
        let message = format!("{}: {message}", field.as_deref().unwrap_or("event"));
        return Err(ApiError::invalid("invalid_event", message).with(json!({ "field": field })));
    }
    Ok((status, Json(answer)))
}

#[cfg(test)]
mod tests {
    //! The event's shape describes `domain::event::EventInput` and its parts; these fail when
    //! one of them gains, loses or renames a field its shape does not.

    use super::*;
    use avisera_domain::event::{PickupPointInput, ReceiverInput, ShipmentInput};
    use std::collections::BTreeSet;
    use utoipa::PartialSchema;

    fn documented<T: PartialSchema>() -> BTreeSet<String> {
        let schema = serde_json::to_value(T::schema()).unwrap();
        schema["properties"].as_object().unwrap().keys().cloned().collect()
    }

    fn served(value: impl Serialize) -> BTreeSet<String> {
        serde_json::to_value(value)
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    }

    #[test]
    fn the_event_shape_has_the_fields_the_server_reads() {
        assert_eq!(documented::<EventDoc>(), served(EventInput::default()));
        assert_eq!(documented::<ShipmentInputDoc>(), served(ShipmentInput::default()));
        assert_eq!(documented::<ReceiverDoc>(), served(ReceiverInput::default()));
        assert_eq!(documented::<PickupPointDoc>(), served(PickupPointInput::default()));
    }
}
