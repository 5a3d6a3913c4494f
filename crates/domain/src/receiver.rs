//! The receiver: within one tenant, the person behind a shipment's phone and email. Addresses
//! that arrive together on a shipment are one receiver's; the opt-out and the preferences
//! (which channels, which language) are the receiver's, and links name it by a random token.

use crate::contact::{EmailAddress, PhoneNumber};
use crate::event::{CarrierEvent, ShipmentDetails};
use crate::notification::Channel;
use crate::shipment::Shipment;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt;

pub use crate::ids::ReceiverId;

/// The opaque token that names a receiver in its links: 96 random bits, written as 19
/// lowercase base-36 characters, so `/u/<token>` is 22 characters and holds no address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReceiverToken(String);

pub const TOKEN_CHARS: usize = 19;

impl ReceiverToken {
    /// The token of 96 random bits (the high bits of `random` are dropped).
    pub fn from_random(random: u128) -> Self {
        let mut n = random & ((1u128 << 96) - 1);
        let mut digits = [b'0'; TOKEN_CHARS];
        for d in digits.iter_mut().rev() {
            *d = char::from_digit((n % 36) as u32, 36).expect("a base-36 digit") as u8;
            n /= 36;
        }
        ReceiverToken(String::from_utf8(digits.to_vec()).expect("ASCII digits"))
    }

    /// A token as a link carries it; `None` for anything a token cannot be.
    pub fn parse(s: &str) -> Option<Self> {
        (s.len() == TOKEN_CHARS && s.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()))
            .then(|| ReceiverToken(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ReceiverToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The channels a receiver chose to be reached on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reach {
    #[default]
    Both,
    SmsOnly,
    EmailOnly,
}

impl Reach {
    pub fn slug(self) -> &'static str {
        match self {
            Reach::Both => "both",
            Reach::SmsOnly => "sms",
            Reach::EmailOnly => "email",
        }
    }

    pub fn from_slug(s: &str) -> Option<Self> {
        [Reach::Both, Reach::SmsOnly, Reach::EmailOnly]
            .into_iter()
            .find(|r| r.slug() == s)
    }

    /// Why a message on `channel` is not for this receiver, if it is not.
    pub fn declines(self, channel: Channel) -> Option<String> {
        match (self, channel) {
            (Reach::EmailOnly, Channel::Sms) => Some(crate::reason::make("chose_email_only", &[])),
            (Reach::SmsOnly, Channel::Email) => Some(crate::reason::make("chose_sms_only", &[])),
            _ => None,
        }
    }
}

/// The small footer an email gets when its text has no opt-out link (the template's
/// `opt_out_footer`): one sentence in the message's language, then the link.
pub fn opt_out_footer(language: &str, brand: &str) -> String {
    match language {
        "sv" => format!("Vill du inte få fler meddelanden från {brand}? Avsluta här:"),
        "no" | "nb" | "nn" => format!("Vil du ikke få flere meldinger fra {brand}? Meld deg av her:"),
        "da" => format!("Vil du ikke modtage flere beskeder fra {brand}? Afmeld her:"),
        "fi" => format!("Etkö halua enää viestejä lähettäjältä {brand}? Peru tästä:"),
        _ => format!("No more messages from {brand}? Opt out here:"),
    }
}

/// What ingest and the planner know of a shipment's receiver (as of the shipment's last
/// event: the receivers' table is the truth at sending).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiverRef {
    pub id: ReceiverId,
    pub token: ReceiverToken,
    #[serde(default)]
    pub reach: Reach,
    /// The language the receiver chose, over the one the shipment names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// A receiver as stored: its preferences, its opt-out and its addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receiver {
    pub id: ReceiverId,
    pub token: ReceiverToken,
    pub reach: Reach,
    pub language: Option<String>,
    pub opted_out_at: Option<Timestamp>,
    /// Phone numbers (E.164) and email addresses (lower case), sorted.
    pub addresses: Vec<String>,
}

impl Receiver {
    pub fn as_ref(&self) -> ReceiverRef {
        ReceiverRef {
            id: self.id,
            token: self.token.clone(),
            reach: self.reach,
            language: self.language.clone(),
        }
    }

    pub fn has_phone(&self) -> bool {
        self.addresses.iter().any(|a| a.starts_with('+'))
    }

    pub fn has_email(&self) -> bool {
        self.addresses.iter().any(|a| a.contains('@'))
    }
}

/// A receiver found by one of its addresses, with its opt-out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    pub receiver: ReceiverRef,
    pub opted_out_at: Option<Timestamp>,
}

