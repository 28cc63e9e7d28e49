use hwsnap_cty::Value;

use super::Validator;

/// The string's length in characters lies within `min..=max`.
pub struct Length {
    pub min: usize,
    pub max: usize,
}

impl Length {
    pub fn between(min: usize, max: usize) -> Self {
        Self { min, max }
    }

    pub fn at_most(max: usize) -> Self {
        Self { min: 0, max }
    }
}

impl Validator for Length {
    fn description(&self) -> String {
        if self.min == 0 {
            format!("at most {} characters", self.max)
        } else {
            format!("between {} and {} characters", self.min, self.max)
        }
    }

    fn validate(&self, value: &Value) -> Result<(), String> {
        let Some(s) = value.as_str() else {
            return Ok(());
        };
        let n = s.chars().count();
        if n < self.min || n > self.max {
            return Err(format!("must be {}, got {n}", self.description()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_characters_not_bytes() {
        let v = Length::between(4, 5);
        assert!(v.validate(&Value::string("ääää")).is_ok());
        assert!(v.validate(&Value::string("abc")).is_err());
        assert!(v.validate(&Value::string("abcdef")).is_err());
        let err = Length::at_most(2)
            .validate(&Value::string("abc"))
            .unwrap_err();
        assert_eq!(err, "must be at most 2 characters, got 3");
    }
}
