//! Tenants and their configuration: API keys, plans and billing settings, rules with their
//! history, webhook secrets, and the schema a store starts from.

use super::*;

pub async fn api_keys_find_their_tenant(store: &dyn Store) {
    let now = at("2026-11-25T10:00:00Z");
    let t = store
        .create_tenant("Keyed", Plan::Premium, &Brand::named("Keyed"), now)
        .await
        .unwrap();
    store.add_api_key(t.id, "hash-1", "av_0", "ci", now).await.unwrap();
    assert_eq!(
        store.tenant_by_api_key("hash-1").await.unwrap(),
        Some((t.id, "ci".to_string()))
    );
    assert_eq!(store.tenant_by_api_key("hash-2").await.unwrap(), None);
    let back = store.tenant(t.id).await.unwrap().unwrap();
    assert_eq!(back.plan, Plan::Premium);
    assert_eq!(back.brand.brand_name, "Keyed");
}

pub async fn api_keys_are_listed_and_revoked_only_in_their_tenant(store: &dyn Store) {
    let (older, newer) = (at("2026-11-25T10:00:00Z"), at("2026-11-26T10:00:00Z"));
    let mine = store
        .create_tenant("Mine", Plan::Plus, &Brand::named("Mine"), older)
        .await
        .unwrap();
    let theirs = store
        .create_tenant("Theirs", Plan::Plus, &Brand::named("Theirs"), older)
        .await
        .unwrap();
    store
        .add_api_key(mine.id, "hash-old", "av_11111111", "cli", older)
        .await
        .unwrap();
    store
        .add_api_key(mine.id, "hash-new", "av_22222222", "shop", newer)
        .await
        .unwrap();
    store
        .add_api_key(theirs.id, "hash-theirs", "av_33333333", "x", newer)
        .await
        .unwrap();
    let keys = store.api_keys(mine.id).await.unwrap();
    assert_eq!(
        keys.iter()
            .map(|k| (k.prefix.as_str(), k.label.as_str(), k.created_at))
            .collect::<Vec<_>>(),
        vec![("av_22222222", "shop", newer), ("av_11111111", "cli", older)],
        "newest first, only the tenant's own"
    );
    assert!(
        !store.revoke_api_key(mine.id, "hash-theirs").await.unwrap(),
        "another tenant's key is not ours to revoke"
    );
    assert!(store.tenant_by_api_key("hash-theirs").await.unwrap().is_some());
    assert!(store.revoke_api_key(mine.id, "hash-old").await.unwrap());
    assert_eq!(
        store.tenant_by_api_key("hash-old").await.unwrap(),
        None,
        "revoked at once"
    );
    assert!(
        !store.revoke_api_key(mine.id, "hash-old").await.unwrap(),
        "revoked once"
    );
    assert_eq!(store.api_keys(mine.id).await.unwrap().len(), 1);
}

pub async fn a_keys_last_use_is_kept_latest_first_and_only_for_that_key(store: &dyn Store) {
    let made = at("2026-11-25T10:00:00Z");
    let (used, earlier) = (at("2026-12-03T14:02:00Z"), at("2026-12-03T13:00:00Z"));
    let t = store
        .create_tenant("Used", Plan::Plus, &Brand::named("Used"), made)
        .await
        .unwrap();
    store
        .add_api_key(t.id, "hash-used", "av_1", "shop", made)
        .await
        .unwrap();
    store.add_api_key(t.id, "hash-idle", "av_2", "old", made).await.unwrap();
    let owner = store.api_key_owner("hash-used").await.unwrap().unwrap();
    assert_eq!(
        (owner.tenant, owner.label.as_str(), owner.last_used_at),
        (t.id, "shop", None)
    );
    store.record_api_key_use("hash-used", used).await.unwrap();
    store.record_api_key_use("hash-used", earlier).await.unwrap();
    store.record_api_key_use("hash-unknown", used).await.unwrap();
    assert_eq!(
        store.api_key_owner("hash-used").await.unwrap().unwrap().last_used_at,
        Some(used),
        "an older use recorded late does not go back in time"
    );
    let keys = store.api_keys(t.id).await.unwrap();
    let last = |hash: &str| keys.iter().find(|k| k.key_hash == hash).unwrap().last_used_at;
    assert_eq!((last("hash-used"), last("hash-idle")), (Some(used), None));
}

pub async fn plans_and_billing_settings_are_kept_with_their_history(store: &dyn Store) {
    let t0 = at("2026-11-01T00:00:00Z");
    let t = store
        .create_tenant("Plans", Plan::Plus, &Brand::named("Plans"), t0)
        .await
        .unwrap();
    store
        .change_plan(t.id, Plan::Premium, at("2026-11-15T09:00:00Z"))
        .await
        .unwrap();
    let periods = store.plan_periods(t.id).await.unwrap();
    assert_eq!(
        periods.iter().map(|p| p.plan).collect::<Vec<_>>(),
        vec![Plan::Plus, Plan::Premium]
    );
    assert_eq!(periods[1].from, at("2026-11-15T09:00:00Z"));
    assert_eq!(store.tenant(t.id).await.unwrap().unwrap().plan, Plan::Premium);
    let billing = BillingSettings {
        sms_budget_ore: Some(Ore(50_000)),
        when_budget_is_used_up: BudgetAction::SwitchToEmail,
        alert_email: None,
        transliterate_sms: true,
        max_sms_segments: 3,
    };
    store.update_billing(t.id, &billing).await.unwrap();
    assert_eq!(store.tenant(t.id).await.unwrap().unwrap().billing, billing);
}

