//! Rules: the list with status, an editor for every setting, enable and disable (checked
//! against the plan), and the history of changes. New rules are disabled.

use super::CsrfForm;
use super::session::Signed;
use super::view::{self, PortalError};
use crate::app::App;
use avisera_core::replay::{Period, Report};
use avisera_core::rules;
use avisera_domain::notification::Channel;
use avisera_domain::plan::Plan;
use avisera_domain::rule::{ChannelChoice, Conditions, Recipient, Rule};
use avisera_domain::timing::QuietHours;
use avisera_domain::trigger::Trigger;
use avisera_domain::user::Role;
use avisera_domain::{RuleId, TemplateId, Timestamp};
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::tz::TimeZone;
use minijinja::{Value, context};
use std::collections::HashMap;

pub(super) fn stockholm() -> TimeZone {
    TimeZone::get("Europe/Stockholm").expect("bundled zone")
}

pub(super) fn actor(signed: &Signed) -> String {
    format!("{} (portal)", signed.user.email)
}

fn triggers(plan: Plan) -> Vec<Value> {
    Trigger::ALL
        .iter()
        .map(|t| {
            context! { slug => t.slug(), number => t.number(),
            allowed => plan.allows(*t), needs => Plan::cheapest_with(*t).to_string() }
        })
        .collect()
}

pub async fn list(State(app): State<App>, signed: Signed) -> Result<Response, PortalError> {
    let rules = app.store.rules(signed.tenant.id).await?;
    let now = app.clock.now();
    let rows: Vec<Value> = rules
        .iter()
        .map(|r| {
            let (starts, ended) = interval_state(r, now);
            context! { id => r.id.0, name => r.name.clone(), trigger => r.trigger.slug(),
            number => r.trigger.number(), channels => view::ser(r.channels),
            enabled => r.enabled, allowed => signed.tenant.plan.allows(r.trigger),
            needs => Plan::cheapest_with(r.trigger).to_string(), starts => starts, ended => ended }
        })
        .collect();
    Ok(view::page(
        &signed,
        app.inbox.is_some(),
        "rules.html",
        "rules",
        context! { rules => rows },
    ))
}

/// Whether a rule's interval has not begun (the day it begins) or is over (its last day), now:
/// such a rule is on but sends nothing, which its status says instead of "on".
fn interval_state(rule: &Rule, now: Timestamp) -> (Option<String>, Option<String>) {
    let starts = rule.active_from.filter(|from| now < *from).map(|f| date_of(Some(f)));
    let ended = rule
        .active_until
        .filter(|until| now >= *until)
        .map(|u| until_date(Some(u)));
    (starts, ended)
}

fn date_of(t: Option<Timestamp>) -> String {
    t.map(|t| t.to_zoned_datetime(stockholm()).date().to_string())
        .unwrap_or_default()
}

/// The last day an interval covers: its end is exclusive.
fn until_date(t: Option<Timestamp>) -> String {
    date_of(t.map(|t| t - jiff::SignedDuration::from_millis(1)))
}

async fn editor(app: &App, signed: &Signed, rule: &Rule, error: Option<String>) -> Result<Response, PortalError> {
    editor_with(app, signed, rule, error, None, None).await
}

