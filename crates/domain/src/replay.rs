//! A rule replayed over a tenant's stored events: who would have got it, what it would have said
//! and what it would have cost. Every decision is the engine's own: `Engine::decide` per event,
//! `plan_batch` per stored batch, the store's rules (each dedupe key once; a new event cancels
//! what still waits), and `dispatch::decide` at sending. Nothing is stored or sent. Each
//! shipment is planned with its receiver as stored now; one whose receiver changed during its
//! journey replays its earlier messages with the later receiver's links and choices (the store
//! keeps no receiver per event).

use crate::billing::{Charge, Prices};
use crate::contact::masked;
use crate::dispatch::{Dispatch, SendTime, decide};
use crate::engine::Engine;
use crate::event::CarrierEvent;
use crate::ids::ShipmentId;
use crate::ingest::plan_batch;
use crate::money::Ore;
use crate::notification::{Channel, Message};
use crate::planner::{Idle, NotSent, PlannedNotification};
use crate::receiver::Reach;
use crate::rule::Rule;
use crate::shipment::Shipment;
use crate::trigger::Trigger;
use jiff::Timestamp;
use serde::Serialize;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};

/// How many rendered messages a replay shows.
pub const EXAMPLES: usize = 10;

/// A stored event as it arrived: its shipment and the moment it was stored (the `now` the
/// engine decided it at).
#[derive(Debug, Clone, PartialEq)]
pub struct ArrivedEvent {
    pub shipment: ShipmentId,
    pub received_at: Timestamp,
    pub event: CarrierEvent,
    /// The shipment's receiver (its links' token, chosen channels and language), which ingest
    /// bound when the events were stored and the live engine planned with.
    pub receiver: Option<crate::receiver::ReceiverRef>,
}

/// A notification the replayed rule planned, in its final state: `message` is `Ok` when it
/// would have gone to the sender, else why not (including cancelled by a later event).
#[derive(Debug, Clone, PartialEq)]
pub struct Replayed {
    pub tracking_number: String,
    pub shipment: ShipmentId,
    /// Planned by an event of the period (not one before it, replayed for the state).
    pub in_period: bool,
    pub notification: PlannedNotification,
}

/// What the replay saw besides notifications: the period's events and shipments, and how often
/// the rule's trigger fired with the rule idle (conditions, interval, plan).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    pub events: u64,
    pub shipments: u64,
    pub condition: u64,
    pub inactive: u64,
    pub not_in_plan: u64,
}

/// Feeds stored events in arrival order (`add`), then `finish`. `engine.rules` must hold the
/// replayed rule, enabled, and no other.
pub struct Replay<'a> {
    engine: Engine<'a>,
    rule: &'a Rule,
    from: Timestamp,
    shipments: HashMap<ShipmentId, Shipment>,
    /// Events stored together (the same `received_at`): one batch of the live engine.
    batch: Vec<ArrivedEvent>,
    keys: HashSet<String>,
    /// Notifications due later, which a later event may still cancel, by (due, order planned).
    waiting: BTreeMap<(Timestamp, u64), Replayed>,
    /// Where each shipment's waiting notifications of a trigger are in `waiting` (some may
    /// have left it since).
    waiting_for: HashMap<(ShipmentId, Trigger), Vec<(Timestamp, u64)>>,
    planned: u64,
    period_shipments: HashSet<ShipmentId>,
    seen: Seen,
}

impl<'a> Replay<'a> {
    /// A replay of the events stored from `from` on; earlier events (of the same shipments)
    /// only build their shipments' state and what their rule already sent.
    pub fn new(engine: Engine<'a>, rule: &'a Rule, from: Timestamp) -> Self {
        Replay {
            engine,
            rule,
            from,
            shipments: HashMap::new(),
            batch: Vec::new(),
            keys: HashSet::new(),
            waiting: BTreeMap::new(),
            waiting_for: HashMap::new(),
            planned: 0,
            period_shipments: HashSet::new(),
            seen: Seen::default(),
        }
    }

    /// The next stored event; returns the notifications that became final.
    pub fn add(&mut self, event: ArrivedEvent) -> Vec<Replayed> {
        let mut done = Vec::new();
        if self.batch.first().is_some_and(|b| b.received_at != event.received_at) {
            done = self.run_batch();
        }
        self.batch.push(event);
        done
    }

    /// The rest: the last batch, and what still waits (it would be sent when due).
    pub fn finish(mut self) -> (Vec<Replayed>, Seen) {
        let mut done = self.run_batch();
        done.extend(std::mem::take(&mut self.waiting).into_values());
        self.seen.shipments = self.period_shipments.len() as u64;
        (done, self.seen)
    }

