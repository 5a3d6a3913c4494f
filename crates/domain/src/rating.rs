//! Delivery ratings: a receiver gives a delivered shipment 1 to 5 stars, and may add a comment,
//! through `/r/<receiver token>/<shipment>`; one rating per shipment, a second one replaces it.
//! What a tenant reads back: the averages per ISO week (Stockholm time), carrier and pickup point.

use crate::ids::ShipmentId;
use crate::links::Links;
use crate::mapping::Milestone;
use crate::receiver::ReceiverToken;
use crate::shipment::Shipment;
use crate::zone::tenant_zone;
use jiff::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;

/// A comment is a few sentences to the shipper, not a letter.
pub const MAX_COMMENT_CHARS: usize = 1000;

/// The group of ratings without a carrier (`per_carrier`) or a pickup point (`per_pickup_point`:
/// delivered to the door).
pub const UNKNOWN_CARRIER: &str = "unknown";
pub const NO_PICKUP_POINT: &str = "none";

/// 1 to 5 stars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Stars(u8);

impl Stars {
    pub fn new(n: u8) -> Option<Self> {
        (1..=5).contains(&n).then_some(Stars(n))
    }

    /// The stars of a form's `stars` field (`1` to `5`).
    pub fn parse(s: &str) -> Result<Self, RatingError> {
        match s.as_bytes() {
            [d @ b'1'..=b'5'] => Ok(Stars(d - b'0')),
            _ => Err(RatingError::Stars(s.chars().take(20).collect())),
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

/// Why a rating cannot be recorded; each names the form field to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RatingError {
    #[error("stars {0:?}: give 1 to 5 stars")]
    Stars(String),
    #[error("the comment is {0} characters long: write at most {max}", max = MAX_COMMENT_CHARS)]
    CommentTooLong(usize),
    #[error("choose 1 to 5 stars first, then add your comment")]
    NoStars,
    #[error("send stars (1 to 5), a comment, or both")]
    Nothing,
}

impl RatingError {
    pub fn field(&self) -> &'static str {
        match self {
            RatingError::Stars(_) | RatingError::NoStars | RatingError::Nothing => "stars",
            RatingError::CommentTooLong(_) => "comment",
        }
    }
}

/// A shipment's rating, with its carrier and pickup point as the shipment knew them when rated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rating {
    pub shipment_id: ShipmentId,
    pub tracking_number: String,
    pub stars: Stars,
    pub comment: Option<String>,
    /// When the stars were last given.
    pub rated_at: Timestamp,
    pub carrier: Option<String>,
    pub pickup_point: Option<String>,
}

/// What the receiver sent: stars, a comment, or both (each `None` when the form had none).
#[derive(Debug, Clone, Copy, Default)]
pub struct RatingForm<'a> {
    pub stars: Option<&'a str>,
    pub comment: Option<&'a str>,
}

/// The shipment's rating after the receiver's form: new stars replace the old ones (and their
/// time), a comment replaces the old one (an empty one removes it), and what the form leaves
/// out stays. A comment alone needs stars already given; a form with neither is refused.
pub fn rate(
    shipment: &Shipment,
    previous: Option<&Rating>,
    form: RatingForm<'_>,
    now: Timestamp,
) -> Result<Rating, RatingError> {
    let stars = form.stars.map(Stars::parse).transpose()?;
    if form.stars.is_none() && form.comment.is_none() {
        return Err(RatingError::Nothing);
    }
    // The limit counts what was sent, so what it allows does not depend on trimming.
    if let Some(n) = form
        .comment
        .map(|c| c.chars().count())
        .filter(|n| *n > MAX_COMMENT_CHARS)
    {
        return Err(RatingError::CommentTooLong(n));
    }
    let comment = match form.comment.map(str::trim) {
        None => previous.and_then(|p| p.comment.clone()),
        Some("") => None,
        Some(c) => Some(c.to_string()),
    };
    let (stars, rated_at) = match (stars, previous) {
        (Some(s), _) => (s, now),
        (None, Some(p)) => (p.stars, p.rated_at),
        (None, None) => return Err(RatingError::NoStars),
    };
    Ok(Rating {
        shipment_id: shipment.id,
        tracking_number: shipment.tracking_number.clone(),
        stars,
        comment,
        rated_at,
        carrier: shipment.details.carrier.clone(),
        pickup_point: shipment.details.pickup_point.as_ref().map(|p| p.name.clone()),
    })
}

/// The path of a shipment's rating page, `/r/<receiver token>/<shipment id>` (at most 32
/// characters for ids below a billion): the token names the receiver, the id one of its
/// shipments; no address, no name.
pub fn rating_path(token: &ReceiverToken, shipment: ShipmentId) -> String {
    format!("/r/{token}/{shipment}")
}

