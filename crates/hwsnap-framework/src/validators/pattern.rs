use hwsnap_cty::Value;
use regex::Regex;

use super::Validator;

/// The string matches a regular expression; the message says the rule in words.
pub struct Pattern {
    regex: Regex,
    rule: String,
}

impl Pattern {
    /// `rule` completes "must …", e.g. "start with a letter and contain only letters, digits, - and _".
    ///
    /// # Panics
    /// On an invalid regular expression: patterns are compile-time constants.
    pub fn new(regex: &str, rule: impl Into<String>) -> Self {
        #[allow(clippy::expect_used)]
        let regex = Regex::new(regex).expect("validator pattern must compile");
        Self {
            regex,
            rule: rule.into(),
        }
    }
}

impl Validator for Pattern {
    fn description(&self) -> String {
        format!("must {}", self.rule)
    }

    fn validate(&self, value: &Value) -> Result<(), String> {
        match value.as_str() {
            Some(s) if !self.regex.is_match(s) => Err(format!("{:?} {}", s, self.description())),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_the_rule() {
        let p = Pattern::new("^[a-z]+$", "be lowercase letters");
        assert!(p.validate(&Value::string("abc")).is_ok());
        assert_eq!(
            p.validate(&Value::string("aB")).unwrap_err(),
            "\"aB\" must be lowercase letters"
        );
    }
}
