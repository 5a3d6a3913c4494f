//! The decision at the heart of Avisera: given a shipment after an event and the triggers that
//! fired, which notifications must exist, to whom, on which channel, with which text, and when.
//! Everything it returns is stored in the same transaction as the event.

use crate::contact::{EmailAddress, PhoneNumber};
use crate::event::{CarrierEvent, receiver_email, receiver_phone};
use crate::holidays::Country;
use crate::ids::{RuleId, TemplateId};
use crate::links::Links;
use crate::notification::{Channel, Message};
use crate::rule::{ChannelChoice, Recipient, Rule};
use crate::shipment::{Firing, Shipment};
use crate::template::{Template, Variables, empty_variables};
use crate::tenant::Tenant;
use crate::trigger::Trigger;
use crate::working_days::{PickupDays, allowed_from, reminder_due};
use crate::zone::zone_for_country;
use jiff::{SignedDuration, Timestamp};
use std::collections::BTreeMap;

/// Why a planned notification will not be sent. It is still stored, with this status and
/// reason, so nothing silently disappears.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotSent {
    /// It can never be sent: no or an invalid address, a template that no longer renders.
    Failed(String),
    /// It was deliberately not sent: the SMS budget is used up and there is no email fallback.
    Cancelled(String),
}

impl NotSent {
    pub fn status(&self) -> crate::notification::Status {
        match self {
            NotSent::Failed(_) => crate::notification::Status::Failed,
            NotSent::Cancelled(_) => crate::notification::Status::Cancelled,
        }
    }

    pub fn reason(&self) -> &str {
        match self {
            NotSent::Failed(r) | NotSent::Cancelled(r) => r,
        }
    }
}

/// One notification to create, with its rendered message or why it will not be sent.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedNotification {
    pub rule_id: Option<RuleId>,
    pub trigger: Option<Trigger>,
    pub channel: Channel,
    pub recipient: String,
    pub dedupe_key: String,
    pub due_at: Timestamp,
    /// The receiver's zone (IANA name), for quiet hours checked again at sending.
    pub time_zone: Option<String>,
    pub language: Option<String>,
    pub message: Result<Message, NotSent>,
}

/// Everything the planner looks at.
pub struct Situation<'a> {
    pub tenant: &'a Tenant,
    pub shipment: &'a Shipment,
    pub event: Option<&'a CarrierEvent>,
    pub fired: &'a [Firing],
    pub rules: &'a [Rule],
    pub templates: &'a BTreeMap<TemplateId, Template>,
    /// Makes the tracking and opt-out links in messages.
    pub links: &'a dyn Links,
    pub now: Timestamp,
    /// Set when the tenant's SMS budget is used up and SMS must switch to email: the reason.
    pub sms_blocked: Option<&'a str>,
    /// Email addresses that hard-bounced or complained, with why (`receipt::Suppressed`): an
    /// email to one is kept as cancelled with the reason, and a rule with a fallback to SMS
    /// sends the SMS instead.
    pub suppressed: &'a crate::receipt::Suppressed,
}

/// Why an enabled rule whose trigger fired plans nothing for the shipment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idle {
    /// The tenant's plan does not have the rule's trigger.
    NotInPlan,
    /// Outside the rule's active interval.
    Inactive,
    /// The shipment does not meet the rule's conditions.
    Condition,
}

/// Whether `rule` (enabled, its trigger fired) plans for the shipment now, or why not.
pub fn idle(rule: &Rule, s: &Situation<'_>) -> Option<Idle> {
    if !s.tenant.plan.allows(rule.trigger) {
        Some(Idle::NotInPlan)
    } else if !rule.is_active_at(s.now) {
        Some(Idle::Inactive)
    } else if !rule.conditions.matches(s.shipment) {
        Some(Idle::Condition)
    } else {
        None
    }
}

