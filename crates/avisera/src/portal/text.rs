//! The portal's interface text in its five languages, from `text.tsv` (key, then English,
//! Swedish, Norwegian, Danish and Finnish), compiled in. A key without all five is a defect
//! found when the table is first read (every test that renders a page reads it).

use super::session::Lang;
use minijinja::Value;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// The column order of `text.tsv` after the key (`avisera_core::texts::LANGUAGES`).
const COLUMNS: [Lang; 5] = [Lang::En, Lang::Sv, Lang::Nb, Lang::Da, Lang::Fi];

type Table = BTreeMap<Lang, BTreeMap<&'static str, &'static str>>;

static TEXT: LazyLock<Table> = LazyLock::new(|| read(include_str!("text.tsv")).unwrap_or_else(|e| panic!("{e}")));

/// The table, or what is wrong with the file (a line, a key and what it lacks).
fn read(source: &'static str) -> Result<Table, String> {
    avisera_core::texts::read("text.tsv", source).map(|texts| avisera_core::texts::by_language(&texts, COLUMNS))
}

pub fn get(lang: Lang, key: &str) -> Option<&'static str> {
    TEXT.get(&lang).and_then(|t| t.get(key)).copied()
}

/// A text with its `{name}` placeholders filled in; the key itself when it is missing (a
/// test checks none is).
pub fn fill(lang: Lang, key: &str, params: &[(&str, &str)]) -> String {
    let mut text = get(lang, key).unwrap_or(key).to_string();
    for (name, value) in params {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

/// The keys that start with `prefix`.
pub fn keys_with_prefix(prefix: &'static str) -> impl Iterator<Item = &'static str> {
    TEXT[&Lang::En]
        .range(prefix..)
        .map(|(k, _)| *k)
        .take_while(move |k| k.starts_with(prefix))
}

/// Every key, for tests.
#[cfg(test)]
pub fn keys() -> Vec<&'static str> {
    TEXT[&Lang::En].keys().copied().collect()
}

/// The whole table for one language, for a page's `t.key` lookups.
pub fn table(lang: Lang) -> Value {
    super::view::ser(&TEXT[&lang])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_a_text_in_all_five_languages() {
        let keys = keys();
        assert!(keys.len() > 250, "{} keys", keys.len());
        for key in keys {
            for lang in Lang::ALL {
                assert!(
                    get(lang, key).is_some_and(|t| !t.trim().is_empty()),
                    "{key} has no {} text",
                    lang.code()
                );
            }
        }
    }

    #[test]
    fn a_key_missing_a_language_or_given_twice_is_refused_with_its_line() {
        let short = read("# header\nsave\tSave\tSpara\tLagre\tGem\n").unwrap_err();
        assert!(
            short.contains("line 2") && short.contains("\"save\"") && short.contains("4 column"),
            "{short}"
        );
        let empty = read("save\tSave\tSpara\t\tGem\tTallenna\n").unwrap_err();
        assert!(empty.contains("none empty"), "{empty}");
        let twice =
            read("save\tSave\tSpara\tLagre\tGem\tTallenna\nsave\tSave\tSpara\tLagre\tGem\tTallenna\n").unwrap_err();
        assert!(twice.contains("twice"), "{twice}");
        let good = read("save\tSave\tSpara\tLagre\tGem\tTallenna\n").unwrap();
        assert_eq!(good[&Lang::Fi]["save"], "Tallenna");
    }

    #[test]
    fn placeholders_are_filled_in_the_reader_s_language() {
        assert_eq!(fill(Lang::Da, "plans_keep", &[("plan", "Pro")]), "Behold Pro");
        assert_eq!(
            fill(Lang::Fi, "login_locked", &[("minutes", "5")]),
            "Liian monta epäonnistunutta yritystä. Yritä uudelleen 5 minuutin kuluttua."
        );
    }
}
