//! The public holidays of Sweden, Norway, Denmark and Finland, computed from each country's
//! laws (a fixed date, so many days from Easter, "the Saturday between 20 and 26 June"), with
//! the days that are off in practice but not by law (julafton and its kin) marked `de_facto`.

use jiff::ToSpan;
use jiff::civil::{Date, Weekday};
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// A country whose holidays Avisera knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Country {
    Se,
    No,
    Dk,
    Fi,
}

/// The years the laws below are written for: from the 1955 reform of Finland's midsummer and
/// All Saints' Day (Sweden's came in 1953) to 2200.
pub const FIRST_YEAR: i16 = 1955;
pub const LAST_YEAR: i16 = 2200;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HolidayError {
    #[error("country {0:?}: holidays are known for SE, NO, DK and FI")]
    UnknownCountry(String),
    #[error("year {0}: holidays are known for the years {FIRST_YEAR} to {LAST_YEAR}")]
    YearOutOfRange(i64),
}

impl Country {
    pub const ALL: [Country; 4] = [Country::Se, Country::No, Country::Dk, Country::Fi];

    /// The ISO 3166 alpha-2 code.
    pub fn code(self) -> &'static str {
        match self {
            Country::Se => "SE",
            Country::No => "NO",
            Country::Dk => "DK",
            Country::Fi => "FI",
        }
    }

    /// The country of an IANA zone, for a receiver known only by their zone.
    pub fn of_zone(zone: &str) -> Option<Country> {
        match zone {
            "Europe/Stockholm" => Some(Country::Se),
            "Europe/Oslo" => Some(Country::No),
            "Europe/Copenhagen" => Some(Country::Dk),
            "Europe/Helsinki" | "Europe/Mariehamn" => Some(Country::Fi),
            _ => None,
        }
    }

    fn laws(self) -> &'static [Law] {
        match self {
            Country::Se => SWEDEN,
            Country::No => NORWAY,
            Country::Dk => DENMARK,
            Country::Fi => FINLAND,
        }
    }
}

impl FromStr for Country {
    type Err = HolidayError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Country::ALL
            .into_iter()
            .find(|c| c.code().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| HolidayError::UnknownCountry(s.to_string()))
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A year the laws are written for.
pub fn check_year(year: i64) -> Result<i16, HolidayError> {
    i16::try_from(year)
        .ok()
        .filter(|y| (FIRST_YEAR..=LAST_YEAR).contains(y))
        .ok_or(HolidayError::YearOutOfRange(year))
}

/// One holiday of one year, named in the country's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Holiday {
    pub date: Date,
    pub name: &'static str,
    /// Off in practice (shops close early or shut, most people are free), but not by law.
    pub de_facto: bool,
}

/// How a holiday's date follows from the year.
#[derive(Debug, Clone, Copy)]
enum Day {
    /// The same month and day every year.
    Fixed(i8, i8),
    /// So many days after Easter Sunday (before it when negative).
    Easter(i16),
    /// The first such weekday on or after the month and day: midsommardagen is the Saturday
    /// on or after 20 June, that is the Saturday between 20 and 26 June.
    FirstOnOrAfter(Weekday, i8, i8),
    /// Sweden's Marie bebådelsedag until 1989: the Sunday between 22 and 28 March, or the
    /// Sunday before Palm Sunday when that Sunday is Palm Sunday or Easter Sunday.
    SwedishAnnunciation,
}

/// A holiday as a law makes it, for the years it was law.
struct Law {
    name: &'static str,
    day: Day,
    de_facto: bool,
    from: i16,
    until: i16,
}

const fn official(name: &'static str, day: Day) -> Law {
    Law {
        name,
        day,
        de_facto: false,
        from: i16::MIN,
        until: i16::MAX,
    }
}

const fn de_facto(name: &'static str, day: Day) -> Law {
    Law {
        de_facto: true,
        ..official(name, day)
    }
}

impl Law {
    const fn from(self, year: i16) -> Law {
        Law { from: year, ..self }
    }

    const fn until(self, year: i16) -> Law {
        Law { until: year, ..self }
    }
}

use Day::{Easter, FirstOnOrAfter, Fixed};
use Weekday::{Friday, Saturday};

