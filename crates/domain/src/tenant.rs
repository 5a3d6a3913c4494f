//! A tenant and the brand its messages carry.

use crate::colour::Colour;
use crate::contact::{EmailAddress, PhoneNumber};
use crate::ids::{BrandId, LogoId, TenantId};
use crate::limits::MessageLimits;
use crate::money::Ore;
use crate::plan::Plan;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    pub plan: Plan,
    pub brand: Brand,
    #[serde(default)]
    pub billing: BillingSettings,
    /// Emails carry a 1×1 image served by Avisera that counts their opens. Off unless the
    /// operator switches it on for the tenant (`avisera tenant open-tracking`): privacy first.
    #[serde(default)]
    pub open_tracking: bool,
    /// The tenant's other brands ("one or more logos for your brands"); a rule that names one
    /// sends in it, every other message in `brand`.
    #[serde(default)]
    pub brands: Vec<OtherBrand>,
}

/// One of a tenant's brands besides its default one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OtherBrand {
    pub id: BrandId,
    pub brand: Brand,
}

/// The most brands a tenant may have besides its default one.
pub const MAX_OTHER_BRANDS: usize = 50;

impl Tenant {
    /// The brand a rule sends in: the one it names, else (none named, or since removed) the
    /// default brand.
    pub fn brand_for(&self, id: Option<BrandId>) -> &Brand {
        id.and_then(|id| self.brands.iter().find(|b| b.id == id))
            .map_or(&self.brand, |b| &b.brand)
    }

    /// The id a new brand gets: one past the highest (0 is the default brand).
    pub fn next_brand_id(&self) -> BrandId {
        BrandId(self.brands.iter().map(|b| b.id.0).max().unwrap_or(0) + 1)
    }
}

/// How a tenant wants to be billed and warned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BillingSettings {
    /// Monthly SMS budget; `None` is no budget.
    pub sms_budget_ore: Option<Ore>,
    pub when_budget_is_used_up: BudgetAction,
    /// Where budget warnings go; the customer-service address when not set.
    pub alert_email: Option<EmailAddress>,
    /// Replace typographic quotes, dashes and the like in SMS when that keeps a text GSM-7.
    pub transliterate_sms: bool,
    /// An SMS longer than this many segments is not sent (it fails, costing nothing): a
    /// template fed a runaway value must not cost the price of twenty messages.
    pub max_sms_segments: u32,
}

/// The segments an SMS may have unless the tenant says otherwise.
pub const DEFAULT_MAX_SMS_SEGMENTS: u32 = 6;
/// The most a tenant may allow (providers refuse longer concatenations).
pub const MAX_SMS_SEGMENTS_LIMIT: u32 = 20;

impl Default for BillingSettings {
    fn default() -> Self {
        BillingSettings {
            sms_budget_ore: None,
            when_budget_is_used_up: BudgetAction::default(),
            alert_email: None,
            transliterate_sms: false,
            max_sms_segments: DEFAULT_MAX_SMS_SEGMENTS,
        }
    }
}

impl BillingSettings {
    /// Checks what a tenant may set; the error names the field and what to fix.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if self.sms_budget_ore.is_some_and(|b| b < Ore(0)) {
            return Err(("sms_budget_ore", "sms_budget_ore must not be negative".into()));
        }
        if !(1..=MAX_SMS_SEGMENTS_LIMIT).contains(&self.max_sms_segments) {
            return Err((
                "max_sms_segments",
                format!(
                    "max_sms_segments must be 1 to {MAX_SMS_SEGMENTS_LIMIT} (it is {})",
                    self.max_sms_segments
                ),
            ));
        }
        Ok(())
    }
}

impl BillingSettings {
    /// How large the tenant's messages may be.
    pub fn message_limits(&self) -> MessageLimits {
        MessageLimits {
            sms_segments: self.max_sms_segments as usize,
            ..MessageLimits::default()
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetAction {
    /// Keep sending SMS (and paying for them).
    #[default]
    KeepSending,
    /// Send email instead, where the rule has an email template; otherwise cancel, with reason.
    SwitchToEmail,
}

/// What a receiver sees of the shipper: names, sender ids, where to answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Brand {
    pub brand_name: String,
    /// Alphanumeric sender id (up to 11 letters and digits) or a phone number.
    pub sms_sender_id: String,
    pub email_from_name: String,
    pub email_from_address: Option<EmailAddress>,
    pub reply_to: Option<EmailAddress>,
    pub customer_service_email: Option<EmailAddress>,
    pub customer_service_phone: Option<PhoneNumber>,
    pub default_language: String,
    /// The logo shown in emails and on the tracking page.
    #[serde(default)]
    pub logo_id: Option<LogoId>,
    /// The colour of emails' header line and buttons (and the tracking page's accent).
    #[serde(default)]
    pub colour: Colour,
}

impl Brand {
    pub fn named(name: &str) -> Self {
        Brand {
            brand_name: name.to_string(),
            sms_sender_id: sms_sender_id_from(name),
            email_from_name: name.to_string(),
            email_from_address: None,
            reply_to: None,
            customer_service_email: None,
            customer_service_phone: None,
            default_language: "sv".into(),
            logo_id: None,
            colour: Colour::default(),
        }
    }

    /// Checks what a tenant may set; the error names the field and what to fix. The names end
    /// up in every message (and the sender name in an email header), so they are short and
    /// hold no control characters: a line break in a header would break or forge the mail.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if self.brand_name.trim().is_empty() {
            return Err(("brand_name", "the brand name must not be empty".into()));
        }
        if self.email_from_name.trim().is_empty() {
            return Err(("email_from_name", "the email sender name must not be empty".into()));
        }
        for (field, what, value) in [
            ("brand_name", "the brand name", &self.brand_name),
            ("email_from_name", "the email sender name", &self.email_from_name),
        ] {
            check_name(what, value).map_err(|m| (field, m))?;
        }
        check_sms_sender_id(&self.sms_sender_id).map_err(|m| ("sms_sender_id", m))?;
        if !crate::template::LANGUAGES.contains(&self.default_language.as_str()) {
            return Err((
                "default_language",
                format!(
                    "unknown language \"{}\": use one of {}",
                    self.default_language,
                    crate::template::LANGUAGES.join(", ")
                ),
            ));
        }
        Ok(())
    }
}

