//! The OpenAPI shapes of the domain's own types, which carry no OpenAPI derive (the domain has
//! no HTTP in it). Each names the domain type it describes; limits and enums come from the
//! domain's constants, and CI's schemathesis run checks every answer against them.

use avisera_domain::notification::{Channel, Status};
use avisera_domain::template::LANGUAGES;
use avisera_domain::tenant::{MAX_NAME_CHARS, MAX_SMS_SEGMENTS_LIMIT};
use avisera_domain::trigger::Trigger;
use serde_json::json;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::{RefOr, schema::OneOfBuilder};

/// A string that is one of `values`.
pub fn one_of_strings<I: IntoIterator<Item = String>>(values: I, description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .enum_values(Some(values))
        .description(Some(description))
}

/// A trigger as a rule names it: its name or its number in the catalogue.
pub fn trigger_input() -> ObjectBuilder {
    let names = Trigger::ALL.iter().map(|t| t.slug().to_string());
    let numbers = (1..=Trigger::ALL.len()).map(|n| n.to_string());
    one_of_strings(
        names.chain(numbers),
        "a trigger's name or number (see GET /v1/triggers)",
    )
}

/// A trigger as the server writes it.
pub fn trigger() -> ObjectBuilder {
    one_of_strings(
        Trigger::ALL.iter().map(|t| t.slug().to_string()),
        "a trigger (see GET /v1/triggers)",
    )
}

pub fn language() -> ObjectBuilder {
    one_of_strings(
        LANGUAGES.iter().map(|l| l.to_string()),
        "a language Avisera writes messages in",
    )
}

pub fn channel() -> ObjectBuilder {
    one_of_strings([Channel::Sms, Channel::Email].map(|c| c.to_string()), "sms or email")
}

/// A name that goes into every message: 1 to 100 characters on one line.
pub fn message_name(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .min_length(Some(1))
        .max_length(Some(MAX_NAME_CHARS))
        .pattern(Some(
            r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$",
        ))
        .description(Some(description))
}

pub fn max_sms_segments() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Integer))
        .minimum(Some(1))
        .maximum(Some(MAX_SMS_SEGMENTS_LIMIT))
        .default(Some(json!(avisera_domain::tenant::DEFAULT_MAX_SMS_SEGMENTS)))
        .description(Some(
            "An SMS with more segments is not sent: it fails with the reason and costs nothing.",
        ))
}

fn brand_name() -> ObjectBuilder {
    message_name("shown in every message")
}

fn email_from_name() -> ObjectBuilder {
    message_name("the sender name of emails")
}

fn nullable_trigger() -> RefOr<Schema> {
    nullable(trigger())
}

fn nullable_message() -> RefOr<Schema> {
    nullable(any_object("the rendered message"))
}

fn shipment_details() -> ObjectBuilder {
    any_object("what the events told about the shipment and its receiver")
}

/// A free-form JSON object (its shape is described in words).
pub fn any_object(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Object))
        .description(Some(description))
}

/// `domain::tenant::Brand`: what a receiver sees of the shipper.
#[derive(ToSchema)]
#[schema(as = Brand)]
#[allow(dead_code)]
pub struct BrandDoc {
    #[schema(schema_with = brand_name)]
    brand_name: String,
    /// 1 to 11 letters and digits (at least one letter), or a phone number starting with +.
    #[schema(pattern = r"^([A-Za-z0-9]{1,11}|\+.*)$")]
    sms_sender_id: String,
    #[schema(schema_with = email_from_name)]
    email_from_name: String,
    email_from_address: Option<String>,
    reply_to: Option<String>,
    customer_service_email: Option<String>,
    customer_service_phone: Option<String>,
    #[schema(schema_with = language)]
    default_language: String,
    /// A logo uploaded in the portal; left out, the current logo stays.
    logo_id: Option<i64>,
    /// The brand colour of emails (header line, buttons), `#rrggbb`; left out, it stays.
    #[schema(pattern = r"^#[0-9A-Fa-f]{6}$", example = "#1f5f99")]
    colour: Option<String>,
}