async fn editor_with(
    app: &App,
    signed: &Signed,
    rule: &Rule,
    error: Option<String>,
    message: Option<String>,
    replay: Option<&Report>,
) -> Result<Response, PortalError> {
    let templates = app.store.templates(signed.tenant.id).await?;
    let options = |channel: Channel| -> Vec<Value> {
        templates
            .iter()
            .filter(|t| t.channel == channel)
            .map(|t| context! { id => t.id.0, name => t.name.clone() })
            .collect()
    };
    // What the rule's templates would send with a value missing, as this rule sends them.
    let advice: Vec<Value> = [rule.sms_template_id, rule.email_template_id]
        .into_iter()
        .flatten()
        .filter_map(|id| templates.iter().find(|t| t.id == id))
        .filter_map(|t| {
            let advice = avisera_core::templates::advise(app.preview(), &signed.tenant, rule.brand_id, Some(rule), t);
            let lines: Vec<String> = super::advice::lines(signed.lang, &advice)
                .into_iter()
                .flat_map(|(language, lines)| lines.into_iter().map(move |l| format!("{language}: {l}")))
                .collect();
            (!lines.is_empty())
                .then(|| context! { id => t.id.0, name => t.name.clone(), rule => rule.id.0, lines => lines })
        })
        .collect();
    let history = if rule.id.0 == 0 {
        Vec::new()
    } else {
        app.store.rule_history(signed.tenant.id, rule.id).await?
    };
    let quiet_hours: Vec<String> = rule
        .quiet_hours
        .iter()
        .map(|q| format!("{} {}-{}", q.channel.slug(), q.from, q.until))
        .collect();
    let (fixed, recipient_kind) = match &rule.recipient {
        Recipient::Fixed { addresses } => (addresses.join("\n"), "fixed"),
        Recipient::CustomerService => (String::new(), "customer_service"),
        Recipient::Receiver => (String::new(), "receiver"),
    };
    let c = &rule.conditions;
    let others: Vec<String> = app
        .store
        .rules(signed.tenant.id)
        .await?
        .into_iter()
        .filter(|r| r.enabled && r.id != rule.id && r.trigger == rule.trigger)
        .map(|r| format!("\"{}\"", r.name))
        .collect();
    let same_trigger = (!others.is_empty() && rule.id.0 != 0)
        .then(|| super::text::fill(signed.lang, "same_trigger", &[("rules", &others.join(", "))]));
    Ok(view::page(
        signed,
        app.inbox.is_some(),
        "rule.html",
        "rules",
        context! {
            rule => view::ser(rule),
            is_new => rule.id.0 == 0,
            triggers => triggers(signed.tenant.plan),
            sms_templates => options(Channel::Sms),
            email_templates => options(Channel::Email),
            recipient_kind => recipient_kind,
            brands => signed.tenant.brands.iter().map(|b| context! { id => b.id.0, name => b.brand.brand_name.clone() }).collect::<Vec<_>>(),
            default_brand_name => signed.tenant.brand.brand_name.clone(),
            fixed_addresses => fixed,
            destination_countries => c.destination_countries.join(", "),
            service_codes => c.service_codes.join(", "),
            sender_accounts => c.sender_accounts.join(", "),
            receiver_languages => c.receiver_languages.join(", "),
            attributes => c.attributes.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("\n"),
            is_return => match c.is_return { None => "", Some(true) => "return", Some(false) => "outbound" },
            active_from => date_of(rule.active_from),
            active_until => until_date(rule.active_until),
            starts => interval_state(rule, app.clock.now()).0,
            ended => interval_state(rule, app.clock.now()).1,
            quiet_hours => quiet_hours.join("\n"),
            send_at_local => rule.send_at_local.map(view::ser),
            history => history.iter().map(|h| {
                let (action, detail) = super::words::history(signed.lang, &h.action, &h.detail);
                context! { at => view::ser(h.at), actor => super::words::actor(signed.lang, &h.actor), action => action, detail => detail }
            }).collect::<Vec<_>>(),
            plan_allows => signed.tenant.plan.allows(rule.trigger),
            needs => Plan::cheapest_with(rule.trigger).to_string(),
            error => error.map(|e| super::words::say(signed.lang, &e)),
            message => message,
            same_trigger => same_trigger,
            template_advice => advice,
            replay => replay.map(view::ser),
            replay_days => TRY_DAYS,
        },
    ))
}

pub async fn new(State(app): State<App>, signed: Signed) -> Result<Response, PortalError> {
    signed.require(Role::Editor)?;
    editor(&app, &signed, &blank_rule(), None).await
}

/// What a new rule starts as: disabled, on "delivered", by SMS to the receiver, once.
fn blank_rule() -> Rule {
    Rule {
        id: RuleId(0),
        name: String::new(),
        trigger: Trigger::Delivered,
        enabled: false,
        conditions: Conditions::default(),
        channels: ChannelChoice::Sms,
        recipient: Recipient::Receiver,
        sms_template_id: None,
        email_template_id: None,
        active_from: None,
        active_until: None,
        once_per_shipment: true,
        days_before_deadline: None,
        campaign: None,
        delay_minutes: 0,
        quiet_hours: Vec::new(),
        send_at_local: None,
        working_days_only: false,
        brand_id: None,
    }
}