pub async fn a_tenants_brands_are_kept_beside_its_default_brand(store: &dyn Store) {
    let now = at("2026-11-25T10:00:00Z");
    let t = store
        .create_tenant("Brands", Plan::Plus, &Brand::named("Brands"), now)
        .await
        .unwrap();
    assert!(t.brands.is_empty());
    let mut outlet = Brand::named("Outlet");
    outlet.colour = avisera_domain::colour::Colour::parse("#AA0033").unwrap();
    let brands = vec![avisera_domain::tenant::OtherBrand {
        id: avisera_domain::BrandId(1),
        brand: outlet,
    }];
    store.update_brands(t.id, &brands).await.unwrap();
    let back = store.tenant(t.id).await.unwrap().unwrap();
    assert_eq!(back.brands, brands);
    assert_eq!(back.brands[0].brand.colour.as_str(), "#aa0033");
    assert_eq!(back.brand.brand_name, "Brands", "the default brand stays");
    let missing = TenantId(t.id.0 + 1000);
    assert!(matches!(
        store.update_brands(missing, &brands).await,
        Err(StoreError::NotFound(_))
    ));
}

pub async fn a_rule_and_its_history_are_written_together(store: &dyn Store) {
    let (tenant, rules, _) = tenant_with_rule(store, "Shop").await;
    let mut rule = rules[0].clone();
    rule.enabled = false;
    let later = at("2026-11-26T08:00:00Z");
    assert!(
        store
            .update_rule(
                tenant.id,
                &rule,
                &RuleChange::new(later, "api key \"ci\"", "disabled", "")
            )
            .await
            .unwrap()
    );
    let history = store.rule_history(tenant.id, rule.id).await.unwrap();
    let actions: Vec<(&str, &str)> = history.iter().map(|c| (c.action.as_str(), c.actor.as_str())).collect();
    assert_eq!(actions, vec![("created", "test"), ("disabled", "api key \"ci\"")]);
    assert_eq!(history[1].at, later);
    assert!(!store.rule(tenant.id, rule.id).await.unwrap().unwrap().enabled);
}

pub async fn an_archived_rule_leaves_the_lists_disabled_with_its_history_kept(store: &dyn Store) {
    let (tenant, rules, _) = tenant_with_rule(store, "Shop").await;
    let (other, _, _) = tenant_with_rule(store, "Other Shop").await;
    let rule = rules[0].clone();
    assert!(rule.enabled);
    let when = at("2026-11-27T09:00:00Z");
    let archived = RuleChange::new(when, "anna@shop.example", "archived", "");
    assert!(
        !store.archive_rule(other.id, rule.id, &archived).await.unwrap(),
        "another tenant cannot archive it"
    );
    assert!(store.rule(tenant.id, rule.id).await.unwrap().is_some());
    assert!(store.archive_rule(tenant.id, rule.id, &archived).await.unwrap());
    assert_eq!(store.rule(tenant.id, rule.id).await.unwrap(), None);
    assert!(store.rules(tenant.id).await.unwrap().iter().all(|r| r.id != rule.id));
    assert!(
        !store.archive_rule(tenant.id, rule.id, &archived).await.unwrap(),
        "archived once"
    );
    assert!(
        !store.update_rule(tenant.id, &rule, &archived).await.unwrap(),
        "an archived rule is not changed"
    );
    let gone = store.archived_rules(tenant.id).await.unwrap();
    assert_eq!(gone.len(), 1);
    assert_eq!(gone[0].rule.id, rule.id);
    assert_eq!(gone[0].rule.name, rule.name);
    assert!(!gone[0].rule.enabled, "archived disabled");
    assert_eq!(gone[0].archived_at, when);
    assert!(store.archived_rules(other.id).await.unwrap().is_empty());
    let history = store.rule_history(tenant.id, rule.id).await.unwrap();
    let actions: Vec<&str> = history.iter().map(|c| c.action.as_str()).collect();
    assert_eq!(actions, vec!["created", "archived"]);
}

pub async fn webhook_secrets_are_per_tenant_and_rotate(store: &dyn Store) {
    let now = at("2026-11-25T10:00:00Z");
    let (a, b) = two_tenants(store, now).await;
    assert_eq!(store.webhook_secret(a.id).await.unwrap(), None);
    store.set_webhook_secret(a.id, "first", now).await.unwrap();
    store.set_webhook_secret(a.id, "second", now).await.unwrap();
    assert_eq!(store.webhook_secret(a.id).await.unwrap().as_deref(), Some("second"));
    assert_eq!(store.webhook_secret(b.id).await.unwrap(), None, "A's secret is not B's");
}

/// The store the suite gets is migrated: its schema is the newest this build knows, and
/// `migrate` run again (a second node starting) applies nothing and keeps the data.
pub async fn a_migrated_store_is_current_and_migrating_again_changes_nothing(store: &dyn Store) {
    let status = store.schema_status().await.unwrap();
    let SchemaStatus::At { version, known } = status else {
        panic!("a migrated store must report its version: {status:?}");
    };
    assert!(version >= 1 && version == known && status.is_current(), "{status:?}");
    let (tenant, _, _) = tenant_with_rule(store, "Shop").await;
    let again = store.migrate().await.unwrap();
    assert_eq!(
        again,
        MigrationReport {
            adopted: false,
            applied: vec![],
            version
        }
    );
    assert_eq!(
        store.tenant(tenant.id).await.unwrap().map(|t| t.name),
        Some("Shop".into())
    );
    assert_eq!(store.schema_status().await.unwrap(), status);
}
