//! Templates: the list, and an editor per template with every language, the variables to
//! insert, and a preview against the sample shipment (live with JavaScript, by a Preview
//! button without). A template that does not render is not saved; the page says why.

use super::session::{Lang, Signed};
use super::view::{self, PortalError};
use crate::app::App;
use avisera_core::templates;
use avisera_domain::email_layout::Block;
use avisera_domain::notification::{Channel, Message};
use avisera_domain::rule::Rule;
use avisera_domain::template::{LANGUAGES, Template, TemplateBody, VARIABLES};
use avisera_domain::tenant::Tenant;
use avisera_domain::user::Role;
use avisera_domain::{BrandId, RuleId, TemplateId};
use axum::Form;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use serde::Deserialize;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

pub async fn list(State(app): State<App>, signed: Signed) -> Result<Response, PortalError> {
    let templates = app.store.templates(signed.tenant.id).await?;
    let rows: Vec<Value> = templates
        .iter()
        .map(|t| {
            context! { id => t.id.0, name => t.name.clone(), channel => t.channel.slug(),
            languages => t.contents.keys().cloned().collect::<Vec<_>>() }
        })
        .collect();
    Ok(view::page(
        &signed,
        app.inbox.is_some(),
        "templates.html",
        "templates",
        context! { templates => rows },
    ))
}

#[derive(Deserialize)]
pub struct NewQuery {
    channel: Option<String>,
}

pub async fn new(State(app): State<App>, signed: Signed, Query(q): Query<NewQuery>) -> Result<Response, PortalError> {
    signed.require(Role::Editor)?;
    let channel = match q.channel.as_deref() {
        Some("email") => Channel::Email,
        _ => Channel::Sms,
    };
    let language = signed.tenant.brand.default_language.clone();
    // A new email is written in blocks, inside the brand layout (logo, colour, footer).
    let contents = match channel {
        Channel::Email => BTreeMap::from([(
            language.clone(),
            TemplateBody {
                subject: Some(String::new()),
                html: None,
                blocks: Some(Vec::new()),
                text: String::new(),
            },
        )]),
        Channel::Sms => BTreeMap::new(),
    };
    let template = Template {
        id: TemplateId(0),
        name: String::new(),
        channel,
        default_language: language,
        contents,
        opt_out_footer: true,
    };
    Ok(editor(&app, &signed, &template, &Shown::default(), None, None))
}