/// The addresses of a shipment's receiver as messages go to them (phone E.164, email in
/// lower case); ones that do not parse are no one's.
fn addresses_in(details: &ShipmentDetails, country: Option<&str>, into: &mut Vec<String>) {
    if let Some(p) = details.receiver_phone.as_deref()
        && let Ok(p) = PhoneNumber::parse(p, details.destination_country.as_deref().or(country))
    {
        into.push(p.to_string());
    }
    if let Some(e) = details.receiver_email.as_deref()
        && let Ok(e) = EmailAddress::parse(e)
    {
        into.push(e.to_string().to_lowercase());
    }
}

/// Every address a batch puts on each of its shipments (the stored ones and those its
/// events bring), by tracking number, phone first: they are one receiver's.
pub fn batch_addresses<'e>(
    shipments: &HashMap<&'e str, Shipment>,
    events: &'e [CarrierEvent],
) -> BTreeMap<&'e str, Vec<String>> {
    let mut out: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (tracking, s) in shipments {
        addresses_in(&s.details, None, out.entry(tracking).or_default());
    }
    for e in events {
        let country = shipments
            .get(e.tracking_number.as_str())
            .and_then(|s| s.details.destination_country.as_deref());
        addresses_in(&e.details, country, out.entry(e.tracking_number.as_str()).or_default());
    }
    out.retain(|_, list| {
        let mut seen = std::collections::HashSet::new();
        list.retain(|a| seen.insert(a.clone()));
        !list.is_empty()
    });
    out
}

/// A receiver of the binding: one already stored, or the n-th new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Stored(ReceiverId),
    New(usize),
}

/// What a batch binds, for the store to write with its events.
#[derive(Debug, Default, PartialEq)]
pub struct Binding<'e> {
    /// The tokens of the receivers to create; `Who::New(i)` is the i-th.
    pub new_receivers: Vec<ReceiverToken>,
    /// Addresses no receiver had, and whose they become.
    pub new_addresses: Vec<(String, Who)>,
    /// New addresses of receivers who opted out: suppressed from the opt-out's time.
    pub suppress: Vec<(String, Timestamp)>,
    /// Each shipment's receiver.
    pub shipments: Vec<(&'e str, Who)>,
}

/// Binds each shipment's addresses to one receiver: the receiver of its first address that
/// has one (phone first), else a new one (with a token from `token`). Its other addresses
/// that have no receiver become that receiver's; an address already another receiver's stays
/// theirs (receivers are never merged). A new address of a receiver who opted out is
/// suppressed too, so the opt-out follows the receiver.
pub fn bind<'e>(
    addresses: &BTreeMap<&'e str, Vec<String>>,
    known: &HashMap<String, Known>,
    mut token: impl FnMut() -> ReceiverToken,
) -> Binding<'e> {
    let mut b = Binding::default();
    let mut taken: HashMap<&str, Who> = known
        .iter()
        .map(|(a, k)| (a.as_str(), Who::Stored(k.receiver.id)))
        .collect();
    let opted_out: HashMap<ReceiverIdKey, Timestamp> = known
        .values()
        .filter_map(|k| k.opted_out_at.map(|at| (k.receiver.id.0, at)))
        .collect();
    for (tracking, list) in addresses {
        let who = match list.iter().find_map(|a| taken.get(a.as_str())) {
            Some(who) => *who,
            None => {
                b.new_receivers.push(token());
                Who::New(b.new_receivers.len() - 1)
            }
        };
        for a in list {
            if taken.contains_key(a.as_str()) {
                continue;
            }
            taken.insert(a, who);
            b.new_addresses.push((a.clone(), who));
            if let Who::Stored(id) = who
                && let Some(at) = opted_out.get(&id.0)
            {
                b.suppress.push((a.clone(), *at));
            }
        }
        b.shipments.push((tracking, who));
    }
    b
}

type ReceiverIdKey = i64;