pub fn plan(s: &Situation<'_>) -> Vec<PlannedNotification> {
    let mut out = Vec::new();
    for firing in s.fired {
        for rule in s.rules.iter().filter(|r| r.enabled && r.trigger == firing.trigger) {
            if idle(rule, s).is_some() {
                continue;
            }
            let (due_at, passed) = match due_time(rule, s) {
                Due::At(t) => (t, None),
                Due::Passed(why) => (s.now, Some(why)),
                Due::Never => continue,
            };
            // A reminder stays tied to its deadline even "once per shipment": a new deadline
            // replaces the old reminder rather than colliding with it.
            let occurrence = if rule.once_per_shipment && rule.trigger != Trigger::DaysLeftAtPickupPoint {
                "once"
            } else {
                firing.occurrence.as_str()
            };
            let vars = variables(s, Some(rule));
            for (channel, address) in addresses(rule, s) {
                let recipient = match &address {
                    Ok(a) => a.clone(),
                    Err((raw, _)) => raw.clone(),
                };
                let dedupe_key = dedupe_key(rule, s.shipment.id, occurrence, channel, &recipient);
                let due_at = allowed_from(due_at, rule, channel, &receiver_zone(s), receiver_country(s));
                let (language, message) = match address {
                    _ if passed.is_some() => (None, Err(NotSent::Cancelled(passed.clone().unwrap_or_default()))),
                    Ok(to) => match render(rule, channel, &to, &dedupe_key, s, &vars, due_at) {
                        Ok((lang, m)) => (Some(lang), Ok(m)),
                        Err(e) => (None, Err(NotSent::Failed(e))),
                    },
                    Err((_, why)) => (None, Err(why)),
                };
                out.push(PlannedNotification {
                    rule_id: Some(rule.id),
                    trigger: Some(rule.trigger),
                    channel,
                    recipient,
                    dedupe_key,
                    due_at,
                    time_zone: receiver_zone(s).iana_name().map(str::to_string),
                    language,
                    message,
                });
            }
        }
    }
    out
}

/// The key that makes a rule's notification unique: one per rule, shipment, trigger,
/// occurrence, channel and recipient.
fn dedupe_key(rule: &Rule, shipment: crate::ShipmentId, occurrence: &str, channel: Channel, to: &str) -> String {
    format!(
        "rule:{}:shipment:{}:{}:{occurrence}:{channel}:{to}",
        rule.id, shipment, rule.trigger
    )
}

/// The key of the email that replaces a stored SMS (`…:sms:<phone>` becomes
/// `…:email:<address>`): the key the rule's email has for the same shipment, trigger and
/// occurrence, so a later firing of the same moment planned as email is the same
/// notification, not a second message.
pub fn email_key_for(sms_key: &str, to: &str) -> String {
    match sms_key.rfind(":sms:") {
        Some(at) => format!("{}:email:{to}", &sms_key[..at]),
        None => format!("{sms_key}:email-instead"),
    }
}

/// When the notification is due: now, or for a reminder N days before the storage deadline.
/// A reminder whose time has already passed is not sent.
/// When a matching rule's notification is due, before quiet hours.
enum Due {
    At(Timestamp),
    /// Its moment has passed (a reminder for a deadline that is too close): stored as
    /// cancelled with this reason, so the rule's silence is explained.
    Passed(String),
    /// The rule has nothing to say here (no storage deadline known yet).
    Never,
}

