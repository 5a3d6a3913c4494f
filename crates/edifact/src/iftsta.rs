//! IFTSTA (international multimodal status report) → status events.
//!
//! Read the same way for D96A and D04A (and the EANCOM subset Nordic carriers send), by tag
//! and qualifier rather than by segment-group position:
//!
//! | segment | read | meaning |
//! | --- | --- | --- |
//! | `DTM+137` (message level) | 1.2, 1.3 | document time: the event time when a status has none |
//! | `CNI` | 2.1 | consignment number (C503): the tracking number when no item ids follow |
//! | `GIN` before the first `STS` of a `CNI` | 2.1 … 6.1 | item ids (SSCC with `BN`) of the whole consignment |
//! | `STS` | 2.1 | status event code (C555/4405); the event is stored as `IFTSTA:<code>` |
//! | `STS` | 3.1 | status reason code (C556), kept as a detail |
//! | `DTM+334`, `DTM+7` after `STS` | 1.2, 1.3 | when the status happened (102/203/204/205/303/304) |
//! | `LOC` after `STS` | 2.4, else 2.1 | where (location name, else code) |
//! | `RFF` after `STS` | 1.1, 1.2 | references (`CU` consignor's reference = order reference) |
//! | `GIN` after `STS` (also inside `GID`/`PCI`) | 2.1 … 6.1 | the items the status is about |
//!
//! One event per status and item id. Other segments are skipped.

use crate::datetime::{DateTime, from_dtm};
use crate::error::{ErrorKind, ParseError};
use crate::parser::{Message, Place};
use crate::segments::Segment;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusEvent {
    /// Body segment index (the STS), for positions: segment number is `index + 2`.
    pub index: usize,
    pub code: String,
    pub reason: Option<String>,
    pub time: DateTime,
    pub location: Option<String>,
    pub order_reference: Option<String>,
    /// The tracking numbers this status applies to (at least one).
    pub items: Vec<String>,
    pub places: StatusPlaces,
}

/// Where each of a status's values was read, for errors about them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusPlaces {
    pub code: Place,
    /// The DTM after the STS, or the message's DTM+137.
    pub time: Place,
    pub location: Option<Place>,
    pub order_reference: Option<Place>,
    /// One per tracking number, in the order of [`StatusEvent::items`].
    pub items: Vec<Place>,
}

/// Item ids in a GIN segment with their element: the first component of elements 2 to 6
/// (C208 ranges are read by their first id).
pub(crate) fn gin_items(seg: Segment<'_>) -> impl Iterator<Item = (usize, String)> {
    (2..=6).filter_map(move |e| seg.get(e, 1).map(|id| (e, id.to_string())))
}

struct Open {
    index: usize,
    code: String,
    reason: Option<String>,
    time: Option<(DateTime, Place)>,
    location: Option<(String, Place)>,
    order_reference: Option<(String, Place)>,
    items: Vec<(String, Place)>,
}

