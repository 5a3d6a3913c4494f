//! Follow-up: the overview (a month's usage and cost, numbers per trigger, channel and day
//! as a chart, the bill and the log as CSV downloads, the SMS budget settings) and the log of every notification, filterable by trigger, channel, status and
//! date.

use super::session::{Lang, Signed};
use super::view::{self, PortalError};
use crate::app::App;
use avisera_core::log::LogQuery;
use avisera_domain::NotificationId;
use avisera_domain::billing::Month;
use avisera_domain::contact::EmailAddress;
use avisera_domain::money::Ore;
use avisera_domain::notification::{Channel, Status};
use avisera_domain::tenant::{BillingSettings, BudgetAction, MAX_SMS_SEGMENTS_LIMIT};
use avisera_domain::trigger::Trigger;
use avisera_domain::user::Role;
use avisera_store::NotificationFact;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::tz::TimeZone;
use minijinja::{Value, context};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

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

/// The overview's month, and the period and grouping of its delivery and click numbers.
#[derive(serde::Deserialize, Default)]
pub struct StatsQuery {
    month: Option<String>,
    /// `saved` right after the budget form was saved.
    budget: Option<String>,
    from: Option<String>,
    until: Option<String>,
    group: Option<String>,
    /// `excel`: the download for a spreadsheet in the reader's language.
    format: Option<String>,
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
    Ok(download(
        signed.lang,
        q.format.as_deref(),
        &format!("avisera-stats-{}", stats.group),
        &stats.csv(),
    ))
}

/// A download: the plain CSV (UTF-8, comma-separated, decimal point, UTC: what programs read),
/// or with `?format=excel` the same table as a spreadsheet set to the reader's language opens
/// it by double-click (a Nordic Excel: semicolons, decimal commas, Swedish time, a BOM).
fn download(lang: Lang, format: Option<&str>, name: &str, plain: &str) -> Response {
    if format != Some("excel") {
        return csv_file(&format!("{name}.csv"), plain.to_string());
    }
    let (separator, decimal) = match lang {
        Lang::En => (',', '.'),
        Lang::Sv | Lang::Nb | Lang::Da | Lang::Fi => (';', ','),
    };
    let sheet = avisera_core::csv::Spreadsheet {
        separator,
        decimal,
        zone: TimeZone::get("Europe/Stockholm").expect("bundled zone"),
    };
    csv_file(
        &format!("{name}-excel.csv"),
        avisera_core::csv::for_spreadsheet(plain, &sheet),
    )
}

/// A CSV download: UTF-8, named.
fn csv_file(name: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        body,
    )
        .into_response()
}

/// The month a download asks for (`?month=2026-11`; this month without one).
#[derive(Deserialize)]
pub struct MonthQuery {
    month: Option<String>,
    /// `excel`: for a spreadsheet in the reader's language.
    format: Option<String>,
}

fn asked_month(app: &App, month: Option<&str>) -> Result<Month, PortalError> {
    match month.filter(|m| !m.is_empty()) {
        Some(m) => Month::parse(m).map_err(|e| PortalError::BadRequest(e.to_string())),
        None => Ok(Month::of(app.clock.now())),
    }
}

/// `GET /portal/bill.csv?month=2026-11`: the month's bill as the overview shows it, then every
/// billed notification, for a spreadsheet (text cells that look like formulas made inert).
pub async fn bill_csv(
    State(app): State<App>,
    signed: Signed,
    Query(q): Query<MonthQuery>,
) -> Result<Response, PortalError> {
    let month = asked_month(&app, q.month.as_deref())?;
    let (bill, billed) = avisera_core::billing::monthly(&*app.store, &app.config.prices, &signed.tenant, month).await?;
    Ok(download(
        signed.lang,
        q.format.as_deref(),
        &format!("avisera-bill-{}", month.label()),
        &avisera_core::billing::spreadsheet_csv(&bill, &billed),
    ))
}

/// `GET /portal/log.csv?month=2026-11`: every notification created in the month.
pub async fn log_csv(
    State(app): State<App>,
    signed: Signed,
    Query(q): Query<MonthQuery>,
) -> Result<Response, PortalError> {
    let month = asked_month(&app, q.month.as_deref())?;
    let (from, to) = month.bounds();
    let all = avisera_core::log::created_between(app.store.as_ref(), signed.tenant.id, from, to).await?;
    let by_hand: Vec<NotificationId> = all.iter().filter(|n| n.trigger.is_none()).map(|n| n.id).collect();
    let senders = avisera_core::manual::senders(app.store.as_ref(), signed.tenant.id, &by_hand).await?;
    Ok(download(
        signed.lang,
        q.format.as_deref(),
        &format!("avisera-log-{}", month.label()),
        &avisera_core::log::spreadsheet_csv(&all, &senders),
    ))
}