    fn run_batch(&mut self) -> Vec<Replayed> {
        let batch = std::mem::take(&mut self.batch);
        let Some(now) = batch.first().map(|e| e.received_at) else {
            return Vec::new();
        };
        let in_period = now >= self.from;
        // What was due by now went out before this batch arrived.
        let mut done = Vec::new();
        while let Some(entry) = self.waiting.first_entry() {
            if entry.key().0 > now {
                break;
            }
            done.push(entry.remove());
        }
        let mut ids = Vec::with_capacity(batch.len());
        let mut events = Vec::with_capacity(batch.len());
        let mut receivers = Vec::with_capacity(batch.len());
        for a in batch {
            ids.push(a.shipment);
            events.push(a.event);
            receivers.push(a.receiver);
        }
        let mut shipments: HashMap<&str, Shipment> = HashMap::new();
        for ((&id, e), receiver) in ids.iter().zip(&events).zip(receivers) {
            let mut current = self.shipments.get(&id).cloned().unwrap_or_else(|| {
                let mut s = Shipment::new(&e.tracking_number);
                s.id = id;
                s
            });
            // Ingest binds the receiver before it plans, as the store names it.
            if receiver.is_some() {
                current.receiver = receiver;
            }
            shipments.insert(e.tracking_number.as_str(), current);
            if in_period {
                self.seen.events += 1;
                self.period_shipments.insert(id);
            }
        }
        let seen = RefCell::new(&mut self.seen);
        let (engine, rule) = (self.engine, self.rule);
        let decide = |shipment: Shipment, event: &CarrierEvent| {
            let decision = engine.decide(shipment, event, now);
            if in_period {
                for _ in decision.applied.fired.iter().filter(|f| f.trigger == rule.trigger) {
                    let mut seen = seen.borrow_mut();
                    match engine.idle(rule, &decision.applied.shipment, now) {
                        Some(Idle::Condition) => seen.condition += 1,
                        Some(Idle::Inactive) => seen.inactive += 1,
                        Some(Idle::NotInPlan) => seen.not_in_plan += 1,
                        None => {}
                    }
                }
            }
            decision
        };
        let plan = plan_batch(&events, shipments, &vec![true; events.len()], &decide);
        for s in plan.shipments {
            self.shipments.insert(s.id, s);
        }
        // As the store does: what still waits of a cancelled trigger is cancelled, with why.
        for c in &plan.cancels {
            for k in self.waiting_for.remove(&(c.shipment, c.trigger)).unwrap_or_default() {
                if let Some(mut r) = self.waiting.remove(&k) {
                    r.notification.message = Err(NotSent::Cancelled(c.reason.clone()));
                    done.push(r);
                }
            }
        }
        // Each dedupe key once: the first stored stands.
        for n in plan.notifications {
            if !self.keys.insert(n.notification.dedupe_key.clone()) {
                continue;
            }
            let replayed = Replayed {
                tracking_number: n.tracking_number.to_string(),
                shipment: n.shipment,
                in_period,
                notification: n.notification,
            };
            if replayed.notification.message.is_ok() && replayed.notification.due_at > now {
                self.planned += 1;
                let key = (replayed.notification.due_at, self.planned);
                if let Some(trigger) = replayed.notification.trigger {
                    self.waiting_for
                        .entry((replayed.shipment, trigger))
                        .or_default()
                        .push(key);
                }
                self.waiting.insert(key, replayed);
            } else {
                done.push(replayed);
            }
        }
        done
    }
}

/// Why planned notifications would not have been sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The recipient has opted out (as the opt-outs stand now).
    pub opted_out: u64,
    /// The receiver chose to get only the other channel (as their choice stands now).
    pub declined: u64,
    /// An SMS to a receiver (or customer service) with no phone number.
    pub no_phone: u64,
    /// An email to a receiver (or customer service) with no email address.
    pub no_email: u64,
    /// The trigger fired for a shipment that does not meet the rule's conditions.
    pub condition: u64,
    /// The trigger fired outside the rule's active interval.
    pub inactive: u64,
    /// The trigger fired but the tenant's plan does not have it.
    pub not_in_plan: u64,
    /// Cancelled: a later event made it pointless (picked up before the reminder), a
    /// reminder whose moment had passed, an address that bounced.
    pub cancelled: u64,
    /// Could not be sent: an invalid address, a template that does not render, a message
    /// over the tenant's limits.
    pub failed: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ByChannel {
    pub sms: u64,
    pub email: u64,
}

/// One message the rule would have sent, its recipient masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Example {
    pub tracking_number: String,
    pub channel: Channel,
    pub to: String,
    /// For email.
    pub subject: Option<String>,
    /// The SMS, or the email's plain text.
    pub text: String,
    pub due_at: Timestamp,
}

