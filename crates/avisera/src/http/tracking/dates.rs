//! Days and times as a receiver reads them in their language: "tisdag 8 december",
//! "tirsdag 8. desember kl. 14:05", "ke 23.12." for a week of opening hours.

use super::language::Language;
use jiff::ZonedDateTime;
use jiff::civil::Date;

fn weekday(date: Date, language: Language) -> &'static str {
    let i = date.weekday().to_monday_zero_offset() as usize;
    let names = match language {
        Language::En => [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ],
        Language::Sv => ["måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"],
        Language::Nb | Language::Da => ["mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag"],
        Language::Fi => [
            "maanantai",
            "tiistai",
            "keskiviikko",
            "torstai",
            "perjantai",
            "lauantai",
            "sunnuntai",
        ],
    };
    names[i]
}

fn month(date: Date, language: Language) -> &'static str {
    let i = date.month() as usize - 1;
    let names = match language {
        Language::En => [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
        Language::Sv => [
            "januari",
            "februari",
            "mars",
            "april",
            "maj",
            "juni",
            "juli",
            "augusti",
            "september",
            "oktober",
            "november",
            "december",
        ],
        Language::Nb => [
            "januar",
            "februar",
            "mars",
            "april",
            "mai",
            "juni",
            "juli",
            "august",
            "september",
            "oktober",
            "november",
            "desember",
        ],
        Language::Da => [
            "januar",
            "februar",
            "marts",
            "april",
            "maj",
            "juni",
            "juli",
            "august",
            "september",
            "oktober",
            "november",
            "december",
        ],
        // After a day, Finnish names the month in the partitive: "8. joulukuuta".
        Language::Fi => [
            "tammikuuta",
            "helmikuuta",
            "maaliskuuta",
            "huhtikuuta",
            "toukokuuta",
            "kesäkuuta",
            "heinäkuuta",
            "elokuuta",
            "syyskuuta",
            "lokakuuta",
            "marraskuuta",
            "joulukuuta",
        ],
    };
    names[i]
}

/// "Tuesday 8 December", "tisdag 8 december", "tirsdag 8. desember", "tiistai 8. joulukuuta".
pub fn long_date(date: Date, language: Language) -> String {
    let (day, name) = (date.day(), weekday(date, language));
    match language {
        Language::En | Language::Sv => format!("{name} {day} {}", month(date, language)),
        Language::Nb | Language::Da | Language::Fi => format!("{name} {day}. {}", month(date, language)),
    }
}

/// The day and the clock time: "tisdag 8 december kl. 14:05", "tiistai 8. joulukuuta klo 14.05".
pub fn date_time(at: &ZonedDateTime, language: Language) -> String {
    let day = long_date(at.date(), language);
    let (h, m) = (at.hour(), at.minute());
    match language {
        Language::En => format!("{day}, {h:02}:{m:02}"),
        Language::Fi => format!("{day} {} {h}.{m:02}", language.word("at")),
        _ => format!("{day} {} {h:02}:{m:02}", language.word("at")),
    }
}

/// A day in a week of opening hours: "ons 23/12", "Wed 23/12", "ke 23.12.".
pub fn short_day(date: Date, language: Language) -> String {
    let i = date.weekday().to_monday_zero_offset() as usize;
    let names = match language {
        Language::En => ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        Language::Sv => ["mån", "tis", "ons", "tor", "fre", "lör", "sön"],
        Language::Nb | Language::Da => ["man", "tir", "ons", "tor", "fre", "lør", "søn"],
        Language::Fi => ["ma", "ti", "ke", "to", "pe", "la", "su"],
    };
    match language {
        Language::Fi => format!("{} {}.{}.", names[i], date.day(), date.month()),
        _ => format!("{} {}/{}", names[i], date.day(), date.month()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn a_date_reads_as_each_language_writes_it() {
        let tuesday = date(2026, 12, 8);
        let expected = [
            (Language::Sv, "tisdag 8 december"),
            (Language::Nb, "tirsdag 8. desember"),
            (Language::Da, "tirsdag 8. december"),
            (Language::Fi, "tiistai 8. joulukuuta"),
            (Language::En, "Tuesday 8 December"),
        ];
        for (language, text) in expected {
            assert_eq!(long_date(tuesday, language), text);
        }
        assert_eq!(long_date(date(2027, 3, 1), Language::Da), "mandag 1. marts");
        assert_eq!(long_date(date(2027, 5, 16), Language::Nb), "søndag 16. mai");
    }

    #[test]
    fn a_time_is_local_to_the_zone_it_is_given_in() {
        // 13:05 UTC is 14:05 in Stockholm in winter, 15:05 in Helsinki.
        let at: jiff::Timestamp = "2026-12-08T13:05:00Z".parse().unwrap();
        let stockholm = at.in_tz("Europe/Stockholm").unwrap();
        assert_eq!(date_time(&stockholm, Language::Sv), "tisdag 8 december kl. 14:05");
        assert_eq!(date_time(&stockholm, Language::Nb), "tirsdag 8. desember kl. 14:05");
        assert_eq!(date_time(&stockholm, Language::En), "Tuesday 8 December, 14:05");
        let helsinki = at.in_tz("Europe/Helsinki").unwrap();
        assert_eq!(date_time(&helsinki, Language::Fi), "tiistai 8. joulukuuta klo 15.05");
        // Just before midnight UTC is already the next day in Stockholm.
        let late: jiff::Timestamp = "2026-12-08T23:30:00Z".parse().unwrap();
        let next = late.in_tz("Europe/Stockholm").unwrap();
        assert_eq!(date_time(&next, Language::Da), "onsdag 9. december kl. 00:30");
    }

    #[test]
    fn a_day_of_opening_hours_is_short() {
        let wednesday = date(2026, 12, 23);
        assert_eq!(short_day(wednesday, Language::Sv), "ons 23/12");
        assert_eq!(short_day(wednesday, Language::En), "Wed 23/12");
        assert_eq!(short_day(wednesday, Language::Nb), "ons 23/12");
        assert_eq!(short_day(wednesday, Language::Da), "ons 23/12");
        assert_eq!(short_day(wednesday, Language::Fi), "ke 23.12.");
    }
}
