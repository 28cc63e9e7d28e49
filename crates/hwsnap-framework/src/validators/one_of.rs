use hwsnap_cty::Value;

use super::Validator;

/// The string is one of a fixed set of words (exactly, case included).
pub struct OneOf(pub &'static [&'static str]);

impl Validator for OneOf {
    fn description(&self) -> String {
        let words: Vec<String> = self.0.iter().map(|w| format!("`{w}`")).collect();
        format!("must be one of {}", words.join(", "))
    }

    fn validate(&self, value: &Value) -> Result<(), String> {
        match value.as_str() {
            Some(s) if !self.0.contains(&s) => Err(format!("{s:?} {}", self.description())),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_allowed_words() {
        let v = OneOf(&["MANUAL", "AUTO"]);
        assert!(v.validate(&Value::string("AUTO")).is_ok());
        assert_eq!(
            v.validate(&Value::string("auto")).unwrap_err(),
            "\"auto\" must be one of `MANUAL`, `AUTO`"
        );
        assert!(
            v.validate(&Value::Bool(true)).is_ok(),
            "not a string: not its rule"
        );
    }
}
