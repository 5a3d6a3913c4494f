//! What core and the domain say (a bill's lines, a refusal, why a message was not sent, a
//! rule's history), in the reader's language: each from its code and parameters through a
//! key of `text.tsv` with `{param}` placeholders.

use super::format;
use super::session::Lang;
use super::text;
use avisera_domain::billing::{BillLine, LineKind, Month};

/// One line of a bill, e.g. "Månadsavgift Premium, dag 16–30 i november 2026: 15/30".
pub fn bill_line(lang: Lang, month: Month, line: &BillLine) -> String {
    let price = format::amount(lang, line.unit_price.0);
    match (&line.kind, &line.fee) {
        (LineKind::Fee, Some(fee)) => {
            let plan = fee.plan.to_string();
            let month = format::month(lang, month.first);
            if fee.whole_month() {
                text::fill(lang, "bill_fee_month", &[("plan", &plan), ("month", &month)])
            } else {
                let (first, last) = (fee.first.to_string(), fee.last.to_string());
                let days = (fee.last - fee.first + 1).to_string();
                let of = fee.days_in_month.to_string();
                text::fill(
                    lang,
                    "bill_fee_days",
                    &[
                        ("plan", &plan),
                        ("month", &month),
                        ("first", &first),
                        ("last", &last),
                        ("days", &days),
                        ("of", &of),
                    ],
                )
            }
        }
        (LineKind::Sms, _) => text::fill(lang, "bill_sms", &[("price", &price)]),
        (LineKind::Email, _) => text::fill(lang, "bill_email", &[("price", &price)]),
        (LineKind::Fee, None) => line.description.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use avisera_domain::billing::{PlanPeriod, PriceList, bill};
    use avisera_domain::plan::Plan;

    #[test]
    fn a_bill_s_lines_in_each_language() {
        let month = Month::parse("2026-11").unwrap();
        let from = |s: &str| s.parse().unwrap();
        let periods = [
            PlanPeriod {
                plan: Plan::Plus,
                from: from("2026-01-01T00:00:00Z"),
            },
            PlanPeriod {
                plan: Plan::Premium,
                from: from("2026-11-15T23:00:00Z"),
            },
        ];
        let b = bill(month, &periods, &PriceList::default(), &[]);
        let lines: Vec<String> = b.lines.iter().map(|l| bill_line(Lang::Sv, month, l)).collect();
        assert_eq!(
            lines,
            [
                "Månadsavgift Plus, dag 1–15 i november 2026: 15/30",
                "Månadsavgift Premium, dag 16–30 i november 2026: 15/30"
            ]
        );
        let whole = bill(month, &periods[..1], &PriceList::default(), &[]);
        assert_eq!(
            bill_line(Lang::Fi, month, &whole.lines[0]),
            "Kuukausimaksu Plus, marraskuu 2026"
        );
        assert_eq!(
            bill_line(Lang::En, month, &whole.lines[0]),
            "Plus monthly fee, November 2026"
        );
        let sms = BillLine {
            kind: LineKind::Sms,
            description: "SMS segments at 0.75 SEK".into(),
            fee: None,
            quantity: 3,
            unit_price: avisera_domain::money::Ore(75),
            amount: avisera_domain::money::Ore(225),
        };
        assert_eq!(
            bill_line(Lang::Sv, month, &sms).replace('\u{a0}', " "),
            "SMS-delar à 0,75 kr"
        );
        assert_eq!(
            bill_line(Lang::Da, month, &sms).replace('\u{a0}', " "),
            "SMS-dele à 0,75 SEK"
        );
    }
}
