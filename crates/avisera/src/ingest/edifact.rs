//! EDIFACT interchanges into events: IFTMIN becomes a `CREATED` event carrying the shipment's
//! data (trigger 1, "transport order received"), IFTSTA statuses become `IFTSTA:<code>` events
//! mapped through the mapping table. Streaming: bytes go in as they are read; events are
//! stored in batches of [`BATCH`] through the engine, one transaction per batch.
//!
//! Acceptance is per message: a message whose syntax or content is wrong is rejected whole and
//! listed with its place (the segment and element of the value); the other messages are
//! stored. A file without a single message is rejected, for the API and the CLI alike. Re-importing stores nothing twice: an
//! IFTMIN's event id is a digest of its segments, an IFTSTA event is deduplicated by its code,
//! time and location per shipment, like any event without an id.

use crate::app::App;
use crate::engine::{IngestError, ingest_from};
use crate::metrics::Source;
use avisera_domain::TenantId;
use avisera_domain::event::{CarrierEvent, EventInput, ReceiverInput, ShipmentInput};
use avisera_edifact::datetime::DateTime;
use avisera_edifact::{ErrorKind, Interchange, Item, Message, ParseError, Parser, Position, iftmin, iftsta, quoted};
use avisera_store::EventOutcome;
use serde::Serialize;
use std::collections::BTreeSet;

mod sources;

use sources::Sources;

/// Events per store transaction.
pub const BATCH: usize = 500;
/// Errors listed in a summary; beyond that they are only counted.
pub const MAX_LISTED_ERRORS: usize = 10_000;
/// The event code an IFTMIN becomes (`mapping/default.tsv`: trigger 1, milestone announced).
pub const TRANSPORT_ORDER_CODE: &str = "CREATED";
/// The zone of EDIFACT times written without an offset (DTM formats 102, 203, 204; UNB).
pub const LOCAL_ZONE: &str = "Europe/Stockholm";

/// What an import did, per interchange like a CONTRL report, and in total.
#[derive(Debug, Default, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportSummary {
    pub messages: u64,
    pub accepted_messages: u64,
    pub rejected_messages: u64,
    /// Shipments created or updated by IFTMIN messages (new events only).
    pub shipments: u64,
    /// Events stored (with `--dry-run`: that would be offered for storing).
    pub events: u64,
    /// Events already stored before (a re-import): nothing changes, nobody is notified again.
    pub duplicates: u64,
    pub notifications: u64,
    /// One report per interchange (up to [`MAX_LISTED_ERRORS`]; beyond, only the totals).
    pub interchanges: Vec<InterchangeReport>,
    pub interchanges_not_listed: u64,
    /// Every error (up to [`MAX_LISTED_ERRORS`]), in input order.
    pub errors: Vec<ImportError>,
    pub errors_not_listed: u64,
}

impl ImportSummary {
    pub fn has_rejects(&self) -> bool {
        !self.errors.is_empty() || self.errors_not_listed > 0
    }

    /// Adds another file's summary to this one.
    pub fn add(&mut self, other: ImportSummary) {
        self.messages += other.messages;
        self.accepted_messages += other.accepted_messages;
        self.rejected_messages += other.rejected_messages;
        self.shipments += other.shipments;
        self.events += other.events;
        self.duplicates += other.duplicates;
        self.notifications += other.notifications;
        let room = MAX_LISTED_ERRORS.saturating_sub(self.interchanges.len());
        let over = other.interchanges.len().saturating_sub(room) as u64;
        self.interchanges.extend(other.interchanges.into_iter().take(room));
        self.interchanges_not_listed += other.interchanges_not_listed + over;
        let room = MAX_LISTED_ERRORS.saturating_sub(self.errors.len());
        let over = other.errors.len().saturating_sub(room) as u64;
        self.errors.extend(other.errors.into_iter().take(room));
        self.errors_not_listed += other.errors_not_listed + over;
    }

