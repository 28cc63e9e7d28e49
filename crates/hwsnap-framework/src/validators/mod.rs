//! Attribute validators: small described values. Each returns a decision
//! about one known value; the framework skips null and unknown values and
//! adds the attribute path to the diagnostic.

mod duration;
mod forbidden_chars;
mod int_range;
mod is_regex;
mod length;
mod one_of;
mod pattern;

pub use duration::{GoDuration, parse_go_duration};
pub use forbidden_chars::ForbiddenChars;
pub use int_range::IntRange;
pub use is_regex::IsRegex;
pub use length::Length;
pub use one_of::OneOf;
pub use pattern::Pattern;

use hwsnap_cty::Value;

/// A check of one attribute's known value.
pub trait Validator: Send + Sync {
    /// A plain-English description, used in docs ("between 4 and 64 characters").
    fn description(&self) -> String;

    /// `Err(reason)` when the value breaks the rule. The reason completes the
    /// sentence "… is invalid: "; the framework names the attribute.
    fn validate(&self, value: &Value) -> Result<(), String>;
}