/// Lag (1989:253) om allmänna helgdagar, as amended in 2004 (Nationaldagen for Annandag pingst).
const SWEDEN: &[Law] = &[
    official("Nyårsdagen", Fixed(1, 1)),
    official("Trettondedag jul", Fixed(1, 6)),
    official("Marie bebådelsedag", Day::SwedishAnnunciation).until(1989),
    official("Långfredagen", Easter(-2)),
    official("Påskdagen", Easter(0)),
    official("Annandag påsk", Easter(1)),
    official("Första maj", Fixed(5, 1)),
    official("Kristi himmelsfärdsdag", Easter(39)),
    official("Pingstdagen", Easter(49)),
    official("Annandag pingst", Easter(50)).until(2004),
    official("Nationaldagen", Fixed(6, 6)).from(2005),
    de_facto("Midsommarafton", FirstOnOrAfter(Friday, 6, 19)),
    official("Midsommardagen", FirstOnOrAfter(Saturday, 6, 20)),
    official("Alla helgons dag", FirstOnOrAfter(Saturday, 10, 31)),
    de_facto("Julafton", Fixed(12, 24)),
    official("Juldagen", Fixed(12, 25)),
    official("Annandag jul", Fixed(12, 26)),
    de_facto("Nyårsafton", Fixed(12, 31)),
];

/// Lov om helligdager og helligdagsfred (1995) and lov om 1. og 17. mai som høgtidsdager (1947).
const NORWAY: &[Law] = &[
    official("Første nyttårsdag", Fixed(1, 1)),
    official("Skjærtorsdag", Easter(-3)),
    official("Langfredag", Easter(-2)),
    official("Første påskedag", Easter(0)),
    official("Andre påskedag", Easter(1)),
    official("Arbeidernes dag", Fixed(5, 1)),
    official("Kristi himmelfartsdag", Easter(39)),
    official("Grunnlovsdag", Fixed(5, 17)),
    official("Første pinsedag", Easter(49)),
    official("Andre pinsedag", Easter(50)),
    de_facto("Julaften", Fixed(12, 24)),
    official("Første juledag", Fixed(12, 25)),
    official("Andre juledag", Fixed(12, 26)),
    de_facto("Nyttårsaften", Fixed(12, 31)),
];

/// Helligdagsloven; Store bededag was abolished from 2024 (lov nr. 214 af 6. marts 2023).
/// Grundlovsdag is a day off by agreement, not a helligdag.
const DENMARK: &[Law] = &[
    official("Nytårsdag", Fixed(1, 1)),
    official("Skærtorsdag", Easter(-3)),
    official("Langfredag", Easter(-2)),
    official("Påskedag", Easter(0)),
    official("Anden påskedag", Easter(1)),
    official("Store bededag", Easter(26)).until(2023),
    official("Kristi himmelfartsdag", Easter(39)),
    official("Pinsedag", Easter(49)),
    official("Anden pinsedag", Easter(50)),
    de_facto("Grundlovsdag", Fixed(6, 5)),
    de_facto("Juleaftensdag", Fixed(12, 24)),
    official("Juledag", Fixed(12, 25)),
    official("Anden juledag", Fixed(12, 26)),
    de_facto("Nytårsaften", Fixed(12, 31)),
];

/// Kirkkolaki's holy days, Vappu and Itsenäisyyspäivä. From 1973 to 1990 Loppiainen and
/// Helatorstai were moved to Saturdays.
const FINLAND: &[Law] = &[
    official("Uudenvuodenpäivä", Fixed(1, 1)),
    official("Loppiainen", Fixed(1, 6)).until(1972),
    official("Loppiainen", FirstOnOrAfter(Saturday, 1, 6))
        .from(1973)
        .until(1990),
    official("Loppiainen", Fixed(1, 6)).from(1991),
    official("Pitkäperjantai", Easter(-2)),
    official("Pääsiäispäivä", Easter(0)),
    official("Toinen pääsiäispäivä", Easter(1)),
    official("Vappu", Fixed(5, 1)),
    official("Helatorstai", Easter(39)).until(1972),
    official("Helatorstai", Easter(34)).from(1973).until(1990),
    official("Helatorstai", Easter(39)).from(1991),
    official("Helluntaipäivä", Easter(49)),
    de_facto("Juhannusaatto", FirstOnOrAfter(Friday, 6, 19)),
    official("Juhannuspäivä", FirstOnOrAfter(Saturday, 6, 20)),
    official("Pyhäinpäivä", FirstOnOrAfter(Saturday, 10, 31)),
    official("Itsenäisyyspäivä", Fixed(12, 6)),
    de_facto("Jouluaatto", Fixed(12, 24)),
    official("Joulupäivä", Fixed(12, 25)),
    official("Tapaninpäivä", Fixed(12, 26)),
];

