//! What a template's author should know before real shipments use it, beyond "it renders": a
//! value some shipments lack printed bare ("är på väg med ." without a carrier), an SMS past
//! one segment, an email subject longer than inboxes show. Advice, never a reason to refuse.

use crate::sms::{self, SmsEncoding};
use crate::template::{Template, Variables};
use serde::Serialize;

/// The facts a real shipment (or event, or receiver) may lack: empty for it. Variables that
/// depend on the brand or the rule (customer service, logo, days left, campaign) may be missing
/// too, and are checked when the brand or rule at hand leaves them empty.
pub const MAY_BE_MISSING: &[&str] = &[
    "receiver_name",
    "pickup_point_name",
    "pickup_point_address",
    "pickup_point_opening_hours",
    "pickup_point_open_today",
    "storage_deadline",
    "order_reference",
    "carrier",
    "expected_delivery_date",
    "event_location",
    "event_time",
    "rating_link",
];

/// How many characters of a subject inboxes show before cutting it (RFC 5322's line length,
/// which is about what a phone's mail list shows too).
pub const SUBJECT_CHARS: usize = 78;

/// The advice for one language of a template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Advice {
    pub language: String,
    /// Variables printed as they are, with no `{% if %}` or `default` around them, that some
    /// shipments lack: the message then reads with a hole.
    pub missing: Vec<String>,
    /// An SMS that takes more than one segment for the sample shipment.
    pub sms: Option<SmsLength>,
    /// An email subject (for the sample shipment) longer than `SUBJECT_CHARS`: its length.
    pub subject_chars: Option<usize>,
}

impl Advice {
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.sms.is_none() && self.subject_chars.is_none()
    }
}

/// An SMS text longer than one segment: what it counts and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SmsLength {
    pub characters: usize,
    pub encoding: SmsEncoding,
    pub segments: usize,
    /// What one segment holds in this encoding (160 or 70).
    pub single_segment: usize,
    /// The characters that make the text UCS-2 (none for GSM-7).
    pub not_gsm7: String,
}

/// A value no template writes, made of digits so that no filter (`upper`, `title`, escaping)
/// changes it: where it shows up in a render, the variable was printed.
const MARK: &str = "9071523846";

/// The advice for every language of `template`, rendered with `vars` (the sample shipment in
/// the brand and rule at hand), sent as SMS with `transliterate` as the tenant has it. A
/// language that does not render gets none (saving reports its error).
pub fn advise(template: &Template, vars: &Variables, transliterate: bool) -> Vec<Advice> {
    let mut out = Vec::new();
    for (language, body) in &template.contents {
        let Ok(sample) = template.render(Some(language), vars) else {
            continue;
        };
        let sources: String = [body.subject.as_deref(), body.html.as_deref(), Some(body.text.as_str())]
            .into_iter()
            .flatten()
            .chain(std::iter::once(
                serde_json::to_string(&body.blocks).unwrap_or_default().as_str(),
            ))
            .collect::<Vec<_>>()
            .concat();
        let may_be_missing = vars
            .iter()
            .filter(|(name, value)| MAY_BE_MISSING.contains(name) || value.is_empty())
            .map(|(name, _)| *name)
            .filter(|name| sources.contains(name));
        let missing = may_be_missing
            .filter(|name| printed_bare(template, language, vars, name))
            .map(str::to_string)
            .collect();
        let sms = (template.channel == crate::notification::Channel::Sms)
            .then(|| {
                let text = sms::as_sent(&sample.text, transliterate);
                let count = sms::count(&text);
                (count.segments > 1).then(|| SmsLength {
                    characters: count.characters,
                    encoding: count.encoding,
                    segments: count.segments,
                    single_segment: sms::single_segment(count.encoding),
                    not_gsm7: sms::not_gsm7(&text).into_iter().take(10).collect(),
                })
            })
            .flatten();
        let subject_chars = sample
            .subject
            .as_deref()
            .map(|s| s.chars().count())
            .filter(|n| *n > SUBJECT_CHARS);
        out.push(Advice {
            language: language.clone(),
            missing,
            sms,
            subject_chars,
        });
    }
    out
}