pub async fn edit(
    State(app): State<App>,
    signed: Signed,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PortalError> {
    let template = app
        .store
        .template(signed.tenant.id, TemplateId(id))
        .await?
        .ok_or(PortalError::NotFound)?;
    let message = q
        .contains_key("saved")
        .then(|| super::text::get(signed.lang, "saved").unwrap_or("Saved.").to_string());
    let shown = shown(&app, &signed, template.id, &q).await?;
    Ok(view::page(
        &signed,
        app.inbox.is_some(),
        "template.html",
        "templates",
        editor_context(&app, &signed, &template, &shown, None, None, message),
    ))
}

/// What the editor previews a template as: in which of the tenant's brands, and for which
/// rule (its days left and campaign), when it knows.
#[derive(Default)]
struct Shown {
    brand: Option<BrandId>,
    rule: Option<Rule>,
}

/// The brand and rule asked for (`preview_brand`, `rule`, from the address or the form); a
/// template that rules use is shown as the first of them sends it, in that rule's brand.
async fn shown(app: &App, signed: &Signed, id: TemplateId, f: &HashMap<String, String>) -> Result<Shown, PortalError> {
    let asked = |key: &str| f.get(key).and_then(|v| v.trim().parse::<i64>().ok());
    let rules = app.store.rules(signed.tenant.id).await?;
    let rule = match asked("rule") {
        Some(r) => rules.into_iter().find(|rule| rule.id == RuleId(r)),
        None if id.0 != 0 => rules
            .into_iter()
            .filter(|r| r.sms_template_id == Some(id) || r.email_template_id == Some(id))
            .min_by_key(|r| r.id.0),
        None => None,
    };
    let brand = match asked("preview_brand") {
        Some(b) => Some(BrandId(b)),
        None => rule.as_ref().and_then(|r| r.brand_id),
    };
    // A brand that is not the tenant's (or since removed) is the default brand.
    let brand = brand.filter(|b| signed.tenant.brands.iter().any(|o| o.id == *b));
    Ok(Shown { brand, rule })
}

fn languages_of(template: &Template) -> Vec<String> {
    let mut langs: Vec<String> = LANGUAGES.iter().map(|l| l.to_string()).collect();
    for l in template.contents.keys() {
        if !langs.contains(l) {
            langs.push(l.clone());
        }
    }
    langs
}

fn editor(
    app: &App,
    signed: &Signed,
    template: &Template,
    shown: &Shown,
    error: Option<String>,
    preview: Option<templates::Preview>,
) -> Response {
    view::page(
        signed,
        app.inbox.is_some(),
        "template.html",
        "templates",
        editor_context(app, signed, template, shown, error, preview, None),
    )
}

/// The editor with an error shown in the box of the language it belongs to (and at the top).
fn editor_at(
    app: &App,
    signed: &Signed,
    template: &Template,
    shown: &Shown,
    error: Option<String>,
    language: Option<String>,
) -> Response {
    let mut context = editor_context(app, signed, template, shown, error, None, None);
    context = minijinja::context! { error_language => language, ..context };
    view::page(signed, app.inbox.is_some(), "template.html", "templates", context)
}

/// The block editor's words in the portal's language.
fn block_words(lang: Lang) -> BTreeMap<&'static str, &'static str> {
    [
        ("heading", "block_heading"),
        ("text", "block_text"),
        ("button", "block_button"),
        ("image", "block_image"),
        ("divider", "block_divider"),
        ("html", "block_html"),
        ("field_text", "block_field_text"),
        ("field_label", "block_field_label"),
        ("field_url", "block_field_url"),
        ("field_alt", "block_field_alt"),
        ("field_raw", "block_field_raw"),
        ("up", "block_up"),
        ("down", "block_down"),
        ("remove", "remove"),
    ]
    .into_iter()
    .map(|(word, key)| (word, super::text::get(lang, key).unwrap_or(word)))
    .collect()
}

fn editor_context(
    app: &App,
    signed: &Signed,
    template: &Template,
    shown: &Shown,
    error: Option<String>,
    preview: Option<templates::Preview>,
    message: Option<String>,
) -> Value {
    let lang = signed.lang;
    let variables: Vec<Value> = VARIABLES
        .iter()
        .map(|(name, about)| context! { name => *name, about => *about })
        .collect();
    let advice = match &preview {
        Some(p) => p.advice.clone(),
        None => templates::advise(
            app.preview(),
            &signed.tenant,
            shown.brand,
            shown.rule.as_ref(),
            template,
        ),
    };
    let tenant = &signed.tenant;
    let brands: Vec<Value> = std::iter::once(context! { id => 0, name => tenant.brand.brand_name.clone() })
        .chain(
            tenant
                .brands
                .iter()
                .map(|b| context! { id => b.id.0, name => b.brand.brand_name.clone() }),
        )
        .collect();
    context! {
        brands => brands,
        preview_brand => shown.brand.map_or(0, |b| b.0),
        rule_id => shown.rule.as_ref().map(|r| r.id.0),
        advice => super::advice::lines(lang, &advice),
        template => view::ser(template),
        block_kinds => ["heading", "text", "button", "image", "divider", "html"],
        block_words => block_words(lang),
        is_new => template.id.0 == 0,
        languages => languages_of(template),
        variables => variables,
        error => error,
        message => message,
        preview => preview.map(|p| view::ser(&p)),
    }
}

/// The template a form describes: every language with any text in it. An email's content is
/// its blocks (`blocks_{lang}`, a JSON list the block editor writes) when there are any, else
/// its hand-written HTML. `Err` says which language's blocks could not be read.
fn from_form(id: TemplateId, channel: Channel, f: &HashMap<String, String>) -> Result<Template, String> {
    let field = |name: &str| f.get(name).map(|v| v.replace("\r\n", "\n")).unwrap_or_default();
    let mut contents = BTreeMap::new();
    let mut langs: Vec<String> = LANGUAGES.iter().map(|l| l.to_string()).collect();
    for key in f.keys() {
        if let Some(l) = key.strip_prefix("text_")
            && !langs.iter().any(|x| x == l)
        {
            langs.push(l.to_string());
        }
    }
    for lang in langs {
        let text = field(&format!("text_{lang}"));
        let subject = field(&format!("subject_{lang}"));
        let html = field(&format!("html_{lang}"));
        let blocks_json = field(&format!("blocks_{lang}"));
        let blocks: Vec<Block> = if blocks_json.trim().is_empty() {
            Vec::new()
        } else {
            serde_json::from_str(&blocks_json)
                .map_err(|e| format!("the content blocks in {lang} could not be read ({e}); reload the page"))?
        };
        if text.trim().is_empty() && subject.trim().is_empty() && html.trim().is_empty() && blocks.is_empty() {
            continue;
        }
        let body = match channel {
            Channel::Sms => TemplateBody {
                text,
                ..Default::default()
            },
            Channel::Email if !blocks.is_empty() => TemplateBody {
                subject: Some(subject),
                html: None,
                blocks: Some(blocks),
                text,
            },
            Channel::Email => TemplateBody {
                subject: Some(subject),
                html: (!html.trim().is_empty()).then_some(html),
                blocks: None,
                text,
            },
        };
        contents.insert(lang, body);
    }
    Ok(Template {
        id,
        name: field("name").trim().to_string(),
        channel,
        default_language: field("default_language"),
        contents,
        // An unticked box is not sent: only a form that showed the box can switch it off.
        opt_out_footer: !f.contains_key("opt_out_footer_shown") || f.contains_key("opt_out_footer"),
    })
}

fn channel_of(f: &HashMap<String, String>) -> Channel {
    match f.get("channel").map(String::as_str) {
        Some("email") => Channel::Email,
        _ => Channel::Sms,
    }
}

/// Checks a template as saving would: a name, at least one language, and every language
/// rendering against the sample shipment within the tenant's limits. The error, and the
/// language whose box it belongs to (if it is one language's).
fn problem(template: &Template, tenant: &Tenant, lang: Lang) -> Option<(String, Option<String>)> {
    if template.name.is_empty() {
        return Some((super::words::say(lang, "give the template a name"), None));
    }
    templates::check(tenant, template).err().map(|e| {
        let language = match &e {
            avisera_core::Error::Template(te) => te.language.clone(),
            _ => None,
        };
        (super::words::error(lang, &e), language)
    })
}

async fn save_or_preview(
    app: &App,
    signed: &Signed,
    headers: &HeaderMap,
    template: Template,
    f: &HashMap<String, String>,
) -> Result<Response, PortalError> {
    signed.submits(super::csrf_in(f), headers, Role::Editor)?;
    let shown = shown(app, signed, template.id, f).await?;
    if let Some((error, language)) = problem(&template, &signed.tenant, signed.lang) {
        let mut r = editor_at(app, signed, &template, &shown, Some(error), language);
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(r);
    }
    if f.get("action").map(String::as_str) == Some("preview") {
        let preview = preview_shown(app, signed, &shown, &template)?;
        return Ok(editor(app, signed, &template, &shown, None, Some(preview)));
    }
    if f.get("action").map(String::as_str) == Some("test") {
        return send_test(app, signed, &shown, template).await;
    }
    let now = app.clock.now();
    let store = app.store.as_ref();
    let saved = if template.id.0 == 0 {
        templates::create(store, &signed.tenant, template, now).await?
    } else {
        templates::update(store, &signed.tenant, template, now).await?
    };
    Ok(Redirect::to(&format!("/portal/templates/{}?saved=1", saved.id)).into_response())
}

fn preview_shown(
    app: &App,
    signed: &Signed,
    shown: &Shown,
    template: &Template,
) -> Result<templates::Preview, PortalError> {
    Ok(templates::preview_in(
        app.preview(),
        &signed.tenant,
        shown.brand,
        shown.rule.as_ref(),
        template,
    )?)
}

/// "Send a test to me": the message as the preview shows it (default language, sample shipment,
/// the brand shown) to the signed-in user. An email goes at once to their address, outside the
/// tenant's log and bill (it costs next to nothing); an SMS goes to their own mobile number
/// through the tenant's SMS provider and is the tenant's like any SMS: logged and billed, with
/// `TEST` for a tracking number, since the provider charges for it all the same.
async fn send_test(app: &App, signed: &Signed, shown: &Shown, template: Template) -> Result<Response, PortalError> {
    let preview = preview_shown(app, signed, shown, &template)?;
    let language = template.pick_language(Some(&template.default_language)).to_string();
    let key = format!(
        "template-test-{}-{}",
        signed.user.id,
        hex::encode(rand::random::<[u8; 8]>())
    );
    let mut no_phone = false;
    let (notice, error) = match preview.languages.get(&language) {
        Some(templates::RenderedPreview::Email {
            subject, html, text, ..
        }) => {
            let brand = signed.tenant.brand_for(shown.brand);
            let to = signed.user.email.to_string();
            let message = Message::Email {
                from_name: brand.email_from_name.clone(),
                from_address: brand.email_from_address.as_ref().map(|e| e.to_string()),
                reply_to: brand.reply_to.as_ref().map(|e| e.to_string()),
                to: to.clone(),
                subject: format!(
                    "[{}] {}",
                    text_of(signed, "test_subject"),
                    subject.clone().unwrap_or_default()
                ),
                html: html.clone(),
                text: text.clone(),
                list_unsubscribe: None,
            };
            match super::mail::send(app, message, key).await {
                Ok(()) => (Some(text_of(signed, "test_sent").replace("{email}", &to)), None),
                Err(why) => (None, Some(format!("{}: {why}", text_of(signed, "test_not_sent")))),
            }
        }
        Some(templates::RenderedPreview::Sms(quote)) => {
            let queued = avisera_core::profile::queue_test_sms(
                app.store.as_ref(),
                &signed.tenant,
                shown.brand,
                &signed.user,
                &quote.text,
                &key,
                app.clock.now(),
            )
            .await;
            match queued {
                Ok(_) => {
                    app.wake_workers();
                    let phone = signed.user.phone.as_ref().map(|p| p.to_string()).unwrap_or_default();
                    (
                        Some(text_of(signed, "test_sms_queued").replace("{phone}", &phone)),
                        None,
                    )
                }
                Err(avisera_core::Error::Invalid { code, .. }) if code == avisera_core::profile::NO_PHONE => {
                    no_phone = true;
                    (None, Some(text_of(signed, "test_sms_no_phone").to_string()))
                }
                Err(e) => return Err(e.into()),
            }
        }
        None => (None, Some(text_of(signed, "test_not_sent").to_string())),
    };
    let context = editor_context(app, signed, &template, shown, error, Some(preview), notice);
    let context = context! { no_phone => no_phone, ..context };
    Ok(view::page(
        signed,
        app.inbox.is_some(),
        "template.html",
        "templates",
        context,
    ))
}

fn text_of(signed: &Signed, key: &str) -> &'static str {
    super::text::get(signed.lang, key).unwrap_or("")
}

