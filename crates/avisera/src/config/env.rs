//! The environment layer: `AVISERA_` + a key, with `__` between nesting levels
//! (`AVISERA_DELIVERY__BATCH` is `[delivery] batch`), written onto the TOML tree before it is
//! read into `Config`. Every key of the file has its variable; `KEYS` lists them with their kind,
//! so a value is parsed (and refused, naming the variable) here, not guessed.

use toml::{Table, Value};

/// How a variable's text becomes a TOML value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    WholeNumber,
    YesNo,
    /// Comma-separated: `5000,30000,120000`.
    Numbers,
    /// Comma-separated: `api,worker`.
    Words,
}

/// Every key of the configuration, dotted, and its kind. A test checks that each one is a
/// field of `Config` and that `Config` has no field missing here.
pub const KEYS: &[(&str, Kind)] = &[
    ("database_url", Kind::Text),
    ("listen", Kind::Text),
    ("public_url", Kind::Text),
    ("link_secret", Kind::Text),
    ("receipts_secret", Kind::Text),
    ("dev_inbox", Kind::YesNo),
    ("signup", Kind::YesNo),
    ("max_body_bytes", Kind::WholeNumber),
    ("retention_days", Kind::WholeNumber),
    ("mapping_file", Kind::Text),
    ("roles", Kind::Words),
    ("log_format", Kind::Text),
    ("delivery.lease_ms", Kind::WholeNumber),
    ("delivery.poll_ms", Kind::WholeNumber),
    ("delivery.batch", Kind::WholeNumber),
    ("delivery.workers", Kind::WholeNumber),
    ("delivery.express_batch", Kind::WholeNumber),
    ("delivery.retry.delays_ms", Kind::Numbers),
    ("delivery.tenant_rate_per_second", Kind::WholeNumber),
    ("delivery.failover.failures", Kind::WholeNumber),
    ("delivery.failover.cool_down_ms", Kind::WholeNumber),
    ("prices.plus.monthly_fee_ore", Kind::WholeNumber),
    ("prices.plus.sms_segment_ore", Kind::WholeNumber),
    ("prices.plus.email_ore", Kind::WholeNumber),
    ("prices.premium.monthly_fee_ore", Kind::WholeNumber),
    ("prices.premium.sms_segment_ore", Kind::WholeNumber),
    ("prices.premium.email_ore", Kind::WholeNumber),
    ("prices.enterprise.monthly_fee_ore", Kind::WholeNumber),
    ("prices.enterprise.sms_segment_ore", Kind::WholeNumber),
    ("prices.enterprise.email_ore", Kind::WholeNumber),
    ("smtp.name", Kind::Text),
    ("smtp.host", Kind::Text),
    ("smtp.port", Kind::WholeNumber),
    ("smtp.security", Kind::Text),
    ("smtp.username", Kind::Text),
    ("smtp.password", Kind::Text),
    ("smtp.default_from", Kind::Text),
    ("smtp.ca_file", Kind::Text),
    ("smtp.timeout_ms", Kind::WholeNumber),
    ("smtp.rate_per_second", Kind::WholeNumber),
    ("sms.name", Kind::Text),
    ("sms.url", Kind::Text),
    ("sms.format", Kind::Text),
    ("sms.auth_header", Kind::Text),
    ("sms.auth_value", Kind::Text),
    ("sms.idempotency_header", Kind::Text),
    ("sms.from_field", Kind::Text),
    ("sms.to_field", Kind::Text),
    ("sms.text_field", Kind::Text),
    ("sms.id_field", Kind::Text),
    ("sms.timeout_ms", Kind::WholeNumber),
    ("sms.rate_per_second", Kind::WholeNumber),
    ("sms.receipts.id_field", Kind::Text),
    ("sms.receipts.status_field", Kind::Text),
    ("sms.receipts.reason_field", Kind::Text),
    ("sms.receipts.time_field", Kind::Text),
    ("sms.receipts.delivered", Kind::Words),
    ("sms.receipts.undelivered", Kind::Words),
    ("nats.url", Kind::Text),
    ("nats.stream", Kind::Text),
    ("nats.subject_prefix", Kind::Text),
    ("nats.consumer", Kind::Text),
    ("nats.batch", Kind::WholeNumber),
    ("nats.ack_wait_ms", Kind::WholeNumber),
    ("nats.max_in_flight", Kind::WholeNumber),
];

/// Older names that keep working.
const ALIASES: &[(&str, &str)] = &[
    ("AVISERA_SMTP_PASSWORD", "smtp.password"),
    ("AVISERA_SMS_AUTH", "sms.auth_value"),
    ("AVISERA_NATS_URL", "nats.url"),
];

/// `AVISERA_` variables that are not configuration keys.
fn not_a_key(var: &str) -> bool {
    matches!(var, "AVISERA_CONFIG" | "AVISERA_LOG") || var.starts_with("AVISERA_TEST_")
}

/// The variable that sets a dotted key.
pub fn var_name(key: &str) -> String {
    format!("AVISERA_{}", key.replace('.', "__").to_uppercase())
}