/// Whether `name` is printed as it is: the message with the variable empty is the message with
/// it marked, minus the mark. A guard (`{% if name %}`, `name|default(...)`, a button left out
/// without its link) makes them differ; a variable only tested, never printed, has no mark.
fn printed_bare(template: &Template, language: &str, vars: &Variables, name: &'static str) -> bool {
    let render = |value: &str| {
        let mut v = vars.clone();
        v.insert(name, value.to_string());
        template
            .render(Some(language), &v)
            .ok()
            .map(|r| [r.subject.unwrap_or_default(), r.html.unwrap_or_default(), r.text].join("\u{0}"))
    };
    let (Some(marked), Some(empty)) = (render(MARK), render("")) else {
        return false;
    };
    marked.contains(MARK) && marked.replace(MARK, "") == empty
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::TemplateId;
    use crate::notification::Channel;
    use crate::template::{TemplateBody, sample_variables};
    use std::collections::BTreeMap;

    fn template(channel: Channel, subject: Option<&str>, text: &str) -> Template {
        Template {
            id: TemplateId(1),
            name: "t".into(),
            channel,
            default_language: "sv".into(),
            contents: BTreeMap::from([(
                "sv".into(),
                TemplateBody {
                    subject: subject.map(str::to_string),
                    text: text.into(),
                    ..Default::default()
                },
            )]),
            opt_out_footer: true,
        }
    }

    fn missing(text: &str) -> Vec<String> {
        advise(&template(Channel::Sms, None, text), &sample_variables(), false)[0]
            .missing
            .clone()
    }

    #[test]
    fn a_bare_optional_value_is_named_and_a_guarded_one_is_not() {
        assert_eq!(
            missing("{{ carrier }}: ditt paket {{ tracking_number }} är på väg med {{ carrier }}."),
            ["carrier"]
        );
        assert!(
            missing("Paketet {{ tracking_number }} är på väg{% if carrier %} med {{ carrier }}{% endif %}.").is_empty()
        );
        assert!(missing("Paketet är på väg med {{ carrier|default('budet') }}.").is_empty());
        assert!(missing("Paketet är på väg med {{ carrier|upper|default('BUDET') }}.").is_empty());
        assert_eq!(
            missing("Hej {{ receiver_name|title }}, hämta hos {{ pickup_point_name }} {{ tracking_link }}"),
            ["pickup_point_name", "receiver_name"]
        );
        // Always known for a real shipment: never named.
        assert!(missing("{{ tracking_number }} {{ tracking_link }} /{{ brand_name }}").is_empty());
    }

    #[test]
    fn a_brand_or_rule_value_is_named_when_it_is_empty_here() {
        let t = template(Channel::Sms, None, "Frågor? Ring {{ customer_service_phone }}.");
        assert!(advise(&t, &sample_variables(), false)[0].missing.is_empty());
        let mut without_phone = sample_variables();
        without_phone.insert("customer_service_phone", String::new());
        assert_eq!(advise(&t, &without_phone, false)[0].missing, ["customer_service_phone"]);
    }

    #[test]
    fn default_treats_an_empty_value_as_missing() {
        let mut vars = sample_variables();
        vars.insert("carrier", String::new());
        let t = template(Channel::Sms, None, "med {{ carrier|default('budet') }}.");
        assert_eq!(t.render(None, &vars).unwrap().text, "med budet.");
        let t = template(Channel::Sms, None, "med {{ carrier|default('budet') }}.");
        assert_eq!(t.render(None, &sample_variables()).unwrap().text, "med PostNord.");
    }

    #[test]
    fn an_sms_past_one_segment_is_counted_and_its_ucs2_characters_named() {
        let vars = sample_variables();
        let short = template(Channel::Sms, None, "Hej {{ receiver_name }}!");
        assert_eq!(advise(&short, &vars, false)[0].sms, None);
        let long = template(
            Channel::Sms,
            None,
            &format!("Hej {{{{ receiver_name }}}}! {}", "a".repeat(150)),
        );
        let sms = advise(&long, &vars, false)[0].sms.clone().unwrap();
        assert_eq!(
            (sms.segments, sms.encoding, sms.single_segment),
            (2, SmsEncoding::Gsm7, 160)
        );
        assert_eq!(sms.characters, 170);
        let emoji = template(Channel::Sms, None, &format!("Hej 📦 “{}”", "a".repeat(70)));
        let sms = advise(&emoji, &vars, false)[0].sms.clone().unwrap();
        assert_eq!((sms.encoding, sms.single_segment), (SmsEncoding::Ucs2, 70));
        assert_eq!(sms.not_gsm7, "📦“”");
    }

    #[test]
    fn a_subject_longer_than_inboxes_show_is_counted() {
        let vars = sample_variables();
        let fits = template(Channel::Email, Some("Ditt paket {{ tracking_number }} är på väg"), "x");
        assert_eq!(advise(&fits, &vars, false)[0].subject_chars, None);
        let long = template(
            Channel::Email,
            Some("Ditt paket {{ tracking_number }} från {{ brand_name }} är nu på väg till utlämningsstället"),
            "x",
        );
        assert_eq!(advise(&long, &vars, false)[0].subject_chars, Some(85));
    }
}
