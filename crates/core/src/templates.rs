//! Templates: saved only when every language renders against the sample shipment within the
//! tenant's limits, and previewed with what one message costs on the tenant's plan.

use crate::billing::{SmsQuote, sms_quote};
use crate::{Error, Result};
use avisera_domain::billing::{Charge, PriceList};
use avisera_domain::links::Links;
use avisera_domain::money::Ore;
use avisera_domain::notification::Channel;
use avisera_domain::plan::Plan;
use avisera_domain::rule::Rule;
use avisera_domain::template::{Template, Variables, sample_variables};
use avisera_domain::template_advice::{self, Advice};
use avisera_domain::tenant::Tenant;
use avisera_domain::{BrandId, TemplateId, TenantId, Timestamp};
use avisera_store::TenantConfig;
use serde::Serialize;
use std::collections::BTreeMap;

/// Checks a template as saving would, within the tenant's message limits.
pub fn check(tenant: &Tenant, template: &Template) -> Result<()> {
    Ok(template.check_within(&tenant.billing.message_limits())?)
}

pub async fn get(store: &dyn TenantConfig, tenant: TenantId, id: TemplateId) -> Result<Template> {
    store
        .template(tenant, id)
        .await?
        .ok_or_else(|| Error::not_found(format!("template {id}")))
}

/// Creates a checked template and returns it with its id.
pub async fn create(
    store: &dyn TenantConfig,
    tenant: &Tenant,
    mut template: Template,
    now: Timestamp,
) -> Result<Template> {
    check(tenant, &template)?;
    template.id = store.create_template(tenant.id, &template, now).await?;
    Ok(template)
}

/// Replaces template `template.id` with a checked one.
pub async fn update(store: &dyn TenantConfig, tenant: &Tenant, template: Template, now: Timestamp) -> Result<Template> {
    check(tenant, &template)?;
    if !store.update_template(tenant.id, &template, now).await? {
        return Err(Error::not_found(format!("template {}", template.id)));
    }
    Ok(template)
}

/// What a preview needs of the installation: how it writes links, and its prices.
#[derive(Clone, Copy)]
pub struct PreviewContext<'a> {
    pub links: &'a dyn Links,
    pub prices: &'a PriceList,
}

/// A template rendered against the sample shipment, per language, with what one message costs
/// and what its author should know (a value that may be missing, a long SMS or subject).
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub channel: Channel,
    pub plan: Plan,
    /// The brand it is shown in (0 is the tenant's default brand).
    pub brand_id: BrandId,
    pub languages: BTreeMap<String, RenderedPreview>,
    /// Per language; only the languages with something to say.
    pub advice: Vec<Advice>,
}

/// One language of a preview: for SMS the quote, for email the parts and the price.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum RenderedPreview {
    Sms(SmsQuote),
    Email {
        subject: Option<String>,
        html: Option<String>,
        text: String,
        price_ore: Ore,
        price_sek: String,
    },
}

impl RenderedPreview {
    /// What one such message costs on the tenant's plan.
    pub fn price_ore(&self) -> Ore {
        match self {
            RenderedPreview::Sms(quote) => quote.price_ore,
            RenderedPreview::Email { price_ore, .. } => *price_ore,
        }
    }
}

/// Each language of a template rendered against the sample shipment in the tenant's default
/// brand, with what one message costs on the tenant's plan.
pub fn preview(ctx: PreviewContext<'_>, tenant: &Tenant, template: &Template) -> Result<Preview> {
    preview_in(ctx, tenant, None, None, template)
}

/// The sample shipment's variables as a message in `brand` (the default brand when none, or
/// when it is gone) for `rule` would have them: links as this installation writes them, the
/// brand's own logo and contacts, the rule's days left and campaign (empty without a rule).
pub fn sample(ctx: PreviewContext<'_>, tenant: &Tenant, brand: Option<BrandId>, rule: Option<&Rule>) -> Variables {
    let mut vars = sample_variables();
    // Links as this installation writes them, so the preview counts what will be billed.
    let tracking = vars["tracking_number"].clone();
    vars.insert(
        "tracking_link",
        ctx.links
            .tracking_for(tenant.id, avisera_domain::ShipmentId(1_234_567), &tracking, "preview"),
    );
    // A receiver's links are as long as any other's: the sample token stands for theirs.
    let token = avisera_domain::receiver::ReceiverToken::from_random(0);
    vars.insert("unsubscribe_link", ctx.links.opt_out(&token));
    vars.insert("preferences_link", ctx.links.preferences(&token));
    vars.insert(
        "rating_link",
        ctx.links.rating(&token, avisera_domain::ShipmentId(1_234_567)),
    );
    // The brand as its emails show it: what it lacks is empty, as in a real message.
    let brand = tenant.brand_for(brand);
    let logo = brand.logo_id.map(|logo| ctx.links.logo(tenant.id, logo));
    vars.insert("logo_url", logo.unwrap_or_default());
    vars.insert("brand_name", brand.brand_name.clone());
    vars.insert("brand_colour", brand.colour.to_string());
    let email = brand.customer_service_email.as_ref().map(|e| e.to_string());
    vars.insert("customer_service_email", email.unwrap_or_default());
    let phone = brand.customer_service_phone.as_ref().map(|p| p.to_string());
    vars.insert("customer_service_phone", phone.unwrap_or_default());
    if let Some(rule) = rule {
        let days_left = rule.days_before_deadline.map(|n| n.to_string());
        vars.insert("days_left", days_left.unwrap_or_default());
        vars.insert("campaign", rule.campaign.clone().unwrap_or_default());
    }
    vars
}

/// What the author of `template` should know, as messages in `brand` for `rule` would read.
pub fn advise(
    ctx: PreviewContext<'_>,
    tenant: &Tenant,
    brand: Option<BrandId>,
    rule: Option<&Rule>,
    template: &Template,
) -> Vec<Advice> {
    let vars = sample(ctx, tenant, brand, rule);
    template_advice::advise(template, &vars, tenant.billing.transliterate_sms)
        .into_iter()
        .filter(|a| !a.is_empty())
        .collect()
}

/// `preview` in one of the tenant's brands (the default one when `brand` is none or unknown),
/// for a rule when the editor knows which.
pub fn preview_in(
    ctx: PreviewContext<'_>,
    tenant: &Tenant,
    brand: Option<BrandId>,
    rule: Option<&Rule>,
    template: &Template,
) -> Result<Preview> {
    let brand = brand.filter(|id| tenant.brands.iter().any(|b| b.id == *id));
    let vars = sample(ctx, tenant, brand, rule);
    let prices = ctx.prices.for_plan(tenant.plan);
    let mut languages = BTreeMap::new();
    for language in template.contents.keys() {
        let r = template.render(Some(language), &vars)?;
        let rendered = match template.channel {
            Channel::Sms => RenderedPreview::Sms(sms_quote(&r.text, tenant.billing.transliterate_sms, prices)),
            Channel::Email => {
                let charge = Charge::for_message(Channel::Email, 0, prices);
                RenderedPreview::Email {
                    subject: r.subject,
                    html: r.html,
                    text: r.text,
                    price_ore: charge.cost(),
                    price_sek: charge.cost().to_string(),
                }
            }
        };
        languages.insert(language.clone(), rendered);
    }
    let advice = template_advice::advise(template, &vars, tenant.billing.transliterate_sms)
        .into_iter()
        .filter(|a| !a.is_empty())
        .collect();
    Ok(Preview {
        channel: template.channel,
        plan: tenant.plan,
        brand_id: brand.unwrap_or(BrandId(0)),
        languages,
        advice,
    })
}
