//! Errors by kind, as the edge maps them: a taken value is a conflict that names its
//! constraint, a write for a tenant that does not exist is not found, and neither writes anything.

use super::{at, tenant_with_rule};
use crate::*;
use avisera_domain::TenantId;
use avisera_domain::contact::EmailAddress;
use avisera_domain::plan::Plan;
use avisera_domain::tenant::BillingSettings;
use avisera_domain::tenant::Brand;
use avisera_domain::user::Role;

pub async fn a_taken_value_is_a_conflict_that_names_its_constraint(store: &dyn Store) {
    let (tenant, _, _) = tenant_with_rule(store, "Shop").await;
    let now = at("2026-11-25T10:00:00Z");
    store
        .add_api_key(tenant.id, "hash-1", "av_0", "first", now)
        .await
        .unwrap();
    let again = store.add_api_key(tenant.id, "hash-1", "av_0", "second", now).await;
    match again {
        Err(StoreError::Conflict { constraint, message }) => {
            assert!(constraint.contains("api_keys"), "{constraint}");
            assert!(
                message.contains(&constraint),
                "the message names the constraint: {message}"
            );
        }
        other => panic!("a second key with the same hash must be a conflict: {other:?}"),
    }
    assert_eq!(
        store.tenant_by_api_key("hash-1").await.unwrap(),
        Some((tenant.id, "first".to_string())),
        "the refused write changed nothing"
    );
    let user = NewUser {
        email: EmailAddress::parse("anna@shop.se").unwrap(),
        name: "Anna".into(),
        role: Role::Admin,
        password_hash: "hash".into(),
    };
    store.create_user(tenant.id, &user, now).await.unwrap();
    let again = store.create_user(tenant.id, &user, now).await;
    assert!(
        matches!(&again, Err(StoreError::Conflict { constraint, .. }) if constraint.contains("email")),
        "{again:?}"
    );
}

pub async fn a_write_for_a_missing_tenant_is_not_found(store: &dyn Store) {
    let now = at("2026-11-25T10:00:00Z");
    let (tenant, _, _) = tenant_with_rule(store, "Shop").await;
    let missing = TenantId(tenant.id.0 + 1000);
    let key = store.add_api_key(missing, "hash-2", "av_0", "orphan", now).await;
    assert!(matches!(key, Err(StoreError::NotFound(_))), "{key:?}");
    assert_eq!(store.tenant_by_api_key("hash-2").await.unwrap(), None);
    let brand = store.update_brand(missing, &Brand::named("Nobody")).await;
    assert!(matches!(brand, Err(StoreError::NotFound(_))), "{brand:?}");
    let billing = store.update_billing(missing, &BillingSettings::default()).await;
    assert!(matches!(billing, Err(StoreError::NotFound(_))), "{billing:?}");
    let plan = store.change_plan(missing, Plan::Premium, now).await;
    assert!(matches!(plan, Err(StoreError::NotFound(_))), "{plan:?}");
    assert!(
        store.plan_periods(missing).await.unwrap().is_empty(),
        "a plan change for no tenant leaves no history"
    );
    assert_eq!(store.tenants().await.unwrap().len(), 1);
}
