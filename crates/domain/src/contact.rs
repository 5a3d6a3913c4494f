//! Receiver contact points. Parse, don't validate: past the edge only these types exist, so an
//! invalid address can never reach a channel.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContactError {
    #[error("invalid email address {0:?}: {1}")]
    Email(String, &'static str),
    #[error("invalid phone number {0:?}: {1}")]
    Phone(String, &'static str),
    #[error("{0} is {1}, not a mobile: an SMS cannot reach it")]
    NotMobile(String, &'static str),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, ContactError> {
        let fail = |why| Err(ContactError::Email(raw.chars().take(80).collect(), why));
        let s = raw.trim();
        if s.is_empty() {
            return fail("it is empty");
        }
        if s.len() > 254 {
            return fail("it is longer than 254 characters");
        }
        if s.chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>,;\"()[]\\".contains(c))
        {
            return fail("it contains a space or a character not allowed in an address");
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return fail("it has no @");
        };
        if local.is_empty() || local.len() > 64 || local.contains('@') {
            return fail("the part before @ must be 1 to 64 characters and hold no other @");
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2
            || labels.iter().any(|l| {
                l.is_empty()
                    || l.len() > 63
                    || l.starts_with('-')
                    || l.ends_with('-')
                    || !l.chars().all(|c| c.is_alphanumeric() || c == '-')
            })
        {
            return fail("the domain after @ must look like example.com");
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = ContactError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<EmailAddress> for String {
    fn from(e: EmailAddress) -> String {
        e.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An address shown without giving it away, as in a replay's examples: a phone number keeps
/// its country code, two digits and the last four (`+46 70•••45 67`), an email address its
/// first character and its domain (`a•••@example.se`).
pub fn masked(address: &str) -> String {
    const HIDDEN: &str = "•••";
    if let Some((local, domain)) = address.rsplit_once('@') {
        let first: String = local.chars().take(1).collect();
        return format!("{first}{HIDDEN}@{domain}");
    }
    let digits: String = address.chars().filter(char::is_ascii_digit).collect();
    let code = phonenumber::parse(None, address)
        .ok()
        .map(|n| n.code().value().to_string())
        .filter(|c| address.starts_with('+') && digits.starts_with(c.as_str()));
    match code {
        Some(code) if digits.len() >= code.len() + 6 => {
            let national = &digits[code.len()..];
            let end = &national[national.len() - 4..];
            format!("+{code} {}{HIDDEN}{} {}", &national[..2], &end[..2], &end[2..])
        }
        _ => {
            let end: String = digits.chars().skip(digits.len().saturating_sub(2)).collect();
            format!("{HIDDEN}{end}")
        }
    }
}

/// A phone number in E.164 form (`+46701234567`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

/// Calling code and national significant number length range for the countries Avisera knows
/// by heart; other countries must be given in international form.
fn national_plan(country: &str) -> Option<(&'static str, usize, usize)> {
    Some(match country {
        "SE" => ("46", 7, 9),
        "NO" => ("47", 8, 8),
        "DK" => ("45", 8, 8),
        "FI" => ("358", 5, 12),
        "IS" => ("354", 7, 9),
        "DE" => ("49", 6, 13),
        "GB" => ("44", 9, 10),
        _ => return None,
    })
}

impl PhoneNumber {
    /// Parses a number written internationally (`+46 70-123 45 67`, `0046701234567`) or
    /// nationally (`070-123 45 67`) for the given country (ISO alpha-2).
    pub fn parse(raw: &str, country: Option<&str>) -> Result<Self, ContactError> {
        let fail = |why| Err(ContactError::Phone(raw.chars().take(40).collect(), why));
        if raw.len() > 40 {
            return fail("it is longer than 40 characters");
        }
        let s = raw.trim();
        // `+46 (0)70-123 45 67`, common in Nordic signatures: the bracketed trunk prefix is
        // dialled only within the country, so an international number drops it.
        let s = &if s.starts_with('+') || s.starts_with("00") {
            s.replacen("(0)", "", 1)
        } else {
            s.to_string()
        };
        let mut digits = String::new();
        for (i, c) in s.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if i == 0 => {}
                ' ' | '-' | '(' | ')' | '.' | '/' => {}
                _ => return fail("only digits, spaces, dashes, brackets and a leading + are allowed"),
            }
        }
        if digits.is_empty() {
            return fail("it has no digits");
        }
        let international = if s.starts_with('+') {
            digits
        } else if let Some(rest) = digits.strip_prefix("00") {
            rest.to_string()
        } else if let Some(national) = digits.strip_prefix('0') {
            let country = country.map(str::to_ascii_uppercase).unwrap_or_else(|| "SE".into());
            let Some((code, min, max)) = national_plan(&country) else {
                return fail("write it in international form, starting with + and the country code");
            };
            if national.len() < min || national.len() > max {
                return fail("it has the wrong number of digits for its country");
            }
            format!("{code}{national}")
        } else {
            // Norway, Denmark and Iceland have no trunk prefix: a national number is just its digits.
            let country = country.map(str::to_ascii_uppercase).unwrap_or_default();
            match (country.as_str(), national_plan(&country)) {
                ("NO" | "DK" | "IS", Some((code, min, max))) if (min..=max).contains(&digits.len()) => {
                    format!("{code}{digits}")
                }
                _ => return fail("start it with + and the country code, or with 0 for a national number"),
            }
        };
        if international.starts_with('0') {
            return fail("a country code never starts with 0");
        }
        for code in ["46", "47", "45", "358", "354"] {
            if let Some(national) = international.strip_prefix(code) {
                let (_, min, max) = national_plan(match code {
                    "46" => "SE",
                    "47" => "NO",
                    "45" => "DK",
                    "358" => "FI",
                    _ => "IS",
                })
                .expect("known plan");
                if national.starts_with('0') || national.len() < min || national.len() > max {
                    return fail("it has the wrong number of digits for its country");
                }
            }
        }
        if !(8..=15).contains(&international.len()) {
            return fail("an international number has 8 to 15 digits");
        }
        Ok(Self(format!("+{international}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the number is when it certainly cannot take an SMS (a fixed line, a toll-free or
    /// premium-rate number...), by the numbering plans of the phone-number metadata. `None`
    /// when it is a mobile or may be one: in Denmark, say, fixed and mobile numbers share
    /// ranges, and a number nobody can classify is given the benefit of the doubt.
    pub fn not_a_mobile(&self) -> Option<&'static str> {
        use phonenumber::Type;
        if self.is_nordic_mobile() {
            return None;
        }
        let number = phonenumber::parse(None, &self.0).ok()?;
        match number.number_type(&phonenumber::metadata::DATABASE) {
            Type::FixedLine => Some("a fixed line"),
            Type::TollFree => Some("a toll-free number"),
            Type::PremiumRate => Some("a premium-rate number"),
            Type::SharedCost => Some("a shared-cost number"),
            Type::Uan => Some("a company switchboard number"),
            Type::Voicemail => Some("a voicemail number"),
            Type::Emergency => Some("an emergency number"),
            _ => None,
        }
    }

    /// Mobile ranges of the Nordic numbering plans (Sweden 07[02369], Norway 4 and 9, Finland
    /// 04 and 050, Iceland 6-8), the numbers nearly every receiver has: known at a glance, so
    /// ingest does not run the metadata's patterns for each of them.
    fn is_nordic_mobile(&self) -> bool {
        let n = &self.0.as_bytes()[1..];
        match n {
            [b'4', b'6', b'7', b'0' | b'2' | b'3' | b'6' | b'9', ..] => n.len() == 11,
            [b'4', b'7', b'4' | b'9', ..] => n.len() == 10,
            [b'3', b'5', b'8', b'4', ..] | [b'3', b'5', b'8', b'5', b'0', ..] => (10..=13).contains(&n.len()),
            [b'3', b'5', b'4', b'6' | b'7' | b'8', ..] => n.len() == 10,
            _ => false,
        }
    }

    /// The number, when an SMS can reach it; else why not.
    pub fn for_sms(self) -> Result<Self, ContactError> {
        match self.not_a_mobile() {
            Some(kind) => Err(ContactError::NotMobile(self.0, kind)),
            None => Ok(self),
        }
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = ContactError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s, None)
    }
}

impl From<PhoneNumber> for String {
    fn from(p: PhoneNumber) -> String {
        p.0
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_masked_address_keeps_only_enough_to_recognise_it() {
        assert_eq!(masked("+46701234567"), "+46 70•••45 67");
        assert_eq!(masked("+358401234567"), "+358 40•••45 67");
        assert_eq!(masked("anna@example.se"), "a•••@example.se");
        assert_eq!(masked("12"), "•••12");
    }

    #[test]
    fn swedish_numbers_in_every_common_form_normalise_alike() {
        for raw in [
            "+46 70-123 45 67",
            "0046701234567",
            "070-123 45 67",
            "+46701234567",
            "+46 (0)70-123 45 67",
            "+46(0)701234567",
            "0046 (0)70 123 45 67",
            "(0)70-123 45 67",
        ] {
            assert_eq!(
                PhoneNumber::parse(raw, Some("SE")).unwrap().as_str(),
                "+46701234567",
                "{raw}"
            );
        }
        assert_eq!(
            PhoneNumber::parse("41 23 45 67", Some("NO")).unwrap().as_str(),
            "+4741234567"
        );
        assert_eq!(
            PhoneNumber::parse("+47 41 23 45 67", None).unwrap().as_str(),
            "+4741234567"
        );
        assert_eq!(
            PhoneNumber::parse("040 123 4567", Some("FI")).unwrap().as_str(),
            "+358401234567"
        );
    }

    #[test]
    fn nordic_and_international_numbers() {
        let e164 = |raw: &str, country: Option<&str>| PhoneNumber::parse(raw, country).map(String::from);
        assert_eq!(e164("412 34 567", Some("NO")).unwrap(), "+4741234567");
        assert_eq!(e164("20 12 34 56", Some("dk")).unwrap(), "+4520123456");
        assert_eq!(
            e164("+45 20 12 34 56", Some("SE")).unwrap(),
            "+4520123456",
            "an international number ignores the country"
        );
        assert_eq!(e164("+354 611 2345", None).unwrap(), "+3546112345");
        assert_eq!(e164("+44 7700 900123", None).unwrap(), "+447700900123");
        assert_eq!(e164("+1 (415) 555-0123", None).unwrap(), "+14155550123");
        assert_eq!(e164("0049 151 23456789", None).unwrap(), "+4915123456789");
        assert!(
            e164("412 34 567", Some("SE"))
                .unwrap_err()
                .to_string()
                .contains("start it with +")
        );
        assert!(e164("4123 4567", None).is_err(), "no country, no prefix: ambiguous");
        assert!(
            e164("+46 0701234567", None)
                .unwrap_err()
                .to_string()
                .contains("wrong number of digits")
        );
        assert!(
            e164("+1234567890123456", None)
                .unwrap_err()
                .to_string()
                .contains("8 to 15 digits")
        );
    }

    #[test]
    fn numbers_that_certainly_cannot_take_an_sms_are_told_apart_from_mobiles() {
        let kind = |raw: &str, country: Option<&str>| PhoneNumber::parse(raw, country).unwrap().not_a_mobile();
        assert_eq!(kind("08-123 456 78", Some("SE")), Some("a fixed line"), "Stockholm");
        assert_eq!(kind("031-123 45 67", Some("SE")), Some("a fixed line"), "Gothenburg");
        assert_eq!(kind("020-123 456", Some("SE")), Some("a toll-free number"));
        assert_eq!(kind("22 12 34 56", Some("NO")), Some("a fixed line"), "Oslo");
        assert_eq!(kind("09 123 4567", Some("FI")), Some("a fixed line"), "Helsinki");
        for mobile in [
            ("070-123 45 67", "SE"),
            ("076-123 45 67", "SE"),
            ("412 34 567", "NO"),
            ("040 123 4567", "FI"),
            ("+44 7700 900123", "GB"),
        ] {
            assert_eq!(kind(mobile.0, Some(mobile.1)), None, "{mobile:?}");
        }
        // The fast path for Nordic mobiles agrees with the metadata.
        for raw in [
            "+46701234567",
            "+46731234567",
            "+4741234567",
            "+4791234567",
            "+358401234567",
            "+358501234567",
        ] {
            let p = PhoneNumber::parse(raw, None).unwrap();
            assert!(p.is_nordic_mobile(), "{raw}");
            let meta = phonenumber::parse(None, raw)
                .unwrap()
                .number_type(&phonenumber::metadata::DATABASE);
            assert!(matches!(meta, phonenumber::Type::Mobile), "{raw}: {meta:?}");
        }
        let err = PhoneNumber::parse("08-123 456 78", Some("SE"))
            .unwrap()
            .for_sms()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "+46812345678 is a fixed line, not a mobile: an SMS cannot reach it"
        );
    }

    #[test]
    fn bad_numbers_say_what_is_wrong() {
        let err = PhoneNumber::parse("12ab", Some("SE")).unwrap_err().to_string();
        assert!(err.contains("only digits"), "{err}");
        let err = PhoneNumber::parse("+4612", None).unwrap_err().to_string();
        assert!(err.contains("wrong number of digits"), "{err}");
        assert!(PhoneNumber::parse("", None).is_err());
    }

    #[test]
    fn email_addresses_are_checked_and_domains_lowercased() {
        assert_eq!(
            EmailAddress::parse(" Anna@Example.SE ").unwrap().as_str(),
            "Anna@example.se"
        );
        for bad in [
            "anna",
            "anna@",
            "@example.se",
            "anna@example",
            "an na@example.se",
            "a@b..se",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
    }
}
