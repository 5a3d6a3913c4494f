//! `POST /v1/events`: one event (an object), or a batch (an array, or `{"events": [...]}`).
//!
//! Batch semantics: every event is checked on its own. The valid ones are stored together in
//! one transaction; the invalid ones are listed by index with the field and what is wrong, and
//! nothing of them is stored. Status 202 when all were accepted (or were duplicates), 207 when
//! some were rejected, 422 when none could be accepted. A duplicate (same `event_id`, or same
//! code, time and location for the shipment) is reported as such and notifies nobody again.

use super::auth::Authenticated;
use super::error::{ApiError, parse_json};
use crate::app::App;
use crate::engine::ingest;
use avisera_domain::event::EventInput;
use avisera_store::EventOutcome;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

const MAX_BATCH: usize = 10_000;

pub async fn post_events(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let value: Value = parse_json(&body)?;
    let (items, single) = match value {
        Value::Array(items) => (items, false),
        Value::Object(mut map) if map.contains_key("events") && map.len() == 1 => match map.remove("events") {
            Some(Value::Array(items)) => (items, false),
            _ => return Err(ApiError::invalid("invalid_body", "`events` must be an array of events")),
        },
        v @ Value::Object(_) => (vec![v], true),
        _ => {
            return Err(ApiError::invalid(
                "invalid_body",
                "send an event object, an array of events, or {\"events\": [...]}",
            ));
        }
    };
    if items.is_empty() {
        return Err(ApiError::invalid("empty_batch", "the batch holds no events"));
    }
    if items.len() > MAX_BATCH {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "batch_too_large",
            format!("a batch holds at most {MAX_BATCH} events; split it"),
        ));
    }

    let mut results: Vec<Value> = vec![Value::Null; items.len()];
    let mut valid = Vec::with_capacity(items.len());
    let mut valid_index = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let checked = serde_path_to_error::deserialize::<_, EventInput>(item)
            .map_err(|e| {
                let field = e.path().to_string();
                let field = if field == "." { Value::Null } else { json!(field) };
                json!({ "field": field, "message": e.inner().to_string() })
            })
            .and_then(|input| {
                input
                    .check_at(app.clock.now())
                    .map_err(|e| json!({ "field": e.field, "message": e.message }))
            });
        match checked {
            Ok(event) => {
                valid_index.push(i);
                valid.push(event);
            }
            Err(mut why) => {
                why["index"] = json!(i);
                why["result"] = json!("rejected");
                results[i] = why;
            }
        }
    }
    let rejected = results.iter().filter(|r| !r.is_null()).count();
    crate::metrics::add(&app.metrics.events_rejected, rejected as u64);

    let outcomes = ingest(&app, tenant, &valid).await?;
    let (mut accepted, mut duplicates) = (0, 0);
    for ((i, event), outcome) in valid_index.into_iter().zip(&valid).zip(outcomes) {
        let mut r = serde_json::to_value(&outcome).unwrap_or(Value::Null);
        match outcome {
            EventOutcome::Accepted { .. } => accepted += 1,
            EventOutcome::Duplicate { .. } => duplicates += 1,
        }
        r["index"] = json!(i);
        r["tracking_number"] = json!(event.tracking_number);
        results[i] = r;
    }

    let status = match (rejected, accepted + duplicates) {
        (0, _) => StatusCode::ACCEPTED,
        (_, 0) => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::MULTI_STATUS,
    };
    if single && rejected == 1 {
        let r = &results[0];
        let message = format!(
            "{}: {}",
            r["field"].as_str().unwrap_or("event"),
            r["message"].as_str().unwrap_or("")
        );
        return Err(ApiError::invalid("invalid_event", message).with(json!({ "field": r["field"] })));
    }
    Ok((
        status,
        Json(json!({ "accepted": accepted, "duplicates": duplicates, "rejected": rejected, "results": results })),
    ))
}
