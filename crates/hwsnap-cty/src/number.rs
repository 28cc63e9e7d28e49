//! Arbitrary-precision numbers, as cty keeps them.

use std::fmt;
use std::str::FromStr;

use bigdecimal::BigDecimal;

/// A cty number: an arbitrary-precision decimal. `1`, `1.0` and `1e0` are
/// the same number.
///
/// The decimal is boxed so a [`crate::Value`] stays small (a `BigDecimal`
/// is 40 bytes; a box is 8): numbers are rare, values many.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Number(Box<BigDecimal>);

impl Number {
    /// The number as an `i64`, when it is an integer in range.
    pub fn to_i64(&self) -> Option<i64> {
        if self.is_integer() {
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
        // A normalized decimal with a positive scale ends in a non-zero
        // fractional digit; checking the scale avoids computing 10^scale.
        if self.0.fractional_digit_count() <= 0 {
            return true;
        }
        self.0.normalized().fractional_digit_count() <= 0
    }

    /// How the number travels in msgpack, as go-cty writes it: an `i64`
    /// when it is one, else an `f64` when that is exact, else decimal text.
    pub(crate) fn wire_form(&self) -> WireNumber {
        let d = self.0.normalized();
        let (digits, scale) = d.as_bigint_and_exponent();
        // Integers of at most 19 digits may fit an i64; larger exponents
        // cannot, and must not be expanded just to find that out.
        if (-19..=0).contains(&scale) {
            use bigdecimal::ToPrimitive;
            if let Some(i) = d.to_i64() {
                return WireNumber::Int(i);
            }
        }
        // Every finite f64 is a decimal of at most 767 significant digits
        // with a scale between -308 and 1074.
        if (-330..=1080).contains(&scale) && digits.bits() <= 2600 {
            let f = self.to_f64();
            if Number::from_f64(f).is_some_and(|back| back == *self) {
                return WireNumber::Float(f);
            }
        }
        WireNumber::Decimal(self.to_string())
    }

    /// Parses a number found in untrusted input, refusing text so long or
    /// exponents so large that later arithmetic on it could exhaust memory.
    pub(crate) fn parse_untrusted(s: &str) -> Result<Number, String> {
        if s.len() > MAX_NUMBER_TEXT {
            return Err(format!(
                "number text longer than {MAX_NUMBER_TEXT} characters"
            ));
        }
        let n: Number = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
        if n.0.fractional_digit_count().unsigned_abs() > MAX_NUMBER_SCALE {
            return Err(format!("number {s:?} has an exponent out of range"));
        }
        // Encoders write numbers out in plain decimal: accept only what can
        // be written back within the same limit (a short `1e40000` cannot).
        if n.to_string().len() > MAX_NUMBER_TEXT {
            return Err(format!(
                "number {s:?} is longer than {MAX_NUMBER_TEXT} characters written out in full"
            ));
        }
        Ok(n)
    }

    /// A number from a finite `f64`, exactly; `None` for NaN and infinities.
    pub fn from_f64(f: f64) -> Option<Self> {
        if !f.is_finite() {
            return None;
        }
        BigDecimal::try_from(f)
            .ok()
            .map(|d| Number(Box::new(d.normalized())))
    }

    /// The underlying decimal.
    pub fn as_decimal(&self) -> &BigDecimal {
        &self.0
    }

    pub fn from_decimal(d: BigDecimal) -> Self {
        Number(Box::new(d.normalized()))
    }
}

/// Longest decimal text accepted from untrusted input.
const MAX_NUMBER_TEXT: usize = 10_000;
/// Largest decimal exponent (either sign) accepted from untrusted input.
const MAX_NUMBER_SCALE: u64 = 100_000;

/// The msgpack form of a [`Number`]: see [`Number::wire_form`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum WireNumber {
    Int(i64),
    Float(f64),
    Decimal(String),
}

