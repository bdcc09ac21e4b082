//! Value objects for time and money.
//!
//! Invariant: nothing in the domain is a float. Durations are whole minutes, amounts are whole cents,
//! so the evaluator's objective is an exact integer that the solver and the benchmark can compare
//! with `==`.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Mul, Neg, Sub, SubAssign};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A duration or a time of day in whole minutes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Minutes(pub i64);

impl Minutes {
    /// No time at all.
    pub const ZERO: Minutes = Minutes(0);
    /// One day: 1,440 minutes.
    pub const DAY: Minutes = Minutes(24 * 60);

    /// Whole hours as minutes.
    pub const fn hours(h: i64) -> Minutes {
        Minutes(h * 60)
    }

    /// The number of minutes.
    pub const fn get(self) -> i64 {
        self.0
    }

    /// `max(self - other, 0)`.
    pub fn saturating_excess_over(self, other: Minutes) -> Minutes {
        Minutes((self.0 - other.0).max(0))
    }
}

impl fmt::Display for Minutes {
    /// Formats as `H:MM`, the way a rostering clerk reads durations.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let m = self.0.abs();
        write!(f, "{sign}{}:{:02}", m / 60, m % 60)
    }
}

impl Add for Minutes {
    type Output = Minutes;
    fn add(self, rhs: Minutes) -> Minutes {
        Minutes(self.0 + rhs.0)
    }
}
impl AddAssign for Minutes {
    fn add_assign(&mut self, rhs: Minutes) {
        self.0 += rhs.0;
    }
}
impl Sub for Minutes {
    type Output = Minutes;
    fn sub(self, rhs: Minutes) -> Minutes {
        Minutes(self.0 - rhs.0)
    }
}
impl SubAssign for Minutes {
    fn sub_assign(&mut self, rhs: Minutes) {
        self.0 -= rhs.0;
    }
}
impl Sum for Minutes {
    fn sum<I: Iterator<Item = Minutes>>(iter: I) -> Minutes {
        Minutes(iter.map(|m| m.0).sum())
    }
}

/// An amount of money in integer cents (never a float).
///
/// Objective terms are expressed in `Money` too: a Curtois penalty weight of 100 is 100 cents, so on a
/// Curtois instance (all pay rates zero) the roster's total cost in cents equals the benchmark's
/// objective.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Money(pub i64);

impl Money {
    /// Nothing.
    pub const ZERO: Money = Money(0);

    /// The amount in cents.
    pub const fn cents(self) -> i64 {
        self.0
    }

    /// Pay for `minutes` at `hourly` rate times `percent`/100, rounded half away from zero to the cent.
    ///
    /// This is the only place where a rate is turned into an amount, so every caller rounds the same
    /// way: `minutes · hourly · percent / 6000`.
    pub fn pay(hourly: Money, minutes: Minutes, percent: u32) -> Money {
        let num = i128::from(hourly.0) * i128::from(minutes.0) * i128::from(percent);
        let den: i128 = 6000;
        let rounded = if num >= 0 { (num + den / 2) / den } else { (num - den / 2) / den };
        Money(rounded as i64)
    }
}

impl fmt::Display for Money {
    /// Formats as `1234.56`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let c = self.0.abs();
        write!(f, "{sign}{}.{:02}", c / 100, c % 100)
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}
impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        self.0 += rhs.0;
    }
}
impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}
impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}
impl Mul<i64> for Money {
    type Output = Money;
    fn mul(self, rhs: i64) -> Money {
        Money(self.0 * rhs)
    }
}
impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        Money(iter.map(|m| m.0).sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pay_rounds_half_away_from_zero_to_the_cent() {
        // 90 minutes at 25.00/h = 37.50 exactly.
        assert_eq!(Money::pay(Money(2500), Minutes(90), 100), Money(3750));
        // 1 minute at 10.01/h at 150 % = 0.25025 → 0.25.
        assert_eq!(Money::pay(Money(1001), Minutes(1), 150), Money(25));
        // 1 minute at 10.00/h at 100 % = 0.1666… → 0.17.
        assert_eq!(Money::pay(Money(1000), Minutes(1), 100), Money(17));
    }

    #[test]
    fn minutes_and_money_display_the_way_clerks_read_them() {
        assert_eq!(Minutes(485).to_string(), "8:05");
        assert_eq!(Money(123456).to_string(), "1234.56");
        assert_eq!(Money(-5).to_string(), "-0.05");
    }
}
