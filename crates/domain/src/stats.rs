//! The follow-up numbers a shipper reads: per day, trigger, channel or carrier, how many
//! messages were sent, delivered, undelivered and bounced, the delivery rate, the median time
//! to delivered, the share whose tracking link was visited and of emails opened. The store
//! adds the counts up per group; this turns them into the numbers, so the API, its CSV and
//! the portal show the same. Days and dates are the tenant's (`zone::tenant_zone`).

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

/// The longest period one question may cover.
pub const MAX_PERIOD_DAYS: i64 = 366;
/// The period when none is given: the last 30 days.
pub const DEFAULT_PERIOD_DAYS: i64 = 30;

/// What the numbers are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// The day the message was sent, in the tenant's zone.
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
    /// Reads `from` and `until`, each a date in `zone` (the tenant's) or an RFC 3339 instant.
    /// A date `from` starts at its midnight there; a date `until` includes its day (the period
    /// ends at the next midnight). Without `until` the period ends now; without `from` it
    /// starts 30 days before its end.
    pub fn parse(
        from: Option<&str>,
        until: Option<&str>,
        now: Timestamp,
        zone: &TimeZone,
    ) -> Result<Period, PeriodError> {
        let until = match until.map(str::trim) {
            None | Some("") => now,
            Some(s) => instant(s, true, zone).ok_or_else(|| PeriodError::Until(s.to_string()))?,
        };
        let from = match from.map(str::trim) {
            None | Some("") => until
                .checked_sub(SignedDuration::from_hours(24 * DEFAULT_PERIOD_DAYS))
                .map_err(|_| PeriodError::Until(until.to_string()))?,
            Some(s) => instant(s, false, zone).ok_or_else(|| PeriodError::From(s.to_string()))?,
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

/// A date in `zone` (its midnight, or the next one for an `until`) or an instant.
fn instant(s: &str, end_of_day: bool, zone: &TimeZone) -> Option<Timestamp> {
    if !s.contains(['T', 't', ' ']) {
        let date = s.parse::<jiff::civil::Date>().ok()?;
        let day = if end_of_day { date.tomorrow().ok()? } else { date };
        return day.to_zoned_datetime(zone.clone()).ok().map(|z| z.timestamp());
    }
    s.parse::<Timestamp>().ok()
}

/// The counts of one group over the notifications a provider accepted in the period, as a
/// store adds them up (in SQL, so a period of many messages is not read row by row).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// The group's key (`GroupStats::group`); `total` for all of them.
    pub key: String,
    pub sent: u64,
    pub delivered: u64,
    pub undelivered: u64,
    pub bounced: u64,
    /// How many had their tracking link visited by a person.
    pub clicked: u64,
    /// Emails among the sent.
    pub emails: u64,
    /// Emails whose open-tracking image was fetched by a person.
    pub opened: u64,
    /// The median of (delivered − sent, or 0 when the provider's clock said earlier) over
    /// the delivered ones, in milliseconds; for an even count the mean of the two middle ones,
    /// rounded down. None when none was delivered.
    pub median_ms_to_delivered: Option<i64>,
}

/// The numbers of one group (or of all, `group` = "total").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupStats {
    /// The day (`2026-11-25`, in the tenant's zone), trigger, channel or carrier; `none` for
    /// notifications without a trigger (sent by hand, the tenant's own notices), `unknown`
    /// for an unknown carrier.
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
    /// How many emails were opened (their open-tracking image fetched); null when the tenant's
    /// open tracking is off.
    pub opened: Option<u64>,
    /// opened / emails sent; null when open tracking is off or no email was sent.
    pub opened_share: Option<f64>,
}

impl GroupStats {
    /// The numbers of a tally; `opens_tracked` says whether the tenant counts email opens.
    pub fn of(t: &Tally, opens_tracked: bool) -> GroupStats {
        let share = |n: u64, of: u64| (of > 0).then(|| n as f64 / of as f64);
        GroupStats {
            group: t.key.clone(),
            sent: t.sent,
            delivered: t.delivered,
            undelivered: t.undelivered,
            bounced: t.bounced,
            delivery_rate: share(t.delivered, t.sent),
            median_seconds_to_delivered: t.median_ms_to_delivered.map(|ms| ms.max(0) / 1000),
            clicked: t.clicked,
            clicked_share: share(t.clicked, t.sent),
            opened: opens_tracked.then_some(t.opened),
            opened_share: if opens_tracked { share(t.opened, t.emails) } else { None },
        }
    }
}

/// The numbers per group in the group's order (days ascending, names alphabetically), and
/// over all of them (`total`, all zeros when nothing was sent).
pub fn summarize(groups: &[Tally], total: Option<&Tally>, opens_tracked: bool) -> (Vec<GroupStats>, GroupStats) {
    let mut rows: Vec<GroupStats> = groups.iter().map(|t| GroupStats::of(t, opens_tracked)).collect();
    rows.sort_by(|a, b| a.group.cmp(&b.group));
    let none = Tally {
        key: "total".into(),
        ..Tally::default()
    };
    let mut total = GroupStats::of(total.unwrap_or(&none), opens_tracked);
    total.group = "total".into();
    (rows, total)
}

