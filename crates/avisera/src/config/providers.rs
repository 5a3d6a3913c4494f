//! A channel's providers in the operator's order: one `[sms]` (`[smtp]`) table as before, or a
//! list, `[[sms.providers]]` (`[[smtp.servers]]`), each table with every key of the single one
//! and a `name`. A message goes to the first that takes it (`delivery::router`).

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};

/// One provider's table, as `Providers` reads it.
pub trait Provider: DeserializeOwned {
    /// The list's key inside the channel's table: `providers` or `servers`.
    const LIST: &'static str;
    /// The channel's table: `sms` or `smtp`.
    const TABLE: &'static str;
    /// The name of a provider written as the single table without one. It was the `provider`
    /// label of the metrics before providers had names, so the label stays.
    const DEFAULT_NAME: &'static str;
    fn name_slot(&mut self) -> &mut Option<String>;
    fn name_given(&self) -> Option<&str>;
}

/// At least one provider, each with its name (unique), in the operator's order.
#[derive(Debug, Clone)]
pub struct Providers<T> {
    list: Vec<T>,
}

impl<T: Provider> Providers<T> {
    /// One provider: `name` from its table, or the default.
    pub fn one(mut provider: T) -> Self {
        provider.name_slot().get_or_insert_with(|| T::DEFAULT_NAME.into());
        Providers { list: vec![provider] }
    }

    /// Several, in order; each needs a name, and no two the same.
    pub fn several(mut list: Vec<T>) -> Result<Self, String> {
        let key = format!("{}.{}", T::TABLE, T::LIST);
        if list.is_empty() {
            return Err(format!(
                "[[{key}]] lists no provider: write at least one, or the single [{}] table",
                T::TABLE
            ));
        }
        let mut seen = Vec::new();
        for (i, p) in list.iter_mut().enumerate() {
            let Some(name) = p.name_given().map(str::to_string) else {
                return Err(format!(
                    "{key}[{i}] has no name: give each of several providers a name, like name = \"first\""
                ));
            };
            check_name(&name).map_err(|why| format!("{key}[{i}].name: {why}"))?;
            if seen.contains(&name) {
                return Err(format!(
                    "{key}[{i}].name: \"{name}\" names two providers; each needs its own"
                ));
            }
            seen.push(name);
        }
        Ok(Providers { list })
    }

    /// In the operator's order.
    pub fn all(&self) -> &[T] {
        &self.list
    }

    /// The first: the one that takes a message while it works.
    pub fn first(&self) -> &T {
        &self.list[0]
    }
}

impl<T: Provider> From<T> for Providers<T> {
    fn from(provider: T) -> Self {
        Providers::one(provider)
    }
}

/// The name of a provider: in metrics' labels, the notification log and a receipt path.
pub fn check_name(name: &str) -> Result<(), String> {
    let fits = (1..=40).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if fits {
        Ok(())
    } else {
        Err(format!(
            "\"{name}\" is not a provider name: use 1 to 40 lowercase letters, digits, - or _ (like \"first\" or \"sinch-se\")"
        ))
    }
}

impl<'de, T: Provider> Deserialize<'de> for Providers<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut table = toml::Table::deserialize(d)?;
        let Some(list) = table.remove(T::LIST) else {
            let one: T = read(toml::Value::Table(table), "").map_err(D::Error::custom)?;
            if let Some(name) = one.name_given() {
                check_name(name).map_err(|why| D::Error::custom(format!("name: {why}")))?;
            }
            return Ok(Providers::one(one));
        };
        if let Some(beside) = table.keys().next() {
            return Err(D::Error::custom(format!(
                "`{beside}` is beside [[{0}.{1}]]: with several providers, write every key inside each [[{0}.{1}]] table",
                T::TABLE,
                T::LIST
            )));
        }
        let toml::Value::Array(items) = list else {
            return Err(D::Error::custom(format!(
                "`{}` is a list of tables: write [[{}.{}]] before each provider's keys",
                T::LIST,
                T::TABLE,
                T::LIST
            )));
        };
        let list = items
            .into_iter()
            .enumerate()
            .map(|(i, item)| read(item, &format!("{}[{i}].", T::LIST)))
            .collect::<Result<Vec<T>, String>>()
            .map_err(D::Error::custom)?;
        Providers::several(list).map_err(D::Error::custom)
    }
}

/// One provider's table, an error naming the key inside it (after `prefix`) and a colon.
fn read<T: DeserializeOwned>(value: toml::Value, prefix: &str) -> Result<T, String> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let why = e.inner().to_string();
        let why = why.lines().next().unwrap_or_default().trim().to_string();
        match (path.as_str(), prefix.strip_suffix('.')) {
            (".", None) => why,
            (".", Some(item)) => format!("{item}: {why}"),
            (path, _) => format!("{prefix}{path}: {why}"),
        }
    })
}

/// The key an error of a provider's table is about, and what is wrong: `sms` with
/// `providers[1].url: expected ...` is `sms.providers[1].url` with `expected ...`.
pub(super) fn inner_key(key: String, why: String) -> (String, String) {
    if key != "sms" && key != "smtp" {
        return (key, why);
    }
    let Some((inner, rest)) = why.split_once(": ") else {
        return (key, why);
    };
    let is_key = !inner.is_empty()
        && inner
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']'));
    if is_key {
        (format!("{key}.{inner}"), rest.to_string())
    } else {
        (key, why)
    }
}