pub async fn edit(
    State(app): State<App>,
    signed: Signed,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PortalError> {
    let rule = rules::get(app.store.as_ref(), signed.tenant.id, RuleId(id)).await?;
    let message = ["copied", "saved"]
        .into_iter()
        .find(|k| q.contains_key(*k))
        .map(|k| super::text::get(signed.lang, k).unwrap_or(k).to_string());
    editor_with(&app, &signed, &rule, None, message, None).await
}

fn list_of(raw: &str) -> Vec<String> {
    raw.split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// A day in Stockholm: its first instant, or with `end` the first instant of the next day.
fn day(field: &str, raw: &str, end: bool) -> Result<Option<Timestamp>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let date: jiff::civil::Date = raw
        .parse()
        .map_err(|_| format!("{field}: \"{raw}\" is not a date like 2026-12-24"))?;
    let date = if end {
        date.tomorrow().map_err(|e| e.to_string())?
    } else {
        date
    };
    date.to_zoned_datetime(stockholm())
        .map(|z| Some(z.timestamp()))
        .map_err(|e| format!("{field}: {e}"))
}

/// What was wrong in a form, collected so the page can show them all at once.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    /// The parsed value, or (noting why) the fallback.
    fn or<T>(&mut self, parsed: Result<T, String>, fallback: T) -> T {
        parsed.unwrap_or_else(|why| {
            self.0.push(why);
            fallback
        })
    }
}

