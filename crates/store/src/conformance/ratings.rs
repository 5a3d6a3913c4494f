//! Ratings: one per shipment (a second replaces the first), read back by period newest first,
//! and only in their own tenant.

use super::*;
use avisera_domain::rating::{Rating, RatingForm, rate};
use avisera_domain::shipment::Shipment;

async fn delivered(
    store: &dyn Store,
    tenant: &Tenant,
    rules: &[Rule],
    templates: &BTreeMap<TemplateId, Template>,
    tracking: &str,
) -> Shipment {
    let now = at("2026-11-25T10:00:00Z");
    post(
        store,
        tenant,
        rules,
        templates,
        &[event(tracking, "DELIVERED", "2026-11-25T09:00:00Z")],
        now,
    )
    .await;
    store.shipment(tenant.id, tracking).await.unwrap().unwrap()
}

fn stars(s: &Shipment, previous: Option<&Rating>, stars: &str, comment: Option<&str>, when: &str) -> Rating {
    rate(
        s,
        previous,
        RatingForm {
            stars: Some(stars),
            comment,
        },
        at(when),
    )
    .unwrap()
}

pub async fn a_shipment_has_one_rating_read_back_by_period_newest_first_in_its_tenant(store: &dyn Store) {
    let (a, rules, templates) = tenant_with_rule(store, "A").await;
    let (b, b_rules, b_templates) = tenant_with_rule(store, "B").await;
    let s1 = delivered(store, &a, &rules, &templates, "RATE1").await;
    let s2 = delivered(store, &a, &rules, &templates, "RATE2").await;
    assert_eq!(store.rating(a.id, s1.id).await.unwrap(), None);

    let first = stars(
        &s1,
        None,
        "4",
        Some("Snabbt och smidigt – tack!"),
        "2026-11-26T08:00:00Z",
    );
    store.save_rating(a.id, &first).await.unwrap();
    assert_eq!(store.rating(a.id, s1.id).await.unwrap(), Some(first.clone()));
    let changed = stars(&s1, Some(&first), "2", None, "2026-11-27T08:00:00Z");
    store.save_rating(a.id, &changed).await.unwrap();
    assert_eq!(
        store.rating(a.id, s1.id).await.unwrap(),
        Some(changed.clone()),
        "the second rating replaces the first, comment kept"
    );
    let other = stars(&s2, None, "5", None, "2026-11-28T08:00:00Z");
    store.save_rating(a.id, &other).await.unwrap();

    let all = store
        .ratings(a.id, at("2026-11-01T00:00:00Z"), at("2026-12-01T00:00:00Z"), 100)
        .await
        .unwrap();
    assert_eq!(
        all,
        vec![other.clone(), changed.clone()],
        "one rating per shipment, newest first"
    );
    let until_excluded = store
        .ratings(a.id, at("2026-11-26T00:00:00Z"), at("2026-11-28T08:00:00Z"), 100)
        .await
        .unwrap();
    assert_eq!(until_excluded, vec![changed.clone()]);
    let limited = store
        .ratings(a.id, at("2026-11-01T00:00:00Z"), at("2026-12-01T00:00:00Z"), 1)
        .await
        .unwrap();
    assert_eq!(limited, vec![other.clone()]);

    // Tenant B sees none of A's, and its own shipment of the same number is rated apart.
    assert_eq!(store.rating(b.id, s1.id).await.unwrap(), None);
    assert!(
        store
            .ratings(b.id, at("2026-11-01T00:00:00Z"), at("2026-12-01T00:00:00Z"), 100)
            .await
            .unwrap()
            .is_empty()
    );
    let b1 = delivered(store, &b, &b_rules, &b_templates, "RATE1").await;
    store
        .save_rating(b.id, &stars(&b1, None, "1", None, "2026-11-26T09:00:00Z"))
        .await
        .unwrap();
    assert_eq!(store.rating(a.id, s1.id).await.unwrap(), Some(changed));
    assert_eq!(store.rating(a.id, b1.id).await.unwrap(), None);
}
