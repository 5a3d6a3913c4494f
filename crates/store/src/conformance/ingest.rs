//! What ingest reads before a batch (`IngestReads`): the one read gives what the separate
//! reads give, and of the tenant's suppressions only those the batch can meet, of its tenant.

use super::*;
use avisera_domain::BrandId;
use avisera_domain::contact::EmailAddress;
use avisera_domain::receipt::Suppressed;
use avisera_domain::tenant::OtherBrand;

/// An event of `tracking` that carries this receiver email, or none.
fn with_email(tracking: &str, email: Option<&str>) -> CarrierEvent {
    let mut e = event(tracking, "DELIVERED", "2026-11-25T09:00:00Z");
    e.details.receiver_email = email.map(String::from);
    e
}

pub async fn what_ingest_needs_is_one_read_of_the_separate_reads_with_only_the_batchs_suppressions(store: &dyn Store) {
    let now = at("2026-11-25T10:00:00Z");
    let (a, rules, templates) = tenant_with_rule(store, "A").await;
    let (b, _, _) = tenant_with_rule(store, "B").await;
    // The staff the rules may write to: each brand's customer service, a rule's fixed
    // recipients; an archived rule's no longer.
    let mut brand = Brand::named("A");
    brand.customer_service_email = Some(EmailAddress::parse("Service@Shop.se").unwrap());
    store.update_brand(a.id, &brand).await.unwrap();
    let mut outlet = Brand::named("A outlet");
    outlet.customer_service_email = Some(EmailAddress::parse("outlet@shop.se").unwrap());
    store
        .update_brands(
            a.id,
            &[OtherBrand {
                id: BrandId(2),
                brand: outlet,
            }],
        )
        .await
        .unwrap();
    let change = RuleChange::new(now, "test", "created", "");
    let to_staff = Rule {
        name: "to staff".into(),
        recipient: Recipient::Fixed {
            addresses: vec!["Staff@Shop.se".into(), "+46701112233".into()],
        },
        ..rules[0].clone()
    };
    store.create_rule(a.id, &to_staff, &change).await.unwrap();
    let gone = Rule {
        name: "archived".into(),
        recipient: Recipient::Fixed {
            addresses: vec!["gone@shop.se".into()],
        },
        ..rules[0].clone()
    };
    let gone = store.create_rule(a.id, &gone, &change).await.unwrap();
    assert!(store.archive_rule(a.id, gone, &change).await.unwrap());
    let mut second = templates.values().next().unwrap().clone();
    second.name = "second".into();
    store.create_template(a.id, &second, now).await.unwrap();
    store
        .set_tenant_mapping(a.id, "# the tenant's own lines\n", now)
        .await
        .unwrap();
    // T1 is stored with an email that the batch's event of it no longer carries.
    post(
        store,
        &a,
        &rules,
        &templates,
        &[with_email("T1", Some("Stored@Example.se"))],
        now,
    )
    .await;
    for (address, reason) in [
        ("stored@example.se", "hard bounce"),
        ("Bounced@Example.se", "hard bounce"),
        ("staff@shop.se", "complained"),
        ("service@shop.se", "hard bounce"),
        ("outlet@shop.se", "hard bounce"),
        ("gone@shop.se", "hard bounce"),
        ("elsewhere@example.se", "hard bounce"),
    ] {
        store.suppress(a.id, address, reason, now).await.unwrap();
    }
    // An opt-out by link has no reason: honoured when sending, not by the planner.
    store.opt_out(a.id, "optedout@example.se", now).await.unwrap();
    store
        .suppress(b.id, "fine@example.se", "hard bounce", now)
        .await
        .unwrap();
    let batch = [
        with_email("T1", None),
        with_email("T2", Some(" BOUNCED@example.se")),
        with_email("T3", Some("fine@example.se")),
        with_email("T4", Some("optedout@example.se")),
    ];

    let context = store
        .ingest_context(a.id, &batch)
        .await
        .unwrap()
        .expect("tenant A exists");
    assert_eq!(context.tenant, store.tenant(a.id).await.unwrap().unwrap());
    assert_eq!(context.rules, store.rules(a.id).await.unwrap());
    assert_eq!(context.rules.len(), 2, "the archived rule is gone");
    assert_eq!(context.templates, store.templates(a.id).await.unwrap());
    assert_eq!(context.templates.len(), 2);
    assert_eq!(context.mapping, store.tenant_mapping(a.id).await.unwrap());
    assert_eq!(context.mapping.as_deref(), Some("# the tenant's own lines\n"));
    let can_meet = [
        "bounced@example.se",
        "fine@example.se",
        "optedout@example.se",
        "stored@example.se",
        "service@shop.se",
        "outlet@shop.se",
        "staff@shop.se",
    ];
    let separate: Suppressed = store
        .suppressions(a.id, 1_000)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|s| s.reason.map(|why| (s.address.to_lowercase(), why)))
        .filter(|(address, _)| can_meet.contains(&address.as_str()))
        .collect();
    assert_eq!(context.bounced, separate);
    assert_eq!(
        context
            .bounced
            .iter()
            .map(|(a, why)| (a.as_str(), why.as_str()))
            .collect::<Vec<_>>(),
        [
            ("bounced@example.se", "hard bounce"),
            ("outlet@shop.se", "hard bounce"),
            ("service@shop.se", "hard bounce"),
            ("staff@shop.se", "complained"),
            ("stored@example.se", "hard bounce"),
        ],
        "only the batch's and the staff's bounces, of tenant A"
    );

    let of_b = store
        .ingest_context(b.id, &batch)
        .await
        .unwrap()
        .expect("tenant B exists");
    assert_eq!(of_b.tenant.id, b.id);
    assert_eq!(of_b.rules, store.rules(b.id).await.unwrap());
    assert_eq!(of_b.mapping, None);
    assert_eq!(
        of_b.bounced,
        Suppressed::from([("fine@example.se".into(), "hard bounce".into())]),
        "B's bounce, and none of A's (B has no T1)"
    );
    let nobody = TenantId(a.id.0.max(b.id.0) + 1_000);
    assert_eq!(store.ingest_context(nobody, &batch).await.unwrap(), None);
}
