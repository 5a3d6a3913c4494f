//! Follow-up: the overview (this month's usage and cost, numbers per trigger, channel and day
//! as a chart) and the log of every notification, filterable by trigger, channel, status and
//! date.

use super::session::Signed;
use super::view::{self, PortalError};
use crate::app::App;
use avisera_core::log::LogQuery;
use avisera_domain::NotificationId;
use avisera_domain::billing::Month;
use avisera_domain::notification::{Channel, Status};
use avisera_domain::trigger::Trigger;
use avisera_domain::user::Role;
use avisera_store::NotificationFact;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::tz::TimeZone;
use minijinja::{Value, context};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Days the overview's chart covers, today included.
const CHART_DAYS: i64 = 30;

#[derive(Default, serde::Serialize)]
struct DayCount {
    day: String,
    sms: u32,
    email: u32,
    failed: u32,
}

/// Counts per day (Stockholm) and channel, and per trigger and channel, over the facts.
fn numbers(facts: &[NotificationFact], days: &[String]) -> (Vec<DayCount>, Vec<Value>) {
    let zone = TimeZone::get("Europe/Stockholm").expect("bundled zone");
    let mut by_day: BTreeMap<String, DayCount> = days
        .iter()
        .map(|d| {
            (
                d.clone(),
                DayCount {
                    day: d.clone(),
                    ..Default::default()
                },
            )
        })
        .collect();
    let mut by_trigger: BTreeMap<(u8, &'static str), [u32; 6]> = BTreeMap::new();
    for f in facts {
        let day = f.created_at.to_zoned_datetime(zone.clone()).date().to_string();
        let n = u32::try_from(f.count).unwrap_or(u32::MAX);
        if let Some(d) = by_day.get_mut(&day) {
            match f.channel {
                Channel::Sms => d.sms += n,
                Channel::Email => d.email += n,
            }
            if f.status == Status::Failed {
                d.failed += n;
            }
        }
        let key = f.trigger.map_or((0, ""), |t: Trigger| (t.number(), t.slug()));
        let row = by_trigger.entry(key).or_default();
        match f.channel {
            Channel::Sms => row[0] += n,
            Channel::Email => row[1] += n,
        }
        match f.status {
            // What a receipt said since: still sent (and billed) by the provider.
            Status::Sent | Status::Delivered | Status::Undelivered | Status::Bounced => row[2] += n,
            Status::Failed => row[3] += n,
            Status::Scheduled => row[4] += n,
            Status::Cancelled => row[5] += n,
        }
    }
    let triggers = by_trigger
        .into_iter()
        .map(|((n, slug), c)| context! { number => n, slug => slug, sms => c[0], email => c[1], sent => c[2], failed => c[3], waiting => c[4], cancelled => c[5] })
        .collect();
    (by_day.into_values().collect(), triggers)
}

/// The period and grouping of the overview's delivery and click numbers.
#[derive(serde::Deserialize, Default)]
pub struct StatsQuery {
    from: Option<String>,
    until: Option<String>,
    group: Option<String>,
}

/// The numbers for the chosen period (the last 30 days by default), or why there are none.
async fn chosen_stats(app: &App, signed: &Signed, q: &StatsQuery) -> Result<(Value, Option<String>), PortalError> {
    let asked = avisera_core::stats::numbers(
        app.store.as_ref(),
        &signed.tenant,
        q.from.as_deref(),
        q.until.as_deref(),
        q.group.as_deref(),
        app.clock.now(),
    )
    .await;
    match asked {
        Ok(stats) => Ok((view::ser(&stats), None)),
        Err(avisera_core::Error::Invalid { message, .. }) => {
            Ok((Value::from(()), Some(super::words::say(signed.lang, &message))))
        }
        Err(e) => Err(e.into()),
    }
}

/// The overview's numbers as a CSV file, for the same period and grouping.
pub async fn stats_csv(
    State(app): State<App>,
    signed: Signed,
    Query(q): Query<StatsQuery>,
) -> Result<Response, PortalError> {
    use axum::response::IntoResponse;
    let stats = avisera_core::stats::numbers(
        app.store.as_ref(),
        &signed.tenant,
        q.from.as_deref(),
        q.until.as_deref(),
        q.group.as_deref(),
        app.clock.now(),
    )
    .await
    .map_err(|e| match e {
        avisera_core::Error::Invalid { message, .. } => PortalError::BadRequest(message),
        other => other.into(),
    })?;
    let name = format!("attachment; filename=\"avisera-stats-{}.csv\"", stats.group);
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (axum::http::header::CONTENT_DISPOSITION, name),
        ],
        stats.csv(),
    )
        .into_response())
}

