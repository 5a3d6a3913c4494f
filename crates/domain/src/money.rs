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
    fn shows_sek_with_two_decimals_and_rounds_half_up() {
        assert_eq!(Ore(75_000).to_string(), "750.00");
        assert_eq!(Ore(75).to_string(), "0.75");
        assert_eq!(Ore(-5).to_string(), "-0.05");
        assert_eq!(Ore(75_000).pro_rata(14, 30), Ore(35_000));
        assert_eq!(Ore(100).pro_rata(1, 3), Ore(33));
        assert_eq!(Ore(100).pro_rata(1, 8), Ore(13), "12.5 rounds up");
    }
}
