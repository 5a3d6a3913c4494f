//! The holiday rules checked against facts that do not come from them: Gauss's Easter
//! algorithm (with its two exceptions) for Meeus's, the weekday each movable day must fall on,
//! and each country's number of holidays by year, for every year from 1900 to 2200.

use avisera_domain::holidays::{Country, FIRST_YEAR, LAST_YEAR, easter_sunday, holidays};
use jiff::ToSpan;
use jiff::civil::{Date, Weekday, date};
use proptest::prelude::*;

/// Gauss's Easter algorithm for the Gregorian calendar.
fn gauss(year: i16) -> Date {
    let y = i32::from(year);
    let k = y / 100;
    let m = 15 + (3 * k + 3) / 4 - (8 * k + 13) / 25;
    let n = 4 + k - k / 4;
    let (a, b, c) = (y % 19, y % 4, y % 7);
    let d = (19 * a + m) % 30;
    let e = (2 * b + 4 * c + 6 * d + n) % 7;
    let march_day = 22 + d + e;
    let (month, day) = match (d, e) {
        (29, 6) => (4, 19),
        (28, 6) if (11 * m + 11) % 30 < 19 => (4, 18),
        _ if march_day > 31 => (4, march_day - 31),
        _ => (3, march_day),
    };
    date(year, month as i8, day as i8)
}

fn on(country: Country, year: i16, name: &str) -> Date {
    holidays(country, year)
        .into_iter()
        .find(|h| h.name == name)
        .unwrap_or_else(|| panic!("{country} {year} has no {name}"))
        .date
}

fn between(d: Date, first: Date, last: Date) -> bool {
    first <= d && d <= last
}

#[test]
fn known_easter_sundays() {
    for (year, easter) in [
        (1913, date(1913, 3, 23)),
        (1943, date(1943, 4, 25)),
        (2000, date(2000, 4, 23)),
        (2008, date(2008, 3, 23)),
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2027, date(2027, 3, 28)),
        (2038, date(2038, 4, 25)),
        (2100, date(2100, 3, 28)),
        (2200, date(2200, 4, 6)),
    ] {
        assert_eq!(easter_sunday(year), easter, "{year}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn easter_is_a_sunday_between_22_march_and_25_april_and_agrees_with_gauss(year in 1900i16..=2200) {
        let easter = easter_sunday(year);
        prop_assert_eq!(easter.weekday(), Weekday::Sunday);
        prop_assert!(between(easter, date(year, 3, 22), date(year, 4, 25)), "{}", easter);
        prop_assert_eq!(easter, gauss(year));
    }

    #[test]
    fn the_movable_days_fall_on_their_weekdays(year in 1900i16..=2200) {
        let easter = easter_sunday(year);
        let se = |name: &str| on(Country::Se, year, name);
        prop_assert_eq!(se("Långfredagen"), easter.checked_sub(2.days()).unwrap());
        prop_assert_eq!(se("Långfredagen").weekday(), Weekday::Friday);
        prop_assert_eq!(on(Country::No, year, "Skjærtorsdag").weekday(), Weekday::Thursday);
        let ascension = se("Kristi himmelsfärdsdag");
        prop_assert_eq!(ascension, easter.checked_add(39.days()).unwrap());
        prop_assert_eq!(ascension.weekday(), Weekday::Thursday);
        prop_assert!(between(ascension, date(year, 4, 30), date(year, 6, 3)));
        prop_assert_eq!(se("Pingstdagen").weekday(), Weekday::Sunday);
        prop_assert_eq!(on(Country::Dk, year, "Anden pinsedag").weekday(), Weekday::Monday);

        let midsummer = se("Midsommardagen");
        prop_assert_eq!(midsummer.weekday(), Weekday::Saturday);
        prop_assert!(between(midsummer, date(year, 6, 20), date(year, 6, 26)), "{}", midsummer);
        prop_assert_eq!(se("Midsommarafton"), midsummer.yesterday().unwrap());
        let all_saints = se("Alla helgons dag");
        prop_assert_eq!(all_saints.weekday(), Weekday::Saturday);
        prop_assert!(between(all_saints, date(year, 10, 31), date(year, 11, 6)), "{}", all_saints);
        prop_assert_eq!(on(Country::Fi, year, "Juhannuspäivä"), midsummer);
        prop_assert_eq!(on(Country::Fi, year, "Juhannusaatto").weekday(), Weekday::Friday);
        prop_assert_eq!(on(Country::Fi, year, "Pyhäinpäivä"), all_saints);
        if year <= 2023 {
            let bededag = on(Country::Dk, year, "Store bededag");
            prop_assert_eq!(bededag.weekday(), Weekday::Friday);
            prop_assert_eq!(bededag, easter.checked_add(26.days()).unwrap());
        }
    }

    #[test]
    fn every_year_has_its_countrys_number_of_holidays_in_order(year in FIRST_YEAR..=LAST_YEAR) {
        for country in Country::ALL {
            let list = holidays(country, year);
            let official = list.iter().filter(|h| !h.de_facto).count();
            let de_facto = list.len() - official;
            let expected = match country {
                // Marie bebådelsedag until 1989; Annandag pingst became Nationaldagen in 2005.
                Country::Se if year <= 1989 => (14, 3),
                Country::Se => (13, 3),
                Country::No => (12, 2),
                Country::Dk if year <= 2023 => (11, 3),
                Country::Dk => (10, 3),
                Country::Fi => (13, 2),
            };
            prop_assert_eq!((official, de_facto), expected, "{} {}", country, year);
            prop_assert!(list.windows(2).all(|w| w[0].date <= w[1].date));
            prop_assert!(list.iter().all(|h| h.date.year() == year && !h.name.is_empty()));
            // The eves of Christmas are de facto days off everywhere, never by law.
            prop_assert!(list.iter().any(|h| h.de_facto && h.date == date(year, 12, 24)));
            prop_assert!(!list.iter().any(|h| !h.de_facto && h.date == date(year, 12, 24)));
        }
    }
}