/// The trigger's moment plus the rule's delay.
fn due_time(rule: &Rule, s: &Situation<'_>) -> Due {
    let moment = if rule.trigger == Trigger::DaysLeftAtPickupPoint {
        let (Some(deadline), Some(days)) = (s.shipment.storage_deadline(), rule.days_before_deadline) else {
            return Due::Never;
        };
        let hours = s.shipment.details.pickup_point.as_ref().and_then(|p| p.hours());
        let pickup = PickupDays {
            hours: hours.as_ref(),
            point_country: pickup_point_country(s),
            working_days_of: rule.working_days_only.then(|| receiver_country(s)),
        };
        let Some(due) = reminder_due(deadline, days, rule.send_at_local, &receiver_zone(s), &pickup) else {
            return Due::Never;
        };
        if due < s.now {
            return Due::Passed(format!(
                "the reminder {days} days before the storage deadline was due at {due}, before the parcel arrived there"
            ));
        }
        due
    } else {
        s.now
    };
    match moment.checked_add(SignedDuration::from_mins(i64::from(rule.delay_minutes))) {
        Ok(t) => Due::At(t),
        Err(_) => Due::Never,
    }
}

/// The language messages for this shipment are written in: the receiver's, else the brand's.
fn receiver_language<'a>(s: &'a Situation<'_>) -> &'a str {
    let chosen = s.shipment.receiver.as_ref().and_then(|r| r.language.as_deref());
    chosen
        .or(s.shipment.details.receiver_language.as_deref())
        .unwrap_or(&s.tenant.brand.default_language)
}

fn receiver_zone(s: &Situation<'_>) -> jiff::tz::TimeZone {
    let d = &s.shipment.details;
    d.receiver_time_zone
        .as_deref()
        .and_then(|z| jiff::tz::TimeZone::get(z).ok())
        .unwrap_or_else(|| zone_for_country(d.destination_country.as_deref()))
}

/// The country whose days off a rule on working days only keeps: the receiver's zone's (the
/// destination country's unless the event named a zone), which the worker sees again at
/// sending.
fn receiver_country(s: &Situation<'_>) -> Option<Country> {
    receiver_zone(s).iana_name().and_then(Country::of_zone)
}

/// Where the pickup point is, for `PH` in its opening hours.
fn pickup_point_country(s: &Situation<'_>) -> Option<Country> {
    match s.shipment.details.destination_country.as_deref() {
        Some(code) => code.parse().ok(),
        None => receiver_country(s),
    }
}

/// The pickup point's opening times on the day of `t` (receiver's time), `09:00-20:00`; empty
/// when it is closed that day; none when its hours are not known.
fn pickup_point_open_on(s: &Situation<'_>, t: Timestamp) -> Option<String> {
    let hours = s.shipment.details.pickup_point.as_ref()?.hours()?;
    let day = t.to_zoned_datetime(receiver_zone(s)).date();
    let holiday = pickup_point_country(s).is_some_and(|c| crate::holidays::is_public_holiday(c, day));
    Some(crate::opening_hours::describe(hours.on(day, holiday)))
}

type Address = Result<String, (String, NotSent)>;

fn receiver_address(s: &Situation<'_>, channel: Channel) -> Address {
    let d = &s.shipment.details;
    let found = match channel {
        Channel::Sms => {
            receiver_phone(d).map(|r| r.and_then(|p| p.for_sms().map_err(|e| e.to_string())).map(String::from))
        }
        Channel::Email => receiver_email(d).map(|r| r.map(String::from)),
    };
    match found {
        Some(Ok(a)) => Ok(a),
        Some(Err(why)) => {
            let raw = match channel {
                Channel::Sms => d.receiver_phone.clone(),
                Channel::Email => d.receiver_email.clone(),
            };
            Err((raw.unwrap_or_default(), NotSent::Failed(why)))
        }
        None => Err((
            String::new(),
            NotSent::Failed(match channel {
                Channel::Sms => crate::reason::make("no_phone", &[]),
                Channel::Email => crate::reason::make("no_email", &[]),
            }),
        )),
    }
}

