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
    let Batch { items, single } = json::batch(&body, MAX_BATCH, false)?;
    if items.is_empty() {
        return Err(ApiError::invalid("empty_batch", "the batch holds no events"));
    }

    let mut results: Vec<Value> = vec![Value::Null; items.len()];
    let mut valid = Vec::with_capacity(items.len());
    let mut valid_index = Vec::with_capacity(items.len());
    let now = app.clock.now();
    for (i, item) in items.into_iter().enumerate() {
        let checked = json::item::<EventInput>(item)
            .and_then(|input| input.check_at(now).map_err(|e| (Some(e.field), e.message)));
        match checked {
            Ok(event) => {
                valid_index.push(i);
                valid.push(event);
            }
            Err((field, message)) => results[i] = json::rejected(i, field, message),
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
        r["warnings"] = json!(event.warnings());
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
