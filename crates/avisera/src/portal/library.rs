//! The ready-to-go library: finished rule + template pairs for the common cases, written in
//! Swedish, Norwegian, Danish, Finnish and English (`library.toml`). Copying one creates the
//! tenant's own templates and a disabled rule, to adapt and enable.

use super::session::Signed;
use super::view::{self, PortalError};
use crate::app::App;
use avisera_core::{rules, templates};
use avisera_domain::email_layout::Block;
use avisera_domain::notification::Channel;
use avisera_domain::rule::{ChannelChoice, Conditions, Recipient, Rule};
use avisera_domain::template::{Template, TemplateBody};
use avisera_domain::trigger::Trigger;
use avisera_domain::user::Role;
use avisera_domain::{RuleId, TemplateId};
use axum::Form;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::LazyLock;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LibraryItem {
    pub key: String,
    pub trigger: Trigger,
    pub days_before_deadline: Option<u8>,
    pub recipient: String,
    pub channels: ChannelChoice,
    pub once_per_shipment: bool,
    pub title: BTreeMap<String, String>,
    pub description: BTreeMap<String, String>,
    pub sms: BTreeMap<String, String>,
    pub email: BTreeMap<String, EmailText>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailText {
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Deserialize)]
struct File {
    item: Vec<LibraryItem>,
}

/// A library email's HTML as blocks in the brand layout (which brings the logo, colour,
/// customer service and the opt-out link): each line a block, the link to the tracking page a
/// button in the brand colour, the written opt-out line left to the layout's footer.
fn blocks_of(html: &str) -> Vec<Block> {
    html.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.contains("unsubscribe_link"))
        .map(|line| {
            let button = line
                .strip_prefix("<p><a href=\"{{ tracking_link }}\">")
                .and_then(|rest| rest.strip_suffix("</a></p>"))
                .filter(|label| !label.contains('<'));
            match button {
                Some(label) => Block::Button {
                    label: label.to_string(),
                    url: "{{ tracking_link }}".into(),
                },
                None => Block::Html { raw: line.to_string() },
            }
        })
        .collect()
}

static LIBRARY: LazyLock<Vec<LibraryItem>> = LazyLock::new(|| {
    toml::from_str::<File>(include_str!("library.toml"))
        .unwrap_or_else(|e| panic!("library.toml: {e}"))
        .item
});

pub fn library() -> &'static [LibraryItem] {
    &LIBRARY
}

impl LibraryItem {
    fn in_lang<'a>(map: &'a BTreeMap<String, String>, lang: &str) -> &'a str {
        map.get(lang).or_else(|| map.get("en")).map_or("", String::as_str)
    }

    pub fn recipient(&self) -> Recipient {
        match self.recipient.as_str() {
            "customer_service" => Recipient::CustomerService,
            _ => Recipient::Receiver,
        }
    }

    /// The SMS as a receiver would read it, filled with the sample shipment.
    fn sample_sms(&self, lang: &str, public_url: &str) -> String {
        self.templates("sample", lang)
            .into_iter()
            .find(|t| t.channel == Channel::Sms)
            .and_then(|t| t.render(Some(lang), &samples(public_url)).ok())
            .map(|r| r.text)
            .unwrap_or_default()
    }

    /// The email subject as a receiver would read it, when the item sends email.
    fn sample_subject(&self, lang: &str, public_url: &str) -> Option<String> {
        self.templates("sample", lang)
            .into_iter()
            .find(|t| t.channel == Channel::Email)
            .and_then(|t| t.render(Some(lang), &samples(public_url)).ok())
            .and_then(|r| r.subject)
    }

    /// The item's rule, disabled and without its templates yet.
    pub fn rule(&self, name: &str) -> Rule {
        Rule {
            id: RuleId(0),
            name: name.to_string(),
            trigger: self.trigger,
            enabled: false,
            conditions: Conditions::default(),
            channels: self.channels,
            recipient: self.recipient(),
            sms_template_id: None,
            email_template_id: None,
            active_from: None,
            active_until: None,
            once_per_shipment: self.once_per_shipment,
            days_before_deadline: self.days_before_deadline,
            campaign: None,
            delay_minutes: 0,
            quiet_hours: Vec::new(),
            send_at_local: None,
            working_days_only: false,
            brand_id: None,
        }
    }

    /// The templates this item needs, in every language it has.
    pub fn templates(&self, title: &str, default_language: &str) -> Vec<Template> {
        let default_language = if self.sms.contains_key(default_language) {
            default_language
        } else {
            "en"
        };
        let mut out = Vec::new();
        if self.channels.uses(Channel::Sms) {
            out.push(Template {
                id: TemplateId(0),
                name: format!("{title} (SMS)"),
                channel: Channel::Sms,
                default_language: default_language.into(),
                contents: self
                    .sms
                    .iter()
                    .map(|(l, text)| {
                        (
                            l.clone(),
                            TemplateBody {
                                text: text.clone(),
                                ..Default::default()
                            },
                        )
                    })
                    .collect(),
                opt_out_footer: true,
            });
        }
        if self.channels.uses(Channel::Email) {
            out.push(Template {
                id: TemplateId(0),
                name: format!("{title} (e-mail)"),
                channel: Channel::Email,
                default_language: default_language.into(),
                contents: self
                    .email
                    .iter()
                    .map(|(l, e)| {
                        let body = TemplateBody {
                            subject: Some(e.subject.clone()),
                            html: None,
                            blocks: Some(blocks_of(&e.html)),
                            text: e.text.clone(),
                        };
                        (l.clone(), body)
                    })
                    .collect(),
                opt_out_footer: true,
            });
        }
        out
    }
}

