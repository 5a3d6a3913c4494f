//! Personal data: after a person's erase, nothing the store answers holds their name, phone,
//! email or address, their opt-out still holds under its keyed hash, and the bill's facts are
//! unchanged; the retention sweep erases old journeys the same way and leaves newer ones.

use super::*;
use avisera_domain::privacy::{Subject, hashed_address};
use std::hash::{Hash, Hasher};

const NAME: &str = "Anna Berg";
const PHONE: &str = "+46701234567";
const PHONE_AS_GIVEN: &str = "070-123 45 67";
const EMAIL: &str = "anna.berg@example.se";
const STREET: &str = "Storgatan 12, Lund";

/// A stand-in for the installation's keyed hash: deterministic, no address in it.
pub(crate) fn pseudonym(address: &str) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    address.hash(&mut h);
    hashed_address(&format!("{:016x}", h.finish()))
}

fn annas(tracking: &str, time: &str) -> CarrierEvent {
    someones(tracking, time, [NAME, PHONE_AS_GIVEN, EMAIL, STREET])
}

fn someones(tracking: &str, time: &str, [name, phone, email, street]: [&str; 4]) -> CarrierEvent {
    EventInput {
        tracking_number: Some(tracking.into()),
        code: Some("DELIVERED".into()),
        occurred_at: Some(time.into()),
        shipment: Some(avisera_domain::event::ShipmentInput {
            receiver: Some(avisera_domain::event::ReceiverInput {
                name: Some(name.into()),
                phone: Some(phone.into()),
                email: Some(email.into()),
                language: Some("sv".into()),
                ..Default::default()
            }),
            destination_country: Some("SE".into()),
            attributes: Some(BTreeMap::from([("delivery_address".into(), street.into())])),
            ..Default::default()
        }),
        ..Default::default()
    }
    .check()
    .expect("valid test event")
}

/// Everything the store answers about the tenant, as text: shipments (by every search),
/// events, notifications with history, receivers, suppressions, the bill's rows, replays.
async fn everything(store: &dyn Store, tenant: TenantId, tracking: &[&str]) -> String {
    let mut out = String::new();
    let (from, to) = (at("2026-01-01T00:00:00Z"), at("2028-01-01T00:00:00Z"));
    for t in tracking {
        out += &format!("{:?}", store.shipment(tenant, t).await.unwrap());
        out += &format!("{:?}", store.shipment_events(tenant, t).await.unwrap());
    }
    for search in [
        ShipmentSearch::Phone(PHONE.into()),
        ShipmentSearch::Email(EMAIL.into()),
        ShipmentSearch::ReceiverName("anna".into()),
        ShipmentSearch::TrackingNumberPart("AB".into()),
    ] {
        out += &format!("{:?}", store.find_shipments(tenant, &search, 50).await.unwrap());
    }
    let all = NotificationFilter {
        limit: 500,
        ..Default::default()
    };
    for n in store.notifications(tenant, &all).await.unwrap() {
        out += &serde_json::to_string(&n).unwrap();
        out += &format!("{:?}", store.notification_history(tenant, n.id).await.unwrap());
    }
    out += &format!("{:?}", store.receiver_of(tenant, PHONE).await.unwrap());
    out += &format!("{:?}", store.receiver_of(tenant, EMAIL).await.unwrap());
    out += &format!("{:?}", store.suppressions(tenant, 100).await.unwrap());
    out += &format!("{:?}", store.billed(tenant, from, to).await.unwrap());
    let mut replayed = Vec::new();
    store
        .arrived_events(tenant, from, to, &mut |e| replayed.push(format!("{e:?}")))
        .await
        .unwrap();
    out += &replayed.join("");
    out
}

fn assert_nothing_personal(text: &str) {
    for personal in [NAME, "Anna", PHONE, PHONE_AS_GIVEN, EMAIL, STREET] {
        assert!(
            !text.to_lowercase().contains(&personal.to_lowercase()),
            "{personal:?} is still returned: {text}"
        );
    }
}

/// Sends every claimed notification, each billed 2 units at 59 öre.
async fn send_all(store: &dyn Store, now: Timestamp) {
    let charge = Charge {
        units: 2,
        unit_price: Ore(59),
    };
    for job in store
        .claim_due("w", now, at("2026-11-25T11:00:00Z"), 100)
        .await
        .unwrap()
    {
        let sent = DeliveryOutcome::Sent {
            provider_id: Some("p-1".into()),
            charge: Some(charge),
        };
        assert!(
            store
                .finish_delivery(job.tenant_id, job.id, "w", &sent, now)
                .await
                .unwrap()
        );
    }
}

fn bill_facts(billed: &[avisera_domain::billing::Billed]) -> Vec<String> {
    billed
        .iter()
        .map(|b| {
            format!(
                "{} {} {} {:?} {}",
                b.id, b.channel, b.sent_at, b.charge, b.tracking_number
            )
        })
        .collect()
}

