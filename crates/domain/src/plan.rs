//! Plans decide which triggers a tenant may use.

use crate::trigger::Trigger;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A tenant's request to move to another plan, waiting for the day it takes effect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanRequest {
    pub plan: Plan,
    /// The next billing day's start after the request (`billing::next_billing_day`).
    pub effective_at: crate::Timestamp,
    /// Who asked (a portal user's email).
    pub by: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Plan {
    Plus,
    Premium,
    Enterprise,
}

impl Plan {
    pub const ALL: [Plan; 3] = [Plan::Plus, Plan::Premium, Plan::Enterprise];

    pub fn allows(self, trigger: Trigger) -> bool {
        match self {
            Plan::Plus => trigger.is_basic(),
            Plan::Premium | Plan::Enterprise => true,
        }
    }

    /// The cheapest plan that has the trigger, for error messages.
    pub fn cheapest_with(trigger: Trigger) -> Plan {
        if trigger.is_basic() { Plan::Plus } else { Plan::Premium }
    }

    pub fn slug(self) -> &'static str {
        match self {
            Plan::Plus => "plus",
            Plan::Premium => "premium",
            Plan::Enterprise => "enterprise",
        }
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Plan::Plus => "Plus",
            Plan::Premium => "Premium",
            Plan::Enterprise => "Enterprise",
        })
    }
}

impl FromStr for Plan {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "plus" => Ok(Plan::Plus),
            "premium" => Ok(Plan::Premium),
            "enterprise" => Ok(Plan::Enterprise),
            _ => Err(format!("unknown plan {s:?}; use plus, premium or enterprise")),
        }
    }
}
