//! DTM values (C507: qualifier, value, format code 2379) read into a date and time with the
//! offset when the format carries one.

use crate::error::{ErrorKind, ParseError, Position, quoted};
use crate::segments::Segment;

/// A date and time as the sender wrote it. `offset_minutes` is `None` when the format has no
/// zone (102, 203, 204): the reader of the value decides which zone that means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime {
    pub year: i16,
    pub month: i8,
    pub day: i8,
    pub hour: i8,
    pub minute: i8,
    pub second: i8,
    pub offset_minutes: Option<i16>,
}

fn num(s: &str, range: std::ops::RangeInclusive<i32>) -> Option<i32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<i32>().ok().filter(|n| range.contains(n))
}

fn days_in_month(year: i32, month: i32) -> i32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn zone(z: &str) -> Option<i16> {
    match z {
        "UTC" | "GMT" | "Z" => return Some(0),
        "CET" => return Some(60),
        "CES" | "EET" => return Some(120),
        _ => {}
    }
    let (sign, digits) = match z.as_bytes().first()? {
        b'+' => (1, &z[1..]),
        b'-' => (-1, &z[1..]),
        _ => return None,
    };
    let (h, m) = match digits.len() {
        2 => (num(digits, 0..=14)?, 0),
        4 => (num(&digits[..2], 0..=14)?, num(&digits[2..], 0..=59)?),
        _ => return None,
    };
    i16::try_from(sign * (h * 60 + m)).ok()
}

/// Reads `value` in `format` (102, 203, 204, 205, 303, 304; by length when the format is
/// absent). `None` when the value does not fit the format.
pub fn parse(value: &str, format: Option<&str>) -> Option<DateTime> {
    if !value.is_ascii() {
        return None;
    }
    let format = match format {
        Some(f) => f,
        None => match value.len() {
            8 => "102",
            12 => "203",
            14 => "204",
            _ => return None,
        },
    };
    let (digits, zone_part) = match format {
        "102" => (8, None),
        "203" => (12, None),
        "204" => (14, None),
        "205" | "303" => (12, Some(value.get(12..)?)),
        "304" => (14, Some(value.get(14..)?)),
        _ => return None,
    };
    if zone_part.is_none() && value.len() != digits {
        return None;
    }
    let d = value.get(..digits)?;
    let year = num(&d[0..4], 1900..=2999)?;
    let month = num(&d[4..6], 1..=12)?;
    let day = num(&d[6..8], 1..=days_in_month(year, month))?;
    let (hour, minute) = if digits >= 12 {
        (num(&d[8..10], 0..=23)?, num(&d[10..12], 0..=59)?)
    } else {
        (0, 0)
    };
    let second = if digits == 14 { num(&d[12..14], 0..=59)? } else { 0 };
    let offset_minutes = match zone_part {
        Some(z) => Some(zone(z)?),
        None => None,
    };
    Some(DateTime {
        year: i16::try_from(year).ok()?,
        month: i8::try_from(month).ok()?,
        day: i8::try_from(day).ok()?,
        hour: i8::try_from(hour).ok()?,
        minute: i8::try_from(minute).ok()?,
        second: i8::try_from(second).ok()?,
        offset_minutes,
    })
}

/// The qualifier of a DTM segment and its value read; the error names element 1.2.
pub(crate) fn from_dtm(seg: Segment<'_>, position: impl Fn() -> Position) -> Result<(String, DateTime), ParseError> {
    let qualifier = seg.get(1, 1).unwrap_or("").to_string();
    let raw = seg.get(1, 2).unwrap_or("");
    let format = seg.get(1, 3);
    parse(raw, format).map(|dt| (qualifier, dt)).ok_or_else(|| {
        ParseError::new(
            ErrorKind::Content,
            position().at_element(1, Some(2)),
            format!(
                "a date/time in format {} (102 CCYYMMDD, 203 CCYYMMDDHHMM, 204 CCYYMMDDHHMMSS, 205 CCYYMMDDHHMM+HHMM, 303 CCYYMMDDHHMMZZZ)",
                format.unwrap_or("by length")
            ),
            Some(quoted(raw)),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let dt = parse("202611251405", Some("203")).unwrap();
        assert_eq!(
            (dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.offset_minutes),
            (2026, 11, 25, 14, 5, None)
        );
        assert_eq!(
            parse("202611251405+0100", Some("205")).unwrap().offset_minutes,
            Some(60)
        );
        assert_eq!(parse("202611251405UTC", Some("303")).unwrap().offset_minutes, Some(0));
        assert_eq!(parse("20261125", None).unwrap().hour, 0);
        assert_eq!(parse("20261325", None), None);
        assert_eq!(parse("20260229", None), None, "2026 is no leap year");
        assert_eq!(parse("20280229", None).unwrap().day, 29);
        assert_eq!(parse("20261131", None), None);
        assert_eq!(parse("2026112514", Some("203")), None);
        assert_eq!(parse("2026112514059", Some("203")), None);
        assert_eq!(parse("20261125ä405", Some("203")), None);
    }
}
