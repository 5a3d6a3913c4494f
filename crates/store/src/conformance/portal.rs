//! The portal: users, sessions, logos, Track & Trace searches, manual sends and follow-up
//! numbers, each kept in its tenant.

use super::*;

pub async fn portal_users_sessions_logos_and_searches_stay_in_their_tenant(store: &dyn Store) {
    use avisera_domain::contact::EmailAddress;
    use avisera_domain::logo::LogoKind;
    use avisera_domain::user::Role;
    let (a, rules, templates) = tenant_with_rule(store, "A").await;
    let b = store
        .create_tenant("B", Plan::Plus, &Brand::named("B"), at("2026-11-25T08:00:00Z"))
        .await
        .unwrap();
    let now = at("2026-11-25T10:00:00Z");
    let user = |email: &str, role| NewUser {
        email: EmailAddress::parse(email).unwrap(),
        name: "Anna".into(),
        role,
        password_hash: "hash".into(),
    };
    let anna = store
        .create_user(a.id, &user("Anna@Shop.se", Role::Admin), now)
        .await
        .unwrap();
    let again = store.create_user(b.id, &user("anna@shop.se", Role::Viewer), now).await;
    assert!(matches!(again, Err(StoreError::Conflict { .. })), "{again:?}");
    let (found, hash) = store.user_by_email(" ANNA@shop.se").await.unwrap().unwrap();
    assert_eq!(
        (found.id, found.tenant_id, found.role, hash.as_str()),
        (anna, a.id, Role::Admin, "hash")
    );
    assert!(store.user(b.id, anna).await.unwrap().is_none());
    assert!(store.users(b.id).await.unwrap().is_empty());
    assert!(!store.delete_user(b.id, anna).await.unwrap());

    let session = Session {
        token_hash: "t1".into(),
        tenant_id: a.id,
        user_id: anna,
        csrf_token: "c1".into(),
        expires_at: at("2026-11-25T22:00:00Z"),
    };
    let stale = Session {
        token_hash: "old".into(),
        expires_at: at("2026-11-25T09:00:00Z"),
        ..session.clone()
    };
    store.create_session(&stale, at("2026-11-25T08:00:00Z")).await.unwrap();
    store.create_session(&session, now).await.unwrap();
    assert_eq!(
        store.session("old", at("2026-11-25T08:30:00Z")).await.unwrap(),
        None,
        "a new session sweeps the expired ones"
    );
    assert_eq!(store.session("t1", now).await.unwrap(), Some(session.clone()));
    assert_eq!(
        store.session("t1", at("2026-11-25T22:00:00Z")).await.unwrap(),
        None,
        "expired"
    );
    store.delete_session("t1").await.unwrap();
    assert_eq!(store.session("t1", now).await.unwrap(), None);

    let logo = store.add_logo(a.id, LogoKind::Svg, b"<svg/>", now).await.unwrap();
    assert_eq!(store.logo(a.id, logo).await.unwrap().unwrap().bytes, b"<svg/>");
    assert_eq!(store.logos(a.id).await.unwrap().len(), 1);
    assert!(store.logo(b.id, logo).await.unwrap().is_none());
    assert!(!store.delete_logo(b.id, logo).await.unwrap());

    let mut e = event("T1", "DELIVERED", "2026-11-25T09:00:00+01:00");
    e.details.order_reference = Some("ORD-1%".into());
    post(store, &a, &rules, &templates, &[e], now).await;
    let find = |tenant, s| async move { store.find_shipments(tenant, &s, 10).await.unwrap().len() };
    assert_eq!(find(a.id, ShipmentSearch::TrackingNumber("T1".into())).await, 1);
    assert_eq!(find(a.id, ShipmentSearch::OrderReference("ORD-1%".into())).await, 1);
    assert_eq!(
        find(a.id, ShipmentSearch::OrderReference("ord-1%".into())).await,
        1,
        "case is ignored"
    );
    assert_eq!(
        find(a.id, ShipmentSearch::OrderReference("ORD-1".into())).await,
        0,
        "no partial match"
    );
    assert_eq!(
        find(a.id, ShipmentSearch::OrderReference("ORD-_%".into())).await,
        0,
        "wildcards are literal"
    );
    assert_eq!(find(a.id, ShipmentSearch::Phone("+46701234567".into())).await, 1);
    assert_eq!(find(a.id, ShipmentSearch::Email("ANNA@example.se".into())).await, 1);
    assert_eq!(find(b.id, ShipmentSearch::TrackingNumber("T1".into())).await, 0);
    let t1 = store.shipment(a.id, "T1").await.unwrap().unwrap();
    assert_eq!(
        store
            .shipment_by_id(a.id, t1.id)
            .await
            .unwrap()
            .map(|s| s.tracking_number),
        Some("T1".into())
    );
    assert_eq!(
        store.shipment_by_id(b.id, t1.id).await.unwrap(),
        None,
        "ids are per tenant"
    );
    assert_eq!(find(b.id, ShipmentSearch::Phone("+46701234567".into())).await, 0);

    let manual = reminder("manual:1", now);
    let id = store
        .add_manual(a.id, "T1", &manual, now)
        .await
        .unwrap()
        .expect("added");
    assert_eq!(
        store.add_manual(a.id, "T1", &manual, now).await.unwrap(),
        None,
        "same key once"
    );
    assert_eq!(
        store
            .add_manual(b.id, "T1", &reminder("manual:2", now), now)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.notification(a.id, id).await.unwrap().unwrap().tracking_number,
        "T1"
    );
    let keys = store
        .dedupe_keys(a.id, &[id, avisera_domain::NotificationId(id.0 + 10_000)])
        .await
        .unwrap();
    assert_eq!(keys.get(&id).map(String::as_str), Some("manual:1"));
    assert_eq!(keys.len(), 1, "only notifications that exist");
    assert!(
        store.dedupe_keys(b.id, &[id]).await.unwrap().is_empty(),
        "only the tenant's own"
    );
    assert!(store.dedupe_keys(a.id, &[]).await.unwrap().is_empty());
    let facts = store
        .notification_facts(a.id, now, at("2026-11-26T00:00:00Z"))
        .await
        .unwrap();
    let counted: u64 = facts.iter().map(|f| f.count).sum();
    assert_eq!(counted, 2, "the delivered SMS and the manual one: {facts:?}");
    assert!(
        store
            .notification_facts(b.id, now, at("2026-11-26T00:00:00Z"))
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn shipments_are_found_by_part_of_their_tracking_number_or_receivers_name(store: &dyn Store) {
    let (a, rules, templates) = tenant_with_rule(store, "A").await;
    let b = store
        .create_tenant("B", Plan::Plus, &Brand::named("B"), at("2026-11-25T08:00:00Z"))
        .await
        .unwrap();
    let now = at("2026-11-25T10:00:00Z");
    let find = |tenant, s| async move { store.find_shipments(tenant, &s, 10).await.unwrap().len() };
    // Parts: of a tracking number and of the receiver's name, case ignored, own tenant only.
    let mut e = event("00370712345678904321", "DELIVERED", "2026-11-25T09:30:00+01:00");
    e.details.receiver_name = Some("Åsa Öberg".into());
    post(store, &a, &rules, &templates, &[e], now).await;
    assert_eq!(
        find(a.id, ShipmentSearch::TrackingNumberPart("78904321".into())).await,
        1
    );
    assert_eq!(
        find(a.id, ShipmentSearch::TrackingNumberPart("0037071".into())).await,
        1
    );
    assert_eq!(find(a.id, ShipmentSearch::TrackingNumberPart("9999".into())).await, 0);
    assert_eq!(find(a.id, ShipmentSearch::ReceiverName("öberg".into())).await, 1);
    assert_eq!(
        find(a.id, ShipmentSearch::ReceiverName("%".into())).await,
        0,
        "a wildcard is literal"
    );
    assert_eq!(find(b.id, ShipmentSearch::ReceiverName("Öberg".into())).await, 0);
    assert_eq!(
        find(b.id, ShipmentSearch::TrackingNumberPart("78904321".into())).await,
        0
    );
}

pub async fn a_users_own_phone_is_set_and_removed_only_in_its_tenant(store: &dyn Store) {
    use avisera_domain::contact::{EmailAddress, PhoneNumber};
    use avisera_domain::user::Role;
    let now = at("2026-11-25T10:00:00Z");
    let (a, b) = (
        store
            .create_tenant("A", Plan::Plus, &Brand::named("A"), now)
            .await
            .unwrap(),
        store
            .create_tenant("B", Plan::Plus, &Brand::named("B"), now)
            .await
            .unwrap(),
    );
    let new = NewUser {
        email: EmailAddress::parse("anna@shop.se").unwrap(),
        name: "Anna".into(),
        role: Role::Editor,
        password_hash: "hash".into(),
    };
    let anna = store.create_user(a.id, &new, now).await.unwrap();
    assert_eq!(store.user(a.id, anna).await.unwrap().unwrap().phone, None);
    let phone = PhoneNumber::parse("+46701234567", None).unwrap();
    assert!(
        !store.set_user_phone(b.id, anna, Some(&phone)).await.unwrap(),
        "not B's user"
    );
    assert_eq!(store.user(a.id, anna).await.unwrap().unwrap().phone, None);
    assert!(store.set_user_phone(a.id, anna, Some(&phone)).await.unwrap());
    assert_eq!(
        store.user(a.id, anna).await.unwrap().unwrap().phone,
        Some(phone.clone())
    );
    let (found, _) = store.user_by_email("anna@shop.se").await.unwrap().unwrap();
    assert_eq!(found.phone, Some(phone));
    assert!(store.set_user_phone(a.id, anna, None).await.unwrap());
    assert_eq!(store.users(a.id).await.unwrap()[0].phone, None);
}
