use hwsnap_cty::Value;
use regex::Regex;

use super::Validator;

/// The string is a regular expression in the `regex` crate's syntax (RE2's:
/// no look-around or back-references), small enough to compile.
pub struct IsRegex;

impl Validator for IsRegex {
    fn description(&self) -> String {
        "must be a regular expression in RE2 syntax".into()
    }

    fn validate(&self, value: &Value) -> Result<(), String> {
        let Some(s) = value.as_str() else {
            return Ok(());
        };
        Regex::new(s)
            .map(|_| ())
            .map_err(|e| format!("{s:?} is not a valid regular expression ({})", why(&e)))
    }
}

/// The one-line reason of a regex error (its display spans several lines,
/// drawing the pattern with a caret under the fault).
fn why(e: &regex::Error) -> String {
    match e {
        regex::Error::Syntax(text) => text
            .lines()
            .rev()
            .find_map(|l| l.trim().strip_prefix("error: "))
            .unwrap_or(text.trim())
            .to_owned(),
        regex::Error::CompiledTooBig(limit) => {
            format!("it compiles to more than {limit} bytes")
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_does_not_compile_in_one_line() {
        assert!(IsRegex.validate(&Value::string("^nightly-[0-9]+$")).is_ok());
        let err = IsRegex.validate(&Value::string("nightly-(")).unwrap_err();
        assert_eq!(
            err,
            "\"nightly-(\" is not a valid regular expression (unclosed group)"
        );
        let look = IsRegex.validate(&Value::string("(?=x)")).unwrap_err();
        assert!(look.contains("look-around"), "{look}");
        assert!(!look.contains('\n'));
        let huge = IsRegex
            .validate(&Value::string("\\w{1000}{1000}"))
            .unwrap_err();
        assert!(huge.contains("compiles to more than"), "{huge}");
    }
}