fn attributes_of(raw: &str) -> Result<std::collections::BTreeMap<String, String>, String> {
    raw.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (k, v) = line
                .split_once('=')
                .ok_or_else(|| format!("attributes: \"{line}\" should be written name=value"))?;
            Ok((k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

fn quiet_hours_of(raw: &str) -> Result<Vec<QuietHours>, String> {
    raw.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let bad = || format!("quiet hours: \"{line}\" should be written like sms 21:00-08:00");
            let (channel, window) = line.split_once(char::is_whitespace).ok_or_else(bad)?;
            let channel = match channel.to_ascii_lowercase().as_str() {
                "sms" => Channel::Sms,
                "email" | "e-post" | "epost" => Channel::Email,
                _ => return Err(bad()),
            };
            let (from, until) = window.trim().split_once('-').ok_or_else(bad)?;
            Ok(QuietHours {
                channel,
                from: from.trim().parse().map_err(|e| format!("quiet hours: {e}"))?,
                until: until.trim().parse().map_err(|e| format!("quiet hours: {e}"))?,
            })
        })
        .collect()
}

/// The rule a form describes, keeping id and enabled state from `base`, and every mistake in
/// it: where a field did not parse the rule keeps the base's value, so the page can show the
/// rule as typed together with what to fix.
fn from_form(base: &Rule, f: &HashMap<String, String>) -> (Rule, Option<String>) {
    let get = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let number = |k: &str| -> Result<Option<i64>, String> {
        let v = get(k);
        if v.is_empty() {
            return Ok(None);
        }
        v.parse()
            .map(Some)
            .map_err(|_| format!("{k}: \"{v}\" is not a whole number"))
    };
    let mut p = Problems::default();
    let trigger = p.or(
        get("trigger")
            .parse()
            .map_err(|e: avisera_domain::trigger::UnknownTrigger| e.to_string()),
        base.trigger,
    );
    let channels = p.or(
        serde_json::from_value(serde_json::Value::String(get("channels")))
            .map_err(|_| format!("channels: \"{}\" is not a channel choice", get("channels"))),
        base.channels,
    );
    let recipient = match get("recipient").as_str() {
        "customer_service" => Recipient::CustomerService,
        "fixed" => Recipient::Fixed {
            addresses: list_of(&get("fixed_addresses")),
        },
        _ => Recipient::Receiver,
    };
    let attributes = p.or(attributes_of(&get("attributes")), base.conditions.attributes.clone());
    let quiet_hours = p.or(quiet_hours_of(&get("quiet_hours")), base.quiet_hours.clone());
    let send_at = get("send_at_local");
    let in_range = |k: &str, n: Option<i64>| -> Result<Option<i64>, String> {
        match n {
            Some(n) if !(0..=i64::from(u32::MAX)).contains(&n) => Err(format!("{k}: {n} is out of range")),
            n => Ok(n),
        }
    };
    let days = p.or(
        number("days_before_deadline").and_then(|n| in_range("days_before_deadline", n)),
        None,
    );
    let delay = p.or(number("delay_minutes").and_then(|n| in_range("delay_minutes", n)), None);
    let rule = Rule {
        id: base.id,
        name: get("name"),
        trigger,
        enabled: base.enabled,
        conditions: Conditions {
            destination_countries: list_of(&get("destination_countries")),
            service_codes: list_of(&get("service_codes")),
            sender_accounts: list_of(&get("sender_accounts")),
            is_return: match get("is_return").as_str() {
                "return" => Some(true),
                "outbound" => Some(false),
                _ => None,
            },
            receiver_languages: list_of(&get("receiver_languages")),
            attributes,
        },
        channels,
        recipient,
        sms_template_id: p
            .or(number("sms_template_id"), base.sms_template_id.map(|t| t.0))
            .map(TemplateId),
        email_template_id: p
            .or(number("email_template_id"), base.email_template_id.map(|t| t.0))
            .map(TemplateId),
        // A date left as shown keeps the exact instant (an API-set time of day survives).
        active_from: if get("active_from") == date_of(base.active_from) {
            base.active_from
        } else {
            p.or(day("active_from", &get("active_from"), false), base.active_from)
        },
        active_until: if get("active_until") == until_date(base.active_until) {
            base.active_until
        } else {
            p.or(day("active_until", &get("active_until"), true), base.active_until)
        },
        once_per_shipment: f.contains_key("once_per_shipment"),
        days_before_deadline: days.map(|n| u8::try_from(n).unwrap_or(u8::MAX)),
        campaign: Some(get("campaign")).filter(|c| !c.is_empty()),
        delay_minutes: delay.map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX)),
        quiet_hours,
        send_at_local: p.or(
            (!send_at.is_empty())
                .then(|| send_at.parse().map_err(|e| format!("send_at_local: {e}")))
                .transpose(),
            base.send_at_local,
        ),
        working_days_only: f.contains_key("working_days_only"),
        // A form without the brand choice (a tenant with one brand) keeps the rule's.
        brand_id: match f.get("brand_id").map(|v| v.trim()) {
            None => base.brand_id,
            Some("") | Some("0") => None,
            Some(v) => v.parse().ok().map(avisera_domain::BrandId),
        },
    };
    let problems = (!p.0.is_empty()).then(|| p.0.join("; "));
    (rule, problems)
}