/// Easter Sunday of a Gregorian year, by the anonymous algorithm (Meeus, *Astronomical
/// Algorithms*, ch. 8; also called Meeus/Jones/Butcher).
pub fn easter_sunday(year: i16) -> Date {
    let y = i32::from(year);
    let (a, b, c) = (y.rem_euclid(19), y.div_euclid(100), y.rem_euclid(100));
    let (d, e) = (b / 4, b % 4);
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let (i, k) = (c / 4, c % 4);
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    Date::new(year, month as i8, day as i8).expect("Easter falls in March or April")
}

/// The first `weekday` on or after `date`.
pub fn first_on_or_after(date: Date, weekday: Weekday) -> Date {
    let ahead = (weekday.to_monday_zero_offset() - date.weekday().to_monday_zero_offset()).rem_euclid(7);
    date.checked_add(i64::from(ahead).days()).expect("a date within a week")
}

fn date_of(day: Day, year: i16, easter: Date) -> Date {
    let on = |m: i8, d: i8| Date::new(year, m, d).expect("a date every year has");
    let after_easter = |n: i16| easter.checked_add(i64::from(n).days()).expect("a date near Easter");
    match day {
        Fixed(m, d) => on(m, d),
        Easter(n) => after_easter(n),
        FirstOnOrAfter(weekday, m, d) => first_on_or_after(on(m, d), weekday),
        Day::SwedishAnnunciation => {
            let sunday = first_on_or_after(on(3, 22), Weekday::Sunday);
            if sunday == after_easter(-7) || sunday == easter {
                after_easter(-14)
            } else {
                sunday
            }
        }
    }
}

/// The country's holidays of `year`, by date; a day that is two holidays (Norway's
/// Grunnlovsdag on Andre pinsedag) is listed twice. Years outside `FIRST_YEAR..=LAST_YEAR`
/// get today's laws as written, which were not all law then (see `check_year`).
pub fn holidays(country: Country, year: i16) -> Vec<Holiday> {
    let easter = easter_sunday(year);
    let mut out: Vec<Holiday> = country
        .laws()
        .iter()
        .filter(|law| (law.from..=law.until).contains(&year))
        .map(|law| Holiday {
            date: date_of(law.day, year, easter),
            name: law.name,
            de_facto: law.de_facto,
        })
        .collect();
    out.sort_by_key(|h| h.date);
    out
}

/// The holiday on `date`, if any: an official one before a de facto one.
pub fn holiday_on(country: Country, date: Date) -> Option<Holiday> {
    holidays(country, date.year())
        .into_iter()
        .filter(|h| h.date == date)
        .min_by_key(|h| h.de_facto)
}