/// The dotted key a variable sets, if it is one of ours; an error names an `AVISERA_` variable
/// that is not.
fn key_of(var: &str) -> Result<Option<(&'static str, Kind)>, String> {
    let Some(rest) = var.strip_prefix("AVISERA_") else {
        return Ok(None);
    };
    if not_a_key(var) {
        return Ok(None);
    }
    if let Some((_, key)) = ALIASES.iter().find(|(alias, _)| *alias == var) {
        return Ok(KEYS.iter().find(|(k, _)| k == key).copied());
    }
    let dotted = rest.to_lowercase().replace("__", ".");
    match KEYS.iter().find(|(k, _)| *k == dotted) {
        Some(found) => Ok(Some(*found)),
        None => {
            let hint = KEYS
                .iter()
                .find(|(k, _)| k.replace('.', "_") == dotted)
                .map(|(k, _)| format!(" (did you mean {}?)", var_name(k)))
                .unwrap_or_default();
            Err(format!(
                "not a setting{hint}; nested keys take a double underscore, like AVISERA_DELIVERY__BATCH (see the README's list)"
            ))
        }
    }
}

fn parse(kind: Kind, text: &str) -> Result<Value, String> {
    let number = |t: &str| {
        t.trim()
            .parse::<i64>()
            .map_err(|_| format!("expected a whole number, got \"{t}\""))
    };
    Ok(match kind {
        Kind::Text => Value::String(text.to_string()),
        Kind::WholeNumber => Value::Integer(number(text)?),
        Kind::YesNo => Value::Boolean(match text.trim().to_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => true,
            "0" | "false" | "no" | "off" | "" => false,
            _ => return Err(format!("expected true or false, got \"{text}\"")),
        }),
        Kind::Numbers => Value::Array(
            list(text)
                .map(|t| number(t).map(Value::Integer))
                .collect::<Result<_, _>>()
                .map_err(|e| format!("{e} (write numbers separated by commas, like 5000,30000)"))?,
        ),
        Kind::Words => Value::Array(list(text).map(|t| Value::String(t.to_string())).collect()),
    })
}

fn list(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').map(str::trim).filter(|t| !t.is_empty())
}

/// Writes every `AVISERA_` variable onto `tree`; returns which key came from which variable.
pub fn overlay(
    tree: &mut Table,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<Vec<(&'static str, String)>, (String, String)> {
    let mut vars: Vec<_> = vars.into_iter().collect();
    // An alias and its new name together: the new name wins, whatever the order.
    vars.sort_by_key(|(var, _)| ALIASES.iter().all(|(alias, _)| alias != var));
    let mut origins = Vec::new();
    for (var, text) in vars {
        let Some((key, kind)) = key_of(&var).map_err(|e| (var.clone(), e))? else {
            continue;
        };
        let value = parse(kind, &text).map_err(|e| (var.clone(), e))?;
        set(tree, key, value).map_err(|e| (var.clone(), e))?;
        origins.retain(|(k, _)| *k != key);
        origins.push((key, var));
    }
    Ok(origins)
}

fn set(tree: &mut Table, key: &str, value: Value) -> Result<(), String> {
    let mut parts: Vec<&str> = key.split('.').collect();
    let last = parts.pop().unwrap_or(key);
    let mut table = tree;
    for part in parts {
        let slot = table.entry(part).or_insert_with(|| Value::Table(Table::new()));
        table = slot
            .as_table_mut()
            .ok_or_else(|| format!("the config file's `{part}` is not a table"))?;
    }
    table.insert(last.to_string(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(var: &str, text: &str) -> Result<Table, (String, String)> {
        let mut tree = Table::new();
        overlay(&mut tree, [(var.to_string(), text.to_string())])?;
        Ok(tree)
    }

    #[test]
    fn nested_names_and_typed_values() {
        let tree = one("AVISERA_DELIVERY__RETRY__DELAYS_MS", "100, 200").unwrap();
        assert_eq!(
            tree["delivery"]["retry"]["delays_ms"],
            Value::Array(vec![100.into(), 200.into()])
        );
        let err = one("AVISERA_DELIVERY__BATCH", "abc").unwrap_err();
        assert_eq!(
            format!("{}: {}", err.0, err.1),
            "AVISERA_DELIVERY__BATCH: expected a whole number, got \"abc\""
        );
        let err = one("AVISERA_DELIVERY_BATCH", "3").unwrap_err();
        assert!(err.1.contains("did you mean AVISERA_DELIVERY__BATCH?"), "{err:?}");
        assert!(
            one("AVISERA_DEV_INBOX", "maybe")
                .unwrap_err()
                .1
                .contains("true or false")
        );
        assert!(one("AVISERA_TEST_POSTGRES_URL", "x").unwrap().is_empty());
        assert!(one("HOME", "/root").unwrap().is_empty());
    }

    #[test]
    fn every_key_has_a_variable_that_reaches_it() {
        for (key, kind) in KEYS {
            let sample = match kind {
                Kind::WholeNumber => "7",
                Kind::YesNo => "true",
                Kind::Numbers => "1,2",
                _ => "x",
            };
            let tree = one(&var_name(key), sample).unwrap();
            let mut v = &Value::Table(tree);
            for part in key.split('.') {
                v = &v[part];
            }
            assert_eq!(*v, parse(*kind, sample).unwrap(), "{key}");
        }
    }
}
