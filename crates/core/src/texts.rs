//! The five-language text tables Avisera keeps its own words in (the portal's `text.tsv`, the
//! receiver's and tracking pages' tables, the account emails): a key, then English, Swedish,
//! Norwegian (bokmål), Danish and Finnish, tab-separated; `#` starts a comment line. One reader
//! for all of them, so every table is held to the same rules.

use std::collections::BTreeMap;

/// The columns after the key, in order.
pub const LANGUAGES: [&str; 5] = ["en", "sv", "nb", "da", "fi"];

/// Per key, its text in each of [`LANGUAGES`], in that order.
pub type Texts = BTreeMap<&'static str, [&'static str; 5]>;

/// The table in `source`, or what is wrong with it: the file's line, the key and what it
/// lacks (a language, a text that is not empty) or that it is there twice.
pub fn read(file: &str, source: &'static str) -> Result<Texts, String> {
    let mut table = Texts::new();
    for (n, line) in source.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let mut cols = line.split('\t');
        let key = cols.next().unwrap_or_default();
        let texts: Vec<&'static str> = cols.collect();
        let columns = texts.len();
        let texts: [&'static str; 5] = texts
            .try_into()
            .ok()
            .filter(|t: &[&str; 5]| t.iter().all(|t| !t.trim().is_empty()))
            .ok_or_else(|| {
                format!(
                    "{file} line {}: {key:?} needs a text in each of {} (tab-separated, none empty); it has {columns} column(s)",
                    n + 1,
                    LANGUAGES.join(", ")
                )
            })?;
        if table.insert(key, texts).is_some() {
            return Err(format!("{file} line {}: {key:?} is there twice", n + 1));
        }
    }
    Ok(table)
}

/// The table turned by language: for each column, its texts by key.
pub fn by_language<L: Ord + Copy>(texts: &Texts, columns: [L; 5]) -> BTreeMap<L, BTreeMap<&'static str, &'static str>> {
    columns
        .iter()
        .enumerate()
        .map(|(i, lang)| (*lang, texts.iter().map(|(key, t)| (*key, t[i])).collect()))
        .collect()
}
