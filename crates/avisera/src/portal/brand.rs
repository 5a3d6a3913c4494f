//! Brand: names, sender ids, reply-to, default language, and logos (checked by
//! `domain::logo`, served with a policy that lets no script run even in an SVG).

use super::CsrfForm;
use super::session::Signed;
use super::view::{self, PortalError};
use crate::app::App;
use avisera_core::tenants;
use avisera_domain::colour::Colour;
use avisera_domain::contact::{EmailAddress, PhoneNumber};
use avisera_domain::template::LANGUAGES;
use avisera_domain::tenant::Brand;
use avisera_domain::user::Role;
use avisera_domain::{BrandId, LogoId, TenantId};
use axum::Form;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use serde::Deserialize;

async fn show(
    app: &App,
    signed: &Signed,
    message: Option<String>,
    error: Option<(String, String)>,
    typed: Option<(Option<BrandId>, Brand)>,
) -> Result<Response, PortalError> {
    let logos: Vec<Value> = app
        .store
        .logos(signed.tenant.id)
        .await?
        .into_iter()
        .map(|l| {
            context! { id => l.id.0, kind => l.kind.content_type(),
            url => format!("/l/{}/{}", signed.tenant.id, l.id),
            in_use => signed.tenant.brand.logo_id == Some(l.id) }
        })
        .collect();
    let (error_field, error_message) = error.unzip();
    let shown = |id: BrandId, brand: &Brand| match &typed {
        Some((Some(typed_id), typed)) if *typed_id == id => view::ser(typed),
        _ => view::ser(brand),
    };
    let others: Vec<Value> = signed
        .tenant
        .brands
        .iter()
        .map(|b| context! { id => b.id.0, brand => shown(b.id, &b.brand) })
        .collect();
    let (new_brand, adding) = match &typed {
        Some((None, typed)) => (view::ser(typed), true),
        _ => (view::ser(Brand::named("")), false),
    };
    Ok(view::page(
        signed,
        app.inbox.is_some(),
        "brand.html",
        "brand",
        context! { brand => view::ser(&signed.tenant.brand), logos => logos, languages => LANGUAGES.to_vec(),
        others => others, max_others => avisera_domain::tenant::MAX_OTHER_BRANDS,
        new_brand => new_brand, adding => adding,
        message => message, error_field => error_field,
        error => error_message.map(|e| super::words::say(signed.lang, &e)) },
    ))
}

pub async fn page(State(app): State<App>, signed: Signed) -> Result<Response, PortalError> {
    show(&app, &signed, None, None, None).await
}

#[derive(Deserialize)]
pub struct BrandForm {
    #[serde(default)]
    csrf: String,
    brand_name: String,
    email_from_name: String,
    #[serde(default)]
    email_from_address: String,
    #[serde(default)]
    reply_to: String,
    #[serde(default)]
    customer_service_email: String,
    #[serde(default)]
    customer_service_phone: String,
    sms_sender_id: String,
    #[serde(default)]
    default_language: String,
    /// `#rrggbb`; a form without it keeps the brand's colour.
    colour: Option<String>,
    /// For a brand besides the default one: its logo (empty is none).
    logo_id: Option<String>,
}

/// The brand a form describes, over `brand`; the error names the field and what to fix.
/// What it could read before a mistake stays in `brand`, so the page shows it again.
fn from_form(brand: &mut Brand, f: &BrandForm) -> Result<(), (String, String)> {
    brand.brand_name = f.brand_name.trim().to_string();
    brand.email_from_name = f.email_from_name.trim().to_string();
    brand.sms_sender_id = f.sms_sender_id.trim().to_string();
    if !f.default_language.trim().is_empty() {
        brand.default_language = f.default_language.trim().to_string();
    }
    brand.email_from_address = optional_email("email_from_address", &f.email_from_address)?;
    brand.reply_to = optional_email("reply_to", &f.reply_to)?;
    brand.customer_service_email = optional_email("customer_service_email", &f.customer_service_email)?;
    let phone = f.customer_service_phone.trim();
    brand.customer_service_phone = (!phone.is_empty())
        .then(|| PhoneNumber::parse(phone, None).map_err(|e| ("customer_service_phone".to_string(), e.to_string())))
        .transpose()?;
    if let Some(colour) = &f.colour {
        brand.colour = Colour::parse(colour).map_err(|m| ("colour".to_string(), m))?;
    }
    if let Some(logo) = &f.logo_id {
        brand.logo_id = match logo.trim() {
            "" => None,
            id => Some(LogoId(
                id.parse()
                    .map_err(|_| ("logo_id".to_string(), format!("no logo {id:?}")))?,
            )),
        };
    }
    brand.check().map_err(|(field, m)| (field.to_string(), m))
}

fn optional_email(field: &'static str, raw: &str) -> Result<Option<EmailAddress>, (String, String)> {
    let raw = raw.trim();
    (!raw.is_empty())
        .then(|| EmailAddress::parse(raw).map_err(|e| (field.to_string(), e.to_string())))
        .transpose()
}