impl Binding<'_> {
    /// Each new address with its receiver's id (`new_ids[i]` for `Who::New(i)`), in address
    /// order, so concurrent batches bind shared addresses in the same order.
    pub fn address_owners(&self, new_ids: &[ReceiverId]) -> Vec<(&str, ReceiverId)> {
        let mut owners: Vec<(&str, ReceiverId)> = self
            .new_addresses
            .iter()
            .map(|(address, who)| {
                let id = match *who {
                    Who::Stored(id) => id,
                    Who::New(i) => new_ids[i],
                };
                (address.as_str(), id)
            })
            .collect();
        owners.sort_unstable();
        owners
    }

    /// The shipment's receiver once the new receivers have their ids (in the order of
    /// `new_receivers`).
    pub fn resolve(&self, who: Who, known: &HashMap<String, Known>, new_ids: &[ReceiverId]) -> Option<ReceiverRef> {
        match who {
            Who::Stored(id) => known.values().find(|k| k.receiver.id == id).map(|k| k.receiver.clone()),
            Who::New(i) => Some(ReceiverRef {
                id: *new_ids.get(i)?,
                token: self.new_receivers.get(i)?.clone(),
                reach: Reach::Both,
                language: None,
            }),
        }
    }

    /// The receiver of each shipment, resolved.
    pub fn receivers(&self, known: &HashMap<String, Known>, new_ids: &[ReceiverId]) -> HashMap<&str, ReceiverRef> {
        let by_id: HashMap<ReceiverId, &ReceiverRef> = known.values().map(|k| (k.receiver.id, &k.receiver)).collect();
        self.shipments
            .iter()
            .filter_map(|(t, who)| {
                let r = match *who {
                    Who::Stored(id) => by_id.get(&id).map(|r| (*r).clone()),
                    Who::New(_) => self.resolve(*who, known, new_ids),
                }?;
                Some((*t, r))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> impl FnMut() -> ReceiverToken {
        let mut n = 0u128;
        move || {
            n += 1;
            ReceiverToken::from_random(n)
        }
    }

    #[test]
    fn tokens_are_19_base36_characters_and_parse_back() {
        let t = ReceiverToken::from_random(u128::MAX);
        assert_eq!(t.as_str().len(), TOKEN_CHARS);
        assert_eq!(ReceiverToken::parse(t.as_str()), Some(t.clone()));
        assert_eq!(ReceiverToken::parse(&t.as_str().to_uppercase()), None);
        assert_eq!(ReceiverToken::parse("abc"), None);
        assert_ne!(ReceiverToken::from_random(1), ReceiverToken::from_random(2));
        assert!(
            36f64.powi(TOKEN_CHARS as i32) >= 2f64.powi(96),
            "every 96-bit value has a token"
        );
    }

    #[test]
    fn addresses_that_arrive_together_are_one_receivers_and_follow_it() {
        let first = BTreeMap::from([("T1", vec!["+46701234567".to_string(), "anna@x.se".to_string()])]);
        let b = bind(&first, &HashMap::new(), tokens());
        assert_eq!(b.new_receivers.len(), 1);
        assert_eq!(b.new_addresses.len(), 2);
        assert!(b.new_addresses.iter().all(|(_, w)| *w == Who::New(0)));

        // The next parcel has the same phone and a new email: same receiver, who opted out.
        let id = ReceiverId(7);
        let at: Timestamp = "2026-12-01T10:00:00Z".parse().unwrap();
        let known = HashMap::from([(
            "+46701234567".to_string(),
            Known {
                receiver: ReceiverRef {
                    id,
                    token: ReceiverToken::from_random(9),
                    reach: Reach::EmailOnly,
                    language: Some("nb".into()),
                },
                opted_out_at: Some(at),
            },
        )]);
        let next = BTreeMap::from([("T2", vec!["+46701234567".to_string(), "anna.new@x.se".to_string()])]);
        let b = bind(&next, &known, tokens());
        assert!(b.new_receivers.is_empty());
        assert_eq!(b.new_addresses, vec![("anna.new@x.se".to_string(), Who::Stored(id))]);
        assert_eq!(b.suppress, vec![("anna.new@x.se".to_string(), at)]);
        let r = b.receivers(&known, &[]);
        assert_eq!(r["T2"].reach, Reach::EmailOnly);
    }

    #[test]
    fn two_shipments_of_one_batch_with_the_same_phone_share_one_new_receiver() {
        let batch = BTreeMap::from([
            ("T1", vec!["+46701234567".to_string()]),
            ("T2", vec!["+46701234567".to_string(), "b@x.se".to_string()]),
        ]);
        let b = bind(&batch, &HashMap::new(), tokens());
        assert_eq!(b.new_receivers.len(), 1);
        assert_eq!(b.shipments, vec![("T1", Who::New(0)), ("T2", Who::New(0))]);
        let r = b.receivers(&HashMap::new(), &[ReceiverId(3)]);
        assert_eq!(r["T1"], r["T2"]);
    }

    #[test]
    fn preferences_decline_the_other_channel_with_a_reason() {
        assert_eq!(Reach::Both.declines(Channel::Sms), None);
        assert!(crate::reason::english(&Reach::EmailOnly.declines(Channel::Sms).unwrap()).contains("email only"));
        assert_eq!(Reach::EmailOnly.declines(Channel::Email), None);
        assert!(Reach::SmsOnly.declines(Channel::Email).is_some());
        assert_eq!(Reach::from_slug("email"), Some(Reach::EmailOnly));
    }
}