fn customer_service_address(s: &Situation<'_>, rule: &Rule, channel: Channel) -> Address {
    let b = s.tenant.brand_for(rule.brand_id);
    match channel {
        Channel::Sms => b.customer_service_phone.as_ref().map(|p| {
            p.clone()
                .for_sms()
                .map(String::from)
                .map_err(|e| (p.to_string(), NotSent::Failed(e.to_string())))
        }),
        Channel::Email => b.customer_service_email.as_ref().map(|e| Ok(e.to_string())),
    }
    .unwrap_or_else(|| {
        Err((
            String::new(),
            NotSent::Failed(crate::reason::make(
                match channel {
                    Channel::Sms => "no_service_phone",
                    Channel::Email => "no_service_email",
                },
                &[],
            )),
        ))
    })
}

fn parse_for(channel: Channel, raw: &str) -> Address {
    match channel {
        Channel::Sms => PhoneNumber::parse(raw, None)
            .and_then(PhoneNumber::for_sms)
            .map(String::from),
        Channel::Email => EmailAddress::parse(raw).map(String::from),
    }
    .map_err(|e| (raw.to_string(), NotSent::Failed(e.to_string())))
}

/// The (channel, address) pairs the rule sends to, applying fallbacks. While the SMS budget
/// is used up (`sms_blocked`), SMS switches to email where the rule has email; SMS that cannot
/// switch is kept as cancelled, with the reason.
fn addresses(rule: &Rule, s: &Situation<'_>) -> Vec<(Channel, Address)> {
    let for_channel = |channel: Channel| -> Vec<Address> {
        match &rule.recipient {
            Recipient::Receiver => vec![receiver_address(s, channel)],
            Recipient::CustomerService => vec![customer_service_address(s, rule, channel)],
            Recipient::Fixed { addresses } => addresses
                .iter()
                .filter(|a| a.contains('@') == (channel == Channel::Email))
                .map(|a| parse_for(channel, a))
                .collect(),
        }
    };
    let tag = |channel: Channel| -> Vec<(Channel, Address)> {
        let found = for_channel(channel).into_iter();
        // The receiver's chosen channels, as for an address that cannot be used.
        let declined = s.shipment.receiver.as_ref().map(|r| r.reach.declines(channel));
        if let (Recipient::Receiver, Some(Some(why))) = (&rule.recipient, declined) {
            return found
                .map(|a| {
                    (
                        channel,
                        Err((a.unwrap_or_else(|(raw, _)| raw), NotSent::Cancelled(why.clone()))),
                    )
                })
                .collect();
        }
        match (channel, s.sms_blocked) {
            (Channel::Sms, Some(why)) => found
                .map(|a| {
                    let to = a.unwrap_or_else(|(raw, _)| raw);
                    (channel, Err((to, NotSent::Cancelled(why.to_string()))))
                })
                .collect(),
            (Channel::Email, _) if !s.suppressed.is_empty() => found
                .map(|a| {
                    let a = a.and_then(|to| match crate::receipt::suppressed(s.suppressed, &to) {
                        Some(why) => Err((to, NotSent::Cancelled(why))),
                        None => Ok(to),
                    });
                    (channel, a)
                })
                .collect(),
            _ => found.map(|a| (channel, a)).collect(),
        }
    };
    let usable = |list: &[(Channel, Address)]| list.iter().any(|(_, a)| a.is_ok());
    let with_fallback = |first: Channel, second: Channel| {
        let primary = tag(first);
        if usable(&primary) {
            return primary.into_iter().filter(|(_, a)| a.is_ok()).collect();
        }
        let other = tag(second);
        if usable(&other) {
            other.into_iter().filter(|(_, a)| a.is_ok()).collect()
        } else {
            primary
        }
    };
    let sms_blocked = s.sms_blocked.is_some();
    match rule.channels {
        ChannelChoice::Sms if sms_blocked && rule.email_template_id.is_some() => {
            with_fallback(Channel::Sms, Channel::Email)
        }
        ChannelChoice::Sms => tag(Channel::Sms),
        ChannelChoice::Email => tag(Channel::Email),
        ChannelChoice::Both => tag(Channel::Sms).into_iter().chain(tag(Channel::Email)).collect(),
        ChannelChoice::SmsElseEmail => with_fallback(Channel::Sms, Channel::Email),
        ChannelChoice::EmailElseSms => with_fallback(Channel::Email, Channel::Sms),
    }
}