/// The longest brand or sender name: it goes into every message that uses `brand_name`.
pub const MAX_NAME_CHARS: usize = 100;

/// A name that goes into messages and headers: at most `MAX_NAME_CHARS`, no control characters.
pub fn check_name(what: &str, value: &str) -> Result<(), String> {
    let chars = value.chars().count();
    if chars > MAX_NAME_CHARS {
        return Err(format!(
            "{what} is {chars} characters long; it goes into every message, so at most {MAX_NAME_CHARS}"
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(format!(
            "{what} must be one line without control characters (line breaks, tabs)"
        ));
    }
    Ok(())
}

/// A valid default sender id from a brand name: its letters (Nordic ones made plain) and
/// digits, at most 11.
fn sms_sender_id_from(name: &str) -> String {
    let plain = |c: char| match c {
        'å' | 'ä' | 'à' | 'á' => "a".to_string(),
        'Å' | 'Ä' | 'À' | 'Á' => "A".to_string(),
        'ö' | 'ø' | 'ó' => "o".to_string(),
        'Ö' | 'Ø' | 'Ó' => "O".to_string(),
        'é' | 'è' => "e".to_string(),
        'É' | 'È' => "E".to_string(),
        'ü' => "u".to_string(),
        'Ü' => "U".to_string(),
        'æ' => "ae".to_string(),
        'Æ' => "AE".to_string(),
        c => c.to_string(),
    };
    let id: String = name
        .chars()
        .map(plain)
        .collect::<String>()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(11)
        .collect();
    if id.is_empty() { "Avisera".into() } else { id }
}

/// Checks an SMS sender id: 1 to 11 ASCII letters and digits (with at least one letter), or a
/// phone number in international form.
pub fn check_sms_sender_id(id: &str) -> Result<(), String> {
    if id.starts_with('+') {
        return PhoneNumber::parse(id, None).map(|_| ()).map_err(|e| e.to_string());
    }
    let ok = (1..=11).contains(&id.len())
        && id.chars().all(|c| c.is_ascii_alphanumeric())
        && id.chars().any(|c| c.is_ascii_alphabetic());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "SMS sender id {id:?} must be 1 to 11 letters and digits (A-Z, 0-9, at least one letter) or a phone number starting with +"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sms_sender_ids_are_alphanumeric_up_to_11_or_a_number() {
        for ok in ["DemoShop", "Shop24", "ABCDEFGHIJK", "+46701234567"] {
            assert!(check_sms_sender_id(ok).is_ok(), "{ok}");
        }
        for bad in ["", "ABCDEFGHIJKL", "Demo Shop", "Åhléns", "12345", "+46"] {
            assert!(check_sms_sender_id(bad).is_err(), "{bad}");
        }
        assert!(
            check_sms_sender_id("Demo Shop")
                .unwrap_err()
                .contains("1 to 11 letters and digits")
        );
        assert_eq!(Brand::named("Åhléns Varuhus AB").sms_sender_id, "AhlensVaruh");
        assert!(check_sms_sender_id("Shop\n").is_err());
        assert!(check_sms_sender_id(&Brand::named("Ørsted & Co").sms_sender_id).is_ok());
    }

    #[test]
    fn names_that_flow_into_messages_are_short_single_lines() {
        let mut brand = Brand::named("Demo Webshop");
        assert!(brand.check().is_ok());
        brand.email_from_name = "Demo\r\nBcc: all@example.com".into();
        let (field, why) = brand.check().unwrap_err();
        assert_eq!(field, "email_from_name");
        assert!(why.contains("one line"), "{why}");
        let mut brand = Brand::named("Demo Webshop");
        brand.brand_name = "x".repeat(3000);
        let (field, why) = brand.check().unwrap_err();
        assert_eq!(field, "brand_name");
        assert!(why.contains("3000 characters") && why.contains("at most 100"), "{why}");
        brand.brand_name = "Å".repeat(MAX_NAME_CHARS);
        assert!(brand.check().is_ok(), "counted in characters, not bytes");
    }
}