/// The months the overview offers: this one and each before it back to the tenant's first
/// (at most two years), newest first.
async fn months_with_data(app: &App, signed: &Signed) -> Result<Vec<Month>, PortalError> {
    let now = Month::of(app.clock.now());
    let first = app
        .store
        .plan_periods(signed.tenant.id)
        .await?
        .first()
        .map_or(now, |p| Month::of(p.from));
    let mut months = vec![now];
    while months.len() < 24 {
        let Some(before) = months
            .last()
            .and_then(|m| m.first.checked_sub(jiff::Span::new().months(1)).ok())
        else {
            break;
        };
        let before = Month { first: before };
        if before.first < first.first {
            break;
        }
        months.push(before);
    }
    Ok(months)
}

/// The SMS budget form as typed, and the field it went wrong in.
#[derive(Default)]
struct BudgetShown {
    typed: Option<HashMap<String, String>>,
    error: Option<(String, String)>,
}

pub async fn page(
    State(app): State<App>,
    signed: Signed,
    Query(q): Query<StatsQuery>,
) -> Result<Response, PortalError> {
    overview(&app, &signed, &q, BudgetShown::default()).await
}

async fn overview(app: &App, signed: &Signed, q: &StatsQuery, budget: BudgetShown) -> Result<Response, PortalError> {
    let now = app.clock.now();
    let zone = TimeZone::get("Europe/Stockholm").expect("bundled zone");
    let today = now.to_zoned_datetime(zone.clone()).date();
    let months = months_with_data(app, signed).await?;
    let (month, month_error) = match q.month.as_deref().filter(|m| !m.is_empty()) {
        None => (Month::of(now), None),
        Some(m) => match Month::parse(m) {
            Ok(month) if month.first <= today => (month, None),
            Ok(_) => (
                Month::of(now),
                Some(super::text::fill(signed.lang, "month_not_begun", &[("month", m)])),
            ),
            Err(e) => (Month::of(now), Some(super::words::say(signed.lang, &e.to_string()))),
        },
    };
    // The days of the month so far.
    let days: Vec<String> = (0..month.days())
        .filter_map(|i| month.first.checked_add(jiff::Span::new().days(i)).ok())
        .filter(|d| *d <= today)
        .map(|d| d.to_string())
        .collect();
    let (from, to) = month.bounds();
    let until = to.min(now + jiff::SignedDuration::from_secs(1));
    let facts = app.store.notification_facts(signed.tenant.id, from, until).await?;
    let (per_day, per_trigger) = numbers(&facts, &days);
    let chart = super::chart::per_day(
        &per_day
            .iter()
            .map(|d| (d.day.clone(), d.sms, d.email))
            .collect::<Vec<_>>(),
    );
    let (bill, _) = avisera_core::billing::monthly(&*app.store, &app.config.prices, &signed.tenant, month).await?;
    let (stats, stats_error) = chosen_stats(app, signed, q).await?;
    let chosen = context! {
        from => q.from.clone().unwrap_or_default(),
        until => q.until.clone().unwrap_or_default(),
        group => q.group.clone().unwrap_or_else(|| "day".into()),
    };
    let settings = &signed.tenant.billing;
    let budget_form = match budget.typed {
        Some(typed) => view::ser(typed),
        None => view::ser(HashMap::from([
            (
                "sms_budget",
                settings.sms_budget_ore.map(|o| o.to_string()).unwrap_or_default(),
            ),
            (
                "when_budget_is_used_up",
                match settings.when_budget_is_used_up {
                    BudgetAction::KeepSending => "keep_sending".to_string(),
                    BudgetAction::SwitchToEmail => "switch_to_email".to_string(),
                },
            ),
            (
                "alert_email",
                settings.alert_email.as_ref().map(|e| e.to_string()).unwrap_or_default(),
            ),
            (
                "transliterate_sms",
                if settings.transliterate_sms {
                    "on".into()
                } else {
                    String::new()
                },
            ),
            ("max_sms_segments", settings.max_sms_segments.to_string()),
        ])),
    };
    let (budget_field, budget_error) = budget.error.unzip();
    let budget_error = budget_error.map(|e| super::words::say(signed.lang, &e));
    // A plan change waiting for midnight, said where the bill is.
    let plan_request = app.store.plan_request(signed.tenant.id).await?.map(|r| {
        let date = r
            .effective_at
            .to_zoned_datetime(super::rules::stockholm())
            .date()
            .to_string();
        context! { plan => r.plan.to_string(), date => date, by => r.by }
    });
    Ok(view::page(
        signed,
        app.inbox.is_some(),
        "home.html",
        "home",
        context! {
            plan_request => plan_request,
            per_day => view::ser(&per_day),
            chart => view::ser(&chart),
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
            months => months.iter().map(Month::label).collect::<Vec<_>>(),
            month_error => month_error,
            stats => stats, stats_error => stats_error, chosen => chosen,
            budget => budget_form, budget_field => budget_field, budget_error => budget_error,
            max_segments_limit => MAX_SMS_SEGMENTS_LIMIT,
            budget_saved => q.budget.as_deref() == Some("saved"),
        },
    ))
}