/// The receiver token and shipment of a rating link's two path segments, if they can be one.
pub fn parse_rating_path(token: &str, shipment: &str) -> Option<(ReceiverToken, ShipmentId)> {
    let token = ReceiverToken::parse(token)?;
    if shipment.is_empty() || shipment.len() > 18 || !shipment.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((token, ShipmentId(shipment.parse().ok()?)))
}

/// The rating link a delivered shipment's page offers its receiver; `None` before delivery
/// or for a shipment without a receiver.
pub fn rating_link_for(links: &dyn Links, shipment: &Shipment) -> Option<String> {
    let receiver = shipment.receiver.as_ref()?;
    (shipment.milestone == Some(Milestone::Delivered)).then(|| links.rating(&receiver.token, shipment.id))
}

/// The average of one group of ratings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Average {
    /// The ISO week (`2026-W49`), the carrier or the pickup point.
    pub group: String,
    pub count: u64,
    /// Rounded to two decimals.
    pub average: f64,
}

/// What a period's ratings add up to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub count: u64,
    /// Null without ratings.
    pub average: Option<f64>,
    /// Oldest week first; weeks are ISO weeks in Stockholm time.
    pub per_week: Vec<Average>,
    /// Best first, then by name.
    pub per_carrier: Vec<Average>,
    pub per_pickup_point: Vec<Average>,
}

/// The ISO week an instant falls in, in Stockholm time: `2026-W01` to `2026-W53`.
pub fn iso_week(at: Timestamp) -> String {
    let week = at.to_zoned_datetime(tenant_zone()).date().iso_week_date();
    format!("{:04}-W{:02}", week.year(), week.week())
}

fn rounded(sum: u64, count: u64) -> f64 {
    (sum as f64 / count as f64 * 100.0).round() / 100.0
}

fn averages(groups: BTreeMap<String, (u64, u64)>) -> Vec<Average> {
    groups
        .into_iter()
        .map(|(group, (sum, count))| Average {
            group,
            count,
            average: rounded(sum, count),
        })
        .collect()
}