/// The CSV of the numbers: a row per group, then the total with the suppressed addresses.
pub fn csv(group: Group, rows: &[GroupStats], total: &GroupStats, suppressed: u64) -> String {
    let mut out = format!(
        "{},sent,delivered,undelivered,bounced,delivery_rate,median_seconds_to_delivered,clicked,clicked_share,opened,opened_share,suppressed_addresses\n",
        group.slug()
    );
    let ratio = |r: Option<f64>| r.map(|r| format!("{r:.4}")).unwrap_or_default();
    for (row, suppressed) in rows.iter().map(|r| (r, None)).chain([(total, Some(suppressed))]) {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{}\n",
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
            row.opened.map(|n| n.to_string()).unwrap_or_default(),
            ratio(row.opened_share),
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

    fn tally(key: &str, sent: u64, delivered: u64, emails: u64, opened: u64, median_ms: Option<i64>) -> Tally {
        Tally {
            key: key.into(),
            sent,
            delivered,
            undelivered: 1,
            bounced: 0,
            clicked: 1,
            emails,
            opened,
            median_ms_to_delivered: median_ms,
        }
    }

    #[test]
    fn numbers_per_group_and_in_total() {
        let groups = [tally("sms", 4, 3, 0, 0, Some(20_999)), tally("email", 2, 0, 2, 1, None)];
        let total = tally("total", 6, 3, 2, 1, Some(20_999));
        let (rows, all) = summarize(&groups, Some(&total), true);
        assert_eq!(
            rows.iter().map(|r| (r.group.as_str(), r.sent)).collect::<Vec<_>>(),
            [("email", 2), ("sms", 4)],
            "alphabetically"
        );
        assert_eq!(
            rows[1].median_seconds_to_delivered,
            Some(20),
            "whole seconds, rounded down"
        );
        assert_eq!(rows[0].median_seconds_to_delivered, None);
        assert_eq!(all.delivery_rate, Some(0.5));
        assert_eq!(all.clicked_share, Some(1.0 / 6.0));
        assert_eq!((all.opened, all.opened_share), (Some(1), Some(0.5)), "of the emails");
        assert_eq!((rows[1].opened, rows[1].opened_share), (Some(0), None), "no email sent");
        // Open tracking off: no opened numbers at all, rather than a misleading zero.
        let (rows, all) = summarize(&groups, Some(&total), false);
        assert_eq!((all.opened, all.opened_share, rows[0].opened), (None, None, None));
        let (none, empty) = summarize(&[], None, true);
        assert!(none.is_empty());
        assert_eq!(
            (
                empty.group.as_str(),
                empty.sent,
                empty.delivery_rate,
                empty.clicked_share
            ),
            ("total", 0, None, None)
        );
    }

    #[test]
    fn periods_are_read_in_the_tenants_zone_bounded_and_explained() {
        let now = at("2026-12-07T06:00:00Z");
        let utc = TimeZone::UTC;
        let p = Period::parse(Some("2026-11-01"), Some("2026-11-30"), now, &utc).unwrap();
        assert_eq!(
            (p.from, p.until),
            (at("2026-11-01T00:00:00Z"), at("2026-12-01T00:00:00Z"))
        );
        // Stockholm is an hour ahead of UTC in November.
        let home = crate::zone::tenant_zone();
        let p = Period::parse(Some("2026-11-01"), Some("2026-11-30"), now, &home).unwrap();
        assert_eq!(
            (p.from, p.until),
            (at("2026-10-31T23:00:00Z"), at("2026-11-30T23:00:00Z"))
        );
        let p = Period::parse(None, None, now, &home).unwrap();
        assert_eq!((p.from, p.until), (at("2026-11-07T06:00:00Z"), now));
        let p = Period::parse(
            Some("2026-11-01T12:00:00Z"),
            Some("2026-11-02T12:00:00+01:00"),
            now,
            &home,
        )
        .unwrap();
        assert_eq!(p.until, at("2026-11-02T11:00:00Z"));
        assert!(
            Period::parse(Some("2025-11-30"), Some("2026-11-30"), now, &utc).is_ok(),
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
            let e = Period::parse(*from, *until, now, &home).unwrap_err();
            assert_eq!(e.field(), *field, "{from:?} {until:?}: {e}");
        }
        assert_eq!(
            Period::parse(Some("2025-11-29"), Some("2026-11-30"), now, &utc)
                .unwrap_err()
                .to_string(),
            "the period is 367 days long: ask for at most 366 days at a time"
        );
        assert_eq!(Group::parse("week").unwrap_err().field(), "group");
    }

    #[test]
    fn the_csv_has_a_row_per_group_and_the_total_with_the_suppressed_addresses() {
        let t = Tally {
            key: "=HYPERLINK(\"x\")".into(),
            sent: 1,
            delivered: 1,
            clicked: 1,
            median_ms_to_delivered: Some(10_000),
            ..Tally::default()
        };
        let total = Tally {
            key: "total".into(),
            ..t.clone()
        };
        let (rows, all) = summarize(std::slice::from_ref(&t), Some(&total), false);
        assert_eq!(
            csv(Group::Carrier, &rows, &all, 7),
            "carrier,sent,delivered,undelivered,bounced,delivery_rate,median_seconds_to_delivered,clicked,clicked_share,opened,opened_share,suppressed_addresses\n\
             \"'=HYPERLINK(\"\"x\"\")\",1,1,0,0,1.0000,10,1,1.0000,,,\n\
             total,1,1,0,0,1.0000,10,1,1.0000,,,7\n"
        );
    }
}
