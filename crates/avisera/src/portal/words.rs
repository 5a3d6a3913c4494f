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

/// A field's name as code writes it (`quiet_hours`), as the form labels it.
fn field_label(lang: Lang, field: &str) -> Option<&'static str> {
    let key = match field {
        "name" => "name",
        "trigger" => "trigger",
        "channels" => "channel",
        "sms_template_id" => "sms_template",
        "email_template_id" => "email_template",
        "active_from" => "active_from",
        "active_until" => "active_until",
        "days_before_deadline" => "days_before_deadline",
        "recipient.addresses" => "fixed_addresses",
        "delay_minutes" => "delay_minutes",
        "quiet_hours" | "quiet hours" => "quiet_hours",
        "send_at_local" => "send_at_local",
        "campaign" => "campaign",
        "attributes" => "attributes",
        "conditions.destination_countries" => "destination_countries",
        "conditions" => "conditions",
        "recipient" => "recipient",
        "once_per_shipment" => "once_per_shipment",
        "working_days_only" => "working_days_only",
        "brand_id" => "rule_brand",
        "default_language" => "default_language",
        "brand_name" => "brand_name",
        "email_from_name" => "email_from_name",
        "email_from_address" => "email_from_address",
        "sms_sender_id" => "sms_sender_id",
        "reply_to" => "reply_to",
        "logo" | "logo_id" => "logo",
        "email" => "email",
        "password" => "password",
        "role" => "role",
        "status" => "status",
        "channel" => "channel",
        "tracking_number" => "tracking_number",
        "from" => "from_day",
        "until" => "until_day",
        _ => return None,
    };
    text::get(lang, key)
}

/// A value caught by a placeholder, in the reader's language where it is a word of ours (a
/// field, a channel, a trigger, a history action).
fn word(lang: Lang, placeholder: &str, value: &str) -> String {
    let keyed = |key: String| text::get(lang, &key).map(str::to_string);
    let found = match placeholder {
        "field" => field_label(lang, value).map(str::to_string),
        "fields" => Some(
            value
                .split(", ")
                .map(|f| field_label(lang, f).unwrap_or(f).to_string())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        "channel" | "has" => match value {
            "sms" => keyed("channels_sms".into()),
            "email" => keyed("email_channel".into()),
            _ => None,
        },
        "trigger" => value
            .parse::<avisera_domain::trigger::Trigger>()
            .ok()
            .and_then(|t| keyed(format!("trigger_{}", t.slug()))),
        "action" => keyed(format!("history_{value}")),
        "language" => keyed(format!("language_{value}")),
        "role" | "needed" => keyed(format!("role_{value}")),
        // What the domain calls an organisation number or a kind of phone line.
        "country" => among(lang, "org_number_", value),
        "kind" => among(lang, "phone_kind_", value),
        "what" => among(lang, "name_of_", value),
        "status" => keyed(format!("status_{value}")),
        // Why an address does not parse, a message was not sent: a phrase of its own.
        "why" => Some(say(lang, value)),
        // An organisation number with a note on its digits: `923 609 016 (9 digits)`.
        "example" => value
            .split_once(" (")
            .map(|(number, note)| format!("{number} {}", say(lang, &format!("({note}")))),
        _ => None,
    };
    found.unwrap_or_else(|| value.to_string())
}

/// The text in `lang` of the key starting with `prefix` whose English is `english`.
fn among(lang: Lang, prefix: &'static str, english: &str) -> Option<String> {
    text::keys_with_prefix(prefix)
        .find(|k| text::get(Lang::En, k) == Some(english))
        .and_then(|k| text::get(lang, k))
        .map(str::to_string)
}

/// The values of `pattern`'s `{name}` placeholders when `text` is the pattern filled in.
fn caught(pattern: &str, text: &str) -> Option<Vec<(String, String)>> {
    match pattern.find('{') {
        None => (pattern == text).then(Vec::new),
        Some(open) => {
            let close = open + pattern[open..].find('}')?;
            let name = &pattern[open + 1..close];
            let rest = text.strip_prefix(&pattern[..open])?;
            let after = &pattern[close + 1..];
            let next_literal = &after[..after.find('{').unwrap_or(after.len())];
            // Every place the literal after the placeholder could start, shortest value first.
            let ends: Vec<usize> = if next_literal.is_empty() {
                vec![rest.len()]
            } else {
                rest.match_indices(next_literal).map(|(i, _)| i).collect()
            };
            // A quoted value may be empty (`unknown plan ""`); another is at least a character.
            let quoted = pattern[..open].ends_with('"');
            // A value in the middle of a phrase is never several sentences.
            let one_sentence = |end: usize| next_literal.is_empty() || !rest[..end].contains("; ");
            ends.into_iter()
                .filter(|&end| (end > 0 || quoted) && one_sentence(end))
                .find_map(|end| {
                    let mut values = caught(after, &rest[end..])?;
                    values.insert(0, (name.to_string(), rest[..end].to_string()));
                    Some(values)
                })
        }
    }
}

/// The `say_*` phrases: what core and the domain write, as patterns in English.
fn phrases() -> impl Iterator<Item = &'static str> {
    text::keys_with_prefix("say_")
}

