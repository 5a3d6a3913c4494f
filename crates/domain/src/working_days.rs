//! Which days count: a rule that sends on working days only waits past Sundays and the
//! receiver's holidays, and a "days left" reminder counts the days its pickup point is open.

use crate::holidays::{Country, holiday_on, is_public_holiday};
use crate::notification::Channel;
use crate::opening_hours::OpeningHours;
use crate::rule::Rule;
use crate::timing::{LocalTime, after_quiet_hours, days_before};
use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

/// When a working day's messages start for a rule with neither `send_at_local` nor quiet
/// hours that end in the morning.
pub const WORKING_DAY_STARTS: Time = Time::constant(8, 0, 0, 0);

/// The longest run of days searched: no calendar has more days off in a row.
const SEARCH_DAYS: i64 = 60;

/// Not a Sunday, and not a day off in `country` (by law or, like julafton, in practice).
pub fn is_working_day(date: Date, country: Option<Country>) -> bool {
    date.weekday() != Weekday::Sunday && country.is_none_or(|c| holiday_on(c, date).is_none())
}

fn local_date(t: Timestamp, zone: &TimeZone) -> Date {
    t.to_zoned_datetime(zone.clone()).date()
}

fn at(date: Date, time: Time, zone: &TimeZone) -> Option<Timestamp> {
    Some(date.to_datetime(time).to_zoned_datetime(zone.clone()).ok()?.timestamp())
}

/// The first moment at or after `t` when `rule` may send on `channel`: out of its quiet hours
/// and, when it sends on working days only, on a working day of `country` in `zone`. A message
/// due on a day off waits for the next working day, at the rule's `send_at_local`, else at the
/// end of its night-time quiet hours, else at `WORKING_DAY_STARTS`.
pub fn allowed_from(
    t: Timestamp,
    rule: &Rule,
    channel: Channel,
    zone: &TimeZone,
    country: Option<Country>,
) -> Timestamp {
    let mut due = after_quiet_hours(t, channel, &rule.quiet_hours, zone);
    if !rule.working_days_only {
        return due;
    }
    // Each pass moves to a later day; quiet hours can only push into the next one.
    for _ in 0..4 {
        let today = local_date(due, zone);
        if is_working_day(today, country) {
            break;
        }
        let Some(next) = (1..=SEARCH_DAYS)
            .filter_map(|n| today.checked_add(n.days()).ok())
            .find(|d| is_working_day(*d, country))
        else {
            break;
        };
        let Some(start) = start_of_working_day(next, rule, channel, zone) else {
            break;
        };
        due = after_quiet_hours(start, channel, &rule.quiet_hours, zone);
    }
    due
}

fn start_of_working_day(date: Date, rule: &Rule, channel: Channel, zone: &TimeZone) -> Option<Timestamp> {
    if let Some(LocalTime(time)) = rule.send_at_local {
        return at(date, time, zone);
    }
    let midnight = at(date, Time::midnight(), zone)?;
    let end_of_night = after_quiet_hours(midnight, channel, &rule.quiet_hours, zone);
    if end_of_night > midnight {
        Some(end_of_night)
    } else {
        at(date, WORKING_DAY_STARTS, zone)
    }
}

/// What a "days left" reminder looks at besides its deadline.
pub struct PickupDays<'a> {
    /// The pickup point's hours, when known and readable.
    pub hours: Option<&'a OpeningHours>,
    /// Where the pickup point is, for `PH` in its hours.
    pub point_country: Option<Country>,
    /// The receiver's country, when the rule sends on working days only.
    pub working_days_of: Option<Option<Country>>,
}