async fn store_rule(
    app: &App,
    signed: &Signed,
    base: Rule,
    f: &HashMap<String, String>,
) -> Result<Response, PortalError> {
    let refuse = |rule: &Rule, error: String| {
        let rule = rule.clone();
        async move {
            let mut r = editor(app, signed, &rule, Some(error)).await?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok::<_, PortalError>(r)
        }
    };
    let rule = match from_form(&base, f) {
        (rule, None) => rule,
        (as_typed, Some(why)) => return refuse(&as_typed, why).await,
    };
    if rule.name.is_empty() {
        return refuse(&rule, "give the rule a name".into()).await;
    }
    let actor = actor(signed);
    let by = app.change(&actor);
    let store = app.store.as_ref();
    let saved = if base.id.0 == 0 {
        rules::create(store, signed.tenant.id, by, rule.clone()).await
    } else {
        rules::update(store, signed.tenant.id, by, rule.clone()).await
    };
    match saved {
        Ok(saved) => Ok(Redirect::to(&format!("/portal/rules/{}?saved=1", saved.id)).into_response()),
        // What the person can fix is shown beside the rule as typed.
        Err(e @ (avisera_core::Error::Invalid { .. } | avisera_core::Error::PlanLacksTrigger(_))) => {
            refuse(&rule, super::words::error(signed.lang, &e)).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn create(
    State(app): State<App>,
    signed: Signed,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, PortalError> {
    signed.submits(super::csrf_in(&f), &headers, Role::Editor)?;
    store_rule(&app, &signed, blank_rule(), &f).await
}

pub async fn save(
    State(app): State<App>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, PortalError> {
    signed.submits(super::csrf_in(&f), &headers, Role::Editor)?;
    let base = rules::get(app.store.as_ref(), signed.tenant.id, RuleId(id)).await?;
    store_rule(&app, &signed, base, &f).await
}

async fn switch(
    app: App,
    signed: Signed,
    headers: HeaderMap,
    id: i64,
    csrf: &str,
    on: bool,
) -> Result<Response, PortalError> {
    signed.submits(csrf, &headers, Role::Editor)?;
    let actor = actor(&signed);
    let store = app.store.as_ref();
    match rules::set_enabled(store, signed.tenant.id, app.change(&actor), RuleId(id), on).await {
        Ok(_) => Ok(Redirect::to(&format!("/portal/rules/{id}")).into_response()),
        Err(avisera_core::Error::PlanLacksTrigger(message)) => {
            let rule = rules::get(store, signed.tenant.id, RuleId(id)).await?;
            let why = if signed.tenant.plan.allows(rule.trigger) {
                message
            } else {
                super::text::fill(
                    signed.lang,
                    "plan_lacks",
                    &[
                        ("plan", &signed.tenant.plan.to_string()),
                        ("needs", &Plan::cheapest_with(rule.trigger).to_string()),
                    ],
                )
            };
            let mut r = editor(&app, &signed, &rule, Some(why)).await?;
            *r.status_mut() = StatusCode::FORBIDDEN;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn enable(
    State(app): State<App>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PortalError> {
    switch(app, signed, headers, id, &f.csrf, true).await
}

pub async fn disable(
    State(app): State<App>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PortalError> {
    switch(app, signed, headers, id, &f.csrf, false).await
}

/// How far back "Try on the last 30 days" goes.
const TRY_DAYS: u32 = 30;

/// "Try on the last 30 days": the rule as typed in the editor, saved or not, replayed over the
/// tenant's stored events; the editor comes back with the figures and examples beside it.
/// Nothing is stored or sent, so anyone who may read rules may try one.
async fn try_typed(
    app: &App,
    signed: &Signed,
    headers: &HeaderMap,
    base: Rule,
    f: &HashMap<String, String>,
) -> Result<Response, PortalError> {
    signed.submits(super::csrf_in(f), headers, Role::Viewer)?;
    let refuse = |rule: Rule, error: String| async move {
        let mut r = editor(app, signed, &rule, Some(error)).await?;
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        Ok::<_, PortalError>(r)
    };
    // A viewer's form is read-only (its fields are not sent): a viewer tries the saved rule.
    let rule = if !signed.user.role.allows(Role::Editor) && base.id.0 != 0 {
        base
    } else {
        match from_form(&base, f) {
            (rule, None) => rule,
            (as_typed, Some(why)) => return refuse(as_typed, why).await,
        }
    };
    let tenant = signed.tenant.id;
    match rules::check(app.store.as_ref(), tenant, &rule).await {
        Ok(()) => {}
        Err(e @ avisera_core::Error::Invalid { .. }) => return refuse(rule, e.to_string()).await,
        Err(e) => return Err(e.into()),
    }
    let report =
        avisera_core::replay::replay(app.replay(), tenant, &rule, Period::LastDays(TRY_DAYS), app.clock.now()).await?;
    editor_with(app, signed, &rule, None, None, Some(&report)).await
}

pub async fn try_new(
    State(app): State<App>,
    signed: Signed,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, PortalError> {
    try_typed(&app, &signed, &headers, blank_rule(), &f).await
}

pub async fn try_rule(
    State(app): State<App>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, PortalError> {
    let base = rules::get(app.store.as_ref(), signed.tenant.id, RuleId(id)).await?;
    try_typed(&app, &signed, &headers, base, &f).await
}
