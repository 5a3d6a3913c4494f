//! The follow-up numbers a shipper reads: per day, trigger, channel or carrier, how many
//! messages were sent, delivered, undelivered and bounced, the delivery rate, the median time
//! to delivered and the share whose tracking link was visited. One pure function over the
//! sent notifications, so the API, its CSV and the portal show the same numbers.

use crate::notification::{Channel, Status};
use crate::trigger::Trigger;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use std::collections::BTreeMap;

/// The longest period one question may cover.
pub const MAX_PERIOD_DAYS: i64 = 366;
/// The period when none is given: the last 30 days.
pub const DEFAULT_PERIOD_DAYS: i64 = 30;

/// What the numbers are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// The UTC day the message was sent.
    Day,
    Trigger,
    Channel,
    Carrier,
}

impl Group {
    pub fn parse(s: &str) -> Result<Self, PeriodError> {
        match s {
            "day" => Ok(Group::Day),
            "trigger" => Ok(Group::Trigger),
            "channel" => Ok(Group::Channel),
            "carrier" => Ok(Group::Carrier),
            other => Err(PeriodError::Group(other.to_string())),
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            Group::Day => "day",
            Group::Trigger => "trigger",
            Group::Channel => "channel",
            Group::Carrier => "carrier",
        }
    }
}

/// Why a question for numbers cannot be answered; each names the parameter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("from {0:?} is not a date (2026-11-01) or an instant (2026-11-01T00:00:00Z)")]
    From(String),
    #[error("until {0:?} is not a date (2026-11-30) or an instant (2026-12-01T00:00:00Z)")]
    Until(String),
    #[error("until must be after from")]
    Empty,
    #[error("the period is {0} days long: ask for at most {max} days at a time", max = MAX_PERIOD_DAYS)]
    TooLong(i64),
    #[error("group {0:?}: use day, trigger, channel or carrier")]
    Group(String),
}

impl PeriodError {
    /// The query parameter that is wrong.
    pub fn field(&self) -> &'static str {
        match self {
            PeriodError::From(_) => "from",
            PeriodError::Until(_) | PeriodError::Empty | PeriodError::TooLong(_) => "until",
            PeriodError::Group(_) => "group",
        }
    }
}

/// The instants `[from, until)` the numbers cover, at most `MAX_PERIOD_DAYS` long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub from: Timestamp,
    pub until: Timestamp,
}

impl Period {
    /// Reads `from` and `until`, each a UTC date or an RFC 3339 instant. A date `from` starts
    /// at its midnight; a date `until` includes its day (the period ends at the next midnight).
    /// Without `until` the period ends now; without `from` it starts 30 days before its end.
    pub fn parse(from: Option<&str>, until: Option<&str>, now: Timestamp) -> Result<Period, PeriodError> {
        let until = match until.map(str::trim) {
            None | Some("") => now,
            Some(s) => instant(s, true).ok_or_else(|| PeriodError::Until(s.to_string()))?,
        };
        let from = match from.map(str::trim) {
            None | Some("") => until
                .checked_sub(SignedDuration::from_hours(24 * DEFAULT_PERIOD_DAYS))
                .map_err(|_| PeriodError::Until(until.to_string()))?,
            Some(s) => instant(s, false).ok_or_else(|| PeriodError::From(s.to_string()))?,
        };
        if until <= from {
            return Err(PeriodError::Empty);
        }
        let length = until.duration_since(from);
        if length > SignedDuration::from_hours(24 * MAX_PERIOD_DAYS) {
            // Rounded up, so "367 days" is said of anything over 366.
            let days = (length.as_secs() + 86_399) / 86_400;
            return Err(PeriodError::TooLong(days));
        }
        Ok(Period { from, until })
    }
}

/// A UTC date (its midnight, or the next one for an `until`) or an instant.
fn instant(s: &str, end_of_day: bool) -> Option<Timestamp> {
    if !s.contains(['T', 't', ' ']) {
        let date = s.parse::<jiff::civil::Date>().ok()?;
        let day = if end_of_day { date.tomorrow().ok()? } else { date };
        return day
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp());
    }
    s.parse::<Timestamp>().ok()
}

/// One notification a provider accepted in the period, as the numbers need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentFact {
    pub sent_at: Timestamp,
    pub trigger: Option<Trigger>,
    pub channel: Channel,
    /// The shipment's carrier, if it is known.
    pub carrier: Option<String>,
    /// Its status now: sent, delivered, undelivered or bounced.
    pub status: Status,
    /// When its delivery was reported, if it was delivered.
    pub delivered_at: Option<Timestamp>,
    /// Whether its own tracking link was visited (by a person, not a preview bot).
    pub clicked: bool,
}