/// A sentence core or the domain wrote in English, in the reader's language: a known phrase
/// with its values, a `field: phrase`, or several joined by "; ". What is not known is shown
/// as written.
pub fn say(lang: Lang, english: &str) -> String {
    if lang == Lang::En || english.is_empty() {
        return english.to_string();
    }
    for key in phrases() {
        let pattern = text::get(Lang::En, key).unwrap_or_default();
        if let Some(values) = caught(pattern, english) {
            let values: Vec<(String, String)> = values
                .into_iter()
                .map(|(name, value)| {
                    let w = word(lang, &name, &value);
                    (name, w)
                })
                .collect();
            let params: Vec<(&str, &str)> = values.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
            return text::fill(lang, key, &params);
        }
    }
    // A field's name first (`status: unknown status "x"; use ...` is one phrase about it),
    // then several sentences.
    if let Some((field, rest)) = english.split_once(": ")
        && let Some(label) = field_label(lang, field)
    {
        return format!("{label}: {}", say(lang, rest));
    }
    if english.contains("; ") {
        let parts: Vec<String> = english.split("; ").map(|p| say(lang, p)).collect();
        if parts.iter().zip(english.split("; ")).any(|(a, b)| a != b) {
            return parts.join("; ");
        }
    }
    english.to_string()
}

/// A refusal from core, in the reader's language.
pub fn error(lang: Lang, e: &avisera_core::Error) -> String {
    match e {
        avisera_core::Error::Template(t) => template_error(lang, t),
        other => say(lang, &other.to_string()),
    }
}

/// A template that does not render: where (language, part, line) and what, in the reader's
/// language.
pub fn template_error(lang: Lang, e: &avisera_domain::template::TemplateError) -> String {
    if lang == Lang::En {
        return e.to_string();
    }
    let mut s = String::new();
    if let Some(l) = &e.language {
        s.push_str(&text::fill(
            lang,
            "say_at_language",
            &[("language", &word(lang, "language", l))],
        ));
        s.push_str(", ");
    }
    if let Some(p) = &e.part {
        let key = match p.as_str() {
            "subject" => "subject",
            "html" => "html_body",
            _ => "plain_text",
        };
        s.push_str(&text::get(lang, key).unwrap_or(p).to_lowercase());
        s.push_str(", ");
    }
    if let Some(n) = e.line {
        s.push_str(&text::fill(lang, "say_at_line", &[("line", &n.to_string())]));
        s.push_str(": ");
    }
    s.push_str(&say(lang, &e.message));
    s
}