fn render(
    rule: &Rule,
    channel: Channel,
    to: &str,
    key: &str,
    s: &Situation<'_>,
    vars: &Variables,
    due_at: Timestamp,
) -> Result<(String, Message), String> {
    let template_id = match channel {
        Channel::Sms => rule.sms_template_id,
        Channel::Email => rule.email_template_id,
    }
    .ok_or_else(|| format!("rule {} has no {channel} template", rule.id))?;
    let template = s
        .templates
        .get(&template_id)
        .ok_or_else(|| format!("template {template_id} of rule {} no longer exists", rule.id))?;
    let language = receiver_language(s);
    // The opt-out link is the recipient's own.
    let mut vars = vars.clone();
    let opt_out = insert_opt_out_links(&mut vars, s, matches!(rule.recipient, Recipient::Receiver), to);
    vars.insert("tracking_link", notification_tracking_link(s, key));
    // "Today" is the day the message goes out.
    if let Some(today) = pickup_point_open_on(s, due_at) {
        vars.insert("pickup_point_open_today", today);
    }
    let mut r = template
        .render(Some(language), &vars)
        .map_err(|e| format!("template {template_id} does not render: {e}"))?;
    if channel == Channel::Email && template.opt_out_footer {
        add_opt_out_footer(&mut r, &s.tenant.brand_for(rule.brand_id).brand_name, &opt_out);
    }
    let html = r.html.map(|html| with_open_pixel(s, key, html));
    let message = message(s, rule.brand_id, channel, to, r.subject, html, r.text, opt_out);
    Ok((r.language, message))
}

/// Adds the small opt-out footer to each part of an email that lacks the link.
fn add_opt_out_footer(r: &mut crate::template::Rendered, brand: &str, link: &str) {
    let footer = crate::receiver::opt_out_footer(&r.language, brand);
    if !r.text.contains(link) {
        r.text = format!("{}\n\n-- \n{footer} {link}\n", r.text.trim_end());
    }
    if let Some(html) = r.html.as_mut().filter(|h| !h.contains(link)) {
        let escape = |s: &str| {
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
        };
        let block = format!(
            "<p style=\"font-size:12px;color:#666\">{} <a href=\"{}\">{}</a></p>",
            escape(&footer),
            escape(link),
            escape(link)
        );
        // Inside the body, however the template spells its end tag.
        match html.to_ascii_lowercase().rfind("</body>") {
            Some(at) => html.insert_str(at, &block),
            None => html.push_str(&block),
        }
    }
}

/// A message in the tenant's brand: SMS from its sender id (as sent: transliterated when the
/// tenant wants), email from its sender name and address.
#[allow(clippy::too_many_arguments)]
fn message(
    s: &Situation<'_>,
    brand: Option<crate::ids::BrandId>,
    channel: Channel,
    to: &str,
    subject: Option<String>,
    html: Option<String>,
    text: String,
    opt_out: String,
) -> Message {
    let b = s.tenant.brand_for(brand);
    match channel {
        Channel::Sms => Message::Sms {
            sender_id: b.sms_sender_id.clone(),
            to: to.to_string(),
            text: crate::sms::as_sent(&text, s.tenant.billing.transliterate_sms).into_owned(),
        },
        Channel::Email => Message::Email {
            from_name: b.email_from_name.clone(),
            from_address: b.email_from_address.as_ref().map(|e| e.to_string()),
            reply_to: b.reply_to.as_ref().map(|e| e.to_string()),
            to: to.to_string(),
            subject: one_line(&subject.unwrap_or_default()),
            html,
            text,
            list_unsubscribe: Some(opt_out),
        },
    }
}