pub async fn after_erase_nothing_returns_the_address_the_opt_out_holds_and_the_bill_is_unchanged(store: &dyn Store) {
    let (tenant, rules, templates) = tenant_with_rule(store, "Shop").await;
    let (other, other_rules, other_templates) = tenant_with_rule(store, "Other").await;
    let now = at("2026-11-25T10:00:00Z");
    post(
        store,
        &tenant,
        &rules,
        &templates,
        &[annas("AB1", "2026-11-25T09:00:00Z")],
        now,
    )
    .await;
    post(
        store,
        &other,
        &other_rules,
        &other_templates,
        &[annas("AB1", "2026-11-25T09:00:00Z")],
        now,
    )
    .await;
    send_all(store, now).await;
    // A second parcel waits to be sent; a stranger's parcel is left alone.
    post(
        store,
        &tenant,
        &rules,
        &templates,
        &[
            annas("AB2", "2026-11-25T09:30:00Z"),
            someones(
                "ZZ9",
                "2026-11-25T09:30:00Z",
                ["Bo Ek", "+46709999999", "bo@example.se", "Ågatan 3"],
            ),
        ],
        now,
    )
    .await;
    let token = store
        .shipment(tenant.id, "AB1")
        .await
        .unwrap()
        .unwrap()
        .receiver
        .unwrap()
        .token;
    let receiver = store.receiver_of(tenant.id, PHONE).await.unwrap().unwrap();
    store
        .suppress(tenant.id, EMAIL, "hard bounce: 550 anna.berg@example.se unknown", now)
        .await
        .unwrap();
    assert!(store.opt_out_receiver(tenant.id, receiver.id, now).await.unwrap());
    let (from, to) = (at("2026-11-01T00:00:00Z"), at("2026-12-01T00:00:00Z"));
    let bill_before = store.billed(tenant.id, from, to).await.unwrap();
    assert_eq!(bill_before.len(), 1);
    let spend_before = store.sms_spend(tenant.id, from, to).await.unwrap();
    assert!(
        everything(store, tenant.id, &["AB1", "AB2"]).await.contains(NAME),
        "the test data is there"
    );

    let erased = store
        .erase_person(tenant.id, &Subject::Phone(PHONE.into()), &pseudonym, now)
        .await
        .unwrap();
    assert_eq!((erased.shipments, erased.receivers), (2, 1), "{erased:?}");
    assert!(erased.notifications >= 2 && erased.events == 2, "{erased:?}");
    assert_eq!(erased.opt_outs_kept, 2, "the phone's opt-out and the email's bounce");

    assert_nothing_personal(&everything(store, tenant.id, &["AB1", "AB2"]).await);
    assert!(store.receiver_by_token(&token).await.unwrap().is_none());
    // The journey is still there, without the person.
    let ab1 = store.shipment(tenant.id, "AB1").await.unwrap().unwrap();
    assert_eq!(ab1.milestone, Some(avisera_domain::mapping::Milestone::Delivered));
    assert_eq!(ab1.details.receiver_language.as_deref(), Some("sv"));
    // The opt-out and the bounce hold under the keyed hash, not the address.
    assert_eq!(store.opted_out(tenant.id, PHONE).await.unwrap(), None);
    assert_eq!(store.opted_out(tenant.id, &pseudonym(PHONE)).await.unwrap(), Some(now));
    let held = store
        .opted_out_among(tenant.id, &[&pseudonym(PHONE), &pseudonym(EMAIL)])
        .await
        .unwrap();
    assert_eq!(held.len(), 2);
    // The message that waited is not sent.
    let waiting = store
        .claim_due("w", now, at("2026-11-25T11:00:00Z"), 100)
        .await
        .unwrap();
    let sent_to: Vec<&str> = waiting.iter().map(|j| j.message.recipient()).collect();
    assert_eq!(sent_to, ["+46709999999"], "only the stranger's message is still sent");
    // The bill is the same to the öre.
    let bill_after = store.billed(tenant.id, from, to).await.unwrap();
    assert_eq!(bill_facts(&bill_after), bill_facts(&bill_before));
    assert_eq!(store.sms_spend(tenant.id, from, to).await.unwrap(), spend_before);
    // The stranger and the other tenant keep theirs.
    let zz9 = store.shipment(tenant.id, "ZZ9").await.unwrap().unwrap();
    assert_eq!(zz9.details.receiver_name.as_deref(), Some("Bo Ek"));
    assert!(everything(store, other.id, &["AB1"]).await.contains(NAME));
    assert!(store.receiver_of(other.id, PHONE).await.unwrap().is_some());

    // Erasing again, or erasing nobody, changes nothing.
    for subject in [
        Subject::Phone(PHONE.into()),
        Subject::Email("nobody@example.se".into()),
        Subject::TrackingNumber("NOPE".into()),
    ] {
        let again = store.erase_person(tenant.id, &subject, &pseudonym, now).await.unwrap();
        assert_eq!(
            (again.shipments, again.notifications, again.receivers),
            (0, 0, 0),
            "{subject:?}"
        );
    }
}

