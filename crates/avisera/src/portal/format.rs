//! Numbers, amounts, dates and months as each interface language writes them.
//!
//! The rule for amounts: the tenant's billing currency is SEK. Every language writes the
//! amount with its own decimal and thousands separators (a non-breaking space groups
//! thousands in Swedish, Norwegian and Finnish, a dot in Danish, a comma in English), and
//! names the currency so that it cannot be read as the reader's own: Swedish writes `kr`
//! after the amount (its own krona); Norwegian, Danish, Finnish and English write the code
//! `SEK` after it (a Norwegian's or Dane's `kr`, a Finn's `€`, would be another currency).
//! The amount and its currency are joined by a non-breaking space.
//!
//! Dates: Swedish and English keep the ISO form (2026-11-05); Norwegian and Danish write
//! 05.11.2026, Finnish 5.11.2026. Times: 14:03, with a dot in Danish and Finnish (14.03).

use super::session::Lang;
use jiff::civil::{Date, DateTime};

const NBSP: char = '\u{a0}';

/// How a language writes an amount: its thousands separator, its decimal sign and the currency
/// after the figure (joined by a non-breaking space). The send-by-hand page's live price is
/// written in the browser from these, so it reads as the server writes amounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct AmountStyle {
    pub group: char,
    pub decimal: char,
    pub currency: &'static str,
}

pub fn amount_style(lang: Lang) -> AmountStyle {
    let (group, decimal) = match lang {
        Lang::Sv | Lang::Nb | Lang::Fi => (NBSP, ','),
        Lang::Da => ('.', ','),
        Lang::En => (',', '.'),
    };
    let currency = match lang {
        Lang::Sv => "kr",
        Lang::Nb | Lang::Da | Lang::Fi | Lang::En => "SEK",
    };
    AmountStyle {
        group,
        decimal,
        currency,
    }
}

