//! The five languages of the receiver's tracking page, the page's words in each
//! (`tracking_text.tsv`), and which one a visitor gets.

use std::collections::BTreeMap;
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Language {
    En,
    Sv,
    Nb,
    Da,
    Fi,
}

impl Language {
    /// In the order of the page's language switch (and the columns of the text table: English first).
    pub const ALL: [Language; 5] = [Language::Sv, Language::Nb, Language::Da, Language::Fi, Language::En];

    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Sv => "sv",
            Language::Nb => "nb",
            Language::Da => "da",
            Language::Fi => "fi",
        }
    }

    /// Its name in itself, as the switch shows it.
    pub fn name(self) -> &'static str {
        match self {
            Language::En => "English",
            Language::Sv => "Svenska",
            Language::Nb => "Norsk",
            Language::Da => "Dansk",
            Language::Fi => "Suomi",
        }
    }

    /// A language tag (`sv`, `sv-SE`, `NO`, `nn`...) by its primary part; Norwegian by any of
    /// its codes; None for a language the page does not speak.
    pub fn parse(tag: &str) -> Option<Language> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Language::En),
            "sv" => Some(Language::Sv),
            "nb" | "no" | "nn" => Some(Language::Nb),
            "da" => Some(Language::Da),
            "fi" => Some(Language::Fi),
            _ => None,
        }
    }

    /// The browser's choice from an `Accept-Language` header: the spoken language with the
    /// highest weight, the first of equals.
    pub fn from_accept_language(header: &str) -> Option<Language> {
        let mut best: Option<(Language, f32)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let Some(language) = pieces.next().and_then(Language::parse) else {
                continue;
            };
            let weight = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())
                .unwrap_or(0.0);
            if weight > 0.0 && best.is_none_or(|(_, w)| weight > w) {
                best = Some((language, weight));
            }
        }
        best.map(|(l, _)| l)
    }

    /// The first of `choices` the page speaks (the link's `?lang=`, the receiver's choice, the
    /// shipment's language, the brand's...), else the browser's, else English.
    pub fn choose<'a>(choices: impl IntoIterator<Item = Option<&'a str>>, accept_language: Option<&str>) -> Language {
        choices
            .into_iter()
            .flatten()
            .find_map(Language::parse)
            .or_else(|| accept_language.and_then(Language::from_accept_language))
            .unwrap_or(Language::En)
    }

    /// The page's words in this language, `{brand}` filled in.
    pub fn words(self, brand: &str) -> BTreeMap<&'static str, String> {
        TEXT[&self]
            .iter()
            .map(|(k, v)| (*k, v.replace("{brand}", brand)))
            .collect()
    }

    /// One of the page's words (the key must be in the table; a test checks every key used).
    pub fn word(self, key: &str) -> &'static str {
        TEXT[&self]
            .get(key)
            .copied()
            .unwrap_or_else(|| panic!("tracking_text.tsv has no {key}"))
    }
}

/// `tracking_text.tsv` by language.
static TEXT: LazyLock<BTreeMap<Language, BTreeMap<&'static str, &'static str>>> = LazyLock::new(|| {
    let texts = avisera_core::texts::read("tracking_text.tsv", include_str!("../tracking_text.tsv"))
        .unwrap_or_else(|e| panic!("{e}"));
    avisera_core::texts::by_language(
        &texts,
        [Language::En, Language::Sv, Language::Nb, Language::Da, Language::Fi],
    )
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_word() {
        let keys: Vec<_> = TEXT[&Language::En].keys().collect();
        for language in Language::ALL {
            assert_eq!(TEXT[&language].keys().collect::<Vec<_>>(), keys, "{language:?}");
        }
    }

    #[test]
    fn norwegian_is_found_by_any_of_its_codes_and_unknown_languages_by_none() {
        for tag in ["nb", "no", "nn", "nb-NO", "NO"] {
            assert_eq!(Language::parse(tag), Some(Language::Nb), "{tag}");
        }
        assert_eq!(Language::parse("sv-SE"), Some(Language::Sv));
        assert_eq!(Language::parse("de"), None);
        assert_eq!(Language::parse(""), None);
    }

    #[test]
    fn the_browser_language_with_the_highest_weight_wins() {
        let pick = Language::from_accept_language;
        assert_eq!(pick("de-DE,de;q=0.9,da;q=0.8,en;q=0.7"), Some(Language::Da));
        assert_eq!(pick("en;q=0.5, fi"), Some(Language::Fi));
        assert_eq!(pick("nb-NO,sv;q=0.9"), Some(Language::Nb));
        assert_eq!(pick("sv;q=0, de"), None);
        assert_eq!(pick("*"), None);
    }

    #[test]
    fn the_link_choice_comes_before_the_receiver_the_brand_and_the_browser() {
        assert_eq!(Language::choose([Some("nb"), Some("sv")], Some("fi")), Language::Nb);
        // A `?lang=` the page does not speak is passed over, not an error.
        assert_eq!(
            Language::choose([Some("xx"), None, Some("da")], Some("fi")),
            Language::Da
        );
        assert_eq!(Language::choose([None, Some("de")], Some("fi;q=0.4")), Language::Fi);
        assert_eq!(Language::choose([None], None), Language::En);
    }
}