/// `domain::tenant::BillingSettings`; a field left out takes its default.
#[derive(ToSchema, serde::Serialize)]
#[schema(as = BillingSettings)]
#[serde(default)]
#[allow(dead_code)]
pub struct BillingSettingsDoc {
    /// Monthly SMS budget in öre; null is no budget.
    #[schema(minimum = 0)]
    sms_budget_ore: Option<i64>,
    when_budget_is_used_up: BudgetActionDoc,
    /// Where budget warnings go; the customer-service address when null.
    alert_email: Option<String>,
    /// Replace typographic quotes, dashes and the like when that keeps an SMS GSM-7.
    transliterate_sms: bool,
    #[schema(schema_with = max_sms_segments)]
    max_sms_segments: u32,
}

/// The defaults are the domain's.
impl Default for BillingSettingsDoc {
    fn default() -> Self {
        let d = avisera_domain::tenant::BillingSettings::default();
        BillingSettingsDoc {
            sms_budget_ore: d.sms_budget_ore.map(|o| o.0),
            when_budget_is_used_up: match d.when_budget_is_used_up {
                avisera_domain::tenant::BudgetAction::KeepSending => BudgetActionDoc::KeepSending,
                avisera_domain::tenant::BudgetAction::SwitchToEmail => BudgetActionDoc::SwitchToEmail,
            },
            alert_email: d.alert_email.map(String::from),
            transliterate_sms: d.transliterate_sms,
            max_sms_segments: d.max_sms_segments,
        }
    }
}

#[derive(ToSchema, serde::Serialize)]
#[schema(as = BudgetAction)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum BudgetActionDoc {
    KeepSending,
    SwitchToEmail,
}

/// `domain::tenant::Tenant`.
#[derive(ToSchema)]
#[schema(as = Tenant)]
#[allow(dead_code)]
pub struct TenantDoc {
    id: i64,
    name: String,
    #[schema(inline)]
    plan: PlanDoc,
    brand: BrandDoc,
    billing: BillingSettingsDoc,
    /// Emails carry a 1×1 image that counts their opens; the operator switches it on per
    /// tenant (`avisera tenant open-tracking`), off by default.
    open_tracking: bool,
    /// The tenant's other brands (made in the portal), each `{"id", "brand"}`; a rule's
    /// `brand_id` names one.
    #[schema(value_type = Vec<Object>)]
    brands: Vec<serde_json::Value>,
}

#[derive(ToSchema)]
#[schema(as = Plan, rename_all = "snake_case")]
#[allow(dead_code)]
pub enum PlanDoc {
    Plus,
    Premium,
    Enterprise,
}

/// `domain::template::TemplateBody`: one language's text. SMS uses `text`; email uses
/// `subject`, `text` and either `blocks` or `html`.
#[derive(ToSchema)]
#[schema(as = TemplateBody)]
#[allow(dead_code)]
pub struct TemplateBodyDoc {
    subject: Option<String>,
    html: Option<String>,
    /// Email: the content as blocks inside the brand layout (logo, colour, customer service,
    /// opt-out link), instead of `html`. Each is `{"kind": "heading", "text"}`,
    /// `{"kind": "text", "text"}`, `{"kind": "button", "label", "url"}`,
    /// `{"kind": "image", "url", "alt"}`, `{"kind": "divider"}` or `{"kind": "html", "raw"}`;
    /// texts may use the variables.
    #[schema(value_type = Option<Vec<Object>>, max_items = 100)]
    blocks: Option<Vec<serde_json::Value>>,
    #[schema(default = "")]
    text: Option<String>,
}

/// `domain::template::Template`.
#[derive(ToSchema)]
#[schema(as = Template)]
#[allow(dead_code)]
pub struct TemplateDoc {
    id: i64,
    name: String,
    #[schema(schema_with = channel)]
    channel: String,
    default_language: String,
    contents: BTreeMap<String, TemplateBodyDoc>,
    /// Email: a small opt-out footer is added when the text has no opt-out link.
    opt_out_footer: bool,
}