/// A whole number with the language's thousands separator.
pub fn number(lang: Lang, n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let sep = amount_style(lang).group;
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// Öre as an amount in SEK, e.g. `1 234,50 kr` in Swedish.
pub fn amount(lang: Lang, ore: i64) -> String {
    let style = amount_style(lang);
    let sign = if ore < 0 { "-" } else { "" };
    let abs = ore.unsigned_abs();
    let whole = number(lang, i64::try_from(abs / 100).unwrap_or(i64::MAX));
    format!("{sign}{whole}{}{:02}{NBSP}{}", style.decimal, abs % 100, style.currency)
}

/// A share (0.975) as a percentage to one decimal, e.g. `97,5 %` in Swedish.
pub fn percent(lang: Lang, share: f64) -> String {
    let figure = format!("{:.1}", share * 100.0);
    match lang {
        Lang::En => format!("{figure} %"),
        _ => format!("{} %", figure.replace('.', ",")),
    }
}

/// A day, e.g. `05.11.2026` in Norwegian.
pub fn date(lang: Lang, d: Date) -> String {
    match lang {
        Lang::Sv | Lang::En => d.strftime("%Y-%m-%d").to_string(),
        Lang::Nb | Lang::Da => d.strftime("%d.%m.%Y").to_string(),
        Lang::Fi => format!("{}.{}.{}", d.day(), d.month(), d.year()),
    }
}

/// A day and a time to the minute, e.g. `5.11.2026 klo 14.03` in Finnish.
pub fn date_time(lang: Lang, t: DateTime) -> String {
    let day = date(lang, t.date());
    match lang {
        Lang::Sv | Lang::En | Lang::Nb => format!("{day} {}", t.strftime("%H:%M")),
        Lang::Da => format!("{day} {}", t.strftime("%H.%M")),
        Lang::Fi => format!("{day} klo {}", t.strftime("%-H.%M")),
    }
}

const MONTHS: [[&str; 12]; 5] = [
    [
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
    [
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
    [
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
    [
        "tammikuu",
        "helmikuu",
        "maaliskuu",
        "huhtikuu",
        "toukokuu",
        "kesäkuu",
        "heinäkuu",
        "elokuu",
        "syyskuu",
        "lokakuu",
        "marraskuu",
        "joulukuu",
    ],
    [
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
];

/// A month's name, e.g. `marraskuu` in Finnish.
pub fn month_name(lang: Lang, month: i8) -> &'static str {
    let row = match lang {
        Lang::Sv => 0,
        Lang::Nb => 1,
        Lang::Da => 2,
        Lang::Fi => 3,
        Lang::En => 4,
    };
    let i = usize::try_from(month - 1).unwrap_or(0).min(11);
    MONTHS[row][i]
}

/// A month of a year, e.g. `november 2026` in Swedish, `November 2026` in English.
pub fn month(lang: Lang, first: Date) -> String {
    format!("{} {}", month_name(lang, first.month()), first.year())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date as day;

    #[test]
    fn amounts_per_language() {
        let cases = [
            (Lang::Sv, 2500, "25,00 kr"),
            (Lang::Sv, 12_345_675, "123 456,75 kr"),
            (Lang::Nb, 75, "0,75 SEK"),
            (Lang::Nb, 123_450, "1 234,50 SEK"),
            (Lang::Da, 123_450, "1.234,50 SEK"),
            (Lang::Da, 100_000_000, "1.000.000,00 SEK"),
            (Lang::Fi, 2500, "25,00 SEK"),
            (Lang::Fi, 123_450, "1 234,50 SEK"),
            (Lang::En, 123_450, "1,234.50 SEK"),
            (Lang::En, 75, "0.75 SEK"),
            (Lang::Sv, -2500, "-25,00 kr"),
            (Lang::Sv, 0, "0,00 kr"),
        ];
        for (lang, ore, want) in cases {
            assert_eq!(amount(lang, ore).replace(NBSP, " "), want, "{lang:?} {ore}");
        }
        assert!(
            amount(Lang::Sv, 2500).contains(NBSP),
            "the amount and its currency stay on one line"
        );
    }

    #[test]
    fn percentages_per_language() {
        assert_eq!(percent(Lang::Sv, 0.975), "97,5 %");
        assert_eq!(percent(Lang::Fi, 1.0), "100,0 %");
        assert_eq!(percent(Lang::En, 0.5), "50.0 %");
    }

    #[test]
    fn numbers_group_thousands() {
        let cases = [
            (Lang::Sv, 999, "999"),
            (Lang::Sv, 1000, "1 000"),
            (Lang::Da, 1_234_567, "1.234.567"),
            (Lang::En, 1_234_567, "1,234,567"),
            (Lang::Fi, -12_345, "-12 345"),
        ];
        for (lang, n, want) in cases {
            assert_eq!(number(lang, n).replace(NBSP, " "), want, "{lang:?} {n}");
        }
    }

    #[test]
    fn dates_and_times_per_language() {
        let t = day(2026, 11, 5).at(14, 3, 0, 0);
        let cases = [
            (Lang::Sv, "2026-11-05 14:03"),
            (Lang::En, "2026-11-05 14:03"),
            (Lang::Nb, "05.11.2026 14:03"),
            (Lang::Da, "05.11.2026 14.03"),
            (Lang::Fi, "5.11.2026 klo 14.03"),
        ];
        for (lang, want) in cases {
            assert_eq!(date_time(lang, t), want, "{lang:?}");
        }
        assert_eq!(date(Lang::Fi, day(2026, 1, 31)), "31.1.2026");
        assert_eq!(date(Lang::Da, day(2026, 1, 31)), "31.01.2026");
    }

    #[test]
    fn months_per_language() {
        let nov = day(2026, 11, 1);
        let cases = [
            (Lang::Sv, "november 2026"),
            (Lang::Nb, "november 2026"),
            (Lang::Da, "november 2026"),
            (Lang::Fi, "marraskuu 2026"),
            (Lang::En, "November 2026"),
        ];
        for (lang, want) in cases {
            assert_eq!(month(lang, nov), want, "{lang:?}");
        }
        assert_eq!(month_name(Lang::Da, 3), "marts");
        assert_eq!(month_name(Lang::Nb, 12), "desember");
        assert_eq!(month_name(Lang::Fi, 6), "kesäkuu");
    }
}