pub async fn save(
    State(app): State<App>,
    mut signed: Signed,
    headers: HeaderMap,
    Form(f): Form<BrandForm>,
) -> Result<Response, PortalError> {
    signed.submits(&f.csrf, &headers, Role::Admin)?;
    // The default brand's logo is chosen among the logos above, not in this form.
    let f = BrandForm { logo_id: None, ..f };
    let mut brand = signed.tenant.brand.clone();
    if let Err(error) = from_form(&mut brand, &f) {
        signed.tenant.brand = brand;
        let mut r = show(&app, &signed, None, Some(error), None).await?;
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(r);
    }
    app.store.update_brand(signed.tenant.id, &brand).await?;
    signed.tenant.brand = brand;
    let saved = super::text::get(signed.lang, "saved").unwrap_or("Saved");
    show(&app, &signed, Some(saved.to_string()), None, None).await
}

/// `POST /portal/brand/brands` (a new brand) and `POST /portal/brand/brands/{id}` (one of the
/// tenant's brands besides the default one).
pub async fn save_other(
    State(app): State<App>,
    signed: Signed,
    headers: HeaderMap,
    id: Option<Path<i64>>,
    Form(f): Form<BrandForm>,
) -> Result<Response, PortalError> {
    signed.submits(&f.csrf, &headers, Role::Admin)?;
    let id = id.map(|Path(id)| BrandId(id));
    let base = match id {
        Some(id) => signed
            .tenant
            .brands
            .iter()
            .find(|b| b.id == id)
            .map(|b| b.brand.clone())
            .ok_or(PortalError::NotFound)?,
        None => Brand {
            default_language: signed.tenant.brand.default_language.clone(),
            ..Brand::named("")
        },
    };
    let mut brand = base;
    let saved = match from_form(&mut brand, &f) {
        Ok(()) => tenants::save_other_brand(app.store.as_ref(), &signed.tenant, id, brand.clone())
            .await
            .map_err(|e| match e {
                avisera_core::Error::Invalid { field, message, .. } => Ok((field.unwrap_or_default(), message)),
                e => Err(e),
            }),
        Err(error) => Err(Ok(error)),
    };
    match saved {
        Ok(_) => Ok(Redirect::to("/portal/brand").into_response()),
        Err(Ok(error)) => {
            // The form again as it was filled in, with what to fix.
            let mut r = show(&app, &signed, None, Some(error), Some((id, brand))).await?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(Err(e)) => Err(e.into()),
    }
}

pub async fn remove_other(
    State(app): State<App>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PortalError> {
    signed.submits(&f.csrf, &headers, Role::Admin)?;
    let actor = super::rules::actor(&signed);
    tenants::remove_other_brand(app.store.as_ref(), &signed.tenant, app.change(&actor), BrandId(id)).await?;
    Ok(Redirect::to("/portal/brand").into_response())
}

/// `POST /portal/brand/logos` (multipart: `csrf`, `logo`).
pub async fn upload(
    State(app): State<App>,
    signed: Signed,
    headers: HeaderMap,
    mut form: Multipart,
) -> Result<Response, PortalError> {
    let mut csrf = String::new();
    let mut file: Option<Bytes> = None;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| PortalError::BadRequest(format!("the upload could not be read: {e}")))?
    {
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("logo") => {
                file = Some(field.bytes().await.map_err(|e| {
                    PortalError::BadRequest(format!(
                        "the logo could not be read ({e}); a logo may be at most {} KB",
                        avisera_domain::logo::MAX_LOGO_BYTES / 1024
                    ))
                })?)
            }
            _ => {}
        }
    }
    signed.submits(&csrf, &headers, Role::Admin)?;
    let bytes = file.unwrap_or_default();
    match tenants::add_logo(app.store.as_ref(), &signed.tenant, &bytes, app.clock.now()).await {
        Ok(_) => Ok(Redirect::to("/portal/brand").into_response()),
        Err(avisera_core::Error::Invalid { message, .. }) => {
            let mut r = show(&app, &signed, None, Some(("logo".into(), message)), None).await?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn use_logo(
    State(app): State<App>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PortalError> {
    signed.submits(&f.csrf, &headers, Role::Admin)?;
    tenants::use_logo(app.store.as_ref(), &signed.tenant, LogoId(id)).await?;
    Ok(Redirect::to("/portal/brand").into_response())
}

pub async fn delete_logo(
    State(app): State<App>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PortalError> {
    signed.submits(&f.csrf, &headers, Role::Admin)?;
    tenants::delete_logo(app.store.as_ref(), &signed.tenant, LogoId(id)).await?;
    Ok(Redirect::to("/portal/brand").into_response())
}

/// `GET /l/{tenant}/{logo}`. SVGs were checked at upload; the policy below is the second
/// wall: even opened directly, nothing in the file may run or load.
pub async fn public_logo(State(app): State<App>, Path((tenant, id)): Path<(i64, i64)>) -> Response {
    match app.store.logo(TenantId(tenant), LogoId(id)).await {
        Ok(Some(logo)) => (
            [
                ("content-type", logo.kind.content_type()),
                (
                    "content-security-policy",
                    "default-src 'none'; style-src 'unsafe-inline'; sandbox",
                ),
                ("x-content-type-options", "nosniff"),
                ("cache-control", "public, max-age=86400"),
            ],
            logo.bytes,
        )
            .into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, "no such logo").into_response(),
        Err(e) => PortalError::Store(e).into_response(),
    }
}