    /// The summary as the command line prints it: one line per error, then totals.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for e in &self.errors {
            out.push_str(&format!("rejected: {}\n", e.error));
        }
        if self.errors_not_listed > 0 {
            out.push_str(&format!("... and {} more errors\n", self.errors_not_listed));
        }
        out.push_str(&self.totals_text());
        out
    }

    /// Per interchange and in total, without the errors.
    pub fn totals_text(&self) -> String {
        let mut out = String::new();
        for i in &self.interchanges {
            out.push_str(&format!(
                "interchange {} from {}: {} message{}, {} accepted, {} rejected{}\n",
                i.control_ref,
                i.sender,
                i.messages,
                if i.messages == 1 { "" } else { "s" },
                i.accepted,
                i.rejected,
                if i.envelope_errors > 0 {
                    " (envelope errors)"
                } else {
                    ""
                }
            ));
        }
        out.push_str(&format!(
            "messages: {} ({} accepted, {} rejected)\nshipments: {}\nevents: {} new, {} duplicates\nnotifications: {}\n",
            self.messages,
            self.accepted_messages,
            self.rejected_messages,
            self.shipments,
            self.events,
            self.duplicates,
            self.notifications
        ));
        out
    }
}

/// One interchange's acknowledgement: what its sender needs to know (CONTRL-like).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InterchangeReport {
    pub control_ref: String,
    pub sender: String,
    pub recipient: String,
    pub messages: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub envelope_errors: u64,
}

/// A rejected message or an envelope fault, with its place.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportError {
    /// `syntax`, `envelope`, `message` or `content`.
    #[schema(value_type = String, pattern = "^(syntax|envelope|message|content)$")]
    pub kind: &'static str,
    pub interchange: Option<String>,
    pub message: Option<String>,
    pub segment: Option<usize>,
    pub tag: Option<String>,
    pub element: Option<usize>,
    pub component: Option<usize>,
    pub byte: u64,
    pub expected: String,
    pub found: Option<String>,
    /// All of the above in one sentence.
    pub error: String,
}

impl From<&ParseError> for ImportError {
    fn from(e: &ParseError) -> Self {
        let p = &e.position;
        ImportError {
            kind: match e.kind {
                ErrorKind::Syntax => "syntax",
                ErrorKind::Envelope => "envelope",
                ErrorKind::Message => "message",
                ErrorKind::Content => "content",
            },
            interchange: p.interchange.clone(),
            message: p.message.clone(),
            segment: p.segment,
            tag: p.tag.clone(),
            element: p.element,
            component: p.component,
            byte: p.offset,
            expected: e.expected.clone(),
            found: e.found.clone(),
            error: e.to_string(),
        }
    }
}

/// Where the events go: a tenant's store, or nowhere (`--dry-run`).
pub type Target<'a> = Option<(&'a App, TenantId)>;

/// An import in progress. `push` bytes as they are read, then `finish`.
pub struct Import<'a> {
    target: Target<'a>,
    parser: Parser,
    header: Option<Interchange>,
    /// The current interchange has a report in the summary (the last one).
    listed: bool,
    pending: Vec<CarrierEvent>,
    /// For each pending event: it came from an IFTMIN.
    pending_order: Vec<bool>,
    /// An interchange header was read (the file is not empty).
    any_interchange: bool,
    summary: ImportSummary,
    /// When the import started: events more than a day after it are refused per message.
    now: avisera_domain::Timestamp,
}

impl<'a> Import<'a> {
    pub fn new(target: Target<'a>) -> Self {
        use avisera_domain::Clock;
        let now = target.map_or_else(|| avisera_domain::SystemClock.now(), |(app, _)| app.clock.now());
        Import {
            now,
            target,
            parser: Parser::new(),
            header: None,
            listed: false,
            pending: Vec::new(),
            pending_order: Vec::new(),
            any_interchange: false,
            summary: ImportSummary::default(),
        }
    }

    /// Bytes parsed so far and messages seen, for progress.
    pub fn progress(&self) -> (u64, u64) {
        (self.parser.consumed(), self.summary.messages)
    }

