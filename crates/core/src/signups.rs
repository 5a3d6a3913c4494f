//! Self-service sign-up: a business fills in the form, gets an email with a link, and following
//! it makes its tenant and first admin and signs the admin in. Nothing exists but the pending
//! sign-up until the link is followed.

use crate::account_mail;
use crate::sessions;
use crate::tenants::hash_secret;
use crate::users::{account, password};
use crate::{Error, Result};
use avisera_domain::Timestamp;
use avisera_domain::notification::Message;
use avisera_domain::signup::{CONFIRM_WITHIN_HOURS, FieldErrors, SignUp, SignUpForm};
use avisera_domain::user::{Role, User};
use avisera_store::{Accounts, Portal, SignUps, StoreError};

/// What a good form led to. The page answers the same for each ("we sent a link to ..."), so
/// the form tells nobody which addresses or organisations have accounts; the email that
/// follows goes to whoever the account already belongs to.
pub enum Started {
    /// A new organisation and address: the sign-up waits, and `token` is for its emailed link
    /// (shown nowhere else).
    New { signup: SignUp, token: String },
    /// The address signs in already: its owner is told, with a reset link's `token` in case
    /// they forgot the password. Nothing else is made.
    EmailTaken { signup: SignUp, user: User, token: String },
    /// The organisation has an account: its admins are told who asked, so they can add them
    /// as a user. The person who asked gets no email (one would tell them it is a customer).
    OrganisationTaken { signup: SignUp, admins: Vec<User> },
}

impl Started {
    pub fn signup(&self) -> &SignUp {
        match self {
            Started::New { signup, .. }
            | Started::EmailTaken { signup, .. }
            | Started::OrganisationTaken { signup, .. } => signup,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// What to fix, field by field.
    #[error("{}", .0.iter().map(|(f, m)| format!("{f}: {m}")).collect::<Vec<_>>().join("; "))]
    Fields(FieldErrors),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks the form; a good one is kept until its link is followed, unless its address or its
/// organisation has an account already (see [`Started`]). The password is hashed in every
/// case, so how long the answer takes does not tell the cases apart either.
pub async fn start<S>(store: &S, form: &SignUpForm, now: Timestamp) -> std::result::Result<Started, Refused>
where
    S: SignUps + Portal + Accounts + ?Sized,
{
    let signup = form.check(now).map_err(Refused::Fields)?;
    let password_hash = password::hash_async(form.password.clone()).await;
    if let Some((user, _)) = store.user_by_email(signup.email.as_str()).await? {
        let token = account::reset_token(store, &user, now).await?;
        tracing::info!(tenant = %user.tenant_id, user = %user.id, "sign-up with an address that signs in: its owner is told");
        return Ok(Started::EmailTaken { signup, user, token });
    }
    if let Some(tenant) = store.organisation_tenant(&signup.organisation).await? {
        let admins: Vec<User> = store
            .users(tenant)
            .await?
            .into_iter()
            .filter(|u| u.role == Role::Admin)
            .collect();
        tracing::info!(%tenant, admins = admins.len(), "sign-up for an organisation with an account: its admins are told");
        return Ok(Started::OrganisationTaken { signup, admins });
    }
    let token = sessions::new_token();
    store
        .add_signup(&hash_secret(&token), &signup, &password_hash, now)
        .await?;
    tracing::info!(organisation = %signup.organisation, "sign-up started");
    Ok(Started::New { signup, token })
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
    let lang = signup.language.as_str();
    let company = signup.company.as_str();
    let organisation = signup.organisation.to_string();
    let hours = CONFIRM_WITHIN_HOURS.to_string();
    let subject = account_mail::fill(lang, "confirm_subject", &[("company", company)]);
    let text = account_mail::fill(
        lang,
        "confirm_text",
        &[
            ("name", &signup.admin_name),
            ("company", company),
            ("organisation", &organisation),
            ("link", link),
            ("hours", &hours),
        ],
    );
    account::account_email(&signup.email, subject, text)
}

/// The email to the owner of an address someone signed up with: nothing was made, and here is
/// a link to choose a new password in case that was them and they forgot it. Nothing the
/// stranger typed but the checked organisation number is in it, so it carries no one's text.
/// In the language of the sign-up's page.
pub fn address_taken_email(user: &User, signup: &SignUp, reset_link: &str, portal_link: &str) -> Message {
    let lang = signup.language.as_str();
    let organisation = signup.organisation.to_string();
    let email = user.email.to_string();
    let minutes = account::RESET_WITHIN_MINUTES.to_string();
    let subject = account_mail::fill(lang, "taken_subject", &[]);
    let text = account_mail::fill(
        lang,
        "taken_text",
        &[
            ("name", &user.name),
            ("organisation", &organisation),
            ("email", &email),
            ("portal_link", portal_link),
            ("reset_link", reset_link),
            ("minutes", &minutes),
        ],
    );
    account::account_email(&user.email, subject, text)
}

/// The email to an admin of an organisation someone else tried to sign up: who asked (the
/// name they typed, quoted, and their address), and where to add them as a user. The subject
/// holds only the checked organisation number, so a stranger's text never heads an email. The
/// person who asked was told nothing. In the language of the sign-up's page.
pub fn organisation_taken_email(admin: &User, signup: &SignUp, users_link: &str) -> Message {
    let lang = signup.language.as_str();
    let organisation = signup.organisation.to_string();
    let asker_email = signup.email.to_string();
    let subject = account_mail::fill(lang, "organisation_subject", &[("organisation", &organisation)]);
    let text = account_mail::fill(
        lang,
        "organisation_text",
        &[
            ("name", &admin.name),
            ("asker", &signup.admin_name),
            ("asker_email", &asker_email),
            ("organisation", &organisation),
            ("users_link", users_link),
        ],
    );
    account::account_email(&admin.email, subject, text)
}
