//! A pickup point's opening hours, in the common part of OpenStreetMap's `opening_hours` syntax
//! (`Mo-Fr 09:00-20:00; Sa 10:00-16:00; PH off`, `24/7`), and what they say about one day.
//! Anything outside that part is refused with the character where it starts.

use jiff::civil::Date;
use std::fmt;
use std::str::FromStr;

/// Opening hours that parsed: rules in order, a later one replacing an earlier one on the days
/// both select (as in OpenStreetMap: `Mo-Sa 09:00-20:00; Sa 10:00-16:00`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpeningHours {
    rules: Vec<HoursRule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct HoursRule {
    /// Monday first; all false with `holidays` false means every day.
    weekdays: [bool; 7],
    /// `PH`: public holidays.
    holidays: bool,
    /// Empty: closed.
    spans: Vec<Span>,
}

/// Open from `from` to `until`, minutes after midnight; `until` is at most 24:00, or past
/// midnight into the next day when it is not after `from` (`22:00-02:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub from: u16,
    pub until: u16,
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
        write!(f, "{}-{}", hm(self.from), hm(self.until))
    }
}

/// Times of one day as text: `09:00-12:00, 13:00-18:00`; empty when closed.
pub fn describe(spans: &[Span]) -> String {
    spans.iter().map(Span::to_string).collect::<Vec<_>>().join(", ")
}

/// Where the text stops being opening hours we read, and what was expected there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at character {position}: {message}")]
pub struct HoursError {
    /// 1-based, in characters.
    pub position: usize,
    pub message: String,
}

/// OpenStreetMap's weekday names, Monday first.
const DAYS: [&str; 7] = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];

const HINT: &str = "write days like Mo-Fr, Sa,Su or PH, then times like 09:00-17:00 or off, rules separated by ;";

impl OpeningHours {
    /// The times the point is open on `date` (`holiday`: a public holiday there); empty when
    /// it is closed.
    pub fn on(&self, date: Date, holiday: bool) -> &[Span] {
        let day = date.weekday().to_monday_zero_offset() as usize;
        self.rules
            .iter()
            .rev()
            .find(|r| {
                let every_day = !r.holidays && r.weekdays.iter().all(|d| !d);
                every_day || r.weekdays[day] || (r.holidays && holiday)
            })
            .map_or(&[], |r| r.spans.as_slice())
    }

    pub fn is_open_on(&self, date: Date, holiday: bool) -> bool {
        !self.on(date, holiday).is_empty()
    }

    /// The times of `days` days from `start` (empty: closed), for a week's view;
    /// `holiday` says which dates are public holidays where the point is.
    pub fn days_from(&self, start: Date, days: u8, holiday: impl Fn(Date) -> bool) -> Vec<(Date, &[Span])> {
        start
            .series(jiff::Span::new().days(1))
            .take(usize::from(days))
            .map(|d| (d, self.on(d, holiday(d))))
            .collect()
    }

    /// Open on `date` at some moment before `minute` (minutes after midnight).
    pub fn opens_before(&self, date: Date, holiday: bool, minute: u16) -> bool {
        self.on(date, holiday).iter().any(|s| s.from < minute)
    }
}

impl FromStr for OpeningHours {
    type Err = HoursError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut p = Parser {
            chars: s.chars().collect(),
            at: 0,
        };
        let mut rules = Vec::new();
        loop {
            p.skip_spaces();
            if p.done() {
                break;
            }
            if p.peek() == Some(';') {
                p.at += 1;
                continue;
            }
            rules.push(p.rule()?);
            p.skip_spaces();
            match p.peek() {
                None => break,
                Some(';') => p.at += 1,
                Some(_) => return Err(p.error(format!("expected ; between rules; {HINT}"))),
            }
        }
        if rules.is_empty() {
            return Err(HoursError {
                position: 1,
                message: format!("no opening hours given; {HINT}"),
            });
        }
        Ok(OpeningHours { rules })
    }
}

struct Parser {
    chars: Vec<char>,
    at: usize,
}