    pub async fn push(&mut self, bytes: &[u8]) -> Result<(), IngestError> {
        self.parser.push(bytes);
        self.drain().await
    }

    pub async fn finish(mut self) -> Result<ImportSummary, IngestError> {
        self.parser.finish();
        self.drain().await?;
        self.flush().await?;
        self.reject_if_nothing_in_it();
        Ok(self.summary)
    }

    /// A file without a single message is rejected, on the API and on the command line alike:
    /// the sender surely meant to send something.
    fn reject_if_nothing_in_it(&mut self) {
        if self.summary.messages > 0 || self.summary.has_rejects() {
            return;
        }
        let (expected, found, error) = if self.any_interchange {
            (
                "at least one message (UNH ... UNT) in the interchange",
                "none",
                "the file holds no message: its interchange has no UNH ... UNT",
            )
        } else {
            (
                "an interchange (UNB ... UNZ)",
                "an empty file",
                "the file holds no interchange: it is empty",
            )
        };
        self.summary.errors.push(ImportError {
            kind: "envelope",
            interchange: None,
            message: None,
            segment: None,
            tag: None,
            element: None,
            component: None,
            byte: 0,
            expected: expected.into(),
            found: Some(found.into()),
            error: error.into(),
        });
    }

    async fn drain(&mut self) -> Result<(), IngestError> {
        while let Some(item) = self.parser.next() {
            match item {
                Ok(Item::Interchange(h)) => {
                    self.any_interchange = true;
                    self.listed = self.summary.interchanges.len() < MAX_LISTED_ERRORS;
                    if !self.listed {
                        self.summary.interchanges_not_listed += 1;
                        self.header = Some(h);
                        continue;
                    }
                    self.summary.interchanges.push(InterchangeReport {
                        control_ref: h.control_ref.clone(),
                        sender: h.sender.clone(),
                        recipient: h.recipient.clone(),
                        messages: 0,
                        accepted: 0,
                        rejected: 0,
                        envelope_errors: 0,
                    });
                    self.header = Some(h);
                }
                Ok(Item::Message(m)) => {
                    match events_of(&m, self.header.as_ref(), self.now) {
                        Ok(events) => {
                            let order = m.message_type == "IFTMIN";
                            self.pending_order.extend(std::iter::repeat_n(order, events.len()));
                            self.pending.extend(events);
                            self.count_message(true);
                        }
                        Err(e) => {
                            self.record(&e);
                            self.count_message(false);
                        }
                    }
                    if self.pending.len() >= BATCH {
                        self.flush().await?;
                    }
                }
                Ok(Item::InterchangeEnd(_)) => {
                    self.header = None;
                    self.listed = false;
                }
                Ok(Item::Group(_) | Item::GroupEnd(_)) => {}
                Err(e) => {
                    self.record(&e);
                    match e.kind {
                        // A message that never became one: it counts, as rejected.
                        ErrorKind::Message => self.count_message(false),
                        _ => {
                            if let Some(i) = self.summary.interchanges.last_mut().filter(|_| self.listed) {
                                i.envelope_errors += 1;
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn count_message(&mut self, accepted: bool) {
        // A rejected message stores none of its events; the metric counts it once.
        if let (false, Some((app, _))) = (accepted, self.target) {
            app.metrics.events(Source::Edifact, "rejected", 1);
        }
        let s = &mut self.summary;
        s.messages += 1;
        if accepted {
            s.accepted_messages += 1;
        } else {
            s.rejected_messages += 1;
        }
        if let Some(i) = s.interchanges.last_mut().filter(|_| self.listed) {
            i.messages += 1;
            if accepted {
                i.accepted += 1;
            } else {
                i.rejected += 1;
            }
        }
    }

    fn record(&mut self, e: &ParseError) {
        if self.summary.errors.len() < MAX_LISTED_ERRORS {
            self.summary.errors.push(ImportError::from(e));
        } else {
            self.summary.errors_not_listed += 1;
        }
    }

    async fn flush(&mut self) -> Result<(), IngestError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let events = std::mem::take(&mut self.pending);
        let orders = std::mem::take(&mut self.pending_order);
        let s = &mut self.summary;
        match self.target {
            Some((app, tenant)) => {
                let outcomes = ingest_from(app, Source::Edifact, tenant, &events).await?;
                let mut shipments = BTreeSet::new();
                for ((event, outcome), order) in events.iter().zip(&outcomes).zip(orders) {
                    match outcome {
                        EventOutcome::Accepted { notifications, .. } => {
                            s.events += 1;
                            s.notifications += u64::from(*notifications);
                            if order {
                                shipments.insert(&event.tracking_number);
                            }
                        }
                        EventOutcome::Duplicate { .. } => s.duplicates += 1,
                    }
                }
                s.shipments += shipments.len() as u64;
            }
            None => {
                s.events += events.len() as u64;
                let shipments: BTreeSet<_> = events
                    .iter()
                    .zip(orders)
                    .filter(|(_, o)| *o)
                    .map(|(e, _)| &e.tracking_number)
                    .collect();
                s.shipments += shipments.len() as u64;
            }
        }
        Ok(())
    }
}

/// The events one message becomes, checked like events posted as JSON; the first fault
/// rejects the whole message. A fault names the segment and element the value was read from,
/// never the JSON field it would have been.
pub fn events_of(
    m: &Message,
    header: Option<&Interchange>,
    now: avisera_domain::Timestamp,
) -> Result<Vec<CarrierEvent>, ParseError> {
    let whole = || {
        let mut p = m.position(0);
        p.segment = Some(1);
        p.tag = Some("UNH".into());
        p.offset = m.offset;
        p
    };
    // Each input with where its values came from, to place a fault the domain finds.
    let inputs: Vec<(EventInput, Sources)> = match m.message_type.as_str() {
        "IFTMIN" => {
            let order = iftmin::read(m)?;
            let when = match (order.document_time, order.places.document_time) {
                (Some(dt), Some(at)) => instant(&dt, || m.position_of(at))?,
                _ => header.and_then(interchange_time).ok_or_else(|| {
                    content(
                        m.missing("DTM", 1),
                        "a document date/time: DTM+137 in the message, or a date and time in UNB element 4",
                        Some("neither".into()),
                    )
                })?,
            };
            let expected_delivery = order.expected_delivery.map(|d| match instant(&d, whole) {
                Ok(t) => t,
                Err(_) => format!("{:04}-{:02}-{:02}", d.year, d.month, d.day),
            });
            let r = &order.receiver;
            let event_id = Some(content_id(m));
            order
                .items
                .iter()
                .enumerate()
                .map(|(k, item)| {
                    let input = EventInput {
                        event_id: event_id.clone(),
                        tracking_number: Some(item.clone()),
                        code: Some(TRANSPORT_ORDER_CODE.into()),
                        occurred_at: Some(when.clone()),
                        location: None,
                        shipment: Some(ShipmentInput {
                            receiver: Some(ReceiverInput {
                                name: r.name.clone(),
                                phone: r.phone.clone(),
                                email: r.email.clone(),
                                language: None,
                                time_zone: None,
                            }),
                            destination_country: r.country.clone(),
                            service_code: order.service_code.clone(),
                            sender_account: order.consignor.as_ref().and_then(|c| c.id.clone()),
                            order_reference: order.order_reference.clone(),
                            expected_delivery: expected_delivery.clone(),
                            ..ShipmentInput::default()
                        }),
                        pickup_point: None,
                    };
                    let sources = Sources {
                        tracking_number: order.places.items.get(k).copied(),
                        occurred_at: order.places.document_time,
                        destination_country: r.places.country,
                        receiver_name: r.places.name,
                        receiver_phone: r.places.phone,
                        receiver_email: r.places.email,
                        service_code: order.places.service_code,
                        sender_account: order.consignor.as_ref().and_then(|c| c.places.id),
                        order_reference: order.places.order_reference,
                        expected_delivery: order.places.expected_delivery,
                        ..Sources::default()
                    };
                    (input, sources)
                })
                .collect()
        }
        "IFTSTA" => {
            let mut inputs = Vec::new();
            for status in iftsta::read(m)? {
                let when = instant(&status.time, || m.position_of(status.places.time))?;
                for (k, item) in status.items.iter().enumerate() {
                    let input = EventInput {
                        event_id: None,
                        tracking_number: Some(item.clone()),
                        code: Some(format!("IFTSTA:{}", status.code)),
                        occurred_at: Some(when.clone()),
                        location: status.location.clone(),
                        shipment: status.order_reference.as_ref().map(|r| ShipmentInput {
                            order_reference: Some(r.clone()),
                            ..ShipmentInput::default()
                        }),
                        pickup_point: None,
                    };
                    let sources = Sources {
                        tracking_number: status.places.items.get(k).copied(),
                        code: Some(status.places.code),
                        occurred_at: Some(status.places.time),
                        location: status.places.location,
                        order_reference: status.places.order_reference,
                        ..Sources::default()
                    };
                    inputs.push((input, sources));
                }
            }
            inputs
        }
        other => {
            return Err(content(
                whole().at_element(2, Some(1)),
                "message type IFTMIN or IFTSTA",
                Some(quoted(other)),
            ));
        }
    };
    inputs
        .into_iter()
        .map(|(input, sources)| {
            input.check_at(now).map_err(|e| {
                sources
                    .fault(m, &e)
                    .unwrap_or_else(|| content(whole(), &format!("valid event data: {}", e.message), None))
            })
        })
        .collect()
}

/// An IFTMIN's event id: a digest of its segments (not of UNH, whose reference changes when a
/// carrier sends the same order again). The same order twice is a duplicate; a corrected one
/// (another phone number, even with the same document time) is new and updates the shipment,
/// while trigger 1 still notifies once per shipment.
fn content_id(m: &Message) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for seg in &m.segments {
        h.update(seg.tag().as_bytes());
        for e in seg.elements() {
            h.update([0x1d]);
            for (r, rep) in e.repetitions().enumerate() {
                if r > 0 {
                    h.update([0x1e]);
                }
                for (c, comp) in rep.enumerate() {
                    if c > 0 {
                        h.update([0x1f]);
                    }
                    h.update(comp.as_bytes());
                }
            }
        }
        h.update([0x1c]);
    }
    format!("iftmin:{}", hex::encode(&h.finalize()[..16]))
}

fn content(position: Position, expected: &str, found: Option<String>) -> ParseError {
    ParseError::new(ErrorKind::Content, position, expected, found)
}

/// An RFC 3339 instant; times without an offset are in [`LOCAL_ZONE`].
fn instant(dt: &DateTime, position: impl Fn() -> Position) -> Result<String, ParseError> {
    let civil = jiff::civil::DateTime::new(dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second, 0)
        .map_err(|_| content(position(), "a date that exists", Some(written(dt))))?;
    let ts = match dt.offset_minutes {
        Some(m) => jiff::tz::Offset::from_seconds(i32::from(m) * 60)
            .and_then(|o| o.to_timestamp(civil))
            .map_err(|_| content(position(), "a valid offset", Some(format!("{m} minutes"))))?,
        None => civil
            .in_tz(LOCAL_ZONE)
            .map(|z| z.timestamp())
            .map_err(|_| content(position(), "a local time that exists", Some(written(dt))))?,
    };
    Ok(ts.to_string())
}

/// A date and time as a person reads it, for errors.
fn written(dt: &DateTime) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second
    )
}

/// UNB's date (YYMMDD or CCYYMMDD) and time (HHMM), local.
fn interchange_time(h: &Interchange) -> Option<String> {
    let date = match h.date.len() {
        6 => format!("20{}", h.date),
        8 => h.date.clone(),
        _ => return None,
    };
    let dt = avisera_edifact::datetime::parse(&format!("{date}{}", h.time), Some("203"))?;
    instant(&dt, Position::default).ok()
}
