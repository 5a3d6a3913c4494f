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
use crate::parser::{Message, Place};
use crate::segments::Segment;

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
    pub places: PartyPlaces,
}

/// Where each of a party's values was read, for errors about them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartyPlaces {
    pub id: Option<Place>,
    pub name: Option<Place>,
    pub country: Option<Place>,
    pub phone: Option<Place>,
    pub email: Option<Place>,
}

/// Where each of an order's values was read, for errors about them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderPlaces {
    pub document_time: Option<Place>,
    pub expected_delivery: Option<Place>,
    pub service_code: Option<Place>,
    pub order_reference: Option<Place>,
    /// One per tracking number, in the order of [`TransportOrder::items`].
    pub items: Vec<Place>,
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
    pub places: OrderPlaces,
}

fn joined(seg: Segment<'_>, e: usize) -> Option<String> {
    let parts: Vec<&str> = seg
        .element(e)?
        .components()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

fn party(seg: Segment<'_>, i: usize) -> Party {
    let s = |e, c| seg.get(e, c).map(str::to_string);
    let at = |e| seg.get(e, 1).map(|_| Place::new(i, e, 1));
    let name = joined(seg, 4)
        .map(|n| (n, 4))
        .or_else(|| joined(seg, 3).map(|n| (n, 3)));
    Party {
        qualifier: seg.get(1, 1).unwrap_or("").to_string(),
        id: s(2, 1),
        street: joined(seg, 5),
        city: s(6, 1),
        postcode: s(8, 1),
        country: s(9, 1),
        phone: None,
        email: None,
        places: PartyPlaces {
            id: at(2),
            name: name.as_ref().map(|(_, e)| Place {
                index: i,
                element: *e,
                component: None,
            }),
            country: at(9),
            phone: None,
            email: None,
        },
        name: name.map(|(n, _)| n),
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
    let mut places = OrderPlaces::default();
    let mut document_at = None;
    let mut consignment_at = None;
    for (i, seg) in m.segments.iter().enumerate() {
        let at = |e, c| Some(Place::new(i, e, c));
        match seg.tag() {
            "BGM" => {
                document_number = seg.get(2, 1).map(str::to_string);
                document_at = at(2, 1);
            }
            "DTM" => {
                let (q, dt) = from_dtm(seg, || m.position(i))?;
                match q.as_str() {
                    "137" => {
                        document_time = Some(dt);
                        places.document_time = at(1, 2);
                    }
                    "2" | "17" | "64" if expected_delivery.is_none() => {
                        expected_delivery = Some(dt);
                        places.expected_delivery = at(1, 2);
                    }
                    _ => {}
                }
            }
            "TSR" if service_code.is_none() => {
                service_code = seg.get(1, 1).map(str::to_string);
                places.service_code = at(1, 1);
            }
            "RFF" => match seg.get(1, 1) {
                Some("CU") => {
                    order_reference = seg.get(1, 2).map(str::to_string);
                    places.order_reference = at(1, 2);
                }
                Some("ON") if order_reference.is_none() => {
                    order_reference = seg.get(1, 2).map(str::to_string);
                    places.order_reference = at(1, 2);
                }
                Some("CN") => {
                    consignment = seg.get(1, 2).map(str::to_string);
                    consignment_at = at(1, 2);
                }
                _ => {}
            },
            "NAD" => parties.push(party(seg, i)),
            "COM" => {
                if let Some(p) = parties.last_mut() {
                    let number = seg.get(1, 1).map(str::to_string);
                    match seg.get(1, 2) {
                        Some("AL") if number.is_some() => (p.phone, p.places.phone) = (number, at(1, 1)),
                        Some("TE") if p.phone.is_none() => (p.phone, p.places.phone) = (number, at(1, 1)),
                        Some("EM") => (p.email, p.places.email) = (number, at(1, 1)),
                        _ => {}
                    }
                }
            }
            "GIN" => {
                for (e, item) in gin_items(seg) {
                    items.push(item);
                    places.items.push(Place::new(i, e, 1));
                }
            }
            _ => {}
        }
    }
    let find = |q: &str| parties.iter().find(|p| p.qualifier == q).cloned();
    let receiver = find("CN").or_else(|| find("DP")).ok_or_else(|| {
        let found = if parties.is_empty() {
            "no NAD segment".to_string()
        } else {
            let qualifiers: Vec<String> = parties.iter().map(|p| format!("NAD+{}", p.qualifier)).collect();
            format!("only {}", qualifiers.join(", "))
        };
        ParseError::new(
            ErrorKind::Content,
            m.missing("NAD", 1),
            "a receiver: NAD+CN (consignee) or NAD+DP (delivery party), the party qualifier in element 1",
            Some(found),
        )
    })?;
    if items.is_empty() {
        if let (Some(c), Some(at)) = (consignment, consignment_at) {
            items.push(c);
            places.items.push(at);
        } else if let (Some(d), Some(at)) = (document_number.clone(), document_at) {
            items.push(d);
            places.items.push(at);
        }
    }
    if items.is_empty() {
        return Err(ParseError::new(
            ErrorKind::Content,
            m.missing("GIN", 2),
            "a tracking number: an item id in GIN element 2, else a consignment number in RFF+CN element 1.2, \
             else a document number in BGM element 2",
            Some("none of them".into()),
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
        places,
    })
}