/// A subject is a mail header: a line break from a receiver's name or a typed subject would
/// end the header (or break the mail), so control characters become spaces.
fn one_line(subject: &str) -> String {
    subject
        .split(char::is_control)
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The longest subject a person may type when sending by hand.
pub const MAX_SUBJECT_CHARS: usize = 200;

/// The rule's email in place of an SMS the budget refused at sending: rendered for the
/// shipment as the planner renders it, to the address the rule would have emailed. Keyed by
/// `key` (derived from the SMS's own key, so the switch happens once) and due now.
pub fn email_instead(s: &Situation<'_>, rule: &Rule, key: &str) -> Result<PlannedNotification, NotSent> {
    let to = match &rule.recipient {
        Recipient::Receiver => receiver_address(s, Channel::Email),
        Recipient::CustomerService => customer_service_address(s, rule, Channel::Email),
        Recipient::Fixed { .. } => Err((
            String::new(),
            NotSent::Cancelled(crate::reason::make("fixed_list_no_email", &[])),
        )),
    }
    .map_err(|(_, why)| why)?;
    let (language, message) =
        render(rule, Channel::Email, &to, key, s, &variables(s, Some(rule)), s.now).map_err(NotSent::Failed)?;
    Ok(PlannedNotification {
        rule_id: Some(rule.id),
        trigger: Some(rule.trigger),
        channel: Channel::Email,
        recipient: to,
        dedupe_key: key.to_string(),
        due_at: s.now,
        time_zone: receiver_zone(s).iana_name().map(str::to_string),
        language: Some(language),
        message: Ok(message),
    })
}

/// What a person sends by hand from Track & Trace: a template rendered for the shipment, or
/// their own words as written.
pub enum ManualContent<'a> {
    Template(&'a Template),
    FreeText { subject: Option<String>, text: String },
}

/// Why a notification by hand cannot be sent, and the part of the form that must change:
/// `to`, `template`, `subject` or `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualRefusal {
    pub field: &'static str,
    pub why: String,
}

impl ManualRefusal {
    fn at(field: &'static str, why: impl Into<String>) -> Self {
        ManualRefusal { field, why: why.into() }
    }
}