/// `domain::rule::Conditions`: which shipments a rule is for; an empty list matches all.
#[derive(ToSchema)]
#[schema(as = Conditions)]
#[allow(dead_code)]
pub struct ConditionsDoc {
    destination_countries: Option<Vec<String>>,
    service_codes: Option<Vec<String>>,
    sender_accounts: Option<Vec<String>>,
    is_return: Option<bool>,
    receiver_languages: Option<Vec<String>>,
    /// Each attribute must have exactly this value.
    attributes: Option<BTreeMap<String, String>>,
}

#[derive(ToSchema)]
#[schema(as = ChannelChoice, rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ChannelChoiceDoc {
    Sms,
    Email,
    Both,
    SmsElseEmail,
    EmailElseSms,
}

/// `domain::rule::Recipient`: the shipment's receiver (default), the tenant's customer
/// service, or fixed addresses (1 to 20).
pub fn recipient() -> Schema {
    let kind = |k: &str| {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .enum_values(Some([k]))
    };
    let plain = |k: &str| {
        ObjectBuilder::new()
            .property("kind", kind(k))
            .required("kind")
            .additional_properties(Some(utoipa::openapi::schema::AdditionalProperties::FreeForm(false)))
    };
    let fixed = ObjectBuilder::new()
        .property("kind", kind("fixed"))
        .property(
            "addresses",
            utoipa::openapi::schema::ArrayBuilder::new()
                .items(ObjectBuilder::new().schema_type(SchemaType::Type(Type::String)))
                .min_items(Some(1))
                .max_items(Some(20)),
        )
        .required("kind")
        .required("addresses");
    OneOfBuilder::new()
        .item(plain("receiver"))
        .item(plain("customer_service"))
        .item(fixed)
        .description(Some("who gets the message"))
        .into()
}

/// `domain::timing::QuietHours`.
#[derive(ToSchema)]
#[schema(as = QuietHours)]
#[allow(dead_code)]
pub struct QuietHoursDoc {
    #[schema(schema_with = channel)]
    channel: String,
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "21:00")]
    from: String,
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "08:00")]
    until: String,
}

/// `domain::rule::Rule`.
#[derive(ToSchema)]
#[schema(as = Rule)]
#[allow(dead_code)]
pub struct RuleDoc {
    id: i64,
    name: String,
    #[schema(schema_with = trigger)]
    trigger: String,
    enabled: bool,
    conditions: ConditionsDoc,
    channels: ChannelChoiceDoc,
    #[schema(schema_with = recipient)]
    recipient: serde_json::Value,
    sms_template_id: Option<i64>,
    email_template_id: Option<i64>,
    #[schema(format = DateTime)]
    active_from: Option<String>,
    #[schema(format = DateTime)]
    active_until: Option<String>,
    once_per_shipment: bool,
    days_before_deadline: Option<u8>,
    campaign: Option<String>,
    delay_minutes: u32,
    quiet_hours: Vec<QuietHoursDoc>,
    send_at_local: Option<String>,
    working_days_only: bool,
    /// The brand its messages carry (one of the tenant's other brands); null or left out is
    /// the default brand.
    brand_id: Option<i64>,
}

/// `store::RuleChange`: one entry of a rule's history.
#[derive(ToSchema)]
#[schema(as = RuleChange)]
#[allow(dead_code)]
pub struct RuleChangeDoc {
    #[schema(format = DateTime)]
    at: String,
    /// The API key's label, or "operator" for the command line.
    actor: String,
    /// created, changed, enabled, disabled.
    action: String,
    detail: String,
}

