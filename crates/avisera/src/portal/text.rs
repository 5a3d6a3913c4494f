//! The portal's interface text in Swedish and English, from `text.tsv` (key, English,
//! Swedish), compiled in.

use super::session::Lang;
use minijinja::Value;
use std::collections::BTreeMap;
use std::sync::LazyLock;

struct Table {
    en: BTreeMap<&'static str, &'static str>,
    sv: BTreeMap<&'static str, &'static str>,
}

static TEXT: LazyLock<Table> = LazyLock::new(|| {
    let mut table = Table {
        en: BTreeMap::new(),
        sv: BTreeMap::new(),
    };
    for (n, line) in include_str!("text.tsv").lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let mut cols = line.split('\t');
        let (Some(key), Some(en), Some(sv)) = (cols.next(), cols.next(), cols.next()) else {
            panic!(
                "text.tsv line {}: needs key, English and Swedish separated by tabs",
                n + 1
            );
        };
        table.en.insert(key, en);
        table.sv.insert(key, sv);
    }
    table
});

pub fn get(lang: Lang, key: &str) -> Option<&'static str> {
    let t = &*TEXT;
    match lang {
        Lang::Sv => t.sv.get(key),
        Lang::En => t.en.get(key),
    }
    .copied()
}

/// The whole table for one language, for a page's `t.key` lookups.
pub fn table(lang: Lang) -> Value {
    let t = &*TEXT;
    super::view::ser(match lang {
        Lang::Sv => &t.sv,
        Lang::En => &t.en,
    })
}