/// The numbers of one group (or of all, `group` = "total").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupStats {
    /// The day (`2026-11-25`), trigger, channel or carrier; `none` for notifications without
    /// a trigger (sent by hand, the tenant's own notices), `unknown` for an unknown carrier.
    pub group: String,
    /// Accepted by the provider (whatever a receipt said since).
    pub sent: u64,
    pub delivered: u64,
    pub undelivered: u64,
    pub bounced: u64,
    /// delivered / sent, null when nothing was sent.
    pub delivery_rate: Option<f64>,
    /// The median of (delivered − sent) over the delivered ones, in whole seconds; for an even
    /// count the mean of the two middle ones, rounded down. Null when none was delivered.
    pub median_seconds_to_delivered: Option<i64>,
    /// How many had their tracking link visited.
    pub clicked: u64,
    /// clicked / sent, null when nothing was sent.
    pub clicked_share: Option<f64>,
}

/// The numbers per group, in the group's order (days ascending, names alphabetically), and
/// over all of them.
pub fn summarize(facts: &[SentFact], group: Group) -> (Vec<GroupStats>, GroupStats) {
    let mut groups: BTreeMap<String, Vec<&SentFact>> = BTreeMap::new();
    for f in facts {
        groups.entry(key(f, group)).or_default().push(f);
    }
    let rows = groups.into_iter().map(|(name, facts)| numbers(name, &facts)).collect();
    let all: Vec<&SentFact> = facts.iter().collect();
    (rows, numbers("total".to_string(), &all))
}

fn key(f: &SentFact, group: Group) -> String {
    match group {
        Group::Day => f.sent_at.to_zoned_datetime(jiff::tz::TimeZone::UTC).date().to_string(),
        Group::Trigger => f.trigger.map_or("none", Trigger::slug).to_string(),
        Group::Channel => f.channel.slug().to_string(),
        Group::Carrier => f
            .carrier
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .unwrap_or("unknown")
            .to_string(),
    }
}

fn numbers(group: String, facts: &[&SentFact]) -> GroupStats {
    let count = |status: Status| facts.iter().filter(|f| f.status == status).count() as u64;
    let sent = facts.len() as u64;
    let delivered = count(Status::Delivered);
    let clicked = facts.iter().filter(|f| f.clicked).count() as u64;
    let share = |n: u64| (sent > 0).then(|| n as f64 / sent as f64);
    // A provider's clock may run behind ours: a delivery "before" sending took no time.
    let mut waits: Vec<i64> = facts
        .iter()
        .filter(|f| f.status == Status::Delivered)
        .filter_map(|f| {
            f.delivered_at
                .map(|at| at.duration_since(f.sent_at).as_millis().max(0) as i64)
        })
        .collect();
    GroupStats {
        group,
        sent,
        delivered,
        undelivered: count(Status::Undelivered),
        bounced: count(Status::Bounced),
        delivery_rate: share(delivered),
        median_seconds_to_delivered: median(&mut waits).map(|ms| ms / 1000),
        clicked,
        clicked_share: share(clicked),
    }
}

/// The median of the values in milliseconds (see `GroupStats::median_seconds_to_delivered`).
fn median(values: &mut [i64]) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2
    } else {
        values[mid]
    })
}

/// The CSV of the numbers: a row per group, then the total with the suppressed addresses.
pub fn csv(group: Group, rows: &[GroupStats], total: &GroupStats, suppressed: u64) -> String {
    let mut out = format!(
        "{},sent,delivered,undelivered,bounced,delivery_rate,median_seconds_to_delivered,clicked,clicked_share,suppressed_addresses\n",
        group.slug()
    );
    let ratio = |r: Option<f64>| r.map(|r| format!("{r:.4}")).unwrap_or_default();
    for (row, suppressed) in rows.iter().map(|r| (r, None)).chain([(total, Some(suppressed))]) {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{}\n",
            field(&row.group),
            row.sent,
            row.delivered,
            row.undelivered,
            row.bounced,
            ratio(row.delivery_rate),
            row.median_seconds_to_delivered
                .map(|s| s.to_string())
                .unwrap_or_default(),
            row.clicked,
            ratio(row.clicked_share),
            suppressed.map(|n: u64| n.to_string()).unwrap_or_default(),
        ));
    }
    out
}