/// `store::NotificationRecord`: one notification of the log.
#[derive(ToSchema, serde::Serialize)]
#[schema(as = Notification)]
#[allow(dead_code)]
pub struct NotificationDoc {
    id: i64,
    tenant_id: i64,
    tracking_number: String,
    rule_id: Option<i64>,
    #[schema(schema_with = nullable_trigger)]
    trigger: Option<String>,
    #[schema(schema_with = channel)]
    channel: String,
    recipient: String,
    #[schema(schema_with = status)]
    status: String,
    /// Why it was not sent, was deferred or changed status, in English.
    reason: Option<String>,
    /// The stable code of `reason` (`opted_out`, `picked_up`, `quiet_hours`, ...); null for a
    /// reason in a provider's own words or stored before codes.
    reason_code: Option<String>,
    language: Option<String>,
    /// What was (or will be) sent: for SMS `text`, for email `subject`, `html` and `text`.
    #[schema(schema_with = nullable_message)]
    message: Option<serde_json::Value>,
    #[schema(format = DateTime)]
    due_at: String,
    attempts: u32,
    /// The provider's id for the message, as it answered when accepting it.
    provider_id: Option<String>,
    /// The operator's name of the SMS provider or SMTP server that sent it (`[[sms.providers]]`,
    /// `[[smtp.servers]]`), or, not sent, the one its last attempt reached.
    provider: Option<String>,
    /// The key a provider drops a second copy by.
    idempotency_key: String,
    /// When the provider accepted it.
    #[schema(format = DateTime)]
    sent_at: Option<String>,
    /// What it is billed: `units` × `unit_price` (öre).
    #[schema(value_type = Option<ChargeDoc>)]
    charge: Option<serde_json::Value>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

/// `domain::billing::Charge`.
#[derive(ToSchema, serde::Serialize)]
#[schema(as = Charge)]
pub struct ChargeDoc {
    units: u32,
    unit_price: i64,
}

pub fn status() -> ObjectBuilder {
    one_of_strings(
        Status::ALL.map(|s| s.to_string()),
        "where the notification is in its life: delivered, undelivered (SMS) and bounced (email) come from \
         the provider's receipt after sent; a message is billed when its provider accepts it, whatever its receipt says",
    )
}

/// The same schema, also allowing null.
pub fn nullable(object: ObjectBuilder) -> RefOr<Schema> {
    OneOfBuilder::new()
        .item(object)
        .item(ObjectBuilder::new().schema_type(SchemaType::Type(Type::Null)))
        .into()
}

/// `store::StatusChange`.
#[derive(ToSchema, serde::Serialize)]
#[schema(as = StatusChange)]
#[allow(dead_code)]
pub struct StatusChangeDoc {
    #[schema(schema_with = status)]
    status: String,
    reason: Option<String>,
    /// The stable code of `reason`, as on the notification.
    reason_code: Option<String>,
    #[schema(format = DateTime)]
    at: String,
}

/// A notification with its status history.
#[derive(ToSchema, serde::Serialize)]
#[allow(dead_code)]
pub struct NotificationWithHistory {
    #[schema(inline)]
    #[serde(flatten)]
    notification: NotificationDoc,
    history: Vec<StatusChangeDoc>,
    /// People's visits to the tracking link in this notification (HEAD requests and
    /// link-preview bots are not counted); null before the first.
    link_visits: Option<VisitsDoc>,
    /// People's opens of this email (its open-tracking image fetched; only while the tenant's
    /// open tracking is on); null before the first.
    opens: Option<VisitsDoc>,
}

/// `store::Visits`: how often a link was visited, and when first and last.
#[derive(ToSchema, serde::Serialize)]
#[schema(as = Visits)]
#[allow(dead_code)]
pub struct VisitsDoc {
    count: u64,
    #[schema(format = DateTime)]
    first_at: String,
    #[schema(format = DateTime)]
    last_at: String,
}

/// `store::StoredEvent`: an event of a shipment.
#[derive(ToSchema)]
#[schema(as = ShipmentEvent)]
#[allow(dead_code)]
pub struct StoredEventDoc {
    code: String,
    #[schema(format = DateTime)]
    occurred_at: String,
    #[schema(format = DateTime)]
    received_at: String,
    location: Option<String>,
    /// The code maps to no trigger or milestone.
    unknown_code: bool,
}

/// `domain::shipment::Shipment`.
#[derive(ToSchema)]
#[schema(as = Shipment)]
#[allow(dead_code)]
pub struct ShipmentDoc {
    id: i64,
    tracking_number: String,
    #[schema(schema_with = shipment_details)]
    details: serde_json::Value,
    milestone: Option<String>,
    #[schema(format = DateTime)]
    milestone_at: Option<String>,
    #[schema(format = DateTime)]
    last_event_at: Option<String>,
    had_physical_event: bool,
    /// The shipment's receiver (the person behind its phone and email), when it has an
    /// address: absent otherwise.
    #[schema(inline)]
    receiver: Option<ReceiverRefDoc>,
}

/// `domain::receiver::ReceiverRef`: a shipment's receiver, its chosen channels and language.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ReceiverRefDoc {
    id: i64,
    /// The random token of the receiver's opt-out (`/u/<token>`) and preference (`/p/<token>`) links.
    token: String,
    /// `both`, `sms_only` or `email_only`.
    reach: String,
    language: Option<String>,
}

