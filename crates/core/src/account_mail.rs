//! The words of Avisera's own account emails (sign-up, password) in the portal's five languages,
//! from `account_mail.tsv` (key, then English, Swedish, Norwegian, Danish and Finnish).

use crate::texts::{LANGUAGES, Texts};
use std::sync::LazyLock;

static TEXT: LazyLock<Texts> =
    LazyLock::new(|| read(include_str!("account_mail.tsv")).unwrap_or_else(|e| panic!("{e}")));

/// The table, or what is wrong with the file (a line, a key and what it lacks).
fn read(source: &'static str) -> Result<Texts, String> {
    crate::texts::read("account_mail.tsv", source)
}

/// The text of `key` in `lang` (English for a language Avisera does not speak), its `{name}`
/// placeholders filled from `values` in one pass, so a value someone typed is never read as a
/// placeholder itself.
///
/// # Panics
/// For a key the table lacks: a defect the tests of every email find.
pub(crate) fn fill(lang: &str, key: &str, values: &[(&str, &str)]) -> String {
    let column = LANGUAGES.iter().position(|l| *l == lang).unwrap_or(0);
    // A line break is written `\n` in the table, whose lines are the texts.
    let text = TEXT
        .get(key)
        .unwrap_or_else(|| panic!("account_mail.tsv has no {key:?}"))[column]
        .replace("\\n", "\n");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name = after.find('}').map(|close| &after[..close]);
        match name.and_then(|name| values.iter().find(|(n, _)| *n == name)) {
            Some((name, value)) => {
                out.push_str(value);
                rest = &after[name.len() + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The `{name}` placeholders of a text, sorted.
#[cfg(test)]
fn placeholders(text: &str) -> Vec<&str> {
    let mut names: Vec<&str> = text
        .split('{')
        .skip(1)
        .filter_map(|s| s.split_once('}').map(|(name, _)| name))
        .collect();
    names.sort_unstable();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_has_all_five_languages_with_the_same_placeholders() {
        let table = read(include_str!("account_mail.tsv")).unwrap();
        assert!(table.len() >= 8, "{:?}", table.keys());
        for (key, texts) in &table {
            let english = placeholders(texts[0]);
            for (lang, text) in LANGUAGES.iter().zip(texts) {
                assert_eq!(placeholders(text), english, "{key} in {lang}: {text}");
                if *lang != "en" {
                    assert_ne!(text, &texts[0], "{key} in {lang} is still English");
                }
            }
        }
    }

    #[test]
    fn a_line_without_every_language_is_refused_with_its_line_and_key() {
        let e = read("# head\nreset_subject\tA new password\tNytt lösenord\n").unwrap_err();
        assert!(e.contains("line 2") && e.contains("reset_subject"), "{e}");
        let e = read("k\ta\tb\tc\td\t \n").unwrap_err();
        assert!(e.contains("none empty"), "{e}");
        let e = read("k\ta\tb\tc\td\te\nk\ta\tb\tc\td\te\n").unwrap_err();
        assert!(e.contains("twice"), "{e}");
    }

    #[test]
    fn an_unknown_language_reads_english_and_typed_values_are_not_placeholders() {
        let text = fill(
            "xx",
            "reset_text",
            &[
                ("name", "{link}"),
                ("email", "a@b.example"),
                ("link", "L"),
                ("minutes", "60"),
            ],
        );
        assert!(text.starts_with("Hello {link},"), "{text}");
        assert!(text.contains("\n\nL\n\n"), "{text}");
        assert!(!text.contains("{minutes}"), "{text}");
    }

    mod emails {
        use crate::signups::{address_taken_email, confirmation_email, organisation_taken_email};
        use crate::users::account::reset_email;
        use avisera_domain::notification::Message;
        use avisera_domain::signup::{SignUp, SignUpForm};
        use avisera_domain::user::{Role, User};
        use avisera_domain::{TenantId, UserId};

        const LINK: &str = "https://track.example.com/x/abc";
        const PORTAL: &str = "https://track.example.com/portal/login";

        fn signup(language: &str) -> SignUp {
            let form = SignUpForm {
                country: "NO".into(),
                organisation_number: "923 609 016".into(),
                company: "Fjord Sko AS".into(),
                name: "Kari Nordmann".into(),
                email: "kari@fjordsko.example".into(),
                password: "a long enough secret".into(),
                plan: "plus".into(),
                terms_accepted: true,
                language: language.into(),
            };
            form.check("2026-12-07T10:00:00Z".parse().unwrap()).unwrap()
        }

        fn user() -> User {
            User {
                id: UserId(7),
                tenant_id: TenantId(1),
                email: avisera_domain::contact::EmailAddress::parse("anna@webshop.example").unwrap(),
                name: "Anna Admin".into(),
                role: Role::Admin,
                phone: None,
            }
        }

        /// Every account email in `lang`: its name, subject and text.
        fn all(lang: &str) -> Vec<(&'static str, String, String)> {
            let s = signup(lang);
            [
                ("confirmation", confirmation_email(&s, LINK)),
                ("address taken", address_taken_email(&user(), &s, LINK, PORTAL)),
                ("organisation taken", organisation_taken_email(&user(), &s, LINK)),
                ("reset", reset_email(&user(), LINK, lang)),
            ]
            .into_iter()
            .map(|(name, m)| match m {
                Message::Email { subject, text, .. } => (name, subject, text),
                other => panic!("{name}: not an email: {other:?}"),
            })
            .collect()
        }

        /// Sentences (and subjects) of the English emails, none of which may be left in another
        /// language's.
        fn english() -> Vec<String> {
            all("en")
                .into_iter()
                .flat_map(|(_, subject, text)| {
                    let sentences: Vec<String> = text
                        .split(['\n', '.', ':', '?'])
                        .map(|s| s.trim().to_string())
                        .filter(|s| s.split(' ').count() >= 3 && !s.contains("Avisera account of"))
                        .collect();
                    std::iter::once(subject).chain(sentences)
                })
                .collect()
        }

        #[test]
        fn each_account_email_speaks_norwegian_danish_and_finnish_with_its_link() {
            let english = english();
            assert!(english.len() > 15, "{english:#?}");
            for (lang, words) in [
                (
                    "nb",
                    [
                        "Hei Anna Admin!",
                        "Hei Kari Nordmann!",
                        "lenken",
                        "Avisera-kontoen til Fjord Sko AS",
                    ],
                ),
                (
                    "da",
                    [
                        "Hej Anna Admin",
                        "Hej Kari Nordmann",
                        "linket",
                        "Avisera-kontoen for Fjord Sko AS",
                    ],
                ),
                (
                    "fi",
                    [
                        "Hei Anna Admin,",
                        "Hei Kari Nordmann,",
                        "linkki",
                        "yrityksen Fjord Sko AS Avisera-tili",
                    ],
                ),
            ] {
                for (name, subject, text) in all(lang) {
                    let greeting = if name == "confirmation" { words[1] } else { words[0] };
                    assert!(text.starts_with(greeting), "{name} in {lang}: {text}");
                    assert!(text.contains(LINK), "{name} in {lang} has its link: {text}");
                    assert!(
                        !text.contains('{') && !subject.contains('{'),
                        "{name} in {lang}: {subject} {text}"
                    );
                    if name != "organisation taken" {
                        assert!(text.to_lowercase().contains(words[2]), "{name} in {lang}: {text}");
                    }
                    for sentence in &english {
                        assert!(
                            !text.contains(sentence.as_str()),
                            "{name} in {lang} has {sentence:?}: {text}"
                        );
                        assert_ne!(&subject, sentence, "{name} in {lang}");
                    }
                }
                let (_, subject, _) = &all(lang)[0];
                assert!(subject.contains(words[3]), "{lang}: {subject}");
            }
        }

        #[test]
        fn the_facts_are_the_same_in_every_language_and_subjects_hold_no_stranger_text() {
            for lang in ["en", "sv", "nb", "da", "fi"] {
                let mails = all(lang);
                let (_, _, confirm) = &mails[0];
                assert!(
                    confirm.contains("923 609 016") && confirm.contains("24"),
                    "{lang}: {confirm}"
                );
                let (_, subject, taken) = &mails[1];
                assert!(
                    taken.contains(PORTAL) && taken.contains("anna@webshop.example") && taken.contains("60"),
                    "{lang}: {taken}"
                );
                assert!(!subject.contains("Kari"), "{lang}: {subject}");
                let (_, subject, org) = &mails[2];
                assert!(
                    org.contains("Kari Nordmann") && org.contains("kari@fjordsko.example"),
                    "{lang}: {org}"
                );
                assert!(
                    subject.contains("923 609 016") && !subject.contains("Kari"),
                    "{lang}: {subject}"
                );
                let (_, subject, reset) = &mails[3];
                assert!(
                    reset.contains("60") && reset.contains("anna@webshop.example"),
                    "{lang}: {reset}"
                );
                assert!(!subject.contains("Anna"), "{lang}: {subject}");
            }
        }

        #[test]
        fn an_unknown_language_gets_english() {
            assert_eq!(all("xx"), all("en"));
            assert_eq!(all("en")[3].1, "A new Avisera password");
        }
    }
}
