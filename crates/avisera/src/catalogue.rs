//! The trigger catalogue and the mapping table as people read them (`avisera triggers`,
//! `avisera mapping`) and as programs do (`GET /v1/triggers`, `GET /v1/mapping`).

use avisera_domain::mapping::Mapping;
use avisera_domain::plan::Plan;
use avisera_domain::trigger::Trigger;
use serde_json::{Value, json};

fn plans(t: Trigger) -> Vec<Plan> {
    [Plan::Plus, Plan::Premium, Plan::Enterprise]
        .into_iter()
        .filter(|p| p.allows(t))
        .collect()
}

pub fn triggers_text() -> String {
    Trigger::ALL
        .iter()
        .map(|t| {
            let plans: Vec<String> = plans(*t).iter().map(|p| p.to_string()).collect();
            format!(
                "{:>2}  {:<26} {:<32} {}\n",
                t.number(),
                t.slug(),
                t.title(),
                plans.join(", ")
            )
        })
        .collect()
}

pub fn triggers_json() -> Value {
    json!(
        Trigger::ALL
            .iter()
            .map(|t| json!({"number": t.number(), "name": t.slug(), "title": t.title(), "plans": plans(*t)}))
            .collect::<Vec<_>>()
    )
}

pub fn mapping_text(m: &Mapping) -> String {
    let mut out = String::from("# code  trigger  physical  milestone  note\n");
    for e in m.entries() {
        out.push_str(&format!(
            "{:<32} {:<26} {:<4} {:<17} {}\n",
            e.code,
            e.trigger.map_or("-", |t| t.slug()),
            if e.physical { "yes" } else { "no" },
            e.milestone.map_or("-", |m| m.slug()),
            e.note
        ));
    }
    out
}