/// `domain::mapping::CodeMeaning`: what one carrier event code means.
#[derive(ToSchema)]
#[schema(as = CodeMeaning)]
#[allow(dead_code)]
pub struct CodeMeaningDoc {
    code: String,
    #[schema(schema_with = nullable_trigger)]
    trigger: Option<String>,
    /// The parcel was physically handled.
    physical: bool,
    milestone: Option<String>,
    note: String,
}

/// One trigger of the catalogue.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TriggerInfo {
    number: u32,
    #[schema(schema_with = trigger)]
    name: String,
    title: String,
    plans: Vec<PlanDoc>,
}

/// A filter of the log: one of the values, or empty for all.
fn filter(values: impl IntoIterator<Item = String>, description: &str) -> ObjectBuilder {
    one_of_strings(std::iter::once(String::new()).chain(values), description)
}

pub fn status_filter() -> ObjectBuilder {
    filter(
        Status::ALL.map(|s| s.to_string()),
        "only notifications with this status",
    )
}

pub fn channel_filter() -> ObjectBuilder {
    filter(
        [Channel::Sms, Channel::Email].map(|c| c.to_string()),
        "only notifications on this channel",
    )
}

pub fn trigger_filter() -> ObjectBuilder {
    let names = Trigger::ALL.iter().map(|t| t.slug().to_string());
    let numbers = (1..=Trigger::ALL.len()).map(|n| n.to_string());
    filter(
        names.chain(numbers),
        "only notifications of this trigger (name or number)",
    )
}

/// A day, `YYYY-MM-DD`, or empty for no bound.
pub fn day_filter() -> RefOr<Schema> {
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(SchemaType::Type(Type::String))
                .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                    utoipa::openapi::KnownFormat::Date,
                ))),
        )
        .item(one_of_strings([String::new()], "no bound"))
        .into()
}

/// How many: an unsigned 32-bit integer (the server caps what it returns).
pub fn limit() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Integer))
        .minimum(Some(0))
        .maximum(Some(u32::MAX))
        .description(Some(
            "how many, newest first; 100 when left out, at most 1000 are returned",
        ))
}

/// An instant with offset; null or blank (an event's optional text is trimmed) is none.
pub fn optional_instant() -> RefOr<Schema> {
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(SchemaType::Type(Type::String))
                .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                    utoipa::openapi::KnownFormat::DateTime,
                ))),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(SchemaType::Type(Type::String))
                .pattern(Some(r"^\s*$")),
        )
        .item(ObjectBuilder::new().schema_type(SchemaType::Type(Type::Null)))
        .into()
}

#[cfg(test)]
mod tests;
