//! The signed-in user's own mobile number (on their account page), where "Send a test to me"
//! sends an SMS template. Only they set it; it is checked as the domain checks any phone.

use super::session::Signed;
use super::view::{self, PortalError};
use crate::app::App;
use avisera_core::profile;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct PhoneForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    phone: String,
}

/// `POST /portal/account/phone`: saves (or, blank, removes) the user's own mobile number; a
/// number that is not one (or not a mobile) is shown again with what is wrong.
pub async fn save(
    State(app): State<App>,
    signed: Signed,
    headers: HeaderMap,
    Form(f): Form<PhoneForm>,
) -> Result<Response, PortalError> {
    signed.check_form(&f.csrf, &headers)?;
    match profile::set_phone(app.store.as_ref(), &signed.user, &f.phone).await {
        Ok(_) => Ok(Redirect::to("/portal/account?phone_saved=1#phone").into_response()),
        Err(avisera_core::Error::Invalid { message, .. }) => {
            let mut r = view::page(
                &signed,
                app.inbox.is_some(),
                "account.html",
                "account",
                context! {
                    saved => false,
                    error => None::<String>,
                    phone_error => super::words::say(signed.lang, &message),
                    typed_phone => f.phone,
                },
            );
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}