impl Parser {
    fn done(&self) -> bool {
        self.at >= self.chars.len()
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.at += 1;
        }
    }

    /// The word starting here (letters, digits, `/`, `:`), as written, for error messages.
    fn word(&self) -> String {
        self.chars[self.at..]
            .iter()
            .take_while(|c| c.is_alphanumeric() || matches!(c, '/' | ':'))
            .collect()
    }

    fn error(&self, message: impl Into<String>) -> HoursError {
        HoursError {
            position: self.at + 1,
            message: message.into(),
        }
    }

    fn unexpected(&self, what: &str) -> HoursError {
        let found = match self.peek() {
            None => "the end".to_string(),
            Some(c) if self.word().is_empty() => format!("{c:?}"),
            Some(_) => format!("{:?}", self.word()),
        };
        self.error(format!("expected {what}, found {found}; {HINT}"))
    }

    /// Whether `text` (any case) comes next as a whole word.
    fn sees(&self, text: &str) -> bool {
        let n = text.chars().count();
        let here: String = self.chars[self.at..].iter().take(n).collect();
        let after = self.chars.get(self.at + n);
        here.eq_ignore_ascii_case(text) && !after.is_some_and(|c| c.is_alphanumeric())
    }

    /// Takes `text` when it comes next as a whole word.
    fn keyword(&mut self, text: &str) -> bool {
        let seen = self.sees(text);
        if seen {
            self.at += text.chars().count();
        }
        seen
    }

    fn rule(&mut self) -> Result<HoursRule, HoursError> {
        let mut rule = HoursRule {
            weekdays: [false; 7],
            holidays: false,
            spans: Vec::new(),
        };
        if self.keyword("24/7") {
            rule.spans.push(Span {
                from: 0,
                until: 24 * 60,
            });
            return Ok(rule);
        }
        let selected = self.days(&mut rule)?;
        self.skip_spaces();
        let word_at = self.at;
        if self.keyword("off") || self.keyword("closed") {
            if !selected {
                // `off` alone would close every day: surely not what was meant.
                return Err(HoursError {
                    position: word_at + 1,
                    message: format!("off needs days before it, like Su off or PH off; {HINT}"),
                });
            }
            return Ok(rule);
        }
        match self.peek() {
            // Days alone are open all day, as in OpenStreetMap.
            None | Some(';') if selected => rule.spans.push(Span {
                from: 0,
                until: 24 * 60,
            }),
            Some(c) if c.is_ascii_digit() => rule.spans = self.spans()?,
            _ if selected => return Err(self.unexpected("times like 09:00-17:00 or off")),
            _ => return Err(self.unexpected("days like Mo-Fr or times like 09:00-17:00")),
        }
        Ok(rule)
    }

    /// Weekdays, weekday ranges and `PH`, separated by commas; false when none is there.
    fn days(&mut self, rule: &mut HoursRule) -> Result<bool, HoursError> {
        if !self.peek().is_some_and(|c| c.is_alphabetic()) || self.sees("off") || self.sees("closed") {
            return Ok(false);
        }
        loop {
            if self.keyword("PH") {
                rule.holidays = true;
            } else {
                let first = self.weekday()?;
                let last = if self.peek() == Some('-') {
                    self.at += 1;
                    self.weekday()?
                } else {
                    first
                };
                // A range may wrap over the week's end: Fr-Mo.
                let mut d = first;
                loop {
                    rule.weekdays[d] = true;
                    if d == last {
                        break;
                    }
                    d = (d + 1) % 7;
                }
            }
            if self.peek() == Some(',') && self.chars.get(self.at + 1).is_some_and(|c| c.is_alphabetic()) {
                self.at += 1;
            } else {
                return Ok(true);
            }
        }
    }

    /// A weekday's two letters, Monday = 0.
    fn weekday(&mut self) -> Result<usize, HoursError> {
        for (i, name) in DAYS.iter().enumerate() {
            let here: String = self.chars[self.at..].iter().take(2).collect();
            let after = self.chars.get(self.at + 2);
            if here.eq_ignore_ascii_case(name) && !after.is_some_and(|c| c.is_alphabetic()) {
                self.at += 2;
                return Ok(i);
            }
        }
        Err(self.unexpected("a day (Mo, Tu, We, Th, Fr, Sa, Su) or PH"))
    }

    fn spans(&mut self) -> Result<Vec<Span>, HoursError> {
        let mut spans = Vec::new();
        loop {
            let span_at = self.at;
            let from = self.time(false)?;
            if self.peek() != Some('-') {
                return Err(self.unexpected("- and the closing time"));
            }
            self.at += 1;
            let until = self.time(true)?;
            if from == until {
                return Err(HoursError {
                    position: span_at + 1,
                    message: format!("{} opens and closes at the same time", Span { from, until }),
                });
            }
            spans.push(Span { from, until });
            self.skip_spaces();
            if self.peek() == Some(',') {
                self.at += 1;
                self.skip_spaces();
                if !self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    return Err(self.unexpected("another time span (a new rule starts after ;)"));
                }
            } else {
                return Ok(spans);
            }
        }
    }

    /// `HH:MM` (one hour digit is fine); 24:00 only as a closing time.
    fn time(&mut self, closing: bool) -> Result<u16, HoursError> {
        let start = self.at;
        let digits = |p: &mut Parser| {
            let from = p.at;
            while p.peek().is_some_and(|c| c.is_ascii_digit()) {
                p.at += 1;
            }
            p.chars[from..p.at].iter().collect::<String>()
        };
        let bad = |p: &Parser| HoursError {
            position: start + 1,
            message: format!(
                "{:?} is not a time like 09:00; {HINT}",
                p.chars[start..]
                    .iter()
                    .take_while(|c| !c.is_whitespace() && !matches!(c, ';' | ','))
                    .collect::<String>()
            ),
        };
        let h = digits(self);
        if self.peek() != Some(':') || !(1..=2).contains(&h.len()) {
            return Err(bad(self));
        }
        self.at += 1;
        let m = digits(self);
        if m.len() != 2 {
            return Err(bad(self));
        }
        let (h, m): (u16, u16) = (h.parse().map_err(|_| bad(self))?, m.parse().map_err(|_| bad(self))?);
        match (h, m) {
            (0..=23, 0..=59) => Ok(h * 60 + m),
            (24, 0) if closing => Ok(24 * 60),
            _ => Err(bad(self)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn hours(s: &str) -> OpeningHours {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn today(h: &OpeningHours, d: Date, holiday: bool) -> String {
        describe(h.on(d, holiday))
    }

    // 7 Dec 2026 is a Monday.
    const MON: Date = date(2026, 12, 7);
    const SAT: Date = date(2026, 12, 12);
    const SUN: Date = date(2026, 12, 13);

    #[test]
    fn the_common_forms() {
        let h = hours("Mo-Fr 09:00-20:00; Sa 10:00-16:00; PH off");
        assert_eq!(today(&h, MON, false), "09:00-20:00");
        assert_eq!(today(&h, SAT, false), "10:00-16:00");
        assert_eq!(today(&h, SUN, false), "", "no rule for Sunday: closed");
        assert_eq!(today(&h, MON, true), "", "PH off wins on a holiday");
        assert!(h.opens_before(MON, false, 10 * 60) && !h.opens_before(MON, false, 9 * 60));

        let h = hours("24/7");
        assert_eq!(today(&h, SUN, true), "00:00-24:00");
        let h = hours("mo,we,fr 08:00-12:00,13:00-17:00 ; Sa,Su off");
        assert_eq!(today(&h, date(2026, 12, 9), false), "08:00-12:00, 13:00-17:00");
        assert_eq!(today(&h, date(2026, 12, 8), false), "");
        let h = hours("Fr-Mo 22:00-02:00");
        assert_eq!(today(&h, SUN, false), "22:00-02:00");
        assert_eq!(today(&h, date(2026, 12, 8), false), "");
        // Times alone hold every day; a later rule replaces them where it applies.
        let h = hours("08:00-22:00; Su 10:00-18:00; PH 10:00-14:00");
        assert_eq!(today(&h, SAT, false), "08:00-22:00");
        assert_eq!(today(&h, SUN, false), "10:00-18:00");
        assert_eq!(today(&h, MON, true), "10:00-14:00");
        let h = hours("Mo-Su 07:00-24:00; Su,PH closed;");
        assert_eq!(today(&h, SAT, false), "07:00-24:00");
        assert_eq!(today(&h, SUN, false), "");
        let h = hours("Mo-Fr");
        assert_eq!(today(&h, MON, false), "00:00-24:00");
    }

    #[test]
    fn anything_else_is_refused_where_it_starts() {
        for (text, position, says) in [
            ("Mon-Fri 09:00-17:00", 1, "found \"Mon\""),
            ("Mo-Fr 9-17", 7, "\"9-17\" is not a time"),
            ("Mo-Fr 09:00-25:00", 13, "\"25:00\" is not a time"),
            ("Mo-Fr 09:00-17:00, Sa 10:00-14:00", 20, "another time span"),
            ("Mo-Fr 09:00-17:00 Sa 10:00-14:00", 19, "expected ; between rules"),
            ("Jan-Mar Mo-Fr 09:00-17:00", 1, "a day (Mo, Tu"),
            ("Mo-Fr sunrise-sunset", 7, "found \"sunrise\""),
            ("Mo-Fr 09:00-17:00 \"by appointment\"", 19, "expected ; between rules"),
            ("off", 1, "off needs days"),
            ("Mo 10:00-10:00", 4, "opens and closes at the same time"),
            ("", 1, "no opening hours given"),
            (" ; ", 1, "no opening hours given"),
            ("SH off", 1, "a day (Mo"),
            ("Mo-Fr 09:00", 12, "- and the closing time"),
        ] {
            let err = text.parse::<OpeningHours>().unwrap_err();
            assert_eq!(err.position, position, "{text}: {err}");
            assert!(err.to_string().contains(says), "{text}: {err}");
        }
    }
}