/// Plans a notification sent by hand: to `to`, or to the receiver's phone or email. It is
/// due at once, keyed by `key` (so a resubmitted form sends once), and billed like any other.
/// The error says why nothing can be sent, and which part of the form to change.
/// A notification sent by hand, in `brand` (the default brand when none): its sender names
/// and, for an email, the brand layout around the content, as a rule in that brand sends it.
pub fn plan_manual(
    s: &Situation<'_>,
    brand: Option<crate::ids::BrandId>,
    channel: Channel,
    content: ManualContent<'_>,
    to: Option<&str>,
    key: &str,
) -> Result<PlannedNotification, ManualRefusal> {
    let to_address = match to.map(str::trim).filter(|t| !t.is_empty()) {
        Some(raw) => parse_for(channel, raw),
        None => receiver_address(s, channel),
    }
    .map_err(|(_, why)| ManualRefusal::at("to", why.reason()))?;
    let to_receiver = to.is_none_or(|t| t.trim().is_empty());
    let to = to_address;
    let opt_out = opt_out_links(s, to_receiver, &to).0;
    let dedupe_key = format!("manual:{key}");
    let (language, message) = match content {
        ManualContent::Template(t) => {
            if t.channel != channel {
                return Err(ManualRefusal::at(
                    "template",
                    format!("template \"{}\" is for {}, not {channel}", t.name, t.channel),
                ));
            }
            let mut vars = variables_in(s, None, brand);
            insert_opt_out_links(&mut vars, s, to_receiver, &to);
            vars.insert("tracking_link", notification_tracking_link(s, &dedupe_key));
            let r = t
                .render(Some(receiver_language(s)), &vars)
                .map_err(|e| ManualRefusal::at("template", format!("template \"{}\" does not render: {e}", t.name)))?;
            let html = r.html.map(|html| with_open_pixel(s, &dedupe_key, html));
            (
                Some(r.language.clone()),
                message(s, brand, channel, &to, r.subject, html, r.text, opt_out.clone()),
            )
        }
        ManualContent::FreeText { subject, text } => {
            if text.trim().is_empty() {
                return Err(ManualRefusal::at("text", "write the message text"));
            }
            if channel == Channel::Email && subject.as_deref().is_none_or(|s| s.trim().is_empty()) {
                return Err(ManualRefusal::at("subject", "an email needs a subject"));
            }
            if subject
                .as_deref()
                .is_some_and(|s| s.chars().count() > MAX_SUBJECT_CHARS)
            {
                return Err(ManualRefusal::at(
                    "subject",
                    format!("the subject is longer than {MAX_SUBJECT_CHARS} characters"),
                ));
            }
            // An email typed by hand is framed as a rule's: the brand's header, colour and
            // footer with the opt-out link, its paragraphs as text blocks.
            let html = (channel == Channel::Email).then(|| {
                let mut vars = variables_in(s, None, brand);
                vars.insert("unsubscribe_link", opt_out.clone());
                let html = typed_email_html(&vars, receiver_language(s), subject.as_deref().unwrap_or(""), &text);
                with_open_pixel(s, &dedupe_key, html)
            });
            (
                None,
                message(s, brand, channel, &to, subject, html, text, opt_out.clone()),
            )
        }
    };
    // What is typed by hand or rendered now must fit the tenant's limits like any message.
    s.tenant
        .billing
        .message_limits()
        .check(&message)
        .map_err(|why| ManualRefusal::at("text", format!("not sent: {why}")))?;
    Ok(PlannedNotification {
        rule_id: None,
        trigger: None,
        channel,
        recipient: to,
        dedupe_key,
        due_at: s.now,
        time_zone: receiver_zone(s).iana_name().map(str::to_string),
        language,
        message: Ok(message),
    })
}

/// A typed email in the brand layout: each paragraph (text between blank lines) a text block.
fn typed_email_html(vars: &Variables, language: &str, subject: &str, text: &str) -> String {
    use crate::email_layout::{Filled, Frame, layout};
    let var = |name: &str| vars.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let normalised = text.replace("\r\n", "\n");
    let paragraphs: Vec<Filled> = normalised
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| Filled::Text(p.to_string()))
        .collect();
    let frame = Frame {
        language,
        subject: &one_line(subject),
        brand_name: var("brand_name").unwrap_or(""),
        colour: var("brand_colour")
            .and_then(|c| crate::colour::Colour::parse(c).ok())
            .unwrap_or_default(),
        logo_url: var("logo_url"),
        customer_service_email: var("customer_service_email"),
        customer_service_phone: var("customer_service_phone"),
        opt_out_link: var("unsubscribe_link"),
    };
    layout(&frame, &paragraphs)
}

/// An email's HTML with the image that counts its opens, when the tenant's open tracking is
/// on (otherwise as it is): before `</body>` if the HTML has one, else at its end. Only the
/// HTML part can carry it; a text-only email is never counted.
fn with_open_pixel(s: &Situation<'_>, key: &str, html: String) -> String {
    let Some(src) = s
        .tenant
        .open_tracking
        .then(|| s.links.open_pixel(s.tenant.id, s.shipment.id, key))
        .flatten()
    else {
        return html;
    };
    let src = src.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;");
    let img = format!(
        "<img src=\"{src}\" width=\"1\" height=\"1\" alt=\"\" style=\"display:block;border:0;width:1px;height:1px\">"
    );
    match html.to_ascii_lowercase().rfind("</body>") {
        Some(at) => format!("{}{img}{}", &html[..at], &html[at..]),
        None => format!("{html}{img}"),
    }
}