/// A CSV field: quoted when it holds a separator, and a leading formula character defused so a
/// carrier's name cannot become a spreadsheet formula.
fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn fact(sent: &str, channel: Channel, status: Status, delivered_after_s: Option<i64>, clicked: bool) -> SentFact {
        let sent_at = at(sent);
        SentFact {
            sent_at,
            trigger: Some(Trigger::Delivered),
            channel,
            carrier: Some("PostNord".into()),
            status,
            delivered_at: delivered_after_s.map(|s| sent_at + SignedDuration::from_secs(s)),
            clicked,
        }
    }

    #[test]
    fn numbers_per_group_and_in_total() {
        let facts = [
            fact("2026-11-25T10:00:00Z", Channel::Sms, Status::Delivered, Some(10), true),
            fact("2026-11-25T11:00:00Z", Channel::Sms, Status::Delivered, Some(30), false),
            fact("2026-11-25T12:00:00Z", Channel::Sms, Status::Delivered, Some(20), false),
            fact("2026-11-26T09:00:00Z", Channel::Sms, Status::Undelivered, None, false),
            fact("2026-11-26T09:30:00Z", Channel::Email, Status::Bounced, None, false),
            fact("2026-11-26T23:59:59Z", Channel::Email, Status::Sent, None, true),
        ];
        let (days, total) = summarize(&facts, Group::Day);
        assert_eq!(
            days.iter()
                .map(|d| (d.group.as_str(), d.sent, d.delivered))
                .collect::<Vec<_>>(),
            [("2026-11-25", 3, 3), ("2026-11-26", 3, 0)]
        );
        assert_eq!(days[0].median_seconds_to_delivered, Some(20));
        assert_eq!(days[1].median_seconds_to_delivered, None);
        assert_eq!(
            (
                total.sent,
                total.delivered,
                total.undelivered,
                total.bounced,
                total.clicked
            ),
            (6, 3, 1, 1, 2)
        );
        assert_eq!(total.delivery_rate, Some(0.5));
        assert_eq!(total.clicked_share, Some(2.0 / 6.0));
        let (channels, _) = summarize(&facts, Group::Channel);
        assert_eq!(
            channels.iter().map(|c| (c.group.as_str(), c.sent)).collect::<Vec<_>>(),
            [("email", 2), ("sms", 4)]
        );
        // An even count: the mean of the two middle waits.
        let (_, two) = summarize(&facts[..2], Group::Trigger);
        assert_eq!(two.median_seconds_to_delivered, Some(20));
        let (none, empty) = summarize(&[], Group::Carrier);
        assert!(none.is_empty());
        assert_eq!((empty.sent, empty.delivery_rate, empty.clicked_share), (0, None, None));
    }

    #[test]
    fn a_delivery_reported_before_sending_took_no_time() {
        let f = fact("2026-11-25T10:00:00Z", Channel::Sms, Status::Delivered, Some(-5), false);
        assert_eq!(summarize(&[f], Group::Day).1.median_seconds_to_delivered, Some(0));
    }

    #[test]
    fn periods_are_read_bounded_and_explained() {
        let now = at("2026-12-07T06:00:00Z");
        let p = Period::parse(Some("2026-11-01"), Some("2026-11-30"), now).unwrap();
        assert_eq!(
            (p.from, p.until),
            (at("2026-11-01T00:00:00Z"), at("2026-12-01T00:00:00Z"))
        );
        let p = Period::parse(None, None, now).unwrap();
        assert_eq!((p.from, p.until), (at("2026-11-07T06:00:00Z"), now));
        let p = Period::parse(Some("2026-11-01T12:00:00Z"), Some("2026-11-02T12:00:00+01:00"), now).unwrap();
        assert_eq!(p.until, at("2026-11-02T11:00:00Z"));
        assert!(
            Period::parse(Some("2025-11-30"), Some("2026-11-30"), now).is_ok(),
            "366 days"
        );
        let table: &[(Option<&str>, Option<&str>, &str)] = &[
            (Some("yesterday"), None, "from"),
            (Some("2026-11-01"), Some("2026-13-01"), "until"),
            (Some("2026-11-02"), Some("2026-11-01"), "until"),
            (Some("2026-11-01T00:00:00Z"), Some("2026-11-01T00:00:00Z"), "until"),
            (Some("2025-11-29"), Some("2026-11-30"), "until"),
        ];
        for (from, until, field) in table {
            let e = Period::parse(*from, *until, now).unwrap_err();
            assert_eq!(e.field(), *field, "{from:?} {until:?}: {e}");
        }
        assert_eq!(
            Period::parse(Some("2025-11-29"), Some("2026-11-30"), now)
                .unwrap_err()
                .to_string(),
            "the period is 367 days long: ask for at most 366 days at a time"
        );
        assert_eq!(Group::parse("week").unwrap_err().field(), "group");
    }

    #[test]
    fn the_csv_has_a_row_per_group_and_the_total_with_the_suppressed_addresses() {
        let mut f = fact("2026-11-25T10:00:00Z", Channel::Sms, Status::Delivered, Some(10), true);
        f.carrier = Some("=HYPERLINK(\"x\")".into());
        let (rows, total) = summarize(&[f], Group::Carrier);
        assert_eq!(
            csv(Group::Carrier, &rows, &total, 7),
            "carrier,sent,delivered,undelivered,bounced,delivery_rate,median_seconds_to_delivered,clicked,clicked_share,suppressed_addresses\n\
             \"'=HYPERLINK(\"\"x\"\")\",1,1,0,0,1.0000,10,1,1.0000,\n\
             total,1,1,0,0,1.0000,10,1,1.0000,7\n"
        );
    }
}
