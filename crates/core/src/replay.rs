//! Trying a rule on past events before it sends anything: the tenant's stored events of a
//! period go through the engine's own decisions (`domain::replay`) with the rule enabled, and
//! the answer says who would have got what, and at what cost. Nothing is stored or sent.

use crate::{Error, Result};
use avisera_domain::billing::PriceList;
use avisera_domain::engine::Engine;
use avisera_domain::links::Links;
use avisera_domain::mapping::Mapping;
use avisera_domain::replay::{Figures, Replay, Replayed, Seen, Tally};
use avisera_domain::rule::Rule;
use avisera_domain::tenant::Tenant;
use avisera_domain::{RuleId, TenantId, Timestamp};
use avisera_store::ReplayStore;
use jiff::SignedDuration;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};

const CODE: &str = "invalid_replay";

/// The longest period a replay covers.
pub const MAX_DAYS: u32 = 90;

/// Which stored events a replay goes through (by when they were stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// The last `n` days up to now.
    LastDays(u32),
    /// From `from` (inclusive) until `until` (exclusive).
    Between { from: Timestamp, until: Timestamp },
}

impl Period {
    /// The period as [from, until), checked: at least a moment, at most `MAX_DAYS` days.
    pub fn bounds(self, now: Timestamp) -> Result<(Timestamp, Timestamp)> {
        let longest = SignedDuration::from_hours(24 * i64::from(MAX_DAYS));
        match self {
            Period::LastDays(days) if (1..=MAX_DAYS).contains(&days) => {
                let from = now - SignedDuration::from_hours(24 * i64::from(days));
                Ok((from, now))
            }
            Period::LastDays(days) => Err(Error::field(
                CODE,
                "days",
                format!("must be 1 to {MAX_DAYS} (it is {days})"),
            )),
            Period::Between { from, until } if until <= from => Err(Error::field(CODE, "until", "must be after from")),
            Period::Between { from, until } if until.duration_since(from) > longest => Err(Error::field(
                CODE,
                "until",
                format!("the period is longer than {MAX_DAYS} days; replay it in parts"),
            )),
            Period::Between { from, until } => Ok((from, until)),
        }
    }
}

/// How this installation decides: its links, its code mapping and its prices.
#[derive(Clone, Copy)]
pub struct ReplayContext<'a> {
    pub store: &'a dyn ReplayStore,
    pub links: &'a dyn Links,
    /// The shipped mapping with the operator's lines over it.
    pub mapping: &'a Mapping,
    pub prices: &'a PriceList,
}

/// A replay's answer: the period and the figures.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub rule_id: RuleId,
    pub from: Timestamp,
    pub until: Timestamp,
    #[serde(flatten)]
    pub figures: Figures,
}

/// Replays `rule` (stored or as typed, enabled or not) over the tenant's events of `period`.
pub async fn replay(
    ctx: ReplayContext<'_>,
    tenant: TenantId,
    rule: &Rule,
    period: Period,
    now: Timestamp,
) -> Result<Report> {
    let (from, until) = period.bounds(now)?;
    let tenant = crate::tenants::get(ctx.store, tenant).await?;
    let mut tally = Tally::default();
    let seen = each_replayed(ctx, &tenant, rule, (from, until), &mut |r, engine| tally.add(r, engine)).await?;
    let recipients = tally.recipients();
    let opted_out: HashSet<String> = ctx
        .store
        .opted_out_among(tenant.id, &recipients)
        .await?
        .into_keys()
        .collect();
    let reach = ctx.store.reach_among(tenant.id, &recipients).await?;
    drop(recipients);
    let figures = tally.figures(&seen, &opted_out, &reach, ctx.prices.for_plan(tenant.plan));
    Ok(Report {
        rule_id: rule.id,
        from,
        until,
        figures,
    })
}

/// Hands every notification `rule` would have planned for the tenant's events stored in
/// [from, until) to `each`, in its final state, and returns what else the replay saw.
pub async fn each_replayed(
    ctx: ReplayContext<'_>,
    tenant: &Tenant,
    rule: &Rule,
    (from, until): (Timestamp, Timestamp),
    each: &mut (dyn FnMut(&Replayed, &Engine<'_>) + Send),
) -> Result<Seen> {
    let store = ctx.store;
    let templates: BTreeMap<_, _> = store
        .templates(tenant.id)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let mapping = crate::ingest::effective_mapping(store, ctx.mapping, tenant.id).await?;
    // Bounces as they stand now, like the opt-outs; no SMS budget (a month's spend is not
    // replayed).
    let suppressed = crate::receipts::bounced(store, tenant.id).await?;
    let rules = [Rule {
        enabled: true,
        ..rule.clone()
    }];
    let engine = Engine {
        tenant,
        rules: &rules,
        templates: &templates,
        links: ctx.links,
        mapping: &mapping,
        sms_blocked: None,
        suppressed: &suppressed,
    };
    let mut replay = Replay::new(engine, &rules[0], from);
    store
        .arrived_events(tenant.id, from, until, &mut |event| {
            for r in replay.add(event) {
                each(&r, &engine);
            }
        })
        .await
        .map_err(Error::from)?;
    let (rest, seen) = replay.finish();
    for r in &rest {
        each(r, &engine);
    }
    Ok(seen)
}