/// One change in a rule's history: what was done, and the detail, in the reader's language.
/// A change's detail (`changed name, delay_minutes; name: "a" → "b"; …`) is said part by part:
/// the fields changed, then each field's old and new value under its label.
pub fn history(lang: Lang, action: &str, detail: &str) -> (String, String) {
    let action = text::get(lang, &format!("history_{action}")).map_or_else(|| action.to_string(), str::to_string);
    let said = if detail.starts_with("changed ") && detail.contains("; ") {
        detail
            .split("; ")
            .map(|part| say(lang, part))
            .collect::<Vec<_>>()
            .join("; ")
    } else {
        say(lang, detail)
    };
    (action, said)
}

/// Who did something, as the history writes it: `someone@example.com (portal)`.
pub fn actor(lang: Lang, actor: &str) -> String {
    match actor.strip_suffix(" (portal)") {
        Some(who) => text::fill(lang, "actor_portal", &[("who", who)]),
        None => actor.to_string(),
    }
}

/// Why a notification was not sent, was deferred or changed status, in the reader's
/// language: a stored code with its parameters, or (a reason from before codes, a provider's
/// own words) the text as it is, said where it is a known phrase.
pub fn reason(lang: Lang, stored: &str) -> String {
    let Some(r) = avisera_domain::reason::parse(stored) else {
        return say(lang, stored);
    };
    let key = format!("reason_{}", r.code);
    if text::get(lang, &key).is_none() {
        return avisera_domain::reason::english(stored);
    }
    let values: Vec<(&str, String)> = r
        .params
        .iter()
        .map(|(name, value)| (name.as_str(), reason_value(lang, name, value)))
        .collect();
    let params: Vec<(&str, &str)> = values.iter().map(|(n, v)| (*n, v.as_str())).collect();
    text::fill(lang, &key, &params)
}

/// Notifications for a page, each with its reason in the reader's language.
pub fn notifications(lang: Lang, list: &[avisera_store::NotificationRecord]) -> Vec<minijinja::Value> {
    list.iter()
        .map(|n| {
            let said = n.reason.as_deref().map(|r| reason(lang, r));
            minijinja::context! { reason => said, ..super::view::ser(n) }
        })
        .collect()
}

/// One parameter of a reason, written the reader's way.
fn reason_value(lang: Lang, name: &str, value: &str) -> String {
    match name {
        "at" | "until" => value.parse::<avisera_domain::Timestamp>().map_or_else(
            |_| value.to_string(),
            |t| {
                let zone = jiff::tz::TimeZone::get("Europe/Stockholm").expect("bundled zone");
                format::date_time(lang, t.to_zoned_datetime(zone).datetime())
            },
        ),
        "who" => actor(lang, value),
        // A provider's words, or a reason of its own (why an email could not replace an SMS).
        "why" => reason(lang, value),
        "month" => Month::parse(value).map_or_else(|_| value.to_string(), |m| format::month(lang, m.first)),
        "budget" | "spent" => sek(value).map_or_else(|| value.to_string(), |ore| format::amount(lang, ore)),
        other => word(lang, other, value),
    }
}

