use hwsnap_cty::Value;

use super::Validator;

/// The string contains none of the given characters.
pub struct ForbiddenChars(pub &'static str);

impl Validator for ForbiddenChars {
    fn description(&self) -> String {
        format!("must not contain any of {}", self.0)
    }

    fn validate(&self, value: &Value) -> Result<(), String> {
        let Some(s) = value.as_str() else {
            return Ok(());
        };
        match s.chars().find(|c| self.0.contains(*c)) {
            Some(c) => Err(format!("must not contain {c:?} (forbidden: {})", self.0)),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_offending_character() {
        let v = ForbiddenChars("<>");
        assert!(v.validate(&Value::string("fine")).is_ok());
        assert_eq!(
            v.validate(&Value::string("a>b")).unwrap_err(),
            "must not contain '>' (forbidden: <>)"
        );
    }
}