impl From<i64> for Number {
    fn from(n: i64) -> Self {
        Number(Box::new(BigDecimal::from(n)))
    }
}

impl From<u64> for Number {
    fn from(n: u64) -> Self {
        Number(Box::new(BigDecimal::from(n)))
    }
}

impl FromStr for Number {
    type Err = bigdecimal::ParseBigDecimalError;

    /// Parses a decimal such as `-12.5e3`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BigDecimal::from_str(s).map(|d| Number(Box::new(d.normalized())))
    }
}

impl fmt::Display for Number {
    /// Plain decimal notation, without exponent, without trailing zeros.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.normalized();
        // Normalized: integral exactly when no fractional digit is left
        // (BigDecimal::is_integer would compute 10^scale to find out).
        if n.fractional_digit_count() <= 0 {
            write!(f, "{}", n.with_scale(0))
        } else {
            write!(f, "{}", n.to_plain_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        s.parse().unwrap()
    }

    #[test]
    fn wire_form_follows_go_cty() {
        assert_eq!(n("42").wire_form(), WireNumber::Int(42));
        assert_eq!(n("-1e3").wire_form(), WireNumber::Int(-1000));
        assert_eq!(n("0").wire_form(), WireNumber::Int(0));
        assert_eq!(
            n("9223372036854775807").wire_form(),
            WireNumber::Int(i64::MAX)
        );
        assert_eq!(n("1.5").wire_form(), WireNumber::Float(1.5));
        assert_eq!(n("-0.25").wire_form(), WireNumber::Float(-0.25));
        // 2^64 is no i64 but is exact in f64, as go-cty checks.
        assert_eq!(
            n("18446744073709551616").wire_form(),
            WireNumber::Float(18446744073709551616.0)
        );
        assert_eq!(n("0.1").wire_form(), WireNumber::Decimal("0.1".into()));
        assert_eq!(
            n("18446744073709551617").wire_form(),
            WireNumber::Decimal("18446744073709551617".into())
        );
        let big = n("1e400").wire_form();
        assert_eq!(big, WireNumber::Decimal(format!("1{}", "0".repeat(400))));
    }

    #[test]
    fn untrusted_numbers_fit_the_text_limit_written_out() {
        // Found by fuzzing (crates/hwsnap-cty/tests/fuzz_codecs.rs): a short
        // text with a large exponent decoded, but its own encoding did not.
        for s in ["2345678901234567890.1e40000", "1e10000", "-1e-10000"] {
            assert!(Number::parse_untrusted(s).is_err(), "{s}");
        }
        let n = Number::parse_untrusted("1e9990").unwrap();
        assert_eq!(Number::parse_untrusted(&n.to_string()).unwrap(), n);
    }

    #[test]
    fn huge_exponents_are_cheap_to_classify() {
        let tiny = n("1e-99999");
        assert!(!tiny.is_integer());
        assert!(matches!(tiny.wire_form(), WireNumber::Decimal(_)));
        assert!(n("1e99999").is_integer());
        assert!(n("12.5e1").is_integer());
        assert!(!n("12.5").is_integer());
    }

    #[test]
    fn untrusted_numbers_are_bounded() {
        assert_eq!(Number::parse_untrusted("12.50"), Ok(n("12.5")));
        assert!(Number::parse_untrusted("1e999999999").is_err());
        assert!(Number::parse_untrusted("1e-999999999").is_err());
        assert!(Number::parse_untrusted(&"9".repeat(20_000)).is_err());
        assert!(Number::parse_untrusted("abc").is_err());
        assert!(Number::parse_untrusted("").is_err());
    }

    #[test]
    fn f64_conversion_is_exact() {
        assert_eq!(
            Number::from_f64(0.1).map(|n| n.to_string()),
            Some("0.1000000000000000055511151231257827021181583404541015625".to_string())
        );
        assert_eq!(Number::from_f64(f64::NAN), None);
    }
}
