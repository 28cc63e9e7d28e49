use super::{AttributePlan, PlanDecision, PlanModifier};

/// A computed value that never changes after create: plan it as the prior
/// state's value instead of "(known after apply)".
pub struct UseStateForUnknown;

impl PlanModifier for UseStateForUnknown {
    fn description(&self) -> String {
        "Kept from state once known.".into()
    }

    fn modify(&self, plan: &AttributePlan<'_>) -> PlanDecision {
        match plan.prior {
            Some(prior)
                if plan.planned.is_unknown() && !prior.is_null() && plan.config.is_null() =>
            {
                PlanDecision {
                    planned: Some(prior.clone()),
                    requires_replace: false,
                }
            }
            _ => PlanDecision::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hwsnap_cty::Value;

    #[test]
    fn keeps_prior_for_unknown() {
        let prior = Value::string("id-1");
        let unknown = Value::unknown();
        let d = UseStateForUnknown.modify(&AttributePlan {
            config: &Value::Null,
            prior: Some(&prior),
            planned: &unknown,
        });
        assert_eq!(d.planned, Some(prior));
        let d = UseStateForUnknown.modify(&AttributePlan {
            config: &Value::Null,
            prior: None,
            planned: &unknown,
        });
        assert_eq!(d.planned, None);
    }
}