/// The replay's answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Figures {
    pub events: u64,
    pub shipments: u64,
    pub notifications: u64,
    pub by_channel: ByChannel,
    pub sms_segments: u64,
    pub cost_ore: Ore,
    pub skipped: Skipped,
    pub examples: Vec<Example>,
}

/// A message that would have gone to its sender, in brief.
struct Sendable {
    recipient: String,
    channel: Channel,
    segments: u64,
    /// Over the tenant's limits or empty: fails at sending, unless opted out first.
    unfit: bool,
}

/// Counts the final notifications of the period as `add` receives them; `figures` then
/// applies the opt-outs, the receivers' chosen channels and the prices.
#[derive(Default)]
pub struct Tally {
    skipped: Skipped,
    sendable: Vec<Sendable>,
    /// The first sendable messages (index into `sendable`), for examples.
    candidates: Vec<(usize, Example)>,
}

impl Tally {
    /// How many candidates for examples are kept, so opt-outs among them leave enough.
    const CANDIDATES: usize = EXAMPLES * 5;

    pub fn add(&mut self, r: &Replayed, engine: &Engine<'_>) {
        if !r.in_period {
            return;
        }
        let n = &r.notification;
        let message = match &n.message {
            Ok(m) => m,
            Err(NotSent::Cancelled(_)) => return self.skipped.cancelled += 1,
            Err(NotSent::Failed(_)) if n.recipient.is_empty() => {
                return match n.channel {
                    Channel::Sms => self.skipped.no_phone += 1,
                    Channel::Email => self.skipped.no_email += 1,
                };
            }
            Err(NotSent::Failed(_)) => return self.skipped.failed += 1,
        };
        // The worker's decision, with the opt-outs applied in `figures`.
        let verdict = decide(&SendTime {
            message,
            limits: engine.tenant.billing.message_limits(),
            rule_stopped: None,
            opted_out: None,
            declined: None,
            quiet_until: None,
            now: n.due_at,
        });
        let (segments, example) = match message {
            Message::Sms { text, .. } => (crate::sms::count(text).segments as u64, (None, text.clone())),
            Message::Email { subject, text, .. } => (0, (Some(subject.clone()), text.clone())),
        };
        if self.candidates.len() < Self::CANDIDATES && verdict == Dispatch::Send {
            self.candidates.push((
                self.sendable.len(),
                Example {
                    tracking_number: r.tracking_number.clone(),
                    channel: n.channel,
                    to: masked(&n.recipient),
                    subject: example.0,
                    text: example.1,
                    due_at: n.due_at,
                },
            ));
        }
        self.sendable.push(Sendable {
            recipient: n.recipient.clone(),
            channel: n.channel,
            segments,
            unfit: verdict != Dispatch::Send,
        });
    }

    /// The recipients whose opt-outs `figures` needs.
    pub fn recipients(&self) -> Vec<&str> {
        let unique: HashSet<&str> = self.sendable.iter().map(|s| s.recipient.as_str()).collect();
        unique.into_iter().collect()
    }

    /// The figures, with `opted_out` and the receivers' chosen channels `reach` (both keyed
    /// by the address in lower case, as the store answers) and the plan's `prices`.
    pub fn figures(
        self,
        seen: &Seen,
        opted_out: &HashSet<String>,
        reach: &HashMap<String, Reach>,
        prices: &Prices,
    ) -> Figures {
        let mut f = Figures {
            events: seen.events,
            shipments: seen.shipments,
            skipped: Skipped {
                condition: seen.condition,
                inactive: seen.inactive,
                not_in_plan: seen.not_in_plan,
                ..self.skipped
            },
            ..Figures::default()
        };
        let mut sent = vec![false; self.sendable.len()];
        for (i, s) in self.sendable.iter().enumerate() {
            // As the worker decides: an opt-out first, the receiver's channels, then whether
            // the message fits.
            let address = s.recipient.to_lowercase();
            if opted_out.contains(&address) {
                f.skipped.opted_out += 1;
                continue;
            }
            if reach.get(&address).and_then(|r| r.declines(s.channel)).is_some() {
                f.skipped.declined += 1;
                continue;
            }
            if s.unfit {
                f.skipped.failed += 1;
                continue;
            }
            sent[i] = true;
            f.notifications += 1;
            match s.channel {
                Channel::Sms => {
                    f.by_channel.sms += 1;
                    f.sms_segments += s.segments;
                }
                Channel::Email => f.by_channel.email += 1,
            }
            let charge = Charge::for_message(s.channel, s.segments as usize, prices);
            f.cost_ore += charge.cost();
        }
        f.examples = self
            .candidates
            .into_iter()
            .filter(|(i, _)| sent[*i])
            .map(|(_, e)| e)
            .take(EXAMPLES)
            .collect();
        f
    }
}
