//! When a notification is due: the trigger's moment (now, or N days before a storage deadline
//! at a local time of day), plus the rule's delay, then moved out of the channel's quiet hours
//! in the receiver's local time. A message due in quiet hours is deferred to their end, never
//! dropped.

use crate::notification::Channel;
use jiff::civil::Time;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A local time of day, written `HH:MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LocalTime(pub Time);

impl FromStr for LocalTime {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{s:?} is not a time of day; write it like 08:00 or 21:30");
        let (h, m) = s.split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 {
            return Err(bad());
        }
        let (h, m): (i8, i8) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        Time::new(h, m, 0, 0).map(LocalTime).map_err(|_| bad())
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0.hour(), self.0.minute())
    }
}

impl Serialize for LocalTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for LocalTime {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

/// No messages on `channel` from `from` to `until`, receiver's local time (an overnight window
/// such as 21:00-08:00 spans midnight).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuietHours {
    pub channel: Channel,
    pub from: LocalTime,
    pub until: LocalTime,
}

impl QuietHours {
    pub fn check(&self) -> Result<(), String> {
        if self.from == self.until {
            return Err(format!(
                "quiet hours {}-{} are empty; give two different times",
                self.from, self.until
            ));
        }
        Ok(())
    }

    /// The end of the quiet period `t` falls in, or `None` when `t` is not quiet.
    pub fn end_if_quiet(&self, t: Timestamp, zone: &TimeZone) -> Option<Timestamp> {
        let local = t.to_zoned_datetime(zone.clone());
        let time = local.time();
        let date = local.date();
        let (from, until) = (self.from.0, self.until.0);
        let end_date = if from < until {
            // Same-day window, e.g. 12:00-13:00.
            (time >= from && time < until).then_some(date)?
        } else if time >= from {
            // Overnight window, evening part: ends tomorrow morning.
            date.checked_add(1.day()).ok()?
        } else if time < until {
            // Overnight window, morning part: ends this morning.
            date
        } else {
            return None;
        };
        let end = end_date
            .at(until.hour(), until.minute(), 0, 0)
            .to_zoned_datetime(zone.clone())
            .ok()?;
        Some(end.timestamp())
    }
}

/// True when the windows of `channel` leave no minute of the day free.
pub fn covers_whole_day(quiet: &[QuietHours], channel: Channel) -> bool {
    let windows: Vec<&QuietHours> = quiet.iter().filter(|q| q.channel == channel).collect();
    !windows.is_empty()
        && (0..24 * 60).all(|m| {
            let t = Time::new((m / 60) as i8, (m % 60) as i8, 0, 0).expect("minute of the day");
            windows.iter().any(|q| {
                let (from, until) = (q.from.0, q.until.0);
                if from < until {
                    t >= from && t < until
                } else {
                    t >= from || t < until
                }
            })
        })
}

/// Moves `t` past every quiet window of `channel` it falls in.
pub fn after_quiet_hours(t: Timestamp, channel: Channel, quiet: &[QuietHours], zone: &TimeZone) -> Timestamp {
    let mut due = t;
    // Windows can touch or overlap: one pass per window settles any set that leaves some time
    // free (rules refuse sets that cover the whole day).
    for _ in 0..=quiet.len() {
        let moved = quiet
            .iter()
            .filter(|q| q.channel == channel)
            .filter_map(|q| q.end_if_quiet(due, zone))
            .max();
        match moved {
            Some(end) if end > due => due = end,
            _ => break,
        }
    }
    due
}

/// N days before `deadline` (by the receiver's calendar) at `at` local time, or exactly N × 24 h
/// before it when no time of day is set.
pub fn days_before(deadline: Timestamp, days: u8, at: Option<LocalTime>, zone: &TimeZone) -> Option<Timestamp> {
    match at {
        None => deadline
            .checked_sub(SignedDuration::from_hours(24 * i64::from(days)))
            .ok(),
        Some(at) => {
            let date = deadline
                .to_zoned_datetime(zone.clone())
                .date()
                .checked_sub(i64::from(days).days())
                .ok()?;
            Some(
                date.at(at.0.hour(), at.0.minute(), 0, 0)
                    .to_zoned_datetime(zone.clone())
                    .ok()?
                    .timestamp(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn stockholm() -> TimeZone {
        TimeZone::get("Europe/Stockholm").unwrap()
    }

    fn night(channel: Channel) -> QuietHours {
        QuietHours {
            channel,
            from: "21:00".parse().unwrap(),
            until: "08:00".parse().unwrap(),
        }
    }

    #[test]
    fn a_message_due_at_night_waits_for_the_morning_in_the_receivers_zone() {
        let q = [night(Channel::Sms)];
        // 22:30 in Stockholm (UTC+1 in November) → 08:00 next morning.
        assert_eq!(
            after_quiet_hours(t("2026-11-25T21:30:00Z"), Channel::Sms, &q, &stockholm()),
            t("2026-11-26T07:00:00Z")
        );
        // 06:00 in Stockholm → 08:00 the same morning.
        assert_eq!(
            after_quiet_hours(t("2026-11-26T05:00:00Z"), Channel::Sms, &q, &stockholm()),
            t("2026-11-26T07:00:00Z")
        );
        // 12:00 is not quiet; email has no quiet hours here.
        assert_eq!(
            after_quiet_hours(t("2026-11-26T11:00:00Z"), Channel::Sms, &q, &stockholm()),
            t("2026-11-26T11:00:00Z")
        );
        assert_eq!(
            after_quiet_hours(t("2026-11-25T21:30:00Z"), Channel::Email, &q, &stockholm()),
            t("2026-11-25T21:30:00Z")
        );
        // Helsinki is an hour ahead: 21:30Z is 23:30 there → 08:00 Helsinki = 06:00Z.
        let helsinki = TimeZone::get("Europe/Helsinki").unwrap();
        assert_eq!(
            after_quiet_hours(t("2026-11-25T21:30:00Z"), Channel::Sms, &q, &helsinki),
            t("2026-11-26T06:00:00Z")
        );
    }

    #[test]
    fn quiet_hours_follow_daylight_saving_time() {
        // The night summer time ends (25 Oct 2026): 08:00 local is 07:00Z, not 06:00Z.
        let q = [night(Channel::Sms)];
        assert_eq!(
            after_quiet_hours(t("2026-10-24T20:00:00Z"), Channel::Sms, &q, &stockholm()),
            t("2026-10-25T07:00:00Z")
        );
    }

    #[test]
    fn same_day_windows_and_touching_windows() {
        let lunch = QuietHours {
            channel: Channel::Sms,
            from: "12:00".parse().unwrap(),
            until: "13:00".parse().unwrap(),
        };
        let after = QuietHours {
            channel: Channel::Sms,
            from: "13:00".parse().unwrap(),
            until: "14:00".parse().unwrap(),
        };
        assert_eq!(
            after_quiet_hours(t("2026-11-26T11:30:00Z"), Channel::Sms, &[lunch, after], &stockholm()),
            t("2026-11-26T13:00:00Z")
        );
    }

    #[test]
    fn reminders_at_a_local_time_of_day() {
        let deadline = t("2026-12-04T17:00:00Z"); // 18:00 in Stockholm
        let at = Some("09:30".parse().unwrap());
        assert_eq!(
            days_before(deadline, 2, at, &stockholm()),
            Some(t("2026-12-02T08:30:00Z"))
        );
        assert_eq!(
            days_before(deadline, 2, None, &stockholm()),
            Some(t("2026-12-02T17:00:00Z"))
        );
    }

    #[test]
    fn windows_covering_the_whole_day_are_spotted_and_touching_ones_settle() {
        let w = |from: &str, until: &str| QuietHours {
            channel: Channel::Sms,
            from: from.parse().unwrap(),
            until: until.parse().unwrap(),
        };
        assert!(covers_whole_day(
            &[w("00:00", "12:00"), w("12:00", "00:00")],
            Channel::Sms
        ));
        assert!(!covers_whole_day(
            &[w("00:00", "12:00"), w("12:01", "00:00")],
            Channel::Sms
        ));
        assert!(!covers_whole_day(
            &[w("00:00", "12:00"), w("12:00", "00:00")],
            Channel::Email
        ));
        let chain = [
            w("10:00", "11:00"),
            w("11:00", "12:00"),
            w("12:00", "13:00"),
            w("13:00", "14:00"),
            w("14:00", "15:00"),
        ];
        assert_eq!(
            after_quiet_hours(t("2026-11-26T09:30:00Z"), Channel::Sms, &chain, &stockholm()),
            t("2026-11-26T14:00:00Z"),
            "five touching windows: out at 15:00 local"
        );
    }

    #[test]
    fn times_are_checked() {
        assert!("8:00".parse::<LocalTime>().is_err());
        assert!("25:00".parse::<LocalTime>().is_err());
        assert_eq!("07:05".parse::<LocalTime>().unwrap().to_string(), "07:05");
        assert!(
            QuietHours {
                channel: Channel::Sms,
                from: "08:00".parse().unwrap(),
                until: "08:00".parse().unwrap()
            }
            .check()
            .is_err()
        );
    }
}