const BUDGET_FIELDS: [&str; 5] = [
    "sms_budget",
    "when_budget_is_used_up",
    "alert_email",
    "transliterate_sms",
    "max_sms_segments",
];

/// `POST /portal/budget`: an admin sets the SMS budget and how SMS are written and limited
/// (what `PUT /v1/tenant/billing` sets). A wrong field is said beside it, the rest kept.
pub async fn save_budget(
    State(app): State<App>,
    signed: Signed,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, PortalError> {
    signed.submits(super::csrf_in(&f), &headers, Role::Admin)?;
    let get = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let checked = (|| -> Result<BillingSettings, (&str, String)> {
        let sms_budget_ore = match get("sms_budget").as_str() {
            "" => None,
            typed => Some(Ore::parse_kronor(typed).map_err(|why| ("sms_budget", why))?),
        };
        let when_budget_is_used_up = match get("when_budget_is_used_up").as_str() {
            "switch_to_email" => BudgetAction::SwitchToEmail,
            _ => BudgetAction::KeepSending,
        };
        let alert_email = match get("alert_email").as_str() {
            "" => None,
            typed => Some(EmailAddress::parse(typed).map_err(|e| ("alert_email", e.to_string()))?),
        };
        let max_sms_segments = get("max_sms_segments").parse::<u32>().map_err(|_| {
            (
                "max_sms_segments",
                format!("write a whole number from 1 to {MAX_SMS_SEGMENTS_LIMIT}"),
            )
        })?;
        Ok(BillingSettings {
            sms_budget_ore,
            when_budget_is_used_up,
            alert_email,
            transliterate_sms: !get("transliterate_sms").is_empty(),
            max_sms_segments,
        })
    })();
    let refused = match checked {
        Ok(settings) => match avisera_core::tenants::set_billing(app.store.as_ref(), signed.tenant.id, &settings).await
        {
            Ok(()) => return Ok(Redirect::to("/portal?budget=saved#budget").into_response()),
            Err(avisera_core::Error::Invalid { field, message, .. }) => {
                let field = match field.as_deref() {
                    Some("sms_budget_ore") => "sms_budget".to_string(),
                    Some(other) => other.to_string(),
                    None => "sms_budget".to_string(),
                };
                (field, message)
            }
            Err(e) => return Err(e.into()),
        },
        Err((field, message)) => (field.to_string(), message),
    };
    // Every field of the form, typed or not (an unticked box is not sent at all).
    let typed: HashMap<String, String> = BUDGET_FIELDS
        .iter()
        .map(|k| (k.to_string(), f.get(*k).cloned().unwrap_or_default()))
        .collect();
    let shown = BudgetShown {
        typed: Some(typed),
        error: Some(refused),
    };
    let mut r = overview(&app, &signed, &StatsQuery::default(), shown).await?;
    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(r)
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
    let senders = senders_of(&app, &signed, &notifications).await?;
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
            senders => senders,
        },
    ))
}

/// Who sent each of these notifications that was sent by hand, by id (as text, for the page).
pub(super) async fn senders_of(
    app: &App,
    signed: &Signed,
    notifications: &[avisera_store::NotificationRecord],
) -> Result<HashMap<String, String>, PortalError> {
    let by_hand: Vec<NotificationId> = notifications
        .iter()
        .filter(|n| n.trigger.is_none())
        .map(|n| n.id)
        .collect();
    let senders = avisera_core::manual::senders(app.store.as_ref(), signed.tenant.id, &by_hand).await?;
    Ok(senders.into_iter().map(|(id, who)| (id.to_string(), who)).collect())
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