/// `unsubscribe_link`, `preferences_link` and `rating_link`: the receiver's own (`/u/<token>`, no address in
/// them) when the message goes to the shipment's receiver, else the address's opt-out link.
/// Returns the opt-out link, which an email also carries as its `List-Unsubscribe` header.
fn insert_opt_out_links(vars: &mut Variables, s: &Situation<'_>, to_receiver: bool, to: &str) -> String {
    let (opt_out, preferences) = opt_out_links(s, to_receiver, to);
    vars.insert("unsubscribe_link", opt_out.clone());
    vars.insert("preferences_link", preferences);
    // Only the receiver rates its delivery: staff and fixed lists get no rating link.
    if let Some(r) = s.shipment.receiver.as_ref().filter(|_| to_receiver) {
        vars.insert("rating_link", s.links.rating(&r.token, s.shipment.id));
    }
    opt_out
}

fn opt_out_links(s: &Situation<'_>, to_receiver: bool, to: &str) -> (String, String) {
    match s.shipment.receiver.as_ref().filter(|_| to_receiver) {
        Some(r) => (s.links.opt_out(&r.token), s.links.preferences(&r.token)),
        None => {
            let link = s.links.unsubscribe(s.tenant.id, to);
            (link.clone(), link)
        }
    }
}

/// The tracking link of the notification with this dedupe key, so its visits are its own.
fn notification_tracking_link(s: &Situation<'_>, key: &str) -> String {
    s.links
        .tracking_for(s.tenant.id, s.shipment.id, &s.shipment.tracking_number, key)
}

fn variables(s: &Situation<'_>, rule: Option<&Rule>) -> Variables {
    variables_in(s, rule, rule.and_then(|r| r.brand_id))
}

/// The variables for a message in `brand` (the default brand when none or gone).
fn variables_in(s: &Situation<'_>, rule: Option<&Rule>, brand: Option<crate::ids::BrandId>) -> Variables {
    let d = &s.shipment.details;
    let zone = receiver_zone(s);
    let local = |t: Timestamp, fmt: &str| t.to_zoned_datetime(zone.clone()).strftime(fmt).to_string();
    let mut v = empty_variables();
    let mut set = |k: &'static str, val: Option<String>| {
        if let Some(val) = val {
            v.insert(k, val);
        }
    };
    set("receiver_name", d.receiver_name.clone());
    set("tracking_number", Some(s.shipment.tracking_number.clone()));
    set(
        "tracking_link",
        Some(
            s.links
                .tracking(s.tenant.id, s.shipment.id, &s.shipment.tracking_number),
        ),
    );
    if let Some(p) = &d.pickup_point {
        set("pickup_point_name", Some(p.name.clone()));
        set("pickup_point_address", p.address.clone());
        set("pickup_point_opening_hours", p.opening_hours.clone());
        set("pickup_point_open_today", pickup_point_open_on(s, s.now));
        set("storage_deadline", p.storage_deadline.map(|t| local(t, "%Y-%m-%d")));
    }
    set(
        "days_left",
        rule.and_then(|r| r.days_before_deadline).map(|n| n.to_string()),
    );
    set("order_reference", d.order_reference.clone());
    set("carrier", d.carrier.clone());
    set("expected_delivery_date", d.expected_delivery.clone());
    let brand = s.tenant.brand_for(brand);
    set("brand_name", Some(brand.brand_name.clone()));
    set("brand_colour", Some(brand.colour.to_string()));
    set(
        "customer_service_email",
        brand.customer_service_email.as_ref().map(|e| e.to_string()),
    );
    set(
        "customer_service_phone",
        brand.customer_service_phone.as_ref().map(|p| p.to_string()),
    );
    set("campaign", rule.and_then(|r| r.campaign.clone()));
    set("logo_url", brand.logo_id.map(|l| s.links.logo(s.tenant.id, l)));
    if let Some(e) = s.event {
        set("event_location", e.location.clone());
        set("event_time", Some(local(e.occurred_at, "%Y-%m-%d %H:%M")));
    }
    v
}
