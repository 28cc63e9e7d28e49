//! Plan modifiers: small described values that adjust one attribute's
//! planned value or ask for replacement. The framework calls them in order
//! for every attribute during PlanResourceChange (not on create or destroy
//! unless they say so) and records the attribute path.

mod requires_replace;
mod use_state_for_unknown;

pub use requires_replace::RequiresReplace;
pub use use_state_for_unknown::UseStateForUnknown;

use hwsnap_cty::Value;

/// What a plan modifier sees of one attribute.
pub struct AttributePlan<'a> {
    /// The configured value (null when unset, possibly unknown).
    pub config: &'a Value,
    /// The value in prior state; `None` when the resource is being created.
    pub prior: Option<&'a Value>,
    /// The planned value so far.
    pub planned: &'a Value,
}

/// A modifier's decision.
#[derive(Debug, Default, PartialEq)]
pub struct PlanDecision {
    /// Replace the planned value with this one.
    pub planned: Option<Value>,
    /// A change of this attribute needs the resource replaced.
    pub requires_replace: bool,
}

pub trait PlanModifier: Send + Sync {
    /// A plain-English description, used in docs.
    fn description(&self) -> String;

    fn modify(&self, plan: &AttributePlan<'_>) -> PlanDecision;
}
