//! Tenants: their record, brand and billing settings, and their API keys (shown once when
//! made, stored only as a SHA-256 hash).

use crate::{Error, Result};
use avisera_domain::tenant::{BillingSettings, Brand, MAX_OTHER_BRANDS, OtherBrand, Tenant};
use avisera_domain::{BrandId, LogoId, TenantId, Timestamp};
use avisera_store::{Portal, StoreError, TenantConfig};
use sha2::{Digest, Sha256};

pub async fn get(store: &dyn TenantConfig, tenant: TenantId) -> Result<Tenant> {
    store.tenant(tenant).await?.ok_or_else(|| Error::not_found("tenant"))
}

/// Which logo a new brand shows.
pub enum Logo {
    /// The one the tenant has (a client that does not name a logo keeps it).
    Keep,
    /// The one the brand names (or none); it must be the tenant's.
    AsGiven,
}

/// Sets the tenant's brand, checked, and returns it as stored.
pub async fn set_brand<S>(store: &S, tenant: TenantId, mut brand: Brand, logo: Logo) -> Result<Brand>
where
    S: TenantConfig + Portal + ?Sized,
{
    match logo {
        Logo::Keep => {
            let current = store.tenant(tenant).await?.ok_or_else(|| Error::not_found("tenant"))?;
            brand.logo_id = current.brand.logo_id;
        }
        Logo::AsGiven => {
            if let Some(id) = brand.logo_id
                && store.logo(tenant, id).await?.is_none()
            {
                return Err(Error::field(
                    "invalid_brand",
                    "logo_id",
                    format!("there is no logo {id}"),
                ));
            }
        }
    }
    brand
        .check()
        .map_err(|(field, m)| Error::field("invalid_brand", field, m))?;
    store.update_brand(tenant, &brand).await?;
    Ok(brand)
}

/// Adds a brand beside the default one (`id` none) or replaces brand `id`, checked; returns
/// its id. Its logo must be one of the tenant's.
pub async fn save_other_brand<S>(store: &S, tenant: &Tenant, id: Option<BrandId>, brand: Brand) -> Result<BrandId>
where
    S: TenantConfig + Portal + ?Sized,
{
    brand
        .check()
        .map_err(|(field, m)| Error::field("invalid_brand", field, m))?;
    if let Some(logo) = brand.logo_id
        && store.logo(tenant.id, logo).await?.is_none()
    {
        return Err(Error::field(
            "invalid_brand",
            "logo_id",
            format!("there is no logo {logo}"),
        ));
    }
    let mut brands = tenant.brands.clone();
    let id = match id {
        Some(id) => {
            let found = brands
                .iter_mut()
                .find(|b| b.id == id)
                .ok_or_else(|| Error::not_found(format!("brand {id}")))?;
            found.brand = brand;
            id
        }
        None => {
            if brands.len() >= MAX_OTHER_BRANDS {
                return Err(Error::field(
                    "invalid_brand",
                    "brand_name",
                    format!("a tenant may have at most {MAX_OTHER_BRANDS} brands besides its default one"),
                ));
            }
            let id = tenant.next_brand_id();
            brands.push(OtherBrand { id, brand });
            id
        }
    };
    store.update_brands(tenant.id, &brands).await?;
    Ok(id)
}

/// Removes brand `id`; rules that named it send in the default brand from now on, and say so
/// in their history. (A brand's id is one past the highest, so a brand added later may get this
/// id again: a rule still naming it would send in that new brand.)
pub async fn remove_other_brand(
    store: &dyn TenantConfig,
    tenant: &Tenant,
    by: crate::rules::Change<'_>,
    id: BrandId,
) -> Result<()> {
    let brands: Vec<OtherBrand> = tenant.brands.iter().filter(|b| b.id != id).cloned().collect();
    if brands.len() == tenant.brands.len() {
        return Err(Error::not_found(format!("brand {id}")));
    }
    for mut rule in store.rules(tenant.id).await? {
        if rule.brand_id == Some(id) {
            rule.brand_id = None;
            crate::rules::update(store, tenant.id, by, rule).await?;
        }
    }
    Ok(store.update_brands(tenant.id, &brands).await?)
}

/// Sets the billing settings (the SMS budget, how SMS are written and limited), checked.
pub async fn set_billing(store: &dyn TenantConfig, tenant: TenantId, settings: &BillingSettings) -> Result<()> {
    settings.check().map_err(|(field, message)| Error::Invalid {
        code: "invalid_billing",
        field: Some(field.to_string()),
        message,
    })?;
    Ok(store.update_billing(tenant, settings).await?)
}

/// A new API key: `av_` and 48 hex digits.
pub fn new_api_key() -> String {
    format!("av_{}", hex::encode(rand::random::<[u8; 24]>()))
}

/// What is stored of a key or a token: its SHA-256, in hex.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// How a key begins, kept so its tenant can tell its keys apart: `av_` and 8 hex digits.
pub fn api_key_prefix(key: &str) -> &str {
    key.get(..11).unwrap_or(key)
}

/// Makes a new API key for the tenant, labelled, and returns it: the only time it is shown.
pub async fn add_api_key(store: &dyn TenantConfig, tenant: TenantId, label: &str, now: Timestamp) -> Result<String> {
    let key = new_api_key();
    store
        .add_api_key(tenant, &hash_secret(&key), api_key_prefix(&key), label, now)
        .await?;
    Ok(key)
}

/// Revokes one of the tenant's API keys (named by its stored hash): it stops working at once.
pub async fn revoke_api_key(store: &dyn TenantConfig, tenant: TenantId, key_hash: &str) -> Result<()> {
    if store.revoke_api_key(tenant, key_hash).await? {
        Ok(())
    } else {
        Err(Error::not_found("API key"))
    }
}

