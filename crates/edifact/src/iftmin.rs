//! IFTMIN (instruction message / pre-advice) → a transport order: the shipment's data.
//!
//! Read the same way for D96A and D04A, by tag and qualifier:
//!
//! | segment | read | meaning |
//! | --- | --- | --- |
//! | `BGM` | 2.1 | document number: the tracking number when there are no item ids or `RFF+CN` |
//! | `DTM+137` | 1.2, 1.3 | document time: when the order was received (the event time) |
//! | `DTM+2`, `DTM+17`, `DTM+64` | 1.2, 1.3 | requested / estimated / earliest delivery: expected delivery |
//! | `TSR` | 1.1 | service (product) code (C536/4065) |
//! | `RFF+CU`, `RFF+ON` | 1.2 | order reference (consignor's reference; order number) |
//! | `RFF+CN` | 1.2 | consignment number |
//! | `NAD+CZ` (consignor) | 2.1; 4.1-5 | sender account (party id); name |
//! | `NAD+CN` (consignee), else `NAD+DP` | 3.1-5 or 4.1-5; 5.1; 6; 8; 9 | receiver: name (C080, else C058), street, city, postcode, country |
//! | `COM` after a `NAD` (in its `CTA` group) | 1.1, 1.2 | `TE`/`AL` phone, `EM` email of that party |
//! | `GIN` (in `GID`/`PCI`) | 2.1 … 6.1 | item ids (SSCC with `BN`): one shipment per id |

use crate::datetime::{DateTime, from_dtm};
use crate::error::{ErrorKind, ParseError};
use crate::iftsta::gin_items;
use crate::parser::Message;
use crate::syntax::Segment;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Party {
    pub qualifier: String,
    pub id: Option<String>,
    pub name: Option<String>,
    pub street: Option<String>,
    pub city: Option<String>,
    pub postcode: Option<String>,
    pub country: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportOrder {
    pub document_number: Option<String>,
    pub document_time: Option<DateTime>,
    pub expected_delivery: Option<DateTime>,
    pub service_code: Option<String>,
    pub order_reference: Option<String>,
    pub consignor: Option<Party>,
    pub receiver: Party,
    /// Tracking numbers (at least one): item ids, else the consignment number, else BGM's.
    pub items: Vec<String>,
}

fn joined(seg: &Segment, e: usize) -> Option<String> {
    let el = seg.element(e)?;
    let parts: Vec<&str> =
        el.0.first()?
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

fn party(seg: &Segment) -> Party {
    let s = |e, c| seg.get(e, c).map(str::to_string);
    Party {
        qualifier: seg.get(1, 1).unwrap_or("").to_string(),
        id: s(2, 1),
        name: joined(seg, 4).or_else(|| joined(seg, 3)),
        street: joined(seg, 5),
        city: s(6, 1),
        postcode: s(8, 1),
        country: s(9, 1),
        phone: None,
        email: None,
    }
}

pub fn read(m: &Message) -> Result<TransportOrder, ParseError> {
    if m.message_type != "IFTMIN" {
        let mut p = m.position(0);
        p.segment = Some(1);
        p.tag = Some("UNH".into());
        return Err(ParseError::new(
            ErrorKind::Content,
            p.at_element(2, Some(1)),
            "message type IFTMIN",
            Some(m.message_type.clone()),
        ));
    }
    let mut document_number = None;
    let mut document_time = None;
    let mut expected_delivery = None;
    let mut service_code = None;
    let mut order_reference = None;
    let mut consignment = None;
    let mut parties: Vec<Party> = Vec::new();
    let mut items = Vec::new();
    for (i, seg) in m.segments.iter().enumerate() {
        match seg.tag.as_str() {
            "BGM" => document_number = seg.get(2, 1).map(str::to_string),
            "DTM" => {
                let (q, dt) = from_dtm(seg, || m.position(i))?;
                match q.as_str() {
                    "137" => document_time = Some(dt),
                    "2" | "17" | "64" if expected_delivery.is_none() => expected_delivery = Some(dt),
                    _ => {}
                }
            }
            "TSR" => service_code = service_code.or(seg.get(1, 1).map(str::to_string)),
            "RFF" => match seg.get(1, 1) {
                Some("CU") => order_reference = seg.get(1, 2).map(str::to_string),
                Some("ON") if order_reference.is_none() => order_reference = seg.get(1, 2).map(str::to_string),
                Some("CN") => consignment = seg.get(1, 2).map(str::to_string),
                _ => {}
            },
            "NAD" => parties.push(party(seg)),
            "COM" => {
                if let Some(p) = parties.last_mut() {
                    let number = seg.get(1, 1).map(str::to_string);
                    match seg.get(1, 2) {
                        Some("AL") => p.phone = number.or(p.phone.take()),
                        Some("TE") if p.phone.is_none() => p.phone = number,
                        Some("EM") => p.email = number,
                        _ => {}
                    }
                }
            }
            "GIN" => items.extend(gin_items(seg)),
            _ => {}
        }
    }
    let find = |q: &str| parties.iter().find(|p| p.qualifier == q).cloned();
    let receiver = find("CN").or_else(|| find("DP")).ok_or_else(|| {
        let mut p = m.position(m.segments.len());
        p.tag = Some("UNT".into());
        ParseError::new(ErrorKind::Content, p, "a receiver: NAD+CN (consignee) or NAD+DP", None)
    })?;
    if items.is_empty() {
        items.extend(consignment.or(document_number.clone()));
    }
    if items.is_empty() {
        let mut p = m.position(m.segments.len());
        p.tag = Some("UNT".into());
        return Err(ParseError::new(
            ErrorKind::Content,
            p,
            "a tracking number: GIN item ids, RFF+CN or BGM 2.1",
            None,
        ));
    }
    Ok(TransportOrder {
        document_number,
        document_time,
        expected_delivery,
        service_code,
        order_reference,
        consignor: find("CZ"),
        receiver,
        items,
    })
}
