//! The template editor's advice in the reader's language: a value that may be missing for
//! some shipments (with the guard to write), an SMS past one segment, a subject inboxes cut.

use super::session::Lang;
use super::text;
use avisera_domain::template_advice::{Advice, SUBJECT_CHARS};
use std::collections::BTreeMap;

/// Each language's advice as sentences, by the template language they are about.
pub fn lines(lang: Lang, advice: &[Advice]) -> BTreeMap<String, Vec<String>> {
    advice
        .iter()
        .map(|a| (a.language.clone(), of(lang, a)))
        .filter(|(_, lines)| !lines.is_empty())
        .collect()
}

fn of(lang: Lang, a: &Advice) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(first) = a.missing.first() {
        let names: Vec<String> = a.missing.iter().map(|v| format!("{{{{ {v} }}}}")).collect();
        let guard_if = format!("{{% if {first} %}}…{{{{ {first} }}}}…{{% endif %}}");
        let guard_default = format!("{{{{ {first}|default(\"…\") }}}}");
        out.push(text::fill(
            lang,
            "advice_missing",
            &[
                ("variables", &names.join(", ")),
                ("if", &guard_if),
                ("default", &guard_default),
            ],
        ));
    }
    if let Some(sms) = &a.sms {
        out.push(text::fill(
            lang,
            "advice_sms_segments",
            &[
                ("characters", &sms.characters.to_string()),
                ("segments", &sms.segments.to_string()),
                ("encoding", &sms.encoding.to_string()),
                ("single", &sms.single_segment.to_string()),
            ],
        ));
        if !sms.not_gsm7.is_empty() {
            let shown: Vec<String> = sms.not_gsm7.chars().map(|c| c.to_string()).collect();
            out.push(text::fill(lang, "advice_sms_ucs2", &[("characters", &shown.join(" "))]));
        }
    }
    if let Some(n) = a.subject_chars {
        out.push(text::fill(
            lang,
            "advice_subject_long",
            &[("characters", &n.to_string()), ("limit", &SUBJECT_CHARS.to_string())],
        ));
    }
    out
}
