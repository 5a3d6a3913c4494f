//! Self-service sign-up: a pending sign-up becomes its tenant and admin once, only before it
//! expires, and one organisation has one tenant. A plan change request waits for its day.

use super::*;
use avisera_domain::plan::PlanRequest;
use avisera_domain::signup::SignUpForm;
use avisera_domain::user::Role;

fn form(organisation: &str, email: &str) -> SignUpForm {
    SignUpForm {
        country: "SE".into(),
        organisation_number: organisation.into(),
        company: "Webshop AB".into(),
        name: "Anna Admin".into(),
        email: email.into(),
        password: "a long enough secret".into(),
        plan: "premium".into(),
        terms_accepted: true,
        language: "sv".into(),
    }
}

pub async fn a_sign_up_becomes_its_tenant_and_admin_once_and_only_before_it_expires(store: &dyn Store) {
    let now = at("2026-12-07T10:00:00Z");
    let signup = form("556036-0793", "anna@webshop.example").check(now).unwrap();
    store.add_signup("token-1", &signup, "argon-hash", now).await.unwrap();
    assert_eq!(
        store.pending_signup("token-1", now).await.unwrap(),
        Some(signup.clone())
    );
    assert_eq!(store.pending_signup("token-2", now).await.unwrap(), None);
    assert_eq!(store.organisation_tenant(&signup.organisation).await.unwrap(), None);

    let (tenant, user) = store.confirm_signup("token-1", now).await.unwrap().expect("confirmed");
    let t = store.tenant(tenant).await.unwrap().unwrap();
    assert_eq!((t.name.as_str(), t.plan), ("Webshop AB", Plan::Premium));
    assert_eq!(t.brand.customer_service_email.unwrap().as_str(), "anna@webshop.example");
    let (admin, hash) = store.user_by_email("anna@webshop.example").await.unwrap().unwrap();
    assert_eq!((admin.id, admin.tenant_id, admin.role), (user, tenant, Role::Admin));
    assert_eq!(hash, "argon-hash");
    assert_eq!(
        store.plan_periods(tenant).await.unwrap().len(),
        1,
        "billed on its plan from now"
    );
    assert_eq!(
        store.organisation_tenant(&signup.organisation).await.unwrap(),
        Some(tenant)
    );
    // The link works once.
    assert_eq!(store.confirm_signup("token-1", now).await.unwrap(), None);
    assert_eq!(store.pending_signup("token-1", now).await.unwrap(), None);

    // A second sign-up of the same organisation (another person) cannot make a second tenant.
    let again = form("5560360793", "bo@webshop.example").check(now).unwrap();
    store.add_signup("token-3", &again, "h", now).await.unwrap();
    let refused = store.confirm_signup("token-3", now).await;
    assert!(matches!(refused, Err(StoreError::Conflict { .. })), "{refused:?}");
    assert!(store.user_by_email("bo@webshop.example").await.unwrap().is_none());

    // Past its day, a link finds nothing and makes nothing.
    let late = form("202100-5489", "cy@other.example").check(now).unwrap();
    store.add_signup("token-4", &late, "h", now).await.unwrap();
    let next_day = at("2026-12-08T10:00:01Z");
    assert_eq!(store.pending_signup("token-4", next_day).await.unwrap(), None);
    assert_eq!(store.confirm_signup("token-4", next_day).await.unwrap(), None);
    assert!(store.user_by_email("cy@other.example").await.unwrap().is_none());
}

pub async fn a_plan_request_waits_for_its_day_and_is_withdrawn_only_as_it_was(store: &dyn Store) {
    let now = at("2026-12-07T10:00:00Z");
    let (a, b) = two_tenants(store, now).await;
    let request = PlanRequest {
        plan: Plan::Premium,
        effective_at: at("2026-12-07T23:00:00Z"),
        by: "anna@a.example".into(),
    };
    store.set_plan_request(a.id, Some(&request)).await.unwrap();
    assert_eq!(store.plan_request(a.id).await.unwrap(), Some(request.clone()));
    assert_eq!(
        store.plan_request(b.id).await.unwrap(),
        None,
        "another tenant's request"
    );
    assert!(
        store.due_plan_requests(now).await.unwrap().is_empty(),
        "not its day yet"
    );
    let due = store.due_plan_requests(at("2026-12-07T23:00:00Z")).await.unwrap();
    assert_eq!(due, vec![(a.id, request.clone())]);

    // Changed meanwhile: clearing the old one leaves the new one.
    let changed = PlanRequest {
        plan: Plan::Enterprise,
        ..request.clone()
    };
    store.set_plan_request(a.id, Some(&changed)).await.unwrap();
    store.clear_plan_request(a.id, &request).await.unwrap();
    assert_eq!(store.plan_request(a.id).await.unwrap(), Some(changed.clone()));
    store.clear_plan_request(a.id, &changed).await.unwrap();
    assert_eq!(store.plan_request(a.id).await.unwrap(), None);
    let missing = store.set_plan_request(TenantId(999_999), Some(&request)).await;
    assert!(matches!(missing, Err(StoreError::NotFound(_))), "{missing:?}");
}
