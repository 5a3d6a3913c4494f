//! The opening-hours parser on generated input: any text gives hours or an error inside the
//! text, never a panic; generated weekday rules mean what OpenStreetMap says they mean (the
//! last rule that names a day decides it).

use avisera_domain::opening_hours::{OpeningHours, describe};
use jiff::ToSpan;
use jiff::civil::date;
use proptest::prelude::*;

const DAYS: [&str; 7] = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];

fn hm(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

proptest! {
    #[test]
    fn any_text_parses_or_says_where_it_went_wrong(text in "[ -~åäö]{0,60}") {
        if let Err(e) = text.parse::<OpeningHours>() {
            prop_assert!(e.position >= 1 && e.position <= text.chars().count() + 1, "{}: {}", text, e);
        }
    }

    #[test]
    fn the_last_rule_naming_a_day_decides_it(
        rules in prop::collection::vec((0usize..7, 0usize..7, prop::option::of((0u16..720, 1u16..720))), 1..6),
    ) {
        let mut model: [Option<String>; 7] = Default::default();
        let mut parts = Vec::new();
        for (first, last, times) in &rules {
            let days = if first == last { DAYS[*first].to_string() } else { format!("{}-{}", DAYS[*first], DAYS[*last]) };
            let spans = times.map(|(from, len)| format!("{}-{}", hm(from), hm(from + len)));
            parts.push(format!("{days} {}", spans.clone().unwrap_or_else(|| "off".into())));
            let mut d = *first;
            loop {
                model[d] = Some(spans.clone().unwrap_or_default());
                if d == *last { break; }
                d = (d + 1) % 7;
            }
        }
        let text = parts.join("; ");
        let hours: OpeningHours = text.parse().map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        let monday = date(2026, 12, 7);
        for (i, expected) in model.iter().enumerate() {
            let day = monday.checked_add((i as i64).days()).unwrap();
            prop_assert_eq!(&describe(hours.on(day, false)), &expected.clone().unwrap_or_default(), "{} on {}", text, DAYS[i]);
        }
    }
}