pub fn read(m: &Message) -> Result<Vec<StatusEvent>, ParseError> {
    if m.message_type != "IFTSTA" {
        let mut p = m.position(0);
        p.segment = Some(1);
        p.tag = Some("UNH".into());
        return Err(ParseError::new(
            ErrorKind::Content,
            p.at_element(2, Some(1)),
            "message type IFTSTA",
            Some(m.message_type.clone()),
        ));
    }
    let mut document_time: Option<(DateTime, Place)> = None;
    let mut consignment: Option<(String, Place)> = None;
    let mut consignment_items: Vec<(String, Place)> = Vec::new();
    let mut open: Option<Open> = None;
    let mut events = Vec::new();
    let close = |open: Option<Open>,
                 events: &mut Vec<StatusEvent>,
                 consignment: &Option<(String, Place)>,
                 consignment_items: &Vec<(String, Place)>,
                 document_time: Option<(DateTime, Place)>|
     -> Result<(), ParseError> {
        let Some(o) = open else { return Ok(()) };
        let (time, time_at) = o.time.or(document_time).ok_or_else(|| {
            ParseError::new(
                ErrorKind::Content,
                m.position(o.index),
                "a status time: DTM+334 (or DTM+7) after this STS, or DTM+137 in the message",
                Some("none".into()),
            )
        })?;
        let items = if !o.items.is_empty() {
            o.items
        } else if !consignment_items.is_empty() {
            consignment_items.clone()
        } else if let Some(c) = consignment {
            vec![c.clone()]
        } else {
            return Err(ParseError::new(
                ErrorKind::Content,
                m.position(o.index),
                "an item id for this STS: GIN element 2 after it or before it in its consignment, \
                 or a consignment number in CNI element 2",
                Some("none".into()),
            ));
        };
        let (items, item_places) = items.into_iter().unzip();
        events.push(StatusEvent {
            index: o.index,
            code: o.code,
            reason: o.reason,
            time,
            location: o.location.as_ref().map(|(l, _)| l.clone()),
            order_reference: o.order_reference.as_ref().map(|(r, _)| r.clone()),
            items,
            places: StatusPlaces {
                code: Place::new(o.index, 2, 1),
                time: time_at,
                location: o.location.map(|(_, p)| p),
                order_reference: o.order_reference.map(|(_, p)| p),
                items: item_places,
            },
        });
        Ok(())
    };
    for (i, seg) in m.segments.iter().enumerate() {
        match seg.tag() {
            "CNI" => {
                close(
                    open.take(),
                    &mut events,
                    &consignment,
                    &consignment_items,
                    document_time,
                )?;
                consignment = seg.get(2, 1).map(|c| (c.to_string(), Place::new(i, 2, 1)));
                consignment_items.clear();
            }
            "STS" => {
                close(
                    open.take(),
                    &mut events,
                    &consignment,
                    &consignment_items,
                    document_time,
                )?;
                let code = seg.get(2, 1).ok_or_else(|| {
                    ParseError::new(
                        ErrorKind::Content,
                        m.position(i).at_element(2, Some(1)),
                        "a status event code (C555/4405)",
                        None,
                    )
                })?;
                open = Some(Open {
                    index: i,
                    code: code.to_string(),
                    reason: seg.get(3, 1).map(str::to_string),
                    time: None,
                    location: None,
                    order_reference: None,
                    items: Vec::new(),
                });
            }
            "DTM" => {
                let (q, dt) = from_dtm(seg, || m.position(i))?;
                let at = Place::new(i, 1, 2);
                match (&mut open, q.as_str()) {
                    (Some(o), "334" | "7") if o.time.is_none() => o.time = Some((dt, at)),
                    (None, "137") => document_time = Some((dt, at)),
                    _ => {}
                }
            }
            "LOC" => {
                if let Some(o) = &mut open
                    && o.location.is_none()
                {
                    o.location = match seg.get(2, 4) {
                        Some(name) => Some((name.to_string(), Place::new(i, 2, 4))),
                        None => seg.get(2, 1).map(|code| (code.to_string(), Place::new(i, 2, 1))),
                    };
                }
            }
            "RFF" => {
                if let Some(o) = &mut open
                    && matches!(seg.get(1, 1), Some("CU" | "ON"))
                {
                    o.order_reference = seg.get(1, 2).map(|r| (r.to_string(), Place::new(i, 1, 2)));
                }
            }
            "GIN" => {
                let ids = gin_items(seg).map(|(e, id)| (id, Place::new(i, e, 1)));
                match &mut open {
                    Some(o) => o.items.extend(ids),
                    None => consignment_items.extend(ids),
                }
            }
            _ => {}
        }
    }
    close(
        open.take(),
        &mut events,
        &consignment,
        &consignment_items,
        document_time,
    )?;
    if events.is_empty() {
        return Err(ParseError::new(
            ErrorKind::Content,
            m.missing("STS", 2),
            "at least one STS segment with a status event code in element 2",
            Some("none".into()),
        ));
    }
    Ok(events)
}
