//! Self-service sign-up: a business fills in the form, gets an email with a link, and following
//! it makes its tenant and first admin and signs the admin in. Nothing exists but the pending
//! sign-up until the link is followed.

use crate::sessions;
use crate::tenants::hash_secret;
use crate::users::password;
use crate::{Error, Result};
use avisera_domain::Timestamp;
use avisera_domain::notification::Message;
use avisera_domain::signup::{CONFIRM_WITHIN_HOURS, FieldErrors, SignUp, SignUpForm};
use avisera_store::{Portal, SignUps, StoreError};

/// A sign-up stored and waiting: the token for the emailed link (shown nowhere else).
pub struct Started {
    pub signup: SignUp,
    pub token: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// What to fix, field by field.
    #[error("{}", .0.iter().map(|(f, m)| format!("{f}: {m}")).collect::<Vec<_>>().join("; "))]
    Fields(FieldErrors),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks the form and keeps the sign-up until its link is followed. An organisation that has
/// an account, or an email that signs in already, is refused here rather than after the email.
pub async fn start<S>(store: &S, form: &SignUpForm, now: Timestamp) -> std::result::Result<Started, Refused>
where
    S: SignUps + Portal + ?Sized,
{
    let signup = form.check(now).map_err(Refused::Fields)?;
    let mut taken = FieldErrors::new();
    if store.organisation_registered(&signup.organisation).await? {
        taken.push((
            "organisation_number",
            format!(
                "organisation {} already has an Avisera account; ask its admin to add you as a user",
                signup.organisation
            ),
        ));
    }
    if store.user_by_email(signup.email.as_str()).await?.is_some() {
        taken.push((
            "email",
            format!(
                "{} already signs in to Avisera; sign in, or use another address",
                signup.email
            ),
        ));
    }
    if !taken.is_empty() {
        return Err(Refused::Fields(taken));
    }
    let password_hash = password::hash_async(form.password.clone()).await;
    let token = sessions::new_token();
    store
        .add_signup(&hash_secret(&token), &signup, &password_hash, now)
        .await?;
    tracing::info!(organisation = %signup.organisation, "sign-up started");
    Ok(Started { signup, token })
}

/// The pending sign-up a link names, for the page that asks to confirm it.
pub async fn pending(store: &dyn SignUps, token: &str, now: Timestamp) -> Result<Option<SignUp>> {
    Ok(store.pending_signup(&hash_secret(token), now).await?)
}

/// Makes the tenant and its admin from the sign-up the link names and signs the admin in:
/// the new session's token. `None` when the link is unknown, used or expired.
pub async fn confirm<S>(store: &S, token: &str, now: Timestamp) -> Result<Option<String>>
where
    S: SignUps + Portal + ?Sized,
{
    let confirmed = match store.confirm_signup(&hash_secret(token), now).await {
        Ok(confirmed) => confirmed,
        Err(StoreError::Conflict { message, .. }) => {
            return Err(Error::Invalid {
                code: "signup_taken",
                field: None,
                message: format!("{message}: ask its admin to add you as a user"),
            });
        }
        Err(e) => return Err(e.into()),
    };
    let Some((tenant, user)) = confirmed else {
        return Ok(None);
    };
    tracing::info!(%tenant, %user, "sign-up confirmed: tenant made");
    Ok(Some(sessions::open(store, tenant, user, now, None).await?))
}

/// The email that asks the new admin to confirm, in the language they signed up in.
pub fn confirmation_email(signup: &SignUp, link: &str) -> Message {
    let (subject, text) = if signup.language == "sv" {
        (
            format!("Bekräfta kontot för {} hos Avisera", signup.company),
            format!(
                "Hej {}!\n\nFör att skapa Avisera-kontot för {} ({}), öppna länken och bekräfta:\n\n{link}\n\n\
                 Länken gäller i {CONFIRM_WITHIN_HOURS} timmar. Om det inte var du som registrerade kontot kan du strunta i det här mejlet.",
                signup.admin_name, signup.company, signup.organisation
            ),
        )
    } else {
        (
            format!("Confirm the Avisera account of {}", signup.company),
            format!(
                "Hello {},\n\nTo create the Avisera account of {} ({}), open this link and confirm:\n\n{link}\n\n\
                 The link works for {CONFIRM_WITHIN_HOURS} hours. If you did not sign up, ignore this email.",
                signup.admin_name, signup.company, signup.organisation
            ),
        )
    };
    crate::users::account::account_email(&signup.email, subject, text)
}