/// When the reminder "`days` days left" is due before `deadline`: on the day from which `days`
/// days on which the point is open remain up to the deadline (the deadline's own day when the
/// point opens before the deadline's time), at `send_at` local time, else at the deadline's
/// time of day. Without known hours every day counts, which is `days` days before. A rule on
/// working days only goes back further to a working day, so it never says more days than remain.
pub fn reminder_due(
    deadline: Timestamp,
    days: u8,
    send_at: Option<LocalTime>,
    zone: &TimeZone,
    pickup: &PickupDays<'_>,
) -> Option<Timestamp> {
    let local = deadline.to_zoned_datetime(zone.clone());
    let (last_day, closes) = (local.date(), local.time());
    let minute = (closes.hour() as u16) * 60 + closes.minute() as u16;
    let open = |d: Date| match pickup.hours {
        None => true,
        Some(h) => {
            let holiday = pickup.point_country.is_some_and(|c| is_public_holiday(c, d));
            if d == last_day {
                h.opens_before(d, holiday, minute)
            } else {
                h.is_open_on(d, holiday)
            }
        }
    };
    let mut counted = 0;
    let mut back = None;
    for k in 1..=SEARCH_DAYS {
        // Day `k` back is the reminder's day; the day after it is the newest one it counts.
        let counted_day = last_day.checked_sub((k - 1).days()).ok()?;
        if open(counted_day) {
            counted += 1;
        }
        let reminder_day = last_day.checked_sub(k.days()).ok()?;
        let working = pickup
            .working_days_of
            .is_none_or(|country| is_working_day(reminder_day, country));
        if counted >= u32::from(days) && working {
            back = Some(k);
            break;
        }
    }
    // A point that is never open: the plain count, as without hours.
    let back = back.unwrap_or(i64::from(days));
    days_before(deadline, u8::try_from(back).ok()?, send_at, zone)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::holidays::Country::Se;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn stockholm() -> TimeZone {
        TimeZone::get("Europe/Stockholm").unwrap()
    }

    fn rule(extra: serde_json::Value) -> Rule {
        let mut body = serde_json::json!({
            "id": 1, "name": "r", "trigger": "delivered", "enabled": true, "conditions": {}, "channels": "sms",
            "recipient": {"kind": "receiver"}, "sms_template_id": 1, "email_template_id": null,
            "active_from": null, "active_until": null, "once_per_shipment": false,
            "days_before_deadline": null, "campaign": null, "working_days_only": true
        });
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        serde_json::from_value(body).unwrap()
    }

    #[test]
    fn a_message_due_on_a_day_off_waits_for_the_next_working_day() {
        let night = serde_json::json!({"quiet_hours": [{"channel": "sms", "from": "21:00", "until": "07:30"}]});
        let r = rule(night);
        // Friday 25 Dec 2026 (Juldagen), Saturday is Annandag jul, Sunday: Monday 07:30.
        assert_eq!(
            allowed_from(t("2026-12-25T11:00:00Z"), &r, Channel::Sms, &stockholm(), Some(Se)),
            t("2026-12-28T06:30:00Z")
        );
        // Julafton is off in practice: Thursday 24 Dec waits too.
        assert_eq!(
            allowed_from(t("2026-12-24T09:00:00Z"), &r, Channel::Sms, &stockholm(), Some(Se)),
            t("2026-12-28T06:30:00Z")
        );
        // A Saturday that is no holiday is a working day.
        assert_eq!(
            allowed_from(t("2026-12-05T11:00:00Z"), &r, Channel::Sms, &stockholm(), Some(Se)),
            t("2026-12-05T11:00:00Z")
        );
        // Saturday 22:00 is quiet until Sunday 07:30, and Sunday is off: Monday 07:30.
        assert_eq!(
            allowed_from(t("2026-12-05T21:00:00Z"), &r, Channel::Sms, &stockholm(), Some(Se)),
            t("2026-12-07T06:30:00Z")
        );
        // Without quiet hours: 08:00; with a time of day set: that time.
        let plain = rule(serde_json::json!({}));
        assert_eq!(
            allowed_from(t("2026-12-06T11:00:00Z"), &plain, Channel::Sms, &stockholm(), None),
            t("2026-12-07T07:00:00Z")
        );
        let mut off = plain.clone();
        off.working_days_only = false;
        assert_eq!(
            allowed_from(t("2026-12-06T11:00:00Z"), &off, Channel::Sms, &stockholm(), Some(Se)),
            t("2026-12-06T11:00:00Z")
        );
    }

    #[test]
    fn days_left_counts_the_days_the_point_is_open() {
        let closed_sunday: OpeningHours = "Mo-Fr 09:00-20:00; Sa 10:00-16:00; PH off".parse().unwrap();
        // Deadline Monday 7 Dec 2026, 18:00 local; "2 days left" at 19:00.
        let deadline = t("2026-12-07T17:00:00Z");
        let at = Some("19:00".parse().unwrap());
        let known = PickupDays {
            hours: Some(&closed_sunday),
            point_country: Some(Se),
            working_days_of: None,
        };
        let unknown = PickupDays {
            hours: None,
            point_country: Some(Se),
            working_days_of: None,
        };
        // Without hours: Saturday evening. Closed on Sunday: Friday evening (Saturday, Monday).
        assert_eq!(
            reminder_due(deadline, 2, at, &stockholm(), &unknown),
            Some(t("2026-12-05T18:00:00Z"))
        );
        assert_eq!(
            reminder_due(deadline, 2, at, &stockholm(), &known),
            Some(t("2026-12-04T18:00:00Z"))
        );
        // Without a time of day, at the deadline's: Friday 18:00.
        assert_eq!(
            reminder_due(deadline, 2, None, &stockholm(), &known),
            Some(t("2026-12-04T17:00:00Z"))
        );
        // A deadline before the point opens does not count its own day.
        let early = t("2026-12-07T07:30:00Z"); // Monday 08:30
        assert_eq!(
            reminder_due(early, 1, at, &stockholm(), &known),
            Some(t("2026-12-04T18:00:00Z"))
        );
        // PH off: Annandag jul (Saturday 26 Dec 2026) does not count. Deadline Monday 28 Dec.
        let after_christmas = t("2026-12-28T17:00:00Z");
        assert_eq!(
            reminder_due(after_christmas, 2, at, &stockholm(), &known),
            Some(t("2026-12-23T18:00:00Z")),
            "Thursday 24 Dec and Monday 28 Dec are the two open days"
        );
        // On working days only the reminder goes back past a day off: Tuesday deadline,
        // 2 days: Sunday → Saturday.
        let tuesday = t("2026-12-08T17:00:00Z");
        let working = PickupDays {
            hours: None,
            point_country: Some(Se),
            working_days_of: Some(Some(Se)),
        };
        assert_eq!(
            reminder_due(tuesday, 2, at, &stockholm(), &working),
            Some(t("2026-12-05T18:00:00Z"))
        );
        // A point never open counts like unknown hours.
        let never: OpeningHours = "Mo-Su off".parse().unwrap();
        let never = PickupDays {
            hours: Some(&never),
            ..unknown
        };
        assert_eq!(
            reminder_due(deadline, 2, at, &stockholm(), &never),
            Some(t("2026-12-05T18:00:00Z"))
        );
    }
}
