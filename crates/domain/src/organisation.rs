//! A business's organisation number in the Nordic countries, checked by its country's rule:
//! Sweden's organisationsnummer (10 digits, Luhn), Norway's organisasjonsnummer (9 digits,
//! mod 11), Denmark's CVR-nummer (8 digits, mod 11) and Finland's Y-tunnus (7 digits and a
//! mod-11 check digit).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Country {
    Se,
    No,
    Dk,
    Fi,
}

impl Country {
    pub const ALL: [Country; 4] = [Country::Se, Country::No, Country::Dk, Country::Fi];

    pub fn code(self) -> &'static str {
        match self {
            Country::Se => "SE",
            Country::No => "NO",
            Country::Dk => "DK",
            Country::Fi => "FI",
        }
    }

    /// How the country writes the number, for error messages and the form's hint.
    pub fn example(self) -> &'static str {
        match self {
            Country::Se => "556036-0793 (10 digits)",
            Country::No => "923 609 016 (9 digits)",
            Country::Dk => "24256790 (8 digits)",
            Country::Fi => "0112038-9 (7 digits, a dash and a check digit)",
        }
    }

    fn digits(self) -> usize {
        match self {
            Country::Se => 10,
            Country::No => 9,
            Country::Dk => 8,
            Country::Fi => 8,
        }
    }
}

impl FromStr for Country {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "SE" => Ok(Country::Se),
            "NO" => Ok(Country::No),
            "DK" => Ok(Country::Dk),
            "FI" => Ok(Country::Fi),
            _ => Err(format!("unknown country {s:?}; use SE, NO, DK or FI")),
        }
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A checked organisation number, kept as its digits and written the country's way.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrganisationNumber {
    country: Country,
    digits: String,
}

impl OrganisationNumber {
    /// Reads a number as people write it (spaces, dashes and a Swedish `16` century prefix
    /// are allowed) and checks its check digit.
    pub fn parse(country: Country, text: &str) -> Result<OrganisationNumber, String> {
        let mut digits: String = text.chars().filter(|c| !matches!(c, ' ' | '-' | '.')).collect();
        if digits.is_empty() {
            return Err(format!("enter the organisation number, e.g. {}", country.example()));
        }
        if let Some(bad) = digits.chars().find(|c| !c.is_ascii_digit()) {
            return Err(format!(
                "an organisation number has only digits; {bad:?} is not one (e.g. {})",
                country.example()
            ));
        }
        if country == Country::Se && digits.len() == 12 && digits.starts_with("16") {
            digits.drain(..2);
        }
        if digits.len() != country.digits() {
            return Err(format!(
                "{} has {} digits, not {}: e.g. {}",
                name(country),
                country.digits(),
                digits.len(),
                country.example()
            ));
        }
        let values: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
        if !check_digit_holds(country, &values) {
            return Err(format!(
                "{digits_as_written} is not {}: its check digit does not match; check for a typing error",
                name(country),
                digits_as_written = text.trim()
            ));
        }
        Ok(OrganisationNumber { country, digits })
    }

    pub fn country(&self) -> Country {
        self.country
    }

    /// The digits alone: what is stored and compared.
    pub fn digits(&self) -> &str {
        &self.digits
    }
}

/// Written the way the country writes it: `556036-0793`, `923 609 016`, `24256790`, `0112038-9`.
impl fmt::Display for OrganisationNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.digits;
        match self.country {
            Country::Se => write!(f, "{}-{}", &d[..6], &d[6..]),
            Country::No => write!(f, "{} {} {}", &d[..3], &d[3..6], &d[6..]),
            Country::Dk => f.write_str(d),
            Country::Fi => write!(f, "{}-{}", &d[..7], &d[7..]),
        }
    }
}

fn name(country: Country) -> &'static str {
    match country {
        Country::Se => "a Swedish organisationsnummer",
        Country::No => "a Norwegian organisasjonsnummer",
        Country::Dk => "a Danish CVR number",
        Country::Fi => "a Finnish Y-tunnus",
    }
}

