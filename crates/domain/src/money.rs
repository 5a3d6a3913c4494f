//! Money: an integer number of öre. Never floating point.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Mul};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Ore(pub i64);

impl Ore {
    pub fn from_kronor(kr: i64) -> Ore {
        Ore(kr * 100)
    }

    /// `self × num ÷ den`, rounded half up, for pro-rata amounts.
    pub fn pro_rata(self, num: i64, den: i64) -> Ore {
        assert!(den > 0, "pro rata over nothing");
        let scaled = i128::from(self.0) * i128::from(num);
        let den = i128::from(den);
        let rounded = (2 * scaled + den).div_euclid(2 * den);
        Ore(i64::try_from(rounded).expect("amount fits in i64 öre"))
    }

    /// An amount in kronor as a person types it: `500`, `1 234,50`, `99.9`; at most two
    /// decimals, not negative, at most a billion kronor. The error says what to fix.
    pub fn parse_kronor(raw: &str) -> Result<Ore, String> {
        let plain: String = raw
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '\u{00A0}' | '\u{202F}'))
            .map(|c| if c == ',' { '.' } else { c })
            .collect();
        let bad = || {
            format!(
                "\"{}\" is not an amount in kronor; write it like 500 or 1234.50",
                raw.trim()
            )
        };
        let (whole, decimals) = plain.split_once('.').unwrap_or((&plain, ""));
        if whole.is_empty()
            || !whole.chars().all(|c| c.is_ascii_digit())
            || !decimals.chars().all(|c| c.is_ascii_digit())
            || decimals.len() > 2
        {
            return Err(bad());
        }
        let kronor: i64 = whole.parse().map_err(|_| bad())?;
        if kronor > 1_000_000_000 {
            return Err(bad());
        }
        let ore: i64 = format!("{decimals:0<2}").parse().map_err(|_| bad())?;
        Ok(Ore(kronor * 100 + ore))
    }
}

/// Shown as SEK with two decimals: `1234.50`.
impl fmt::Display for Ore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl Add for Ore {
    type Output = Ore;
    fn add(self, o: Ore) -> Ore {
        Ore(self.0 + o.0)
    }
}

impl AddAssign for Ore {
    fn add_assign(&mut self, o: Ore) {
        self.0 += o.0;
    }
}

impl Mul<i64> for Ore {
    type Output = Ore;
    fn mul(self, n: i64) -> Ore {
        Ore(self.0 * n)
    }
}

impl Sum for Ore {
    fn sum<I: Iterator<Item = Ore>>(iter: I) -> Ore {
        Ore(iter.map(|o| o.0).sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kronor_as_people_type_them() {
        assert_eq!(Ore::parse_kronor("500"), Ok(Ore(50_000)));
        assert_eq!(Ore::parse_kronor(" 1 234,50 "), Ok(Ore(123_450)));
        assert_eq!(Ore::parse_kronor("99.9"), Ok(Ore(9_990)));
        assert_eq!(Ore::parse_kronor("0,05"), Ok(Ore(5)));
        for bad in ["", "-5", "12.345", "tio", "1e3", ",50", "5000000000"] {
            let why = Ore::parse_kronor(bad).unwrap_err();
            assert!(why.contains("write it like 500"), "{bad}: {why}");
        }
    }

    #[test]
    fn shows_sek_with_two_decimals_and_rounds_half_up() {
        assert_eq!(Ore(75_000).to_string(), "750.00");
        assert_eq!(Ore(75).to_string(), "0.75");
        assert_eq!(Ore(-5).to_string(), "-0.05");
        assert_eq!(Ore(75_000).pro_rata(14, 30), Ore(35_000));
        assert_eq!(Ore(100).pro_rata(1, 3), Ore(33));
        assert_eq!(Ore(100).pro_rata(1, 8), Ore(13), "12.5 rounds up");
    }
}
