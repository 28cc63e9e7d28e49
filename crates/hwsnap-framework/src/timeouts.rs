//! The `timeouts { create = "…", delete = "…" }` block: one schema shape and
//! one reader for every resource.

use std::time::Duration;

use hwsnap_cty::Value;

use crate::schema::{Attribute, Block, Mode, NestedBlock, Nesting};
use crate::validators::{GoDuration, parse_go_duration};

/// The name of the block in configuration and state.
pub const BLOCK: &str = "timeouts";

/// One operation's timeout and its default.
#[derive(Debug, Clone, Copy)]
pub struct Timeout {
    pub operation: &'static str,
    pub default: Duration,
}

/// The `timeouts` block for the given operations.
pub fn block(timeouts: &[Timeout]) -> NestedBlock {
    let mut b = Block::new(
        "How long to wait for operations before giving up, as Go durations such as `30m` or `1h`.",
    );
    for t in timeouts {
        b = b.attribute(
            Attribute::string(
                t.operation,
                Mode::Optional,
                format!(
                    "How long to wait for {} to finish. Default: `{}`.",
                    t.operation,
                    format_duration(t.default)
                ),
            )
            .validate(GoDuration),
        );
    }
    NestedBlock {
        name: BLOCK,
        nesting: Nesting::Single,
        block: b,
    }
}

/// The timeout of `operation` among `declared`, as configured in `value`'s
/// `timeouts` block or else its default; `None` when it is not declared.
/// The framework puts it, and the deadline it gives, on each operation's
/// [`Ctx`](crate::Ctx): resources never read the block themselves.
pub(crate) fn of(
    value: &Value,
    declared: &[Timeout],
    operation: &str,
) -> Option<(&'static str, Duration)> {
    let t = declared.iter().find(|t| t.operation == operation)?;
    Some((t.operation, get(value, *t)))
}

/// The timeout configured for `t.operation` in a resource value's
/// `timeouts` block, or its default. Values were validated earlier; an
/// unparsable one falls back to the default.
pub(crate) fn get(resource: &Value, t: Timeout) -> Duration {
    resource
        .get_attr(BLOCK)
        .and_then(|b| b.get_attr(t.operation))
        .and_then(Value::as_str)
        .and_then(|s| parse_go_duration(s).ok())
        .unwrap_or(t.default)
}

/// A duration the way Go prints round values: `30m`, `1h30m`, `45s`.
pub fn format_duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs == 0 {
        return format!("{}ms", d.as_millis());
    }
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 {
        out.push_str(&format!("{s}s"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CREATE: Timeout = Timeout {
        operation: "create",
        default: Duration::from_secs(1800),
    };

    #[test]
    fn reads_configured_or_default() {
        let mut v = Value::Object(Default::default());
        assert_eq!(get(&v, CREATE), Duration::from_secs(1800));
        v.set_attr(
            BLOCK,
            Value::Object([("create".to_string(), Value::string("5s"))].into()),
        );
        assert_eq!(get(&v, CREATE), Duration::from_secs(5));
    }

    #[test]
    fn finds_declared_operations_only() {
        let mut v = Value::Object(Default::default());
        v.set_attr(
            BLOCK,
            Value::Object([("create".to_string(), Value::string("90s"))].into()),
        );
        assert_eq!(
            of(&v, &[CREATE], "create"),
            Some(("create", Duration::from_secs(90)))
        );
        assert_eq!(of(&v, &[CREATE], "delete"), None);
    }

    #[test]
    fn formats_like_go() {
        assert_eq!(format_duration(Duration::from_secs(1800)), "30m");
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format_duration(Duration::from_secs(45)), "45s");
    }
}