/// `250.00` (SEK as `Ore` writes it) as öre.
fn sek(value: &str) -> Option<i64> {
    let (whole, cents) = value.split_once('.')?;
    let negative = whole.starts_with('-');
    let ore = whole.trim_start_matches('-').parse::<i64>().ok()? * 100 + cents.parse::<i64>().ok()?;
    Some(if negative { -ore } else { ore })
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

    #[test]
    fn a_phrase_is_said_with_its_values_and_fields_named_as_the_form_names_them() {
        assert_eq!(
            say(Lang::Sv, "name: must be 1 to 200 characters"),
            "Namn: måste vara 1 till 200 tecken"
        );
        assert_eq!(
            say(Lang::Da, "sms_template_id: template 7 is a email template, not sms"),
            "SMS-skabelon: skabelon 7 er en skabelon til e-mail, ikke SMS"
        );
        assert_eq!(
            say(
                Lang::Fi,
                "delay_minutes: \"x\" is not a whole number; attributes: \"a\" should be written name=value"
            ),
            "Viive tapahtuman jälkeen (minuuttia): ”x” ei ole kokonaisluku; Lähetyksen tiedot: ”a” kirjoitetaan muodossa nimi=arvo"
        );
        assert_eq!(
            say(Lang::Nb, "changed name, quiet_hours"),
            "endret Navn, Stille timer (mottakerens lokale tid)"
        );
        assert_eq!(say(Lang::Nb, "was already enabled"), "var allerede slått på");
        assert_eq!(
            say(Lang::Sv, "from: \"x\" is not a date like 2026-11-25"),
            "Från dag: ”x” är inget datum som 2026-11-25"
        );
        assert_eq!(
            say(
                Lang::Fi,
                "the period is 400 days long: ask for at most 366 days at a time"
            ),
            "jakso on 400 päivää pitkä: pyydä enintään 366 päivää kerrallaan"
        );
        assert_eq!(
            say(Lang::En, "name: must be 1 to 200 characters"),
            "name: must be 1 to 200 characters"
        );
        assert_eq!(
            say(Lang::Sv, "something nobody wrote down"),
            "something nobody wrote down"
        );
    }

    #[test]
    fn every_rule_check_the_domain_makes_is_said_in_every_language() {
        use avisera_domain::rule::Rule;
        let base: Rule = serde_json::from_value(serde_json::json!({
            "id": 0, "name": "r", "trigger": "delivered", "enabled": false, "channels": "sms",
            "recipient": {"kind": "receiver"}, "sms_template_id": 1, "email_template_id": null, "conditions": {},
            "active_from": null, "active_until": null, "days_before_deadline": null, "campaign": null,
            "once_per_shipment": true, "delay_minutes": 0
        }))
        .expect("a rule");
        let mut broken = Vec::new();
        let mut r = base.clone();
        r.name = String::new();
        broken.push(r);
        let mut r = base.clone();
        r.sms_template_id = None;
        broken.push(r);
        let mut r = base.clone();
        r.days_before_deadline = Some(3);
        broken.push(r);
        let mut r = base.clone();
        r.delay_minutes = u32::MAX;
        broken.push(r);
        let mut r = base.clone();
        r.campaign = Some("x".repeat(1001));
        broken.push(r);
        let mut r = base.clone();
        r.conditions.destination_countries = vec!["Sweden".into()];
        broken.push(r);
        for rule in broken {
            let english = rule.check().expect_err("broken").to_string();
            for lang in [Lang::Sv, Lang::Nb, Lang::Da, Lang::Fi] {
                let said = say(lang, &english);
                let phrase = english.split_once(": ").map_or(english.as_str(), |(_, p)| p);
                assert!(
                    !said.contains(phrase),
                    "{english} is not said in {}: {said}",
                    lang.code()
                );
            }
        }
    }

    #[test]
    fn every_phrase_has_the_same_placeholders_in_every_language() {
        let names = |s: &str| -> Vec<String> {
            let mut v: Vec<String> = s
                .split('{')
                .skip(1)
                .filter_map(|p| p.split_once('}'))
                .map(|(n, _)| n.to_string())
                .collect();
            v.sort();
            v
        };
        for key in phrases() {
            let english = names(text::get(Lang::En, key).unwrap());
            for lang in Lang::ALL {
                assert_eq!(
                    names(text::get(lang, key).unwrap()),
                    english,
                    "{key} in {}",
                    lang.code()
                );
            }
        }
    }

    #[test]
    fn a_refusal_of_a_form_is_said_with_its_parts_in_the_reader_s_language() {
        assert_eq!(
            say(
                Lang::Sv,
                "invalid email address \"anna@\": the domain after @ must look like example.com"
            ),
            "ogiltig e-postadress ”anna@”: domänen efter @ ska se ut som example.com"
        );
        assert_eq!(
            say(
                Lang::Fi,
                "a Norwegian organisasjonsnummer has 9 digits, not 5: e.g. 923 609 016 (9 digits)"
            ),
            "norjalainen organisaationumero sisältää 9 numeroa, ei 5: esim. 923 609 016 (9 numeroa)"
        );
        assert_eq!(
            say(Lang::Nb, "unknown plan \"\"; use plus, premium or enterprise"),
            "ukjent plan «»; velg Plus, Premium eller Enterprise",
            "an empty value between quotes"
        );
        assert_eq!(
            say(
                Lang::Da,
                "status: unknown status \"lost\"; use scheduled, sent, delivered, undelivered, bounced, failed or cancelled"
            ),
            "Status: ukendt status »lost«; vælg en status på listen",
            "a field's one phrase, though it holds \"; \""
        );
        assert_eq!(
            say(
                Lang::Sv,
                "+46812345678 is a fixed line, not a mobile: an SMS cannot reach it"
            ),
            "+46812345678 är en fast telefon, ingen mobil: ett sms kan inte nå det"
        );
        assert_eq!(
            say(
                Lang::Nb,
                "organisation 923 609 016 already has an account: ask its admin to add you as a user"
            ),
            "organisasjonen 923 609 016 har allerede en konto: be administratoren der om å legge deg til som bruker",
            "a sign-up confirmed after another one for the same organisation"
        );
    }

    #[test]
    fn a_stored_reason_is_said_in_the_reader_s_language_and_old_free_text_as_it_is() {
        use avisera_domain::reason::make;
        let opted = make("opted_out", &[("at", "2026-11-05T13:03:00Z")]);
        assert_eq!(
            reason(Lang::Fi, &opted),
            "vastaanottaja kieltäytyi tämän lähettäjän viesteistä 5.11.2026 klo 14.03"
        );
        assert_eq!(
            reason(Lang::Sv, &make("cancelled_by", &[("who", "ada@example.com (portal)")])),
            "avbrutet av ada@example.com (portalen)"
        );
        let budget = make(
            "sms_budget_used",
            &[("budget", "1250.00"), ("month", "2026-11"), ("spent", "1250.75")],
        );
        assert_eq!(
            reason(Lang::Da, &budget).replace('\u{a0}', " "),
            "SMS-budgettet på 1.250,00 SEK for november 2026 er brugt op (1.250,75 SEK brugt)"
        );
        assert_eq!(
            reason(
                Lang::Nb,
                &make("suppressed", &[("why", "hard bounce: 550 5.1.1 user unknown")])
            ),
            "adressen er sperret etter hard retur: 550 5.1.1 user unknown"
        );
        assert_eq!(
            reason(Lang::Sv, "the parcel was picked up"),
            "the parcel was picked up",
            "old rows read as stored"
        );
        assert_eq!(
            reason(Lang::En, &opted),
            "the receiver opted out of messages from this sender at 2026-11-05 14:03"
        );
    }

    #[test]
    fn every_reason_code_has_its_text_in_every_language_with_the_same_placeholders() {
        for (code, english) in avisera_domain::reason::CODES {
            let key = format!("reason_{code}");
            assert_eq!(
                text::get(Lang::En, &key),
                Some(*english),
                "{key} in English is the domain's sentence"
            );
            let names = |s: &str| -> Vec<String> {
                let mut v: Vec<String> = s
                    .split('{')
                    .skip(1)
                    .filter_map(|p| p.split_once('}'))
                    .map(|(n, _)| n.to_string())
                    .collect();
                v.sort();
                v
            };
            for lang in Lang::ALL {
                let said = text::get(lang, &key).unwrap_or_else(|| panic!("{key} missing in {}", lang.code()));
                assert_eq!(names(said), names(english), "{key} in {}", lang.code());
            }
        }
    }
}