/// The sample shipment's values, its links written as this installation writes them.
fn samples(public_url: &str) -> avisera_domain::template::Variables {
    const SAMPLE_BASE: &str = "https://track.example.com";
    let mut vars = avisera_domain::template::sample_variables();
    for value in vars.values_mut() {
        if let Some(path) = value.strip_prefix(SAMPLE_BASE) {
            *value = format!("{}{path}", public_url.trim_end_matches('/'));
        }
    }
    vars
}

/// The tenant's live rule copied from `item` (named as the copy names it), if any.
fn copied_rule(item: &LibraryItem, rules: &[Rule], default_language: &str) -> Option<RuleId> {
    let title = LibraryItem::in_lang(&item.title, default_language);
    rules.iter().find(|r| r.name == title).map(|r| r.id)
}

/// `GET /portal/library`; `?twice=<key>` asks before copying an entry a second time.
pub async fn page(State(app): State<App>, signed: Signed, RawQuery(query): RawQuery) -> Result<Response, PortalError> {
    let ui = signed.lang.code();
    let asked: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    let asked_for = |key: &str| asked.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let twice = asked_for("twice");
    // The previews' language: one the library speaks, chosen on the page, else the brand's.
    let content_lang = asked_for("lang")
        .filter(|l| avisera_domain::template::LANGUAGES.contains(&l.as_str()))
        .unwrap_or_else(|| signed.tenant.brand.default_language.clone());
    let public_url = app.config.public_url.as_str();
    let rules = app.store.rules(signed.tenant.id).await?;
    let items: Vec<Value> = library()
        .iter()
        .map(|item| {
            let needs = (!signed.tenant.plan.allows(item.trigger))
                .then(|| avisera_domain::plan::Plan::cheapest_with(item.trigger).to_string());
            let copied = copied_rule(item, &rules, &content_lang);
            context! {
                copied_rule => copied.map(|id| id.0),
                asking => copied.is_some() && twice.as_deref() == Some(item.key.as_str()),
                key => item.key.clone(),
                title => LibraryItem::in_lang(&item.title, ui),
                description => LibraryItem::in_lang(&item.description, ui),
                trigger => item.trigger.slug(),
                channels => view::ser(item.channels),
                sms => item.sample_sms(&content_lang, public_url),
                subject => item.sample_subject(&content_lang, public_url),
                languages => item.sms.keys().cloned().collect::<Vec<_>>(),
                needs_plan => needs,
            }
        })
        .collect();
    Ok(view::page(
        &signed,
        app.inbox.is_some(),
        "library.html",
        "library",
        context! { items => items, preview_language => content_lang,
        preview_languages => avisera_domain::template::LANGUAGES.to_vec() },
    ))
}

#[derive(Deserialize)]
pub struct CopyForm {
    #[serde(default)]
    csrf: String,
    /// Set by the question's button: copy again although a copy exists.
    #[serde(default)]
    again: Option<String>,
}

