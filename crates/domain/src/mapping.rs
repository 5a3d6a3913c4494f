//! How carriers' event codes map onto triggers and shipment milestones. The shipped defaults
//! are data, looked up by code; an unknown code maps to nothing and is never rejected.

use crate::trigger::Trigger;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// Where a shipment is in its life. Ordered: a later milestone is never undone by an older
/// event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Milestone {
    Announced,
    InTransit,
    AtPickupPoint,
    OutForDelivery,
    Delivered,
    Returned,
}

impl Milestone {
    pub fn slug(self) -> &'static str {
        match self {
            Milestone::Announced => "announced",
            Milestone::InTransit => "in_transit",
            Milestone::AtPickupPoint => "at_pickup_point",
            Milestone::OutForDelivery => "out_for_delivery",
            Milestone::Delivered => "delivered",
            Milestone::Returned => "returned",
        }
    }

    pub fn parse(s: &str) -> Option<Milestone> {
        [
            Milestone::Announced,
            Milestone::InTransit,
            Milestone::AtPickupPoint,
            Milestone::OutForDelivery,
            Milestone::Delivered,
            Milestone::Returned,
        ]
        .into_iter()
        .find(|m| m.slug() == s)
    }

    /// Nothing but another final milestone follows these.
    pub fn is_final(self) -> bool {
        matches!(self, Milestone::Delivered | Milestone::Returned)
    }
}

/// What one carrier code means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeMeaning {
    pub code: String,
    pub trigger: Option<Trigger>,
    /// The parcel was physically handled (counts for "first transport event").
    pub physical: bool,
    pub milestone: Option<Milestone>,
    pub note: String,
}

/// A mapping table: the shipped defaults (`mapping/default.tsv`), possibly with an operator's
/// lines over them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapping {
    entries: BTreeMap<String, CodeMeaning>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("mapping line {line}: {message}")]
pub struct MappingError {
    pub line: usize,
    pub message: String,
}

const DEFAULT_TABLE: &str = include_str!("../../../mapping/default.tsv");

static DEFAULTS: LazyLock<Mapping> =
    LazyLock::new(|| Mapping::parse(DEFAULT_TABLE).expect("the shipped mapping table parses"));

impl Mapping {
    pub fn defaults() -> &'static Mapping {
        &DEFAULTS
    }

    /// The shipped table's text, as documentation.
    pub fn default_table() -> &'static str {
        DEFAULT_TABLE
    }

    /// Parses a table: `code trigger physical milestone note...` per line, `#` comments.
    pub fn parse(text: &str) -> Result<Mapping, MappingError> {
        let mut entries = BTreeMap::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |message: String| MappingError { line: i + 1, message };
            let mut cols = line.split_whitespace();
            let (Some(code), Some(trigger), Some(physical), Some(milestone)) =
                (cols.next(), cols.next(), cols.next(), cols.next())
            else {
                return Err(err("expected: code trigger physical milestone [note]".into()));
            };
            let note = cols.collect::<Vec<_>>().join(" ");
            let trigger = match trigger {
                "-" => None,
                t => Some(t.parse::<Trigger>().map_err(|e| err(e.to_string()))?),
            };
            let physical = match physical {
                "yes" => true,
                "no" => false,
                other => return Err(err(format!("physical is yes or no, not {other:?}"))),
            };
            let milestone = match milestone {
                "-" => None,
                m => Some(Milestone::parse(m).ok_or_else(|| {
                    err(format!(
                        "unknown milestone {m:?}; use announced, in_transit, at_pickup_point, out_for_delivery, delivered, returned or -"
                    ))
                })?),
            };
            if code.len() > 64 {
                return Err(err("a code is at most 64 characters".into()));
            }
            let code = code.to_ascii_uppercase();
            entries.insert(
                code.clone(),
                CodeMeaning {
                    code,
                    trigger,
                    physical,
                    milestone,
                    note,
                },
            );
        }
        Ok(Mapping { entries })
    }

    /// This table with `overrides`' lines replacing or adding codes.
    pub fn with(&self, overrides: &Mapping) -> Mapping {
        let mut entries = self.entries.clone();
        entries.extend(overrides.entries.iter().map(|(k, v)| (k.clone(), v.clone())));
        Mapping { entries }
    }

    pub fn lookup(&self, code: &str) -> Option<&CodeMeaning> {
        self.entries.get(&code.to_ascii_uppercase())
    }

    pub fn entries(&self) -> impl Iterator<Item = &CodeMeaning> {
        self.entries.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_table_parses_and_overrides_replace_codes() {
        let d = Mapping::defaults();
        assert_eq!(d.lookup("delivered").unwrap().trigger, Some(Trigger::Delivered));
        assert!(d.lookup("NOPE").is_none());
        let ops =
            Mapping::parse("# ours\nDELIVERED  -  yes  delivered  we notify ourselves\nX1  customs  no  -\n").unwrap();
        let m = d.with(&ops);
        assert_eq!(m.lookup("DELIVERED").unwrap().trigger, None);
        assert_eq!(m.lookup("x1").unwrap().trigger, Some(Trigger::Customs));
        assert_eq!(m.lookup("EN_ROUTE"), d.lookup("EN_ROUTE"));
    }

    #[test]
    fn a_bad_line_is_named() {
        let err = Mapping::parse("A  delivered  yes  delivered\nB  teleported  no  -\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("teleported"), "{err}");
        assert!(
            Mapping::parse("C delivered maybe -")
                .unwrap_err()
                .message
                .contains("yes or no")
        );
        assert!(
            Mapping::parse("D delivered yes flying")
                .unwrap_err()
                .message
                .contains("milestone")
        );
        assert!(Mapping::parse("E delivered").is_err());
    }
}
