use hwsnap_cty::Value;

use super::Validator;

/// A whole number within `min..=max`.
pub struct IntRange {
    pub min: i64,
    pub max: i64,
}

impl IntRange {
    /// A whole number of at least `min`, with no upper bound.
    pub fn at_least(min: i64) -> Self {
        Self { min, max: i64::MAX }
    }
}

impl Validator for IntRange {
    fn description(&self) -> String {
        if self.max == i64::MAX {
            format!("a whole number of at least {}", self.min)
        } else {
            format!("a whole number from {} to {}", self.min, self.max)
        }
    }

    fn validate(&self, value: &Value) -> Result<(), String> {
        let Some(n) = value.as_number() else {
            return Ok(());
        };
        match n.to_i64() {
            Some(i) if (self.min..=self.max).contains(&i) => Ok(()),
            _ => Err(format!("must be {}, got {n}", self.description())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hwsnap_cty::Number;

    #[test]
    fn rejects_fractions_and_out_of_range() {
        let v = IntRange { min: 0, max: 10 };
        assert!(v.validate(&Value::from(3)).is_ok());
        assert!(v.validate(&Value::from(-1)).is_err());
        assert!(v.validate(&Value::from(11)).is_err());
        let half = Value::Number(Number::from_f64(0.5).unwrap());
        assert_eq!(
            v.validate(&half).unwrap_err(),
            "must be a whole number from 0 to 10, got 0.5"
        );
    }

    #[test]
    fn at_least_has_no_upper_bound() {
        let v = IntRange::at_least(1);
        assert!(v.validate(&Value::from(1)).is_ok());
        assert!(v.validate(&Value::from(1_000_000)).is_ok());
        assert_eq!(
            v.validate(&Value::from(0)).unwrap_err(),
            "must be a whole number of at least 1, got 0"
        );
    }
}