pub async fn page(
    State(app): State<App>,
    signed: Signed,
    Query(q): Query<StatsQuery>,
) -> Result<Response, PortalError> {
    let now = app.clock.now();
    let zone = TimeZone::get("Europe/Stockholm").expect("bundled zone");
    let today = now.to_zoned_datetime(zone.clone()).date();
    let first = today
        .checked_sub(jiff::Span::new().days(CHART_DAYS - 1))
        .map_err(|e| PortalError::BadRequest(e.to_string()))?;
    let days: Vec<String> = (0..CHART_DAYS)
        .filter_map(|i| first.checked_add(jiff::Span::new().days(i)).ok())
        .map(|d| d.to_string())
        .collect();
    let from = first
        .to_zoned_datetime(zone)
        .map_err(|e| PortalError::BadRequest(e.to_string()))?
        .timestamp();
    let facts = app
        .store
        .notification_facts(signed.tenant.id, from, now + jiff::SignedDuration::from_secs(1))
        .await?;
    let (per_day, per_trigger) = numbers(&facts, &days);
    let peak = per_day.iter().map(|d| d.sms + d.email).max().unwrap_or(0).max(1);
    let month = Month::of(now);
    let (bill, _) = avisera_core::billing::monthly(&*app.store, &app.config.prices, &signed.tenant, month).await?;
    let (stats, stats_error) = chosen_stats(&app, &signed, &q).await?;
    let chosen = context! {
        from => q.from.clone().unwrap_or_default(),
        until => q.until.clone().unwrap_or_default(),
        group => q.group.clone().unwrap_or_else(|| "day".into()),
    };
    Ok(view::page(
        &signed,
        app.inbox.is_some(),
        "home.html",
        "home",
        context! {
            per_day => view::ser(&per_day),
            peak => peak,
            per_trigger => per_trigger,
            total => facts.iter().map(|f| f.count).sum::<u64>(),
            bill => context! {
                lines => bill.lines.iter().map(|l| context! {
                    description => super::words::bill_line(signed.lang, month, l),
                    quantity => l.quantity,
                    amount => l.amount.0,
                }).collect::<Vec<_>>(),
                total => bill.total.0,
            },
            month => month.label(),
            stats => stats, stats_error => stats_error, chosen => chosen,
        },
    ))
}

pub async fn log(
    State(app): State<App>,
    signed: Signed,
    uri: Uri,
    Query(raw): Query<std::collections::HashMap<String, String>>,
) -> Result<Response, PortalError> {
    // A page, not the API: a link's extra parameters (utm_source from a mail campaign) and a
    // page number that is not one are ignored rather than answered with a bare 400.
    let text = |k: &str| raw.get(k).cloned();
    let q = LogQuery {
        status: text("status"),
        channel: text("channel"),
        trigger: text("trigger"),
        tracking_number: text("tracking_number"),
        before_id: raw.get("before_id").and_then(|v| v.trim().parse().ok()),
        limit: raw.get("limit").and_then(|v| v.trim().parse().ok()),
        from: text("from"),
        until: text("until"),
    };
    let paged = q.before_id.is_some();
    let shown = context! {
        status => q.status.clone().unwrap_or_default(),
        channel => q.channel.clone().unwrap_or_default(),
        trigger => q.trigger.clone().unwrap_or_default(),
        from => q.from.clone().unwrap_or_default(),
        until => q.until.clone().unwrap_or_default(),
    };
    let (notifications, error) = match (LogQuery {
        limit: Some(q.limit.unwrap_or(100).min(500)),
        ..q
    })
    .filter()
    {
        Ok(filter) => (app.store.notifications(signed.tenant.id, &filter).await?, None),
        Err(e) => (Vec::new(), Some(super::words::error(signed.lang, &e))),
    };
    let next = (notifications.len() >= 100)
        .then(|| notifications.last().map(|n| n.id.0))
        .flatten();
    let triggers: Vec<Value> = Trigger::ALL.iter().map(|t| context! { slug => t.slug() }).collect();
    Ok(view::page(
        &signed,
        app.inbox.is_some(),
        "log.html",
        "log",
        context! {
            notifications => super::words::notifications(signed.lang, &notifications),
            filter => shown, error => error, next_before => next, triggers => triggers,
            here => uri.to_string(), paged => paged, can_cancel => signed.user.role.allows(Role::Editor),
        },
    ))
}

#[derive(Deserialize)]
pub struct CancelForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    back: String,
}

/// `POST /portal/log/{id}/cancel`: an editor cancels a message that still waits.
pub async fn cancel(
    State(app): State<App>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<CancelForm>,
) -> Result<Response, PortalError> {
    signed.submits(&f.csrf, &headers, Role::Editor)?;
    let who = format!("{} (portal)", signed.user.email);
    avisera_core::log::cancel(
        app.store.as_ref(),
        signed.tenant.id,
        NotificationId(id),
        &who,
        app.clock.now(),
    )
    .await?;
    // Back to the log page it was cancelled from (only the log's own pages).
    let back = if (f.back == "/portal/log" || f.back.starts_with("/portal/log?")) && !f.back.contains("://") {
        f.back
    } else {
        "/portal/log".into()
    };
    Ok(Redirect::to(&back).into_response())
}
