use std::time::Duration;

use hwsnap_cty::Value;

use super::Validator;

/// A Go-style duration such as `30m`, `1h30m`, `90s` or `1.5h`.
pub struct GoDuration;

impl Validator for GoDuration {
    fn description(&self) -> String {
        "a duration such as \"30m\", \"1h30m\" or \"90s\"".into()
    }

    fn validate(&self, value: &Value) -> Result<(), String> {
        match value.as_str() {
            Some(s) => parse_go_duration(s).map(|_| ()),
            None => Ok(()),
        }
    }
}

/// Parses a Go duration string (units ns, us, µs, ms, s, m, h; fractions
/// allowed; no sign). Zero is allowed as `0`.
pub fn parse_go_duration(s: &str) -> Result<Duration, String> {
    let bad = || {
        format!(
            "{s:?} is not a duration: use a number and a unit, such as \"30m\", \"1h30m\" or \"90s\""
        )
    };
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    if s.is_empty() {
        return Err(bad());
    }
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        if num_len == 0 {
            return Err(bad());
        }
        let number: f64 = rest[..num_len].parse().map_err(|_| bad())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds_per_unit = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad()),
        };
        total += number * seconds_per_unit;
        rest = &rest[unit_len..];
    }
    if !total.is_finite() || total > 1e12 {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_durations() {
        assert_eq!(parse_go_duration("30m").unwrap(), Duration::from_secs(1800));
        assert_eq!(
            parse_go_duration("1h30m").unwrap(),
            Duration::from_secs(5400)
        );
        assert_eq!(
            parse_go_duration("1.5h").unwrap(),
            Duration::from_secs(5400)
        );
        assert_eq!(
            parse_go_duration("250ms").unwrap(),
            Duration::from_millis(250)
        );
        assert_eq!(parse_go_duration("0").unwrap(), Duration::ZERO);
        for bad in ["", "5", "m", "5x", "-5s", "1h 30m", "five minutes", "5s5"] {
            assert!(parse_go_duration(bad).is_err(), "{bad} should be rejected");
        }
        assert!(GoDuration.validate(&Value::string("10q")).is_err());
    }
}