pub fn summarize(ratings: &[Rating]) -> Summary {
    let mut weeks: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut carriers = BTreeMap::new();
    let mut points = BTreeMap::new();
    let mut sum = 0;
    for r in ratings {
        let stars = u64::from(r.stars.get());
        sum += stars;
        let carrier = r.carrier.clone().unwrap_or_else(|| UNKNOWN_CARRIER.into());
        let point = r.pickup_point.clone().unwrap_or_else(|| NO_PICKUP_POINT.into());
        for (map, key) in [
            (&mut weeks, iso_week(r.rated_at)),
            (&mut carriers, carrier),
            (&mut points, point),
        ] {
            let e = map.entry(key).or_insert((0, 0));
            e.0 += stars;
            e.1 += 1;
        }
    }
    let best_first = |mut list: Vec<Average>| {
        list.sort_by(|a, b| b.average.total_cmp(&a.average).then_with(|| a.group.cmp(&b.group)));
        list
    };
    let count = ratings.len() as u64;
    Summary {
        count,
        average: (count > 0).then(|| rounded(sum, count)),
        per_week: averages(weeks),
        per_carrier: best_first(averages(carriers)),
        per_pickup_point: best_first(averages(points)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::PickupPoint;
    use crate::links::PlainLinks;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn shipment() -> Shipment {
        let mut s = Shipment::new("T1");
        s.id = ShipmentId(42);
        s.details.carrier = Some("PostNord".into());
        s.details.pickup_point = Some(PickupPoint {
            name: "ICA Nära".into(),
            address: None,
            opening_hours: None,
            storage_deadline: None,
        });
        s
    }

    fn form<'a>(stars: Option<&'a str>, comment: Option<&'a str>) -> RatingForm<'a> {
        RatingForm { stars, comment }
    }

    #[test]
    fn stars_are_one_to_five_and_anything_else_names_the_field() {
        assert_eq!(Stars::parse("4").unwrap().get(), 4);
        for bad in ["0", "6", "-1", "four", "", "4.5", " 4", "04", "99999999999"] {
            let e = Stars::parse(bad).unwrap_err();
            assert_eq!(e.field(), "stars", "{bad}");
            assert!(e.to_string().contains("1 to 5"), "{e}");
        }
    }

    #[test]
    fn a_second_rating_replaces_the_stars_and_keeps_the_comment() {
        let s = shipment();
        let first = rate(&s, None, form(Some("4"), None), at("2026-12-01T10:00:00Z")).unwrap();
        assert_eq!((first.stars.get(), first.comment.as_deref()), (4, None));
        assert_eq!(first.carrier.as_deref(), Some("PostNord"));
        assert_eq!(first.pickup_point.as_deref(), Some("ICA Nära"));
        let commented = rate(
            &s,
            Some(&first),
            form(None, Some(" Quick! ")),
            at("2026-12-01T10:05:00Z"),
        )
        .unwrap();
        assert_eq!(commented.comment.as_deref(), Some("Quick!"));
        assert_eq!(commented.rated_at, first.rated_at, "a comment is not a new rating");
        let changed = rate(&s, Some(&commented), form(Some("2"), None), at("2026-12-02T08:00:00Z")).unwrap();
        assert_eq!(changed.stars.get(), 2);
        assert_eq!(changed.comment.as_deref(), Some("Quick!"));
        assert_eq!(changed.rated_at, at("2026-12-02T08:00:00Z"));
        let cleared = rate(&s, Some(&changed), form(None, Some("  ")), at("2026-12-02T08:01:00Z")).unwrap();
        assert_eq!(cleared.comment, None);
    }

    #[test]
    fn a_comment_needs_stars_and_fits_its_limit() {
        let s = shipment();
        let now = at("2026-12-01T10:00:00Z");
        assert_eq!(rate(&s, None, form(None, Some("hi")), now), Err(RatingError::NoStars));
        let given = rate(&s, None, form(Some("3"), None), now).unwrap();
        assert_eq!(rate(&s, Some(&given), form(None, None), now), Err(RatingError::Nothing));
        let long = "å".repeat(MAX_COMMENT_CHARS + 1);
        let e = rate(&s, None, form(Some("5"), Some(&long)), now).unwrap_err();
        assert_eq!(e.field(), "comment");
        assert!(e.to_string().contains("1001 characters"), "{e}");
        assert!(rate(&s, None, form(Some("5"), Some(&long[..MAX_COMMENT_CHARS * 2])), now).is_ok());
        assert_eq!(rate(&s, None, form(Some("7"), None), now).unwrap_err().field(), "stars");
    }

    #[test]
    fn the_rating_path_is_short_and_parses_back() {
        let token = ReceiverToken::from_random(u128::MAX);
        let path = rating_path(&token, ShipmentId(999_999_999));
        assert!(path.len() <= 32, "{path}");
        let (t, id) = path.strip_prefix("/r/").unwrap().split_once('/').unwrap();
        assert_eq!(parse_rating_path(t, id), Some((token.clone(), ShipmentId(999_999_999))));
        assert_eq!(parse_rating_path(t, "12a"), None);
        assert_eq!(parse_rating_path(t, ""), None);
        assert_eq!(parse_rating_path(t, "-1"), None);
        assert_eq!(parse_rating_path("short", "1"), None);
    }

    #[test]
    fn the_tracking_page_offers_the_link_only_after_delivery_to_the_receiver() {
        let links = PlainLinks("https://t.example".into());
        let mut s = shipment();
        assert_eq!(rating_link_for(&links, &s), None, "no receiver");
        let token = ReceiverToken::from_random(7);
        s.receiver = Some(crate::receiver::ReceiverRef {
            id: crate::receiver::ReceiverId(1),
            token: token.clone(),
            reach: Default::default(),
            language: None,
        });
        s.milestone = Some(Milestone::AtPickupPoint);
        assert_eq!(rating_link_for(&links, &s), None, "not delivered yet");
        s.milestone = Some(Milestone::Delivered);
        assert_eq!(
            rating_link_for(&links, &s),
            Some(format!("https://t.example/r/{token}/42"))
        );
    }

    #[test]
    fn weeks_are_iso_weeks_in_stockholm_time_and_averages_round() {
        let s = shipment();
        let r = |stars: &str, when: &str, carrier: Option<&str>| {
            let mut r = rate(&s, None, form(Some(stars), None), at(when)).unwrap();
            r.carrier = carrier.map(str::to_string);
            r
        };
        let list = [
            // Sunday 22:30 UTC is 23:30 in Stockholm, still week 49; Sunday 23:30 UTC is
            // Monday 00:30 there: week 50.
            r("5", "2026-12-06T22:30:00Z", Some("PostNord")),
            r("4", "2026-12-06T23:30:00Z", Some("PostNord")),
            r("2", "2026-12-07T09:00:00Z", None),
            r("4", "2026-12-08T09:00:00Z", Some("Budbee")),
        ];
        let sum = summarize(&list);
        assert_eq!(sum.count, 4);
        assert_eq!(sum.average, Some(3.75));
        let weeks: Vec<_> = sum
            .per_week
            .iter()
            .map(|a| (a.group.as_str(), a.count, a.average))
            .collect();
        assert_eq!(weeks, [("2026-W49", 1, 5.0), ("2026-W50", 3, 3.33)]);
        let carriers: Vec<_> = sum.per_carrier.iter().map(|a| (a.group.as_str(), a.average)).collect();
        assert_eq!(carriers, [("PostNord", 4.5), ("Budbee", 4.0), (UNKNOWN_CARRIER, 2.0)]);
        assert_eq!(sum.per_pickup_point[0].group, "ICA Nära");
        assert_eq!(iso_week(at("2027-01-01T12:00:00Z")), "2026-W53");
        let none = summarize(&[]);
        assert_eq!((none.count, none.average), (0, None));
    }
}