/// A public holiday by law (what `PH` means in opening hours).
pub fn is_public_holiday(country: Country, date: Date) -> bool {
    holiday_on(country, date).is_some_and(|h| !h.de_facto)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn names(country: Country, year: i16) -> Vec<(String, &'static str, bool)> {
        holidays(country, year)
            .into_iter()
            .map(|h| (h.date.to_string(), h.name, h.de_facto))
            .collect()
    }

    #[test]
    fn sweden_2027() {
        let official: Vec<_> = names(Country::Se, 2027)
            .into_iter()
            .filter(|h| !h.2)
            .map(|h| format!("{} {}", h.0, h.1))
            .collect();
        assert_eq!(
            official,
            [
                "2027-01-01 Nyårsdagen",
                "2027-01-06 Trettondedag jul",
                "2027-03-26 Långfredagen",
                "2027-03-28 Påskdagen",
                "2027-03-29 Annandag påsk",
                "2027-05-01 Första maj",
                "2027-05-06 Kristi himmelsfärdsdag",
                "2027-05-16 Pingstdagen",
                "2027-06-06 Nationaldagen",
                "2027-06-26 Midsommardagen",
                "2027-11-06 Alla helgons dag",
                "2027-12-25 Juldagen",
                "2027-12-26 Annandag jul",
            ]
        );
        let de_facto: Vec<_> = names(Country::Se, 2027).into_iter().filter(|h| h.2).collect();
        assert_eq!(
            de_facto,
            [
                ("2027-06-25".into(), "Midsommarafton", true),
                ("2027-12-24".into(), "Julafton", true),
                ("2027-12-31".into(), "Nyårsafton", true),
            ]
        );
    }

    #[test]
    fn laws_change_by_year() {
        let has = |c: Country, y: i16, name: &str| holidays(c, y).iter().any(|h| h.name == name);
        // Denmark abolished Store bededag from 2024: Friday 5 May 2023 was its last.
        assert_eq!(
            holiday_on(Country::Dk, date(2023, 5, 5)).map(|h| h.name),
            Some("Store bededag")
        );
        assert!(!has(Country::Dk, 2024, "Store bededag"));
        // Sweden swapped Annandag pingst for Nationaldagen in 2005.
        assert!(has(Country::Se, 2004, "Annandag pingst") && !has(Country::Se, 2004, "Nationaldagen"));
        assert!(!has(Country::Se, 2005, "Annandag pingst") && has(Country::Se, 2005, "Nationaldagen"));
        // Finland moved Loppiainen and Helatorstai to Saturdays from 1973 to 1990.
        let on = |c: Country, y: i16, name: &str| holidays(c, y).into_iter().find(|h| h.name == name).unwrap().date;
        assert_eq!(on(Country::Fi, 1980, "Loppiainen"), date(1980, 1, 12));
        assert_eq!(on(Country::Fi, 1980, "Helatorstai"), date(1980, 5, 10));
        assert_eq!(on(Country::Fi, 1991, "Loppiainen"), date(1991, 1, 6));
        assert_eq!(holidays(Country::Fi, 1980).len(), holidays(Country::Fi, 1991).len());
    }

    #[test]
    fn every_country_has_its_known_count() {
        let count = |c: Country, y: i16| {
            let all = holidays(c, y);
            let de_facto = all.iter().filter(|h| h.de_facto).count();
            (all.len() - de_facto, de_facto)
        };
        assert_eq!(count(Country::Se, 2027), (13, 3));
        assert_eq!(count(Country::No, 2027), (12, 2));
        assert_eq!(count(Country::Dk, 2027), (10, 3));
        assert_eq!(count(Country::Dk, 2023), (11, 3));
        assert_eq!(count(Country::Fi, 2027), (13, 2));
        // Norway 2027: Grunnlovsdag is Andre pinsedag, both listed.
        let may17: Vec<_> = holidays(Country::No, 2027)
            .into_iter()
            .filter(|h| h.date == date(2027, 5, 17))
            .map(|h| h.name)
            .collect();
        assert_eq!(may17, ["Grunnlovsdag", "Andre pinsedag"]);
    }

    #[test]
    fn countries_and_years_are_checked() {
        assert_eq!("se".parse::<Country>(), Ok(Country::Se));
        assert_eq!(" FI ".parse::<Country>(), Ok(Country::Fi));
        let err = "DE".parse::<Country>().unwrap_err().to_string();
        assert_eq!(err, "country \"DE\": holidays are known for SE, NO, DK and FI");
        assert_eq!(check_year(2027), Ok(2027));
        assert_eq!(
            check_year(1954).unwrap_err().to_string(),
            "year 1954: holidays are known for the years 1955 to 2200"
        );
        assert!(check_year(100_000).is_err());
        assert_eq!(Country::of_zone("Europe/Mariehamn"), Some(Country::Fi));
        assert_eq!(Country::of_zone("Europe/Berlin"), None);
    }

    #[test]
    fn public_holidays_are_the_official_ones() {
        assert!(is_public_holiday(Country::Se, date(2027, 6, 26)));
        assert!(!is_public_holiday(Country::Se, date(2027, 6, 25)), "midsommarafton");
        assert!(!is_public_holiday(Country::Se, date(2027, 6, 24)));
        assert_eq!(
            holiday_on(Country::Se, date(2027, 12, 24)).map(|h| (h.name, h.de_facto)),
            Some(("Julafton", true))
        );
    }
}