pub async fn erasing_by_email_or_tracking_number_erases_the_whole_person(store: &dyn Store) {
    let (tenant, rules, templates) = tenant_with_rule(store, "Shop").await;
    let now = at("2026-11-25T10:00:00Z");
    let events = [
        annas("AB1", "2026-11-25T09:00:00Z"),
        annas("AB2", "2026-11-25T09:10:00Z"),
    ];
    post(store, &tenant, &rules, &templates, &events, now).await;
    let found = store
        .shipments_of_person(tenant.id, &Subject::TrackingNumber("AB1".into()))
        .await
        .unwrap();
    assert_eq!(found.len(), 2, "the tracking number names the receiver, who has both");
    let erased = store
        .erase_person(tenant.id, &Subject::TrackingNumber("AB2".into()), &pseudonym, now)
        .await
        .unwrap();
    assert_eq!(erased.shipments, 2);
    assert_nothing_personal(&everything(store, tenant.id, &["AB1", "AB2"]).await);

    let (tenant, rules, templates) = tenant_with_rule(store, "Shop 2").await;
    post(store, &tenant, &rules, &templates, &events, now).await;
    let erased = store
        .erase_person(tenant.id, &Subject::Email(EMAIL.into()), &pseudonym, now)
        .await
        .unwrap();
    assert_eq!(erased.shipments, 2);
    assert_nothing_personal(&everything(store, tenant.id, &["AB1", "AB2"]).await);
    assert!(
        store
            .shipments_of_person(tenant.id, &Subject::Email(EMAIL.into()))
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn the_retention_sweep_erases_old_journeys_and_keeps_an_address_a_newer_one_has(store: &dyn Store) {
    let (tenant, rules, templates) = tenant_with_rule(store, "Shop").await;
    let old = at("2026-05-01T10:00:00Z");
    let new = at("2026-11-25T10:00:00Z");
    post(
        store,
        &tenant,
        &rules,
        &templates,
        &[annas("AB1", "2026-05-01T09:00:00Z")],
        old,
    )
    .await;
    send_all(store, old).await;
    let (from, to) = (at("2026-05-01T00:00:00Z"), at("2026-06-01T00:00:00Z"));
    let bill_before = store.billed(tenant.id, from, to).await.unwrap();
    assert_eq!(bill_before.len(), 1);
    let cutoff = at("2026-09-01T00:00:00Z");

    // Only the old journey goes; the address stays, a newer parcel still has it.
    post(
        store,
        &tenant,
        &rules,
        &templates,
        &[annas("AB2", "2026-11-25T09:00:00Z")],
        new,
    )
    .await;
    let swept = store
        .erase_ended(tenant.id, cutoff, 100, &pseudonym, new)
        .await
        .unwrap();
    assert_eq!((swept.shipments, swept.receivers), (1, 0), "{swept:?}");
    let ab1 = NotificationFilter {
        tracking_number: Some("AB1".into()),
        limit: 50,
        ..Default::default()
    };
    assert_nothing_personal(&format!(
        "{:?}{:?}{}",
        store.shipment(tenant.id, "AB1").await.unwrap(),
        store.shipment_events(tenant.id, "AB1").await.unwrap(),
        serde_json::to_string(&store.notifications(tenant.id, &ab1).await.unwrap()).unwrap()
    ));
    let ab2 = store.shipment(tenant.id, "AB2").await.unwrap().unwrap();
    assert_eq!(ab2.details.receiver_name.as_deref(), Some(NAME));
    assert!(store.receiver_of(tenant.id, PHONE).await.unwrap().is_some());
    let found = store
        .find_shipments(tenant.id, &ShipmentSearch::Phone(PHONE.into()), 50)
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|s| s.tracking_number.as_str()).collect::<Vec<_>>(),
        ["AB2"]
    );
    // What was swept is not swept again; the bill is the same.
    let again = store
        .erase_ended(tenant.id, cutoff, 100, &pseudonym, new)
        .await
        .unwrap();
    assert_eq!(again.shipments, 0);
    assert_eq!(
        bill_facts(&store.billed(tenant.id, from, to).await.unwrap()),
        bill_facts(&bill_before)
    );

    // Once the newer journey is old too, the receiver goes with it.
    let later = at("2027-07-01T00:00:00Z");
    let swept = store
        .erase_ended(tenant.id, at("2027-01-01T00:00:00Z"), 100, &pseudonym, later)
        .await
        .unwrap();
    assert_eq!((swept.shipments, swept.receivers), (1, 1), "{swept:?}");
    assert_nothing_personal(&everything(store, tenant.id, &["AB1", "AB2"]).await);
}