fn check_digit_holds(country: Country, d: &[u32]) -> bool {
    match country {
        Country::Se => luhn_holds(d),
        Country::No => mod11_check(&d[..8], &[3, 2, 7, 6, 5, 4, 3, 2]) == Some(d[8]),
        // CVR: the weighted sum of all eight digits is a multiple of 11.
        Country::Dk => {
            let weights = [2, 7, 6, 5, 4, 3, 2, 1];
            d.iter()
                .zip(weights)
                .map(|(x, w)| x * w)
                .sum::<u32>()
                .is_multiple_of(11)
        }
        Country::Fi => mod11_check(&d[..7], &[7, 9, 10, 5, 8, 4, 2]) == Some(d[7]),
    }
}

/// Luhn over all digits: from the right, every second digit doubled (less 9 above 9).
fn luhn_holds(d: &[u32]) -> bool {
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            if i % 2 == 1 {
                let y = x * 2;
                if y > 9 { y - 9 } else { y }
            } else {
                x
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The mod-11 check digit Norway and Finland use: 11 minus the weighted sum's remainder,
/// 0 for remainder 0, none (the number cannot exist) for remainder 1.
fn mod11_check(d: &[u32], weights: &[u32]) -> Option<u32> {
    let r = d.iter().zip(weights).map(|(x, w)| x * w).sum::<u32>() % 11;
    match r {
        0 => Some(0),
        1 => None,
        r => Some(11 - r),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn real_numbers_of_each_country_are_accepted_and_written_its_way() {
        let cases = [
            (Country::Se, "556036-0793", "556036-0793"),
            (Country::Se, "16 5560360793", "556036-0793"),
            (Country::Se, "202100-5489", "202100-5489"),
            (Country::No, "923609016", "923 609 016"),
            (Country::No, "974 760 673", "974 760 673"),
            (Country::Dk, "24256790", "24256790"),
            (Country::Dk, "10 15 08 17", "10150817"),
            (Country::Fi, "0112038-9", "0112038-9"),
            (Country::Fi, "1572860-0", "1572860-0"),
        ];
        for (country, text, written) in cases {
            let n = OrganisationNumber::parse(country, text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(n.to_string(), written);
        }
    }

    #[test]
    fn a_typing_error_is_caught_and_the_message_says_what_to_fix() {
        let e = OrganisationNumber::parse(Country::Se, "556036-0794").unwrap_err();
        assert!(e.contains("check digit"), "{e}");
        let e = OrganisationNumber::parse(Country::No, "92360901").unwrap_err();
        assert!(e.contains("9 digits, not 8"), "{e}");
        let e = OrganisationNumber::parse(Country::Dk, "2425679O").unwrap_err();
        assert!(e.contains("'O'"), "{e}");
        let e = OrganisationNumber::parse(Country::Fi, "").unwrap_err();
        assert!(e.contains("0112038-9"), "{e}");
    }

    fn digits(n: usize) -> impl Strategy<Value = Vec<u32>> {
        proptest::collection::vec(0u32..10, n)
    }

    proptest! {
        /// Changing any one digit of a valid number is always caught: what a check digit is for.
        #[test]
        fn one_wrong_digit_is_always_caught(country in prop::sample::select(Country::ALL.to_vec()),
                                            body in digits(9), at in 0usize..10, by in 1u32..10) {
            let n = country.digits();
            let mut d = body[..n - 1].to_vec();
            // Complete the body with the digit that makes it valid, if there is one.
            let valid = (0..10).map(|c| { let mut x = d.clone(); x.push(c); x }).find(|x| check_digit_holds(country, x));
            prop_assume!(valid.is_some());
            d = valid.unwrap();
            let text: String = d.iter().map(|x| char::from_digit(*x, 10).unwrap()).collect();
            prop_assert!(OrganisationNumber::parse(country, &text).is_ok());
            let at = at % n;
            d[at] = (d[at] + by) % 10;
            let typo: String = d.iter().map(|x| char::from_digit(*x, 10).unwrap()).collect();
            prop_assert!(OrganisationNumber::parse(country, &typo).is_err(), "{} {}", country, typo);
        }
    }
}
