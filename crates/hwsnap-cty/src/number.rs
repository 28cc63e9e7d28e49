//! Arbitrary-precision numbers, as cty keeps them.

use std::fmt;
use std::str::FromStr;

use bigdecimal::BigDecimal;

/// A cty number: an arbitrary-precision decimal. `1`, `1.0` and `1e0` are
/// the same number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Number(BigDecimal);

impl Number {
    /// The number as an `i64`, when it is an integer in range.
    pub fn to_i64(&self) -> Option<i64> {
        if self.0.is_integer() {
            use bigdecimal::ToPrimitive;
            self.0.to_i64()
        } else {
            None
        }
    }

    /// The nearest `f64`.
    pub fn to_f64(&self) -> f64 {
        use bigdecimal::ToPrimitive;
        self.0.to_f64().unwrap_or(f64::NAN)
    }

    /// True when the number has no fractional part.
    pub fn is_integer(&self) -> bool {
        self.0.is_integer()
    }

    /// A number from a finite `f64`, exactly; `None` for NaN and infinities.
    pub fn from_f64(f: f64) -> Option<Self> {
        if !f.is_finite() {
            return None;
        }
        BigDecimal::try_from(f).ok().map(|d| Number(d.normalized()))
    }

    /// The underlying decimal.
    pub fn as_decimal(&self) -> &BigDecimal {
        &self.0
    }

    pub fn from_decimal(d: BigDecimal) -> Self {
        Number(d.normalized())
    }
}

impl From<i64> for Number {
    fn from(n: i64) -> Self {
        Number(BigDecimal::from(n))
    }
}

impl From<u64> for Number {
    fn from(n: u64) -> Self {
        Number(BigDecimal::from(n))
    }
}

impl FromStr for Number {
    type Err = bigdecimal::ParseBigDecimalError;

    /// Parses a decimal such as `-12.5e3`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BigDecimal::from_str(s).map(|d| Number(d.normalized()))
    }
}

impl fmt::Display for Number {
    /// Plain decimal notation, without exponent, without trailing zeros.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.normalized();
        if n.is_integer() {
            write!(f, "{}", n.with_scale(0))
        } else {
            write!(f, "{}", n.to_plain_string())
        }
    }
}
