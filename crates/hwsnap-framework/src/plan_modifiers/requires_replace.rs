use super::{AttributePlan, PlanDecision, PlanModifier};

/// Changing this attribute destroys the resource and creates a new one.
/// An unknown planned value counts as a change only when the prior value
/// was set, as Terraform's own frameworks decide.
pub struct RequiresReplace;

impl PlanModifier for RequiresReplace {
    fn description(&self) -> String {
        "Changing this forces a new resource.".into()
    }

    fn modify(&self, plan: &AttributePlan<'_>) -> PlanDecision {
        let Some(prior) = plan.prior else {
            return PlanDecision::default();
        };
        let changed = if plan.planned.is_unknown() {
            !prior.is_null()
        } else {
            !plan.planned.semantically_equal(prior)
        };
        PlanDecision {
            planned: None,
            requires_replace: changed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hwsnap_cty::Value;

    fn decide(prior: Option<Value>, planned: Value) -> bool {
        RequiresReplace
            .modify(&AttributePlan {
                config: &planned,
                prior: prior.as_ref(),
                planned: &planned,
            })
            .requires_replace
    }

    #[test]
    fn replaces_only_on_a_real_change() {
        assert!(!decide(None, Value::string("a")));
        assert!(!decide(Some(Value::string("a")), Value::string("a")));
        assert!(decide(Some(Value::string("a")), Value::string("b")));
        assert!(decide(Some(Value::string("a")), Value::Null));
        assert!(decide(Some(Value::string("a")), Value::unknown()));
        assert!(!decide(Some(Value::Null), Value::unknown()));
    }
}