/// How stale a key's recorded last use may get before a request records it again: the page
/// shows the minute, and a program's every request would otherwise be a write.
pub const KEY_USE_RECORDED_EVERY: jiff::SignedDuration = jiff::SignedDuration::from_secs(60);

/// Whether a use at `now` is worth recording over the one recorded (`None`: never used).
pub fn key_use_to_record(recorded: Option<Timestamp>, now: Timestamp) -> bool {
    recorded.is_none_or(|at| now.duration_since(at) >= KEY_USE_RECORDED_EVERY)
}

/// The tenant that owns `key`, and the key's label; the use is recorded (at most about once a
/// minute per key). A failure to record is logged, not the caller's: the key still works.
pub async fn by_api_key(
    store: &dyn TenantConfig,
    key: &str,
    now: Timestamp,
) -> Result<Option<(TenantId, String)>, StoreError> {
    let hash = hash_secret(key.trim());
    let Some(owner) = store.api_key_owner(&hash).await? else {
        return Ok(None);
    };
    if key_use_to_record(owner.last_used_at, now)
        && let Err(e) = store.record_api_key_use(&hash, now).await
    {
        tracing::warn!(tenant = %owner.tenant, error = %e, "an API key's use could not be recorded");
    }
    Ok(Some((owner.tenant, owner.label)))
}

/// Sets a new secret for the tenant's carrier webhooks and returns it: the only time it is
/// shown. The old one stops working at once.
pub async fn rotate_webhook_secret(store: &dyn TenantConfig, tenant: TenantId, now: Timestamp) -> Result<String> {
    let secret = new_webhook_secret();
    store.set_webhook_secret(tenant, &secret, now).await?;
    Ok(secret)
}

/// A new webhook secret: `whsec_` and 64 hex digits.
pub fn new_webhook_secret() -> String {
    format!("whsec_{}", hex::encode(rand::random::<[u8; 32]>()))
}

/// Sets the tenant's own event-code mapping lines (the mapping file format), over the shipped
/// and the operator's; each line must parse, and there must be one. `clear_mapping` removes them.
pub async fn set_mapping(store: &dyn TenantConfig, tenant: TenantId, lines: &str, now: Timestamp) -> Result<()> {
    let own = avisera_domain::mapping::Mapping::parse(lines).map_err(Error::Mapping)?;
    if own.entries().next().is_none() {
        return Err(Error::Invalid {
            code: "empty_mapping",
            field: None,
            message: "the body holds no mapping lines (code trigger physical milestone note); to remove the tenant's own lines, send DELETE /v1/mapping".into(),
        });
    }
    Ok(store.set_tenant_mapping(tenant, lines, now).await?)
}

/// Removes the tenant's own mapping lines; the shipped and the operator's remain.
pub async fn clear_mapping(store: &dyn TenantConfig, tenant: TenantId, now: Timestamp) -> Result<()> {
    Ok(store.set_tenant_mapping(tenant, "", now).await?)
}

/// Adds a logo after checking it (kind, size, and for SVG what it may contain); the tenant's
/// first logo is used at once, later ones wait to be chosen.
pub async fn add_logo<S>(store: &S, tenant: &Tenant, bytes: &[u8], now: Timestamp) -> Result<LogoId>
where
    S: TenantConfig + Portal + ?Sized,
{
    let checked = avisera_domain::logo::check(bytes).map_err(|why| Error::Invalid {
        code: "invalid_logo",
        field: Some("logo".into()),
        message: why,
    })?;
    let id = store.add_logo(tenant.id, checked.kind, bytes, now).await?;
    if tenant.brand.logo_id.is_none() {
        let brand = Brand {
            logo_id: Some(id),
            ..tenant.brand.clone()
        };
        store.update_brand(tenant.id, &brand).await?;
    }
    Ok(id)
}

/// Shows logo `id` (one of the tenant's) in the brand from now on.
pub async fn use_logo<S>(store: &S, tenant: &Tenant, id: LogoId) -> Result<()>
where
    S: TenantConfig + Portal + ?Sized,
{
    if store.logo(tenant.id, id).await?.is_none() {
        return Err(Error::not_found(format!("logo {id}")));
    }
    let brand = Brand {
        logo_id: Some(id),
        ..tenant.brand.clone()
    };
    Ok(store.update_brand(tenant.id, &brand).await?)
}

/// Deletes one of the tenant's logos; a brand that showed it shows none.
pub async fn delete_logo<S>(store: &S, tenant: &Tenant, id: LogoId) -> Result<()>
where
    S: TenantConfig + Portal + ?Sized,
{
    if !store.delete_logo(tenant.id, id).await? {
        return Err(Error::not_found(format!("logo {id}")));
    }
    if tenant.brand.logo_id == Some(id) {
        let brand = Brand {
            logo_id: None,
            ..tenant.brand.clone()
        };
        store.update_brand(tenant.id, &brand).await?;
    }
    if tenant.brands.iter().any(|b| b.brand.logo_id == Some(id)) {
        let mut brands = tenant.brands.clone();
        for b in brands.iter_mut().filter(|b| b.brand.logo_id == Some(id)) {
            b.brand.logo_id = None;
        }
        store.update_brands(tenant.id, &brands).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keys_use_is_recorded_when_never_recorded_or_a_minute_old() {
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        let recorded = at("2026-12-03T14:02:00Z");
        assert!(key_use_to_record(None, recorded), "the first use");
        assert!(!key_use_to_record(Some(recorded), at("2026-12-03T14:02:59Z")));
        assert!(key_use_to_record(Some(recorded), at("2026-12-03T14:03:00Z")));
        assert!(
            !key_use_to_record(Some(recorded), at("2026-12-03T14:01:00Z")),
            "a clock behind the recorded use writes nothing"
        );
    }
}