pub async fn create(
    State(app): State<App>,
    signed: Signed,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, PortalError> {
    let template = match from_form(TemplateId(0), channel_of(&f), &f) {
        Ok(t) => t,
        Err(why) => return Err(PortalError::BadRequest(why)),
    };
    save_or_preview(&app, &signed, &headers, template, &f).await
}

pub async fn save(
    State(app): State<App>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, PortalError> {
    let current = app
        .store
        .template(signed.tenant.id, TemplateId(id))
        .await?
        .ok_or(PortalError::NotFound)?;
    // The channel is fixed once a template exists: rules rely on it.
    let template = match from_form(current.id, current.channel, &f) {
        Ok(t) => t,
        Err(why) => return Err(PortalError::BadRequest(why)),
    };
    save_or_preview(&app, &signed, &headers, template, &f).await
}

/// `POST /portal/templates/preview`: the live preview's JSON, from the editor's form as it
/// stands (nothing is saved). Errors come back as `{"error": ...}` for the page to show.
pub async fn preview(
    State(app): State<App>,
    signed: Signed,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, PortalError> {
    signed.check_form(super::csrf_in(&f), &headers)?;
    let mut template = match from_form(TemplateId(0), channel_of(&f), &f) {
        Ok(t) => t,
        Err(why) => return Ok(Json(json!({ "error": why })).into_response()),
    };
    if template.name.is_empty() {
        template.name = "preview".into();
    }
    // The form says which brand and rule it previews in (`preview_brand`, `rule`).
    let shown = shown(&app, &signed, TemplateId(0), &f).await?;
    let body = match problem(&template, &signed.tenant, signed.lang) {
        Some((error, language)) => json!({ "error": error, "language": language }),
        None => {
            let preview = preview_shown(&app, &signed, &shown, &template)?;
            let advice = super::advice::lines(signed.lang, &preview.advice);
            // Each language's price as the page's language writes amounts (0,75 kr).
            let prices: std::collections::BTreeMap<&str, String> = preview
                .languages
                .iter()
                .map(|(language, shown)| {
                    (
                        language.as_str(),
                        super::format::amount(signed.lang, shown.price_ore().0),
                    )
                })
                .collect();
            let mut body = json!(preview);
            body["advice_lines"] = json!(advice);
            body["prices"] = json!(prices);
            body
        }
    };
    Ok(Json(body).into_response())
}
