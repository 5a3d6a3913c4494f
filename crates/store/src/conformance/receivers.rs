//! Receivers: bound by ingest from the addresses that arrive together on a shipment, named by
//! per-tenant random tokens; the opt-out covers every address of the receiver, also one bound
//! later, and the preferences are the receiver's.

use super::*;
use avisera_domain::receiver::{Reach, ReceiverToken, TOKEN_CHARS};

pub(crate) fn event_to(tracking: &str, phone: &str, email: Option<&str>, time: &str) -> CarrierEvent {
    EventInput {
        tracking_number: Some(tracking.into()),
        code: Some("DELIVERED".into()),
        occurred_at: Some(time.into()),
        shipment: Some(avisera_domain::event::ShipmentInput {
            receiver: Some(avisera_domain::event::ReceiverInput {
                phone: Some(phone.into()),
                email: email.map(str::to_string),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
    .check()
    .expect("valid test event")
}

async fn receiver_of_shipment(store: &dyn Store, tenant: &Tenant, tracking: &str) -> ReceiverToken {
    let shipment = store.shipment(tenant.id, tracking).await.unwrap().unwrap();
    shipment.receiver.expect("ingest bound a receiver").token
}

pub async fn concurrent_batches_of_new_shipments_to_one_new_receiver_bind_one_receiver(store: &dyn Store) {
    let (tenant, rules, templates) = tenant_with_rule(store, "Shop").await;
    let now = at("2026-11-25T10:00:00Z");
    // Six batches at once, each a parcel nobody has seen, all to one phone nobody has seen:
    // they race to bind the address; one wins and the others find its receiver.
    let batches: Vec<[CarrierEvent; 1]> = (0..6)
        .map(|b| {
            [event_to(
                &format!("RACE{b}"),
                "+46705550000",
                None,
                "2026-11-25T09:00:00Z",
            )]
        })
        .collect();
    let answers = futures_util::future::join_all(
        batches
            .iter()
            .map(|events| post(store, &tenant, &rules, &templates, events, now)),
    )
    .await;
    assert_eq!(answers.iter().flatten().count(), 6, "every batch is stored");
    let token = receiver_of_shipment(store, &tenant, "RACE0").await;
    for b in 1..6 {
        assert_eq!(
            receiver_of_shipment(store, &tenant, &format!("RACE{b}")).await,
            token,
            "RACE{b}"
        );
    }
    let (_, receiver) = store.receiver_by_token(&token).await.unwrap().unwrap();
    assert_eq!(receiver.addresses, ["+46705550000"]);
}

pub async fn shipments_with_the_same_phone_share_a_receiver_whose_opt_out_covers_every_address(store: &dyn Store) {
    let (tenant, rules, templates) = tenant_with_rule(store, "Shop").await;
    let now = at("2026-11-25T10:00:00Z");
    let first = [event_to(
        "R1",
        "+46 70 123 45 67",
        Some("Anna@Example.se"),
        "2026-11-25T09:00:00Z",
    )];
    post(store, &tenant, &rules, &templates, &first, now).await;
    // One batch: a second parcel with the same phone and a new email, and a stranger's.
    let next = [
        event_to(
            "R2",
            "+46701234567",
            Some("anna.work@example.se"),
            "2026-11-25T09:10:00Z",
        ),
        event_to("R3", "+46709999999", None, "2026-11-25T09:10:00Z"),
    ];
    post(store, &tenant, &rules, &templates, &next, now).await;
    let token = receiver_of_shipment(store, &tenant, "R1").await;
    assert_eq!(receiver_of_shipment(store, &tenant, "R2").await, token);
    assert_ne!(receiver_of_shipment(store, &tenant, "R3").await, token);
    let (found_tenant, receiver) = store.receiver_by_token(&token).await.unwrap().unwrap();
    assert_eq!(found_tenant, tenant.id);
    assert_eq!(
        receiver.addresses,
        ["+46701234567", "anna.work@example.se", "anna@example.se"]
    );
    assert_eq!(receiver.opted_out_at, None);

    let opted = at("2026-11-25T11:00:00Z");
    assert!(store.opt_out_receiver(tenant.id, receiver.id, opted).await.unwrap());
    let all = [
        "+46701234567",
        "Anna@example.se",
        "anna.work@example.se",
        "+46709999999",
    ];
    let out = store.opted_out_among(tenant.id, &all).await.unwrap();
    assert_eq!(
        out.len(),
        3,
        "every address of the receiver, not the stranger's: {out:?}"
    );
    assert!(out.values().all(|t| *t == opted));
    // The opt-out follows the receiver to an address it brings later.
    let later = [event_to(
        "R4",
        "+46701234567",
        Some("anna.new@example.se"),
        "2026-11-26T09:00:00Z",
    )];
    post(store, &tenant, &rules, &templates, &later, at("2026-11-26T10:00:00Z")).await;
    assert_eq!(
        store.opted_out(tenant.id, "anna.new@example.se").await.unwrap(),
        Some(opted)
    );
    // A second opt-out keeps the first time.
    store
        .opt_out_receiver(tenant.id, receiver.id, at("2026-11-27T00:00:00Z"))
        .await
        .unwrap();
    let again = store.receiver_by_token(&token).await.unwrap().unwrap().1;
    assert_eq!(again.opted_out_at, Some(opted));

    // Changing one's mind lifts the opt-out, not a bounce.
    store
        .remove_suppression(tenant.id, "anna.work@example.se")
        .await
        .unwrap();
    store
        .suppress(tenant.id, "anna.work@example.se", "hard bounce: 550", opted)
        .await
        .unwrap();
    assert!(store.opt_back_in(tenant.id, receiver.id).await.unwrap());
    let out = store.opted_out_among(tenant.id, &all).await.unwrap();
    assert_eq!(out.keys().collect::<Vec<_>>(), ["anna.work@example.se"], "{out:?}");
    let back = store.receiver_by_token(&token).await.unwrap().unwrap().1;
    assert_eq!(back.opted_out_at, None);
}

pub async fn receiver_tokens_are_per_tenant_random_and_preferences_stay_in_their_tenant(store: &dyn Store) {
    let now = at("2026-11-25T10:00:00Z");
    let (a, a_rules, a_templates) = tenant_with_rule(store, "A").await;
    let (b, b_rules, b_templates) = tenant_with_rule(store, "B").await;
    let same = |t| {
        [event_to(
            t,
            "+46701234567",
            Some("anna@example.se"),
            "2026-11-25T09:00:00Z",
        )]
    };
    post(store, &a, &a_rules, &a_templates, &same("A1"), now).await;
    post(store, &b, &b_rules, &b_templates, &same("B1"), now).await;
    let (ta, tb) = (
        receiver_of_shipment(store, &a, "A1").await,
        receiver_of_shipment(store, &b, "B1").await,
    );
    assert_ne!(ta, tb, "the same person is another receiver in another tenant");
    assert_eq!(ta.as_str().len(), TOKEN_CHARS);
    assert!(!ta.as_str().contains("4670"), "a token holds no address");
    let ra = store.receiver_by_token(&ta).await.unwrap().unwrap();
    let rb = store.receiver_by_token(&tb).await.unwrap().unwrap();
    assert_eq!((ra.0, rb.0), (a.id, b.id));
    assert_eq!(
        store
            .receiver_by_token(&ReceiverToken::from_random(12345))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.receiver_of(b.id, "+46701234567").await.unwrap().map(|r| r.id),
        Some(rb.1.id)
    );

    // B cannot touch A's receiver.
    assert!(
        !store
            .set_preferences(b.id, ra.1.id, Reach::EmailOnly, None)
            .await
            .unwrap()
    );
    assert!(!store.opt_out_receiver(b.id, ra.1.id, now).await.unwrap());
    assert!(store.opted_out_among(a.id, &["+46701234567"]).await.unwrap().is_empty());
    assert!(
        store
            .set_preferences(a.id, ra.1.id, Reach::EmailOnly, Some("nb"))
            .await
            .unwrap()
    );
    let reach = store
        .reach_among(a.id, &["+46701234567", "ANNA@example.se", "+46700000000"])
        .await
        .unwrap();
    assert_eq!(reach.len(), 2, "{reach:?}");
    assert!(reach.values().all(|r| *r == Reach::EmailOnly));
    assert!(store.reach_among(b.id, &["+46701234567"]).await.unwrap().is_empty());
    // The next parcel's planner sees the preferences.
    post(store, &a, &a_rules, &a_templates, &same("A2"), now).await;
    let next = store.shipment(a.id, "A2").await.unwrap().unwrap().receiver.unwrap();
    assert_eq!((next.reach, next.language.as_deref()), (Reach::EmailOnly, Some("nb")));
}
