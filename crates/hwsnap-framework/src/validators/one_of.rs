use hwsnap_cty::Value;

use super::Validator;

/// The string is one of a fixed set.
pub struct OneOf(pub &'static [&'static str]);

impl Validator for OneOf {
    fn description(&self) -> String {
        format!("one of {}", self.0.join(", "))
    }

    fn validate(&self, value: &Value) -> Result<(), String> {
        match value.as_str() {
            Some(s) if !self.0.contains(&s) => Err(format!(
                "{s:?} is not allowed: must be {}",
                self.description()
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_the_choices() {
        let v = OneOf(&["a", "b"]);
        assert!(v.validate(&Value::string("a")).is_ok());
        assert_eq!(
            v.validate(&Value::string("c")).unwrap_err(),
            "\"c\" is not allowed: must be one of a, b"
        );
    }
}