/// `POST /portal/library/{key}/copy`: the item's templates and a disabled rule, in one go. An
/// entry the tenant has copied already is asked about first (`?twice=`), so one click does not
/// make a second rule sending the same message.
pub async fn copy(
    State(app): State<App>,
    signed: Signed,
    headers: HeaderMap,
    Path(key): Path<String>,
    Form(f): Form<CopyForm>,
) -> Result<Response, PortalError> {
    signed.submits(&f.csrf, &headers, Role::Editor)?;
    let item = library().iter().find(|i| i.key == key).ok_or(PortalError::NotFound)?;
    let now = app.clock.now();
    let store = app.store.as_ref();
    let rules_now = store.rules(signed.tenant.id).await?;
    if f.again.is_none() && copied_rule(item, &rules_now, &signed.tenant.brand.default_language).is_some() {
        return Ok(Redirect::to(&format!("/portal/library?twice={key}#item-{key}")).into_response());
    }
    let title = LibraryItem::in_lang(&item.title, &signed.tenant.brand.default_language).to_string();
    let mut rule = item.rule(&title);
    for template in item.templates(&title, &signed.tenant.brand.default_language) {
        let template = templates::create(store, &signed.tenant, template, now).await?;
        match template.channel {
            Channel::Sms => rule.sms_template_id = Some(template.id),
            Channel::Email => rule.email_template_id = Some(template.id),
        }
    }
    let actor = format!("{} (portal)", signed.user.email);
    let by = rules::Change { actor: &actor, now };
    let detail = format!("copied from the library ({key}), disabled");
    let rule = rules::create_noting(store, signed.tenant.id, by, rule, &detail).await?;
    Ok(Redirect::to(&format!("/portal/rules/{}?copied=1", rule.id)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use avisera_domain::template::{LANGUAGES, sample_variables};

    #[test]
    fn a_library_email_becomes_blocks_with_the_tracking_link_as_a_button() {
        let blocks = blocks_of(
            "\n<p>Hej!</p>\n<p><a href=\"{{ tracking_link }}\">Följ paketet</a></p>\n<p>Vill du inte? <a href=\"{{ unsubscribe_link }}\">Avsluta</a></p>",
        );
        assert_eq!(
            blocks,
            vec![
                Block::Html {
                    raw: "<p>Hej!</p>".into()
                },
                Block::Button {
                    label: "Följ paketet".into(),
                    url: "{{ tracking_link }}".into()
                },
            ]
        );
    }

    /// No library template prints a fact some shipments lack without a guard: with the carrier
    /// (or the receiver's name, the pickup point...) unknown, every text still reads whole. The
    /// rule's days left and campaign are as the item's rule has them; the brand has no contact
    /// and no logo, since the library cannot know which a shipper fills in.
    #[test]
    fn no_library_template_prints_a_value_that_may_be_missing() {
        let mut bare = Vec::new();
        for item in library() {
            let rule = item.rule("t");
            let mut vars = sample_variables();
            vars.insert(
                "days_left",
                rule.days_before_deadline.map(|n| n.to_string()).unwrap_or_default(),
            );
            vars.insert("campaign", rule.campaign.clone().unwrap_or_default());
            for brand_fact in ["customer_service_email", "customer_service_phone", "logo_url"] {
                vars.insert(brand_fact, String::new());
            }
            for t in item.templates("t", "sv") {
                for advice in avisera_domain::template_advice::advise(&t, &vars, false) {
                    if !advice.missing.is_empty() {
                        bare.push(format!(
                            "{} {} {}: {:?}",
                            item.key, t.channel, advice.language, advice.missing
                        ));
                    }
                }
            }
        }
        assert!(bare.is_empty(), "printed without a guard:\n{}", bare.join("\n"));
    }

    /// Every library item renders in all five languages on both its channels, and every SMS
    /// fits one GSM-7 segment with the sample shipment.
    #[test]
    fn every_library_template_renders_in_every_language() {
        assert!(library().len() >= 6);
        let mut too_long = Vec::new();
        for item in library() {
            let templates = item.templates("t", "sv");
            assert!(!templates.is_empty(), "{} has no template", item.key);
            for t in templates {
                t.check().unwrap_or_else(|e| panic!("{} {}: {e}", item.key, t.channel));
                for lang in LANGUAGES {
                    assert!(t.contents.contains_key(*lang), "{} lacks {lang}", item.key);
                    let r = t.render(Some(lang), &sample_variables()).unwrap();
                    assert_eq!(r.language, *lang);
                    if t.channel == Channel::Email {
                        // In the brand layout, with one opt-out link: the layout's.
                        let html = r.html.as_deref().unwrap_or_default();
                        assert!(html.contains("class=\"brand-footer\""), "{} {lang}: {html}", item.key);
                        assert!(
                            html.matches("track.example.com/u/abc").count() <= 2,
                            "{} {lang}: {html}",
                            item.key
                        );
                    }
                    if t.channel == Channel::Sms {
                        let c = avisera_domain::sms::count(&r.text);
                        if (c.encoding, c.segments) != (avisera_domain::sms::SmsEncoding::Gsm7, 1) {
                            too_long.push(format!("{} {lang} ({} chars): {}", item.key, c.characters, r.text));
                        }
                    }
                }
            }
            let mut rule = item.rule(&item.key);
            rule.sms_template_id = item.channels.uses(Channel::Sms).then_some(TemplateId(1));
            rule.email_template_id = item.channels.uses(Channel::Email).then_some(TemplateId(2));
            let rule_check = rule.check();
            assert!(rule_check.is_ok(), "{}: {rule_check:?}", item.key);
        }
        assert!(too_long.is_empty(), "not one GSM-7 segment:\n{}", too_long.join("\n"));
    }
}
